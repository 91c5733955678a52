"""Time-limited TURN credentials (the TURN REST API rule that coturn's `use-auth-secret` checks).

The username is `<expiry>:<id>` (expiry in Unix seconds), the password
base64(HMAC-SHA1(secret, username)). The TURN server shares only the secret with us: it
recomputes the password from the username and refuses an expired one, so nothing is stored and
a leaked credential dies at its expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

TTL_S = (60, 7 * 24 * 3600)  # what SHOPCAST_TURN_TTL_S accepts
SCHEMES = ("turn:", "turns:")


@dataclass(frozen=True)
class TurnConfig:
    """Where the TURN servers are and the secret they share with us (None: no TURN)."""

    secret: str | None = None
    urls: tuple[str, ...] = ()  # `turn:host:3478?transport=udp`, `turns:host:5349?transport=tcp`
    ttl_s: int = 3600

    def problem(self) -> str | None:
        """What makes these settings unusable, naming the setting; None when they are fine."""
        if not self.secret and not self.urls:
            return None
        if not self.secret:
            return "SHOPCAST_TURN_SECRET: required when SHOPCAST_TURN_URLS is set"
        if not self.urls:
            return "SHOPCAST_TURN_URLS: required when SHOPCAST_TURN_SECRET is set"
        for url in self.urls:
            if not url.startswith(SCHEMES) or len(url.split(":", 1)[1]) == 0:
                return f"SHOPCAST_TURN_URLS: expected turn: or turns: URLs (got {url!r})"
        if not TTL_S[0] <= self.ttl_s <= TTL_S[1]:
            return f"SHOPCAST_TURN_TTL_S: expected {TTL_S[0]} to {TTL_S[1]} seconds"
        return None

    @property
    def enabled(self) -> bool:
        return bool(self.secret and self.urls)


@dataclass(frozen=True)
class TurnCredential:
    """One ICE server entry as WebRTC takes it (`RTCIceServer`)."""

    urls: tuple[str, ...]
    username: str
    credential: str
    expires_at: int  # Unix seconds

    def ice_server(self) -> dict[str, object]:
        return {"urls": list(self.urls), "username": self.username, "credential": self.credential}


def password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def issue(config: TurnConfig, holder: str, now: float) -> TurnCredential | None:
    """A credential for `holder` (an account id or a random name; no `:`) valid `ttl_s` from
    `now`, or None when TURN is not configured."""
    if not config.enabled or config.secret is None:
        return None
    if not holder or ":" in holder:
        raise ValueError("a TURN credential's holder is a non-empty name without ':'")
    expires_at = int(now) + config.ttl_s
    username = f"{expires_at}:{holder}"
    return TurnCredential(config.urls, username, password(config.secret, username), expires_at)


def accepts(secret: str, username: str, credential: str, now: float) -> bool:
    """What the TURN server checks: the password matches and the expiry is not past."""
    expiry, sep, _ = username.partition(":")
    if not sep or not expiry.isdigit() or int(expiry) < now:
        return False
    return hmac.compare_digest(password(secret, username), credential)
