"""Chat fan-out benchmark: how many chat deliveries one Shopcast node carries, one run.

N viewers in one show's room (lightweight Socket.IO clients, a thousand per load-generator
process, speaking Engine.IO v4 / Socket.IO v5 over bare sockets with their own WebSocket
framing, a few µs per frame, so the load takes little of the cores it shares) and a few guest
senders that post M chat messages per second between them, plus likes, for a fixed time. Each
message's text carries its id and its send time on CLOCK_MONOTONIC (one clock for every process
on this machine); every viewer records each id once, so latency and loss are exact per viewer.
A frame that carries several messages (Shopcast's `batch`) counts each message inside; one
viewer per process also parses every frame in full and checks the fast count against it.
Viewers join without a token, as the watch page does before sign-in. The senders are in the room
too, so their copies count as deliveries. "Lost" is what an open viewer had not received when
the drain ended (everything arrived, nothing more for 2 s, or `--drain` seconds after the last
send): a server that falls behind shows it as loss, not only as latency.

The server under test runs alone in its own process: Shopcast from `create_app` on SQLite in a
temporary folder (a host, a show and the guest senders made through the HTTP API, chat rate
limits raised through its Config), and, in the same run, a plain python-socketio server whose
handler re-emits each message to the room (no batching, no database; it acks likes and never
broadcasts them, so the two differ in chat fan-out only). CPU and memory come from
/proc. The load generators share the machine's cores with the server: on a small machine they
take a good part of it, so the figures are a floor for what the node alone would do;
`--server-cpus 0 --load-cpus 1` puts the server and the load on cores of their own (taskset).

    .venv/bin/python bench/chat.py                     # defaults below, about five minutes
    .venv/bin/python bench/chat.py --viewers 200 --rates 10 100 --extra --seconds 5
    .venv/bin/python bench/chat.py --viewers 5000 --extra --servers shopcast --workers 1 2

`--workers 1 2` runs Shopcast, for each N, as `shopcast serve --workers N` runs it (the
Supervisor of server/edge/workers.py: N processes on one port with SO_REUSEPORT, WebSocket-only
Socket.IO when N > 1; each worker is this script, so the senders' raised chat limits hold) on a
fresh PostgreSQL database (`--workers-db sqlite`: SQLite) and a flushed Redis database, side by
side in one run, with each process's CPU in the JSON; without it, the embedded server as above.

`--show-metrics on off` runs Shopcast, for each, with the show report's collection (viewer
sessions, card views, likes per second: ChatConfig.show_metrics) on or off, side by side in one
run, and tells the server CPU per 1k deliveries of "on" against "off" in % (issue 14's target:
under 5 % more); without it, ChatConfig's default (and the table and JSON as before).

Prints a table and writes bench/results/chat.json (`--out` elsewhere), with the machine, the
commit and the time of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientWebSocketResponse, TCPConnector, WSMsgType, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import backends, processes, report, sio, usage  # noqa: E402
from bench.harness.processes import Child, command, say  # noqa: E402
from bench.harness.record import Record  # noqa: E402
from bench.harness.report import LATENCY_COLUMNS, Column, merged, quantile  # noqa: E402
from bench.harness.report import shown_number as number  # noqa: E402
from bench.harness.sio import HANDSHAKE_TIMEOUT_S, SOCKET_PATH, Refused, reason  # noqa: E402
from bench.harness.usage import Sample  # noqa: E402

HANDSHAKES_IN_FLIGHT = 25  # per load process: the server never sees a stampede
BUCKET_NS = 100_000  # latency histogram resolution: 0.1 ms
PASSWORD = "bench-password-1"
# A chat line this benchmark sent: "bench <message id> <send time, CLOCK_MONOTONIC ns>", found as
# a whole JSON string, so a message counts wherever a frame carries it (alone or in a batch).
MARK = re.compile(rb'"bench (\d+) (\d+)"')
TEXT = re.compile(r"bench \d+ \d+")


# -- the servers under test --------------------------------------------------------------------


def shopcast_app(
    folder: str, port: int, pool: Pool | None = None, show_metrics: str = ""
) -> web.Application:
    from chat.config import ChatConfig
    from server.core.store.db import migrate_url
    from server.edge.app import create_app
    from server.edge.config import AuthConfig, Config, PaymentsConfig

    # The senders are a handful of people posting for a whole room: lift their per-person
    # limits so the benchmark measures fan-out, not the rate limiter.
    chat = replace(
        ChatConfig(), rate_burst=1000, rate_refill_s=0.001, like_burst=1000, like_refill_s=0.001
    )
    if show_metrics:  # `--show-metrics on off`: the show report's collection, as told
        chat = replace(chat, show_metrics=show_metrics == "on")
    if pool is not None:  # one of `shopcast serve --workers N`'s workers, as cli.py makes them
        chat = replace(chat, redis_channel=pool.channel, transports=pool.transports)
    config = Config(
        database_url=pool.database_url if pool else f"sqlite+aiosqlite:///{folder}/chat.db",
        redis_url=pool.redis_url if pool else None,
        worker=pool.worker if pool else 0,
        secret=pool.secret if pool else secrets.token_urlsafe(48),
        port=port,
        chat=chat,
        payments=PaymentsConfig.test(),
        # Every guest sender takes its token from this one address.
        auth=AuthConfig(guest_per_address="100000/minute"),
    )
    if pool is None:
        asyncio.run(migrate_url(config.database_url))  # what `shopcast migrate` does
    return create_app(config)


def baseline_app() -> web.Application:
    """Plain python-socketio: each message is re-emitted to the room as it comes."""
    import socketio

    sio = socketio.AsyncServer(async_mode="aiohttp", logger=False, engineio_logger=False)
    ids = iter(range(1, 1 << 62))

    async def join(sid: str, data: Any) -> dict:
        await sio.enter_room(sid, "room")
        return {"ok": True}

    async def send_message(sid: str, data: Any) -> dict:
        message = {"id": next(ids), "text": str(data["text"])}
        await sio.emit("chat_message", message, room="room")
        return {"ok": True, "message": message}

    async def like(sid: str, data: Any) -> dict:
        return {"ok": True}  # acked, never broadcast: the comparison is about chat fan-out

    for name, handler in (("join", join), ("send_message", send_message), ("like", like)):
        sio.on(name, handler)
    app = web.Application()
    sio.attach(app)
    app.router.add_get("/healthz", healthz)
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def serve(kind: str, port: int, folder: str, show_metrics: str = "") -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    app = shopcast_app(folder, port, None, show_metrics) if kind == "shopcast" else baseline_app()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@dataclass(frozen=True)
class Pool:
    """What one worker of a `--workers N` server is given: the shared database and Redis."""

    database_url: str
    redis_url: str
    channel: str
    secret: str
    worker: int = 0
    transports: tuple[str, ...] = ("polling", "websocket")


def serve_pool(args: argparse.Namespace) -> None:
    """Shopcast as `shopcast serve --workers N` runs it (server/edge/workers.py's Supervisor:
    N processes on one port with SO_REUSEPORT, WebSocket-only Socket.IO when N > 1), each
    worker this script in the role "worker" so it keeps the senders' raised chat limits, which
    no SHOPCAST_* variable sets. One worker is one process, as `--workers 1` is."""
    import logging

    from server.core.store.db import migrate_url
    from server.edge.workers import Supervisor

    logging.basicConfig(level=logging.WARNING)
    args.database_url = args.database_url or f"sqlite+aiosqlite:///{args.folder}/chat.db"
    asyncio.run(migrate_url(args.database_url))  # what `shopcast migrate` does, once
    if args.workers_n == 1:
        serve_worker(args, 0)
        return
    flags = {
        k: getattr(args, k.replace("-", "_"))
        for k in ("port", "folder", "database-url", "redis-url", "channel", "secret")
    }
    if args.show_metrics:
        flags["show-metrics"] = args.show_metrics[0]

    def command(index: int) -> list[str]:
        return processes.script(__file__, "worker", flags | {"worker": index})

    sys.exit(Supervisor(command, args.workers_n).run())


def serve_worker(args: argparse.Namespace, index: int) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    transports = ("websocket",) if index else ("polling", "websocket")
    pool = Pool(args.database_url, args.redis_url, args.channel, args.secret, index, transports)
    show_metrics = args.show_metrics[0] if args.show_metrics else ""
    app = shopcast_app(args.folder, args.port, pool, show_metrics)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None,
                reuse_port=bool(index) or None)  # fmt: skip


# -- a lightweight Socket.IO client ------------------------------------------------------------


async def next_text(ws: ClientWebSocketResponse) -> str:
    msg = await ws.receive()
    if msg.type is WSMsgType.TEXT:
        return msg.data
    raise Refused(f"closed during handshake ({msg.type.name.lower()})")


async def until(ws: ClientWebSocketResponse, prefixes: tuple[str, ...]) -> str:
    """The next packet starting with one of `prefixes`, answering pings on the way."""
    while True:
        text = await next_text(ws)
        if text == "2":
            await ws.send_str("3")
        elif text.startswith(prefixes):
            return text


async def open_room(
    http: ClientSession, url: str, token: str | None, stream_id: int
) -> ClientWebSocketResponse:
    """Engine.IO open, Socket.IO connect to "/" with auth, then `join` with ack id 0."""
    async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
        ws = await http.ws_connect(url + SOCKET_PATH, max_msg_size=0)
        try:
            if not (await next_text(ws)).startswith("0"):
                raise Refused("no Engine.IO open packet")
            await ws.send_str("40" + json.dumps({"token": token} if token else {}))
            reply = await until(ws, ("40", "44"))
            if reply.startswith("44"):
                raise Refused(json.loads(reply[2:] or "{}").get("message", "refused"))
            await ws.send_str("420" + json.dumps(["join", {"stream_id": stream_id}]))
            answer = json.loads((await until(ws, ("430",)))[3:])[0]
            if not answer.get("ok"):
                raise Refused(answer.get("error", {}).get("code", "join refused"))
        except BaseException:
            await ws.close()
            raise
    return ws


# -- viewers: count every message once, never render --------------------------------------------


@dataclass(eq=False)
class Viewer:
    check: bool  # parse every frame in full and compare with the fast count
    seen: bytearray = field(default_factory=bytearray)
    received: int = 0
    duplicates: int = 0
    chat_frames: int = 0
    open: bool = True


@dataclass
class Tally:
    """One load process's viewers together: a latency histogram and a few counters."""

    hist: dict[int, int] = field(default_factory=dict)
    max_ns: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # handshakes that failed, by reason
    disconnected: int = 0  # joined viewers the server dropped before the end
    reader_errors: dict[str, int] = field(default_factory=dict)  # how some of those ended
    stopping: bool = False
    mismatches: int = 0
    checked_events: dict[str, int] = field(default_factory=dict)
    checked_likes: int = 0

    def fail(self, why: str, into: dict[str, int] | None = None) -> None:
        counts = self.failures if into is None else into
        counts[why] = counts.get(why, 0) + 1

    def frame(self, viewer: Viewer, data: bytes) -> None:
        now = time.monotonic_ns()
        found = MARK.findall(data)
        if viewer.check:
            self.check(data.decode(), len(found))
        if not found:
            return
        viewer.chat_frames += 1
        seen, hist = viewer.seen, self.hist
        for ident, sent in found:
            i = int(ident)
            if i >= len(seen):
                seen.extend(bytes(i + 4096 - len(seen)))
            if seen[i]:
                viewer.duplicates += 1
                continue
            seen[i] = 1
            viewer.received += 1
            late = now - int(sent)
            bucket = late // BUCKET_NS
            hist[bucket] = hist.get(bucket, 0) + 1
            if late > self.max_ns:
                self.max_ns = late

    def check(self, data: str, fast_count: int) -> None:
        """The slow way, on one viewer per process: the events as a real client unpacks them."""
        event = json.loads(data[2:])
        batch = event[0] == "batch" and len(event) > 1 and isinstance(event[1], list)
        events = event[1] if batch else [event]
        for event_name, *payload in events:
            self.checked_events[event_name] = self.checked_events.get(event_name, 0) + 1
            if event_name == "likes" and payload and isinstance(payload[0], dict):
                self.checked_likes += int(payload[0].get("added", 0))
        if sum(1 for text in strings(events) if TEXT.fullmatch(text)) != fast_count:
            self.mismatches += 1


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


