"""What measuring the show report costs: server CPU per viewer-second and per chat line with the
report's collection on and off (`SHOPCAST_SHOW_METRICS`), in one run.

Each round starts one `python -m server serve` on SQLite in a temporary folder, once with the
collection off and once on (rounds alternate off, on, off, on, so a machine that gets busier
weighs on both), and drives one show's room with python-socketio clients from this process:

1. viewers: V guests in the room for S seconds, each doing what a watch page does: a card
   shown every 5 s (`product_seen`), a like every 2 s, and a leave and a join every `--churn`
   seconds (a viewer session's two events); server CPU / (V x S) is the CPU per viewer-second.
2. chat: the same viewers listening, G guest senders post one line a second each (the room's
   rate limit) for S seconds; server CPU / lines sent is the CPU per chat line (each line goes
   to every viewer: the figure includes the fan-out).

3. the collection alone, in this process: the report's buffer (`ShowMetrics`) takes the same
   mix of events and writes them to a SQLite database, one event a flush and 200, timed with
   the process's own CPU clock: µs per event taken and written, and per flush (a node writes
   once every 2 s whatever its viewers), figures a shared machine's noise moves little. With
   the events a viewer sends a second, they give the collection's share of the measured CPU
   per viewer-second ("estimated overhead").

The server's CPU (user + system) comes from /proc; the load runs in this process and shares
the machine's cores (`--server-cpus 0` pins the server with taskset). Each figure is the median
over the rounds; "overhead" is on against off.

    .venv/bin/python bench/report_cost.py                       # defaults: about a minute
    .venv/bin/python bench/report_cost.py --viewers 200 --seconds 20 --rounds 3

Prints a table and writes bench/results/report_cost.json (`--out` elsewhere), with the
machine, the commit and the time of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import processes, report  # noqa: E402
from bench.harness.processes import Child  # noqa: E402
from bench.harness.record import Record  # noqa: E402
from bench.harness.report import Column  # noqa: E402
from bench.harness.usage import cpu_times  # noqa: E402
from chat.show_metrics import FLUSH_EVERY_S  # noqa: E402
from server.core.services.show_reports import ShowMetrics  # noqa: E402
from server.core.store.db import Database, migrate_url  # noqa: E402
from server.core.store.rows import Stream, User  # noqa: E402

SEEN_EVERY_S = 5.0
LIKE_EVERY_S = 2.0
COLUMNS = (
    Column("metrics", "mode"),
    Column("viewers", "viewers"),
    Column("µs CPU / viewer-s", "us_per_viewer_s", "{:.1f}"),
    Column("chat lines", "lines"),
    Column("µs CPU / chat line", "us_per_line", "{:.0f}"),
    Column("events written", "events"),
)


class Server:
    def __init__(self, child: Child, url: str) -> None:
        self.child = child
        self.url = url

    def cpu_s(self) -> float:
        return cpu_times(self.child.pid).total


async def start(mode: str, folder: Path, cpus: str | None) -> Server:
    port = processes.free_port()
    env = os.environ | {
        "SHOPCAST_SECRET": secrets.token_urlsafe(48),
        "SHOPCAST_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/shopcast-{mode}.db",
        "SHOPCAST_PAYMENTS": "test",
        "SHOPCAST_ALLOW_TEST_PAYMENTS": "1",
        "SHOPCAST_LIMIT_GUEST": "100000/minute",
        "SHOPCAST_LIMIT_SIGN_UP": "100000/minute",
        "SHOPCAST_SHOW_METRICS": mode,
    }
    env.pop("SHOPCAST_REDIS_URL", None)
    log = folder / f"server-{mode}.log"
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "migrate", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    if await migrate.wait() != 0:
        raise RuntimeError("shopcast migrate failed")
    argv = [sys.executable, "-m", "server", "serve", "--port", str(port)]
    child = await processes.start_server(f"shopcast-{mode}", argv, log, cpus=cpus, env=env)
    url = f"http://127.0.0.1:{port}"
    await processes.wait_serving(child, url, log=log)
    return Server(child, url)


async def call(http: aiohttp.ClientSession, url: str, path: str, token: str | None = None,
               **kw: Any) -> Any:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(url + path, headers=headers, **kw) as resp:
        body = await resp.json()
        if resp.status >= 300:
            raise RuntimeError(f"POST {path}: {resp.status} {body}")
        return body


async def world(
    http: aiohttp.ClientSession, url: str, people: int
) -> tuple[int, list[int], list[str]]:
    """A shop with two products, a host's show with them, and `people` guest tokens."""
    seq = secrets.token_hex(3)

    async def account(role: str) -> str:
        body = {"email": f"{role}-{seq}@example.test", "password": "correct horse",
                "display_name": role.title(), "role": role}  # fmt: skip
        return (await call(http, url, "/api/accounts", json=body))["token"]

    seller, host = await account("seller"), await account("host")
    await call(http, url, "/api/sellers", seller, json={"name": "Shop", "country": "PL"})
    products = []
    for i in range(2):
        body = {"title": f"Product {i}", "price_minor": 1000, "currency": "EUR", "stock": 100}
        products.append((await call(http, url, "/api/products", seller, json=body))["id"])
    lineup = {"title": "Bench", "language": "en", "product_ids": products}
    show = await call(http, url, "/api/streams", host, json=lineup)
    guests = await asyncio.gather(*(
        call(http, url, "/api/auth/guest", json={"display_name": f"G{i}"}) for i in range(people)
    ))  # fmt: skip
    return show["id"], products, [g["token"] for g in guests]


