"""Flash-sale benchmark: N buyers try to buy one flash deal of U units within one second.

The server under test is Shopcast as it ships, started with `python -m server serve` in set-ups:
`sqlite` is the embedded default (one process, SQLite in a temporary folder, no Redis);
`pg-redis` is two processes on two ports sharing one fresh PostgreSQL database (created for
the run, dropped after it) and one Redis database (flushed before and after). The shop, its
product (stock U), a host, a show with the product in its line-up and the deal (U units at a
deal price, one per buyer) are made through the HTTP API; the show is marked live with one SQL
statement (there is no API for going live without video). The buyers are inserted into `users`
in bulk by SQL (registering through the API hashes a password per buyer) and their bearer
tokens are minted here with the server's own `Tokens` and the run's secret.

The buyers live in `--processes` load-generator processes, each with one aiohttp ClientSession
and a pool of `--connections` connections, split evenly between the server processes; before
the start each process opens its pool with cheap requests, as a buyer watching the show already
has a connection to the site. Every process gets one start time on CLOCK_MONOTONIC (one clock
for every process on this machine). Buyer j (of N) sends `POST /api/streams/{id}/orders` at
start + window * j / N; a `--retry-fraction` of the buyers, picked at random, also send the same
request with the same idempotency key at the same moment (a double click) and once more after
the first answer came (a retry). Latency is per request, from the moment it is handed to aiohttp
to the end of the answer; "lag" is how late the load process handed it over compared with its
schedule, so a load generator that falls behind shows it there rather than hiding it, and a
request that had to wait for a free connection of its pool is counted in the notes (that wait
is in its latency, as it would be in a browser's).
Attempts/s is every request sent divided by the time from the start to the last answer.

`--transports socketio http` (the default: both, one row each, each on fresh servers and a fresh
database): over Socket.IO each buyer is a bare-socket client (bench/harness/sio.py; token in
`auth` at connect, WebSocket transport) that joined the show's room before the start, as a
watching viewer has, and sends `buy` with an ack at its moment, with the same double taps and
retries under the same idempotency key; latency is emit -> ack. Those clients also receive the
room's events (deal updates, viewer counts), which the server pays for as it would in a show.
After the sale, the losers' wave (`--no-loser-wave` skips it) sends every buyer once more with a
new key, all refused since the deal is sold out: server CPU over it per attempt is the cost of a
losing attempt, and (sale CPU - the sale's other attempts x that) / new orders the cost of a
winning one. `--workers N` runs each server process as `shopcast serve --workers N` (N worker
processes on its port, SO_REUSEPORT; pg-redis only, since workers share through Redis); their
CPU counts as the server's, per process in the JSON. `--kill-worker-at S` (with `--workers` > 1)
SIGKILLs one worker of the first server S seconds into the sale (its supervisor restarts it):
then "correct" is nothing oversold or duplicated, stock + units sold = the deal's units, and
the deal's count = the orders (the killed worker's Socket.IO buyers are not reconnected).

Afterwards the database itself is asked: orders for the product that are not cancelled (must
be U), units sold (oversold = sold - U, must be 0), the stock left (must be 0, never negative),
the deal's `sold` counter, and buyers with more than one order. "Duplicates" counts buyers who
ended up with two orders (in the database, or as two order ids in the answers they got) or who
were told of their order and then, retrying, got a refusal instead of it: all must be 0 (a
double click whose two requests race may see one refused; that is reported, not counted).
CPU time comes from /proc, in cores over the time from the start to the last answer (and over
the arrival window alone): the server processes; PostgreSQL's own processes, the backends of the
run's database and Redis; the load processes; and everything else on the machine ("other"). The
load shares the machine's cores with the server: when the load nears the core count, or lag
grows, the figures are the load generator's, not the server's; and with "other" well above 0,
something else was competing for the cores. `--server-cpus 0 --load-cpus 1` puts the servers
and the load processes on cores of their own (taskset; PostgreSQL and Redis are not moved).

    .venv/bin/python bench/flash_sale.py                            # 10,000 buyers, 500 units
    .venv/bin/python bench/flash_sale.py --buyers 500 --units 50    # smoke run, under a minute
    .venv/bin/python bench/flash_sale.py --no-deal                  # plain stock, no deal
    .venv/bin/python bench/flash_sale.py --setups pg-redis --workers 2
    .venv/bin/python bench/flash_sale.py --setups pg-redis --workers 2 --kill-worker-at 0.5

Prints a table and writes bench/results/flash_sale.json (`--out` elsewhere), with the machine,
the commit and the time of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, TraceConfig

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import backends, processes, report, sio, usage  # noqa: E402
from bench.harness.processes import Child, command, say  # noqa: E402
from bench.harness.record import Record  # noqa: E402
from bench.harness.report import LATENCY_COLUMNS, Column, merged, quantile  # noqa: E402
from bench.harness.usage import Sample  # noqa: E402

PASSWORD = "bench-password-1"
EMAIL_DOMAIN = "flash.bench.shopcast.test"
PRICE_MINOR, DEAL_PRICE_MINOR = 9999, 4999
TOKEN_TTL_S = 3600
GOAL_P99_MS, GOAL_ATTEMPTS_PER_S = 250.0, 5000.0
GOAL_LOSER_US = 50.0  # server CPU per losing attempt
TRANSPORTS = ("socketio", "http")
DB_PROCESSES = ("postgres", "redis-server")  # whose CPU counts as the database's


# -- buyers: one load-generator process ---------------------------------------------------------


@dataclass(frozen=True)
class Buyer:
    user_id: int
    token: str
    url: str
    at: float  # seconds after the common start
    retries: bool  # double click, then a retry after the first answer


@dataclass
class Tally:
    """What one load process saw: every answer, how long it took, how late it went out."""

    codes: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    lags_ms: list[float] = field(default_factory=list)
    pool_waits_ms: list[float] = field(default_factory=list)  # of those that had to wait
    # user id -> [[kind, answer, order id or None, sent, answered]]: first, double or retry
    answers: dict[int, list[list]] = field(default_factory=dict)
    last_answer: float = 0.0

    def count(self, answer: str) -> None:
        self.codes[answer] = self.codes.get(answer, 0) + 1


async def attempt(
    http: ClientSession, buyer: Buyer, body: dict, kind: str, tally: Tally
) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {buyer.token}"}
    order_id = None
    waited = {"queued": 0.0}
    sent = time.monotonic()
    try:
        async with http.post(
            buyer.url, json=body, headers=headers, trace_request_ctx=waited
        ) as resp:
            raw = await resp.read()
            answer, order_id = classify(resp.status, raw)
    except TimeoutError:
        answer = "timeout"
    except (ClientError, OSError) as exc:
        answer = f"error {type(exc).__name__}"
    if waited["queued"]:
        tally.pool_waits_ms.append(round(waited["queued"] * 1000, 3))
    record(tally, buyer, kind, answer, order_id, sent)


def classify(status: int, raw: bytes) -> tuple[str, int | None]:
    """("201", order id), ("200", order id), ("409 sold_out", None), ("429", None)…"""
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = None
    if status in (200, 201) and isinstance(payload, dict) and "id" in payload:
        return str(status), payload["id"]
    code = payload.get("error", {}).get("code") if isinstance(payload, dict) else None
    return (f"{status} {code}" if code and status != 429 else str(status)), None


Send = Any  # (buyer, body, kind, tally) -> awaitable: one attempt over a transport


async def one_buyer(send: Send, buyer: Buyer, start: float, product_id: int, tally: Tally,
                    retries: bool) -> None:  # fmt: skip
    key = f"flash-{buyer.user_id}-{secrets.token_hex(6)}"
    body = {"product_id": product_id, "quantity": 1, "idempotency_key": key}
    tally.lags_ms.append(round((time.monotonic() - start - buyer.at) * 1000, 3))
    if not (retries and buyer.retries):
        await send(buyer, body, "first", tally)
        return
    first = asyncio.create_task(send(buyer, body, "first", tally))
    double = asyncio.create_task(send(buyer, body, "double", tally))
    await first
    await send(buyer, body, "retry", tally)
    await double


# -- over Socket.IO: each buyer a bare-socket client in the show's room -------------------------


class BuyerSocket(sio.BareSocket):
    """A buyer watching the show: joined with its token, the room's events ignored unread."""


