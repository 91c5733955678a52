"""bench/flash_sale.py over both transports in one run (slow): buyers over Socket.IO (each a
bare-socket client joined to the show's room, `buy` with an ack) and over HTTP, each checked
against the database: exactly the deal's units sold, nothing oversold, no duplicates; then the
losers' wave, every buyer once more after the sell-out, all refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.test_harness import FLASH_FIELDS, FLASH_TITLES, run_benchmark


@pytest.mark.slow
def test_a_tiny_sale_over_socketio_and_http_sells_exactly_its_units(tmp_path: Path) -> None:
    flags = ["--buyers", "300", "--units", "30", "--setups", "sqlite", "--processes", "2",
             "--connections", "100", "--transports", "socketio", "http"]  # fmt: skip
    data, titles = run_benchmark("flash_sale", tmp_path / "flash.json", *flags, within_s=600)
    assert titles == FLASH_TITLES
    assert data["settings"]["transports"] == ["socketio", "http"]
    socketio, http = data["rows"]
    assert (socketio["transport"], http["transport"]) == ("socketio", "http")
    for row in (socketio, http):
        assert list(row) == FLASH_FIELDS
        assert row["correct"] is True, row
        assert (row["orders"], row["oversold"], row["duplicates"], row["stock_left"]) == (
            30, 0, 0, 0,
        )  # fmt: skip
        assert row["requests"] == 300 + 2 * 30  # 10 % double-tap and retry
        assert row["winners"] == 30  # each order created once, the same order to its retries
        assert row["loser_attempts"] == 300
        assert set(row["loser_codes"]) <= {"409 deal_sold_out", "ack deal_sold_out"}
        assert row["server_cpu_us_per_loser"] > 0 and row["server_cpu_us_per_winner"] is not None
    assert socketio["warm_connections"] == 300 and socketio["socket_failures"] == {}
    assert set(socketio["codes"]) <= {"201", "200", "ack deal_sold_out"}
    assert socketio["loser_codes"] == {"ack deal_sold_out": 300}


@pytest.mark.slow
def test_two_workers_with_one_killed_mid_sale_oversell_and_duplicate_nothing(
    tmp_path: Path,
) -> None:
    flags = ["--buyers", "300", "--units", "30", "--setups", "pg-redis", "--workers", "2",
             "--processes", "2", "--connections", "100", "--window", "2",
             "--kill-worker-at", "0.3", "--no-loser-wave"]  # fmt: skip
    data, _ = run_benchmark("flash_sale", tmp_path / "flash.json", *flags, within_s=600)
    assert [row["transport"] for row in data["rows"]] == ["socketio", "http"]
    for row in data["rows"]:
        assert row["workers"] == 2 and row["killed_worker"]
        assert row["server_log_problems"] >= 1  # the supervisor's word on the death
        assert (row["oversold"], row["duplicates"], row["conserved"]) == (0, 0, True), row
        assert 0 < row["orders"] <= 30 and row["deal_sold"] == row["orders"]
        assert row["correct"] is True
