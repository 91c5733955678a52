"""Every event of the live room, fuzzed by hypothesis with malformed payloads (wrong types,
huge numbers, nested junk, missing and unknown fields, unicode, None) through real
python-socketio clients of several roles: every call is acked in time, every refusal carries a
code (never `internal`), the log has no traceback, every socket stays connected and usable, and
the database is consistent afterwards (tests/security/consistency.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from typing import Any

import pytest
import socketio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chat.config import ChatConfig
from server.edge.http.context import ROOM
from tests import factory
from tests.conftest import Running
from tests.security import consistency
from tests.security.walk import events_of
from tests.security.world import config, subject

pytestmark = pytest.mark.fuzz

EXAMPLES = 30  # per event
FITS_BYTES = ChatConfig().max_payload_bytes - 512  # room for the event's name and framing
ACK_TIMEOUT_S = 10
# Every field some event reads, so fuzzed objects often carry the names handlers look for.
FIELDS = (
    "stream_id",
    "text",
    "question",
    "language",
    "message_id",
    "product_id",
    "sku",
    "quantity",
    "idempotency_key",
    "coupon",
    "pay",
    "deal_id",
    "price_minor",
    "duration_s",
    "per_buyer_limit",
    "held_id",
    "target",
    "reason",
    "term",
    "action",
    "platform",
    "limit",
    "count",
    "slow_mode_s",
    "registered_only",
    "min_account_age_s",
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**53, max_value=2**70) | st.integers(max_value=-(2**63)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=500, max_size=1500),
    st.sampled_from(["", "u:1", "g:00", "all", "block", "hold", "en", "\x00", "<b>", "💥"]),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def payloads(ids: list[int], targets: list[str]) -> st.SearchStrategy[Any]:
    """Objects with the fields handlers read (values often plausible, often not), or junk;
    under the Socket.IO message limit (past it the server closes the socket, by design:
    test_an_oversized_event_closes_only_its_socket)."""
    plausible = SCALARS | st.sampled_from(ids) | st.sampled_from(targets)
    value = plausible | JUNK
    fielded = st.dictionaries(st.sampled_from(FIELDS), value, max_size=6)
    return st.one_of(fielded, fielded, JUNK, st.none()).filter(_fits)


def _fits(payload: Any) -> bool:
    """As python-socketio's client encodes it: ASCII JSON (an astral character is 12 bytes)."""
    return len(json.dumps(payload)) < FITS_BYTES


class Room:
    """The clients of several roles, joined to one show; driven from the hypothesis thread."""

    def __init__(self, run: Running, stream_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.run, self.stream_id, self.loop = run, stream_id, loop
        self.clients: dict[str, socketio.AsyncClient] = {}
        self.faults: list[str] = []
        self.calls = 0

    def on_loop(self, work: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(ACK_TIMEOUT_S * 3)

    async def send(self, who: str, event: str, payload: Any) -> None:
        client = self.clients[who]
        where = f"{event}({payload!r:.200}) as {who}"
        if not client.connected:
            self.faults.append(f"{who}'s socket was gone before {where}")
            return
        try:
            await client.call("join", {"stream_id": self.stream_id}, timeout=ACK_TIMEOUT_S)
            ack = await client.call(event, payload, timeout=ACK_TIMEOUT_S)
        except socketio.exceptions.TimeoutError:
            self.faults.append(f"no ack for {where}")
            return
        self.calls += 1
        if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
            self.faults.append(f"{where}: ack {ack!r:.200}")
        elif not ack["ok"]:
            code = ack.get("error", {}).get("code")
            if not isinstance(code, str) or not code or code == "internal":
                self.faults.append(f"{where}: error ack {ack!r:.300}")

    def fuzz(self, events: list[str], ids: list[int], targets: list[str]) -> None:
        for event in events:
            self.fuzz_event(event, payloads(ids, targets))

    def fuzz_event(self, event: str, payload: st.SearchStrategy[Any]) -> None:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(who=st.sampled_from(sorted(self.clients)), payload=payload)
        def one(who: str, payload: Any) -> None:
            self.on_loop(self.send(who, event, payload))

        one()


async def test_fuzzed_events_are_all_acked_and_break_nothing(sqlite_backend, start, caplog) -> None:
    caplog.set_level(logging.WARNING)
    run = await start(config(sqlite_backend))
    show = await factory.show(run, stocks=(50, 20))
    await factory.go_live(run, show.stream_id)
    tokens = {
        "host": show.host,
        "admin": await factory.admin_token(run),
        "viewer": show.viewer,
        "moderator": show.moderator,
    }
    status, guest = await run.call("POST", "/api/auth/guest", json={"display_name": "G"})
    assert status == 200
    tokens["guest"] = guest["token"]
    # The people fuzzed moderation may fall on: never the fuzzing sockets themselves.
    targets = [await subject(run, await factory.account(run)) for _ in range(3)]
    room = Room(run, show.stream_id, asyncio.get_running_loop())
    for who, token in tokens.items():
        room.clients[who] = await run.sio(token)
    room.clients["anonymous"] = await run.sio(None)
    before = await consistency.stock(run.app)
    ids = [show.stream_id, *show.product_ids, 1, 2, 3]
    events = sorted(events_of(run.app[ROOM]) - {"connect"})

    await asyncio.to_thread(room.fuzz, events, ids, targets)

    assert room.faults == []
    assert room.calls >= EXAMPLES * len(events) // 2
    for who, client in room.clients.items():
        assert client.connected, who
        ack = await client.call("join", {"stream_id": show.stream_id}, timeout=ACK_TIMEOUT_S)
        assert ack["ok"] or ack["error"]["code"] == "registered_only", (who, ack)
    assert consistency.conserved(before, await consistency.stock(run.app)) == []
    assert consistency.faults_logged(caplog.records) == []


async def test_an_oversized_event_closes_only_its_socket(sqlite_backend, start, caplog) -> None:
    """Past `max_payload_bytes` the server closes that socket (docs/protocol.md, size limits):
    no ack, nothing logged as a fault, and every other socket goes on as before."""
    caplog.set_level(logging.WARNING)
    run = await start(config(sqlite_backend))
    show = await factory.show(run)
    bystander = await run.sio(show.viewer)
    sender = await run.sio(show.viewer2)
    gone = asyncio.Event()
    sender.on("disconnect", lambda *_: gone.set())
    await sender.emit("send_message", {"text": "x" * ChatConfig().max_payload_bytes})
    await asyncio.wait_for(gone.wait(), ACK_TIMEOUT_S)
    ack = await bystander.call("join", {"stream_id": show.stream_id}, timeout=ACK_TIMEOUT_S)
    assert ack["ok"], ack
    again = await run.sio(show.viewer2)
    ack = await again.call("join", {"stream_id": show.stream_id}, timeout=ACK_TIMEOUT_S)
    assert ack["ok"], ack
    assert consistency.faults_logged(caplog.records) == []
