"""Who tells the room: only the services, through the domain events port.

The wire events that state a committed change (stock, deals, orders, pins, stream status) are
sent from one module, chat/domain_events.py, which hears them from server/core/events.py. No
HTTP handler, WHIP/WHEP handler, Socket.IO handler or other module names them or calls an
`announce_*` method, so a new door cannot forget to tell the room, nor tell it twice.
"""

from __future__ import annotations

import ast
from pathlib import Path

import socketio

from chat import events
from chat.namespace import StreamNamespace

ROOT = Path(__file__).resolve().parent.parent
CHANGE_EVENTS = {
    "STOCK_CHANGED": events.STOCK_CHANGED,
    "DEAL_UPDATED": events.DEAL_UPDATED,
    "ORDER_CONFIRMED": events.ORDER_CONFIRMED,
    "ORDER_UPDATED": events.ORDER_UPDATED,
    "STREAM_STATUS": events.STREAM_STATUS,
    "PRODUCT_PINNED": events.PRODUCT_PINNED,
    "PRODUCT_UNPINNED": events.PRODUCT_UNPINNED,
}
SENDER = ROOT / "chat" / "domain_events.py"
NAMES = ROOT / "chat" / "events.py"


def _sources() -> list[Path]:
    found = [p for top in ("server", "chat", "media") for p in (ROOT / top).rglob("*.py")]
    return [p for p in found if p not in (SENDER, NAMES)]


def _change_announcements(tree: ast.AST) -> list[str]:
    said = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in CHANGE_EVENTS:
            said.append(node.attr)
        elif isinstance(node, ast.Name) and node.id in CHANGE_EVENTS:
            said.append(node.id)
        elif isinstance(node, ast.Constant) and node.value in CHANGE_EVENTS.values():
            said.append(repr(node.value))
        elif isinstance(node, ast.Attribute | ast.FunctionDef | ast.AsyncFunctionDef):
            name = node.attr if isinstance(node, ast.Attribute) else node.name
            if name.lstrip("_").startswith("announce_"):
                said.append(name)
    return said


def test_only_the_domain_events_subscriber_sends_the_change_events() -> None:
    offenders = {
        str(path.relative_to(ROOT)): said
        for path in _sources()
        if (said := _change_announcements(ast.parse(path.read_text(), str(path))))
    }
    assert offenders == {}


def test_the_check_finds_an_announcement() -> None:
    """The check above can fail: a handler that emits a change itself is caught."""
    handler = (
        "async def on_buy(self, sid, data):\n"
        "    await self._to_room(1, events.STOCK_CHANGED, {})\n"
        "    await request.app[ROOM].announce_purchase(1, 'u:1', purchase)\n"
        "    await self.emit('order_confirmed', {})\n"
    )
    assert sorted(_change_announcements(ast.parse(handler))) == [
        "'order_confirmed'",
        "STOCK_CHANGED",
        "announce_purchase",
    ]
    assert _change_announcements(ast.parse(SENDER.read_text())) != []


def test_the_room_offers_no_public_way_to_announce_a_change() -> None:
    """The room's only entry for domain events is subscribing it to the port."""
    public = {
        name
        for name in dir(StreamNamespace)
        if not name.startswith("_") and not name.startswith("on_")
    }
    inherited = set(dir(socketio.AsyncNamespace))
    assert {n for n in public - inherited if "announce" in n or "changed" in n} == set()
    assert "listen_to" in public
