"""One typed configuration tree, read from the environment only here.

Every subsystem owns its section; defaults live in code. `from_env` takes the
environment as an argument so tests can hand in their own. `SETTINGS` declares each
SHOPCAST_* variable once (name, meaning, default, range) and generates README's table:
`python -m server.edge.config` prints it (tests/server/edge/test_config.py compares).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from urllib.parse import urlsplit

import limits

from chat.config import ChatConfig
from media.service import MediaConfig
from server.core.config import (
    MAX_RECHECK_S,
    MIN_SECRET_LENGTH,
    AuthConfig,
    CommerceConfig,
    ConfigError,
    PaymentProvider,
    PaymentsConfig,
)
from server.core.domain.notifications import NotificationsConfig
from server.core.domain.statements import MAX_WINDOW_DAYS
from server.core.domain.turn import TTL_S as TURN_TTL_S
from server.core.domain.turn import TurnConfig

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./shopcast.db"
SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
DEMO_RECORDINGS_DIR = "./recordings"  # `shopcast demo` records here, beside its ./shopcast.db
# Ranges checked here, and said in the table (SETTINGS).
HOLD_S = (10, 24 * 3600)
MAX_PROXY_HOPS = 5
MAX_WORKERS = 64
VIDEO_KBPS = (50, 100_000)
WEBRTC_VIEWERS = (0, 100_000)


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
    # `shopcast serve`'s worker processes behind the port; None: the cores with Redis, else 1.
    workers: int | None = None
    worker: int = 0  # this process's number in a pool of workers (from 1); 0: not in one
    chat: ChatConfig = field(default_factory=ChatConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    commerce: CommerceConfig = field(default_factory=CommerceConfig)
    payments: PaymentsConfig = field(default_factory=PaymentsConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    turn: TurnConfig = field(default_factory=TurnConfig)
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)

    def validated(self) -> Config:
        """Return self if every setting is usable, else raise ConfigError naming the setting."""
        check_database_url(self.database_url)
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
        if not HOLD_S[0] <= self.commerce.reservation_hold_s <= HOLD_S[1]:
            raise ConfigError(
                f"SHOPCAST_RESERVATION_HOLD_S: expected {HOLD_S[0]} to {HOLD_S[1]} seconds"
            )
        if not 0 < self.port < 65536:
            raise ConfigError(f"port: {self.port} is not a TCP port (1-65535)")
        self.payments.check()
        self.auth.check()
        if (turn_problem := self.turn.problem()) is not None:
            raise ConfigError(turn_problem)
        if (notify_problem := self.notifications.problem()) is not None:
            raise ConfigError(notify_problem)
        try:
            limits.parse_many(self.notifications.reset_per_address)
        except ValueError:
            raise ConfigError(
                "SHOPCAST_LIMIT_PASSWORD_RESET: expected limits like 5/minute;30/hour"
            ) from None
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
        workers=_count(environ, "SHOPCAST_WORKERS"),
        media=MediaConfig(
            ice_servers=tuple(u.strip() for u in ice),
            recordings_dir=environ.get("SHOPCAST_RECORDINGS_DIR") or None,
            max_video_bps=_kbps_as_bps(environ, "SHOPCAST_MAX_VIDEO_KBPS"),
            max_webrtc_viewers=_max_webrtc_viewers(environ),
        ),
        chat=ChatConfig(
            redis_channel=environ.get("SHOPCAST_REDIS_CHANNEL") or ChatConfig.redis_channel,
            trusted_proxy_hops=_proxy_hops(environ),
            show_metrics=_on_off(environ, "SHOPCAST_SHOW_METRICS", ChatConfig.show_metrics),
        ),
        commerce=CommerceConfig(
            reservation_hold_s=_seconds(
                environ, "SHOPCAST_RESERVATION_HOLD_S", CommerceConfig.reservation_hold_s
            ),
            refund_window_days=_days(environ, "SHOPCAST_REFUND_WINDOW_DAYS"),
        ),
        payments=_payments(environ),
        auth=_auth(environ),
        turn=_turn(environ),
        notifications=_notifications(environ),
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


def _turn(environ: Mapping[str, str]) -> TurnConfig:
    urls = environ.get("SHOPCAST_TURN_URLS", "").split(",")
    ttl = _seconds(environ, "SHOPCAST_TURN_TTL_S", TurnConfig.ttl_s)
    if ttl != int(ttl):
        raise ConfigError(f"SHOPCAST_TURN_TTL_S: expected whole seconds (got {ttl:g})")
    return TurnConfig(
        secret=environ.get("SHOPCAST_TURN_SECRET", "").strip() or None,
        urls=tuple(u.strip() for u in urls if u.strip()),
        ttl_s=int(ttl),
    )


def _notifications(environ: Mapping[str, str]) -> NotificationsConfig:
    hooks = environ.get("SHOPCAST_WEBHOOK_URLS", "").split(",")
    ttl = _seconds(environ, "SHOPCAST_RESET_TTL_S", NotificationsConfig.reset_ttl_s)
    return NotificationsConfig(
        smtp_url=environ.get("SHOPCAST_SMTP_URL", "").strip() or None,
        mail_from=environ.get("SHOPCAST_MAIL_FROM", "").strip() or NotificationsConfig.mail_from,
        webhook_urls=tuple(u.strip() for u in hooks if u.strip()),
        webhook_secret=environ.get("SHOPCAST_WEBHOOK_SECRET", "").strip(),
        reset_ttl_s=int(ttl),
        reset_per_address=environ.get("SHOPCAST_LIMIT_PASSWORD_RESET", "").strip()
        or NotificationsConfig.reset_per_address,
    )


def _proxy_hops(environ: Mapping[str, str]) -> int:
    raw = environ.get("SHOPCAST_TRUSTED_PROXY_HOPS", "").strip() or "0"
    if not raw.isdigit() or int(raw) > MAX_PROXY_HOPS:
        raise ConfigError(
            f"SHOPCAST_TRUSTED_PROXY_HOPS: expected 0 to {MAX_PROXY_HOPS} proxies (got {raw!r})"
        )
    return int(raw)


def _on_off(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise ConfigError(f"{name}: expected on or off (got {raw!r})")
    return raw == "on"


def _days(environ: Mapping[str, str], name: str) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return CommerceConfig.refund_window_days
    if not raw.isdigit() or int(raw) > MAX_WINDOW_DAYS:
        raise ConfigError(f"{name}: expected 0 to {MAX_WINDOW_DAYS} days (got {raw!r})")
    return int(raw)


def _count(environ: Mapping[str, str], name: str) -> int | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WORKERS:
        raise ConfigError(f"{name}: expected 1 to {MAX_WORKERS} (got {raw!r})")
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
    low, high = VIDEO_KBPS
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name}: expected kilobits per second, {low} to {high} (got {raw!r})")
    return int(raw) * 1000


def _max_webrtc_viewers(environ: Mapping[str, str]) -> int | None:
    raw = environ.get("SHOPCAST_MAX_WEBRTC_VIEWERS", "").strip()
    if not raw:
        return None
    low, high = WEBRTC_VIEWERS
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ConfigError(f"SHOPCAST_MAX_WEBRTC_VIEWERS: expected {low} to {high} (got {raw!r})")
    return int(raw)


def check_database_url(url: str) -> str:
    """Return `url` if it names a supported database, else raise ConfigError."""
    scheme = urlsplit(url).scheme
    if scheme not in SUPPORTED_DB_SCHEMES:
        raise ConfigError(
            f"SHOPCAST_DATABASE_URL: unsupported scheme {scheme!r}; "
            f"use one of {', '.join(SUPPORTED_DB_SCHEMES)}"
        )
    return url


@dataclass(frozen=True)
class Setting:
    """One SHOPCAST_* variable as README's table shows it."""

    name: str
    meaning: str  # one line; says the range where there is one
    default: str  # as the table shows it: a value in backticks, or what happens when unset


