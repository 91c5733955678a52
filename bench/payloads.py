"""Payload benchmark: what decoding and validating one JSON body costs, per library, one run.

Two payloads, each valid and invalid: the `buy` body (POST /api/streams/{id}/orders and the
`buy` event) and the chat `send_message` event. Each is timed as raw bytes in, a checked value
out (or the refusal raised), with:

- `today`: `json.loads` and the hand checks (BuyRequest.parse; the chat field checks),
- `pydantic`: a pydantic v2 model's `model_validate_json`, and a `TypeAdapter.validate_json`,
- `msgspec`: `msgspec.json.decode(..., type=Struct)` with `Meta` constraints,
- `contract`: the models of server/contract as the doors use them (the domain checks run
  inside pydantic's validators).

The pydantic and msgspec shapes here carry the same constraints as the contract's, written in
each library's own terms, so the libraries are compared on equal work. msgspec is optional:
without it its rows are left out.

    .venv/bin/python bench/payloads.py                 # about 10 s
    .venv/bin/python bench/payloads.py --repeat 20000

Prints a table (µs per payload, the best of five rounds) and writes bench/results/payloads.json,
with the machine, the commit and the time of the run.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness.record import Record
from chat.rules import clean_message
from server.contract.orders import Buy
from server.contract.payloads import SendMessage
from server.core.domain.errors import DomainError
from server.core.domain.ids import MAX_ID
from server.core.domain.orders import BuyRequest

RESULTS = Path(__file__).resolve().parent / "results"
PAYLOADS = {
    "buy": (
        b'{"product_id": 42, "sku": "TEE-M-RED", "quantity": 2, '
        b'"idempotency_key": "buy-7f3a9c21d4e8", "coupon": "SPRING10", "pay": true}',
        b'{"product_id": 42, "quantity": 0, "idempotency_key": "short"}',
    ),
    "send_message": (
        b'{"text": "Does the red one come in a medium? Asking for my sister", '
        b'"question": true, "language": "en"}',
        b'{"text": 17, "question": "yes"}',
    ),
}
MAX_MESSAGE_CHARS = 500
KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
LANGUAGE_PATTERN = "^(en|fr|es|pt|it|pl|ru|uk)$"


class PydanticBuy(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    product_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    sku: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    quantity: Annotated[int, Field(ge=1, le=10)] = 1
    idempotency_key: Annotated[str, Field(pattern=KEY_PATTERN)]
    coupon: Annotated[str, Field(max_length=64)] | None = None
    pay: bool = False


class PydanticMessage(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    text: Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARS)]
    question: bool = False
    language: Annotated[str, Field(pattern=LANGUAGE_PATTERN)] | None = None


def today_buy(raw: bytes) -> object:
    return BuyRequest.parse(json.loads(raw))


def today_message(raw: bytes) -> object:
    data = json.loads(raw)
    if not isinstance(data, dict) or "text" not in data:
        raise DomainError("expected an object with text")
    question = data.get("question", False)
    if not isinstance(question, bool):
        raise DomainError("question must be true or false")
    return clean_message(data["text"], max_chars=MAX_MESSAGE_CHARS), question


def msgspec_decoders() -> dict[str, Callable[[bytes], object]]:
    if msgspec is None:
        return {}
    buy = msgspec.json.Decoder(MsgspecBuy)
    message = msgspec.json.Decoder(MsgspecMessage)
    return {"buy msgspec": buy.decode, "send_message msgspec": message.decode}


try:
    import msgspec
except ImportError:  # optional: its rows are left out
    msgspec = None
else:

    class MsgspecBuy(msgspec.Struct):
        product_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
        idempotency_key: Annotated[str, msgspec.Meta(pattern=KEY_PATTERN)]
        sku: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
        quantity: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1
        coupon: Annotated[str, msgspec.Meta(max_length=64)] | None = None
        pay: bool = False

    class MsgspecMessage(msgspec.Struct):
        text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_MESSAGE_CHARS)]
        question: bool = False
        language: Annotated[str, msgspec.Meta(pattern=LANGUAGE_PATTERN)] | None = None


def decoders() -> dict[str, Callable[[bytes], object]]:
    buy_adapter = TypeAdapter(PydanticBuy)
    message_adapter = TypeAdapter(PydanticMessage)
    found: dict[str, Callable[[bytes], object]] = {
        "buy today": today_buy,
        "buy pydantic": PydanticBuy.model_validate_json,
        "buy pydantic TypeAdapter": buy_adapter.validate_json,
        "buy contract": Buy.model_validate_json,
        "send_message today": today_message,
        "send_message pydantic": PydanticMessage.model_validate_json,
        "send_message pydantic TypeAdapter": message_adapter.validate_json,
        "send_message contract": SendMessage.model_validate_json,
    }
    found.update(msgspec_decoders())
    return found


def refused(decode: Callable[[bytes], object], raw: bytes) -> Callable[[], None]:
    def run() -> None:
        try:
            decode(raw)
        except (DomainError, PydanticError, ValueError):  # msgspec.ValidationError is one
            return
        raise AssertionError("an invalid payload was accepted")

    return run


def per_payload_us(work: Callable[[], object], repeat: int) -> float:
    return min(timeit.repeat(work, number=repeat, repeat=5)) / repeat * 1e6


def measure(repeat: int) -> list[dict[str, Any]]:
    rows = []
    for name, decode in decoders().items():
        payload = name.split(" ", 1)[0]
        valid, invalid = PAYLOADS[payload]
        decode(valid)  # a valid payload must pass before it is timed
        rows.append(
            {
                "payload": payload,
                "how": name.split(" ", 1)[1],
                "valid_us": round(per_payload_us(partial(decode, valid), repeat), 2),
                "invalid_us": round(per_payload_us(refused(decode, invalid), repeat), 2),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5000, help="payloads per round")
    args = parser.parse_args()
    record = Record.begin()
    rows = measure(args.repeat)
    print(f"{'payload':<14}{'how':<22}{'valid µs':>10}{'invalid µs':>12}")
    for row in rows:
        print(f"{row['payload']:<14}{row['how']:<22}{row['valid_us']:>10}{row['invalid_us']:>12}")
    versions = {"python": sys.version.split()[0], "pydantic": _version("pydantic")}
    versions["msgspec"] = _version("msgspec")
    RESULTS.mkdir(exist_ok=True)
    out = {"repeat": args.repeat, "versions": versions, "rows": rows} | record.fields()
    (RESULTS / "payloads.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {RESULTS / 'payloads.json'}")


def _version(name: str) -> str | None:
    try:
        return str(__import__(name).__version__)
    except ImportError:
        return None


if __name__ == "__main__":
    main()
