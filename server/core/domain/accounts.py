"""Account rules: e-mail, password and display-name checks; who may change an account's role
or standing; when a token still stands; and that buying needs an account."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from server.core.domain.error_codes import AuthCode
from server.core.domain.errors import AuthRequired, Forbidden, ValidationError
from server.core.domain.roles import Principal, Role

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_DISPLAY_NAME = 40


def check_email(email: object) -> str:
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        raise ValidationError("email is not a valid address", code=AuthCode.BAD_EMAIL)
    return email.strip().lower()


def check_password(password: object) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(
            f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters", code=AuthCode.BAD_PASSWORD
        )
    return password


def check_display_name(name: object) -> str:
    """Printable, trimmed, 1-40 characters: names are shown beside every chat line."""
    if not isinstance(name, str):
        raise ValidationError("display_name must be a string", code=AuthCode.BAD_DISPLAY_NAME)
    name = " ".join(unicodedata.normalize("NFC", name).split())
    if not 1 <= len(name) <= MAX_DISPLAY_NAME or not all(_printable(c) for c in name):
        raise ValidationError(
            f"display_name must be 1-{MAX_DISPLAY_NAME} printable characters",
            code=AuthCode.BAD_DISPLAY_NAME,
        )
    return name


def _printable(char: str) -> bool:
    return unicodedata.category(char)[0] != "C"


def check_role(role: object) -> Role:
    try:
        return Role(str(role))
    except ValueError:
        raise ValidationError(
            f"role must be one of {', '.join(r.value for r in Role)}", code=AuthCode.BAD_ROLE
        ) from None


@dataclass(frozen=True)
class AccountChange:
    """An admin's change to an account: a new role, or disabling (a ban) or enabling it."""

    role: Role | None = None
    disabled: bool | None = None

    @classmethod
    def parse(cls, body: object) -> AccountChange:
        if not isinstance(body, dict) or not body.keys() & {"role", "disabled"}:
            raise ValidationError("send role and/or disabled", code=AuthCode.BAD_ACCOUNT_CHANGE)
        disabled = body.get("disabled")
        if disabled is not None and not isinstance(disabled, bool):
            raise ValidationError(
                "disabled must be true or false", code=AuthCode.BAD_ACCOUNT_CHANGE
            )
        role = body.get("role")
        return cls(role=None if role is None else check_role(role), disabled=disabled)

    def check(self, actor: Principal, account_id: int) -> None:
        if actor.role != Role.ADMIN:
            raise Forbidden("only an admin can change an account's role or standing")
        if actor.user_id == account_id:
            # The one admin left could lock everyone out, and nobody could undo it.
            raise Forbidden("an admin cannot change their own account", code=AuthCode.OWN_ACCOUNT)


def check_token_standing(token_version: int, account_version: int, disabled: bool) -> None:
    """A token stands while its account is enabled and it carries the account's current token
    version: a role change or a ban bumps the version, which refuses every older token."""
    if disabled:
        raise Forbidden("this account is disabled", code=AuthCode.ACCOUNT_DISABLED)
    if token_version != account_version:
        raise AuthRequired("this token was revoked: sign in again", code=AuthCode.TOKEN_REVOKED)


def require_account(principal: Principal, doing: str = "buy") -> int:
    """The buyer's account id: guests (a token with only a display name) can watch and chat,
    not buy, use a cart or pay."""
    if principal.user_id is None:
        raise Forbidden(
            f"sign in to {doing}: guests can watch and chat", code=AuthCode.ACCOUNT_REQUIRED
        )
    return principal.user_id
