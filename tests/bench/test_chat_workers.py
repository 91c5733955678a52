"""bench/chat.py with `--workers 1 2` (slow): Shopcast as `shopcast serve --workers N` on
PostgreSQL and Redis, both settings in one run, every message to every viewer whichever worker
it landed on, and both workers of the pool doing some of the work."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.test_harness import CHAT_FIELDS, CHAT_TITLES, run_benchmark


@pytest.mark.slow
def test_a_tiny_room_on_one_and_on_two_workers(tmp_path: Path) -> None:
    flags = ["--viewers", "20", "--rates", "10", "--extra", "--seconds", "1",
             "--servers", "shopcast", "--workers", "1", "2"]  # fmt: skip
    data, titles = run_benchmark("chat", tmp_path / "chat.json", *flags, within_s=300)
    assert titles == [CHAT_TITLES[0], "workers", *CHAT_TITLES[1:]]
    assert data["settings"]["workers"] == [1, 2]
    one, two = data["rows"]
    for row, workers in ((one, 1), (two, 2)):
        assert list(row) == [CHAT_FIELDS[0], "workers", "server_cpu_cores_per_process",
                             *CHAT_FIELDS[1:]]  # fmt: skip
        assert (row["workers"], row["viewers_connected"], row["failures"]) == (workers, 20, 0)
        assert row["sent"] == 10 and row["lost"] == 0
        assert row["deliveries"] == 10 * (20 + 20)  # every viewer and every sender got each one
    assert len(one["server_cpu_cores_per_process"]) == 1
    _supervisor, *workers = two["server_cpu_cores_per_process"]
    assert len(workers) == 2 and all(cores > 0 for cores in workers)
    assert any("--workers 2 against 1" in line for line in data["notes"])
