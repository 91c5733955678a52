"""Child processes of a benchmark: servers and load generators, each on the CPUs it is given.

The orchestrating process speaks to its load generators by lines: a command on their stdin,
one JSON value a line on their stdout (`say` and `command` are the child's side). Every child
is SIGKILLed if the orchestrator dies, however it dies, so no server outlives a run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector

from bench.harness import ROOT, usage

SERVING_WITHIN_S = 60.0
LOG_TAIL_BYTES = 3000
LINE_LIMIT = 1 << 26  # a load process's final answer can be a few MB of JSON


PR_SET_PDEATHSIG = 1
PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child only calls it


def die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it when the orchestrator exits."""
    PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)


def pinned(argv: Sequence[str], cpus: str | None) -> list[str]:
    """`argv` run by `taskset --cpu-list cpus` (which execs it: the pid stays the same)."""
    return ["taskset", "--cpu-list", cpus, *argv] if cpus else list(argv)


def script(path: str, role: str, flags: Mapping[str, object]) -> list[str]:
    """This Python running the benchmark `path` again in another role, with `--key=value`s."""
    return [sys.executable, path, f"--role={role}", *(f"--{k}={v}" for k, v in flags.items())]


class Child:
    """A process this benchmark started, killed at the end whatever happened."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, cpus: str | None) -> None:
        self.name = name
        self.proc = proc
        self.cpus = cpus

    @classmethod
    async def start(
        cls, name: str, argv: Sequence[str], *, cpus: str | None = None,
        env: Mapping[str, str] | None = None, stdin: int | IO[Any] | None = subprocess.PIPE,
        stdout: int | IO[Any] | None = subprocess.PIPE, stderr: int | IO[Any] | None = None,
    ) -> Child:  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            *pinned(argv, cpus), cwd=ROOT, env=env, limit=LINE_LIMIT,
            stdin=stdin, stdout=stdout, stderr=stderr, preexec_fn=die_with_parent,
        )  # fmt: skip
        return cls(name, proc, cpus)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def line(self) -> str:
        """The next line it wrote; an error if it exited instead."""
        assert self.proc.stdout is not None
        raw = await self.proc.stdout.readline()
        if not raw:
            raise RuntimeError(f"{self.name} exited with status {await self.proc.wait()}")
        return raw.decode()

    async def read(self) -> Any:
        return json.loads(await self.line())

    async def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def ask(self, line: str) -> Any:
        await self.send(line)
        return await self.read()

    def rss(self) -> int:
        return usage.rss(self.pid)

    async def stop(self, grace_s: float = 0.0) -> None:
        """SIGTERM and up to `grace_s` to exit, then SIGKILL. Without grace it is killed at
        once: everything is measured by now, and an overloaded server's graceful shutdown
        (closing thousands of backed-up sockets) only costs time."""
        if self.proc.returncode is None and grace_s > 0:
            self.proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), grace_s)
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()


async def stop_all(children: Sequence[Child], grace_s: float = 0.0) -> None:
    await asyncio.gather(*(child.stop(grace_s) for child in children))


async def start_server(
    name: str, argv: Sequence[str], log: Path, *, cpus: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Child:  # fmt: skip
    """A server process, its stdout and stderr appended to `log`, nothing on its stdin."""
    with log.open("ab") as out:
        return await Child.start(name, argv, cpus=cpus, env=env, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


async def wait_serving(
    child: Child, url: str, *, health: str | None = "/healthz", log: Path | None = None,
    within_s: float = SERVING_WITHIN_S,
) -> None:  # fmt: skip
    """Until `url + health` answers 200 (or, with no `health`, until its port accepts a
    connection); an error with the end of its log if it exits first or takes too long."""
    host, _, port = url.split("://", 1)[1].split("/", 1)[0].rpartition(":")
    deadline = time.monotonic() + within_s
    async with ClientSession(timeout=ClientTimeout(total=5)) as http:
        while time.monotonic() < deadline:
            if child.proc.returncode is not None:
                raise RuntimeError(f"{child.name} exited during start:\n{await tail(log)}")
            with contextlib.suppress(OSError, TimeoutError):
                if health is None:
                    _, writer = await asyncio.open_connection(host, int(port))
                    writer.close()
                    await writer.wait_closed()
                    return
                async with http.get(url + health) as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{child.name} did not serve {url} within {within_s:g} s")


async def wait_workers(
    child: Child, url: str, count: int, *, log: Path | None = None,
    within_s: float = SERVING_WITHIN_S,
) -> set[str]:  # fmt: skip
    """Until `count` workers of `shopcast serve --workers N` answer `/healthz` on the one port
    (their `Shopcast-Worker: <index>/<pid>` headers, a new connection a request, which the
    kernel spreads over them); the workers seen. With `count` 1 nothing is asked."""
    seen: set[str] = set()
    if count <= 1:
        return seen
    deadline = time.monotonic() + within_s
    connector = TCPConnector(force_close=True)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=5)) as http:
        while time.monotonic() < deadline:
            if child.proc.returncode is not None:
                raise RuntimeError(f"{child.name} exited during start:\n{await tail(log)}")
            with contextlib.suppress(OSError, TimeoutError):
                async with http.get(url + "/healthz") as resp:
                    worker = resp.headers.get("Shopcast-Worker")
                    if resp.status == 200 and worker:
                        seen.add(worker.split("/", 1)[0])
            if len(seen) >= count:
                return seen
            await asyncio.sleep(0.02)
    raise RuntimeError(f"{child.name}: {len(seen)} of {count} workers served within {within_s:g} s")


async def tail(log: Path | None) -> str:
    if log is None:
        return "(its output was not kept)"
    data = await asyncio.to_thread(log.read_bytes)
    return data[-LOG_TAIL_BYTES:].decode(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the child's side of the line protocol ------------------------------------------------------


def say(value: Any) -> None:
    """One JSON value, one line, to the orchestrator."""
    print(json.dumps(value), flush=True)


async def command(*accepted: str) -> str:
    """The next line on stdin whose first word is one of `accepted`; "" when stdin closed."""
    while True:
        line = (await asyncio.to_thread(sys.stdin.readline)).strip()
        if not line or line.split()[0] in accepted:
            return line


# -- CPU lists ------------------------------------------------------------------------------------


def cpu_set(cpus: str) -> set[int]:
    """The CPUs of a list as `taskset --cpu-list` reads it: "0", "1-3", "0,2-3"."""
    found: set[int] = set()
    for part in cpus.split(","):
        first, dash, last = part.strip().partition("-")
        last = last if dash else first
        if not (first.isdigit() and last.isdigit() and int(first) <= int(last)):
            raise ValueError(f"not a CPU list: {cpus!r}")
        found.update(range(int(first), int(last) + 1))
    return found


def cpu_list(text: str) -> str:
    """An argparse type: a CPU list whose CPUs this process may run on."""
    try:
        cpus = cpu_set(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    usable = os.sched_getaffinity(0)
    if not cpus <= usable:
        raise argparse.ArgumentTypeError(
            f"CPU {min(cpus - usable)} is not one of this machine's {sorted(usable)}"
        )
    return text


def cpus_allowed(pid: int) -> str:
    """The CPUs a process may run on, as the kernel says (`Cpus_allowed_list`)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    raise RuntimeError(f"/proc/{pid}/status has no Cpus_allowed_list")


def add_run_options(parser: argparse.ArgumentParser, name: str) -> None:
    """`--server-cpus`, `--load-cpus` and `--out`, the same in every benchmark."""
    add = parser.add_argument
    add("--server-cpus", type=cpu_list, default=None, metavar="CPUS",
        help="run the server processes on these CPUs (taskset --cpu-list, e.g. 0); default:"
        " any")  # fmt: skip
    add("--load-cpus", type=cpu_list, default=None, metavar="CPUS",
        help="run the load-generator processes on these CPUs (e.g. 1), so the server's share"
        " shows apart from theirs; default: any")  # fmt: skip
    add(
        "--out",
        type=Path,
        default=ROOT / "bench" / "results" / f"{name}.json",
        help=f"where the JSON goes (default: bench/results/{name}.json)",
    )
