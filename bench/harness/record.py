"""Where and when a run happened, kept in its JSON: the machine, the commit, Python, the time.

Taken when the run begins, so the load average is the machine's before the benchmark loaded it.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import ROOT


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def machine() -> dict[str, Any]:
    """Cores (all, and those this process may use), the load average, memory, CPU, kernel."""
    meminfo = dict(
        line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line
    )

    def mib(key: str) -> float | None:
        value = meminfo.get(key, "").split()
        return round(int(value[0]) / 1024, 1) if value else None

    models = [
        line.split(":", 1)[1].strip()
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("model name")
    ]
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "load_average": [round(n, 2) for n in os.getloadavg()],
        "memory_total_mib": mib("MemTotal"),
        "memory_available_mib": mib("MemAvailable"),
        "cpu_model": models[0] if models else platform.processor() or None,
        "kernel": platform.release(),
    }


def commit(root: Path = ROOT) -> dict[str, Any]:
    """`git rev-parse HEAD` of the checkout, and whether its tree differs from it (changed or
    untracked files); both None where there is no git or no repository."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  timeout=30, check=True)  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout

    sha = git("rev-parse", "HEAD")
    status = git("status", "--porcelain")
    return {
        "sha": sha.strip() if sha else None,
        "dirty": bool(status.strip()) if status is not None else None,
    }


@dataclass(frozen=True)
class Record:
    machine: dict[str, Any]
    commit: dict[str, Any]
    python: str
    started_at: str

    @classmethod
    def begin(cls) -> Record:
        return cls(machine(), commit(), platform.python_version(), now())

    def fields(self) -> dict[str, Any]:
        """What goes into the JSON beside the benchmark's own keys."""
        return {"machine": self.machine, "commit": self.commit, "python": self.python,
                "started_at": self.started_at, "finished_at": now()}  # fmt: skip
