"""The backend interface's behaviour, the same for the in-process and the Redis backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.core.domain.errors import Conflict, NotFound, SoldOut, ValidationError
from server.core.domain.reservations import Reservation, ReservationState, StockLevel
from server.core.stock import StockReservations
from tests.server.core.stock.conftest import HOLD, T0

HELD, SOLD = ReservationState.HELD, ReservationState.SOLD
RELEASED, REFUNDED = ReservationState.RELEASED, ReservationState.REFUNDED


async def test_a_hold_moves_stock_and_payment_sells_it(stock: StockReservations) -> None:
    assert await stock.restock("TEE-M", 5) == StockLevel(available=5)
    held = await stock.reserve("r1", "TEE-M", 2, T0)
    assert (held.expires_at, held.state) == (T0 + HOLD, HELD)
    assert await stock.level("TEE-M") == StockLevel(available=3, reserved=2)
    assert (await stock.confirm("r1", T0 + HOLD - timedelta(seconds=1))).state == SOLD
    assert await stock.level("TEE-M") == StockLevel(available=3, sold=2)
    assert (await stock.refund("r1")).state == REFUNDED
    assert await stock.level("TEE-M") == StockLevel(available=5)
    assert await stock.get("r1") == Reservation("r1", "TEE-M", 2, T0 + HOLD, REFUNDED)


async def test_release_returns_held_stock(stock: StockReservations) -> None:
    await stock.restock("TEE-M", 5)
    await stock.reserve("r1", "TEE-M", 4, T0)
    assert (await stock.release("r1")).state == RELEASED
    assert await stock.level("TEE-M") == StockLevel(available=5)


async def test_never_more_than_available(stock: StockReservations) -> None:
    await stock.restock("TEE-M", 3)
    await stock.reserve("r1", "TEE-M", 2, T0)
    with pytest.raises(SoldOut, match="only 1 left"):
        await stock.reserve("r2", "TEE-M", 2, T0)
    await stock.reserve("r3", "TEE-M", 1, T0)
    with pytest.raises(SoldOut, match="sold out"):
        await stock.reserve("r4", "TEE-M", 1, T0)
    with pytest.raises(SoldOut, match="sold out"):
        await stock.reserve("r5", "NEVER-STOCKED", 1, T0)
    assert await stock.level("TEE-M") == StockLevel(reserved=3)


async def test_a_lapsed_hold_is_stock_again_for_the_next_buyer(stock: StockReservations) -> None:
    await stock.restock("TEE-M", 1)
    await stock.reserve("r1", "TEE-M", 1, T0)
    with pytest.raises(SoldOut):
        await stock.reserve("r2", "TEE-M", 1, T0 + HOLD - timedelta(microseconds=1))
    assert (await stock.reserve("r3", "TEE-M", 1, T0 + HOLD)).state == HELD
    assert (await stock.get("r1")).state == RELEASED
    assert await stock.level("TEE-M") == StockLevel(reserved=1)


async def test_paying_after_the_hold_is_refused_and_releases(stock: StockReservations) -> None:
    await stock.restock("TEE-M", 2)
    await stock.reserve("r1", "TEE-M", 2, T0)
    with pytest.raises(Conflict) as caught:
        await stock.confirm("r1", T0 + HOLD)
    assert caught.value.code == "reservation_expired"
    assert (await stock.get("r1")).state == RELEASED
    assert await stock.level("TEE-M") == StockLevel(available=2)


async def test_expire_sweeps_lapsed_holds_in_expiry_order(stock: StockReservations) -> None:
    for sku in ("TEE-M", "TEE-L", "CAP"):
        await stock.restock(sku, 5)
    await stock.reserve("b", "TEE-L", 1, T0 + timedelta(seconds=1))
    await stock.reserve("a2", "TEE-M", 2, T0)
    await stock.reserve("a1", "CAP", 1, T0)  # same expiry as a2: the id breaks the tie
    await stock.reserve("c", "TEE-M", 1, T0 + timedelta(minutes=5))
    later = T0 + HOLD + timedelta(seconds=1)
    assert [r.id for r in await stock.expire(later, sku="TEE-M")] == ["a2"]
    swept = await stock.expire(later)
    assert [(r.id, r.state) for r in swept] == [("a1", RELEASED), ("b", RELEASED)]
    assert await stock.expire(later) == []
    assert await stock.level("TEE-M") == StockLevel(available=4, reserved=1)
    assert await stock.level("TEE-L") == StockLevel(available=5)


async def test_a_retry_changes_nothing(stock: StockReservations) -> None:
    await stock.restock("TEE-M", 5)
    first = await stock.reserve("r1", "TEE-M", 2, T0)
    assert await stock.reserve("r1", "TEE-M", 2, T0 + timedelta(seconds=5)) == first
    sold = await stock.confirm("r1", T0)
    assert await stock.confirm("r1", T0 + HOLD * 2) == sold
    assert await stock.reserve("r1", "TEE-M", 2, T0) == sold  # the id's outcome, not a new hold
    refunded = await stock.refund("r1")
    assert await stock.refund("r1") == refunded
    await stock.reserve("r2", "TEE-M", 1, T0)
    assert await stock.release("r2") == await stock.release("r2")
    assert await stock.level("TEE-M") == StockLevel(available=5)


@pytest.mark.parametrize(("sku", "quantity"), [("TEE-M", 3), ("TEE-L", 2)])
async def test_an_id_used_for_other_goods_is_refused(
    stock: StockReservations, sku: str, quantity: int
) -> None:
    await stock.restock("TEE-M", 5)
    await stock.reserve("r1", "TEE-M", 2, T0)
    with pytest.raises(Conflict) as caught:
        await stock.reserve("r1", sku, quantity, T0)
    assert caught.value.code == "idempotency_reused"
    assert await stock.level("TEE-M") == StockLevel(available=3, reserved=2)


# How to bring a reservation into each state, and what every action then answers: the state it
# is left in (a move, or a retry that changes nothing) or the code of the refusal.
PATHS = {HELD: [], SOLD: ["confirm"], RELEASED: ["release"], REFUNDED: ["confirm", "refund"]}
ANSWERS = {
    HELD: {"confirm": SOLD, "release": RELEASED, "refund": "reservation_not_sold"},
    SOLD: {"confirm": SOLD, "release": "reservation_closed", "refund": REFUNDED},
    RELEASED: {
        "confirm": "reservation_closed",
        "release": RELEASED,
        "refund": "reservation_not_sold",
    },
    REFUNDED: {
        "confirm": "reservation_closed",
        "release": "reservation_closed",
        "refund": REFUNDED,
    },
}


@pytest.mark.parametrize(
    ("state", "action"),
    [(state, action) for state, answers in ANSWERS.items() for action in answers],
)
async def test_every_action_from_every_state(
    stock: StockReservations, state: ReservationState, action: str
) -> None:
    await stock.restock("TEE-M", 5)
    await stock.reserve("r1", "TEE-M", 1, T0)
    calls = {
        "confirm": lambda: stock.confirm("r1", T0),
        "release": lambda: stock.release("r1"),
        "refund": lambda: stock.refund("r1"),
    }
    for step in PATHS[state]:
        await calls[step]()
    expected = ANSWERS[state][action]
    if isinstance(expected, ReservationState):
        assert (await calls[action]()).state == expected
        return
    level = await stock.level("TEE-M")
    with pytest.raises(Conflict) as caught:
        await calls[action]()
    assert caught.value.code == expected
    assert await stock.level("TEE-M") == level


async def test_unknown_reservations_and_bad_input(stock: StockReservations) -> None:
    await stock.restock("TEE-M", 1)
    for unknown in (
        stock.confirm("nope", T0),
        stock.release("nope"),
        stock.refund("nope"),
        stock.get("nope"),
    ):
        with pytest.raises(NotFound) as caught:
            await unknown
        assert caught.value.code == "reservation_unknown"
    for bad in (
        stock.reserve("r1", "TEE-M", 0, T0),
        stock.reserve("r1", "TEE-M", True, T0),
        stock.reserve("", "TEE-M", 1, T0),
        stock.reserve("x" * 129, "TEE-M", 1, T0),
        stock.restock("TEE-M", -1),
    ):
        with pytest.raises(ValidationError):
            await bad
    assert await stock.level("TEE-M") == StockLevel(available=1)