def classify_ack(ack: Any) -> tuple[str, int | None]:
    """A `buy` ack as the HTTP answers are named: ("201", id) a new order, ("200", id) the same
    order again, ("ack deal_sold_out", None) a refusal, ("429", None) rate limited."""
    if isinstance(ack, dict) and ack.get("ok") and isinstance(ack.get("order"), dict):
        return ("201" if ack.get("created") else "200"), ack["order"].get("id")
    code = ack.get("error", {}).get("code") if isinstance(ack, dict) else None
    return ("429" if code == "rate_limited" else f"ack {code}"), None


def socket_sender(sockets: dict[int, BuyerSocket], timeout: float) -> Send:
    async def attempt_sio(buyer: Buyer, body: dict, kind: str, tally: Tally) -> None:
        sock = sockets.get(buyer.user_id)
        order_id = None
        sent = time.monotonic()
        if sock is None or sock.transport is None or sock.transport.is_closing():
            answer = "error not connected"
        else:
            try:
                answer, order_id = classify_ack(
                    await asyncio.wait_for(sock.emit("buy", body), timeout)
                )
            except TimeoutError:
                answer = "timeout"
            except (ConnectionError, OSError) as exc:
                answer = f"error {type(exc).__name__}"
        record(tally, buyer, kind, answer, order_id, sent)

    return attempt_sio


def record(tally: Tally, buyer: Buyer, kind: str, answer: str, order_id: int | None,
           sent: float) -> None:  # fmt: skip
    done = time.monotonic()
    tally.last_answer = max(tally.last_answer, done)
    tally.latencies_ms.append(round((done - sent) * 1000, 3))
    tally.count(answer)
    tally.answers.setdefault(buyer.user_id, []).append([kind, answer, order_id, sent, done])


async def connect_buyers(buyers: list[Buyer], stream_id: int, rate: float
                         ) -> tuple[dict[int, BuyerSocket], dict[str, int]]:  # fmt: skip
    """Every buyer's socket, authenticated at connect and joined to the show's room, `rate`
    new ones a second and a bounded number of handshakes at once."""
    gate = asyncio.Semaphore(HANDSHAKES_IN_FLIGHT)
    sockets: dict[int, BuyerSocket] = {}
    failures: dict[str, int] = {}

    async def one(buyer: Buyer) -> None:
        async with gate:
            base = buyer.url.split("/api/", 1)[0]
            try:
                sockets[buyer.user_id] = await sio.open_socket(
                    base, stream_id, BuyerSocket, {"token": buyer.token}
                )
            except Exception as exc:  # refused, timed out, reset: counted by reason
                why = sio.reason(exc)
                failures[why] = failures.get(why, 0) + 1

    tasks = []
    for buyer in buyers:
        tasks.append(asyncio.create_task(one(buyer)))
        await asyncio.sleep(1 / rate)
    await asyncio.gather(*tasks)
    return sockets, failures


HANDSHAKES_IN_FLIGHT = 25  # per load process


async def warm_up(http: ClientSession, urls: list[str], token: str, connections: int) -> int:
    """Open the pool: `connections` requests at once that touch no database (GET /api/me)."""
    headers = {"Authorization": f"Bearer {token}"}

    async def one(url: str) -> bool:
        try:
            async with http.get(url + "/api/me", headers=headers) as resp:
                await resp.read()
                return resp.status == 200
        except (TimeoutError, ClientError):
            return False

    answers = await asyncio.gather(*(one(urls[n % len(urls)]) for n in range(connections)))
    return sum(answers)


def pool_wait_tracing() -> TraceConfig:
    """Times how long a request waited for a free connection of the pool: a wait in the
    load generator, not in the server, though it counts in the latency as a buyer's would."""
    trace = TraceConfig()

    async def queued(_: ClientSession, ctx: SimpleNamespace, __: object) -> None:
        ctx.trace_request_ctx["since"] = time.monotonic()

    async def dequeued(_: ClientSession, ctx: SimpleNamespace, __: object) -> None:
        waited = ctx.trace_request_ctx
        waited["queued"] += time.monotonic() - waited.pop("since")

    trace.on_connection_queued_start.append(queued)
    trace.on_connection_queued_end.append(dequeued)
    return trace


