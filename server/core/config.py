"""The core's configuration sections: commerce, payments, sign-in.

Read from the environment only by the tree in `server/edge/config.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import limits

MIN_SECRET_LENGTH = 32
MAX_RECHECK_S = 60.0


class ConfigError(ValueError):
    """Invalid configuration: the message is printed as the one-line reason at start."""


@dataclass(frozen=True)
class CommerceConfig:
    # An unpaid order gives its stock back after this long.
    reservation_hold_s: float = 600.0
    # How often a node looks for unpaid orders past their hold.
    expiry_period_s: float = 5.0
    # Longest wait for the payment gateway before answering `payment_timeout`.
    gateway_timeout_s: float = 15.0
    # A month's commission statement is payable this many days after the month ends.
    refund_window_days: int = 14


class PaymentProvider(StrEnum):
    TEST = "test"  # the built-in gateway: approves what it is told to; never for real money
    STRIPE = "stripe"


STRIPE_ORIGINS = (
    "https://js.stripe.com",
    "https://*.js.stripe.com",
    "https://api.stripe.com",
    "https://hooks.stripe.com",
)


@dataclass(frozen=True)
class PaymentsConfig:
    """The payment provider: none is chosen by default, and `serve` refuses to start without."""

    provider: PaymentProvider | None = None
    # `test` takes no money and approves what it is told to: a deployment must say it means it.
    allow_test: bool = False
    # Signs the test gateway's webhooks; None: a random one per process.
    test_webhook_secret: str | None = None
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    # A Stripe-compatible server (e.g. localstripe) instead of api.stripe.com; it also serves
    # Stripe.js under /js.stripe.com/v3/.
    stripe_api_base: str | None = None

    @classmethod
    def test(cls, webhook_secret: str | None = None) -> PaymentsConfig:
        return cls(PaymentProvider.TEST, allow_test=True, test_webhook_secret=webhook_secret)

    @property
    def page_origins(self) -> tuple[str, ...]:
        """Origins the pages load the provider's script and frames from and connect to."""
        if self.provider != PaymentProvider.STRIPE:
            return ()
        if self.stripe_api_base:
            parts = urlsplit(self.stripe_api_base)
            return (f"{parts.scheme}://{parts.netloc}",)
        return STRIPE_ORIGINS

    @property
    def stripe_js_url(self) -> str:
        """Where the pages load Stripe.js from: Stripe requires js.stripe.com itself (PCI)."""
        if self.stripe_api_base:
            return self.stripe_api_base.rstrip("/") + "/js.stripe.com/v3/"
        return "https://js.stripe.com/v3/"

    def check(self) -> None:
        if self.provider is None:
            raise ConfigError(
                "SHOPCAST_PAYMENTS: not set; choose stripe (with SHOPCAST_STRIPE_* keys), "
                "or test with SHOPCAST_ALLOW_TEST_PAYMENTS=1 (takes no money)"
            )
        if self.provider == PaymentProvider.TEST and not self.allow_test:
            raise ConfigError(
                "SHOPCAST_PAYMENTS=test approves fake payments; "
                "set SHOPCAST_ALLOW_TEST_PAYMENTS=1 if that is what you want"
            )
        if self.provider == PaymentProvider.STRIPE:
            self._check_stripe()

    def _check_stripe(self) -> None:
        keys = {
            "SHOPCAST_STRIPE_SECRET_KEY": (self.stripe_secret_key, ("sk_", "rk_")),
            "SHOPCAST_STRIPE_PUBLISHABLE_KEY": (self.stripe_publishable_key, ("pk_",)),
            "SHOPCAST_STRIPE_WEBHOOK_SECRET": (self.stripe_webhook_secret, ("whsec_",)),
        }
        for name, (value, prefixes) in keys.items():
            if not value.startswith(prefixes):
                raise ConfigError(f"{name}: expected a key starting with {' or '.join(prefixes)}")
        if self.stripe_api_base is not None and urlsplit(self.stripe_api_base).scheme not in (
            "http",
            "https",
        ):
            raise ConfigError("SHOPCAST_STRIPE_API_BASE: expected http(s)://host:port")


@dataclass(frozen=True)
class AuthConfig:
    """Token keys, how soon a revoked token stops working, and the sign-in doors' rate limits
    (limits notation, "N/unit;M/unit"; docs/protocol.md "Rate limits")."""

    # Secrets that signed tokens before SHOPCAST_SECRET did: they still verify, never sign.
    previous_secrets: tuple[str, ...] = ()
    # How long a node trusts its copy of an account's token version (a ban, a role change).
    recheck_s: float = 30.0
    sign_in_per_address: str = "30/minute;300/hour"
    sign_up_per_address: str = "5/minute;20/hour"
    guest_per_address: str = "20/minute;200/hour"
    # An account's failed sign-ins: this many are free, then the wait is `sign_in_wait_s` and
    # doubles after each further `sign_in_free_failures` failures, `sign_in_doublings` times.
    sign_in_free_failures: int = 5
    sign_in_wait_s: int = 60
    sign_in_doublings: int = 5

    def check(self) -> None:
        for secret in self.previous_secrets:
            if len(secret) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    f"SHOPCAST_PREVIOUS_SECRETS: each must be at least {MIN_SECRET_LENGTH} "
                    "characters"
                )
        if not 0 < self.recheck_s <= MAX_RECHECK_S:
            raise ConfigError(
                f"SHOPCAST_TOKEN_RECHECK_S: expected more than 0, at most {MAX_RECHECK_S:g} s"
            )
        for name, value in (
            ("SHOPCAST_LIMIT_SIGN_IN", self.sign_in_per_address),
            ("SHOPCAST_LIMIT_SIGN_UP", self.sign_up_per_address),
            ("SHOPCAST_LIMIT_GUEST", self.guest_per_address),
        ):
            try:
                limits.parse_many(value)
            except ValueError:
                raise ConfigError(f"{name}: expected limits like 10/minute;100/hour") from None
        if min(self.sign_in_free_failures, self.sign_in_wait_s, self.sign_in_doublings + 1) < 1:
            raise ConfigError("sign-in backoff: failures and wait must be at least 1")