class BareViewer(sio.BareSocket):
    """A viewer on a bare socket (bench/harness/sio.py): every chat frame straight to the
    tally, a few µs each."""

    def __init__(self, viewer: Viewer, tally: Tally, host: str) -> None:
        super().__init__(host)
        self.viewer, self.tally = viewer, tally

    def event(self, data: bytes) -> None:
        self.tally.frame(self.viewer, data)

    def connection_lost(self, exc: Exception | None) -> None:
        joined = self.handshake is None
        super().connection_lost(exc)
        if joined and self.viewer.open:
            self.viewer.open = False
            if not self.tally.stopping:
                self.tally.disconnected += 1
                self.tally.fail(type(exc).__name__ if exc else "closed", self.tally.reader_errors)


async def open_bare(url: str, stream_id: int, viewer: Viewer, tally: Tally) -> BareViewer:
    return await sio.open_socket(url, stream_id, lambda address: BareViewer(viewer, tally, address))


async def connect_all(args: argparse.Namespace, tally: Tally) -> list[BareViewer]:
    """Open `count` viewers at `rate` per second, a bounded number of handshakes at once."""
    gate = asyncio.Semaphore(HANDSHAKES_IN_FLIGHT)
    joined: list[BareViewer] = []

    async def one(n: int) -> None:
        async with gate:
            try:
                joined.append(await open_bare(args.url, args.stream_id, Viewer(n == 0), tally))
            except Exception as exc:  # refused, timed out, reset: counted by reason
                tally.fail(reason(exc))

    tasks = []
    for n in range(args.count):
        tasks.append(asyncio.create_task(one(n)))
        await asyncio.sleep(1 / args.connect_rate)
    await asyncio.gather(*tasks)
    return joined


