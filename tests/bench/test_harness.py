"""The benchmarks' harness (bench/harness): CPU and memory of real processes from /proc, CPU
pinning, waiting for a server, the table, the JSON record; and each benchmark on its smallest
settings (slow), checked against the table columns and JSON fields it has always had."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bench.harness import processes, record, report, usage
from bench.harness.processes import Child
from bench.harness.report import Column

ROOT = Path(__file__).resolve().parent.parent.parent
TICK_S = 1 / usage.TICKS

# Burns `argv[1]` CPU seconds when told, telling its own count (CLOCK_PROCESS_CPUTIME_ID) before
# and after; or, with "memory", holds that many MiB it has written to.
CHILD = """
import sys, time
what, amount = sys.argv[1], float(sys.argv[2])
print(time.process_time(), flush=True)
sys.stdin.readline()
if what == "cpu":
    start = time.process_time()
    while time.process_time() - start < amount:
        for _ in range(100_000):  # in user space: asking the clock is a system call
            pass
else:
    held = b"x" * (int(amount) << 20)
print(time.process_time(), flush=True)
sys.stdin.readline()
"""


async def child(what: str, amount: float, cpus: str | None = None) -> Child:
    argv = [sys.executable, "-c", CHILD, what, str(amount)]
    return await Child.start(what, argv, cpus=cpus)


async def test_cpu_of_a_child_from_proc_matches_what_it_burnt() -> None:
    burner = await child("cpu", 0.5)
    try:
        ready = float(await burner.line())  # blocked on stdin from here: no more CPU
        before = usage.Sample.take({"burner": [burner.pid]})
        await burner.send("go")
        burnt = float(await burner.line()) - ready
        after = usage.Sample.take({"burner": [burner.pid]})
    finally:
        await burner.stop()
    used = after.since(before)
    # /proc counts in clock ticks: each of the two samples may be a tick or two short
    assert burnt >= 0.5
    assert abs(used["burner"] - burnt) <= 4 * TICK_S + 0.01, (used, burnt)
    assert after.times_since(before, "burner").user >= 0.8 * burnt  # a loop in user space
    assert after.machine - before.machine >= burnt - 4 * TICK_S  # the machine saw it too
    assert used["other"] >= 0


async def test_a_process_that_came_or_went_between_samples_counts_what_it_used_meanwhile() -> None:
    burner = await child("cpu", 0.2)
    try:
        await burner.line()
        before = usage.Sample.take({"load": [], "gone": [os.getpid()]})
        await burner.send("go")
        await burner.line()
        after = usage.Sample.take({"load": [burner.pid], "gone": []})
    finally:
        await burner.stop()
    used = after.since(before)
    assert used["load"] >= 0.2 - 2 * TICK_S  # counted from 0: it was not in the first sample
    assert used["gone"] == 0
    assert usage.cpu_times(burner.pid) == (0.0, 0.0)  # reaped: nothing to read


async def test_resident_memory_of_a_child_from_proc() -> None:
    holder = await child("memory", 64)
    try:
        await holder.line()
        before = usage.Sample.take({"holder": [holder.pid]}).rss["holder"]
        await holder.send("go")
        await holder.line()
        after = usage.Sample.take({"holder": [holder.pid]}).rss["holder"]
    finally:
        await holder.stop()
    assert holder.rss() == 0  # gone
    assert after - before >= 60 << 20, (before, after)


async def test_taskset_puts_a_child_on_the_cpus_it_is_given() -> None:
    cpu = str(max(os.sched_getaffinity(0)))
    pinned, free = await child("cpu", 0, cpus=cpu), await child("cpu", 0)
    try:
        await pinned.line()
        await free.line()
        assert processes.cpus_allowed(pinned.pid) == cpu
        assert processes.cpus_allowed(free.pid) == processes.cpus_allowed(os.getpid())
    finally:
        await processes.stop_all([pinned, free])
    assert pinned.proc.returncode is not None and free.proc.returncode is not None


# Starts a long sleeper through the harness, says its pid, then waits to be killed.
ORCHESTRATOR = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from bench.harness.processes import Child
async def main():
    sleeper = await Child.start("sleeper", [sys.executable, "-c", "import time; time.sleep(120)"])
    print(sleeper.pid, flush=True)
    await asyncio.sleep(120)
asyncio.run(main())
"""


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_a_child_dies_with_the_benchmark_that_started_it() -> None:
    argv = [sys.executable, "-c", ORCHESTRATOR, str(ROOT)]
    orchestrator = await Child.start("orchestrator", argv)
    try:
        sleeper = int(await orchestrator.line())
        assert running(sleeper)
    finally:
        await orchestrator.stop()  # SIGKILL: no chance to clean up after itself
    for _ in range(600):  # the kernel kills it at once; wait for that, up to 30 s
        if not running(sleeper):
            break
        await asyncio.sleep(0.05)
    assert not running(sleeper)


