"""`shopcast serve --workers N`: N worker processes behind one port, kept running.

Each worker is a whole node (its own app, database pool, WebRTC ports and Socket.IO server) that
binds the same TCP port with SO_REUSEPORT, so the kernel spreads new connections over them;
they share shows through Redis as separate nodes do (Socket.IO's Redis manager, the media bus,
the counters, the stock gate). This process only starts them, restarts one that dies, and on
SIGTERM/SIGINT stops them all.

Engine.IO long-polling needs every request of a session on one process, which SO_REUSEPORT does
not promise, so the workers speak Socket.IO over WebSocket only: a polling request is answered
400 "Invalid transport", and the pages (web/static/js/room.js) then try the WebSocket.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

RESTART_PAUSE_S = 1.0  # between a worker's death and its restart
CRASH_LOOP = (5, 10.0)  # this many deaths, each within this many seconds of its start: give up
STOP_GRACE_S = 10.0  # SIGTERM first; SIGKILL for a worker still running after this


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen[bytes]
    started: float
    quick_deaths: int = 0


@dataclass
class Supervisor:
    """Runs `command(index)` for workers 1..N until told to stop."""

    command: Callable[[int], list[str]]
    count: int
    clock: Callable[[], float] = time.monotonic
    workers: dict[int, _Worker] = field(default_factory=dict)
    stopping: bool = False
    failed: bool = False

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop_signal)
        for index in range(1, self.count + 1):
            self._start(index)
        try:
            while not self.stopping:
                self._reap()
                time.sleep(0.2)
        finally:
            self._stop_all()
        return 1 if self.failed else 0

    def _start(self, index: int, quick_deaths: int = 0) -> None:
        process = subprocess.Popen(self.command(index), preexec_fn=_die_with_parent)
        self.workers[index] = _Worker(index, process, self.clock(), quick_deaths)
        logger.info("worker %d started (pid %d)", index, process.pid)

    def _reap(self) -> None:
        for worker in list(self.workers.values()):
            code = worker.process.poll()
            if code is None or self.stopping:
                continue
            lived = self.clock() - worker.started
            quick = worker.quick_deaths + 1 if lived < CRASH_LOOP[1] else 0
            logger.warning(
                "worker %d (pid %d) exited with %s after %.1f s",
                worker.index,
                worker.process.pid,
                code,
                lived,
            )
            if quick >= CRASH_LOOP[0]:
                logger.error("worker %d keeps dying at start: stopping", worker.index)
                self.stopping = self.failed = True
                return
            time.sleep(RESTART_PAUSE_S)
            self._start(worker.index, quick)

    def _stop_signal(self, signum: int, _frame: object) -> None:
        logger.info("stopping %d workers (%s)", len(self.workers), signal.Signals(signum).name)
        self.stopping = True

    def _stop_all(self) -> None:
        alive = [w.process for w in self.workers.values() if w.process.poll() is None]
        for process in alive:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in alive:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("worker pid %d did not stop in time: killed", process.pid)
                process.kill()
                process.wait()


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """In the worker, before it runs: SIGTERM it when the supervisor dies, however it dies (a
    SIGKILL leaves no chance to stop the workers), so no worker keeps the port on its own."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def worker_command(argv: Sequence[str]) -> Callable[[int], list[str]]:
    """The command line worker `index` runs: this same `shopcast serve`, as one process."""

    def command(index: int) -> list[str]:
        return [sys.executable, "-m", "server", "serve", *argv, "--worker", str(index)]

    return command
