"""Persisted chat: append, recent history, delete."""

from __future__ import annotations

from sqlalchemy import select

from server.db import Database
from server.domain.errors import NotFound
from server.domain.roles import Principal
from server.models import ChatMessage, utcnow


class ChatLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, stream_id: int, principal: Principal, text: str) -> ChatMessage:
        message = ChatMessage(
            stream_id=stream_id,
            author=principal.subject,
            display_name=principal.display_name,
            role=str(principal.role),
            text=text,
        )
        async with self._db.writing() as session:
            session.add(message)
        return message

    async def recent(self, stream_id: int, limit: int) -> list[ChatMessage]:
        query = (
            select(ChatMessage)
            .where(ChatMessage.stream_id == stream_id, ChatMessage.deleted_at.is_(None))
            .order_by(ChatMessage.id.desc())
            .limit(limit)
        )
        async with self._db.reading() as session:
            return list(reversed(list(await session.scalars(query))))

    async def delete(self, stream_id: int, message_id: int) -> ChatMessage:
        async with self._db.writing() as session:
            message = await session.get(ChatMessage, message_id)
            if message is None or message.stream_id != stream_id:
                raise NotFound("no such message in this stream", code="message_not_found")
            if message.deleted_at is None:
                message.deleted_at = utcnow()
        return message
