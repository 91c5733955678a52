"""Flash deals of a show: started by its host or staff, sold through the order service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from server.core.domain.deals import Deal, check_deal_price
from server.core.domain.error_codes import CatalogCode, DealCode, StreamCode
from server.core.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from server.core.domain.money import Money
from server.core.domain.roles import Principal, can_pin
from server.core.domain.streams import StreamStatus
from server.core.events import DealChange, DealChanged, DomainEvents
from server.core.store.db import Database
from server.core.store.rows import FlashDeal, Product, Stream, StreamProduct, as_utc

MIN_DURATION_S = 10
MAX_DURATION_S = 24 * 3600
MAX_START_DELAY_S = 24 * 3600
MAX_DEAL_QUANTITY = 1_000_000


@dataclass(frozen=True)
class DealTerms:
    """A deal as asked, its fields checked (server/contract/deals.py); what depends on the
    product (the variant, a price below its own) is checked when it starts."""

    product_id: int
    price_minor: int
    duration_s: int
    quantity: int
    sku: str | None = None
    starts_in_s: int = 0
    per_buyer_limit: int = 1


class DealService:
    def __init__(
        self,
        db: Database,
        events: DomainEvents | None = None,
        *,
        show_changed: Callable[[int], None] | None = None,
    ) -> None:
        """`show_changed(stream_id)`: told at once when a show's deals change, before anyone
        hears of it (the order service drops its copy of the show, so buyers get the new
        price)."""
        self._db = db
        self._events = events or DomainEvents()
        self._show_changed = show_changed

    async def authorize_start(self, principal: Principal, stream_id: int) -> None:
        """Refuse who may not start deals in the show (asked before the deal's fields are
        checked): an unknown show 404, anyone but its host and moderators 403."""
        async with self._db.reading() as session:
            stream = await session.get(Stream, stream_id)
        _check_may_deal(principal, stream)

    async def start(
        self, principal: Principal | None, stream_id: int, terms: DealTerms, now: datetime
    ) -> FlashDeal:
        """Put a line-up product (or one variant) on a flash deal. `principal` None: the caller
        has checked who may (the live room's permission matrix)."""
        product_id = terms.product_id
        async with self._db.writing() as session:
            stream = await session.get(Stream, stream_id)
            if principal is not None:
                _check_may_deal(principal, stream)
            if stream is None:
                raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
            if stream.status == StreamStatus.ENDED:
                raise Conflict("the show has ended", code=StreamCode.STREAM_ENDED)
            if await session.get(StreamProduct, (stream_id, product_id)) is None:
                raise ValidationError(
                    "this product is not in the show's line-up", code=StreamCode.NOT_IN_LINEUP
                )
            product = await session.get(Product, product_id)
            if product is None:
                raise NotFound("no such product")
            deal = _new_deal(stream_id, product, terms, now)
            running = await session.scalar(
                select(FlashDeal.id).where(
                    FlashDeal.stream_id == stream_id,
                    FlashDeal.product_id == product_id,
                    FlashDeal.ends_at > now,
                )
            )
            if running is not None:
                raise Conflict("this product already has a deal running", code=DealCode.DEAL_EXISTS)
            session.add(deal)
        await self._changed(deal, DealChange.STARTED, now)
        return deal

    async def end(self, principal: Principal | None, deal_id: int, now: datetime) -> FlashDeal:
        """End a deal early; ending one that is over changes nothing."""
        async with self._db.writing() as session:
            deal = await session.get(FlashDeal, deal_id)
            if deal is None:
                raise NotFound("no such deal", code=DealCode.DEAL_NOT_FOUND)
            stream = await session.get(Stream, deal.stream_id)
            if principal is not None and (stream is None or not can_pin(principal, stream.host_id)):
                raise Forbidden("only the host and moderators can end deals")
            await session.execute(
                update(FlashDeal)
                .where(FlashDeal.id == deal_id, FlashDeal.ends_at > now)
                .values(ends_at=now)
                .execution_options(synchronize_session=False)
            )
        ended = await self.get(deal_id)
        await self._changed(ended, DealChange.ENDED, now)
        return ended

    async def _changed(self, deal: FlashDeal, change: DealChange, now: datetime) -> None:
        """After the commit: the show's copies drop it, then the listeners hear it."""
        if self._show_changed is not None:
            self._show_changed(deal.stream_id)
        await self._events.publish(DealChanged(deal, change, now))

    async def get(self, deal_id: int) -> FlashDeal:
        async with self._db.reading() as session:
            deal = await session.get(FlashDeal, deal_id)
        if deal is None:
            raise NotFound("no such deal", code=DealCode.DEAL_NOT_FOUND)
        return deal

    async def running(self, stream_id: int, now: datetime) -> list[FlashDeal]:
        """Deals of the show that have not ended: active or about to start."""
        query = (
            select(FlashDeal)
            .where(FlashDeal.stream_id == stream_id, FlashDeal.ends_at > now)
            .order_by(FlashDeal.id)
        )
        async with self._db.reading() as session:
            return list(await session.scalars(query))


def as_deal(row: FlashDeal, sku: str | None = None) -> Deal:
    return Deal(
        id=row.id,
        product_id=row.product_id,
        sku=sku,
        price=Money(row.price_minor, row.currency),
        starts_at=as_utc(row.starts_at),
        ends_at=as_utc(row.ends_at),
        quantity=row.quantity,
        per_buyer_limit=row.per_buyer_limit,
        sold=row.sold,
    )


def _check_may_deal(principal: Principal, stream: Stream | None) -> None:
    if stream is None:
        raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
    if not can_pin(principal, stream.host_id):
        raise Forbidden("only the host and moderators can start deals")


def _new_deal(stream_id: int, product: Product, terms: DealTerms, now: datetime) -> FlashDeal:
    variant = None
    if terms.sku is not None:
        wanted = terms.sku.upper()
        variant = next((v for v in product.variants if v.sku.upper() == wanted), None)
        if variant is None:
            raise NotFound("this product has no such variant", code=CatalogCode.VARIANT_NOT_FOUND)
    regular = Money(
        variant.price_minor
        if variant is not None and variant.price_minor is not None
        else product.price_minor,
        product.currency,
    )
    price = Money(terms.price_minor, product.currency)
    check_deal_price(price, regular)
    starts_at = now + timedelta(seconds=terms.starts_in_s)
    row = FlashDeal(
        stream_id=stream_id,
        product_id=product.id,
        variant_id=variant.id if variant is not None else None,
        price_minor=price.amount_minor,
        currency=price.currency,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(seconds=terms.duration_s),
        quantity=terms.quantity,
        per_buyer_limit=terms.per_buyer_limit,
        sold=0,
    )
    as_deal(row)  # the domain rules check the whole deal once more
    return row
