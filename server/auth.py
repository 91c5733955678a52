"""Passwords (argon2) and signed bearer tokens (JWT, HS256) carrying the role."""

from __future__ import annotations

import secrets
import time

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.domain.errors import AuthRequired
from server.domain.roles import Principal, Role

ISSUER = "shopcast"


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
    def __init__(self, secret: str, ttl_s: int) -> None:
        self._secret = secret
        self._ttl_s = ttl_s

    def issue(self, principal: Principal) -> str:
        now = int(time.time())
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
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["sub", "role", "exp"]},
            )
            return _principal(claims)
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            raise AuthRequired("the token is invalid or expired", code="bad_token") from None


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