async def run_viewers(args: argparse.Namespace) -> None:
    tally = Tally()
    joined = await connect_all(args, tally)
    viewers = [bare.viewer for bare in joined]
    say({"connected": len(viewers), "failures": tally.failures})
    while line := await asyncio.to_thread(sys.stdin.readline):
        command, _, value = line.partition(" ")
        expected = int(value or 0)
        if command == "missing":  # still on the way to viewers that are open
            say(sum(max(0, expected - v.received) for v in viewers if v.open))
        elif command == "stop":
            tally.stopping = True
            say(viewer_result(tally, viewers, expected))
            break
    for bare in joined:
        if bare.transport is not None:
            bare.transport.close()


def viewer_result(tally: Tally, viewers: list[Viewer], expected: int) -> dict:
    lost = [max(0, expected - v.received) for v in viewers]
    return {
        "connected": len(viewers),
        "failures": tally.failures,
        "disconnected": tally.disconnected,
        "reader_errors": tally.reader_errors,
        "deliveries": sum(v.received for v in viewers),
        "chat_frames": sum(v.chat_frames for v in viewers),
        "duplicates": sum(v.duplicates for v in viewers),
        "lost": sum(lost),
        "lost_max_per_viewer": max(lost, default=0),
        "viewers_with_loss": sum(1 for n in lost if n),
        "hist": tally.hist,
        "max_ns": tally.max_ns,
        "checked_mismatches": tally.mismatches,
        "checked_events": tally.checked_events,
        "checked_likes": tally.checked_likes,
    }


