"""Shows: scheduling, line-up, going live, pinning and ending."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain import streams as rules
from server.core.domain.error_codes import GeneralCode, StreamCode
from server.core.domain.errors import AuthRequired, Forbidden, NotFound, ValidationError
from server.core.domain.recordings import EventKind
from server.core.domain.roles import Principal, Role, can_pin, can_run_stream
from server.core.domain.streams import StreamStatus
from server.core.events import (
    DomainEvents,
    ProductPinned,
    ProductUnpinned,
    Publisher,
    StreamStatusChanged,
)
from server.core.services.offers import check_lineup
from server.core.services.recordings import add_event
from server.core.store.db import Database
from server.core.store.rows import Product, Stream, StreamProduct, utcnow

# How stale `recent` may be: a hot path that reads the stream per chat line takes a copy this
# old at most (another node's change reaches this one within it; this node's own, at once).
RECENT_MAX_AGE_S = 1.0
MAX_RECENT = 10_000


class StreamService:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], float] = time.monotonic,
        *,
        events: DomainEvents | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._events = events or DomainEvents()
        self._recent: dict[int, tuple[float, Stream]] = {}

    def authorize_schedule(self, principal: Principal) -> None:
        """Only hosts (and admins) schedule shows (asked before the fields are checked)."""
        if principal.role not in (Role.HOST, Role.ADMIN) or principal.user_id is None:
            raise Forbidden("only hosts can schedule shows")

    async def create(
        self,
        principal: Principal,
        title: str,
        *,
        language: str = "en",
        scheduled_at: datetime | None = None,
        product_ids: Sequence[int] = (),
        replay: str = "on",
    ) -> Stream:
        """A show of fields the rules have checked (server/contract/streams.py)."""
        self.authorize_schedule(principal)
        lineup = list(product_ids)
        stream = Stream(
            host_id=principal.user_id,
            title=title,
            language=language,
            scheduled_at=scheduled_at,
            stream_key=secrets.token_urlsafe(32),
            replay=replay,
        )
        async with self._db.writing() as session:
            await _require_products(session, lineup)
            await check_lineup(session, stream.host_id, language, lineup)  # the marketplace's say
            session.add(stream)
            await session.flush()
            session.add_all(_lineup_rows(stream.id, lineup))
        return await self.get(stream.id)

    async def get(self, stream_id: int) -> Stream:
        async with self._db.reading() as session:
            stream = await session.get(Stream, stream_id)
        if stream is None:
            raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
        if len(self._recent) >= MAX_RECENT:
            self._recent.clear()
        self._recent[stream_id] = (self._clock(), stream)  # every write here ends with a get
        return stream

    async def recent(self, stream_id: int) -> Stream:
        """The stream as read at most RECENT_MAX_AGE_S ago: for the chat path, which needs its
        status, language, host and start per line but must not cost a query per line."""
        seen = self._recent.get(stream_id)
        if seen is not None and self._clock() - seen[0] < RECENT_MAX_AGE_S:
            return seen[1]
        return await self.get(stream_id)

    async def find(self, status: str | None = None, limit: int = 100) -> list[Stream]:
        query = select(Stream).order_by(Stream.id.desc()).limit(limit)
        if status is not None:
            if status not in set(StreamStatus):
                raise ValidationError(
                    "status must be scheduled, live or ended", code=GeneralCode.BAD_STATUS
                )
            query = query.where(Stream.status == status)
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    async def lineup(self, stream_id: int) -> list[Product]:
        return (await self.lineups([stream_id]))[stream_id]

    async def lineups(self, stream_ids: list[int]) -> dict[int, list[Product]]:
        """Line-ups of many shows in one query (a listing must not cost a query per show)."""
        query = (
            select(StreamProduct.stream_id, Product)
            .join(Product, StreamProduct.product_id == Product.id)
            .where(StreamProduct.stream_id.in_(stream_ids))
            .order_by(StreamProduct.stream_id, StreamProduct.position)
        )
        found: dict[int, list[Product]] = {stream_id: [] for stream_id in stream_ids}
        async with self._db.reading() as session:
            for stream_id, product in await session.execute(query):
                found[stream_id].append(product)
        return found

    async def in_lineup(self, stream_id: int, product_id: int) -> bool:
        async with self._db.reading() as session:
            return await session.get(StreamProduct, (stream_id, product_id)) is not None

    async def set_lineup(
        self, principal: Principal, stream_id: int, product_ids: Sequence[int]
    ) -> Stream:
        """A line-up the rules have checked (server/contract/streams.py)."""
        lineup = list(product_ids)
        stream = await self._owned(principal, stream_id)
        async with self._db.writing() as session:
            await _require_products(session, lineup)
            await check_lineup(session, stream.host_id, stream.language, lineup)
            pins = await _pins(session, stream.id)  # oldest pin first
            kept = {p.product_id: p.pinned_at for p in pins if p.product_id in lineup}
            for pin in pins:
                if pin.product_id not in kept:
                    add_event(session, stream.id, EventKind.UNPINNED, pin.product_id)
            await session.execute(delete(StreamProduct).where(StreamProduct.stream_id == stream.id))
            rows = _lineup_rows(stream.id, lineup)
            for row in rows:
                row.pinned_at = kept.get(row.product_id)
            session.add_all(rows)
            if stream.pinned_product_id not in kept:
                locked = await _locked(session, stream.id)
                locked.pinned_product_id = list(kept)[-1] if kept else None
        return await self.get(stream_id)

    async def stream_key(self, principal: Principal, stream_id: int) -> str:
        return (await self._owned(principal, stream_id)).stream_key

    async def check_stream_key(self, stream_id: int, key: str | None) -> Stream:
        """The stream a publisher may go live on: unknown stream 404, wrong key 401."""
        stream = await self.get(stream_id)
        if not key or not secrets.compare_digest(key.encode(), stream.stream_key.encode()):
            raise AuthRequired("wrong stream key", code=StreamCode.BAD_STREAM_KEY)
        rules.check_can_go_live(stream.status)
        return stream

    async def publisher_connected(self, stream_id: int) -> Stream:
        """The host's media arrived (WHIP): the show is live, and its room hears the host is
        there (again, after a drop)."""
        stream = await self.mark_live(stream_id)
        await self._events.publish(
            StreamStatusChanged(stream_id, StreamStatus.LIVE, Publisher.CONNECTED)
        )
        return stream

    async def publisher_dropped(self, stream_id: int) -> Stream:
        """The host's media stopped without the show ending: its room shows the host is
        reconnecting; the show keeps its status."""
        stream = await self.get(stream_id)
        await self._events.publish(
            StreamStatusChanged(stream_id, stream.status, Publisher.DISCONNECTED)
        )
        return stream

    async def mark_live(self, stream_id: int) -> Stream:
        """Only the status: `publisher_connected` is the host going live (and tells)."""
        async with self._db.writing() as session:
            stream = await _locked(session, stream_id)
            rules.check_can_go_live(stream.status)
            if stream.status != StreamStatus.LIVE:
                stream.status = StreamStatus.LIVE
                stream.started_at = utcnow()
                add_event(session, stream_id, EventKind.STARTED)
        return await self.get(stream_id)

    async def end(self, principal: Principal | None, stream_id: int) -> Stream:
        """End the show (its host or an admin; None = the system, after the publisher left)."""
        if principal is not None:
            await self._owned(principal, stream_id)
        async with self._db.writing() as session:
            stream = await _locked(session, stream_id)
            rules.check_can_end(stream.status)
            stream.status = StreamStatus.ENDED
            stream.ended_at = utcnow()
            await _unpin_all(session, stream)
            add_event(session, stream_id, EventKind.ENDED)
        ended = await self.get(stream_id)
        await self._events.publish(
            StreamStatusChanged(stream_id, StreamStatus.ENDED, Publisher.DISCONNECTED)
        )
        return ended

    async def pin(
        self, principal: Principal | None, stream_id: int, product_id: int | None
    ) -> list[int]:
        """Pin a product (None: unpin them all); returns the products this unpinned. Up to
        MAX_PINS are pinned at once: pinning one more unpins the oldest. `principal` None: the
        caller has checked who may (the live room lets the stream's own appointed moderators
        pin too, chat/permissions.py)."""
        stream = await self.get(stream_id)
        if principal is not None and not can_pin(principal, stream.host_id):
            raise Forbidden("only the host and moderators can pin products")
        if product_id is not None and not await self.in_lineup(stream_id, product_id):
            raise ValidationError(
                "this product is not in the show's line-up", code=StreamCode.NOT_IN_LINEUP
            )
        async with self._db.writing() as session:
            row = await _locked(session, stream_id)
            pins = await _pins(session, stream_id)
            if product_id is None:
                gone = pins
            else:
                if all(p.product_id != product_id for p in pins):
                    pins.append(await _pin_row(session, stream_id, product_id))
                gone = pins[: max(0, len(pins) - rules.MAX_PINS)]
            for pin in gone:
                pin.pinned_at = None
                add_event(session, stream_id, EventKind.UNPINNED, pin.product_id)
            row.pinned_product_id = product_id if product_id is not None else None
        await self.get(stream_id)
        unpinned = [pin.product_id for pin in gone]
        for old in unpinned:
            await self._events.publish(ProductUnpinned(stream_id, old))
        if product_id is not None:
            now_pinned = tuple(await self.pinned(stream_id))
            await self._events.publish(ProductPinned(stream_id, product_id, now_pinned))
        return unpinned

    async def unpin(self, principal: Principal | None, stream_id: int, product_id: int) -> bool:
        """Unpin one product; False if it was not pinned."""
        stream = await self.get(stream_id)
        if principal is not None and not can_pin(principal, stream.host_id):
            raise Forbidden("only the host and moderators can pin products")
        async with self._db.writing() as session:
            row = await _locked(session, stream_id)
            pins = await _pins(session, stream_id)
            found = next((p for p in pins if p.product_id == product_id), None)
            if found is None:
                return False
            found.pinned_at = None
            add_event(session, stream_id, EventKind.UNPINNED, product_id)
            left = [p.product_id for p in pins if p is not found]
            row.pinned_product_id = left[-1] if left else None
        await self.get(stream_id)
        await self._events.publish(ProductUnpinned(stream_id, product_id))
        return True

    async def pinned(self, stream_id: int) -> list[int]:
        """The pinned products, oldest pin first."""
        async with self._db.reading() as session:
            return [pin.product_id for pin in await _pins(session, stream_id)]

    async def _owned(self, principal: Principal, stream_id: int) -> Stream:
        stream = await self.get(stream_id)
        if not can_run_stream(principal, stream.host_id):
            raise Forbidden("only this show's host can do that")
        return stream


async def _pins(session: AsyncSession, stream_id: int) -> list[StreamProduct]:
    query = (
        select(StreamProduct)
        .where(StreamProduct.stream_id == stream_id, StreamProduct.pinned_at.is_not(None))
        .order_by(StreamProduct.pinned_at, StreamProduct.position)
    )
    return list(await session.scalars(query))


async def _pin_row(session: AsyncSession, stream_id: int, product_id: int) -> StreamProduct:
    row = await session.get(StreamProduct, (stream_id, product_id))
    if row is None:
        raise ValidationError(
            "this product is not in the show's line-up", code=StreamCode.NOT_IN_LINEUP
        )
    row.pinned_at = utcnow()
    add_event(session, stream_id, EventKind.PINNED, product_id)
    return row


async def _unpin_all(session: AsyncSession, stream: Stream) -> None:
    for pin in await _pins(session, stream.id):
        pin.pinned_at = None
        add_event(session, stream.id, EventKind.UNPINNED, pin.product_id)
    stream.pinned_product_id = None


async def _locked(session, stream_id: int) -> Stream:  # type: ignore[no-untyped-def]
    query = select(Stream).where(Stream.id == stream_id).with_for_update(of=Stream)
    stream = await session.scalar(query)
    if stream is None:
        raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
    return stream


async def _require_products(session, product_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    if not product_ids:
        return
    found = set(await session.scalars(select(Product.id).where(Product.id.in_(product_ids))))
    missing = sorted(set(product_ids) - found)
    if missing:
        raise ValidationError(f"no such products: {missing}", code=StreamCode.BAD_LINEUP)


def _lineup_rows(stream_id: int, product_ids: list[int]) -> list[StreamProduct]:
    return [
        StreamProduct(stream_id=stream_id, product_id=pid, position=i)
        for i, pid in enumerate(product_ids)
    ]
