"""What processes use, from /proc: CPU seconds (user and system) and resident memory.

A `Sample` is taken of named groups of pids (the servers, the load, the database…) and of the
whole machine; `later.since(earlier)` is what each group used in between, and "other" is what
the rest of the machine used, which should be near 0 for a run's figures to be trusted.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class Times(NamedTuple):
    user: float
    system: float

    @property
    def total(self) -> float:
        return self.user + self.system


def cpu_times(pid: int) -> Times:
    """CPU seconds the process used so far, in user space and in the kernel (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return Times(0.0, 0.0)
    return Times(int(fields[11]) / TICKS, int(fields[12]) / TICKS)


def rss(pid: int) -> int:
    """Resident memory of the process, in bytes (0 if it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except OSError:
        return 0


def machine_cpu_s() -> float:
    """Busy CPU seconds of the whole machine so far (every core, every process)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / TICKS


@dataclass(frozen=True)
class Sample:
    """CPU seconds and memory so far, per process of each group, and the machine's busy CPU."""

    cpu: dict[str, dict[int, Times]]
    rss: dict[str, int]  # bytes, each group's processes together
    machine: float

    @classmethod
    def take(cls, groups: Mapping[str, Iterable[int]]) -> Sample:
        pids = {name: list(members) for name, members in groups.items()}
        return cls(
            cpu={name: {pid: cpu_times(pid) for pid in members} for name, members in pids.items()},
            rss={name: sum(rss(pid) for pid in members) for name, members in pids.items()},
            machine=machine_cpu_s(),
        )

    def times_since(self, earlier: Sample, group: str) -> Times:
        """What the group used since `earlier`: processes that came since count from 0, and
        those gone since count nothing."""
        before = earlier.cpu.get(group, {})
        user = system = 0.0
        for pid, now in self.cpu[group].items():
            was = before.get(pid, Times(0.0, 0.0))
            user += max(0.0, now.user - was.user)
            system += max(0.0, now.system - was.system)
        return Times(user, system)

    def since(self, earlier: Sample) -> dict[str, float]:
        """CPU seconds per group since `earlier`, and "other": everyone else on the machine."""
        used = {group: self.times_since(earlier, group).total for group in self.cpu}
        used["other"] = max(0.0, self.machine - earlier.machine - sum(used.values()))
        return used


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a supervisor's workers), from /proc/<n>/stat."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def family(pid: int) -> list[int]:
    """`pid` and every process under it (a `shopcast serve --workers N` and its workers)."""
    found, todo = [], [pid]
    while todo:
        one = todo.pop()
        found.append(one)
        todo.extend(children(one))
    return found