# -- senders: guests posting at a steady rate ---------------------------------------------------


@dataclass(eq=False)
class Sender:
    ws: ClientWebSocketResponse
    pending: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # ack id -> what
    next_ack: int = 1

    async def emit(self, event: str, data: Any, kind: str, number: int) -> None:
        ack, self.next_ack = self.next_ack, self.next_ack + 1
        self.pending[ack] = (kind, number, time.monotonic_ns())
        await self.ws.send_str(f"42{ack}" + json.dumps([event, data]))


@dataclass
class Book:
    """What the senders sent and what the server answered."""

    refused: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> code -> count
    refused_chat: set[int] = field(default_factory=set)
    acked: dict[str, int] = field(default_factory=dict)
    ack_ms: list[float] = field(default_factory=list)
    deliveries: int = 0  # chat messages delivered to the senders (they are in the room too)
    window: bool = False

    def answer(self, sender: Sender, data: str) -> None:
        split = data.index("[")
        kind, number, sent = sender.pending.pop(int(data[2:split]), ("?", 0, 0))
        answer = json.loads(data[split:])[0]
        if kind == "chat" and self.window:
            self.ack_ms.append((time.monotonic_ns() - sent) / 1e6)
        if isinstance(answer, dict) and answer.get("ok"):
            self.acked[kind] = self.acked.get(kind, 0) + 1
            return
        code = answer.get("error", {}).get("code", "?") if isinstance(answer, dict) else "?"
        codes = self.refused.setdefault(kind, {})
        codes[code] = codes.get(code, 0) + 1
        if kind == "chat":
            self.refused_chat.add(number)


async def read_acks(sender: Sender, book: Book) -> None:
    try:
        async for msg in sender.ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            data = msg.data
            if data.startswith("43"):
                book.answer(sender, data)
            elif data.startswith("42"):
                book.deliveries += len(MARK.findall(data.encode()))
            elif data == "2":
                await sender.ws.send_str("3")
    except Exception:  # the run reports unanswered sends; nothing else to do here
        return


NO_LIKES = "the server has no `like` event: likes skipped"


async def likes_supported(sender: Sender, book: Book) -> bool:
    """One probe tap: a server without a `like` event answers an error or nothing at all."""
    await sender.emit("like", {}, "probe", 0)
    for _ in range(100):
        if book.acked.get("probe") or book.refused.get("probe"):
            break
        await asyncio.sleep(0.05)
    return bool(book.acked.get("probe"))


async def paced(count: int, rate: float, send: Any) -> None:
    """Call `send(k)` for k in 0..count-1 on a steady schedule (catching up when late)."""
    start = time.monotonic()
    for k in range(count):
        delay = start + k / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(k)


async def run_senders(args: argparse.Namespace) -> None:
    book = Book()
    tokens = json.loads(await asyncio.to_thread(Path(args.tokens).read_text))
    async with ClientSession(connector=TCPConnector(limit=0)) as http:
        senders = [Sender(await open_room(http, args.url, t, args.stream_id)) for t in tokens]
        readers = [asyncio.create_task(read_acks(s, book)) for s in senders]
        likes = args.likes > 0 and await likes_supported(senders[0], book)
        say({"likes": "on" if likes else "off" if args.likes <= 0 else NO_LIKES})

        async def chat(k: int) -> None:
            text = f"bench {k} {time.monotonic_ns()}"
            await senders[k % len(senders)].emit("send_message", {"text": text}, "chat", k)

        async def like(k: int) -> None:
            await senders[(k * 7 + 3) % len(senders)].emit("like", {}, "like", k)

        async def warm(k: int) -> None:
            await senders[k % len(senders)].emit("send_message", {"text": "warm-up"}, "warm", k)

        await command("warm")
        await paced(5, 10.0, warm)
        say("warm")
        await command("go")
        book.window = True
        count = int(args.rate * args.seconds)
        jobs = [paced(count, args.rate, chat)]
        if likes:
            jobs.append(paced(int(args.likes * args.seconds), args.likes, like))
        await asyncio.gather(*jobs)
        say({"sent": count})
        while (await command("expected", "stop")) == "expected":
            say(count - len(book.refused_chat))
        say(sender_result(book, senders, count))
        for task in readers:
            task.cancel()


def sender_result(book: Book, senders: list[Sender], count: int) -> dict:
    unacked = sum(1 for s in senders for kind, *_ in s.pending.values() if kind == "chat")
    return {
        "sent": count,
        "expected": count - len(book.refused_chat),
        "acked": book.acked,
        "refused": book.refused,
        "unacked": unacked,
        "ack_ms_p50": quantile(book.ack_ms, 0.5),
        "ack_ms_p99": quantile(book.ack_ms, 0.99),
        "deliveries": book.deliveries,
    }


# -- orchestration -----------------------------------------------------------------------------

SETTLE_S = 1.0  # after the last join: viewer counts go out, queues empty
STALL_S = 2.0  # the drain ends when nothing more arrives for this long


async def post_json(http: ClientSession, url: str, body: dict, token: str = "") -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(url, json=body, headers=headers) as resp:
        answer = await resp.json()
        if resp.status >= 400:
            raise RuntimeError(f"{url}: {resp.status} {answer}")
        return answer


