import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.errors import Conflict
from server.domain.orders import OrderStatus
from server.domain.payments import (
    ORDER_STATUS,
    TRANSITIONS,
    EventKind,
    PaymentState,
    StockEffect,
    after_event,
    can_move,
    move,
)

S = PaymentState


@pytest.mark.parametrize(
    ("current", "target", "effect"),
    [
        (S.RESERVED, S.AUTHORIZED, StockEffect.NONE),
        (S.AUTHORIZED, S.PAID, StockEffect.CONFIRM),
        (S.RESERVED, S.PAID, StockEffect.CONFIRM),  # authorize and capture in one step
        (S.RESERVED, S.CANCELLED, StockEffect.RELEASE),
        (S.AUTHORIZED, S.FAILED, StockEffect.RELEASE),
        (S.AUTHORIZED, S.CANCELLED, StockEffect.RELEASE),
        (S.PAID, S.REFUNDED, StockEffect.REFUND),
        (S.FULFILLED, S.REFUNDED, StockEffect.REFUND),
        (S.PAID, S.FULFILLED, StockEffect.NONE),
        (S.PAID, S.PAID, StockEffect.NONE),
        (S.REFUNDED, S.REFUNDED, StockEffect.NONE),
    ],
)
def test_legal_moves_and_what_they_do_to_stock(
    current: PaymentState, target: PaymentState, effect: StockEffect
) -> None:
    assert move(current, target) == effect


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PAID, S.CANCELLED),
        (S.PAID, S.RESERVED),
        (S.CANCELLED, S.PAID),
        (S.FAILED, S.AUTHORIZED),
        (S.REFUNDED, S.PAID),
        (S.RESERVED, S.REFUNDED),
        (S.AUTHORIZED, S.RESERVED),
        (S.FULFILLED, S.CANCELLED),
    ],
)
def test_illegal_moves_are_conflicts(current: PaymentState, target: PaymentState) -> None:
    with pytest.raises(Conflict) as caught:
        move(current, target)
    assert caught.value.code == "order_state"


@given(st.lists(st.sampled_from(list(PaymentState)), max_size=12))
def test_stock_effects_along_any_path_never_double_count(path: list[PaymentState]) -> None:
    # Follow the legal moves of a random path; stock is confirmed at most once, released or
    # refunded only after being held or sold, and never both released and confirmed.
    state, effects = S.RESERVED, []
    for target in path:
        if can_move(state, target):
            effects.append(move(state, target))
            state = target
    assert effects.count(StockEffect.CONFIRM) <= 1
    assert effects.count(StockEffect.RELEASE) + effects.count(StockEffect.REFUND) <= 1
    if StockEffect.REFUND in effects:
        assert effects.index(StockEffect.CONFIRM) < effects.index(StockEffect.REFUND)
    assert not (StockEffect.RELEASE in effects and StockEffect.CONFIRM in effects)


def test_final_states_go_nowhere() -> None:
    assert {s for s, targets in TRANSITIONS.items() if not targets} == {
        S.REFUNDED,
        S.CANCELLED,
        S.FAILED,
    }


def test_order_status_shown_for_each_state() -> None:
    assert ORDER_STATUS[S.AUTHORIZED] == OrderStatus.RESERVED
    assert ORDER_STATUS[S.FAILED] == OrderStatus.CANCELLED
    assert set(ORDER_STATUS) == set(PaymentState)


@pytest.mark.parametrize(
    ("current", "event", "after"),
    [
        (S.RESERVED, EventKind.AUTHORIZED, S.AUTHORIZED),
        (S.AUTHORIZED, EventKind.AUTHORIZED, S.AUTHORIZED),  # delivered twice
        (S.AUTHORIZED, EventKind.CAPTURED, S.PAID),
        (S.PAID, EventKind.AUTHORIZED, S.PAID),  # arrived late
        (S.RESERVED, EventKind.DECLINED, S.FAILED),
        (S.AUTHORIZED, EventKind.VOIDED, S.CANCELLED),
        (S.FULFILLED, EventKind.REFUNDED, S.REFUNDED),
    ],
)
def test_webhook_events_move_orders(
    current: PaymentState, event: EventKind, after: PaymentState
) -> None:
    assert after_event(current, event) == after


def test_a_capture_for_a_cancelled_order_is_a_conflict() -> None:
    # The service must refund it: the stock was already released.
    with pytest.raises(Conflict):
        after_event(S.CANCELLED, EventKind.CAPTURED)
