"""Giveaways of a show: started by its host or staff, entered once per account on any node (the
entries' unique constraint), drawn once (a conditional UPDATE claims the draw) from the seed
committed to at the start (server/core/domain/giveaways.py); a product prize becomes an order
at price 0 for each winner."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.error_codes import GiveawayCode, StreamCode
from server.core.domain.errors import Conflict, NotFound, ValidationError
from server.core.domain.giveaways import (
    Eligibility,
    EntryWay,
    GiveawayTerms,
    check_available,
    check_entry,
    check_open,
    commitment,
    draw,
    new_seed,
)
from server.core.domain.orders import OrderStatus
from server.core.domain.roles import Principal
from server.core.domain.streams import StreamStatus
from server.core.events import DomainEvents, GiveawayChanged, PurchasePlaced
from server.core.services.orders import OrderService, place_prize
from server.core.store.db import Database
from server.core.store.rows import (
    Giveaway,
    GiveawayEntry,
    Order,
    Product,
    Stream,
    StreamProduct,
    User,
    as_utc,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entered:
    giveaway: Giveaway
    created: bool  # False: this account had entered already (on any node)


@dataclass(frozen=True)
class Winner:
    subject: str
    display_name: str
    order_id: int | None


class GiveawayService:
    def __init__(
        self,
        db: Database,
        events: DomainEvents | None = None,
        orders: OrderService | None = None,
        *,
        followers_exist: bool = False,
    ) -> None:
        """`orders`: told of prize orders (its show copy and the stock gate follow them)."""
        self._db = db
        self._events = events or DomainEvents()
        self._orders = orders
        self._followers_exist = followers_exist

    async def start(self, stream_id: int, terms: GiveawayTerms, now: datetime) -> Giveaway:
        """Open a giveaway in a show (the caller checked who may); one at a time per show."""
        check_available(terms, followers_exist=self._followers_exist)
        seed = new_seed()
        async with self._db.writing() as session:
            stream = await session.get(Stream, stream_id)
            if stream is None:
                raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
            if stream.status == StreamStatus.ENDED:
                raise Conflict("the show has ended", code=StreamCode.STREAM_ENDED)
            product = terms.prize_product_id
            if (
                product is not None
                and await session.get(StreamProduct, (stream_id, product)) is None
            ):
                raise ValidationError(
                    "the prize is not in the show's line-up", code=StreamCode.NOT_IN_LINEUP
                )
            running = await session.scalar(
                select(Giveaway.id).where(
                    Giveaway.stream_id == stream_id, Giveaway.drawn_at.is_(None)
                )
            )
            if running is not None:
                raise Conflict(
                    "a giveaway is running in this show", code=GiveawayCode.GIVEAWAY_RUNNING
                )
            giveaway = Giveaway(
                stream_id=stream_id,
                prize_product_id=product,
                prize_text=terms.prize_text,
                eligibility=terms.eligibility.value,
                keyword=terms.keyword,
                winner_count=terms.winners,
                seed=seed,
                commitment=commitment(seed),
                opens_at=now,
                ends_at=now + timedelta(seconds=terms.window_s),
                entrants=0,
            )
            session.add(giveaway)
        await self._events.publish(GiveawayChanged(giveaway, now))
        return giveaway

    async def get(self, giveaway_id: int) -> Giveaway:
        async with self._db.reading() as session:
            found = await session.get(Giveaway, giveaway_id)
        if found is None:
            raise NotFound("no such giveaway", code=GiveawayCode.GIVEAWAY_NOT_FOUND)
        return found

    async def of_stream(self, stream_id: int) -> list[Giveaway]:
        query = select(Giveaway).where(Giveaway.stream_id == stream_id).order_by(Giveaway.id)
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    async def latest(self, stream_id: int) -> Giveaway | None:
        query = (
            select(Giveaway)
            .where(Giveaway.stream_id == stream_id)
            .order_by(Giveaway.id.desc())
            .limit(1)
        )
        async with self._db.reading() as session:
            return await session.scalar(query)

    async def enter(
        self, giveaway_id: int, principal: Principal, way: EntryWay, counted: bool, now: datetime
    ) -> Entered:
        """One entry per account; `counted` False (a banned or shadow-banned person) keeps the
        entry out of the count and the draw, and answers the same."""
        giveaway = await self.get(giveaway_id)
        bought = False
        if giveaway.eligibility == Eligibility.BUYERS and principal.user_id is not None:
            bought = await self._bought_in(principal.user_id, giveaway.stream_id)
        check_entry(
            Eligibility(giveaway.eligibility), way, is_guest=principal.user_id is None,
            bought_in_show=bought,
        )  # fmt: skip
        check_open(as_utc(giveaway.ends_at), giveaway.drawn_at is not None, now)
        try:
            async with self._db.writing() as session:
                session.add(
                    GiveawayEntry(
                        giveaway_id=giveaway_id,
                        entrant=principal.subject,
                        counted=counted,
                        way=way.value,
                        at=now,
                    )
                )
                await session.flush()
                # Takes the giveaway's row: a draw that claimed it first refuses this entry.
                entrants = await session.scalar(
                    update(Giveaway)
                    .where(Giveaway.id == giveaway_id, Giveaway.drawn_at.is_(None))
                    .values(entrants=Giveaway.entrants + (1 if counted else 0))
                    .returning(Giveaway.entrants)
                    .execution_options(synchronize_session=False)
                )
                if entrants is None:
                    raise Conflict(
                        "this giveaway's entry window has closed",
                        code=GiveawayCode.GIVEAWAY_CLOSED,
                    )
        except IntegrityError:
            return Entered(await self.get(giveaway_id), created=False)
        fresh = await self.get(giveaway_id)
        if counted:
            await self._events.publish(GiveawayChanged(fresh, now))
        return Entered(fresh, created=True)

    async def entrants(self, giveaway_id: int) -> list[str]:
        """The counted entrants (subjects), as the draw takes them (sorted)."""
        query = select(GiveawayEntry.entrant).where(
            GiveawayEntry.giveaway_id == giveaway_id, GiveawayEntry.counted.is_(True)
        )
        async with self._db.reading() as session:
            return sorted(await session.scalars(query))

    async def due(self, now: datetime) -> list[Giveaway]:
        """Giveaways whose window is over and that nobody has drawn yet."""
        query = select(Giveaway).where(Giveaway.drawn_at.is_(None), Giveaway.ends_at <= now)
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    async def close_now(self, giveaway_id: int, now: datetime) -> Giveaway:
        """The host ends the entry window early (the draw follows)."""
        async with self._db.writing() as session:
            await session.execute(
                update(Giveaway)
                .where(Giveaway.id == giveaway_id, Giveaway.drawn_at.is_(None))
                .where(Giveaway.ends_at > now)
                .values(ends_at=now)
                .execution_options(synchronize_session=False)
            )
        return await self.get(giveaway_id)

    async def draw(self, giveaway_id: int, now: datetime, excluded: set[str]) -> Giveaway | None:
        """Draw the winners once, on whichever node gets here first (None on the others).
        `excluded`: entrants banned or shadow-banned since they entered: not counted."""
        orders: list[Order] = []
        async with self._db.writing() as session:
            claimed = await session.scalar(
                update(Giveaway)
                .where(Giveaway.id == giveaway_id, Giveaway.drawn_at.is_(None))
                .values(drawn_at=now)
                .returning(Giveaway.id)
                .execution_options(synchronize_session=False)
            )
            if claimed is None:
                return None
            if excluded:
                await session.execute(
                    update(GiveawayEntry)
                    .where(
                        GiveawayEntry.giveaway_id == giveaway_id,
                        GiveawayEntry.entrant.in_(sorted(excluded)),
                    )
                    .values(counted=False)
                    .execution_options(synchronize_session=False)
                )
            giveaway = await session.get(Giveaway, giveaway_id, populate_existing=True)
            if giveaway is None:
                return None
            counted = list(
                await session.scalars(
                    select(GiveawayEntry.entrant).where(
                        GiveawayEntry.giveaway_id == giveaway_id,
                        GiveawayEntry.counted.is_(True),
                    )
                )
            )
            winners = []
            for subject in draw(giveaway.seed, counted, giveaway.winner_count):
                order = await self._prize(session, giveaway, subject, now)
                if order is not None:
                    orders.append(order)
                winners.append(await _winner(session, subject, order))
            giveaway.entrants = len(counted)
            giveaway.winners = json.dumps([w.__dict__ for w in winners])
        drawn = await self.get(giveaway_id)
        await self._prizes_placed(orders)
        await self._events.publish(GiveawayChanged(drawn, now))
        return drawn

    async def _prize(
        self, session: AsyncSession, giveaway: Giveaway, subject: str, now: datetime
    ) -> Order | None:
        if giveaway.prize_product_id is None:
            return None
        stream = await session.get(Stream, giveaway.stream_id)
        product = await session.get(Product, giveaway.prize_product_id)
        if stream is None or product is None:
            return None
        buyer_id = int(subject.removeprefix("u:"))
        key = f"giveaway-{giveaway.id}"
        order = await place_prize(session, buyer_id, stream, product, key, now)
        if order is None:
            logger.warning("giveaway %s: no unit of its prize left for %s", giveaway.id, subject)
        else:
            await session.execute(
                update(GiveawayEntry)
                .where(GiveawayEntry.giveaway_id == giveaway.id, GiveawayEntry.entrant == subject)
                .values(order_id=order.id)
                .execution_options(synchronize_session=False)
            )
        return order

    async def _prizes_placed(self, orders: list[Order]) -> None:
        """After the commit: the winners hear of their orders, the room of the stock."""
        for order in orders:
            placed = await self._orders.get_by_id(order.id) if self._orders else order
            if self._orders is not None:
                gate = self._orders.gate
                if gate is not None:
                    for line in placed.lines:
                        if line.variant_id is not None:
                            await gate.variant_changed(line.variant_id, -line.quantity)
                if placed.stream_id is not None:
                    self._orders.forget(placed.stream_id)
            ids = {line.product_id for line in placed.lines}
            stock = await self._orders.stock_of(ids) if self._orders else {}
            await self._events.publish(PurchasePlaced(placed, f"u:{placed.buyer_id}", stock))

    async def _bought_in(self, user_id: int, stream_id: int) -> bool:
        query = select(Order.id).where(
            Order.buyer_id == user_id,
            Order.stream_id == stream_id,
            Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.REFUNDED]),
            Order.total_minor > 0,  # a prize is not a purchase
        )
        async with self._db.reading() as session:
            return await session.scalar(query.limit(1)) is not None


async def _winner(session: AsyncSession, subject: str, order: Order | None) -> Winner:
    user = await session.get(User, int(subject.removeprefix("u:")))
    name = user.display_name if user is not None else ""
    return Winner(subject, name, order.id if order is not None else None)


def winners_of(giveaway: Giveaway) -> list[Winner]:
    if not giveaway.winners:
        return []
    return [Winner(**w) for w in json.loads(giveaway.winners)]