def _default(section: type, name: str, then: str = "") -> str:
    """A section field's default in code, as the table shows it (`then`: what it means)."""
    found = {f.name: f.default for f in fields(section)}[name]
    if found is MISSING:
        raise LookupError(f"{section.__name__}.{name} has no plain default")
    shown = f"{found:g}" if isinstance(found, float) else str(found)
    return f"`{shown}`{then}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SHOPCAST_SECRET",
        "signs tokens (named in each token by a hash, its `kid`); "
        f"at least {MIN_SECRET_LENGTH} characters",
        "required",
    ),
    Setting(
        "SHOPCAST_PREVIOUS_SECRETS",
        "comma-separated secrets that signed tokens before `SHOPCAST_SECRET` did: their tokens "
        'still verify, they sign nothing (key rotation, docs/protocol.md "Authentication")',
        "none",
    ),
    Setting(
        "SHOPCAST_TOKEN_RECHECK_S",
        "how long a node trusts its copy of an account's token version: a ban or role change "
        f"stops older tokens on every node within it (more than 0, at most {MAX_RECHECK_S:g})",
        _default(AuthConfig, "recheck_s"),
    ),
    Setting(
        "SHOPCAST_LIMIT_SIGN_IN",
        "per-address limit of sign-ins (`limits` notation), answered `429` with `Retry-After`; "
        "shared across nodes through Redis when set. An account's failed sign-ins also make it "
        'wait, doubling (docs/protocol.md "Rate limits")',
        _default(AuthConfig, "sign_in_per_address"),
    ),
    Setting(
        "SHOPCAST_LIMIT_SIGN_UP",
        "per-address limit of account creation, as `SHOPCAST_LIMIT_SIGN_IN`",
        _default(AuthConfig, "sign_up_per_address"),
    ),
    Setting(
        "SHOPCAST_LIMIT_GUEST",
        "per-address limit of guest tokens, as `SHOPCAST_LIMIT_SIGN_IN`",
        _default(AuthConfig, "guest_per_address"),
    ),
    Setting(
        "SHOPCAST_DATABASE_URL",
        "`sqlite+aiosqlite:///…` or `postgresql+asyncpg://user@host/db`; "
        "`shopcast migrate` upgrades its schema, `shopcast serve` refuses one that is behind",
        f"`{DEFAULT_DATABASE_URL}`",
    ),
    Setting(
        "SHOPCAST_REDIS_URL",
        "`redis://host:6379/0`: Socket.IO reaches every node through it, and the chat's "
        "moderation state (mutes, bans, modes, word lists, the review queue) is shared there",
        "unset: one process",
    ),
    Setting(
        "SHOPCAST_WORKERS",
        "`shopcast serve`'s worker processes behind its one port (SO_REUSEPORT; more than 1 "
        "needs Redis, and then Socket.IO is WebSocket only); `--workers` overrides it",
        "the number of cores with Redis, else `1`",
    ),
    Setting(
        "SHOPCAST_REDIS_CHANNEL",
        "the pub/sub channel one deployment's nodes share on that Redis, "
        "also the prefix of its keys",
        _default(ChatConfig, "redis_channel"),
    ),
    Setting(
        "SHOPCAST_TRUSTED_PROXY_HOPS",
        "how many proxies of yours, each appending to `X-Forwarded-For`, sit in front of the "
        "app: a guest's address (for guest bans and the sign-in doors' limits) is the entry "
        f"that many from the right (0 to {MAX_PROXY_HOPS})",
        _default(ChatConfig, "trusted_proxy_hops", ": the TCP peer"),
    ),
    Setting(
        "SHOPCAST_ICE_SERVERS",
        "comma-separated `stun:`/`turn:` URLs, advertised in WHIP/WHEP `Link` headers",
        "none",
    ),
    Setting(
        "SHOPCAST_TURN_URLS",
        "comma-separated `turn:`/`turns:` URLs of TURN servers sharing `SHOPCAST_TURN_SECRET`: "
        "the pages and WHIP/WHEP `Link` headers get time-limited credentials for them "
        '(docs/protocol.md "TURN")',
        "none",
    ),
    Setting(
        "SHOPCAST_TURN_SECRET",
        "the TURN REST API shared secret (coturn's `static-auth-secret`); required with "
        "`SHOPCAST_TURN_URLS`",
        "none",
    ),
    Setting(
        "SHOPCAST_TURN_TTL_S",
        f"how long a TURN credential lasts ({TURN_TTL_S[0]} to {TURN_TTL_S[1]})",
        _default(TurnConfig, "ttl_s"),
    ),
    Setting(
        "SHOPCAST_MAX_VIDEO_KBPS",
        "caps every host's video: `b=AS`/`b=TIAS` in the WHIP answer and the REMB sent to the "
        f"host ({VIDEO_KBPS[0]} to {VIDEO_KBPS[1]})",
        "unset: the host decides",
    ),
    Setting(
        "SHOPCAST_MAX_WEBRTC_VIEWERS",
        f"WebRTC viewers one node takes per show ({WEBRTC_VIEWERS[0]} to {WEBRTC_VIEWERS[1]}; "
        "0: HLS only); beyond it WHEP answers `503 webrtc_full` and the viewer page plays "
        'the show over LL-HLS (docs/protocol.md "HLS")',
        "unset: no limit",
    ),
    Setting(
        "SHOPCAST_RESERVATION_HOLD_S",
        f"how long an unpaid order holds its stock before it is cancelled ({HOLD_S[0]} to "
        f"{HOLD_S[1]})",
        _default(CommerceConfig, "reservation_hold_s"),
    ),
    Setting(
        "SHOPCAST_PUBLIC_URL",
        "the URL people reach the server at; `https://…` makes the pages' session cookies "
        "`Secure`, and its origin is accepted as ours by the CSRF and Socket.IO `Origin` checks",
        "`http://host:port`",
    ),
    Setting(
        "SHOPCAST_METRICS_TOKEN",
        "`GET /metrics` then asks for `Authorization: Bearer <this>` (compared in constant "
        "time); set it in production, or keep `/metrics` off the public port",
        "unset: `/metrics` open",
    ),
    Setting(
        "SHOPCAST_PAYMENTS",
        "the payment provider: `stripe`, or `test` (the built-in gateway: no money moves, every "
        "payment it is told to approve is approved); `shopcast serve` refuses to start without it",
        "required (`shopcast demo`: `test`)",
    ),
    Setting(
        "SHOPCAST_ALLOW_TEST_PAYMENTS",
        "`1` lets `serve` run with `SHOPCAST_PAYMENTS=test` (it says so at start)",
        "unset: `test` refused",
    ),
    Setting(
        "SHOPCAST_TEST_WEBHOOK_SECRET", "signs the test gateway's webhooks", "random per process"
    ),
    Setting(
        "SHOPCAST_STRIPE_SECRET_KEY",
        "Stripe's secret (`sk_…`) or restricted (`rk_…`) key, for the server's calls",
        "required with `stripe`",
    ),
    Setting(
        "SHOPCAST_STRIPE_PUBLISHABLE_KEY",
        "Stripe's publishable key (`pk_…`), handed to the pages for Stripe.js",
        "required with `stripe`",
    ),
    Setting(
        "SHOPCAST_STRIPE_WEBHOOK_SECRET",
        "the signing secret (`whsec_…`) of the webhook endpoint "
        "`<public URL>/api/payments/stripe/webhook`, with the events "
        "`payment_intent.amount_capturable_updated`, `payment_intent.succeeded`, "
        "`payment_intent.canceled`, `charge.refunded`",
        "required with `stripe`",
    ),
    Setting(
        "SHOPCAST_STRIPE_API_BASE",
        "a Stripe-compatible server instead of `api.stripe.com` (localstripe in the tests); the "
        "pages then load Stripe.js from `<base>/js.stripe.com/v3/`",
        "unset: Stripe itself",
    ),
    Setting(
        "SHOPCAST_RECORDINGS_DIR",
        "record every host session (remuxed MP4/WebM, no transcoding) into this directory; the "
        "node that ingests a show writes it and any node may serve it, so give several nodes "
        "shared storage",
        f"unset: no recordings (`shopcast demo`: `{DEMO_RECORDINGS_DIR}`)",
    ),
    Setting(
        "SHOPCAST_SHOW_METRICS",
        "`off` stops collecting the show reports' audience events (viewer sessions, card "
        'views, likes per second; written in batches, docs/protocol.md "Show reports"): the '
        "reports keep chat, pins and sales",
        "`on`",
    ),
    Setting(
        "SHOPCAST_REFUND_WINDOW_DAYS",
        "how many days after a month ends its commission statements become payable (refunds "
        f'within it are likely; 0 to {MAX_WINDOW_DAYS}, docs/protocol.md "Commission statements")',
        _default(CommerceConfig, "refund_window_days"),
    ),
    Setting(
        "SHOPCAST_SMTP_URL",
        "where emails go (followers told a host is live, reminders, password resets): "
        "`smtp://[user:password@]host[:port]` (STARTTLS when offered) or `smtps://` (TLS); "
        'sent from a queue with retries (docs/protocol.md "Notifications")',
        "unset: emails are written to the log",
    ),
    Setting(
        "SHOPCAST_MAIL_FROM",
        "the emails' sender",
        _default(NotificationsConfig, "mail_from"),
    ),
    Setting(
        "SHOPCAST_WEBHOOK_URLS",
        "comma-separated `http(s)://` URLs each told by a signed POST when a host goes live",
        "none",
    ),
    Setting(
        "SHOPCAST_WEBHOOK_SECRET",
        "signs every webhook (`Shopcast-Signature: t=…,v1=<HMAC-SHA256>`); at least 16 characters",
        "required with `SHOPCAST_WEBHOOK_URLS`",
    ),
    Setting(
        "SHOPCAST_RESET_TTL_S",
        "how long a password reset link works (60 to 86400; it works once)",
        _default(NotificationsConfig, "reset_ttl_s"),
    ),
    Setting(
        "SHOPCAST_LIMIT_PASSWORD_RESET",
        "per-address limit of password reset requests, as `SHOPCAST_LIMIT_SIGN_IN` (each "
        "account asked for also has its own: 3 an hour, 10 a day)",
        _default(NotificationsConfig, "reset_per_address"),
    ),
)


def markdown_table() -> str:
    """README's "Running in production" table, from SETTINGS."""
    rows = ["| variable | meaning | default |", "| --- | --- | --- |"]
    rows += [f"| `{s.name}` | {s.meaning} | {s.default} |" for s in SETTINGS]
    return "\n".join(rows) + "\n"


def demo_secret() -> str:
    """A per-run secret for `shopcast demo`: tokens die with the process, fine for a demo."""
    return secrets.token_urlsafe(48)


if __name__ == "__main__":
    print(markdown_table(), end="")
