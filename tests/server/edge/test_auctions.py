"""Auctions through the doors, with real Socket.IO clients: on both backends a 20-bidder auction
with proxy and last-second bids; on PostgreSQL + Redis, two server processes taking bids for
one auction at once."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime
from typing import Any

import pytest
import socketio

from server.core.domain.auctions import AuctionTerms, Band, opening
from server.core.domain.errors import Conflict
from server.core.domain.roles import Principal, Role
from server.core.services.accounts import principal_of
from server.core.services.auctions import AuctionSpec
from server.core.stock.auction_book import BidRequest
from server.core.store.rows import User
from server.edge.http.context import DATABASE, SERVICES
from tests import factory
from tests.chat.test_room import Listener, joined
from tests.server.edge.test_sale_processes import cluster, redis_backend  # noqa: F401

_keys = itertools.count(1)
INCREMENT = 50


async def quick_accounts(run: Any, count: int, name: str = "Bidder") -> list[str]:
    """Viewer accounts written straight to the database (no password hashing: they never
    sign in) and their tokens, as the server issues them."""
    services = run.app[SERVICES]
    batch = next(_keys)
    async with run.app[DATABASE].writing() as session:
        users = [
            User(
                email=f"quick{batch}-{n}@example.test",
                password_hash="!",
                display_name=f"{name} {n:02d}",
                role="viewer",
            )
            for n in range(count)
        ]
        session.add_all(users)
        await session.flush()
        made = [principal_of(user) for user in users]
    return [services.tokens.issue(p) for p in made]


def key() -> str:
    return f"bid-{next(_keys):08d}"


def left_s(auction: dict) -> float:
    ends = datetime.fromisoformat(auction["ends_at"])
    return (ends - datetime.fromisoformat(auction["server_time"])).total_seconds()


async def start_auction(client: socketio.AsyncClient, product_id: int, **terms: Any) -> dict:
    body = {
        "product_id": product_id,
        "start_minor": 1000,
        "increment_minor": INCREMENT,
        "duration_s": 10,
        "anti_snipe_s": 3,
        **terms,
    }
    ack = await client.call("start_auction", body)
    assert ack["ok"], ack
    return ack["auction"]


async def test_twenty_bidders_with_proxies_and_last_second_bids(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)
    tokens = await quick_accounts(running, 20)
    bidders = [await joined(running, t, show.stream_id, "auction_updated", "auction_ended",
                            "order_confirmed") for t in tokens]  # fmt: skip
    watcher = bidders[0][1]
    auction = await start_auction(host, show.product_ids[0])
    assert (auction["status"], auction["price_minor"], auction["bids"]) == ("running", 1000, 0)
    assert auction["next_bids_minor"] == [1000, 1050, 1100]
    assert (await watcher.next("auction_updated"))["auction"]["id"] == auction["id"]
    auction_id = auction["id"]

    # Two proxies: bidder 0 up to 3000, then bidder 1 up to 3000 too (a tie: the earlier wins).
    ack = await bidders[0][0].call(
        "set_max_bid", {"auction_id": auction_id, "max_minor": 3000, "idempotency_key": key()}
    )
    assert ack["ok"] and ack["bid"]["leading"] and ack["auction"]["price_minor"] == 1000, ack
    tie = await bidders[1][0].call(
        "set_max_bid", {"auction_id": auction_id, "max_minor": 3000, "idempotency_key": key()}
    )
    assert tie["ok"] and tie["bid"]["outbid"] and tie["auction"]["price_minor"] == 3000, tie
    assert tie["auction"]["leader"] == "Bi***"

    # Eighteen bidders rush in at once with plain bids; each gets an ack, none changes the lead.
    async def rush(n: int) -> dict:
        return await bidders[n][0].call(
            "bid", {"auction_id": auction_id, "amount_minor": 3050, "idempotency_key": key()}
        )

    acks = await asyncio.gather(*(rush(n) for n in range(2, 20)))
    accepted = [a for a in acks if a["ok"]]
    codes = {a["error"]["code"] for a in acks if not a["ok"]}
    assert len(accepted) == 1 and codes <= {"bid_too_low"}, acks
    first = accepted[0]["auction"]
    assert first["price_minor"] == 3050 and not accepted[0]["bid"]["outbid"]
    leader_n = next(n for n, a in zip(range(2, 20), acks, strict=True) if a["ok"])
    retrier, sniper_n = [n for n in range(2, 20) if n != leader_n][:2]

    # Refusals change nothing: too low, the host's own auction, a retried key's first answer.
    low = await bidders[5][0].call(
        "bid", {"auction_id": auction_id, "amount_minor": 3060, "idempotency_key": key()}
    )
    assert low["error"]["code"] == "bid_too_low"
    own = await host.call(
        "bid", {"auction_id": auction_id, "amount_minor": 9000, "idempotency_key": key()}
    )
    assert own["error"]["code"] == "own_auction"
    bad = await bidders[5][0].call("bid", {"auction_id": auction_id, "amount_minor": "5"})
    assert bad["error"]["code"] == "bad_bid_amount"
    retry_key = key()
    taken = await bidders[retrier][0].call(
        "bid", {"auction_id": auction_id, "amount_minor": 3100, "idempotency_key": retry_key}
    )
    again = await bidders[retrier][0].call(
        "bid", {"auction_id": auction_id, "amount_minor": 3100, "idempotency_key": retry_key}
    )
    assert taken["ok"] and again["ok"] and again["bid"]["replayed"]
    assert again["bid"]["seq"] == taken["bid"]["seq"]

    # A last-second bid: with under 3 s left, the end moves to 3 s after it, for everyone.
    now = taken["auction"]
    await asyncio.sleep(max(0.0, left_s(now) - 1.0))
    sniper = await bidders[sniper_n][0].call(
        "bid", {"auction_id": auction_id, "amount_minor": 3150, "idempotency_key": key()}
    )
    assert sniper["ok"] and sniper["bid"]["extended"], sniper
    assert 2.5 < left_s(sniper["auction"]) <= 3.0
    seen = await _until(
        watcher, "auction_updated", lambda a: a["bids"] >= sniper["auction"]["bids"]
    )
    assert seen["ends_at"] == sniper["auction"]["ends_at"]

    ended = (await watcher.next("auction_ended", timeout=10))["auction"]
    assert (ended["status"], ended["result"], ended["price_minor"]) == ("ended", "sold", 3150)
    assert ended["leader_id"] is not None and ended["order_id"] is not None
    order = (await bidders[sniper_n][1].next("order_confirmed"))["order"]
    assert order["id"] == ended["order_id"] and order["total_minor"] == 3150
    assert order["status"] == "reserved"
    status, paid = await running.call(
        "POST", f"/api/orders/{order['id']}/pay", tokens[sniper_n], json={}
    )
    assert status == 200 and paid["status"] == "paid", paid
    late = await bidders[9][0].call(
        "bid", {"auction_id": auction_id, "amount_minor": 9000, "idempotency_key": key()}
    )
    assert late["error"]["code"] == "auction_ended"

    # The log: every bid with its server time, in order; its replay gives the same result.
    status, history = await running.call("GET", f"/api/auctions/{auction_id}/bids", show.host)
    assert status == 200
    log = history["bids"]
    assert [b["seq"] for b in log] == list(range(1, len(log) + 1))
    prices = [b["price_minor"] for b in log if b["accepted"]]
    assert prices == sorted(prices) and prices[-1] == 3150
    assert sum(not b["accepted"] for b in log) >= 18
    services = running.app[SERVICES]
    replayed = await services.auctions.replayed(auction_id)
    assert (replayed.price_minor, replayed.leader) == (3150, ended["leader_id"])
    viewer_status, _ = await running.call("GET", f"/api/auctions/{auction_id}/bids", tokens[2])
    assert viewer_status == 403


async def test_bad_terms_and_who_may_start(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)
    viewer, _, _ = await joined(running, show.viewer, show.stream_id)
    base = {"product_id": show.product_ids[0], "start_minor": 100, "increment_minor": 10,
            "duration_s": 30}  # fmt: skip
    for change, code in [
        ({"duration_s": 5}, "bad_auction_duration"),
        ({"increment_minor": None, "ladder": [{"from_minor": 5, "increment_minor": 1}]},
         "bad_increment"),
        ({"reserve_minor": 50}, "bad_reserve"),
        ({"buy_now_minor": 100}, "bad_buy_now"),
        ({"start_minor": "1"}, "bad_auction_terms"),
        ({"unpaid": "never"}, "bad_auction_terms"),
        ({"product_id": 999_999}, "not_in_lineup"),
    ]:  # fmt: skip
        body = {k: v for k, v in {**base, **change}.items() if v is not None}
        ack = await host.call("start_auction", body)
        assert not ack["ok"] and ack["error"]["code"] == code, (change, ack)
    assert (await viewer.call("start_auction", base))["error"]["code"] == "forbidden"
    started = await host.call("start_auction", base)
    assert started["ok"]
    assert (await host.call("start_auction", base))["error"]["code"] == "auction_running"
    status, body = await running.call(
        "POST", f"/api/auctions/{started['auction']['id']}/bids", show.viewer,
        json={"amount_minor": 100, "idempotency_key": key()},
    )  # fmt: skip
    assert status == 201 and body["bid"]["leading"], body
    status, body = await running.call(
        "POST", f"/api/auctions/{started['auction']['id']}/bids", show.viewer2,
        json={"amount_minor": 105, "idempotency_key": key()},
    )  # fmt: skip
    assert (status, body["error"]["code"]) == (409, "bid_too_low")
    stopped = await host.call("stop_auction", {"auction_id": started["auction"]["id"]})
    assert stopped["ok"] and stopped["auction"]["result"] == "sold", stopped
    state = await viewer.call("auction_state", {})
    assert state["auction"]["status"] == "ended"


async def test_muted_and_banned_buyers_are_refused_and_change_nothing(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)
    muted, _, _ = await joined(running, show.viewer, show.stream_id)
    services = running.app[SERVICES]
    a = await services.accounts.authenticate(show.viewer)
    b = await services.accounts.authenticate(show.viewer2)
    auction = await start_auction(host, show.product_ids[0])
    assert (await host.call("mute", {"target": a.subject, "duration_s": 60}))["ok"]
    bid = {"auction_id": auction["id"], "amount_minor": 1000}
    ack = await muted.call("bid", bid | {"idempotency_key": key()})
    assert not ack["ok"] and ack["error"]["code"] == "bidder_muted", ack
    assert (await host.call("ban", {"target": b.subject}))["ok"]
    status, body = await running.call(
        "POST", f"/api/auctions/{auction['id']}/bids", show.viewer2,
        json={"amount_minor": 1000, "idempotency_key": key()},
    )  # fmt: skip
    assert (status, body["error"]["code"]) == (403, "bidder_banned"), body
    state = await host.call("auction_state", {})
    assert (state["auction"]["bids"], state["auction"]["leader"]) == (0, None), state
    status, history = await running.call("GET", f"/api/auctions/{auction['id']}/bids", show.host)
    assert status == 200 and history["bids"] == []


async def test_the_next_bidder_gets_a_second_chance_when_the_winner_does_not_pay(
    running,
) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    services = running.app[SERVICES]
    host_principal = Principal("u:0", "ops", Role.ADMIN, 0)
    terms = AuctionTerms(1000, (Band(0, 100),), 10, 3)
    row = await services.auctions.start(host_principal, show.stream_id, AuctionSpec(
        show.product_ids[0], terms))  # fmt: skip
    a = await services.accounts.authenticate(show.viewer)
    b = await services.accounts.authenticate(show.viewer2)
    await services.auctions.bid(b, row.id, BidRequest(0, 1200, key()))
    await services.auctions.bid(a, row.id, BidRequest(0, 1500, key()))
    await services.auctions.stop(None, row.id)
    won = await services.auctions.get(row.id)
    assert (won.result, won.winner_id, won.price_minor) == ("sold", a.user_id, 1500)
    status, _ = await running.call("POST", f"/api/orders/{won.order_id}/cancel", show.viewer)
    assert status == 200
    offered = await services.auctions.get(row.id)
    assert offered.winner_id == b.user_id and offered.price_minor == 1200
    assert offered.order_id not in (None, won.order_id)
    _, seen = await running.call("GET", f"/api/auctions/{row.id}")  # what the pages read
    offer = {k: seen["auction"][k] for k in ("order_id", "winner_id", "sold_minor")}
    assert offer == {"order_id": offered.order_id, "winner_id": b.user_id, "sold_minor": 1200}
    assert opening(terms, 0).price_minor == 1000


async def test_the_show_report_holds_its_auctions(running) -> None:
    """Sold, reserve not met and still running: each in the report with its final price (none
    while it runs), its accepted bids and bidders; only the show's people may read it."""
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    services = running.app[SERVICES]
    a = await services.accounts.authenticate(show.viewer)
    b = await services.accounts.authenticate(show.viewer2)
    mug, tee = show.product_ids
    plain = AuctionTerms(1000, (Band(0, 100),), 10, 3)
    sold = await services.auctions.start(None, show.stream_id, AuctionSpec(mug, plain))
    await services.auctions.bid(b, sold.id, BidRequest(0, 1200, key()))
    await services.auctions.bid(a, sold.id, BidRequest(0, 1500, key()))
    with pytest.raises(Conflict):  # refused: not counted as a bid
        await services.auctions.bid(b, sold.id, BidRequest(0, 1510, key()))
    await services.auctions.stop(None, sold.id)
    reserved = AuctionTerms(1000, (Band(0, 100),), 10, 3, reserve_minor=5000)
    short = await services.auctions.start(None, show.stream_id, AuctionSpec(tee, reserved))
    await services.auctions.bid(a, short.id, BidRequest(0, 1200, key()))
    await services.auctions.stop(None, short.id)
    live = await services.auctions.start(None, show.stream_id, AuctionSpec(mug, plain))
    await services.auctions.bid(b, live.id, BidRequest(0, 1000, key()))
    await services.auctions.flush_log()

    status, report = await running.call("GET", f"/api/streams/{show.stream_id}/report", show.host)
    assert status == 200, report
    auctions = report["auctions"]
    assert {k: auctions[k] for k in ("held", "sold", "unsold", "running", "bids")} == {
        "held": 3, "sold": 1, "unsold": 1, "running": 1, "bids": 4,
    }  # fmt: skip
    assert auctions["sold_value"] == [{"currency": "EUR", "minor": 1500}]
    items = {i["auction_id"]: i for i in auctions["items"]}
    assert [i["auction_id"] for i in auctions["items"]] == [sold.id, short.id, live.id]
    assert {k: items[sold.id][k] for k in ("product_id", "status", "result", "price_minor",
                                           "bids", "bidders", "start_minor")} == {
        "product_id": mug, "status": "ended", "result": "sold", "price_minor": 1500, "bids": 2,
        "bidders": 2, "start_minor": 1000,
    }  # fmt: skip
    assert (items[short.id]["result"], items[short.id]["price_minor"]) == ("reserve_not_met", 1200)
    assert (items[live.id]["status"], items[live.id]["price_minor"]) == ("running", None)
    assert (items[live.id]["bids"], items[live.id]["bidders"]) == (1, 1)
    assert items[sold.id]["title"] and items[sold.id]["duration_s"] >= 0
    status, _ = await running.call("GET", f"/api/streams/{show.stream_id}/report", show.viewer)
    assert status == 403