async def seed(url: str, senders: int) -> dict:
    """A host, one show and the guest senders, made through the HTTP API."""
    async with ClientSession() as http:
        host = await post_json(
            http,
            url + "/api/accounts",
            {
                "email": "host@bench.shopcast.test",
                "password": PASSWORD,
                "display_name": "Bench Host",
                "role": "host",
            },
        )
        show = {"title": "Chat benchmark", "language": "en"}
        stream = await post_json(http, url + "/api/streams", show, host["token"])
        guests = [
            await post_json(http, url + "/api/auth/guest", {"display_name": f"Sender {n + 1}"})
            for n in range(senders)
        ]
    return {"stream_id": stream["id"], "tokens": [g["token"] for g in guests]}


async def drain(sender: Child, loads: list[Child], cap_s: float) -> tuple[float, bool]:
    """After the last send: wait until every open viewer has every message, or nothing more
    arrives for STALL_S, or `cap_s` passed. Returns (seconds to the last progress, complete)."""
    start = time.monotonic()
    last, progress_at = -1, start
    while True:
        expected = await sender.ask("expected")
        missing = sum([await load.ask(f"missing {expected}") for load in loads])
        now = time.monotonic()
        if missing == 0:
            return now - start, True
        if missing != last:
            last, progress_at = missing, now
        if now - progress_at >= STALL_S or now - start >= cap_s:
            return progress_at - start, False
        await asyncio.sleep(0.1)


@dataclass(frozen=True)
class Run:
    server: str  # "shopcast" or "baseline"
    viewers: int
    rate: float  # chat messages per second, all senders together
    workers: int | None = None  # `--workers`: worker processes on a shared database and Redis
    show_metrics: str | None = None  # `--show-metrics`: "on" or "off"; None: ChatConfig's default

    @property
    def name(self) -> str:
        workers = f" --workers {self.workers}" if self.workers else ""
        metrics = f" --show-metrics {self.show_metrics}" if self.show_metrics else ""
        return f"{self.server} {self.viewers}x{self.rate:g}{workers}{metrics}"


async def measure(run: Run, args: argparse.Namespace) -> dict:
    async with contextlib.AsyncExitStack() as stack:
        temporary = tempfile.TemporaryDirectory(prefix="shopcast-chat-bench-")
        folder = Path(stack.enter_context(temporary))
        port = processes.free_port()
        flags: dict[str, object] = {"server": run.server, "port": port, "folder": folder}
        if run.show_metrics:
            flags["show-metrics"] = run.show_metrics
        role = "server"
        if run.workers:
            role, flags = "pool", flags | await pool_flags(args, stack) | {"workers-n": run.workers}
        argv = processes.script(__file__, role, flags)
        server = await processes.start_server(
            "server", argv, folder / "server.log", cpus=args.server_cpus
        )
        children = [server]
        try:
            row = await run_load(run, args, f"http://127.0.0.1:{port}", folder, children)
        finally:
            for child in reversed(children):
                await child.stop(grace_s=5.0 if child is server and run.workers else 0.0)
        text = (folder / "server.log").read_text(errors="replace")
        problems = re.findall(r"^(?:WARNING|ERROR|CRITICAL):.*", text, re.M)
        row["server_log_problems"] = len(problems)
        row["server_log_first_problems"] = [line[:300] for line in problems[:5]]
        return row | ({"show_metrics": run.show_metrics} if run.show_metrics else {})
    raise AssertionError("unreachable")  # for type checkers: the stack never swallows errors


async def pool_flags(args: argparse.Namespace, stack: contextlib.AsyncExitStack) -> dict:
    """A fresh database (PostgreSQL, or SQLite in the run's folder) and a flushed Redis database
    for a `--workers` run, with a channel and a secret every worker shares."""
    if args.workers_db == "postgres":
        database_url = await backends.fresh_postgres(args.pg_admin_url, stack, "bench_chat")
    else:
        database_url = ""  # the worker puts it in the folder
    redis_url = await backends.flushed_redis(args.redis_url, args.redis_db, stack)
    return {"database-url": database_url, "redis-url": redis_url,
            "channel": f"bench-chat-{secrets.token_hex(4)}",
            "secret": secrets.token_urlsafe(48)}  # fmt: skip


