from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
)

from server.core.domain.errors import Conflict, DomainError, NotFound, SoldOut, ValidationError
from server.core.domain.reservations import (
    DEFAULT_HOLD,
    ReservationState,
    StockBook,
    StockLevel,
)

T0 = datetime(2025, 5, 1, 18, 0, tzinfo=UTC)
SKUS = ("TEE-M", "TEE-L")


def book_with(stock: int, sku: str = "TEE-M") -> StockBook:
    book = StockBook()
    book.restock(sku, stock)
    return book


def test_reserve_holds_stock_until_the_hold_ends() -> None:
    book = book_with(5)
    held = book.reserve("r1", "TEE-M", 2, T0)
    assert held.expires_at == T0 + DEFAULT_HOLD
    assert held.state == ReservationState.HELD
    assert book.level("TEE-M") == StockLevel(available=3, reserved=2, sold=0)


def test_confirm_sells_and_refund_returns_to_stock() -> None:
    book = book_with(5)
    book.reserve("r1", "TEE-M", 2, T0)
    assert book.confirm("r1", T0 + timedelta(minutes=9)).state == ReservationState.SOLD
    assert book.level("TEE-M") == StockLevel(available=3, reserved=0, sold=2)
    assert book.refund("r1").state == ReservationState.REFUNDED
    assert book.level("TEE-M") == StockLevel(available=5, reserved=0, sold=0)


def test_release_returns_held_stock() -> None:
    book = book_with(5)
    book.reserve("r1", "TEE-M", 4, T0)
    assert book.release("r1").state == ReservationState.RELEASED
    assert book.level("TEE-M") == StockLevel(available=5)


def test_cannot_reserve_more_than_available() -> None:
    book = book_with(3)
    book.reserve("r1", "TEE-M", 2, T0)
    with pytest.raises(SoldOut, match="only 1 left"):
        book.reserve("r2", "TEE-M", 2, T0)
    book.reserve("r3", "TEE-M", 1, T0)
    with pytest.raises(SoldOut, match="sold out"):
        book.reserve("r4", "TEE-M", 1, T0)


def test_an_expired_hold_goes_back_to_stock_for_the_next_buyer() -> None:
    book = StockBook(hold=timedelta(minutes=2))
    book.restock("TEE-M", 1)
    book.reserve("r1", "TEE-M", 1, T0)
    later = T0 + timedelta(minutes=2)
    second = book.reserve("r2", "TEE-M", 1, later)
    assert second.state == ReservationState.HELD
    assert book.get("r1").state == ReservationState.RELEASED
    assert book.level("TEE-M") == StockLevel(available=0, reserved=1)


def test_confirm_after_expiry_is_refused_and_releases() -> None:
    book = book_with(2)
    book.reserve("r1", "TEE-M", 2, T0)
    with pytest.raises(Conflict) as caught:
        book.confirm("r1", T0 + DEFAULT_HOLD)
    assert caught.value.code == "reservation_expired"
    assert book.level("TEE-M") == StockLevel(available=2)


def test_expire_sweeps_all_lapsed_holds_in_expiry_order() -> None:
    book = StockBook()
    book.restock("TEE-M", 5)
    book.restock("TEE-L", 5)
    book.reserve("b", "TEE-L", 1, T0 + timedelta(seconds=1))
    book.reserve("a", "TEE-M", 2, T0)
    book.reserve("c", "TEE-M", 1, T0 + timedelta(minutes=5))
    swept = book.expire(T0 + DEFAULT_HOLD + timedelta(seconds=1))
    assert [r.id for r in swept] == ["a", "b"]
    assert book.level("TEE-M") == StockLevel(available=4, reserved=1)
    assert book.level("TEE-L") == StockLevel(available=5)


def test_retried_reserve_returns_the_first_reservation() -> None:
    book = book_with(5)
    first = book.reserve("r1", "TEE-M", 2, T0)
    assert book.reserve("r1", "TEE-M", 2, T0 + timedelta(seconds=5)) == first
    assert book.level("TEE-M").reserved == 2


def test_reusing_a_reservation_id_for_other_goods_is_refused() -> None:
    book = book_with(5)
    book.reserve("r1", "TEE-M", 2, T0)
    with pytest.raises(Conflict) as caught:
        book.reserve("r1", "TEE-M", 3, T0)
    assert caught.value.code == "idempotency_reused"


@pytest.mark.parametrize(
    ("steps", "action", "code"),
    [
        (["confirm"], "release", "reservation_closed"),
        (["release"], "confirm", "reservation_closed"),
        ([], "refund", "reservation_not_sold"),
        (["release"], "refund", "reservation_not_sold"),
        (["confirm", "refund"], "release", "reservation_closed"),
    ],
)
def test_illegal_transitions_name_the_reason(steps: list[str], action: str, code: str) -> None:
    book = book_with(5)
    book.reserve("r1", "TEE-M", 1, T0)
    calls = {
        "confirm": lambda: book.confirm("r1", T0),
        "release": lambda: book.release("r1"),
        "refund": lambda: book.refund("r1"),
    }
    for step in steps:
        calls[step]()
    level = book.level("TEE-M")
    with pytest.raises(Conflict) as caught:
        calls[action]()
    assert caught.value.code == code
    assert book.level("TEE-M") == level


