"""Who the moderation rules are about: `Person`s built from what the room and services know."""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import UTC

from chat.moderation import Person
from chat.moderation_store import ModerationStore
from server.core.domain.error_codes import RoomCode
from server.core.domain.errors import DomainError, ValidationError
from server.core.domain.roles import Principal, Role
from server.core.services.accounts import AccountService, principal_of

MAX_CACHED_AGES = 50_000
_ACCOUNT = re.compile(r"u:([1-9][0-9]{0,9})")
_GUEST = re.compile(r"g:[0-9a-f]{1,32}")


class People:
    def __init__(self, accounts: AccountService, store: ModerationStore) -> None:
        self._accounts = accounts
        self._store = store
        # Account creation times never change: one lookup per account and node.
        self._created: OrderedDict[int, float] = OrderedDict()

    async def sender(self, principal: Principal, fingerprint: str | None) -> Person:
        """The person sending from a socket: a guest with the socket's fingerprint, an account
        with its creation time (for established-user mode)."""
        if principal.user_id is None:
            return Person(principal, fingerprint=fingerprint)
        return Person(principal, account_created_at=await self._created_at(principal.user_id))

    async def target(self, subject: object) -> Person:
        """The person a moderator names by subject (`u:<id>` or `g:<hex>`), as they are now:
        an account's current role, a guest's last fingerprint."""
        if not isinstance(subject, str):
            raise ValidationError("target must be a subject such as u:12", code=RoomCode.BAD_TARGET)
        if _GUEST.fullmatch(subject):
            guest = Principal(subject, "guest", Role.VIEWER)
            return Person(guest, fingerprint=await self._store.fingerprint(subject))
        account = _ACCOUNT.fullmatch(subject)
        if account is None:
            raise ValidationError("target must be a subject such as u:12", code=RoomCode.BAD_TARGET)
        try:
            user = await self._accounts.get(int(account.group(1)))
        except DomainError:
            raise ValidationError("no such account", code=RoomCode.BAD_TARGET) from None
        return Person(principal_of(user))

    async def _created_at(self, user_id: int) -> float | None:
        created = self._created.get(user_id)
        if created is None:
            try:
                user = await self._accounts.get(user_id)
            except DomainError:
                return None  # unknown: established-user mode refuses, the rest does not care
            when = user.created_at
            created = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
            self._created[user_id] = created
            if len(self._created) > MAX_CACHED_AGES:
                self._created.popitem(last=False)
        return created
