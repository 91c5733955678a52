"""Auction benchmark: N bidders on one auction over Socket.IO, each bidding as fast as acks come
back, with anti-snipe in play; then the persisted bid log replayed through the domain rules.

The server under test is Shopcast as it ships (`python -m server serve`), in the set-ups of
bench/flash_sale.py: `sqlite`, the embedded default (one process, bids decided in process), and
`pg-redis`, two server processes on two ports sharing one fresh PostgreSQL database and one
flushed Redis database (bids decided by one Lua script per bid). The shop, the show and the
auction are made through the HTTP API; the bidders are inserted into `users` by SQL and their
tokens minted here with the run's secret (as bench/flash_sale.py does).

The bidders live in `--processes` load-generator processes, each a bare-socket Socket.IO
client (bench/harness/sio.py) signed in at connect and joined to the show's room before the
auction starts, split evenly over the server processes. At one start time each bidder sends
`bid` with the next price it knows plus one to three increments (`--proxy-fraction` of them
`set_max_bid` with a maximum five increments above instead), waits for the ack, waits
`--think-ms` (0 by default: "as fast as acks come back") and bids again, for `--seconds`. The
price a bidder knows is its load process's: the highest any of its acks or the room's
`auction_updated` events (read on one socket per process) showed. The auction lasts
`--duration` s with `--anti-snipe` s of anti-snipe: once bidding has gone on that long, every
accepted bid moves the end, and the auction ends `--anti-snipe` s after the last accepted one.

Reported per set-up: bids decided per second (accepted and refused by the rules; rate-limited
and other refusals apart), ack latency (emit -> ack) p50/p99/max, server CPU per decided bid
(server processes' CPU over the bidding, from /proc, idle included), PostgreSQL + Redis CPU.
After the auction ends, the database is asked: the bid log (every bid decided, accepted or
refused, with its server time) must number 1..n without a gap, hold every bid a bidder was
answered for, and each logged decision must be what server/core/domain/auctions.py `decide`
makes of it from the state before; the auction's winner, price and result must equal
`outcome` of that replay. "inconsistent" counts the log's lines that differ, plus one if the
result differs: it must be 0.

With N bidders always waiting for an ack, N = rate x latency (Little's law): 2,000 bidders at
5,000 bids/s wait 400 ms on average, whatever the server does. `--think-ms` lets each bidder
pause between bids, so latency can be measured at a rate below saturation.

    .venv/bin/python bench/auction.py                                 # 2,000 bidders, 20 s
    .venv/bin/python bench/auction.py --bidders 100 --seconds 3       # smoke run
    .venv/bin/python bench/auction.py --setups pg-redis --think-ms 200

Prints a table and writes bench/results/auction.json (`--out` elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import secrets
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import flash_sale as flash  # noqa: E402
from bench.harness import backends, processes, report, sio, usage  # noqa: E402
from bench.harness.processes import Child, command, say  # noqa: E402
from bench.harness.record import Record  # noqa: E402
from bench.harness.report import LATENCY_COLUMNS, Column, merged, quantile  # noqa: E402
from bench.harness.usage import Sample  # noqa: E402

START_MINOR, INCREMENT_MINOR = 1000, 100
GOAL_BIDS_PER_S, GOAL_P99_MS = 5000.0, 100.0
# Refusals by the auction's rules: decided by the book and logged like acceptances.
RULE_CODES = {"bid_too_low", "already_leading", "auction_ended", "buy_now_unavailable"}
HANDSHAKES_IN_FLIGHT = 25  # per load process
END_WAIT_S = 120.0  # after the auction should have ended, at most, for it to be settled (a
# server that fell behind still decides the bids queued at it, each may move the end)


# -- bidders: one load-generator process --------------------------------------------------------


@dataclass
class Tally:
    codes: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    extended: int = 0  # accepted bids that moved the end
    last_answer: float = 0.0

    def count(self, code: str) -> None:
        self.codes[code] = self.codes.get(code, 0) + 1


class Market:
    """The highest price this load process has seen, shared by its bidders."""

    def __init__(self, price: int) -> None:
        self.price = price

    def saw(self, auction: Any) -> None:
        if isinstance(auction, dict) and isinstance(auction.get("price_minor"), int):
            self.price = max(self.price, auction["price_minor"])


class BidderSocket(sio.BareSocket):
    """A bidder's connection; the one `watcher` of a process reads the room's auction events."""

    market: Market | None = None

    def event(self, data: bytes) -> None:
        if self.market is not None and data.startswith(b'42["auction_updated"'):
            self.market.saw(json.loads(data[2:])[1].get("auction"))


async def connect(plan: dict) -> tuple[list[BidderSocket], dict[str, int]]:
    gate = asyncio.Semaphore(HANDSHAKES_IN_FLIGHT)
    failures: dict[str, int] = {}

    async def one(token: str, url: str) -> BidderSocket | None:
        async with gate:
            try:
                return await sio.open_socket(url, plan["stream_id"], BidderSocket,
                                             {"token": token})  # fmt: skip
            except Exception as exc:  # refused, timed out, reset: counted by reason
                why = sio.reason(exc)
                failures[why] = failures.get(why, 0) + 1
                return None

    tasks = []
    for token, url in plan["bidders"]:
        tasks.append(asyncio.create_task(one(token, url)))
        await asyncio.sleep(1 / plan["connect_rate"])
    found = [s for s in await asyncio.gather(*tasks) if s is not None]
    return found, failures


async def bidder(sock: BidderSocket, n: int, plan: dict, market: Market, tally: Tally,
                 until: float) -> None:  # fmt: skip
    rng = random.Random(n)
    proxy = rng.random() < plan["proxy_fraction"]
    think_s, timeout = plan["think_ms"] / 1000, plan["timeout"]
    keys = 0
    while time.monotonic() < until:
        keys += 1
        step = INCREMENT_MINOR * rng.randint(1, 3)
        body: dict[str, Any] = {
            "auction_id": plan["auction_id"],
            "idempotency_key": f"bid{n:06d}-{keys}",
        }
        if proxy:
            event, body["max_minor"] = "set_max_bid", market.price + 5 * INCREMENT_MINOR
        else:
            event, body["amount_minor"] = "bid", market.price + step
        sent = time.monotonic()
        try:
            ack = await asyncio.wait_for(sock.emit(event, body), timeout)
        except TimeoutError:
            ack = {"error": {"code": "timeout"}}
        except (ConnectionError, OSError) as exc:
            ack = {"error": {"code": f"error {type(exc).__name__}"}}
        done = time.monotonic()
        tally.last_answer = done
        tally.latencies_ms.append(round((done - sent) * 1000, 3))
        if ack.get("ok"):
            tally.count("accepted")
            market.saw(ack.get("auction"))
            tally.extended += bool(ack.get("bid", {}).get("extended"))
        else:
            code = str((ack.get("error") or {}).get("code"))
            tally.count(code)
            if code == "auction_ended" or code.startswith("error"):
                return
        if think_s:
            await asyncio.sleep(think_s)


async def run_bidders(args: argparse.Namespace) -> None:
    plan = json.loads(await asyncio.to_thread(Path(args.plan).read_text))
    sockets, failures = await connect(plan)
    say({"ready": True, "connected": len(sockets), "socket_failures": failures})
    while (go := await command("go", "stop")).startswith("go"):
        _, at, auction_id, price = go.split()
        start, tally, market = float(at), Tally(), Market(int(price))
        plan["auction_id"] = int(auction_id)
        if sockets:
            sockets[0].market = market
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        until = start + plan["seconds"]
        await asyncio.gather(*(bidder(s, n * 7919 + plan["index"], plan, market, tally, until)
                               for n, s in enumerate(sockets)))  # fmt: skip
        say(vars(tally))
    for sock in sockets:
        sock.close()


# -- the world and the audit --------------------------------------------------------------------


async def start_auction(url: str, world: dict, args: argparse.Namespace) -> dict:
    terms = {"product_id": world["product_id"], "start_minor": START_MINOR,
             "increment_minor": INCREMENT_MINOR, "duration_s": args.duration,
             "anti_snipe_s": args.anti_snipe}  # fmt: skip
    async with ClientSession() as http:
        answer = await flash.api(http, "POST", f"{url}/api/streams/{world['stream_id']}/auctions",
                                 terms, world["host"])  # fmt: skip
    return answer["auction"]


async def until_settled(url: str, auction_id: int, within_s: float) -> dict:
    """The auction once a server has settled it (status "ended")."""
    deadline = time.monotonic() + within_s
    async with ClientSession() as http:
        while time.monotonic() < deadline:
            answer = await flash.api(http, "GET", f"{url}/api/auctions/{auction_id}", expect=200)
            if answer["auction"]["status"] == "ended" and answer["auction"]["result"]:
                return answer["auction"]
            await asyncio.sleep(0.25)
    raise RuntimeError(f"auction {auction_id} was not settled within {within_s:g} s")


async def audit(engine: Any, auction_id: int) -> dict:
    """The persisted bid log replayed through the domain rules, line by line and to the end."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncSession

    from server.core.domain.auctions import decide, opening, outcome
    from server.core.services.auctions import bid_of, terms_of
    from server.core.store.rows import Auction, AuctionBid, as_utc

    async with AsyncSession(engine) as session:
        row = await session.get(Auction, auction_id)
        query = select(AuctionBid).where(AuctionBid.auction_id == auction_id)
        log = list(await session.scalars(query.order_by(AuctionBid.seq)))
    assert row is not None
    terms = terms_of(row)
    state = opening(terms, int(as_utc(row.started_at).timestamp() * 1000 + 0.5))
    differ = 0
    for line in log:
        if line.code == "bidder_removed":  # a moderator's word, outside the rules
            continue
        decision = decide(terms, state, bid_of(line))
        code = None if decision.code is None else str(decision.code)
        seen = (code, decision.state.price_minor, decision.state.leader)
        differ += seen != (line.code, line.price_minor, line.leader_id)
        state = decision.state
    done = outcome(terms, state)
    same = (done.result.value, done.winner, done.price_minor) == (
        row.result, row.winner_id, row.price_minor,
    )  # fmt: skip
    accepted = [line.price_minor for line in log if line.code is None]
    return {
        "logged": len(log),
        "logged_accepted": len(accepted),
        "logged_by_rules_not_ended": sum(
            1 for line in log if line.code is None or line.code in RULE_CODES - {"auction_ended"}
        ),
        "log_gaps": sum(1 for n, line in enumerate(log, 1) if line.seq != n),
        "log_differs": differ,
        "price_went_down": sum(1 for a, b in itertools.pairwise(accepted) if b < a),
        "result": row.result,
        "winner_id": row.winner_id,
        "price_minor": row.price_minor,
        "replay_result": done.result.value,
        "replay_winner_id": done.winner,
        "replay_price_minor": done.price_minor,
        "inconsistent": differ + (not same),
    }


