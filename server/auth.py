"""Passwords (argon2) and signed bearer tokens (JWT, HS256) carrying the role."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.domain.errors import AuthRequired
from server.domain.roles import Principal, Role

ISSUER = "shopcast"
SESSION_COOKIE = "shopcast_session"  # the pages' token: HttpOnly, SameSite (set by the pages' login)
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


class Tokens:
    """Issues and verifies tokens. A token that verified is remembered until it expires, so
    a buyer tapping through a flash sale is not re-verified per request (the signature check
    is most of the cost); a token never seen is always checked in full."""

    def __init__(self, secret: str, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._ttl_s = ttl_s
        self._clock = clock
        self._verified: dict[str, tuple[Principal, float]] = {}

    def issue(self, principal: Principal) -> str:
        now = int(self._clock())
        claims = {
            "iss": ISSUER,
            "sub": principal.subject,
            "name": principal.display_name,
            "role": str(principal.role),
            "iat": now,
            "exp": now + self._ttl_s,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: object) -> Principal:
        if not isinstance(token, str) or not token:
            raise AuthRequired("a bearer token is required")
        known = self._verified.get(token)
        if known is not None:
            if self._clock() < known[1]:
                return known[0]
            del self._verified[token]
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["sub", "role", "exp"], "verify_exp": False},
            )
            principal = _principal(claims)
            expires = float(claims["exp"])
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            raise AuthRequired("the token is invalid or expired", code="bad_token") from None
        if self._clock() >= expires:
            raise AuthRequired("the token is invalid or expired", code="bad_token")
        if len(self._verified) >= MAX_VERIFIED:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal


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
