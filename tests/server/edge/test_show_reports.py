"""A show driven with real Socket.IO clients, then its report: every figure equals what the test
did (viewers, chat, likes, card views, cart, orders, GMV), on SQLite and on PostgreSQL + Redis
with the viewers spread over two nodes; who may read it; the CSV and the charts; collection off."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
import pytest
import socketio

from chat.config import ChatConfig
from tests import factory
from tests.chat.test_room import joined
from tests.conftest import config_for
from tests.server.edge.test_sale_processes import cluster, redis_backend  # noqa: F401

REPORT = "/api/streams/{}/report"


async def final_report(
    run: Any, token: str, stream_id: int, unique: int, ready: Any = None
) -> dict[str, Any]:
    """The stored report once it holds every node's events: a node writes its events every
    2 s, so its last ones may reach the database after the end (the report is computed again
    then). Waits until `ready(report)` holds too (the test's own figures), else returns the
    last report seen after 20 s, for the test's asserts to show what differs."""
    body: dict[str, Any] = {}
    deadline = asyncio.get_running_loop().time() + 20
    while asyncio.get_running_loop().time() < deadline:
        status, body = await run.call("GET", REPORT.format(stream_id), token)
        assert status == 200, body
        if body["final"] and body["viewers"]["unique"] == unique and (ready is None or ready(body)):
            return body
        await asyncio.sleep(0.1)
    return body


def settled(show: factory.Show) -> Any:
    def ready(report: dict[str, Any]) -> bool:
        try:
            check_figures(report, show)
        except AssertionError:
            return False
        return True

    return ready


async def drive_show(
    nodes: list[Any], setup: Any = None
) -> tuple[factory.Show, list[str], dict[str, Any]]:
    """Four viewers over the nodes; chat, a question answered, likes, card views, a cart line,
    two paid orders, a pin; one viewer leaves, the host ends the show. `setup` (the first node
    by default) makes the show and hosts it."""
    run = setup or nodes[0]
    show = await factory.show(run, stocks=(5, 3))
    p0, p1 = show.product_ids
    viewers = [show.viewer, show.viewer2, await factory.account(run), await factory.account(run)]
    await factory.go_live(run, show.stream_id)
    host, _, _ = await joined(run, show.host, show.stream_id)
    clients = []
    for i, token in enumerate(viewers):
        client, _, _ = await joined(nodes[i % len(nodes)], token, show.stream_id)
        clients.append(client)
    a, b, c, d = clients

    assert (await host.call("pin_product", {"product_id": p0}))["ok"]
    for text in ("hello", "nice", "price?"):
        assert (await a.call("send_message", {"text": text}))["ok"]
    asked = await b.call("send_message", {"text": "does it fit?", "question": True})
    assert asked["ok"], asked
    answered = await host.call("answer_question", {"message_id": asked["message"]["id"]})
    assert answered["ok"], answered
    assert (await a.call("like", {"count": 3}))["ok"]
    assert (await b.call("like"))["ok"]
    for client, product in ((a, p0), (a, p0), (b, p0), (c, p1)):
        seen = await client.call("product_seen", {"product_id": product})
        assert seen["ok"], seen
    status, body = await run.call(
        "PUT",
        f"/api/streams/{show.stream_id}/cart/items",
        viewers[2],
        json={"product_id": p1, "quantity": 1},
    )
    assert status == 200, body
    bought = await a.call(
        "buy", {"product_id": p0, "quantity": 2, "idempotency_key": "report-a-1", "pay": True}
    )
    assert bought["ok"] and bought["order"]["status"] == "paid", bought
    bought = await b.call("buy", {"product_id": p1, "idempotency_key": "report-b-1", "pay": True})
    assert bought["ok"] and bought["order"]["status"] == "paid", bought
    await d.disconnect()
    status, body = await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
    assert status == 200, body
    return show, viewers, {"host": host, "clients": clients}


def check_figures(report: dict[str, Any], show: factory.Show) -> None:
    p0, p1 = show.product_ids
    assert report["scope"] == "all" and report["status"] == "ended"
    viewers = report["viewers"]
    assert (viewers["peak"], viewers["unique"]) == (4, 4)  # the host is not a viewer
    assert viewers["watch_time_total_s"] > 0
    assert report["chat"] == {"lines": 4, "questions": 1, "answered": 1}
    assert report["likes"] == 4
    sales = report["sales"]
    assert (sales["orders"], sales["units"]) == (2, 3)
    assert sales["gmv"] == [{"currency": "EUR", "minor": 1999 * 2 + 2000}]
    by_id = {p["product_id"]: p for p in report["products"]}
    first, second = by_id[p0], by_id[p1]
    assert (first["card_views"], first["card_viewers"], first["add_to_cart"]) == (3, 2, 0)
    assert (first["orders"], first["units"], first["conversion"]) == (1, 2, 0.5)
    assert first["gmv"] == [{"currency": "EUR", "minor": 3998}]
    assert (second["card_views"], second["card_viewers"], second["add_to_cart"]) == (1, 1, 1)
    assert (second["orders"], second["units"], second["conversion"]) == (1, 1, 1.0)
    assert [p["product_id"] for p in report["pins"]] == [p0]
    series = report["series"]
    assert sum(series["chat"]) == 4 and sum(series["likes"]) == 4
    assert sum(series["orders"]) == 2 and max(series["viewers"]) == 4
    assert [sum(g["minor"]) for g in series["gmv"]] == [5998]


async def test_the_report_counts_what_the_show_did(backend, start) -> None:
    config = config_for(backend)
    nodes = [await start(config)]
    if backend.redis_url is not None:
        nodes.append(await start(config))  # viewers on two nodes: counts from both
    show, _, _ = await drive_show(nodes)
    report = await final_report(nodes[0], show.host, show.stream_id, 4, settled(show))
    check_figures(report, show)
    # Any node answers the same figures.
    status, again = await nodes[-1].call("GET", REPORT.format(show.stream_id), show.host)
    assert status == 200 and again["viewers"] == report["viewers"]
    assert again["sales"] == report["sales"]


async def test_who_may_read_a_report(running) -> None:
    show = await factory.show(running)
    admin = await factory.admin_token(running)
    url = REPORT.format(show.stream_id)
    status, body = await running.call("GET", url, show.host)
    assert (status, body["error"]["code"]) == (409, "report_not_started")
    await factory.go_live(running, show.stream_id)
    other_host = await factory.account(running, "host")
    other_seller = await factory.account(running, "seller")
    status, _ = await running.call(
        "POST", "/api/sellers", other_seller, json={"name": "Other", "country": "PL"}
    )
    assert status == 201
    for token in (other_host, other_seller, show.viewer, show.moderator):
        status, body = await running.call("GET", url, token)
        assert (status, body["error"]["code"]) == (403, "report_forbidden")
        status, body = await running.call("GET", url + ".csv", token)
        assert (status, body["error"]["code"]) == (403, "report_forbidden")
    status, body = await running.call("GET", url)
    assert (status, body["error"]["code"]) == (401, "auth_required")
    for token in (show.host, admin):
        status, body = await running.call("GET", url, token)
        assert status == 200 and body["scope"] == "all" and body["final"] is False
    status, body = await running.call("GET", url, show.seller)
    assert status == 200 and body["scope"] == "seller"
    assert sorted(p["product_id"] for p in body["products"]) == sorted(show.product_ids)
    status, body = await running.call("GET", REPORT.format(999999), show.host)
    assert (status, body["error"]["code"]) == (404, "stream_not_found")


async def test_a_show_ended_before_it_went_live_has_no_report_and_logs_no_fault(
    running, caplog: pytest.LogCaptureFixture
) -> None:
    show = await factory.show(running)
    status, body = await running.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
    assert status == 200, body
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    status, body = await running.call("GET", REPORT.format(show.stream_id), show.host)
    assert (status, body["error"]["code"]) == (409, "report_not_started")


async def test_csv_and_charts(running) -> None:
    show, _, _ = await drive_show([running])
    await final_report(running, show.host, show.stream_id, 4, settled(show))
    url = REPORT.format(show.stream_id)
    headers = {"Authorization": f"Bearer {show.seller}"}
    async with running.http.get(running.url + url + ".csv", headers=headers) as resp:
        assert resp.status == 200 and resp.content_type == "text/csv"
        rows = list(csv.reader(io.StringIO(await resp.text())))
    assert rows[0][:3] == ["product_id", "title", "seller_id"]
    by_id = {int(row[0]): row for row in rows[1:]}
    assert by_id[show.product_ids[0]][8:10] == ["EUR", "3998"]
    assert by_id[show.product_ids[1]][8:10] == ["EUR", "2000"]
    for chart, mark in (("viewers", 'class="pin"'), ("sales", 'class="bar"'), ("funnel", "bar")):
        async with running.http.get(
            running.url + url + f".svg?chart={chart}", headers=headers
        ) as resp:
            assert resp.status == 200 and resp.content_type == "image/svg+xml"
            svg = await resp.text()
        assert svg.startswith("<svg") and mark in svg, svg[:300]
    status, body = await running.call("GET", url + ".svg?chart=pie", show.host)
    assert (status, body["error"]["code"]) == (400, "bad_query")


async def test_product_seen_is_refused_outside_a_room_and_bad_payloads(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    client = await running.sio(show.viewer)
    ack = await client.call("product_seen", {"product_id": show.product_ids[0]})
    assert ack["error"]["code"] == "not_joined"
    await client.call("join", {"stream_id": show.stream_id})
    for payload in ({}, {"product_id": "x"}, {"product_id": -1}, None):
        ack = await client.call("product_seen", payload)
        assert ack["error"]["code"] in ("bad_payload", "bad_id"), ack


async def test_collection_off_keeps_chat_and_sales(sqlite_backend, start) -> None:
    base = config_for(sqlite_backend)
    run = await start(replace(base, chat=replace(base.chat, show_metrics=False)))
    assert ChatConfig.show_metrics is True
    show, _, _ = await drive_show([run])
    status, report = await run.call("GET", REPORT.format(show.stream_id), show.host)
    assert status == 200 and report["final"], report
    assert report["viewers"]["unique"] == 0 and report["likes"] == 0
    assert report["chat"]["lines"] == 4 and report["sales"]["orders"] == 2


async def test_replay_views_and_orders_reach_the_stored_report(
    sqlite_backend, start, tmp_path
) -> None:
    from tests.server.edge.test_replays import play_a_show  # a show ended with its recording

    run = await start(config_for(sqlite_backend))
    played = await play_a_show(run, tmp_path / "recordings", seconds=3)
    show = played.show
    for token in (show.viewer, show.host, None):
        status, body = await run.call("GET", f"/api/streams/{show.stream_id}/replay", token)
        assert status == 200, body
    buy = {
        "product_id": show.product_ids[0],
        "quantity": 2,
        "idempotency_key": "report-replay-1",
        "pay": True,
    }
    path = f"/api/streams/{show.stream_id}/orders"
    status, order = await run.call("POST", path, show.viewer, json=buy)
    assert status == 201 and order["source"] == "replay" and order["status"] == "paid", order

    def ready(report: dict[str, Any]) -> bool:
        sales = report["sales"]
        return (sales["replay_views"], sales["replay_orders"]) == (3, 1)

    report = await final_report(run, show.host, show.stream_id, 2, ready)
    sales = report["sales"]
    assert (sales["replay_views"], sales["replay_orders"], sales["orders"]) == (3, 1, 1)
    assert sales["gmv"] == [{"currency": "EUR", "minor": 2 * 1999}]
    first = next(p for p in report["products"] if p["product_id"] == show.product_ids[0])
    assert (first["replay_orders"], first["units"]) == (1, 2)
    assert sum(report["series"]["orders"]) == 0  # bought after the show: not in its timeline


@dataclass
class Remote:
    """A server process as the tests' `Running` is used here: HTTP calls and room clients."""

    url: str
    http: aiohttp.ClientSession
    clients: list[socketio.AsyncClient] = field(default_factory=list)

    async def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.url + path, headers=headers, **kw) as resp:
            return resp.status, await resp.json(content_type=None)

    async def sio(self, token: str | None = None) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        auth = {"token": token} if token else None
        await client.connect(self.url, auth=auth, transports=["websocket"])
        self.clients.append(client)
        return client


@pytest.mark.slow
async def test_two_server_processes_count_every_viewer(cluster) -> None:  # noqa: F811
    """PostgreSQL + Redis, the viewers on two `python -m server serve` processes (the host and
    the set-up on a third node in this process): each process writes its own events."""
    node_a, processes = cluster
    remotes = [Remote(node.url, node.http) for node in processes]
    try:
        show, _, _ = await drive_show(remotes, setup=node_a)
        report = await final_report(remotes[1], show.host, show.stream_id, 4, settled(show))
        check_figures(report, show)
    finally:
        for remote in remotes:
            for client in remote.clients:
                await client.disconnect()
