"""What a benchmark shows: its table, a few figures over its samples, and its JSON file."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import ROOT
from bench.harness.record import Record


@dataclass(frozen=True)
class Column:
    title: str
    key: str  # the row's field
    fmt: str = "{}"
    mark: Callable[[dict], str] | None = None  # appended to the cell, e.g. "+" for "incomplete"

    def cell(self, row: dict) -> str:
        value = row[self.key]
        text = "-" if value is None else self.fmt.format(value)
        return text + self.mark(row) if self.mark else text


# A latency's columns, the same in every benchmark that has them (its rows' `latency_ms_*`).
LATENCY_COLUMNS = (
    Column("p50 ms", "latency_ms_p50", "{:.1f}"),
    Column("p99 ms", "latency_ms_p99", "{:.1f}"),
    Column("max ms", "latency_ms_max", "{:.0f}"),
)


def table(columns: Sequence[Column], rows: Sequence[dict], *, align: bool = True) -> str:
    """A header line and a line a row, cells between " | "; aligned: right-justified to the
    widest cell of each column."""
    cells = [[c.title for c in columns]] + [[c.cell(row) for c in columns] for row in rows]
    if not align:
        return "\n".join(" | ".join(line) for line in cells)
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join(
        " | ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)) for line in cells
    )


def progress(columns: Sequence[Column], rows: Sequence[dict], *, header: bool = True,
             align: bool = True) -> None:  # fmt: skip
    """Print the last row as soon as it is measured; the header too before the first."""
    lines = table(columns, rows[-1:], align=align).splitlines()
    print("\n".join(lines if header and len(rows) == 1 else lines[1:]), flush=True)


def write_json(out: Path, result: dict[str, Any], record: Record) -> None:
    """The benchmark's result with the run's record (machine, commit, Python, time) after it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result | record.fields(), indent=2))
    shown = out.resolve()
    print(f"wrote {shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown}")


def quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def merged(counts: Sequence[dict]) -> dict:
    """Counts added up key by key."""
    total: dict = {}
    for one in counts:
        for key, n in one.items():
            total[key] = total.get(key, 0) + n
    return total


def shown_number(value: float | None, fmt: str = "{:.1f}") -> str:
    """`value` as `fmt` shows it, "-" for a figure that was not measured."""
    return "-" if value is None else fmt.format(value)
