"""A sold-out flash deal's losers answered as their `buy` arrives (chat/inline_acks.py), on both
backends, with real Socket.IO clients: the same ack as the handler's, a winner's retry still
gets its order, stock coming back reopens buying, and every other answer is unchanged."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from server.edge.app import SOCKETS
from tests import factory
from tests.chat.test_room import joined

_keys = itertools.count(1)


def _inline(running: Any) -> int:
    return running.app[SOCKETS].inline_acks


async def _buy(client: Any, product_id: int, key: str | None = None) -> Any:
    body = {"product_id": product_id, "idempotency_key": key or f"tap-{next(_keys):04d}"}
    return await client.call("buy", body, timeout=10)


async def _sold_out_deal(running: Any) -> tuple[Any, Any, Any, Any, Any]:
    """A live show whose one-unit deal the viewer bought (its order's ack), and its first
    loser's ack, as the handler answered it."""
    show = await factory.show(running, stocks=(5,))
    await factory.go_live(running, show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)
    deal = {"product_id": show.product_ids[0], "price_minor": 500, "duration_s": 60}
    assert (await host.call("start_deal", deal | {"quantity": 1}))["ok"]
    winner, _, _ = await joined(running, show.viewer, show.stream_id)
    won = await _buy(winner, show.product_ids[0], "winner-key-1")
    assert won["ok"] and won["created"], won
    loser, _, _ = await joined(running, show.viewer2, show.stream_id)
    before = _inline(running)
    first = await _buy(loser, show.product_ids[0])
    assert first["error"]["code"] == "deal_sold_out", first
    assert _inline(running) == before  # nothing known yet: the handler answered
    return show, winner, won, loser, first


async def _until_inline(running: Any, loser: Any, product_id: int) -> Any:
    """The node learns the sell-out in the background (the gate's board reads the key's state
    and holders; the embedded default its show copy and keys): the loser taps again until a
    refusal comes inline, within 4 s, slowly enough to stay under the buy rate limit."""
    for _ in range(8):
        before = _inline(running)
        ack = await _buy(loser, product_id)
        if _inline(running) == before + 1:
            return ack
        assert ack["error"]["code"] == "deal_sold_out", ack
        await asyncio.sleep(0.5)
    raise AssertionError("no refusal was ever answered inline")


async def test_losers_get_the_handlers_ack_inline_and_the_winners_retry_its_order(
    running,
) -> None:
    show, winner, _, loser, first = await _sold_out_deal(running)
    product_id = show.product_ids[0]
    inline = await _until_inline(running, loser, product_id)
    assert inline == first  # the very ack the handler gave
    before = _inline(running)
    again = await _buy(winner, product_id, "winner-key-1")
    assert again["ok"] and not again["created"], again
    assert again["order"]["id"] is not None
    assert _inline(running) == before, "a key with an order must never be refused inline"


async def test_stock_back_reopens_buying_at_once(running) -> None:
    show, _, won, loser, _ = await _sold_out_deal(running)
    product_id = show.product_ids[0]
    await _until_inline(running, loser, product_id)
    order_id = won["order"]["id"]
    status, _ = await running.call("POST", f"/api/orders/{order_id}/cancel", show.viewer)
    assert status == 200
    reopened = await _buy(loser, product_id)
    assert reopened["ok"] and reopened["order"]["lines"][0]["unit_price_minor"] == 500, reopened


async def test_bad_payloads_strangers_and_spammers_get_their_usual_answers(running) -> None:
    show, _, _, loser, _ = await _sold_out_deal(running)
    product_id = show.product_ids[0]
    await _until_inline(running, loser, product_id)
    before = _inline(running)
    bad = await loser.call("buy", {"product_id": "one", "idempotency_key": "tap-bad-1"}, timeout=10)
    assert bad["ok"] is False and bad["error"]["code"] == "bad_product", bad
    stranger = await running.sio(show.viewer2)  # connected, never joined
    outside = await _buy(stranger, product_id)
    assert outside["error"]["code"] == "not_joined", outside
    assert _inline(running) == before  # both answered by the handler
    taps = await asyncio.gather(*(_buy(loser, product_id) for _ in range(8)))
    codes = [ack["error"]["code"] for ack in taps]
    assert set(codes) == {"deal_sold_out", "rate_limited"} and codes.count("deal_sold_out") <= 5
    assert _inline(running) == before + 8  # refusals count against the limit, inline too