async def run_buyers(args: argparse.Namespace) -> None:
    plan = json.loads(await asyncio.to_thread(Path(args.plan).read_text))
    buyers = [Buyer(*row) for row in plan["buyers"]]
    if plan["transport"] == "socketio":
        sockets, failures = await connect_buyers(buyers, plan["stream_id"], plan["connect_rate"])
        say({"ready": True, "warm": len(sockets), "socket_failures": failures})
        await waves(buyers, plan, socket_sender(sockets, plan["timeout"]))
        for sock in sockets.values():
            sock.close()
        return
    connector = TCPConnector(limit=plan["connections"], keepalive_timeout=120)
    timeout = ClientTimeout(total=plan["timeout"])
    traces = [pool_wait_tracing()]
    async with ClientSession(connector=connector, timeout=timeout, trace_configs=traces) as http:
        warm = 0
        if plan["warm"] and buyers:
            count = min(plan["connections"], len(buyers))
            warm = await warm_up(http, plan["servers"], buyers[0].token, count)
        say({"ready": True, "warm": warm, "socket_failures": {}})

        async def attempt_http(buyer: Buyer, body: dict, kind: str, tally: Tally) -> None:
            await attempt(http, buyer, body, kind, tally)

        await waves(buyers, plan, attempt_http)


async def waves(buyers: list[Buyer], plan: dict, send: Send) -> None:
    """`go <start> sale`: every buyer at its moment, double taps and retries as planned;
    `go <start> losers`: every buyer once more with a new key, after the sale (all refused).
    What each wave saw goes back as one line; `stop` ends."""
    while (go := await command("go", "stop")).startswith("go"):
        _, at, wave = go.split()
        start, tally = float(at), Tally()
        tasks = []
        for buyer in buyers:  # in the order of their times
            delay = start + buyer.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(
                one_buyer(send, buyer, start, plan["product_id"], tally, wave == "sale")
            ))  # fmt: skip
        await asyncio.gather(*tasks)
        say(vars(tally))


# -- processes: the servers and the load generators ---------------------------------------------


async def start_server(
    port: int, env: dict[str, str], log: Path, cpus: str | None, workers: int = 1
) -> Child:  # fmt: skip
    """`python -m server serve`, its output in `log`, its environment only what it is given."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SHOPCAST_")} | env
    migrate = await processes.start_server(
        "migrate", [sys.executable, "-m", "server", "migrate"], log, cpus=cpus, env=environ
    )
    if await migrate.proc.wait() != 0:
        raise RuntimeError(f"shopcast migrate failed: see {log}")
    argv = [sys.executable, "-m", "server", "serve", "--port", str(port), "--workers",
            str(workers)]  # fmt: skip
    return await processes.start_server(f"server :{port}", argv, log, cpus=cpus, env=environ)


def db_pids(db_name: str | None) -> list[int]:
    """The run's database: PostgreSQL's own processes and the backends serving `db_name` (not
    those of other databases), and Redis."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if not entry.name.isdigit() or (entry / "comm").read_text().strip() not in DB_PROCESSES:
                continue
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
            backend = CLIENT.search(command) is not None
            if not backend or (db_name and f" {db_name} " in command):
                found.append(int(entry.name))
    return found


CLIENT = re.compile(r"\(\d+\)|\[local\]")  # a PostgreSQL backend names its client


# -- the world: a shop, a show, a deal and the buyers -------------------------------------------


async def api(http: ClientSession, method: str, url: str, body: dict | None = None,
              token: str = "", expect: int = 201) -> dict:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, url, json=body, headers=headers) as resp:
        text = await resp.text()
        if resp.status != expect:
            raise RuntimeError(f"{method} {url}: {resp.status} {text[:500]}")
        return json.loads(text)


async def account(http: ClientSession, url: str, role: str) -> str:
    body = {"email": f"{role}@{EMAIL_DOMAIN}", "password": PASSWORD,
            "display_name": f"Flash {role.title()}", "role": role}  # fmt: skip
    return (await api(http, "POST", url + "/api/accounts", body))["token"]


async def seed(url: str, units: int) -> dict:
    """A seller with one product of `units` in stock, a host and a show selling it."""
    async with ClientSession() as http:
        seller = await account(http, url, "seller")
        await api(http, "POST", url + "/api/sellers", {"name": "Flash Shop", "country": "PL"},
                  seller)  # fmt: skip
        product = {"title": "Flash deal product", "price_minor": PRICE_MINOR, "currency": "PLN",
                   "stock": units}  # fmt: skip
        product_id = (await api(http, "POST", url + "/api/products", product, seller))["id"]
        host = await account(http, url, "host")
        show = {"title": "Flash sale", "language": "pl", "product_ids": [product_id]}
        stream_id = (await api(http, "POST", url + "/api/streams", show, host))["id"]
    return {"product_id": product_id, "stream_id": stream_id, "host": host}


async def start_deal(url: str, world: dict, args: argparse.Namespace) -> int:
    deal = {"product_id": world["product_id"], "price_minor": DEAL_PRICE_MINOR,
            "duration_s": args.deal_duration, "quantity": args.units,
            "per_buyer_limit": 1}  # fmt: skip
    async with ClientSession() as http:
        try:
            answer = await api(http, "POST", f"{url}/api/streams/{world['stream_id']}/deals",
                               deal, world["host"])  # fmt: skip
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n(no deal API on this server? --no-deal skips it)") from None
    return int(answer.get("deal", answer)["id"])


def at_now(sql: str) -> Any:
    """`sql` with its `:at` typed as the models' timestamps, so each back end stores it its way."""
    from sqlalchemy import DateTime, bindparam, text

    return text(sql).bindparams(bindparam("at", type_=DateTime(timezone=True)))


async def go_live(engine: Any, stream_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            at_now("UPDATE streams SET status = 'live', started_at = :at WHERE id = :id"),
            {"at": datetime.now(UTC), "id": stream_id},
        )