async def connect(url: str, token: str, stream_id: int) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, auth={"token": token}, transports=["websocket"])
    ack = await client.call("join", {"stream_id": stream_id}, timeout=30)
    if not ack.get("ok"):
        raise RuntimeError(f"join refused: {ack}")
    return client


async def watch(client: socketio.AsyncClient, stream_id: int, products: list[int], until: float,
                churn_s: float, offset: float) -> None:  # fmt: skip
    """What one watch page sends while it is open, its clock shifted by `offset`."""
    cards = itertools.cycle(products)
    now = time.monotonic()
    next_seen = now + offset * SEEN_EVERY_S
    next_like = now + offset * LIKE_EVERY_S
    next_churn = now + offset * churn_s
    while (now := time.monotonic()) < until:
        if now >= next_seen:
            await client.emit("product_seen", {"product_id": next(cards)})
            next_seen += SEEN_EVERY_S
        if now >= next_like:
            await client.emit("like", {"count": 1})
            next_like += LIKE_EVERY_S
        if now >= next_churn:
            await client.call("leave", {}, timeout=30)
            await client.call("join", {"stream_id": stream_id}, timeout=30)
            next_churn += churn_s
        due = min(next_seen, next_like, next_churn, until)
        await asyncio.sleep(max(0.0, due - time.monotonic()))


async def send_lines(client: socketio.AsyncClient, until: float, index: int) -> int:
    sent = 0
    while time.monotonic() < until:
        ack = await client.call("send_message", {"text": f"line {index}-{sent}"}, timeout=30)
        if ack.get("ok"):
            sent += 1
        await asyncio.sleep(1.0)
    return sent