async def run_load(
    run: Run, args: argparse.Namespace, url: str, folder: Path, children: list[Child]
) -> dict:
    server = children[0]
    await processes.wait_serving(server, url, log=folder / "server.log")
    await processes.wait_workers(server, url, run.workers or 1, log=folder / "server.log")
    if run.server == "shopcast":
        setup = await seed(url, args.senders)
    else:
        setup = {"stream_id": 1, "tokens": [None] * args.senders}
    (folder / "tokens.json").write_text(json.dumps(setup["tokens"]))
    room = {"url": url, "stream-id": setup["stream_id"]}

    def server_pids() -> list[int]:
        return usage.family(server.pid) if run.workers else [server.pid]

    def server_rss() -> int:
        return sum(usage.rss(pid) for pid in server_pids())

    rss = [server_rss()]
    per = args.viewers_per_process
    procs = math.ceil(run.viewers / per)
    for n in range(procs):
        count = min(per, run.viewers - n * per)
        flags = {**room, "count": count, "connect-rate": args.connect_rate / procs}
        argv = processes.script(__file__, "viewers", flags)
        children.append(await Child.start(f"viewers {n}", argv, cpus=args.load_cpus))
    loads = children[1:]
    for load in loads:
        await load.read()  # all its viewers joined (or failed)
    flags = {**room, "tokens": folder / "tokens.json", "rate": run.rate,
             "seconds": args.seconds, "likes": args.likes}  # fmt: skip
    sender = await Child.start(
        "senders", processes.script(__file__, "senders", flags), cpus=args.load_cpus
    )
    children.append(sender)
    likes = (await sender.read())["likes"]
    await sender.ask("warm")
    await asyncio.sleep(SETTLE_S)
    rss.append(server_rss())
    groups = {"server": server_pids(), "load": [c.pid for c in children[1:]]}
    before = Sample.take(groups)
    started = time.monotonic()
    await sender.ask("go")  # answers once the last message of the window has gone
    sending_s = time.monotonic() - started
    drain_s, drained = await drain(sender, loads, args.drain)
    window_s = time.monotonic() - started
    after = Sample.take(groups)
    used = after.since(before)
    cpu = [used["server"], used["load"]]
    was = before.cpu["server"]
    per_process = [now.total - was[pid].total if pid in was else now.total
                   for pid, now in after.cpu["server"].items()]  # fmt: skip
    rss.append(server_rss())
    expected = await sender.ask("expected")
    sent = await sender.ask("stop")
    results = [await load.ask(f"stop {expected}") for load in loads]
    timing = {"sending_s": sending_s, "drain_s": drain_s, "drained": drained,
              "window_s": window_s, "likes": likes}  # fmt: skip
    row = summarize(run, args, sent, results, timing, cpu, rss)
    if not run.workers:
        return row
    first, rest = {"server": row.pop("server")}, row
    cores = [s / window_s for s in per_process]
    return first | {"workers": run.workers, "server_cpu_cores_per_process": cores} | rest


def summarize(
    run: Run, args: argparse.Namespace, sent: dict, results: list[dict], timing: dict,
    cpu: list[float], rss: list[int],
) -> dict:  # fmt: skip
    total = {key: sum(r[key] for r in results) for key in SUMMED}
    deliveries = total["deliveries"] + sent["deliveries"]  # the senders are in the room too
    hist = merged([{int(k): n for k, n in r["hist"].items()} for r in results])
    failures = merged([r["failures"] for r in results])
    if total["disconnected"]:
        failures["dropped by the server during the run"] = total["disconnected"]
    window_s = timing["window_s"]
    active_s = timing["sending_s"] + timing["drain_s"]
    return {
        "server": run.server,
        "viewers": run.viewers,
        "viewers_connected": total["connected"],
        "senders": args.senders,
        "msgs_per_s": run.rate,
        "sent": sent["sent"],
        "sent_per_s": sent["sent"] / timing["sending_s"],
        "expected_per_viewer": sent["expected"],
        "refused": sent["refused"].get("chat", {}),
        "unacked": sent["unacked"],
        "deliveries": deliveries,
        "deliveries_per_s": deliveries / active_s,
        "latency_ms_p50": hist_quantile(hist, 0.5),
        "latency_ms_p99": hist_quantile(hist, 0.99),
        "latency_ms_max": max(r["max_ns"] for r in results) / 1e6,
        "lost": total["lost"],
        "lost_max_per_viewer": max(r["lost_max_per_viewer"] for r in results),
        "viewers_with_loss": total["viewers_with_loss"],
        "duplicates": total["duplicates"],
        "drain_s": timing["drain_s"],
        "drained": timing["drained"],
        "server_cpu_s_per_1k_deliveries": cpu[0] / deliveries * 1000 if deliveries else None,
        "server_cpu_cores": cpu[0] / window_s,
        "server_rss_per_connection_kib": (rss[1] - rss[0])
        / max(1, total["connected"] + args.senders)
        / 1024,
        "server_rss_mib": dict(
            zip(("before", "joined", "end"), [r / 2**20 for r in rss], strict=True)
        ),
        "failures": sum(failures.values()),
        "failure_reasons": failures,
        "reader_errors": merged([r["reader_errors"] for r in results]),
        "msgs_per_frame": total["deliveries"] / max(1, total["chat_frames"]),
        "ack_ms_p50": sent["ack_ms_p50"],
        "ack_ms_p99": sent["ack_ms_p99"],
        "load_cpu_cores": cpu[1] / window_s,
        "likes": timing["likes"],
        "likes_acked": sent["acked"].get("like", 0),
        "likes_refused": sent["refused"].get("like", {}),
        "likes_seen_per_checked_viewer": total["checked_likes"] / len(results),
        "checked_events": merged([r["checked_events"] for r in results]),
        "checked_mismatches": total["checked_mismatches"],
    }


SUMMED = ["connected", "deliveries", "chat_frames", "duplicates", "lost", "viewers_with_loss",
          "disconnected", "checked_likes", "checked_mismatches"]  # fmt: skip


def hist_quantile(hist: dict[int, int], q: float) -> float | None:
    """The upper edge (ms) of the 0.1 ms bucket holding the q-quantile."""
    total = sum(hist.values())
    seen = 0
    for bucket in sorted(hist):
        seen += hist[bucket]
        if seen >= q * total:
            return (bucket + 1) * BUCKET_NS / 1e6
    return None


