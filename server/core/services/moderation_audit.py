"""The moderation audit log: every action of hosts, moderators and the word filter, kept."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from server.core.store.db import Database
from server.core.store.rows import ModerationAudit

MAX_TARGET_CHARS = 100


class ModerationAuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        *,
        actor: str,
        action: str,
        target: str | None,
        stream_id: int | None,
        at: float,
        detail: Mapping[str, Any],
    ) -> ModerationAudit:
        """Keep one entry (the fields of chat.moderation.AuditEntry; `at` in epoch seconds)."""
        entry = ModerationAudit(
            stream_id=stream_id,
            actor=actor,
            action=str(action),
            target=None if target is None else str(target)[:MAX_TARGET_CHARS],
            detail=json.dumps(dict(detail), sort_keys=True),
            at=datetime.fromtimestamp(at, UTC),
        )
        async with self._db.writing() as session:
            session.add(entry)
        return entry

    async def recent(self, stream_id: int | None, limit: int) -> list[ModerationAudit]:
        """The newest entries first: a stream's, or (None) the platform-wide ones."""
        where = (
            ModerationAudit.stream_id.is_(None)
            if stream_id is None
            else ModerationAudit.stream_id == stream_id
        )
        query = select(ModerationAudit).where(where).order_by(ModerationAudit.id.desc())
        async with self._db.reading() as session:
            return list(await session.scalars(query.limit(limit)))
