"""One typed configuration tree, read from the environment only here.

Every subsystem owns its section; defaults live in code. `from_env` takes the
environment as an argument so tests can hand in their own.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from chat.config import ChatConfig
from media.service import MediaConfig
from server.core.config import (
    MIN_SECRET_LENGTH,
    AuthConfig,
    CommerceConfig,
    ConfigError,
    PaymentProvider,
    PaymentsConfig,
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./shopcast.db"
SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
DEMO_RECORDINGS_DIR = "./recordings"  # `shopcast demo` records here, beside its ./shopcast.db


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
