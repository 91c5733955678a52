import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.errors import Conflict
from server.core.domain.money import Money
from server.core.domain.orders import OrderStatus
from server.core.domain.payments import (
    ORDER_STATUS,
    TRANSITIONS,
    Authorization,
    ClientSetup,
    EventKind,
    PaymentAction,
    PaymentState,
    StockEffect,
    WebhookMismatch,
    after_event,
    can_move,
    check_event_amount,
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


@pytest.mark.parametrize(
    ("current", "target", "effect"),
    [
        (S.RESERVED, S.REQUIRES_ACTION, StockEffect.NONE),  # the stock stays held
        (S.REQUIRES_ACTION, S.REQUIRES_ACTION, StockEffect.NONE),
        (S.REQUIRES_ACTION, S.AUTHORIZED, StockEffect.NONE),
        (S.REQUIRES_ACTION, S.PAID, StockEffect.CONFIRM),  # a capture event came first
        (S.REQUIRES_ACTION, S.CANCELLED, StockEffect.RELEASE),  # abandoned: expiry
        (S.REQUIRES_ACTION, S.FAILED, StockEffect.RELEASE),  # the 3-D Secure step failed
    ],
)
def test_requires_action_holds_the_stock_until_it_ends(
    current: PaymentState, target: PaymentState, effect: StockEffect
) -> None:
    assert move(current, target) == effect
    assert ORDER_STATUS[S.REQUIRES_ACTION] == OrderStatus.RESERVED


@pytest.mark.parametrize("target", [S.RESERVED, S.REFUNDED, S.FULFILLED])
def test_requires_action_cannot_go_back_or_skip_the_sale(target: PaymentState) -> None:
    with pytest.raises(Conflict):
        move(S.REQUIRES_ACTION, target)
    with pytest.raises(Conflict):
        move(S.AUTHORIZED, S.REQUIRES_ACTION)


@pytest.mark.parametrize(
    ("current", "event", "after"),
    [
        (S.REQUIRES_ACTION, EventKind.AUTHORIZED, S.AUTHORIZED),
        (S.REQUIRES_ACTION, EventKind.CAPTURED, S.PAID),  # out of order: capture first
        (S.RESERVED, EventKind.CAPTURED, S.PAID),
        (S.PAID, EventKind.AUTHORIZED, S.PAID),  # ... then the late authorization
        (S.REFUNDED, EventKind.AUTHORIZED, S.REFUNDED),
        (S.REQUIRES_ACTION, EventKind.VOIDED, S.CANCELLED),
    ],
)
def test_events_around_the_buyers_step(
    current: PaymentState, event: EventKind, after: PaymentState
) -> None:
    assert after_event(current, event) == after


def test_an_event_must_be_for_the_orders_amount_and_currency() -> None:
    order = Money(1999, "EUR")
    check_event_amount(Money(1999, "EUR"), order)
    with pytest.raises(WebhookMismatch) as amount:
        check_event_amount(Money(1, "EUR"), order)
    assert (amount.value.code, amount.value.status) == ("webhook_amount_mismatch", 422)
    with pytest.raises(WebhookMismatch) as currency:
        check_event_amount(Money(1999, "PLN"), order)
    assert currency.value.code == "webhook_currency_mismatch"


def test_an_action_tells_the_page_what_to_run() -> None:
    setup = ClientSetup("stripe", "pk_test_1", "https://js.stripe.com/v3/")
    action = PaymentAction(setup, "pi_1_secret_2")
    assert action.to_payload() == {
        "type": "confirm_payment",
        "client_secret": "pi_1_secret_2",
        "provider": "stripe",
        "publishable_key": "pk_test_1",
        "script_url": "https://js.stripe.com/v3/",
    }
    assert Authorization("pi_1", Money(5, "EUR"), "order-1", action).held is False
    assert Authorization("pi_1", Money(5, "EUR"), "order-1").held is True
