"""Sign-up, sign-in, guest tokens, and an admin's changes to an account's role or standing
(which revoke its older tokens: server/core/services/account_standing.py)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.core.auth import Passwords, Tokens, guest_principal
from server.core.domain import accounts
from server.core.domain.error_codes import AuthCode
from server.core.domain.errors import AuthRequired, Conflict, Forbidden, NotFound
from server.core.domain.roles import SELF_SERVICE_ROLES, Principal, Role
from server.core.services.account_standing import AccountStanding
from server.core.services.rate_limits import RateLimits
from server.core.store.db import Database
from server.core.store.rows import User


def check_may_create(role: Role, granted_by: Principal | None) -> None:
    """Viewers, hosts and sellers sign themselves up; only an admin creates the other roles."""
    if role not in SELF_SERVICE_ROLES and (granted_by is None or granted_by.role != Role.ADMIN):
        raise Forbidden(f"only an admin can create {role} accounts")


def principal_of(user: User) -> Principal:
    return Principal(
        subject=f"u:{user.id}",
        display_name=user.display_name,
        role=Role(user.role),
        user_id=user.id,
    )


class AccountService:
    def __init__(
        self,
        db: Database,
        passwords: Passwords,
        tokens: Tokens,
        standing: AccountStanding,
        rate_limits: RateLimits,
    ) -> None:
        self._db = db
        self._rate_limits = rate_limits
        self._passwords = passwords
        self._tokens = tokens
        self._standing = standing
        self._decoy: str | None = None

    async def authenticate(self, token: object) -> Principal:
        """Who a token speaks for, if it still stands: signed by one of our keys, unexpired,
        and (for an account) of its current token version on an enabled account."""
        verified = self._tokens.read(token)
        user_id = verified.principal.user_id
        if user_id is not None:
            await self._standing.check(user_id, verified.version)
        return verified.principal

    async def register(
        self,
        email: str,
        password: str,
        display_name: str,
        role: Role = Role.VIEWER,
        *,
        granted_by: Principal | None = None,
    ) -> tuple[User, str]:
        """A new account of fields the rules have checked (server/contract/accounts.py)."""
        check_may_create(role, granted_by)
        # argon2 takes tens of milliseconds of CPU: off the event loop.
        hashed = await asyncio.to_thread(self._passwords.hash, password)
        user = User(email=email, password_hash=hashed, display_name=display_name, role=role)
        try:
            async with self._db.writing() as session:
                session.add(user)
        except IntegrityError:
            raise Conflict("an account with this email exists", code=AuthCode.EMAIL_TAKEN) from None
        return user, self._tokens.issue(principal_of(user), user.token_version)

    async def login(self, email: str, password: str) -> tuple[User, str]:
        """Sign in. An account's failed attempts make it wait before the next (RateLimits)."""
        await self._rate_limits.before_sign_in(email)
        async with self._db.reading() as session:
            user = await session.scalar(select(User).where(User.email == email.strip().lower()))
        # An unknown address costs the same hashing as a known one: timing tells nothing.
        hashed = user.password_hash if user is not None else await self._decoy_hash()
        if not await asyncio.to_thread(self._passwords.verify, hashed, password) or user is None:
            await self._rate_limits.failed_sign_in(email)
            raise AuthRequired("wrong email or password", code=AuthCode.BAD_CREDENTIALS)
        await self._rate_limits.signed_in(email)
        if user.disabled:  # said only to who knows the password
            raise Forbidden("this account is disabled", code=AuthCode.ACCOUNT_DISABLED)
        return user, self._tokens.issue(principal_of(user), user.token_version)

    def guest(self, display_name: str) -> tuple[Principal, str]:
        """A guest token for a display name the rules have checked."""
        principal = guest_principal(display_name)
        return principal, self._tokens.issue(principal)

    async def get(self, user_id: int) -> User:
        async with self._db.reading() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise NotFound("no such user")
        return user

    async def change(self, actor: Principal, user_id: int, change: accounts.AccountChange) -> User:
        """An admin sets an account's role or disables/enables it (a change the rules have
        checked: AccountChange.parse). Either bumps its token version, so its older tokens stop
        working (on every node within `recheck_s`)."""
        change.check(actor, user_id)
        values: dict[str, object] = {"token_version": User.token_version + 1}
        if change.role is not None:
            values["role"] = str(change.role)
        if change.disabled is not None:
            values["disabled"] = change.disabled
        async with self._db.writing() as session:
            done = await session.execute(update(User).where(User.id == user_id).values(values))
            if getattr(done, "rowcount", 0) != 1:
                raise NotFound("no such user")
        self._standing.forget(user_id)
        return await self.get(user_id)

    async def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = await asyncio.to_thread(self._passwords.hash, "not anyone's password")
        return self._decoy
