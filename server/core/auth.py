"""Passwords (argon2) and signed tokens (JWT, HS256, a `kid` per secret) carrying the role."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.core.domain.error_codes import AuthCode
from server.core.domain.errors import AuthRequired
from server.core.domain.roles import Principal, Role

ISSUER = "shopcast"
SESSION_COOKIE = "shopcast_session"  # the pages' token: HttpOnly, SameSite (the pages' login)
MAX_VERIFIED = 50_000  # tokens remembered as verified; past it, the memory starts over


class Passwords:
    def __init__(self) -> None:
        self._hasher = PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False


def key_id(secret: str) -> str:
    """The `kid` a secret signs under: a short hash that names the key, never reveals it."""
    return hashlib.sha256(b"shopcast token key\n" + secret.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Verified:
    """A token that checked out: who it speaks for and the account's token version it carries
    (compared with the account's current one by server/core/services/accounts.py)."""

    principal: Principal
    version: int
    expires: float


class Tokens:
    """Issues and verifies tokens. The current secret signs, under its `kid`; the previous
    ones (a rotation under way) still verify theirs, and a token without a `kid` (issued before
    rotation existed) verifies with the current secret.

    A token that verified is remembered until it expires, so a buyer tapping through a flash
    sale is not re-verified per request (the signature check is most of the cost); a token
    never seen is always checked in full."""

    def __init__(
        self,
        secret: str,
        ttl_s: int,
        clock: Callable[[], float] = time.time,
        previous_secrets: Sequence[str] = (),
    ) -> None:
        self._secret = secret
        self._kid = key_id(secret)
        self._keys = {key_id(s): s for s in previous_secrets} | {self._kid: secret}
        self._ttl_s = ttl_s
        self._clock = clock
        self._verified: dict[str, Verified] = {}

    @property
    def signing_secret(self) -> str:
        """The current secret, for keys derived from it (unsubscribe links)."""
        return self._secret

    def issue(self, principal: Principal, version: int = 0) -> str:
        """A token for `principal`; an account's carries its current token `version`."""
        now = int(self._clock())
        claims = {
            "iss": ISSUER,
            "sub": principal.subject,
            "name": principal.display_name,
            "role": str(principal.role),
            "ver": version,
            "iat": now,
            "exp": now + self._ttl_s,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256", headers={"kid": self._kid})

    def verify(self, token: object) -> Principal:
        return self.read(token).principal

    def read(self, token: object) -> Verified:
        if not isinstance(token, str) or not token:
            raise AuthRequired("a bearer token is required")
        known = self._verified.get(token)
        if known is not None:
            if self._clock() < known.expires:
                return known
            del self._verified[token]
        verified = self._check(token)
        if self._clock() >= verified.expires:
            raise AuthRequired("the token is invalid or expired", code=AuthCode.BAD_TOKEN)
        if len(self._verified) >= MAX_VERIFIED:
            self._verified.clear()
        self._verified[token] = verified
        return verified

    def _check(self, token: str) -> Verified:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            secret = self._secret if kid is None else self._keys[kid]
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["sub", "role", "exp"], "verify_exp": False},
            )
            version = claims.get("ver", 0)
            if type(version) is not int:
                raise ValueError(version)
            return Verified(_principal(claims), version, float(claims["exp"]))
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            raise AuthRequired("the token is invalid or expired", code=AuthCode.BAD_TOKEN) from None


def _principal(claims: dict) -> Principal:
    subject = str(claims["sub"])
    role = Role(claims["role"])
    kind, _, ident = subject.partition(":")
    user_id = int(ident) if kind == "u" else None
    if kind not in ("u", "g"):
        raise ValueError(subject)
    return Principal(subject=subject, display_name=str(claims["name"]), role=role, user_id=user_id)


def guest_principal(display_name: str) -> Principal:
    return Principal(
        subject=f"g:{secrets.token_hex(8)}", display_name=display_name, role=Role.VIEWER
    )


def bearer(header: str | None) -> str | None:
    """The token from an `Authorization: Bearer …` header, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def session_cookie(header: str | None) -> str | None:
    """The pages' session token from a `Cookie:` header (a socket's handshake), or None."""
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None
