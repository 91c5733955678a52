"""PaymentsConfig: the provider is a choice, never a default; what the pages must allow for it;
and Stripe's shapes read into the gateway port's values (recorded shapes, no server)."""

from __future__ import annotations

import pytest

from server.core.domain.money import Money
from server.core.domain.payments import ClientSetup, EventKind, GatewayError, PaymentDeclined
from server.core.payments import stripe_shapes
from server.core.payments.providers import gateway_for
from server.core.payments.simulated_gateway import SimulatedGateway
from server.core.payments.stripe_gateway import StripeGateway
from server.edge.config import ConfigError, PaymentProvider, PaymentsConfig, from_env

SECRET = {"SHOPCAST_SECRET": "s" * 40}
STRIPE = {
    "SHOPCAST_PAYMENTS": "stripe",
    "SHOPCAST_STRIPE_SECRET_KEY": "sk_test_1",
    "SHOPCAST_STRIPE_PUBLISHABLE_KEY": "pk_test_1",
    "SHOPCAST_STRIPE_WEBHOOK_SECRET": "whsec_1",
}


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({}, "SHOPCAST_PAYMENTS: not set"),
        ({"SHOPCAST_PAYMENTS": "test"}, "SHOPCAST_ALLOW_TEST_PAYMENTS=1"),
        ({"SHOPCAST_PAYMENTS": "cash"}, "SHOPCAST_PAYMENTS: expected one of"),
        ({**STRIPE, "SHOPCAST_STRIPE_SECRET_KEY": "pk_oops"}, "SHOPCAST_STRIPE_SECRET_KEY"),
        ({**STRIPE, "SHOPCAST_STRIPE_PUBLISHABLE_KEY": ""}, "SHOPCAST_STRIPE_PUBLISHABLE_KEY"),
        ({**STRIPE, "SHOPCAST_STRIPE_WEBHOOK_SECRET": "x"}, "SHOPCAST_STRIPE_WEBHOOK_SECRET"),
        ({**STRIPE, "SHOPCAST_STRIPE_API_BASE": "ftp://x"}, "SHOPCAST_STRIPE_API_BASE"),
    ],
)
def test_a_payment_setting_must_be_chosen_and_complete(env: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        from_env({**SECRET, **env}).validated()


def test_stripe_from_the_environment() -> None:
    config = from_env({**SECRET, **STRIPE}).validated().payments
    assert config.provider == PaymentProvider.STRIPE
    assert config.page_origins == (
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://api.stripe.com",
        "https://hooks.stripe.com",
    )
    assert config.stripe_js_url == "https://js.stripe.com/v3/"
    gateway = gateway_for(config)
    assert isinstance(gateway, StripeGateway)
    assert gateway.client_setup == ClientSetup("stripe", "pk_test_1", "https://js.stripe.com/v3/")
    local = from_env({**SECRET, **STRIPE, "SHOPCAST_STRIPE_API_BASE": "http://127.0.0.1:8420"})
    assert local.payments.page_origins == ("http://127.0.0.1:8420",)
    assert local.payments.stripe_js_url == "http://127.0.0.1:8420/js.stripe.com/v3/"


def test_test_payments_when_allowed_with_a_configured_or_random_secret() -> None:
    allowed = {"SHOPCAST_PAYMENTS": "test", "SHOPCAST_ALLOW_TEST_PAYMENTS": "1"}
    config = from_env({**SECRET, **allowed}).validated().payments
    assert config.page_origins == () and config.test_webhook_secret is None
    one, two = gateway_for(config), gateway_for(config)
    assert isinstance(one, SimulatedGateway) and isinstance(two, SimulatedGateway)
    assert one.signed({"a": 1}) != two.signed({"a": 1})  # random per gateway
    fixed = from_env({**SECRET, **allowed, "SHOPCAST_TEST_WEBHOOK_SECRET": "shared"}).payments
    a, b = gateway_for(fixed), gateway_for(fixed)
    assert isinstance(a, SimulatedGateway) and isinstance(b, SimulatedGateway)
    assert a.signed({"a": 1}) == b.signed({"a": 1})
    with pytest.raises(ValueError):
        gateway_for(PaymentsConfig())


SETUP = ClientSetup("stripe", "pk_test_1", "https://js.stripe.com/v3/")


def intent(**changes: object) -> dict:
    return {
        "id": "pi_1",
        "amount": 5990,
        "currency": "eur",
        "status": "requires_capture",
        "client_secret": "pi_1_secret_x",
        "metadata": {"shopcast_reference": "order-7"},
        **changes,
    }


def test_a_payment_intent_as_an_authorization() -> None:
    held = stripe_shapes.authorization(intent(), SETUP)
    assert (held.id, held.amount, held.idempotency_key, held.held) == (
        "pi_1",
        Money(5990, "EUR"),
        "order-7",
        True,
    )
    waiting = stripe_shapes.authorization(intent(status="requires_action"), SETUP)
    assert waiting.action is not None and waiting.action.client_secret == "pi_1_secret_x"
    failed = intent(status="requires_payment_method", last_payment_error={"message": "no"})
    with pytest.raises(PaymentDeclined):
        stripe_shapes.authorization(failed, SETUP)
    with pytest.raises(GatewayError):
        stripe_shapes.authorization(intent(status="processing"), SETUP)


@pytest.mark.parametrize(
    ("kind", "obj", "read"),
    [
        (
            "payment_intent.amount_capturable_updated",
            intent(amount_capturable=5990),
            (EventKind.AUTHORIZED, "pi_1", Money(5990, "EUR")),
        ),
        (
            "payment_intent.succeeded",
            intent(status="succeeded", amount_received=5000),
            (EventKind.CAPTURED, "pi_1", Money(5000, "EUR")),  # what was taken, not asked
        ),
        ("payment_intent.canceled", intent(), (EventKind.VOIDED, "pi_1", Money(5990, "EUR"))),
        (
            "charge.refunded",
            {
                "payment_intent": "pi_1",
                "refunded": True,
                "amount_refunded": 5990,
                "currency": "eur",
            },
            (EventKind.REFUNDED, "pi_1", Money(5990, "EUR")),
        ),
        ("charge.refunded", {"payment_intent": "pi_1", "refunded": False}, None),  # partial
        ("payment_intent.payment_failed", intent(status="requires_payment_method"), None),
        ("customer.created", {"id": "cus_1"}, None),
    ],
)
def test_stripe_events_read_as_order_events(kind: str, obj: dict, read: tuple | None) -> None:
    found = stripe_shapes.event({"id": "evt_1", "type": kind, "data": {"object": obj}})
    if read is None:
        assert found is None
    else:
        assert found is not None
        assert (found.kind, found.authorization_id, found.amount) == read