async def add_buyers(engine: Any, count: int) -> list[int]:
    """`count` viewer accounts straight into `users` (no password anyone could use); their ids."""
    from sqlalchemy import text

    now = datetime.now(UTC)
    rows = [{"email": f"buyer{n:06d}@{EMAIL_DOMAIN}", "name": f"Buyer {n}", "at": now}
            for n in range(count)]  # fmt: skip
    async with engine.begin() as conn:
        await conn.execute(
            at_now("INSERT INTO users (email, password_hash, display_name, role, created_at)"
                   " VALUES (:email, 'x', :name, 'viewer', :at)"),
            rows,
        )  # fmt: skip
        found = await conn.execute(
            text("SELECT id FROM users WHERE email LIKE :pattern ORDER BY email"),
            {"pattern": f"buyer%@{EMAIL_DOMAIN}"},
        )
        ids = [row[0] for row in found]
    if len(ids) != count:
        raise RuntimeError(f"inserted {count} buyers, found {len(ids)}")
    return ids


def mint(secret: str, user_ids: list[int]) -> list[str]:
    from server.core.auth import Tokens
    from server.core.domain.roles import Principal, Role

    tokens = Tokens(secret, TOKEN_TTL_S)
    return [
        tokens.issue(Principal(subject=f"u:{i}", display_name=f"Buyer {n}", role=Role.VIEWER,
                               user_id=i))
        for n, i in enumerate(user_ids)
    ]  # fmt: skip


