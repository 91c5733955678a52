"""Accounts and sign-in: what POST /api/accounts, /api/auth/* and PATCH /api/accounts/{id} take.

Registering, signing in and guest names are checked by server/core/services/accounts.py in its
own order (the role's permission before the address): those models document the fields."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from server.contract.body import Body
from server.contract.shapes import RoleName, shown
from server.core.domain.accounts import MAX_DISPLAY_NAME, MIN_PASSWORD, AccountChange

DisplayName = Annotated[Any, shown(Annotated[str, Field(max_length=MAX_DISPLAY_NAME)])]


class Credentials(Body):
    model_config = ConfigDict(json_schema_extra={"required": ["email", "password"]})
    email: Annotated[Any, shown(str)] = None
    password: Annotated[Any, shown(str)] = None


class NewAccount(Body):
    model_config = ConfigDict(json_schema_extra={"required": ["email", "password", "display_name"]})
    email: Annotated[Any, shown(str)] = None
    password: Annotated[Any, shown(Annotated[str, Field(min_length=MIN_PASSWORD)])] = None
    display_name: DisplayName = None
    role: Annotated[Any, shown(RoleName)] = None


class Guest(Body):
    model_config = ConfigDict(json_schema_extra={"required": ["display_name"]})
    display_name: DisplayName = None


class AccountPatch(Body):
    """An admin's change: a role, and/or disabled (a ban) true or false."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    role: RoleName | None = None
    disabled: bool | None = None

    @classmethod
    def rules(cls, data: object) -> object:
        return AccountChange.parse(data)
