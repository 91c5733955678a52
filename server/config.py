"""One typed configuration tree, read from the environment only here.

Every subsystem owns its section; defaults live in code. `from_env` takes the
environment as an argument so tests can hand in their own.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

import limits

from chat.config import ChatConfig
from media.service import MediaConfig

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./shopcast.db"
SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
MIN_SECRET_LENGTH = 32
DEMO_RECORDINGS_DIR = "./recordings"  # `shopcast demo` records here, beside its ./shopcast.db


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
        if not 0 < self.recheck_s <= 60:
            raise ConfigError("SHOPCAST_TOKEN_RECHECK_S: expected more than 0, at most 60 s")
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


@dataclass(frozen=True)
class Config:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    # GET /metrics asks for `Authorization: Bearer <this>` when set; open when None.
    metrics_token: str | None = None
    token_ttl_s: int = 7 * 24 * 3600
    chat: ChatConfig = field(default_factory=ChatConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    commerce: CommerceConfig = field(default_factory=CommerceConfig)
    payments: PaymentsConfig = field(default_factory=PaymentsConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)

    def validated(self) -> Config:
        """Return self if every setting is usable, else raise ConfigError naming the setting."""
        scheme = urlsplit(self.database_url).scheme
        if scheme not in SUPPORTED_DB_SCHEMES:
            raise ConfigError(
                f"SHOPCAST_DATABASE_URL: unsupported scheme {scheme!r}; "
                f"use one of {', '.join(SUPPORTED_DB_SCHEMES)}"
            )
        if self.redis_url is not None and urlsplit(self.redis_url).scheme not in (
            "redis",
            "rediss",
            "unix",
        ):
            raise ConfigError("SHOPCAST_REDIS_URL: expected redis://host:port[/db]")
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"SHOPCAST_SECRET: must be at least {MIN_SECRET_LENGTH} characters "
                '(generate one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        if not 10 <= self.commerce.reservation_hold_s <= 24 * 3600:
            raise ConfigError("SHOPCAST_RESERVATION_HOLD_S: expected 10 to 86400 seconds")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port: {self.port} is not a TCP port (1-65535)")
        self.payments.check()
        self.auth.check()
        return self

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def from_env(environ: Mapping[str, str], **overrides: object) -> Config:
    """Build the config from SHOPCAST_* variables; explicit overrides (CLI flags) win."""
    ice = tuple(u for u in environ.get("SHOPCAST_ICE_SERVERS", "").split(",") if u.strip())
    config = Config(
        database_url=environ.get("SHOPCAST_DATABASE_URL", DEFAULT_DATABASE_URL),
        redis_url=environ.get("SHOPCAST_REDIS_URL") or None,
        secret=environ.get("SHOPCAST_SECRET", ""),
        public_url=environ.get("SHOPCAST_PUBLIC_URL") or None,
        metrics_token=environ.get("SHOPCAST_METRICS_TOKEN", "").strip() or None,
        media=MediaConfig(
            ice_servers=tuple(u.strip() for u in ice),
            recordings_dir=environ.get("SHOPCAST_RECORDINGS_DIR") or None,
            max_video_bps=_kbps_as_bps(environ, "SHOPCAST_MAX_VIDEO_KBPS"),
        ),
        chat=ChatConfig(
            redis_channel=environ.get("SHOPCAST_REDIS_CHANNEL") or "shopcast",
            trusted_proxy_hops=_proxy_hops(environ),
        ),
        commerce=CommerceConfig(
            reservation_hold_s=_seconds(environ, "SHOPCAST_RESERVATION_HOLD_S", 600.0),
        ),
        payments=_payments(environ),
        auth=_auth(environ),
    )
    chosen = {k: v for k, v in overrides.items() if v is not None}
    return replace(config, **chosen)  # type: ignore[arg-type]


def _payments(environ: Mapping[str, str]) -> PaymentsConfig:
    raw = environ.get("SHOPCAST_PAYMENTS", "").strip().lower()
    if raw and raw not in set(PaymentProvider):
        choices = ", ".join(PaymentProvider)
        raise ConfigError(f"SHOPCAST_PAYMENTS: expected one of {choices} (got {raw!r})")
    return PaymentsConfig(
        provider=PaymentProvider(raw) if raw else None,
        allow_test=environ.get("SHOPCAST_ALLOW_TEST_PAYMENTS", "").strip() == "1",
        test_webhook_secret=environ.get("SHOPCAST_TEST_WEBHOOK_SECRET") or None,
        stripe_secret_key=environ.get("SHOPCAST_STRIPE_SECRET_KEY", "").strip(),
        stripe_publishable_key=environ.get("SHOPCAST_STRIPE_PUBLISHABLE_KEY", "").strip(),
        stripe_webhook_secret=environ.get("SHOPCAST_STRIPE_WEBHOOK_SECRET", "").strip(),
        stripe_api_base=environ.get("SHOPCAST_STRIPE_API_BASE", "").strip() or None,
    )


def _auth(environ: Mapping[str, str]) -> AuthConfig:
    defaults = AuthConfig()
    previous = environ.get("SHOPCAST_PREVIOUS_SECRETS", "").split(",")
    return AuthConfig(
        previous_secrets=tuple(s.strip() for s in previous if s.strip()),
        recheck_s=_seconds(environ, "SHOPCAST_TOKEN_RECHECK_S", defaults.recheck_s),
        sign_in_per_address=environ.get("SHOPCAST_LIMIT_SIGN_IN", "").strip()
        or defaults.sign_in_per_address,
        sign_up_per_address=environ.get("SHOPCAST_LIMIT_SIGN_UP", "").strip()
        or defaults.sign_up_per_address,
        guest_per_address=environ.get("SHOPCAST_LIMIT_GUEST", "").strip()
        or defaults.guest_per_address,
    )


def _proxy_hops(environ: Mapping[str, str]) -> int:
    raw = environ.get("SHOPCAST_TRUSTED_PROXY_HOPS", "").strip() or "0"
    if not raw.isdigit() or int(raw) > 5:
        raise ConfigError(f"SHOPCAST_TRUSTED_PROXY_HOPS: expected 0 to 5 proxies (got {raw!r})")
    return int(raw)


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number of seconds (got {raw!r})") from None


def _kbps_as_bps(environ: Mapping[str, str], name: str) -> int | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 50 <= int(raw) <= 100_000:
        raise ConfigError(f"{name}: expected kilobits per second, 50 to 100000 (got {raw!r})")
    return int(raw) * 1000


def demo_secret() -> str:
    """A per-run secret for `shopcast demo`: tokens die with the process, fine for a demo."""
    return secrets.token_urlsafe(48)
