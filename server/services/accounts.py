"""Sign-up, sign-in and guest tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth import Passwords, Tokens, guest_principal
from server.db import Database
from server.domain import accounts
from server.domain.errors import AuthRequired, Conflict, Forbidden, NotFound, ValidationError
from server.domain.roles import SELF_SERVICE_ROLES, Principal, Role
from server.models import User


def principal_of(user: User) -> Principal:
    return Principal(
        subject=f"u:{user.id}",
        display_name=user.display_name,
        role=Role(user.role),
        user_id=user.id,
    )


class AccountService:
    def __init__(self, db: Database, passwords: Passwords, tokens: Tokens) -> None:
        self._db = db
        self._passwords = passwords
        self._tokens = tokens

    async def register(
        self,
        email: object,
        password: object,
        display_name: object,
        role: object = "viewer",
        *,
        granted_by: Principal | None = None,
    ) -> tuple[User, str]:
        role = _role(role)
        if role not in SELF_SERVICE_ROLES and (granted_by is None or granted_by.role != Role.ADMIN):
            raise Forbidden(f"only an admin can create {role} accounts")
        user = User(
            email=accounts.check_email(email),
            password_hash=self._passwords.hash(accounts.check_password(password)),
            display_name=accounts.check_display_name(display_name),
            role=role,
        )
        try:
            async with self._db.writing() as session:
                session.add(user)
        except IntegrityError:
            raise Conflict("an account with this email exists", code="email_taken") from None
        return user, self._tokens.issue(principal_of(user))

    async def login(self, email: object, password: object) -> tuple[User, str]:
        if not isinstance(email, str) or not isinstance(password, str):
            raise ValidationError("email and password are required")
        async with self._db.reading() as session:
            user = await session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or not self._passwords.verify(user.password_hash, password):
            raise AuthRequired("wrong email or password", code="bad_credentials")
        return user, self._tokens.issue(principal_of(user))

    def guest(self, display_name: object) -> tuple[Principal, str]:
        principal = guest_principal(accounts.check_display_name(display_name))
        return principal, self._tokens.issue(principal)

    async def get(self, user_id: int) -> User:
        async with self._db.reading() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise NotFound("no such user")
        return user


def _role(role: object) -> Role:
    try:
        return Role(str(role))
    except ValueError:
        raise ValidationError(
            f"role must be one of {', '.join(r.value for r in Role)}", code="bad_role"
        ) from None