# -- one set-up ---------------------------------------------------------------------------------


async def measure(setup: flash.Setup, args: argparse.Namespace) -> dict:
    from sqlalchemy.ext.asyncio import create_async_engine

    async with contextlib.AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="auction-bench-")))
        env = {"SHOPCAST_SECRET": secrets.token_urlsafe(36), "SHOPCAST_PAYMENTS": "test",
               "SHOPCAST_ALLOW_TEST_PAYMENTS": "1"}  # fmt: skip
        if setup.postgres:
            env["SHOPCAST_DATABASE_URL"] = await backends.fresh_postgres(
                args.pg_admin_url, stack, prefix="bench_auction"
            )
            env["SHOPCAST_REDIS_URL"] = await backends.flushed_redis(
                args.redis_url, args.redis_db, stack
            )
        else:
            env["SHOPCAST_DATABASE_URL"] = f"sqlite+aiosqlite:///{folder}/shop.db"
        servers: list[Child] = []
        stack.push_async_callback(processes.stop_all, servers, 15.0 if args.profile else 5.0)
        urls = []
        for n in range(setup.servers):  # one at a time: the first one migrates the schema
            port, log = processes.free_port(), folder / f"server-{n}.log"
            servers.append(await start_server(port, env, log, args, n))
            urls.append(f"http://127.0.0.1:{port}")
            await processes.wait_serving(servers[-1], urls[-1], log=log)
        engine = create_async_engine(env["SHOPCAST_DATABASE_URL"], pool_size=2)
        stack.push_async_callback(engine.dispose)
        world = await flash.seed(urls[0], 1)
        user_ids = await flash.add_buyers(engine, args.bidders)
        tokens = flash.mint(env["SHOPCAST_SECRET"], user_ids)
        await flash.go_live(engine, world["stream_id"])
        loads: list[Child] = []
        stack.push_async_callback(processes.stop_all, loads, 0.0)
        for n, plan in enumerate(plans(args, urls, world, tokens, folder)):
            argv = processes.script(__file__, "bidders", {"plan": plan})
            loads.append(await Child.start(f"load {n}", argv, cpus=args.load_cpus))
        ready = [await load.read() for load in loads]
        db_name = urlsplit(env["SHOPCAST_DATABASE_URL"]).path[1:] if setup.postgres else None

        def sample() -> Sample:
            live = [s.pid for s in servers if s.proc.returncode is None]
            return Sample.take({"server": [p for pid in live for p in usage.family(pid)],
                                "load": [p.pid for p in loads],
                                "db": flash.db_pids(db_name) if db_name else []})  # fmt: skip

        auction = await start_auction(urls[0], world, args)
        start = time.monotonic() + 0.5
        for load in loads:
            await load.send(f"go {start!r} {auction['id']} {START_MINOR}")
        await asyncio.sleep(start - time.monotonic())
        before = sample()
        results = [await load.read() for load in loads]
        after = sample()
        for load in loads:
            await load.send("stop")
        ends_in = args.anti_snipe + max(0.0, args.duration - args.seconds)
        settled = await until_settled(urls[0], auction["id"], ends_in + END_WAIT_S)
        await asyncio.sleep(1.0)  # every node writes its bids within its period
        row = {"settled": settled} | await audit(engine, auction["id"])
        row["server_log_problems"] = flash.log_problems(folder)
        row["servers_exited"] = [s.name for s in servers if s.proc.returncode is not None]
        raw = {"start": start, "results": results, "cpu": after.since(before), "ready": ready}
        return summarize(setup, args, raw, row)
    raise AssertionError("unreachable")  # for type checkers: the stack never swallows errors