def undrained(row: dict) -> str:
    return "" if row["drained"] else "+"  # still missing messages when the drain gave up


COLUMNS = [
    Column("server", "server"),
    Column("viewers", "viewers"),
    Column("msgs/s", "msgs_per_s", "{:g}"),
    Column("sent/s", "sent_per_s", "{:.0f}"),
    Column("deliveries/s", "deliveries_per_s", "{:,.0f}"),
    *LATENCY_COLUMNS,
    Column("lost", "lost", "{:,}"),
    Column("drain s", "drain_s", "{:.1f}", mark=undrained),
    Column("CPU s/1k", "server_cpu_s_per_1k_deliveries", "{:.3f}"),
    Column("CPU cores", "server_cpu_cores", "{:.2f}"),
    Column("KiB/conn", "server_rss_per_connection_kib", "{:.0f}"),
    Column("failures", "failures"),
    Column("msgs/frame", "msgs_per_frame", "{:.1f}"),
    Column("load CPU", "load_cpu_cores", "{:.2f}"),
]


WORKERS_COLUMN = Column("workers", "workers")
METRICS_COLUMN = Column("metrics", "show_metrics")


def shown(rows: list[dict]) -> list[dict]:
    """The rows as the table shows them: "-" for a setting the run did not choose."""
    return [row | {k: row.get(k, "-") for k in ("workers", "show_metrics")} for row in rows]


def with_workers(rows: list[dict]) -> list[dict]:
    """The rows as the table shows them: "-" workers for the embedded server."""
    return [row | {"workers": row.get("workers", "-")} for row in rows]


def pool_notes(rows: list[dict]) -> list[str]:
    """What more workers bought, size by size: against the run with the fewest workers."""
    lines = []
    sizes = {(r["viewers"], r["msgs_per_s"]) for r in rows if r.get("workers")}
    for viewers, rate in sorted(sizes):
        runs = sorted((r for r in rows if r.get("workers") and (r["viewers"], r["msgs_per_s"])
                       == (viewers, rate)), key=lambda r: r["workers"])  # fmt: skip
        base = runs[0]
        for r in runs[1:]:
            lines.append(
                f"shopcast {viewers}x{rate:g}: --workers {r['workers']} against"
                f" {base['workers']}: p99 {number(base['latency_ms_p99'])} -> "
                f"{number(r['latency_ms_p99'])} ms, lost {base['lost']:,} -> {r['lost']:,},"
                f" deliveries/s {base['deliveries_per_s']:,.0f} -> {r['deliveries_per_s']:,.0f},"
                f" server CPU {base['server_cpu_cores']:.2f} -> {r['server_cpu_cores']:.2f}"
                " cores (per process: "
                + ", ".join(f"{c:.2f}" for c in r["server_cpu_cores_per_process"])
                + ")"
            )
    if sizes:
        lines.append(
            "workers: `shopcast serve --workers N` as server/edge/workers.py runs it (SO_REUSEPORT"
            " on one port, WebSocket-only when N > 1), on a fresh database and a flushed Redis"
            " database; '-': the embedded run, one process on SQLite without Redis"
        )
    return lines


def metrics_notes(rows: list[dict]) -> list[str]:
    """What the show report's collection costs, size by size: server CPU per 1k deliveries
    with it on against off (issue 14's target: under 5 % more)."""
    lines = []
    runs = {(r["viewers"], r["msgs_per_s"], r.get("workers"), r.get("show_metrics")): r
            for r in rows}  # fmt: skip
    for (viewers, rate, workers, metrics), on in runs.items():
        off = runs.get((viewers, rate, workers, "off"))
        if metrics != "on" or off is None:
            continue
        cost, base = on["server_cpu_s_per_1k_deliveries"], off["server_cpu_s_per_1k_deliveries"]
        if cost is None or not base:
            continue
        more = (cost - base) / base * 100
        name = f"shopcast {viewers}x{rate:g}" + (f" --workers {workers}" if workers else "")
        lines.append(
            f"{name}: show metrics on {cost:.4f} against off {base:.4f} server CPU s per 1k"
            f" deliveries: {more:+.1f} % ({'under' if more < 5 else 'NOT under'} the 5 % target)"
        )
    return lines


def notes(rows: list[dict], args: argparse.Namespace) -> list[str]:
    lines = [
        f"lost: messages an open viewer had not received {args.drain:g} s after the last send"
        " ('+' on the drain time: the drain gave up with messages still missing)"
    ]
    if any(r["likes"] == NO_LIKES for r in rows):
        lines.append(f"likes: {NO_LIKES}")
    for r in rows:
        name = f"{r['server']} {r['viewers']}x{r['msgs_per_s']:g}"
        name += f" --workers {r['workers']}" if r.get("workers") else ""
        odd = {key: r[key] for key in ODDITIES if r[key]}
        if odd:
            lines.append(f"{name}: {odd}")
        if r["server"] == "shopcast" and r["viewers"] >= 5000 and r["msgs_per_s"] >= 100:
            met = (r["latency_ms_p99"] or math.inf) < 250 and not r["lost"] and r["drained"]
            lines.append(
                f"goal (5,000 viewers, 100 msgs/s, p99 < 250 ms, nothing lost) at {name}:"
                f" {'met' if met else 'NOT met'}"
            )
    lines += pool_notes(rows)
    lines += metrics_notes(rows)
    if args.server_cpus or args.load_cpus:
        lines.append(
            f"{os.cpu_count()} cores; the server on CPUs {args.server_cpus or 'any'}, the load"
            f" generators ('load CPU' column, in cores) on CPUs {args.load_cpus or 'any'}"
        )
    else:
        lines.append(
            f"{os.cpu_count()} cores shared by the server and the load generators ('load CPU'"
            " column, in cores): the server's figures are what it does with the rest"
        )
    return lines