async def one_round(mode: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    server = await start(mode, folder, args.server_cpus)
    clients: list[socketio.AsyncClient] = []
    try:
        async with aiohttp.ClientSession() as http:
            stream_id, products, tokens = await world(http, server.url, args.viewers + args.senders)
        viewers = [await connect(server.url, t, stream_id) for t in tokens[: args.viewers]]
        senders = [await connect(server.url, t, stream_id) for t in tokens[args.viewers :]]
        clients = viewers + senders
        await asyncio.sleep(1.0)  # the joins' tick written before measuring

        before = server.cpu_s()
        until = time.monotonic() + args.seconds
        await asyncio.gather(*(
            watch(c, stream_id, products, until, args.churn, i / len(viewers))
            for i, c in enumerate(viewers)
        ))  # fmt: skip
        viewer_cpu = server.cpu_s() - before

        before = server.cpu_s()
        until = time.monotonic() + args.seconds
        lines = sum(await asyncio.gather(*(send_lines(c, until, i) for i, c in enumerate(senders))))
        await asyncio.sleep(0.5)  # the last lines' fan-out
        chat_cpu = server.cpu_s() - before
    finally:
        for client in clients:
            await client.disconnect()
        await server.child.stop(grace_s=5)
    events = await count_events(folder / f"shopcast-{mode}.db")
    return {
        "mode": mode,
        "viewers": args.viewers,
        "us_per_viewer_s": viewer_cpu / (args.viewers * args.seconds) * 1e6,
        "lines": lines,
        "us_per_line": chat_cpu / max(lines, 1) * 1e6,
        "events": events,
    }


def _take(metrics: ShowMetrics, i: int) -> None:
    """One event of a watch page's mix: a join, a leave, a card view, a like."""
    kind = i % 4
    if kind == 0:
        metrics.joined(1, f"sid{i}", f"g:{i}")
    elif kind == 1:
        metrics.left(1, f"sid{i - 1}", f"g:{i - 1}")
    elif kind == 2:
        metrics.seen(1, 1 + i % 2, f"g:{i}")
    else:
        metrics.liked(1, 1)


async def _flushes(metrics: ShowMetrics, events: int, batch: int) -> tuple[float, float]:
    """CPU seconds taking `events` events and writing them `batch` a flush."""
    taken = written = 0.0
    for start in range(0, events, batch):
        began = time.process_time()
        for i in range(start, min(events, start + batch)):
            _take(metrics, i)
        appended = time.process_time()
        await metrics.flush()
        taken += appended - began
        written += time.process_time() - appended
    return taken, written


async def collection_cost(folder: Path, events: int) -> dict[str, float]:
    """CPU µs of the report's buffer: per event taken on the hot path, per event written, and
    per flush (its transaction), from flushes of one event and of 200."""
    url = f"sqlite+aiosqlite:///{folder}/collection.db"
    await migrate_url(url)
    db = Database(url)
    try:
        async with db.writing() as session:
            user = User(email="h@example.test", password_hash="x", display_name="H", role="host")
            session.add(user)
            await session.flush()
            session.add(Stream(id=1, host_id=user.id, title="t", language="en", stream_key="k"))
        metrics = ShowMetrics(db)
        singles = max(events // 50, 50)
        _, one = await _flushes(metrics, singles, 1)
        taken, many = await _flushes(metrics, events, 200)
    finally:
        await db.close()
    flushes = -(-events // 200)
    per_flush = one / singles  # a flush of one row: its transaction, nearly all of it
    per_row = max(0.0, (many - flushes * per_flush) / events)
    return {"take_us": taken / events * 1e6, "write_us": per_row * 1e6, "flush_us": per_flush * 1e6}


async def count_events(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM show_events").fetchone()[0])


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for mode in ("off", "on"):
        mine = [r for r in rows if r["mode"] == mode]
        out.append({
            "mode": f"{mode} (median)",
            "viewers": mine[0]["viewers"],
            "us_per_viewer_s": statistics.median(r["us_per_viewer_s"] for r in mine),
            "lines": sum(r["lines"] for r in mine) // len(mine),
            "us_per_line": statistics.median(r["us_per_line"] for r in mine),
            "events": sum(r["events"] for r in mine) // len(mine),
        })  # fmt: skip
    return out


async def main(args: argparse.Namespace) -> None:
    record = Record.begin()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="shopcast-report-cost-") as tmp:
        for n, mode in enumerate(["off", "on"] * args.rounds):
            rows.append(await one_round(mode, args, _folder(tmp, n)))
            report.progress(COLUMNS, rows)
        alone = await collection_cost(_folder(tmp, len(rows)), args.events)
    medians = summary(rows)
    off, on = medians
    # What one viewer sends a second that the collection records (likes are summed per
    # second, so counting each is an upper bound), and a node's flushes shared by its viewers.
    per_viewer_s = 1 / SEEN_EVERY_S + 1 / LIKE_EVERY_S + 2 / args.churn
    estimated_us = per_viewer_s * (alone["take_us"] + alone["write_us"]) + alone["flush_us"] / (
        FLUSH_EVERY_S * args.viewers
    )
    overhead = {
        "viewer_s_pct": (on["us_per_viewer_s"] / off["us_per_viewer_s"] - 1) * 100,
        "chat_line_pct": (on["us_per_line"] / off["us_per_line"] - 1) * 100,
        "estimated_viewer_s_pct": estimated_us / off["us_per_viewer_s"] * 100,
        "estimated_chat_line_pct": 0.0,  # a chat line writes no report event
    }
    print()
    print(report.table(COLUMNS, medians))
    print(f"measured, on against off: {overhead['viewer_s_pct']:+.1f} % per viewer-second, "
          f"{overhead['chat_line_pct']:+.1f} % per chat line")  # fmt: skip
    print(f"the collection alone: {alone['take_us']:.1f} µs to take an event, "
          f"{alone['write_us']:.1f} µs to write it, {alone['flush_us']:.0f} µs a flush "
          f"(one every {FLUSH_EVERY_S:g} s per node); {per_viewer_s:.2f} events a viewer-second: "
          f"{estimated_us:.1f} µs per viewer-second, estimated overhead "
          f"{overhead['estimated_viewer_s_pct']:+.2f} % per viewer-second "
          "and 0 % per chat line (no report event; target: under 5 %)")  # fmt: skip
    given = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    result = {"args": given, "collection": alone, "rounds": rows, "medians": medians,
              "overhead": overhead}  # fmt: skip
    report.write_json(args.out, result, record)


def _folder(tmp: str, n: int) -> Path:
    folder = Path(tmp) / str(n)
    folder.mkdir()
    return folder


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--viewers", type=int, default=50, help="viewers in the room (default 50)")
    add("--senders", type=int, default=10, help="guests posting a line a second each (10)")
    add("--seconds", type=float, default=10.0, help="length of each phase (10 s)")
    add("--churn", type=float, default=5.0, help="a viewer leaves and joins again this often (5 s)")
    add("--rounds", type=int, default=2, help="rounds of off then on (2)")
    add("--events", type=int, default=20_000, help="events the collection alone takes (20000)")
    add("--server-cpus", type=processes.cpu_list, default=None, help="taskset CPU list")
    add("--out", type=Path, default=ROOT / "bench" / "results" / "report_cost.json")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