async def start_server(port: int, env: dict[str, str], log: Path, args: argparse.Namespace,
                       n: int) -> Child:  # fmt: skip
    """As bench/flash_sale.py starts one; with `--profile DIR`, under cProfile, its profile
    written to DIR/server-<n>.prof when it stops (SIGTERM, then a graceful exit)."""
    if args.profile is None:
        return await flash.start_server(port, env, log, args.server_cpus)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SHOPCAST_")} | env
    migrate = await processes.start_server(
        "migrate", [sys.executable, "-m", "server", "migrate"], log, env=environ
    )
    if await migrate.proc.wait() != 0:
        raise RuntimeError(f"shopcast migrate failed: see {log}")
    args.profile.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "cProfile", "-o", str(args.profile / f"server-{n}.prof"),
            "-m", "server", "serve", "--port", str(port)]  # fmt: skip
    return await processes.start_server(f"server :{port}", argv, log, cpus=args.server_cpus,
                                        env=environ)  # fmt: skip


def plans(args: argparse.Namespace, urls: list[str], world: dict, tokens: list[str],
          folder: Path) -> list[Path]:  # fmt: skip
    """Bidder j in process j mod P, on server (j div P) mod S."""
    per: list[list] = [[] for _ in range(args.processes)]
    for j, token in enumerate(tokens):
        per[j % args.processes].append([token, urls[(j // args.processes) % len(urls)]])
    files = []
    for n, bidders in enumerate(per):
        plan = {"bidders": bidders, "index": n, "stream_id": world["stream_id"],
                "seconds": args.seconds, "think_ms": args.think_ms, "timeout": args.timeout,
                "proxy_fraction": args.proxy_fraction,
                "connect_rate": args.connect_rate / args.processes}  # fmt: skip
        files.append(folder / f"plan-{n}.json")
        files[-1].write_text(json.dumps(plan))
    return files


def summarize(setup: flash.Setup, args: argparse.Namespace, raw: dict, row: dict) -> dict:
    results, start = raw["results"], raw["start"]
    latencies = [ms for r in results for ms in r["latencies_ms"]]
    codes = dict(sorted(merged([r["codes"] for r in results]).items()))
    end = max((r["last_answer"] for r in results), default=start)
    elapsed = max(end - start, 1e-9)
    accepted = codes.get("accepted", 0)
    refused = sum(n for code, n in codes.items() if code in RULE_CODES)
    decided = accepted + refused
    # Every bid a bidder was answered for by the rules (auction_ended aside: a node that has
    # settled the auction says so without asking the book) is in the log.
    answered = decided - codes.get("auction_ended", 0)
    cpu = raw["cpu"]
    return {
        "setup": setup.name,
        "servers": setup.servers,
        "bidders": args.bidders,
        "connected": sum(r["connected"] for r in raw["ready"]),
        "socket_failures": merged([r["socket_failures"] for r in raw["ready"]]),
        "seconds": args.seconds,
        "think_ms": args.think_ms,
        "answers": len(latencies),
        "accepted": accepted,
        "refused": refused,
        "other_answers": len(latencies) - decided,
        "codes": codes,
        "extended": sum(r["extended"] for r in results),
        "decided_per_s": decided / elapsed,
        "accepted_per_s": accepted / elapsed,
        "refused_per_s": refused / elapsed,
        "elapsed_s": elapsed,
        "latency_ms_p50": quantile(latencies, 0.5),
        "latency_ms_p99": quantile(latencies, 0.99),
        "latency_ms_max": max(latencies, default=None),
        "server_cpu_s": cpu["server"],
        "server_cpu_cores": cpu["server"] / elapsed,
        "server_cpu_us_per_bid": cpu["server"] / decided * 1e6 if decided else None,
        "db_cpu_cores": cpu["db"] / elapsed if setup.postgres else None,
        "load_cpu_cores": cpu["load"] / elapsed,
        "other_cpu_cores": cpu["other"] / elapsed,
        "lost": max(0, answered - row["logged_by_rules_not_ended"]),
        **{k: v for k, v in row.items() if k != "server_log_problems"},
        "server_log_problems": len(row["server_log_problems"]),
        "server_log_first_problems": row["server_log_problems"][:5],
    }


def correct(row: dict) -> bool:
    return (
        row["inconsistent"] == 0
        and row["log_gaps"] == 0
        and row["lost"] == 0
        and row["price_went_down"] == 0
        and row["accepted"] > 0
    )


def goal_met(row: dict) -> bool:
    p99 = row["latency_ms_p99"]
    return p99 is not None and p99 < GOAL_P99_MS and row["decided_per_s"] >= GOAL_BIDS_PER_S


COLUMNS = [
    Column("setup", "setup"),
    Column("servers", "servers"),
    Column("bidders", "bidders", "{:,}"),
    Column("think ms", "think_ms", "{:g}"),
    Column("decided/s", "decided_per_s", "{:,.0f}"),
    Column("accepted/s", "accepted_per_s", "{:,.0f}"),
    Column("refused/s", "refused_per_s", "{:,.0f}"),
    Column("other", "other_answers", "{:,}"),
    Column("extended", "extended", "{:,}"),
    *LATENCY_COLUMNS,
    Column("server CPU", "server_cpu_cores", "{:.2f}"),
    Column("µs/bid", "server_cpu_us_per_bid", "{:.0f}"),
    Column("PG+Redis CPU", "db_cpu_cores", "{:.2f}"),
    Column("load CPU", "load_cpu_cores", "{:.2f}"),
    Column("other CPU", "other_cpu_cores", "{:.2f}"),
    Column("logged", "logged", "{:,}"),
    Column("inconsistent", "inconsistent"),
    Column("correct", "correct"),
]


def shown(rows: list[dict]) -> list[dict]:
    return [row | {"correct": "yes" if correct(row) else "NO"} for row in rows]


def notes(rows: list[dict], args: argparse.Namespace) -> list[str]:
    lines = []
    for r in rows:
        lines.append(
            f"{r['setup']} answers: " + ", ".join(f"{c} x{n:,}" for c, n in r["codes"].items())
        )
        lines.append(
            f"{r['setup']}: {r['result']} to {r['winner_id']} at {r['price_minor']}; replay:"
            f" {r['replay_result']} to {r['replay_winner_id']} at {r['replay_price_minor']};"
            f" log lines that differ from the rules {r['log_differs']}, gaps {r['log_gaps']},"
            f" answered but not logged {r['lost']}"
        )
        if r["socket_failures"] or r["server_log_problems"] or r["servers_exited"]:
            lines.append(f"{r['setup']}: sockets that never joined {r['socket_failures']},"
                         f" server log problems {r['server_log_first_problems']},"
                         f" servers exited {r['servers_exited']}")  # fmt: skip
        lines.append(
            f"goal ({r['setup']}: >= {GOAL_BIDS_PER_S:,.0f} bids/s decided, p99 ack <"
            f" {GOAL_P99_MS:g} ms): {'met' if goal_met(r) else 'NOT met'}"
        )
    lines += [
        "decided: accepted + refused by the auction's rules (bid_too_low, already_leading,"
        " auction_ended), each logged; other: rate_limited, timeouts, errors",
        "µs/bid: the server processes' CPU over the bidding (idle included) per decided bid;"
        f" CPU in cores of {os.cpu_count()}, shared by servers, PostgreSQL, Redis and the load",
        f"with {args.bidders:,} bidders each waiting for its ack, mean latency = bidders /"
        " rate (Little's law): --think-ms measures latency below saturation",
        "inconsistent: log lines whose decision differs from the domain rules' replay, plus 1"
        " if the auction's result, winner or price differs from the replay's outcome",
    ]
    return lines


async def main(args: argparse.Namespace) -> None:
    this = asyncio.current_task()
    assert this is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, this.cancel)
    record = Record.begin()
    rows: list[dict] = []
    for name in args.setups:
        rows.append(await measure(flash.SETUPS[name], args))
        report.progress(COLUMNS, shown(rows))
    print("\n" + report.table(COLUMNS, shown(rows)))
    for line in notes(rows, args):
        print(line)
    settings = {k: v for k, v in vars(args).items() if k in SETTINGS}
    settings["cores"] = os.cpu_count()
    for row in rows:
        row["correct"], row["goal_met"] = correct(row), goal_met(row)
    report.write_json(args.out, {"settings": settings, "rows": rows, "notes": notes(rows, args)},
                      record)  # fmt: skip


SETTINGS = ["bidders", "seconds", "setups", "processes", "think_ms", "proxy_fraction",
            "duration", "anti_snipe", "timeout", "connect_rate", "server_cpus",
            "load_cpus"]  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--bidders", type=int, default=2000, help="bidders, one account and socket each")
    add("--seconds", type=float, default=20.0, help="how long they bid")
    add("--setups", nargs="+", choices=list(flash.SETUPS), default=list(flash.SETUPS))
    add("--processes", type=int, default=2, help="load-generator processes")
    add("--think-ms", type=float, default=0.0, help="each bidder's pause after an ack")
    add("--proxy-fraction", type=float, default=0.05,
        help="bidders who set a maximum (set_max_bid) instead of bidding")  # fmt: skip
    add("--duration", type=int, default=10, help="the auction's duration_s")
    add("--anti-snipe", type=int, default=5, help="the auction's anti_snipe_s")
    add("--timeout", type=float, default=10.0, help="seconds before an ack counts as timeout")
    add("--connect-rate", type=float, default=500.0,
        help="bidders connecting and joining per second before the auction, in all")  # fmt: skip
    add("--pg-admin-url", default=backends.PG_ADMIN_URL,
        help="where the run's database is created and dropped")  # fmt: skip
    add("--redis-url", default=backends.REDIS_URL)
    add("--redis-db", type=int, default=8, help="the Redis database flushed and used (never 0)")
    add("--profile", type=Path, default=None, metavar="DIR",
        help="run the servers under cProfile, their profiles written to DIR")  # fmt: skip
    processes.add_run_options(parser, "auction")
    add("--role", default="main", choices=["main", "bidders"])
    add("--plan", default="")
    args = parser.parse_args()
    if args.role == "main" and not (
        args.bidders >= 1 and args.seconds > 0 and args.processes >= 1 and args.think_ms >= 0
        and 0 <= args.proxy_fraction <= 1 and args.connect_rate > 0
    ):  # fmt: skip
        parser.error("need --bidders, --processes >= 1, --seconds, --connect-rate > 0,"
                     " --think-ms >= 0 and 0 <= --proxy-fraction <= 1")  # fmt: skip
    return args


if __name__ == "__main__":
    args = parse_args()
    if args.role == "bidders":
        asyncio.run(run_bidders(args))
    else:
        asyncio.run(main(args))