def test_cpu_lists_read_as_taskset_reads_them() -> None:
    assert processes.cpu_set("0") == {0}
    assert processes.cpu_set("0,2-3") == {0, 2, 3}
    for bad in ("", "a", "3-1", "1-", "0,,1"):
        with pytest.raises(ValueError):
            processes.cpu_set(bad)
    usable = os.sched_getaffinity(0)
    assert processes.cpu_list(str(min(usable))) == str(min(usable))
    with pytest.raises(argparse.ArgumentTypeError, match="not one of this machine's"):
        processes.cpu_list(str(max(usable) + 1))


async def test_wait_serving_waits_for_the_port_or_the_health_check(tmp_path: Path) -> None:
    port = processes.free_port()
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    server = await processes.start_server("http", argv, tmp_path / "http.log")
    try:
        url = f"http://127.0.0.1:{port}"
        await processes.wait_serving(server, url, health=None)
        await processes.wait_serving(server, url, health="/")  # a 200: the folder's listing
    finally:
        await server.stop(grace_s=5.0)


async def test_wait_serving_says_why_a_server_that_exited_never_served(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys; sys.exit('no database: bench test')"]
    log = tmp_path / "server.log"
    server = await processes.start_server("broken", argv, log)
    with pytest.raises(RuntimeError, match=r"broken exited during start:\n.*no database"):
        await processes.wait_serving(server, f"http://127.0.0.1:{processes.free_port()}", log=log)


def drained(row: dict) -> str:
    return "" if row["done"] else "+"


COLUMNS = [
    Column("name", "name"),
    Column("p99 ms", "p99", "{:.1f}"),
    Column("n", "n", "{:,}", mark=drained),
]
ROWS: list[dict] = [
    {"name": "shopcast", "p99": 12.345, "n": 12345, "done": True},
    {"name": "base", "p99": None, "n": 7, "done": False},
]


def test_the_table_aligned_and_not() -> None:
    assert report.table(COLUMNS, ROWS) == (
        "    name | p99 ms |      n\nshopcast |   12.3 | 12,345\n    base |      - |     7+"
    )
    assert report.table(COLUMNS, ROWS, align=False) == (
        "name | p99 ms | n\nshopcast | 12.3 | 12,345\nbase | - | 7+"
    )


def test_progress_prints_the_header_once(capsys: pytest.CaptureFixture[str]) -> None:
    report.progress(COLUMNS, ROWS[:1])
    report.progress(COLUMNS, ROWS)
    report.progress(COLUMNS, ROWS, header=False, align=False)
    assert capsys.readouterr().out.splitlines() == [
        "    name | p99 ms |      n",
        "shopcast |   12.3 | 12,345",
        "base |      - | 7+",  # as wide as its own cells: printed before the next row is known
        "base | - | 7+",
    ]


def test_quantiles_and_merged_counts() -> None:
    assert report.quantile([], 0.5) is None
    assert report.quantile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert report.quantile([float(n) for n in range(100)], 0.99) == 99.0
    assert report.merged([{"a": 1}, {"a": 2, "b": 1}]) == {"a": 3, "b": 1}


def test_the_json_keeps_the_result_and_records_machine_commit_python_and_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = record.Record.begin()
    out = tmp_path / "results" / "bench.json"
    report.write_json(out, {"settings": {"a": 1}, "rows": [{"x": 1}]}, run)
    assert capsys.readouterr().out == f"wrote {out}\n"
    data = json.loads(out.read_text())
    assert list(data)[:2] == ["settings", "rows"]  # the benchmark's own keys first, unchanged
    assert data["rows"] == [{"x": 1}]
    machine = data["machine"]
    assert machine["cores"] == os.cpu_count()
    assert machine["usable_cores"] == len(os.sched_getaffinity(0))
    assert len(machine["load_average"]) == 3
    assert 0 < machine["memory_available_mib"] <= machine["memory_total_mib"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    assert data["commit"]["sha"] == head.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", data["commit"]["sha"])
    assert isinstance(data["commit"]["dirty"], bool)
    assert data["python"] == platform.python_version()
    assert datetime.fromisoformat(data["started_at"]) <= datetime.fromisoformat(data["finished_at"])


def test_the_commit_says_whether_the_tree_is_dirty(tmp_path: Path) -> None:
    assert record.commit(tmp_path) == {"sha": None, "dirty": None}  # no repository
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@shopcast.test"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "a.txt").write_text("one")
    subprocess.run([*git, "add", "a.txt"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=tmp_path, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    assert record.commit(tmp_path) == {"sha": head, "dirty": False}
    (tmp_path / "a.txt").write_text("two")
    assert record.commit(tmp_path) == {"sha": head, "dirty": True}


# -- each benchmark on its smallest settings: the table and the JSON they always had -----------

CHAT_TITLES = ["server", "viewers", "msgs/s", "sent/s", "deliveries/s", "p50 ms", "p99 ms",
               "max ms", "lost", "drain s", "CPU s/1k", "CPU cores", "KiB/conn", "failures",
               "msgs/frame", "load CPU"]  # fmt: skip
CHAT_SETTINGS = ["viewers", "rates", "extra", "servers", "seconds", "likes", "senders",
                 "viewers_per_process", "connect_rate", "drain", "cores"]  # fmt: skip
CHAT_FIELDS = [
    "server", "viewers", "viewers_connected", "senders", "msgs_per_s", "sent", "sent_per_s",
    "expected_per_viewer", "refused", "unacked", "deliveries", "deliveries_per_s",
    "latency_ms_p50", "latency_ms_p99", "latency_ms_max", "lost", "lost_max_per_viewer",
    "viewers_with_loss", "duplicates", "drain_s", "drained", "server_cpu_s_per_1k_deliveries",
    "server_cpu_cores", "server_rss_per_connection_kib", "server_rss_mib", "failures",
    "failure_reasons", "reader_errors", "msgs_per_frame", "ack_ms_p50", "ack_ms_p99",
    "load_cpu_cores", "likes", "likes_acked", "likes_refused", "likes_seen_per_checked_viewer",
    "checked_events", "checked_mismatches", "server_log_problems", "server_log_first_problems",
]  # fmt: skip
FLASH_TITLES = ["setup", "transport", "workers", "buyers", "requests", "orders", "oversold",
                "dupes", "stock left", "attempts/s", "p50 ms", "p99 ms", "max ms", "lag p99",
                "server CPU", "µs/attempt", "µs/loser", "µs/winner", "PG+Redis CPU",
                "load CPU window", "other CPU", "correct"]  # fmt: skip
FLASH_SETTINGS = ["buyers", "units", "window", "setups", "processes", "connections",
                  "retry_fraction", "no_deal", "no_warm", "timeout", "seed", "deal_duration",
                  "transports", "workers", "connect_rate", "loser_wave", "cores"]  # fmt: skip
FLASH_FIELDS = [
    "setup", "transport", "servers", "workers", "buyers", "units", "deal", "requests", "orders",
    "sold", "oversold", "stock_left", "stock_min", "deal_sold", "duplicates", "duplicate_buyers",
    "retry_mismatches", "double_click_refused", "retries_failed_after_order", "order_ids_shared",
    "orders_unanswered", "examples", "answers_201", "codes", "attempts_per_s", "last_answer_s",
    "latency_ms_p50", "latency_ms_p99", "latency_ms_max", "lag_ms_p99", "lag_ms_max",
    "pool_waits", "pool_wait_ms_p99", "pool_wait_ms_max", "server_cpu_s", "server_cpu_cores",
    "server_cpu_cores_window", "db_cpu_cores", "db_cpu_cores_window", "load_cpu_cores",
    "load_cpu_cores_window", "other_cpu_cores", "other_cpu_cores_window",
    "server_cpu_us_per_attempt", "db_cpu_us_per_attempt", "server_idle_cpu_cores", "winners",
    "loser_attempts", "loser_codes", "loser_latency_ms_p99", "server_cpu_us_per_loser",
    "db_cpu_us_per_loser", "server_cpu_us_per_winner", "db_cpu_us_per_winner",
    "per_server_process_cpu_s",
    "warm_connections", "socket_failures", "setup_s", "servers_exited", "killed_worker",
    "conserved", "server_log_problems",
    "server_log_first_problems", "correct", "goal_met",
]  # fmt: skip
MEDIA_FIELDS = [
    "relay", "codec", "viewers", "server_cpu_cores", "server_cpu_per_viewer_cores",
    "server_cpu_us_per_packet", "server_user_us_per_packet", "server_system_us_per_packet",
    "packets_forwarded", "frames_received_ratio", "loss_per_viewer_max", "loss_ratio",
    "latency_ms_p50", "latency_ms_p99", "relay_latency_ms_p50", "relay_latency_ms_p99",
    "fanout_us_per_send", "first_frame_ms_p50", "first_frame_ms_p99",
    "server_rss_per_viewer_kib", "mbps_per_viewer",
]  # fmt: skip
MEDIA_TITLES = ["relay", "codec", "viewers", "server_cpu_cores", "server_cpu_per_viewer_cores",
                "server_cpu_us_per_packet", "server_user_us_per_packet", "fanout_us_per_send",
                "frames_received_ratio", "loss_ratio", "latency_ms_p50", "latency_ms_p99",
                "relay_latency_ms_p99", "first_frame_ms_p50", "first_frame_ms_p99",
                "server_rss_per_viewer_kib", "mbps_per_viewer"]  # fmt: skip
MEDIA_SETTINGS = ["relay", "port", "url", "count", "viewers", "baseline_viewers", "codecs",
                  "width", "height", "bitrate", "seconds"]  # fmt: skip


def run_benchmark(name: str, out: Path, *flags: str, within_s: float) -> tuple[dict, list[str]]:
    """The benchmark as people run it; its JSON and its table's header, split into titles."""
    done = subprocess.run(
        [sys.executable, f"bench/{name}.py", *flags, "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=within_s,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert f"wrote {out}" in lines
    header = lines[lines.index("") + 1]  # the whole table, after the rows as they came
    data = json.loads(out.read_text())
    for key in ("machine", "commit", "python", "started_at", "finished_at"):
        assert data[key], key
    assert data["machine"]["cores"] == os.cpu_count()
    return data, [title.strip() for title in header.split("|")]


def pinning() -> list[str]:
    """The server on one CPU and the load on another, where there are two."""
    usable = sorted(os.sched_getaffinity(0))
    return ["--server-cpus", str(usable[0]), "--load-cpus", str(usable[-1])]


@pytest.mark.slow
def test_chat_benchmark_smoke_run(tmp_path: Path) -> None:
    flags = ["--viewers", "20", "--rates", "10", "--extra", "--seconds", "1",
             "--servers", "shopcast", *pinning()]  # fmt: skip
    data, titles = run_benchmark("chat", tmp_path / "chat.json", *flags, within_s=300)
    assert titles == CHAT_TITLES
    assert set(CHAT_SETTINGS) <= set(data["settings"])
    assert data["settings"]["server_cpus"] == flags[-3]
    assert data["settings"]["load_cpus"] == flags[-1]
    [row] = data["rows"]
    assert list(row) == CHAT_FIELDS
    assert (row["server"], row["viewers"], row["viewers_connected"]) == ("shopcast", 20, 20)
    assert row["sent"] == 10 and row["lost"] == 0 and row["failures"] == 0
    assert row["deliveries"] == 10 * (20 + 20)  # every viewer and every sender got each one
    assert row["server_cpu_cores"] > 0 and row["load_cpu_cores"] > 0


@pytest.mark.slow
def test_flash_sale_benchmark_smoke_run(tmp_path: Path) -> None:
    flags = ["--buyers", "300", "--units", "30", "--setups", "sqlite", "--processes", "2",
             "--connections", "100", "--transports", "http", "--no-loser-wave"]  # fmt: skip
    data, titles = run_benchmark("flash_sale", tmp_path / "flash.json", *flags, within_s=600)
    assert titles == FLASH_TITLES
    assert set(FLASH_SETTINGS) <= set(data["settings"])
    assert data["settings"]["server_cpus"] is None  # nothing pinned unless asked
    [row] = data["rows"]
    assert list(row) == FLASH_FIELDS
    assert (row["setup"], row["transport"], row["workers"], row["buyers"]) == (
        "sqlite",
        "http",
        1,
        300,
    )
    assert row["correct"] is True
    assert (row["orders"], row["oversold"], row["duplicates"], row["stock_left"]) == (30, 0, 0, 0)
    assert row["requests"] == 300 + 2 * 30  # 10 % double-click and retry
    assert row["server_cpu_s"] > 0


@pytest.mark.slow
def test_media_benchmark_smoke_run(tmp_path: Path) -> None:
    flags = ["--viewers", "2", "--baseline-viewers", "1", "--codecs", "vp8", "--width", "320",
             "--height", "240", "--seconds", "2"]  # fmt: skip
    data, titles = run_benchmark("media", tmp_path / "media.json", *flags, within_s=600)
    assert titles == MEDIA_TITLES
    assert set(MEDIA_SETTINGS) <= set(data["settings"])
    ours, baseline = data["rows"]
    assert list(ours) == MEDIA_FIELDS and list(baseline) == MEDIA_FIELDS
    assert (ours["relay"], ours["viewers"], baseline["relay"]) == ("shopcast", 2, "aiortc")
    assert ours["packets_forwarded"] > 0 and ours["frames_received_ratio"] > 0
    assert list(data["forwarding_path"]) == [
        "viewers", "sends", "us_per_send_cpu", "us_per_send_user", "us_per_send_wall",
    ]  # fmt: skip
