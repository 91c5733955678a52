"""Password reset by an emailed single-use link.

Asking never tells whether the address has an account (the answer is the same either way) and
is rate limited per client address and per address asked for. The link carries a random token
of which only the SHA-256 is stored; it works once, before it expires, and using it signs out
every session of the account (its token version moves on).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from server.core.auth import Passwords
from server.core.domain.error_codes import FollowCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.notifications import Kind, NotificationsConfig
from server.core.services.notifications import NotificationService
from server.core.services.rate_limits import RateLimits, account_key
from server.core.store.db import Database
from server.core.store.rows import PasswordReset, User, as_utc, utcnow

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PasswordResets:
    def __init__(
        self,
        db: Database,
        passwords: Passwords,
        notifications: NotificationService,
        rate_limits: RateLimits,
        config: NotificationsConfig,
    ) -> None:
        self._db = db
        self._passwords = passwords
        self._notifications = notifications
        self._rate_limits = rate_limits
        self._config = config

    async def request(self, email: str, address: str) -> None:
        """Email a reset link to the account of `email`, if there is one (silently not)."""
        await self._rate_limits.limit(
            self._config.reset_per_address,
            "password_reset",
            address,
            refusal="too many password resets from this address",
        )
        await self._rate_limits.limit(
            self._config.reset_per_account,
            "password_reset_account",
            account_key(email),
            refusal="too many password resets for this account",
        )
        async with self._db.reading() as session:
            user = await session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or user.disabled:
            return
        token = secrets.token_urlsafe(TOKEN_BYTES)
        ttl = self._config.reset_ttl_s
        async with self._db.writing() as session:
            session.add(
                PasswordReset(
                    user_id=user.id,
                    token_hash=token_hash(token),
                    expires_at=utcnow() + timedelta(seconds=ttl),
                )
            )
        link = self._notifications.links.reset(token)
        body = {"url": link, "minutes": ttl // 60}
        await self._notifications.enqueue_email(Kind.PASSWORD_RESET, user.id, body)

    async def confirm(self, token: str, password: str) -> int:
        """Set the new password (checked by the contract) through the link; answers the
        account's id. 400 reset_link_invalid, 409 reset_link_used or reset_link_expired."""
        if not token or len(token) > 100:
            raise ValidationError(
                "this reset link is not valid", code=FollowCode.RESET_LINK_INVALID
            )
        hashed = await asyncio.to_thread(self._passwords.hash, password)
        now = utcnow()
        async with self._db.writing() as session:
            reset = await session.scalar(
                select(PasswordReset)
                .where(PasswordReset.token_hash == token_hash(token))
                .with_for_update()
            )
            if reset is None:
                raise ValidationError(
                    "this reset link is not valid", code=FollowCode.RESET_LINK_INVALID
                )
            if reset.used_at is not None:
                raise Conflict("this reset link was used already", code=FollowCode.RESET_LINK_USED)
            if as_utc(reset.expires_at) <= now:
                raise Conflict("this reset link has expired", code=FollowCode.RESET_LINK_EXPIRED)
            user = await session.get(User, reset.user_id, with_for_update=True)
            if user is None or user.disabled:
                raise ValidationError(
                    "this reset link is not valid", code=FollowCode.RESET_LINK_INVALID
                )
            user.password_hash = hashed
            user.token_version += 1  # every session signed in with the old password ends
            # This link and every other one still open for the account are spent.
            await session.execute(
                update(PasswordReset)
                .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                .values(used_at=now)
            )
        return reset.user_id
