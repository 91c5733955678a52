"""What must hold in the database whatever a hostile client sent: the fuzzers check it.

Every unit of a variant is on the shelf, held by an unpaid order or sold; buying, paying,
cancelling, expiring and refunding move units between those and never make or lose one. Only
the seller's catalogue edits change a variant's total. No order is without lines, no stock is
negative, and a flash deal has sold exactly the units its live orders hold.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import select

from server.core.store.rows import FlashDeal, Order, OrderLine, ProductVariant
from server.edge.http.context import DATABASE

# Payment states whose order holds (or has taken) its units; the rest gave them back.
LIVE_STATES = frozenset({"reserved", "requires_action", "authorized", "paid", "fulfilled"})


@dataclass(frozen=True)
class Stock:
    units: dict[int, int]  # variant id -> shelf + held + sold
    faults: tuple[str, ...]


async def stock(app: web.Application) -> Stock:
    async with app[DATABASE].reading() as session:
        variants = (await session.execute(select(ProductVariant.id, ProductVariant.stock))).all()
        lines = (
            await session.execute(
                select(
                    OrderLine.order_id,
                    OrderLine.variant_id,
                    OrderLine.deal_id,
                    OrderLine.quantity,
                    Order.payment_state,
                ).join(Order, Order.id == OrderLine.order_id)
            )
        ).all()
        orders = set((await session.scalars(select(Order.id))).all())
        deals = (await session.execute(select(FlashDeal.id, FlashDeal.sold))).all()
    faults = [f"variant {v} has stock {s}" for v, s in variants if s < 0]
    units = {variant: shelf for variant, shelf in variants}
    dealt: dict[int, int] = defaultdict(int)
    for _, variant, deal, quantity, state in lines:
        if state in LIVE_STATES:
            if variant is not None:
                units[variant] = units.get(variant, 0) + quantity
            if deal is not None:
                dealt[deal] += quantity
    faults += [f"order {o} has no lines" for o in sorted(orders - {line[0] for line in lines})]
    faults += [
        f"deal {d} says {sold} sold, its live orders hold {dealt[d]}"
        for d, sold in deals
        if sold != dealt[d]
    ]
    return Stock(units, tuple(faults))


def conserved(before: Stock, after: Stock) -> list[str]:
    """Faults of `after`, and every variant of `before` whose total moved."""
    moved = [
        f"variant {v}: {before.units[v]} units before, {after.units.get(v)} after"
        for v in before.units
        if after.units.get(v) != before.units[v]
    ]
    return [*after.faults, *moved]


def faults_logged(records: list[logging.LogRecord]) -> list[str]:
    """Log records that say the server failed: errors, and anything with a traceback."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in records
        if r.levelno >= logging.ERROR or r.exc_info is not None
    ]