def plans(args: argparse.Namespace, urls: list[str], world: dict, user_ids: list[int],
          tokens: list[str], folder: Path, transport: str) -> list[Path]:  # fmt: skip
    """One plan file per load process: buyer j goes out at window * j / N, from process
    j mod P, to server (j div P) mod S, so every process speaks to every server."""
    rng = random.Random(args.seed)
    count = len(user_ids)
    retrying = set(rng.sample(range(count), round(count * args.retry_fraction)))
    path = f"/api/streams/{world['stream_id']}/orders"
    per: list[list] = [[] for _ in range(args.processes)]
    for j, (user_id, token) in enumerate(zip(user_ids, tokens, strict=True)):
        url = urls[(j // args.processes) % len(urls)] + path
        per[j % args.processes].append([user_id, token, url, args.window * j / count,
                                        j in retrying])  # fmt: skip
    files = []
    for n, buyers in enumerate(per):
        plan = {"buyers": buyers, "servers": urls, "product_id": world["product_id"],
                "connections": args.connections, "timeout": args.timeout,
                "warm": not args.no_warm, "transport": transport,
                "stream_id": world["stream_id"],
                "connect_rate": args.connect_rate / args.processes}  # fmt: skip
        files.append(folder / f"plan-{n}.json")
        files[-1].write_text(json.dumps(plan))
    return files


# -- checks in the database ---------------------------------------------------------------------


async def audit(engine: Any, product_id: int, deal_id: int | None) -> dict:
    """What the database says happened, whatever the clients were told."""
    from sqlalchemy import text

    live = ("FROM orders o JOIN order_lines l ON l.order_id = o.id"
            " WHERE l.product_id = :p AND o.status != 'cancelled'")  # fmt: skip
    queries = {
        "orders": f"SELECT count(DISTINCT o.id) {live}",
        "sold": f"SELECT coalesce(sum(l.quantity), 0) {live}",
        "db_duplicate_buyers": "SELECT count(*) FROM (SELECT o.buyer_id "
        f"{live} GROUP BY o.buyer_id HAVING count(DISTINCT o.id) > 1) AS d",
    }
    found: dict[str, Any] = {}
    async with engine.connect() as conn:
        for name, sql in queries.items():
            found[name] = int(await conn.scalar(text(sql), {"p": product_id}))
        found["order_buyers"] = [
            list(row)
            for row in await conn.execute(
                text(f"SELECT o.id, o.buyer_id {live}"), {"p": product_id}
            )
        ]
        if deal_id is not None:
            deal = await conn.execute(text("SELECT sold FROM flash_deals WHERE id = :d"),
                                      {"d": deal_id})  # fmt: skip
            found["deal_sold"] = deal.scalar()
    found["stock"] = await stock_left(engine, product_id)
    return found


async def stock_left(engine: Any, product_id: int) -> list[int]:
    """The product's stock per variant (`products.stock` on a schema from before variants)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    for sql in ("SELECT stock FROM product_variants WHERE product_id = :p ORDER BY id",
                "SELECT stock FROM products WHERE id = :p"):  # fmt: skip
        try:
            async with engine.connect() as conn:
                return [row[0] for row in await conn.execute(text(sql), {"p": product_id})]
        except DBAPIError:  # no such table or column: the older schema
            continue
    return []


# -- one set-up, from start to the last check ---------------------------------------------------


@dataclass(frozen=True)
class Setup:
    name: str
    servers: int
    postgres: bool


SETUPS = {
    "sqlite": Setup("sqlite", servers=1, postgres=False),
    "pg-redis": Setup("pg-redis", servers=2, postgres=True),
}


async def measure(setup: Setup, transport: str, args: argparse.Namespace) -> dict:
    from sqlalchemy.ext.asyncio import create_async_engine

    async with contextlib.AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="flash-bench-")))
        env = {
            "SHOPCAST_SECRET": secrets.token_urlsafe(36),  # 48 characters
            "SHOPCAST_PAYMENTS": "test",
            "SHOPCAST_ALLOW_TEST_PAYMENTS": "1",
        }
        if setup.postgres:
            env["SHOPCAST_DATABASE_URL"] = await backends.fresh_postgres(args.pg_admin_url, stack)
            redis = await backends.flushed_redis(args.redis_url, args.redis_db, stack)
            env["SHOPCAST_REDIS_URL"] = redis
        else:
            env["SHOPCAST_DATABASE_URL"] = f"sqlite+aiosqlite:///{folder}/shop.db"
        servers: list[Child] = []
        stack.push_async_callback(processes.stop_all, servers, 5.0)
        urls = []
        for n in range(setup.servers):  # one at a time: the first one migrates the schema
            port, log = processes.free_port(), folder / f"server-{n}.log"
            servers.append(await start_server(port, env, log, args.server_cpus, args.workers))
            urls.append(f"http://127.0.0.1:{port}")
            await processes.wait_serving(servers[-1], urls[-1], log=log)
            await processes.wait_workers(servers[-1], urls[-1], args.workers, log=log)
        engine = create_async_engine(env["SHOPCAST_DATABASE_URL"], pool_size=2)
        stack.push_async_callback(engine.dispose)
        world = await prepare(args, urls, engine, env["SHOPCAST_SECRET"])
        loads: list[Child] = []
        stack.push_async_callback(processes.stop_all, loads, 0.0)
        files = plans(args, urls, world, world.pop("user_ids"), world.pop("tokens"), folder,
                      transport)  # fmt: skip
        db_name = urlsplit(env["SHOPCAST_DATABASE_URL"]).path[1:] if setup.postgres else None
        row = await run_load(files, loads, servers, args, db_name)
        row |= await audit(engine, world["product_id"], world["deal_id"])
        row["server_log_problems"] = log_problems(folder)
        row["servers_exited"] = [s.name for s in servers if s.proc.returncode is not None]
        row["setup_s"] = world["setup_s"]
        return summarize(setup, transport, args, row)
    raise AssertionError("unreachable")  # for type checkers: the stack never swallows errors


async def prepare(args: argparse.Namespace, urls: list[str], engine: Any, secret: str) -> dict:
    """The shop and the buyers first; the show goes live and the deal starts last, so the
    deal's clock runs out well after the load is over."""
    started = time.monotonic()
    world = await seed(urls[0], args.units)
    world["user_ids"] = await add_buyers(engine, args.buyers)
    world["tokens"] = mint(secret, world["user_ids"])
    await go_live(engine, world["stream_id"])
    world["deal_id"] = None if args.no_deal else await start_deal(urls[0], world, args)
    world["setup_s"] = time.monotonic() - started
    return world


async def run_load(files: list[Path], loads: list[Child], servers: list[Child],
                   args: argparse.Namespace, db_name: str | None) -> dict:  # fmt: skip
    """Start the load processes (over Socket.IO they connect and join first), give them one
    start time a wave, collect what they saw and the CPU used over the arrival window and from
    the start to the last answer: the sale, then (`--loser-wave`) every buyer once more."""
    for n, plan in enumerate(files):
        argv = processes.script(__file__, "buyers", {"plan": plan})
        loads.append(await Child.start(f"load {n}", argv, cpus=args.load_cpus))
    ready = [await load.read() for load in loads]

    def sample() -> Sample:
        live = [s.pid for s in servers if s.proc.returncode is None]
        return Sample.take({"server": [p for pid in live for p in usage.family(pid)],
                            "load": [p.pid for p in loads],
                            "db": db_pids(db_name) if db_name else []})  # fmt: skip

    async def wave(name: str) -> dict:
        async def at_window_end() -> Sample:
            await asyncio.sleep(start + args.window - time.monotonic())
            return sample()

        start = time.monotonic() + 1.0  # every process has it well before it comes
        for load in loads:
            await load.send(f"go {start!r} {name}")
        await asyncio.sleep(start - time.monotonic())
        before = sample()
        window = asyncio.create_task(at_window_end())
        results = [await load.read() for load in loads]
        after_window, after = await window, sample()
        return {"start": start, "results": results,
                "cpu": {"window": after_window.since(before), "run": after.since(before)},
                "per_server_cpu_s": per_process(after, before)}  # fmt: skip

    quiet = sample()  # everyone connected, nobody buying: what the servers use anyway
    await asyncio.sleep(IDLE_S)
    idle = sample().since(quiet)
    killer = asyncio.create_task(kill_worker(servers[0], args)) if args.kill_worker_at else None
    raw = await wave("sale")
    raw["idle_cpu_cores"] = {who: idle[who] / IDLE_S for who in ("server", "db")}
    raw["killed_worker"] = await killer if killer else None
    if args.loser_wave:
        await asyncio.sleep(SETTLE_S)
        raw["losers"] = await wave("losers")
    for load in loads:
        await load.send("stop")
    raw["warm_connections"] = sum(r["warm"] for r in ready)
    raw["socket_failures"] = merged([r["socket_failures"] for r in ready])
    return raw


SETTLE_S = 1.0  # between the sale and the losers' wave
IDLE_S = 2.0  # the servers' CPU with nothing to do, measured before the sale


async def kill_worker(server: Child, args: argparse.Namespace) -> int | None:
    """`--kill-worker-at S`: SIGKILL one worker of the first server S seconds after the sale's
    start (the supervisor restarts it); its pid, or None if it had no worker to kill."""
    await asyncio.sleep(1.0 + args.kill_worker_at)  # the wave starts 1 s after it is set
    workers = usage.children(server.pid)
    if not workers:
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(workers[0], signal.SIGKILL)
    return workers[0]


def per_process(after: Sample, before: Sample) -> dict[str, float]:
    """CPU seconds of each server process (a supervisor and its workers each apart)."""
    was = before.cpu.get("server", {})
    return {str(pid): round(now.total - was.get(pid, usage.Times(0.0, 0.0)).total, 3)
            for pid, now in after.cpu["server"].items()}  # fmt: skip


RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ", re.M)


def log_problems(folder: Path) -> list[str]:
    """The servers' warnings and errors, each with the last line of its traceback if any."""
    problems = []
    for log in sorted(folder.glob("server-*.log")):
        text = log.read_text(errors="replace")
        for record in RECORD.split(text):
            lines = record.strip().splitlines()
            if lines and lines[0].startswith(("WARNING", "ERROR", "CRITICAL")):
                problems.append(
                    lines[0][:300] + (f" | {lines[-1][:300]}" if len(lines) > 1 else "")
                )
    return problems


# -- figures ------------------------------------------------------------------------------------


def summarize(setup: Setup, transport: str, args: argparse.Namespace, raw: dict) -> dict:
    results, start = raw["results"], raw["start"]
    latencies = [ms for r in results for ms in r["latencies_ms"]]
    lags = [ms for r in results for ms in r["lags_ms"]]
    waits = [ms for r in results for ms in r["pool_waits_ms"]]
    answers = {int(k): v for r in results for k, v in r["answers"].items()}
    end = max((r["last_answer"] for r in results), default=start)
    elapsed = max(end - start, 1e-9)
    checks = idempotency(answers, raw["order_buyers"], start)
    sold, stock = raw["sold"], raw["stock"]
    return {
        "setup": setup.name,
        "transport": transport,
        "servers": setup.servers,
        "workers": args.workers,
        "buyers": args.buyers,
        "units": args.units,
        "deal": not args.no_deal,
        "requests": len(latencies),
        "orders": raw["orders"],
        "sold": sold,
        "oversold": max(0, sold - args.units),
        "stock_left": sum(stock) if stock else None,
        "stock_min": min(stock) if stock else None,
        "deal_sold": raw.get("deal_sold"),
        "duplicates": checks.pop("duplicates"),
        **checks,
        "answers_201": merged([r["codes"] for r in results]).get("201", 0),
        "codes": dict(sorted(merged([r["codes"] for r in results]).items())),
        "attempts_per_s": len(latencies) / elapsed,
        "last_answer_s": elapsed,
        "latency_ms_p50": quantile(latencies, 0.5),
        "latency_ms_p99": quantile(latencies, 0.99),
        "latency_ms_max": max(latencies, default=None),
        "lag_ms_p99": quantile(lags, 0.99),
        "lag_ms_max": max(lags, default=None),
        "pool_waits": len(waits),
        "pool_wait_ms_p99": quantile(waits + [0.0] * (len(latencies) - len(waits)), 0.99),
        "pool_wait_ms_max": max(waits, default=None),
        **cpu_figures(raw["cpu"], args.window, elapsed, setup.postgres),
        **per_attempt(raw, len(latencies), setup.postgres),
        "per_server_process_cpu_s": raw["per_server_cpu_s"],
        "warm_connections": raw["warm_connections"],
        "socket_failures": raw["socket_failures"],
        "setup_s": raw["setup_s"],
        "servers_exited": raw["servers_exited"],
        "killed_worker": raw["killed_worker"],
        "conserved": bool(stock) and sum(stock) + sold == args.units,
        "server_log_problems": len(raw["server_log_problems"]),
        "server_log_first_problems": raw["server_log_problems"][:5],
    }


def per_attempt(raw: dict, attempts: int, postgres: bool) -> dict:
    """Server CPU (µs) per attempt of the sale, less what the servers use idle (measured for
    IDLE_S before the sale, everyone connected); per losing attempt from the losers' wave (every
    buyer once more after the sell-out: all refused), and per winning attempt as what the sale
    cost beyond its losing attempts at that price: (sale CPU - losers x µs per loser) / winners,
    where the winners are the attempts answered with a new order ("201") and every other
    attempt of the sale counts as a loser (those refused before the sell-out went further than
    a sold-out refusal, so this puts their extra cost on the winners)."""
    idle = raw["idle_cpu_cores"]
    cpu = net_of_idle(raw, idle)
    winners = merged([r["codes"] for r in raw["results"]]).get("201", 0)
    figures: dict[str, Any] = {
        "server_cpu_us_per_attempt": cpu["server"] / attempts * 1e6 if attempts else None,
        "db_cpu_us_per_attempt": cpu["db"] / attempts * 1e6 if attempts and postgres else None,
        "server_idle_cpu_cores": idle["server"],
        "winners": winners,
        "loser_attempts": None,
        "loser_codes": None,
        "loser_latency_ms_p99": None,
        "server_cpu_us_per_loser": None,
        "db_cpu_us_per_loser": None,
        "server_cpu_us_per_winner": None,
        "db_cpu_us_per_winner": None,
    }
    losers = raw.get("losers")
    if losers is None:
        return figures
    latencies = [ms for r in losers["results"] for ms in r["latencies_ms"]]
    count = len(latencies)
    lost_cpu = net_of_idle(losers, idle)
    figures |= {
        "loser_attempts": count,
        "loser_codes": dict(sorted(merged([r["codes"] for r in losers["results"]]).items())),
        "loser_latency_ms_p99": quantile(latencies, 0.99),
    }
    for who in ("server", "db"):
        if who == "db" and not postgres:
            continue
        per_loser = lost_cpu[who] / count if count else None
        figures[f"{who}_cpu_us_per_loser"] = per_loser * 1e6 if per_loser is not None else None
        if per_loser is not None and winners:
            rest = cpu[who] - per_loser * (attempts - winners)
            figures[f"{who}_cpu_us_per_winner"] = max(0.0, rest) / winners * 1e6
    return figures


def net_of_idle(wave: dict, idle: dict[str, float]) -> dict[str, float]:
    """A wave's CPU seconds (start to last answer) less what the servers use doing nothing."""
    end = max((r["last_answer"] for r in wave["results"]), default=wave["start"])
    elapsed = max(0.0, end - wave["start"])
    return {who: max(0.0, wave["cpu"]["run"][who] - idle[who] * elapsed) for who in idle}


def cpu_figures(cpu: dict[str, dict[str, float]], window_s: float, elapsed: float,
                postgres: bool) -> dict:  # fmt: skip
    """CPU in cores, from the start to the last answer and over the arrival window alone."""
    figures: dict[str, float | None] = {"server_cpu_s": cpu["run"]["server"]}
    for who in ("server", "db", "load", "other"):
        figures[f"{who}_cpu_cores"] = cpu["run"][who] / elapsed
        figures[f"{who}_cpu_cores_window"] = cpu["window"][who] / min(window_s, elapsed)
    if not postgres:  # SQLite works inside the server process
        figures["db_cpu_cores"] = figures["db_cpu_cores_window"] = None
    return figures


def idempotency(
    answers: dict[int, list[list]], order_buyers: list[list[int]], start: float
) -> dict:
    """Buyers with two orders (answered or in the database); retries sent after the buyer was
    told of an order that were refused instead of given it (a retry that failed, with a 5xx, a
    timeout or a 429, is counted apart); double clicks where one of the two requests got the
    order and the other a refusal (reported, not counted as a duplicate: they raced); order ids
    given to two buyers; orders whose buyer was never told of them."""
    doubled: set[int] = set()
    mismatched: set[int] = set()
    double_refused = retries_failed = 0
    owner: dict[int, int] = {}
    shared = 0
    for user_id, got in answers.items():
        ids = {order_id for _, _, order_id, _, _ in got if order_id is not None}
        if len(ids) > 1:
            doubled.add(user_id)
        for order_id in ids:
            shared += owner.setdefault(order_id, user_id) != user_id
        told = min((done for _, _, order_id, _, done in got if order_id is not None), default=None)
        for kind, answer, order_id, sent, _ in got:
            if kind == "retry" and told is not None and told <= sent and order_id is None:
                if refusal(answer):
                    mismatched.add(user_id)
                else:
                    retries_failed += 1
        pair = [(a, o) for kind, a, o, _, _ in got if kind in ("first", "double")]
        double_refused += (
            len(pair) == 2 and any(o for _, o in pair) and any(refusal(a) for a, _ in pair)
        )
    per_buyer: dict[int, int] = {}
    for _, buyer_id in order_buyers:
        per_buyer[buyer_id] = per_buyer.get(buyer_id, 0) + 1
    doubled |= {b for b, n in per_buyer.items() if n > 1}
    return {
        "duplicates": len(doubled | mismatched),
        "duplicate_buyers": len(doubled),
        "retry_mismatches": len(mismatched),
        "double_click_refused": double_refused,
        "retries_failed_after_order": retries_failed,
        "order_ids_shared": shared,
        "orders_unanswered": sum(1 for o, _ in order_buyers if o not in owner),
        "examples": examples(answers, sorted(doubled | mismatched)[:3], start),
    }


def examples(answers: dict[int, list[list]], buyers: list[int], start: float) -> dict:
    """What these buyers were told, and when (ms after the start), for the JSON."""
    return {
        f"buyer {b}": [
            f"{kind}: {answer} order {order_id} sent at {(sent - start) * 1000:.1f} ms,"
            f" answered at {(done - start) * 1000:.1f} ms"
            for kind, answer, order_id, sent, done in answers.get(b, [])
        ]
        for b in buyers
    }


def refusal(answer: str) -> bool:
    """A 4xx or a refusing ack that decides ("409 sold_out", "ack deal_sold_out"), not one that
    says "later" (429)."""
    return (answer[:1] == "4" and not answer.startswith("429")) or answer.startswith("ack ")


def label(row: dict) -> str:
    workers = f" x{row['workers']} workers" if row["workers"] != 1 else ""
    return f"{row['setup']} {row['transport']}{workers}"


def correct(row: dict) -> bool:
    if row["killed_worker"]:  # a worker died mid-sale: its buyers may not have bought
        return (
            row["oversold"] == 0
            and row["duplicates"] == 0
            and row["conserved"]
            and (row["stock_min"] or 0) >= 0
            and row["orders"] <= row["units"]
            and (not row["deal"] or row["deal_sold"] == row["orders"])
        )
    return (
        row["orders"] == row["units"]
        and row["oversold"] == 0
        and row["duplicates"] == 0
        and row["stock_left"] == 0
        and (row["stock_min"] or 0) >= 0
        and (not row["deal"] or row["deal_sold"] == row["units"])
    )


def goal_met(row: dict) -> bool:
    p99 = row["latency_ms_p99"]
    return p99 is not None and p99 < GOAL_P99_MS and row["attempts_per_s"] >= GOAL_ATTEMPTS_PER_S


COLUMNS = [
    Column("setup", "setup"),
    Column("transport", "transport"),
    Column("workers", "workers"),
    Column("buyers", "buyers", "{:,}"),
    Column("requests", "requests", "{:,}"),
    Column("orders", "orders", "{:,}"),
    Column("oversold", "oversold"),
    Column("dupes", "duplicates"),
    Column("stock left", "stock_left"),
    Column("attempts/s", "attempts_per_s", "{:,.0f}"),
    *LATENCY_COLUMNS,
    Column("lag p99", "lag_ms_p99", "{:.1f}"),
    Column("server CPU", "server_cpu_cores", "{:.2f}"),
    Column("µs/attempt", "server_cpu_us_per_attempt", "{:.0f}"),
    Column("µs/loser", "server_cpu_us_per_loser", "{:.0f}"),
    Column("µs/winner", "server_cpu_us_per_winner", "{:.0f}"),
    Column("PG+Redis CPU", "db_cpu_cores", "{:.2f}"),
    Column("load CPU window", "load_cpu_cores_window", "{:.2f}"),
    Column("other CPU", "other_cpu_cores", "{:.2f}"),
    Column("correct", "correct"),
]


def shown(rows: list[dict]) -> list[dict]:
    """The rows as the table shows them: judged correct or not."""
    return [row | {"correct": "yes" if correct(row) else "NO"} for row in rows]


def notes(rows: list[dict], args: argparse.Namespace) -> list[str]:
    lines = []
    for r in rows:
        codes = ", ".join(f"{code} x{n:,}" for code, n in r["codes"].items())
        lines.append(f"{label(r)} answers: {codes}")
        odd = {key: r[key] for key in ODDITIES if r[key]}
        if r["deal"] and r["deal_sold"] != r["units"]:
            odd["deal_sold"] = r["deal_sold"]
        if odd:
            lines.append(f"{label(r)}: {odd}")
        if r["pool_waits"]:
            lines.append(
                f"{label(r)}: {r['pool_waits']:,} requests waited for a pooled connection"
                f" (p99 over all requests {r['pool_wait_ms_p99']:.1f} ms, max"
                f" {r['pool_wait_ms_max']:.0f} ms), counted in their latency: --connections"
                " raises the pools"
            )
        if r["loser_codes"]:
            losers = ", ".join(f"{code} x{n:,}" for code, n in r["loser_codes"].items())
            lines.append(f"{label(r)} losers' wave answers: {losers}")
        if r["socket_failures"]:
            lines.append(f"{label(r)}: sockets that never joined: {r['socket_failures']}")
        if r["setup"] == "pg-redis":
            loser = r["server_cpu_us_per_loser"]
            lines.append(
                f"{label(r)}: server CPU per losing attempt"
                f" {'-' if loser is None else f'{loser:.0f}'} µs (goal < {GOAL_LOSER_US:g} µs)"
            )
            lines.append(
                f"goal ({label(r)}: p99 < {GOAL_P99_MS:g} ms and >= {GOAL_ATTEMPTS_PER_S:,.0f}"
                f" attempts/s, {args.buyers:,} buyers in {args.window:g} s):"
                f" {'met' if goal_met(r) else 'NOT met'}"
            )
    lines += [
        "correct: orders = units, nothing oversold, no duplicates, stock 0 and never negative,"
        " and the deal's own count = units (checked in the database after the losers' wave too)",
        "µs/attempt: server CPU per attempt of the sale; µs/loser: per attempt of the losers'"
        " wave (every buyer once more after the sell-out, all refused); µs/winner: (sale CPU -"
        " the sale's other attempts x µs/loser) / new orders; all less the servers' idle CPU"
        f" (measured over {IDLE_S:g} s before the sale, everyone connected)",
        "socketio: each buyer an authenticated Socket.IO client (token at connect, WebSocket)"
        " joined to the show's room before the start, `buy` with an ack; latency emit -> ack;"
        " the server also sends the room's events (deal updates, viewer counts) to every buyer",
        "lag p99: how late the load processes sent (ms): large means the load generator, not"
        " the server, set the pace",
        f"CPU in cores (of {os.cpu_count()}, shared by all) from the start to the last answer;"
        " 'load CPU window' while the buyers arrive, when the load generator is busiest;"
        " 'other CPU': the rest of the machine, which should be near 0 for figures to trust",
    ]
    if args.kill_worker_at is not None:
        lines.append(
            f"kill test: one worker of the first server SIGKILLed {args.kill_worker_at:g} s into"
            " the sale (its Socket.IO buyers are not reconnected: their later attempts count as"
            " errors); correct then means nothing oversold or duplicated, stock + sold = units,"
            " and the deal's count = orders"
        )
    if args.server_cpus or args.load_cpus:
        lines.append(f"the servers on CPUs {args.server_cpus or 'any'}, the load processes on"
                     f" CPUs {args.load_cpus or 'any'}")  # fmt: skip
    return lines


ODDITIES = ["killed_worker", "servers_exited", "retry_mismatches", "retries_failed_after_order",
            "double_click_refused", "order_ids_shared", "orders_unanswered",
            "server_log_problems"]  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    this = asyncio.current_task()
    assert this is not None
    # `kill` or `timeout` ends the run as Ctrl-C does: servers stopped, database dropped.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, this.cancel)
    record = Record.begin()
    rows: list[dict] = []
    for name in args.setups:
        if args.workers > 1 and not SETUPS[name].postgres:
            print(f"{name}: skipped, --workers {args.workers} needs Redis (pg-redis)")
            continue
        for transport in args.transports:
            rows.append(await measure(SETUPS[name], transport, args))
            report.progress(COLUMNS, shown(rows))
    print("\n" + report.table(COLUMNS, shown(rows)))
    for line in notes(rows, args):
        print(line)
    settings = {k: v for k, v in vars(args).items() if k in SETTINGS}
    settings["cores"] = os.cpu_count()
    for row in rows:
        row["correct"], row["goal_met"] = correct(row), goal_met(row)
    result = {"settings": settings, "rows": rows, "notes": notes(rows, args)}
    report.write_json(args.out, result, record)


SETTINGS = ["buyers", "units", "window", "setups", "processes", "connections", "retry_fraction",
            "no_deal", "no_warm", "timeout", "seed", "deal_duration", "server_cpus",
            "load_cpus", "transports", "workers", "connect_rate", "loser_wave",
            "kill_worker_at"]  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--buyers", type=int, default=10_000, help="buyers, one account and one request each")
    add("--units", type=int, default=500, help="the deal's quantity (and the product's stock)")
    add("--window", type=float, default=1.0, help="seconds over which the buyers arrive")
    add("--setups", nargs="+", choices=list(SETUPS), default=list(SETUPS))
    add(
        "--transports",
        nargs="+",
        choices=TRANSPORTS,
        default=list(TRANSPORTS),
        help="how the buyers buy: `buy` over their Socket.IO connection, or POST …/orders",
    )
    add(
        "--workers",
        type=int,
        default=1,
        help="`shopcast serve --workers N` for each server process (more than 1: pg-redis only)",
    )
    add(
        "--connect-rate",
        type=float,
        default=500.0,
        help="Socket.IO buyers connecting and joining per second before the sale, in all",
    )
    add(
        "--kill-worker-at",
        type=float,
        default=None,
        metavar="S",
        help="SIGKILL one worker of the first server S seconds into the sale (needs --workers"
        " > 1); then correct means nothing oversold or duplicated and stock + sold = units",
    )
    add(
        "--loser-wave",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="after the sale, every buyer once more (all refused): CPU per losing attempt",
    )
    add("--processes", type=int, default=4, help="load-generator processes")
    add("--connections", type=int, default=500, help="connection pool of each load process")
    add("--retry-fraction", type=float, default=0.1,
        help="buyers who double-click and retry with the same idempotency key")  # fmt: skip
    add("--no-deal", action="store_true", help="buy the product at its price, without a deal")
    add("--no-warm", action="store_true", help="do not open the connection pools beforehand")
    add("--timeout", type=float, default=30.0, help="seconds before a request counts as timeout")
    add("--seed", type=int, default=1, help="which buyers retry")
    add("--deal-duration", type=int, default=120, help="the deal's duration_s")
    add(
        "--pg-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="where the run's database is created and dropped (its schema is never touched)",
    )
    add("--redis-url", default="redis://127.0.0.1:6379")
    add("--redis-db", type=int, default=7, help="the Redis database flushed and used (never 0)")
    processes.add_run_options(parser, "flash_sale")
    # what the processes this script starts are told
    add("--role", default="main", choices=["main", "buyers"])
    add("--plan", default="")
    args = parser.parse_args()
    if args.role == "main" and not (
        0 < args.units <= args.buyers
        and 0 <= args.retry_fraction <= 1
        and args.processes >= 1
        and args.connections >= 1
        and args.window > 0
        and args.workers >= 1
        and args.connect_rate > 0
        and (args.kill_worker_at is None or (args.workers > 1 and args.kill_worker_at >= 0))
    ):
        parser.error(
            "need 0 < --units <= --buyers, 0 <= --retry-fraction <= 1, --window > 0"
            " and at least one process, connection and worker, --connect-rate > 0, and"
            " --kill-worker-at >= 0 only with --workers > 1"
        )
    return args


if __name__ == "__main__":
    args = parse_args()
    if args.role == "buyers":
        asyncio.run(run_buyers(args))
    else:
        asyncio.run(main(args))