def test_unknown_reservation_and_bad_input() -> None:
    book = book_with(1)
    with pytest.raises(NotFound) as unknown:
        book.confirm("nope", T0)
    assert unknown.value.code == "reservation_unknown"
    with pytest.raises(ValidationError):
        book.reserve("r1", "TEE-M", 0, T0)
    with pytest.raises(ValidationError):
        book.reserve("", "TEE-M", 1, T0)
    with pytest.raises(ValidationError):
        book.restock("TEE-M", -1)
    with pytest.raises(ValidationError):
        StockBook(hold=timedelta(0))


class StockMachine(RuleBasedStateMachine):
    """Any sequence of operations, retries included, keeps the counters consistent."""

    held = Bundle("held")
    sold = Bundle("sold")

    def __init__(self) -> None:
        super().__init__()
        self.book = StockBook(hold=timedelta(minutes=10))
        self.now = T0
        self.received = dict.fromkeys(SKUS, 0)
        self.next_id = 0

    @rule(sku=st.sampled_from(SKUS), quantity=st.integers(0, 5))
    def restock(self, sku: str, quantity: int) -> None:
        self.book.restock(sku, quantity)
        self.received[sku] += quantity

    @rule(target=held, sku=st.sampled_from(SKUS), quantity=st.integers(1, 4))
    def reserve(self, sku: str, quantity: int) -> MultipleResults[str]:
        self.next_id += 1
        reservation_id = f"r{self.next_id}"
        available = self._available_after_expiry(sku)
        try:
            self.book.reserve(reservation_id, sku, quantity, self.now)
        except SoldOut:
            assert quantity > available
            return multiple()
        assert quantity <= available
        return multiple(reservation_id)

    @rule(target=sold, reservation_id=consumes(held))
    def confirm(self, reservation_id: str) -> str:
        self._try(lambda: self.book.confirm(reservation_id, self.now))
        return reservation_id

    @rule(reservation_id=consumes(held))
    def release(self, reservation_id: str) -> None:
        self._try(lambda: self.book.release(reservation_id))

    @rule(reservation_id=sold)
    def refund(self, reservation_id: str) -> None:
        self._try(lambda: self.book.refund(reservation_id))

    @rule(reservation_id=st.one_of(held, sold))
    def retry_any(self, reservation_id: str) -> None:
        # A repeated call in the reservation's current state changes nothing.
        before = self.book.get(reservation_id)
        levels = [self.book.level(sku) for sku in SKUS]
        again = {
            ReservationState.HELD: lambda: self.book.reserve(
                reservation_id, before.sku, before.quantity, self.now
            ),
            ReservationState.SOLD: lambda: self.book.confirm(reservation_id, self.now),
            ReservationState.RELEASED: lambda: self.book.release(reservation_id),
            ReservationState.REFUNDED: lambda: self.book.refund(reservation_id),
        }[before.state]
        if before.expired(self.now):
            return  # a lapsed hold is released by the retry: covered by expire
        assert again() == before
        assert [self.book.level(sku) for sku in SKUS] == levels

    @rule(minutes=st.integers(1, 15))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule()
    def expire(self) -> None:
        for released in self.book.expire(self.now):
            assert released.state == ReservationState.RELEASED
            assert released.expires_at <= self.now

    @invariant()
    def counters_add_up(self) -> None:
        by_state: dict[tuple[str, ReservationState], int] = {}
        for r in self.book.reservations():
            key = (r.sku, r.state)
            by_state[key] = by_state.get(key, 0) + r.quantity
        for sku in SKUS:
            level = self.book.level(sku)
            assert min(level.available, level.reserved, level.sold) >= 0
            assert level.received == self.received[sku]
            assert level.reserved == by_state.get((sku, ReservationState.HELD), 0)
            assert level.sold == by_state.get((sku, ReservationState.SOLD), 0)

    def _available_after_expiry(self, sku: str) -> int:
        lapsed = sum(
            r.quantity for r in self.book.reservations() if r.sku == sku and r.expired(self.now)
        )
        return self.book.level(sku).available + lapsed

    def _try(self, call: Callable[[], object]) -> None:
        try:
            call()
        except DomainError as error:
            # Only the refusals the rules name: never a crash or a silent corruption.
            assert error.code in {
                "reservation_expired",
                "reservation_closed",
                "reservation_not_sold",
            }


TestStockMachine = StockMachine.TestCase
