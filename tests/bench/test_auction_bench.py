"""bench/auction.py on its smallest settings (slow): a few bidders on the embedded default and
on two server processes sharing PostgreSQL and Redis, in one run; every bid the bidders were
answered for is in the log, the log replays through the domain rules to the auction's result,
and anti-snipe moved the end."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.test_harness import run_benchmark

TITLES = ["setup", "servers", "bidders", "think ms", "decided/s", "accepted/s", "refused/s",
          "other", "extended", "p50 ms", "p99 ms", "max ms", "server CPU", "µs/bid",
          "PG+Redis CPU", "load CPU", "other CPU", "logged", "inconsistent",
          "correct"]  # fmt: skip


@pytest.mark.slow
def test_a_tiny_auction_on_both_setups_replays_to_its_result(tmp_path: Path) -> None:
    flags = ["--bidders", "40", "--seconds", "2", "--duration", "10", "--anti-snipe", "9",
             "--processes", "1"]  # fmt: skip
    data, titles = run_benchmark("auction", tmp_path / "auction.json", *flags, within_s=600)
    assert titles == TITLES
    assert [row["setup"] for row in data["rows"]] == ["sqlite", "pg-redis"]
    for row in data["rows"]:
        assert row["connected"] == 40 and row["socket_failures"] == {}
        assert row["correct"] is True, row
        assert (row["inconsistent"], row["log_gaps"], row["lost"]) == (0, 0, 0)
        assert row["accepted"] > 0 and row["refused"] > 0 and row["extended"] > 0
        assert row["logged"] >= row["accepted"] + row["refused"] - row["codes"].get(
            "auction_ended", 0
        )
        assert (row["result"], row["winner_id"], row["price_minor"]) == (
            row["replay_result"], row["replay_winner_id"], row["replay_price_minor"],
        )  # fmt: skip
        assert row["result"] == "sold" and row["server_cpu_us_per_bid"] > 0
    assert data["rows"][1]["servers"] == 2
