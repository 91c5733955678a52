"""Sign-up, sign-in, guest tokens, and each account's standing (its role, whether it is
disabled, and the token version that revokes older tokens)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.auth import Passwords, Tokens, guest_principal
from server.db import Database
from server.domain import accounts
from server.domain.errors import AuthRequired, Conflict, Forbidden, NotFound, ValidationError
from server.domain.roles import SELF_SERVICE_ROLES, Principal, Role
from server.models import User
from server.services.rate_limits import RateLimits

MAX_STANDINGS = 100_000  # accounts whose standing a node keeps; past it, the copy starts over


def principal_of(user: User) -> Principal:
    return Principal(
        subject=f"u:{user.id}",
        display_name=user.display_name,
        role=Role(user.role),
        user_id=user.id,
    )


@dataclass(frozen=True)
class Standing:
    version: int
    disabled: bool
    read_at: float


class AccountStanding:
    """Each account's token version and disabled flag as this node last read them, trusted for
    `recheck_s`: a request costs one query per account per `recheck_s` at most (a flash sale's
    taps cost none after the first), and a ban or role change made on any node refuses the
    account's older tokens on every node within `recheck_s`. In-process on purpose: the
    database is the shared truth, so no Redis copy is needed to bound the delay."""

    def __init__(
        self, db: Database, recheck_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = db
        self._recheck_s = recheck_s
        self._clock = clock
        self._known: dict[int, Standing] = {}
        self._reading: dict[int, asyncio.Task[Standing]] = {}

    async def check(self, user_id: int, token_version: int) -> None:
        known = self._known.get(user_id)
        # A newer token than our copy was issued after a change we have not read yet.
        if (
            known is None
            or self._clock() - known.read_at >= self._recheck_s
            or token_version > known.version
        ):
            known = await self._read(user_id)
        accounts.check_token_standing(token_version, known.version, known.disabled)

    def forget(self, user_id: int) -> None:
        """This node changed the account: read it again next time."""
        self._known.pop(user_id, None)

    async def _read(self, user_id: int) -> Standing:
        # Concurrent requests of one account share one query, in a task of its own so that a
        # requester that goes away does not take the others' answer with it.
        task = self._reading.get(user_id)
        if task is None:
            task = asyncio.create_task(self._query(user_id), name=f"standing-{user_id}")
            self._reading[user_id] = task
            task.add_done_callback(lambda done: self._settled(user_id, done))
        return await asyncio.shield(task)

    def _settled(self, user_id: int, task: asyncio.Task[Standing]) -> None:
        del self._reading[user_id]
        if task.cancelled() or task.exception() is not None:  # retrieved: the waiters raise it
            return
        if len(self._known) >= MAX_STANDINGS:
            self._known.clear()
        self._known[user_id] = task.result()

    async def _query(self, user_id: int) -> Standing:
        async with self._db.reading() as session:
            row = (
                await session.execute(
                    select(User.token_version, User.disabled).where(User.id == user_id)
                )
            ).first()
        now = self._clock()
        if row is None:  # no such account (any more): no token of it stands
            return Standing(version=-1, disabled=False, read_at=now)
        return Standing(version=row.token_version, disabled=row.disabled, read_at=now)


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
        email: object,
        password: object,
        display_name: object,
        role: object = "viewer",
        *,
        granted_by: Principal | None = None,
    ) -> tuple[User, str]:
        role = accounts.check_role(role)
        if role not in SELF_SERVICE_ROLES and (granted_by is None or granted_by.role != Role.ADMIN):
            raise Forbidden(f"only an admin can create {role} accounts")
        address = accounts.check_email(email)
        checked = accounts.check_password(password)
        name = accounts.check_display_name(display_name)
        # argon2 takes tens of milliseconds of CPU: off the event loop.
        hashed = await asyncio.to_thread(self._passwords.hash, checked)
        user = User(email=address, password_hash=hashed, display_name=name, role=role)
        try:
            async with self._db.writing() as session:
                session.add(user)
        except IntegrityError:
            raise Conflict("an account with this email exists", code="email_taken") from None
        return user, self._tokens.issue(principal_of(user), user.token_version)

    async def login(self, email: object, password: object) -> tuple[User, str]:
        """Sign in. An account's failed attempts make it wait before the next (RateLimits)."""
        if not isinstance(email, str) or not isinstance(password, str):
            raise ValidationError("email and password are required")
        await self._rate_limits.before_sign_in(email)
        async with self._db.reading() as session:
            user = await session.scalar(select(User).where(User.email == email.strip().lower()))
        # An unknown address costs the same hashing as a known one: timing tells nothing.
        hashed = user.password_hash if user is not None else await self._decoy_hash()
        if not await asyncio.to_thread(self._passwords.verify, hashed, password) or user is None:
            await self._rate_limits.failed_sign_in(email)
            raise AuthRequired("wrong email or password", code="bad_credentials")
        await self._rate_limits.signed_in(email)
        if user.disabled:  # said only to who knows the password
            raise Forbidden("this account is disabled", code="account_disabled")
        return user, self._tokens.issue(principal_of(user), user.token_version)

    def guest(self, display_name: object) -> tuple[Principal, str]:
        principal = guest_principal(accounts.check_display_name(display_name))
        return principal, self._tokens.issue(principal)

    async def get(self, user_id: int) -> User:
        async with self._db.reading() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise NotFound("no such user")
        return user

    async def change(self, actor: Principal, user_id: int, body: object) -> User:
        """An admin sets an account's role or disables/enables it. Either bumps its token
        version, so its older tokens stop working (on every node within `recheck_s`)."""
        change = accounts.AccountChange.parse(body)
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