async def _until(listener: Listener, name: str, check: Any, timeout: float = 5.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            auction = (await listener.next(name))["auction"]
            if check(auction):
                return auction


@pytest.mark.slow
async def test_two_processes_take_bids_for_one_auction(cluster) -> None:  # noqa: F811
    node_a, nodes = cluster
    show = await factory.show(node_a)
    await factory.go_live(node_a, show.stream_id)
    tokens = await quick_accounts(node_a, 20)
    host = await _client(nodes[0].url, show.host)
    await host.call("join", {"stream_id": show.stream_id})
    auction = await start_auction(host, show.product_ids[0], duration_s=12, anti_snipe_s=2)
    clients = []
    for n, token in enumerate(tokens):  # half the bidders on each node
        client = await _client(nodes[n % 2].url, token)
        assert (await client.call("join", {"stream_id": show.stream_id}))["ok"]
        clients.append(client)
    watcher = Listener(clients[1], "auction_ended")

    async def bidder(n: int) -> list[dict]:
        acks = []
        price = 1000
        for _ in range(15):
            ack = await clients[n].call("bid", {"auction_id": auction["id"],
                "amount_minor": price + INCREMENT * (n % 3), "idempotency_key": key()})  # fmt: skip
            acks.append(ack)
            price = (ack.get("auction") or {}).get("price_minor", price) + INCREMENT
            if not ack["ok"] and ack["error"]["code"] == "bid_too_low":
                price += INCREMENT
        return acks

    results = await asyncio.gather(*(bidder(n) for n in range(20)))
    acks = [a for r in results for a in r]
    assert all(a["ok"] or a["error"]["code"] in {"bid_too_low", "already_leading"} for a in acks)
    await host.call("stop_auction", {"auction_id": auction["id"]})
    ended = (await watcher.next("auction_ended", timeout=15))["auction"]
    assert ended["result"] == "sold"
    services = node_a.app[SERVICES]
    await asyncio.sleep(0.5)  # each node writes its bids within its period
    log = await services.auctions.history(None, auction["id"], limit=10_000)
    assert [b.seq for b in log] == list(range(1, len(log) + 1))  # none lost, none twice
    assert len(log) == len(acks)
    accepted = [b for b in log if b.code is None]
    # Each accepted bid but a leader's raise of their own maximum moves the price up.
    leaders = [None, *(b.leader_id for b in accepted)]
    moves = [b for b, before in zip(accepted, leaders, strict=False) if b.bidder_id != before]
    prices = [b.price_minor for b in moves]
    assert all(x < y for x, y in itertools.pairwise(prices)), prices  # strictly increasing
    assert all(
        b.price_minor == moves[-1].price_minor for b in accepted[accepted.index(moves[-1]) :]
    )
    assert ended["price_minor"] == prices[-1] and ended["leader_id"] == accepted[-1].leader_id
    replayed = await services.auctions.replayed(auction["id"])
    assert (replayed.price_minor, replayed.leader) == (prices[-1], accepted[-1].leader_id)
    for client in [host, *clients]:
        await client.disconnect()


async def _client(url: str, token: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, auth={"token": token}, transports=["websocket"])
    return client
