"""Account rules: admins change roles and standing (never their own), a token stands only at
its account's current version on an enabled account, and buying needs an account."""

from __future__ import annotations

import pytest

from server.core.domain.accounts import (
    AccountChange,
    check_token_standing,
    require_account,
)
from server.core.domain.errors import AuthRequired, Forbidden, ValidationError
from server.core.domain.roles import Principal, Role

ADMIN = Principal("u:1", "Ops", Role.ADMIN, 1)
MODERATOR = Principal("u:2", "Mod", Role.MODERATOR, 2)
GUEST = Principal("g:00ff", "Guest", Role.VIEWER)


def test_a_change_names_a_role_or_a_standing() -> None:
    assert AccountChange.parse({"role": "host"}) == AccountChange(role=Role.HOST)
    assert AccountChange.parse({"disabled": True}) == AccountChange(disabled=True)
    both = AccountChange.parse({"role": "viewer", "disabled": False})
    assert both == AccountChange(Role.VIEWER, False)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "bad_account_change"),
        ([], "bad_account_change"),
        ({"email": "x@y.zz"}, "bad_account_change"),
        ({"disabled": "yes"}, "bad_account_change"),
        ({"disabled": 1}, "bad_account_change"),
        ({"role": "owner"}, "bad_role"),
    ],
)
def test_bad_changes_are_refused(body: object, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        AccountChange.parse(body)
    assert refused.value.code == code


def test_only_admins_change_accounts_and_never_their_own() -> None:
    ban = AccountChange(disabled=True)
    ban.check(ADMIN, 5)
    with pytest.raises(Forbidden) as not_admin:
        ban.check(MODERATOR, 5)
    assert not_admin.value.code == "forbidden"
    with pytest.raises(Forbidden) as own:
        ban.check(ADMIN, 1)
    assert own.value.code == "own_account"


def test_a_token_stands_at_its_accounts_current_version_while_enabled() -> None:
    check_token_standing(2, 2, disabled=False)
    for token_version in (1, 3):
        with pytest.raises(AuthRequired) as revoked:
            check_token_standing(token_version, 2, disabled=False)
        assert revoked.value.code == "token_revoked"
    with pytest.raises(Forbidden) as banned:
        check_token_standing(2, 2, disabled=True)
    assert (banned.value.code, banned.value.status) == ("account_disabled", 403)


def test_guests_cannot_buy() -> None:
    assert require_account(MODERATOR) == 2
    with pytest.raises(Forbidden) as guest:
        require_account(GUEST, "use a cart")
    assert (guest.value.code, guest.value.status) == ("account_required", 403)
    assert "use a cart" in guest.value.message
