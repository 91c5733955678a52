"""Many buyers at once: stock never goes below zero and every sale is one order."""

from __future__ import annotations

import asyncio

from tests import factory
from tests.conftest import config_for


async def test_concurrent_buyers_never_oversell(running) -> None:
    show = await factory.show(running, stocks=(5,))
    await factory.go_live(running, show.stream_id)
    buyers = [await factory.account(running) for _ in range(12)]

    async def attempt(token: str, n: int) -> tuple[int, dict]:
        return await running.call(
            "POST",
            f"/api/streams/{show.stream_id}/orders",
            token,
            json={
                "product_id": show.product_ids[0],
                "quantity": 1,
                "idempotency_key": f"k-{n:06d}",
            },
        )

    # Each buyer also double-clicks: the retry must return the same order, not a second one.
    results = await asyncio.gather(
        *(attempt(token, n) for n, token in enumerate(buyers)),
        *(attempt(token, n) for n, token in enumerate(buyers)),
    )
    created = [body for status, body in results if status == 201]
    replayed = [body for status, body in results if status == 200]
    refused = [body["error"]["code"] for status, body in results if status == 409]
    assert len(created) == 5
    assert {o["id"] for o in replayed} <= {o["id"] for o in created}
    assert set(refused) <= {"sold_out"}
    _, product = await running.call("GET", f"/api/products/{show.product_ids[0]}")
    assert product["stock"] == 0


async def test_two_nodes_share_one_room_through_redis(backend, start) -> None:
    if backend.redis_url is None:
        return  # the embedded default is one process by design
    config = config_for(backend)
    node_a, node_b = await start(config), await start(config)
    show = await factory.show(node_a)
    from tests.chat.test_room import joined

    on_a, _, _ = await joined(node_a, show.host, show.stream_id)
    on_b, events, _ = await joined(
        node_b, show.viewer, show.stream_id, "chat_message", "product_pinned"
    )
    assert (await on_a.call("send_message", {"text": "from node A"}))["ok"]
    assert (await events.next("chat_message"))["text"] == "from node A"
    assert (await on_a.call("pin_product", {"product_id": show.product_ids[0]}))["ok"]
    assert (await events.next("product_pinned"))["product"]["id"] == show.product_ids[0]
    await on_a.disconnect()
    await on_b.disconnect()
