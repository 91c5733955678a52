"""bench/media.py with `--workers 2` (slow): the Shopcast relay as two worker processes on one
port sharing the show through the media bus on Redis, beside one process, in one run: the
viewers get the publisher's frames whichever worker they landed on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.test_harness import MEDIA_FIELDS, MEDIA_TITLES, run_benchmark


@pytest.mark.slow
def test_a_tiny_show_on_one_process_and_on_two_workers(tmp_path: Path) -> None:
    # 8 viewers: all of them on the publisher's worker, leaving the other idle, is 1 in 256
    flags = ["--viewers", "8", "--baseline-viewers", "1", "--codecs", "vp8", "--width", "320",
             "--height", "240", "--seconds", "2", "--workers", "2"]  # fmt: skip
    data, titles = run_benchmark("media", tmp_path / "media.json", *flags, within_s=600)
    assert titles == [MEDIA_TITLES[0], "workers", *MEDIA_TITLES[1:]]
    one, two, baseline = data["rows"]
    assert [(r["relay"], r["workers"]) for r in data["rows"]] == [
        ("shopcast", 1), ("shopcast", 2), ("aiortc", 1),
    ]  # fmt: skip
    for row in data["rows"]:
        assert list(row) == [MEDIA_FIELDS[0], "workers", "server_cpu_cores_per_process",
                             *MEDIA_FIELDS[1:]]  # fmt: skip
    for row in (one, two):
        assert row["packets_forwarded"] > 0 and row["frames_received_ratio"] > 0.5
    _supervisor, *workers = two["server_cpu_cores_per_process"]
    assert len(workers) == 2 and all(cores > 0 for cores in workers)
    assert any("--workers 2 against 1" in line for line in data["notes"])
    assert baseline["packets_forwarded"] > 0
