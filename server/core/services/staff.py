"""The staff console's use cases: admins find accounts and change their roles, end shows, take
replays down and create platform coupons, each action kept in the audit log (the moderation
audit table: who, what, on whom, when) beside the platform bans and word-list edits the room
already keeps there. The other services apply the rules; this one checks that an admin asks and
writes the entry once the change is made."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from server.core.domain.accounts import AccountChange
from server.core.domain.error_codes import StaffCode
from server.core.domain.errors import Forbidden, ValidationError
from server.core.domain.roles import Principal, Role
from server.core.domain.streams import StreamStatus
from server.core.services.accounts import AccountService
from server.core.services.coupons import CouponService, CouponTerms
from server.core.services.moderation_audit import ModerationAuditLog
from server.core.services.replays import ReplayService
from server.core.services.streams import StreamService
from server.core.store.db import Database
from server.core.store.rows import Coupon, ModerationAudit, Stream, User, as_utc

MAX_QUERY_CHARS = 100
USERS_PAGE = 50
SHOWS_PAGE = 50
AUDIT_PAGE = 100
STAFF_ACTION = "staff_"  # the prefix of the console's audit actions
BAN, UNBAN = "platform_ban", "platform_unban"  # the room's audit actions (chat/permissions.py)
BANS_READ = 2000  # the newest platform ban entries the list in force is worked out from


@dataclass(frozen=True)
class PlatformBan:
    """A platform ban in force, as its audit entry recorded it."""

    target: str  # the subject banned (u:<id>, or a guest's g:<id>)
    by: str
    at: float
    until: float | None  # None: until lifted
    reason: str


def bans_in_force(entries: Iterable[ModerationAudit], now: float) -> list[PlatformBan]:
    """The platform bans still in force, from the audit's ban and unban entries oldest first:
    each target's last entry decides, and a timed ban ends at its `until`; the newest first.
    (The room keeps every ban and lift there, as the moderator console reads its show's.)"""
    last: dict[str, PlatformBan | None] = {}
    for entry in entries:
        if entry.target is None or entry.action not in (BAN, UNBAN):
            continue
        if entry.action == UNBAN:
            last[entry.target] = None
            continue
        detail = json.loads(entry.detail)
        until = detail.get("until")
        at = as_utc(entry.at).timestamp()
        reason = str(detail.get("reason") or "")
        last[entry.target] = PlatformBan(entry.target, entry.actor, at, until, reason)
    live = [b for b in last.values() if b is not None and (b.until is None or now < b.until)]
    return sorted(live, key=lambda b: -b.at)


class StaffService:
    def __init__(
        self,
        db: Database,
        accounts: AccountService,
        streams: StreamService,
        replays: ReplayService,
        coupons: CouponService,
        audit: ModerationAuditLog,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._streams = streams
        self._replays = replays
        self._coupons = coupons
        self._audit = audit

    @staticmethod
    def authorize(who: Principal) -> None:
        if who.role != Role.ADMIN:
            raise Forbidden("the staff console is for admins", code=StaffCode.ADMINS_ONLY)

    async def find_users(self, who: Principal, query: str | None, role: str | None) -> list[User]:
        """Accounts whose email or display name contains `query` (any case), of `role` if
        given; the newest first."""
        self.authorize(who)
        found = select(User).order_by(User.id.desc()).limit(USERS_PAGE)
        if query:
            if len(query) > MAX_QUERY_CHARS:
                raise ValidationError(
                    f"q is at most {MAX_QUERY_CHARS} characters", code=StaffCode.BAD_USER_QUERY
                )
            like = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%") + "%"
            like = like.replace("_", "\\_")
            found = found.where(
                or_(
                    func.lower(User.email).like(like, escape="\\"),
                    func.lower(User.display_name).like(like, escape="\\"),
                )
            )
        if role:
            if role not in set(Role):
                raise ValidationError("role: no such role", code=StaffCode.BAD_USER_QUERY)
            found = found.where(User.role == role)
        async with self._db.reading() as session:
            return list(await session.scalars(found))

    async def change_account(self, who: Principal, user_id: int, change: AccountChange) -> User:
        """A new role (appointing hosts, coaches, moderators, admins) or a ban, audited."""
        self.authorize(who)
        before = await self._accounts.get(user_id)
        user = await self._accounts.change(who, user_id, change)
        detail: dict[str, Any] = {}
        if change.role is not None:
            detail |= {"role": str(change.role), "was": before.role}
        if change.disabled is not None:
            detail["disabled"] = change.disabled
        await self._record(who, "staff_account", f"u:{user_id}", None, detail)
        return user

    async def shows(self, who: Principal) -> tuple[list[Stream], list[Stream]]:
        """The live shows, and the latest ended ones (whose replays staff may take down)."""
        self.authorize(who)
        live = await self._streams.find(StreamStatus.LIVE, SHOWS_PAGE)
        ended = await self._streams.find(StreamStatus.ENDED, SHOWS_PAGE)
        return live, ended

    async def end_show(self, who: Principal, stream_id: int) -> Stream:
        """End a show (the caller then drops its media), audited."""
        self.authorize(who)
        stream = await self._streams.end(who, stream_id)
        await self._record(who, "staff_end_show", f"stream:{stream_id}", stream_id, {})
        return stream

    async def take_down_replay(self, who: Principal, stream_id: int, down: bool) -> Stream:
        """Take a show's replay down (`down`), or put it back, audited."""
        self.authorize(who)
        stream = await self._replays.change(who, stream_id, None, down)
        action = "staff_take_down" if down else "staff_restore_replay"
        await self._record(who, action, f"stream:{stream_id}", stream_id, {})
        return stream

    async def coupons(self, who: Principal) -> list[Coupon]:
        self.authorize(who)
        return await self._coupons.list(who)

    async def create_coupon(self, who: Principal, terms: CouponTerms) -> Coupon:
        self.authorize(who)
        coupon = await self._coupons.create(who, terms)
        detail = {"code": coupon.code, "scope": coupon.scope}
        await self._record(who, "staff_coupon", f"coupon:{coupon.id}", None, detail)
        return coupon

    async def audit_log(self, who: Principal) -> list[ModerationAudit]:
        """The newest first: the console's actions and every platform-wide one (platform bans,
        the platform's word list)."""
        self.authorize(who)
        query = (
            select(ModerationAudit)
            .where(
                or_(
                    ModerationAudit.stream_id.is_(None),
                    ModerationAudit.action.startswith(STAFF_ACTION),
                )
            )
            .order_by(ModerationAudit.id.desc())
            .limit(AUDIT_PAGE)
        )
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    async def platform_bans(self, who: Principal) -> list[PlatformBan]:
        """The platform bans in force now (the console lifts them through the room)."""
        self.authorize(who)
        query = (
            select(ModerationAudit)
            .where(ModerationAudit.stream_id.is_(None), ModerationAudit.action.in_((BAN, UNBAN)))
            .order_by(ModerationAudit.id.desc())
            .limit(BANS_READ)
        )
        async with self._db.reading() as session:
            newest_first = list(await session.scalars(query))
        return bans_in_force(reversed(newest_first), time.time())

    async def names(self, subjects: Iterable[str | None]) -> dict[str, str]:
        """The display names of the accounts (`u:<id>`) among `subjects`, for the log's readers."""
        ids = {int(s[2:]) for s in subjects if s and s.startswith("u:") and s[2:].isdigit()}
        if not ids:
            return {}
        async with self._db.reading() as session:
            rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
            return {f"u:{user_id}": name for user_id, name in rows}

    async def _record(
        self,
        who: Principal,
        action: str,
        target: str,
        stream_id: int | None,
        detail: Mapping[str, Any],
    ) -> None:
        await self._audit.record(
            actor=who.subject,
            action=action,
            target=target,
            stream_id=stream_id,
            at=time.time(),
            detail=detail,
        )
