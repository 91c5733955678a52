"""Buying and flash deals through the live room: one-tap buy, the deal's countdown and units
left reaching every viewer, and an order's later changes reaching its buyer's sockets."""

from __future__ import annotations

from datetime import datetime

from tests import factory
from tests.chat.test_room import joined


async def test_a_deal_started_in_the_room_sells_out_in_front_of_everyone(running) -> None:
    show = await factory.show(running, stocks=(5,))
    await factory.go_live(running, show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)
    buyer, buyer_events, _ = await joined(
        running, show.viewer, show.stream_id, "order_confirmed", "order_updated"
    )
    watcher, watcher_events, _ = await joined(
        running, show.viewer2, show.stream_id, "deal_updated", "stock_changed"
    )
    deal = {"product_id": show.product_ids[0], "price_minor": 500, "duration_s": 30}
    refused = await watcher.call("start_deal", deal | {"quantity": 1})
    assert refused["error"]["code"] == "forbidden"
    ack = await host.call("start_deal", deal | {"quantity": 1})
    assert ack["ok"], ack
    started = (await watcher_events.next("deal_updated"))["deal"]
    assert (started["phase"], started["left"], started["price_minor"]) == ("active", 1, 500)
    # The countdown travels with the server's clock: ends_at - server_time is the duration.
    span = datetime.fromisoformat(started["ends_at"]) - datetime.fromisoformat(
        started["server_time"]
    )
    assert 29 <= span.total_seconds() <= 30

    bought = await buyer.call(
        "buy", {"product_id": show.product_ids[0], "idempotency_key": "tap-deal-1", "pay": True}
    )
    assert bought["ok"] and bought["order"]["status"] == "paid", bought
    assert bought["order"]["lines"][0]["unit_price_minor"] == 500
    assert (await watcher_events.next("deal_updated"))["deal"]["left"] == 0
    assert (await watcher_events.next("stock_changed"))["stock"] == 4
    assert (await buyer_events.next("order_updated"))["order"]["status"] == "paid"
    late = await watcher.call(
        "buy", {"product_id": show.product_ids[0], "idempotency_key": "tap-deal-2"}
    )
    assert late["error"]["code"] == "deal_sold_out"

    ended = await host.call("end_deal", {"deal_id": started["id"]})
    assert ended["ok"] and ended["deal"]["phase"] == "ended"
    assert (await watcher_events.next("deal_updated"))["deal"]["phase"] == "ended"
    for client in (host, buyer, watcher):
        await client.disconnect()


async def test_the_join_state_carries_running_deals_and_the_server_time(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    status, _ = await running.call(
        "POST",
        f"/api/streams/{show.stream_id}/deals",
        show.host,
        json={"product_id": show.product_ids[1], "price_minor": 100, "duration_s": 60,
              "quantity": 2},
    )  # fmt: skip
    assert status == 201
    viewer, _, state = await joined(running, show.viewer, show.stream_id)
    assert [d["product_id"] for d in state["deals"]] == [show.product_ids[1]]
    assert state["deals"][0]["server_time"] and state["server_time"]
    await viewer.disconnect()


async def test_a_cancelled_order_puts_its_stock_back_in_front_of_everyone(running) -> None:
    show = await factory.show(running, stocks=(3,))
    await factory.go_live(running, show.stream_id)
    buyer, buyer_events, _ = await joined(running, show.viewer, show.stream_id, "order_updated")
    watcher, watcher_events, _ = await joined(
        running, show.viewer2, show.stream_id, "stock_changed"
    )
    ack = await buyer.call(
        "buy", {"product_id": show.product_ids[0], "quantity": 2, "idempotency_key": "tap-cx-01"}
    )
    assert (await watcher_events.next("stock_changed"))["stock"] == 1
    status, _ = await running.call("POST", f"/api/orders/{ack['order']['id']}/cancel", show.viewer)
    assert status == 200
    assert (await watcher_events.next("stock_changed"))["stock"] == 3
    assert (await buyer_events.next("order_updated"))["order"]["status"] == "cancelled"
    for client in (buyer, watcher):
        await client.disconnect()


async def test_three_products_stay_pinned_and_a_fourth_lets_the_oldest_go(running) -> None:
    show = await factory.show(running, stocks=(1, 2, 3, 4))
    host, _, _ = await joined(running, show.host, show.stream_id)
    viewer, events, _ = await joined(
        running, show.viewer, show.stream_id, "product_pinned", "product_unpinned"
    )
    first, second, third, fourth = show.product_ids
    for product_id in (first, second, third):
        assert (await host.call("pin_product", {"product_id": product_id}))["ok"]
        assert (await events.next("product_pinned"))["product"]["id"] == product_id
    ack = await host.call("pin_product", {"product_id": fourth})
    assert ack["pins"] == [second, third, fourth]
    assert await events.next("product_unpinned") == {"product_id": first}
    _, _, state = await joined(running, show.viewer2, show.stream_id)
    assert [p["id"] for p in state["pins"]] == [second, third, fourth]
    assert [p["stock"] for p in state["pins"]] == [2, 3, 4]
    assert state["pinned"]["id"] == fourth  # the latest pin, for clients that show one
    ack = await host.call("unpin_product", {"product_id": third})
    assert ack["unpinned"] == [third]
    assert await events.next("product_unpinned") == {"product_id": third}
    assert (await host.call("unpin_product", {"product_id": third}))["unpinned"] == []
    assert (await host.call("unpin_product", {}))["unpinned"] == [second, fourth]
    _, _, state = await joined(running, show.viewer2, show.stream_id)
    assert state["pins"] == [] and state["pinned"] is None
    for client in (host, viewer):
        await client.disconnect()


async def test_the_cart_is_checked_out_over_the_room_connection(running) -> None:
    show = await factory.show(running, stocks=(5, 3))
    await factory.go_live(running, show.stream_id)
    buyer, buyer_events, _ = await joined(running, show.viewer, show.stream_id, "order_confirmed")
    cart = f"/api/streams/{show.stream_id}/cart/items"
    for product_id, quantity in zip(show.product_ids, (2, 1), strict=True):
        status, body = await running.call(
            "PUT", cart, show.viewer, json={"product_id": product_id, "quantity": quantity}
        )
        assert status == 200, body

    refused = await buyer.call("checkout", {"idempotency_key": 7})
    assert refused["error"]["code"] == "bad_idempotency_key"  # as the HTTP door says
    ack = await buyer.call("checkout", {"idempotency_key": "cart-tap-0001", "pay": True})
    assert ack["ok"] and ack["created"], ack
    order = ack["order"]
    assert order["status"] == "paid" and "next_action" not in ack
    assert sorted((line["product_id"], line["quantity"]) for line in order["lines"]) == sorted(
        zip(show.product_ids, (2, 1), strict=True)
    )
    assert (await buyer_events.next("order_confirmed"))["order"]["id"] == order["id"]
    status, body = await running.call("GET", f"/api/streams/{show.stream_id}/cart", show.viewer)
    assert (status, body["items"]) == (200, [])  # emptied

    again = await buyer.call("checkout", {"idempotency_key": "cart-tap-0001", "pay": True})
    assert again["ok"] and not again["created"] and again["order"]["id"] == order["id"], again
    empty = await buyer.call("checkout", {"idempotency_key": "cart-tap-0002"})
    assert empty["error"]["code"] == "cart_empty"
    await buyer.disconnect()
