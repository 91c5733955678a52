"""Every event name on the wire is in docs/protocol.md, and the room handles exactly the
client → server ones."""

from __future__ import annotations

from pathlib import Path

from chat import events
from chat.namespace import StreamNamespace

PROTOCOL = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
NAMES = {
    value
    for name, value in vars(events).items()
    if name.isupper() and isinstance(value, str) and name != "PLATFORM_STAFF_ROOM"
}


def test_every_event_is_documented() -> None:
    assert sorted(n for n in NAMES if f"`{n}`" not in PROTOCOL) == []


def test_the_room_handles_exactly_the_client_events() -> None:
    handled = {
        name.removeprefix("on_")
        for name in dir(StreamNamespace)
        if name.startswith("on_") and name not in ("on_connect", "on_disconnect")
    }
    assert handled == events.CLIENT_EVENTS
    assert events.CLIENT_EVENTS <= NAMES
