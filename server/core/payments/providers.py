"""The payment providers by name: one adapter each, chosen once from PaymentsConfig.

A second real provider (Adyen, Mollie) is one adapter module beside stripe_gateway.py, one
entry here and its fields in PaymentsConfig.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from server.core.config import PaymentProvider, PaymentsConfig
from server.core.domain.payments import PaymentGateway
from server.core.payments.simulated_gateway import SimulatedGateway
from server.core.payments.stripe_gateway import StripeGateway


def _test(config: PaymentsConfig) -> PaymentGateway:
    secret = config.test_webhook_secret
    return SimulatedGateway(secret.encode() if secret else None)


def _stripe(config: PaymentsConfig) -> PaymentGateway:
    return StripeGateway(
        config.stripe_secret_key,
        config.stripe_publishable_key,
        config.stripe_webhook_secret,
        script_url=config.stripe_js_url,
        api_base=config.stripe_api_base,
        # A local Stripe-compatible server (localstripe) predates the newer parameter.
        method_types="payment_method_types" if config.stripe_api_base else None,
    )


ADAPTERS: Mapping[PaymentProvider, Callable[[PaymentsConfig], PaymentGateway]] = {
    PaymentProvider.TEST: _test,
    PaymentProvider.STRIPE: _stripe,
}


def gateway_for(config: PaymentsConfig) -> PaymentGateway:
    """The configured provider's gateway. There is no default: a shop that silently took
    fake payments is what issue 12 fixed."""
    if config.provider is None:
        raise ValueError("no payment provider configured (SHOPCAST_PAYMENTS)")
    return ADAPTERS[config.provider](config)
