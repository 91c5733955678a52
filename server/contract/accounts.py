"""Accounts and sign-in: what POST /api/accounts, /api/auth/* and PATCH /api/accounts/{id} take.

Each body is checked by the domain's rules (server/core/domain/accounts.py) inside its model;
registering checks the role first, then whether the caller may grant it, then the address,
password and name, so a refused caller is told so before a bad field is."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import ConfigDict, Field

from server.contract.body import Body, Cleaned, require_object
from server.contract.shapes import RoleName
from server.core.domain import accounts
from server.core.domain.accounts import (
    MAX_DISPLAY_NAME,
    MAX_PASSWORD,
    MIN_PASSWORD,
    AccountChange,
)
from server.core.domain.errors import ValidationError
from server.core.domain.roles import Principal, Role
from server.core.services.accounts import check_may_create

DisplayName = Annotated[str, Field(min_length=1, max_length=MAX_DISPLAY_NAME)]


class Credentials(Cleaned):
    email: str
    password: str

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data)
        email, password = given.get("email"), given.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            raise ValidationError("email and password are required")
        return {"email": email, "password": password}


class NewAccount(Cleaned):
    """Viewers, hosts and sellers sign themselves up; an admin's bearer token grants any role
    (and the admin stays signed in as themself)."""

    email: str
    password: Annotated[str, Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]
    display_name: DisplayName
    role: Role = Role.VIEWER

    @classmethod
    def parse(cls, data: object, granted_by: Principal | None = None) -> Self:
        """A JSON object (the handler asks that before reading the bearer), its role, then
        whether `granted_by` (the bearer's principal, None without one) may grant it, then the
        rest."""
        check_may_create(_role(data), granted_by)
        return super().parse(data)

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data)
        return {
            "role": _role(given),
            "email": accounts.check_email(given.get("email")),
            "password": accounts.check_password(given.get("password")),
            "display_name": accounts.check_display_name(given.get("display_name")),
        }


class Guest(Cleaned):
    display_name: DisplayName

    @classmethod
    def rules(cls, data: object) -> object:
        name = accounts.check_display_name(require_object(data).get("display_name"))
        return {"display_name": name}


class AccountPatch(Body):
    """An admin's change: a role, and/or disabled (a ban) true or false."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    role: RoleName | None = None
    disabled: bool | None = None

    @classmethod
    def rules(cls, data: object) -> object:
        return AccountChange.parse(data)


def _role(data: object) -> Role:
    """As asked; a viewer when left out (or empty)."""
    return accounts.check_role(require_object(data).get("role") or Role.VIEWER)
