""" "My orders" on SQLite and PostgreSQL + Redis: every order with its status, its show and
where it ships, cancel while unpaid, and `order_updated` on the buyer's socket."""

from __future__ import annotations

import asyncio
import secrets

from tests import factory


async def test_my_orders_with_their_show_and_live_updates(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    updates: asyncio.Queue = asyncio.Queue()
    client = await running.sio(show.viewer)  # no show joined: the buyer's own sockets hear it
    client.on("order_updated", updates.put_nowait)
    body = {"product_id": show.product_ids[1], "idempotency_key": secrets.token_hex(8)}
    status, order = await running.call(
        "POST", f"/api/streams/{show.stream_id}/orders", show.viewer, json=body
    )
    assert status == 201, order
    status, mine = await running.call("GET", "/api/account/orders", show.viewer)
    assert status == 200
    (listed,) = mine["orders"]
    assert listed["id"] == order["id"] and listed["status"] == "reserved"
    assert listed["show"] == {
        "id": show.stream_id,
        "title": "Live show",
        "status": "live",
        "language": "pl",
    }
    assert listed["cancellable"] is True and listed["shipping"] is None
    # someone else's order is not theirs to cancel
    status, _ = await running.call("POST", f"/api/orders/{order['id']}/cancel", show.viewer2)
    assert status == 403
    status, cancelled = await running.call("POST", f"/api/orders/{order['id']}/cancel", show.viewer)
    assert (status, cancelled["status"]) == (200, "cancelled")
    update = await asyncio.wait_for(updates.get(), 10)
    assert update["order"]["id"] == order["id"] and update["order"]["status"] == "cancelled"
    _, mine = await running.call("GET", "/api/account/orders", show.viewer)
    assert mine["orders"][0]["cancellable"] is False
    assert (await running.call("GET", "/api/account/orders", show.viewer2))[1] == {"orders": []}
    assert (await running.call("GET", "/api/account/orders"))[0] == 401
