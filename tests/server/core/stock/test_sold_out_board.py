"""The sold-out board's rules: what it refuses from memory, and every doubt that lets a buyer
through to Redis instead."""

from __future__ import annotations

from server.core.stock.sold_out_board import SoldOutBoard


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_unknown_key_is_never_refused() -> None:
    assert not SoldOutBoard().refuses("v1", "7:k:v1")


def test_a_synced_empty_key_refuses_all_but_its_holders() -> None:
    board = SoldOutBoard()
    board.synced("v1", out=True, epoch=1, holders=["7:k:v1"])
    assert board.refuses("v1", "8:k:v1")
    assert not board.refuses("v1", "7:k:v1")  # a winner's retry goes on to get its order
    assert not board.refuses("v2", "8:k:v2")
    assert board.refused == 1


def test_back_in_stock_applies_at_once() -> None:
    board = SoldOutBoard()
    board.synced("v1", out=True, epoch=1, holders=[])
    board.heard("v1", out=False, epoch=2)
    assert not board.refuses("v1", "8:k:v1")
    assert not board.needs_sync("v1")


def test_out_of_stock_heard_waits_for_a_sync_with_the_holders() -> None:
    board = SoldOutBoard()
    board.heard("v1", out=True, epoch=3)
    assert not board.refuses("v1", "8:k:v1")
    assert board.needs_sync("v1")
    board.synced("v1", out=True, epoch=3, holders=[])
    assert board.refuses("v1", "8:k:v1")


def test_a_sync_older_than_an_announcement_is_dropped() -> None:
    board = SoldOutBoard()
    board.heard("v1", out=False, epoch=5)  # came back while the read was on its way
    board.synced("v1", out=True, epoch=4, holders=[])
    assert not board.refuses("v1", "8:k:v1")
    assert board.needs_sync("v1")
    board.synced("v1", out=True, epoch=4, holders=[])  # Redis lost the key: epochs start again
    assert board.refuses("v1", "8:k:v1")


def test_an_old_announcement_changes_nothing() -> None:
    board = SoldOutBoard()
    board.heard("v1", out=False, epoch=2)
    board.synced("v1", out=True, epoch=3, holders=[])
    board.heard("v1", out=False, epoch=2)
    assert board.refuses("v1", "8:k:v1")


def test_a_state_is_trusted_only_for_its_ttl() -> None:
    clock = Clock()
    board = SoldOutBoard(clock, ttl=5.0)
    board.synced("v1", out=True, epoch=1, holders=[])
    clock.now = 4.9
    assert board.refuses("v1", "8:k:v1")
    clock.now = 5.0
    assert not board.refuses("v1", "8:k:v1")
    assert board.needs_sync("v1")


def test_reset_forgets_everything() -> None:
    board = SoldOutBoard()
    board.synced("v1", out=True, epoch=1, holders=[])
    board.reset()
    assert not board.refuses("v1", "8:k:v1")
