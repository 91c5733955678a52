"""Smoke runs (slow) of issue 14's benchmarks: bench/replay.py (a recorded show's replay in
Chromium: page open to first frame, chapter click to playing there) and bench/chat.py with the
show report's collection on and off side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.test_harness import CHAT_FIELDS, CHAT_TITLES, run_benchmark
from tests.web.conftest import CHROMIUM

pytestmark = pytest.mark.slow


def test_replay_start_up_over_three_tries(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    data, titles = run_benchmark("replay", tmp_path / "replay.json", "--tries", "3", within_s=300)
    assert titles == ["measure", "tries", "p50 ms", "p99 ms", "max ms"]
    rows = {row["key"]: row for row in data["rows"]}
    for key in ("startup_ms", "chapter_ms"):
        assert rows[key]["tries"] == 3
        assert 0 < rows[key]["p50_ms"] <= rows[key]["p99_ms"] <= rows[key]["max_ms"]
    assert len(data["tries"]) == 3 and len(data["chapters"]) >= 2
    for one in data["tries"]:  # each click played inside the chapter it chose
        chapter = data["chapters"][one["chapter"]]
        assert one["chapter"] >= 1
        assert chapter["start_ms"] - 50 <= one["chapter_media_time_s"] * 1000 < chapter["end_ms"]
    assert data["recording"]["duration_ms"] >= 60_000  # minutes, made through the recorder


def test_chat_with_the_show_metrics_on_and_off(tmp_path: Path) -> None:
    flags = ["--viewers", "20", "--rates", "10", "--extra", "--seconds", "1",
             "--servers", "shopcast", "--show-metrics", "on", "off"]  # fmt: skip
    data, titles = run_benchmark("chat", tmp_path / "chat.json", *flags, within_s=300)
    assert titles == [CHAT_TITLES[0], "metrics", *CHAT_TITLES[1:]]
    assert data["settings"]["show_metrics"] == ["on", "off"]
    on, off = data["rows"]
    for row, metrics in ((on, "on"), (off, "off")):
        assert list(row) == [*CHAT_FIELDS, "show_metrics"]
        assert (row["show_metrics"], row["viewers_connected"], row["failures"]) == (metrics, 20, 0)
        assert row["sent"] == 10 and row["lost"] == 0
        assert row["deliveries"] == 10 * (20 + 20)  # every viewer and every sender got each one
        assert row["server_cpu_s_per_1k_deliveries"] > 0
    assert any("show metrics on" in line and " % " in line for line in data["notes"])
