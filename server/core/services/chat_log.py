"""Persisted chat: append, recent history, delete."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.error_codes import RoomCode, StreamCode
from server.core.domain.errors import Conflict, NotFound
from server.core.domain.roles import Principal
from server.core.store.db import Database
from server.core.store.rows import ChatMessage, Stream, utcnow

logger = logging.getLogger(__name__)

MAX_ROWS_PER_COMMIT = 500


class ChatLog:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.inserts = GroupInsert(db)

    async def append(
        self,
        stream_id: int,
        principal: Principal,
        text: str,
        question: bool = False,
        language: str = "en",
        shadowed: bool = False,
    ) -> ChatMessage:
        """`shadowed`: the author is shadow-banned, so only they will see it."""
        message = ChatMessage(
            stream_id=stream_id,
            author=principal.subject,
            display_name=principal.display_name,
            role=str(principal.role),
            text=text,
            question=question,
            language=language,
            shadowed=shadowed,
        )
        return await self.inserts.add(message)

    async def recent(
        self, stream_id: int, limit: int, viewer: str | None = None
    ) -> list[ChatMessage]:
        """The last messages, oldest first, as `viewer` (a subject) sees them: with their own
        shadowed messages and nobody else's."""
        visible: ColumnElement[bool] = ChatMessage.shadowed.is_(False)
        if viewer is not None:
            visible = or_(visible, ChatMessage.author == viewer)
        query = (
            select(ChatMessage)
            .where(ChatMessage.stream_id == stream_id, ChatMessage.deleted_at.is_(None), visible)
            .order_by(ChatMessage.id.desc())
            .limit(limit)
        )
        async with self._db.reading() as session:
            return list(reversed(list(await session.scalars(query))))

    async def get(self, stream_id: int, message_id: int) -> ChatMessage:
        """A message of this stream that is not deleted (else `message_not_found`)."""
        async with self._db.reading() as session:
            message = await _message_in(session, stream_id, message_id)
        if message.deleted_at is not None:
            raise NotFound("that message was deleted", code=RoomCode.MESSAGE_NOT_FOUND)
        return message

    async def delete_by_author(self, stream_id: int, author: str) -> tuple[list[int], bool]:
        """Delete every message `author` said in this stream: the ids deleted, and whether the
        pinned message was one of them (it is unpinned)."""
        mine = (
            ChatMessage.stream_id == stream_id,
            ChatMessage.author == author,
            ChatMessage.deleted_at.is_(None),
        )
        async with self._db.writing() as session:
            ids = list(await session.scalars(select(ChatMessage.id).where(*mine)))
            if not ids:
                return [], False
            await session.execute(
                update(ChatMessage).where(ChatMessage.id.in_(ids)).values(deleted_at=utcnow())
            )
            stream = await session.get(Stream, stream_id)
            unpinned = stream is not None and stream.pinned_message_id in ids
            if stream is not None and unpinned:
                stream.pinned_message_id = None
        return sorted(ids), unpinned

    async def delete(self, stream_id: int, message_id: int) -> ChatMessage:
        """Delete a message; a deleted message is no longer pinned."""
        async with self._db.writing() as session:
            message = await _message_in(session, stream_id, message_id)
            if message.deleted_at is None:
                message.deleted_at = utcnow()
            stream = await session.get(Stream, stream_id)
            if stream is not None and stream.pinned_message_id == message_id:
                stream.pinned_message_id = None
        return message

    async def open_questions(self, stream_id: int, limit: int) -> list[ChatMessage]:
        """The host's queue: unanswered, undeleted questions, oldest first."""
        query = (
            select(ChatMessage)
            .where(
                ChatMessage.stream_id == stream_id,
                ChatMessage.question.is_(True),
                ChatMessage.answered_at.is_(None),
                ChatMessage.deleted_at.is_(None),
                ChatMessage.shadowed.is_(False),
            )
            .order_by(ChatMessage.id)
            .limit(limit)
        )
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    async def pin(self, stream_id: int, message_id: int | None, answer: bool) -> ChatMessage | None:
        """Pin a message above the chat (None unpins); `answer` also marks a question answered."""
        async with self._db.writing() as session:
            stream = await session.get(Stream, stream_id)
            if stream is None:
                raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
            message = None
            if message_id is not None:
                message = await _message_in(session, stream_id, message_id)
                if message.deleted_at is not None or message.shadowed:
                    raise NotFound("that message was deleted", code=RoomCode.MESSAGE_NOT_FOUND)
                if answer:
                    if not message.question:
                        raise Conflict(
                            "that message is not a question", code=RoomCode.NOT_A_QUESTION
                        )
                    message.answered_at = message.answered_at or utcnow()
            stream.pinned_message_id = message_id
        return message

    async def pinned(self, stream_id: int, message_id: int | None) -> ChatMessage | None:
        if message_id is None:
            return None
        async with self._db.reading() as session:
            message = await session.get(ChatMessage, message_id)
        if message is None or message.stream_id != stream_id or message.deleted_at is not None:
            return None
        return message


async def _message_in(session: AsyncSession, stream_id: int, message_id: int) -> ChatMessage:
    message = await session.get(ChatMessage, message_id)
    if message is None or message.stream_id != stream_id:
        raise NotFound("no such message in this stream", code=RoomCode.MESSAGE_NOT_FOUND)
    return message


class GroupInsert:
    """Group commit for chat lines: the lines that arrive while a commit is under way go
    together in the next one, so a busy room costs one transaction per batch, not per line
    (SQLite has a single writer; PostgreSQL a commit per round trip). Each line is still
    durable, with its id, before anyone is told about it."""

    def __init__(self, db: Database, max_rows: int = MAX_ROWS_PER_COMMIT) -> None:
        self._db = db
        self._max_rows = max_rows
        self._waiting: list[tuple[ChatMessage, asyncio.Future[ChatMessage]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.commits = 0  # transactions tried, for tests and metrics

    async def add(self, row: ChatMessage) -> ChatMessage:
        done: asyncio.Future[ChatMessage] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all())
        return await done

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_rows]
                del self._waiting[: self._max_rows]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[ChatMessage, asyncio.Future[ChatMessage]]]) -> None:
        self.commits += 1
        try:
            async with self._db.writing() as session:
                session.add_all([row for row, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _fail(batch[0][1], exc)
                return
            # One bad row must not fail the others: each goes alone, and only it fails.
            logger.warning(
                "a group insert of %d chat lines failed; retrying one by one", len(batch)
            )
            for one in batch:
                await self._write([one])
            return
        for row, done in batch:
            if not done.done():  # its sender went away meanwhile: the line is kept all the same
                done.set_result(row)


def _fail(done: asyncio.Future[ChatMessage], exc: Exception) -> None:
    if not done.done():
        done.set_exception(exc)