ODDITIES = ["refused", "unacked", "duplicates", "checked_mismatches", "failure_reasons",
            "reader_errors", "server_log_problems"]  # fmt: skip


def plan(args: argparse.Namespace) -> list[Run]:
    sizes = [(v, r) for v in args.viewers for r in args.rates]
    for extra in args.extra:
        viewers, _, rate = extra.partition("x")
        sizes.append((int(viewers), float(rate)))
    runs = []
    for v, r in sizes:
        for server in args.servers:
            pools = args.workers if server == "shopcast" and args.workers else [None]
            metrics = args.show_metrics if server == "shopcast" and args.show_metrics else [None]
            runs += [Run(server, v, r, workers, m) for workers in pools for m in metrics]
    return runs


async def main(args: argparse.Namespace) -> None:
    record = Record.begin()
    rows: list[dict] = []
    columns = COLUMNS if not args.workers else [COLUMNS[0], WORKERS_COLUMN, *COLUMNS[1:]]
    if args.show_metrics:
        columns = [columns[0], METRICS_COLUMN, *columns[1:]]
    for run in plan(args):
        rows.append(await measure(run, args))
        report.progress(columns, shown(rows))
    print("\n" + report.table(columns, shown(rows)))
    for line in notes(rows, args):
        print(line)
    settings = {k: v for k, v in vars(args).items() if k in SETTINGS}
    settings["cores"] = os.cpu_count()
    result = {"settings": settings, "rows": rows, "notes": notes(rows, args)}
    report.write_json(args.out, result, record)


SETTINGS = ["viewers", "rates", "extra", "servers", "seconds", "likes", "senders",
            "viewers_per_process", "connect_rate", "drain", "server_cpus", "load_cpus",
            "workers", "workers_db", "show_metrics"]  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--viewers", type=int, nargs="+", default=[1000, 5000], help="room sizes")
    add("--rates", type=float, nargs="+", default=[100.0], help="chat messages per second")
    add("--extra", nargs="*", default=["1000x10", "1000x500"], metavar="VIEWERSxRATE",
        help="more runs besides viewers x rates (give none to run only those)")  # fmt: skip
    add("--servers", nargs="+", choices=["shopcast", "baseline"], default=["shopcast", "baseline"])
    add("--seconds", type=float, default=10.0, help="how long the senders send")
    add("--likes", type=float, default=20.0, help="likes per second, in all (0: none)")
    add("--senders", type=int, default=20, help="guests sharing the message rate")
    add("--viewers-per-process", type=int, default=1000)
    add("--connect-rate", type=float, default=400.0, help="new viewers per second, in all")
    add("--drain", type=float, default=5.0, help="wait this long at most for late messages")
    add("--workers", type=int, nargs="+", default=None, metavar="N",
        help="run Shopcast as `shopcast serve --workers N` for each N (e.g. 1 2), side by side,"
        " on PostgreSQL + Redis (--workers-db sqlite: SQLite + Redis); default: the embedded"
        " server, one process on SQLite")  # fmt: skip
    add("--workers-db", choices=["postgres", "sqlite"], default="postgres")
    add("--show-metrics", nargs="+", choices=["on", "off"], default=None,
        help="run Shopcast with the show report's collection on and/or off (ChatConfig."
        "show_metrics), side by side, with server CPU per 1k deliveries against each other;"
        " default: ChatConfig's default")  # fmt: skip
    add("--pg-admin-url", default=backends.PG_ADMIN_URL,
        help="where a --workers run's database is created and dropped")  # fmt: skip
    add("--redis-url", default=backends.REDIS_URL)
    add("--redis-db", type=int, default=8, help="the Redis database flushed and used (never 0)")
    processes.add_run_options(parser, "chat")
    # what the processes this script starts are told
    add("--role", default="main", choices=["main", "server", "pool", "worker", "viewers",
                                           "senders"])  # fmt: skip
    for flag in ("--server", "--url", "--folder", "--tokens", "--database-url", "--channel",
                 "--secret"):  # fmt: skip
        add(flag, default="")
    for flag in ("--port", "--stream-id", "--count", "--workers-n", "--worker"):
        add(flag, type=int, default=0)
    add("--rate", type=float, default=0.0)
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    if args.role == "server":
        serve(args.server, args.port, args.folder, (args.show_metrics or [""])[0])
    elif args.role == "pool":
        serve_pool(args)
    elif args.role == "worker":
        serve_worker(args, args.worker)
    elif args.role == "viewers":
        asyncio.run(run_viewers(args))
    elif args.role == "senders":
        asyncio.run(run_senders(args))
    else:
        asyncio.run(main(args))
