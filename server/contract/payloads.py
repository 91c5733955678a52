"""What clients send with the live room's events (chat/namespace.py): one model per event.

A wrong shape is `bad_payload` (or the rule's own code), never a fault. The field checks below
are the room's own (server/contract/moderation.py's models use them too), so the texts stay the
ones clients know."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from server.contract.body import Body, Id
from server.contract.shapes import Language, Omitted, shown
from server.core.domain.error_codes import ErrorCode, GeneralCode
from server.core.domain.errors import ValidationError
from server.core.domain.ids import check_id

MAX_LIKES = 10  # taps one `like` may carry


def field(data: Any, name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise ValidationError(f"expected an object with {name}", code=GeneralCode.BAD_PAYLOAD)
    return data[name]


def optional(data: Any, name: str, default: Any) -> Any:
    """A field that may be left out (a missing or non-object payload gives the default)."""
    return data.get(name, default) if isinstance(data, dict) else default


def flag(data: Any, name: str) -> bool:
    """An optional boolean field: absent is False, anything but true/false is refused."""
    value = optional(data, name, False)
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", code=GeneralCode.BAD_PAYLOAD)
    return value


def int_field(data: Any, name: str) -> int:
    return check_id(field(data, name), name)


def like_count(data: Any) -> int:
    """`like` takes nothing (one tap) or {count: 1..10} (taps a client gathered)."""
    if data is None or (isinstance(data, dict) and "count" not in data):
        return 1
    count = field(data, "count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_LIKES:
        raise ValidationError(
            "count must be a whole number from 1 to 10", code=GeneralCode.BAD_PAYLOAD
        )
    return count


class Payload(Body):
    refusal: ClassVar[ErrorCode] = GeneralCode.BAD_PAYLOAD


class OneId(Payload):
    """An event that names one record: its one field, an id."""

    @classmethod
    def rules(cls, data: object) -> object:
        (name,) = cls.model_fields
        return int_field(data, name)


class Join(OneId):
    stream_id: Id


class ProductSeen(OneId):
    """The viewer's page shows this product's card (counted in the show report)."""

    product_id: Id


class SendMessage(Payload):
    """A chat line. The room cleans `text` (empty, too long: `empty`, `too_long`) and checks
    `language` (`bad_language`; the show's when left out)."""

    text: str
    question: bool = False
    language: Annotated[Any, shown(Language)] = None

    @classmethod
    def rules(cls, data: object) -> object:
        if not isinstance(field(data, "text"), str):
            raise ValidationError("text must be a string", code=GeneralCode.BAD_PAYLOAD)
        return flag(data, "question")


class MessageRef(OneId):
    """delete_message, pin_message, answer_question."""

    message_id: Id


class PinProduct(OneId):
    product_id: Id


class UnpinProduct(Payload):
    """`product_id`, or none: every pinned product."""

    product_id: Id | None = None

    @classmethod
    def rules(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("product_id") is not None:
            return int_field(data, "product_id")
        return None

    @classmethod
    def parse(cls, data: object) -> UnpinProduct:
        return super().parse(data if isinstance(data, dict) else {})


class EndDeal(OneId):
    deal_id: Id


class Like(Payload):
    count: Annotated[int, Field(ge=1, le=MAX_LIKES)] | Omitted = None

    @classmethod
    def rules(cls, data: object) -> object:
        return like_count(data)

    @classmethod
    def parse(cls, data: object) -> Like:
        like_count(data)  # refuses all but an object or nothing
        return super().parse(data if isinstance(data, dict) else {})

    @property
    def taps(self) -> int:
        return self.checked(int)
