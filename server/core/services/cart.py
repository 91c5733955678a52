"""A viewer's cart in one show: variants picked from the pins, checked out in one order."""

from __future__ import annotations

from sqlalchemy import delete, select

from server.core.domain.accounts import require_account
from server.core.domain.error_codes import OrderCode, StreamCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.orders import Item
from server.core.domain.roles import Principal
from server.core.domain.variants import pick_by_sku
from server.core.services.show_reports import added_to_cart
from server.core.store.db import Database
from server.core.store.rows import CartItem, ProductVariant, StreamProduct

MAX_CART_LINES = 20


class CartService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def items(self, principal: Principal, stream_id: int) -> list[CartItem]:
        buyer_id = _buyer(principal)
        query = (
            select(CartItem)
            .where(CartItem.buyer_id == buyer_id, CartItem.stream_id == stream_id)
            .order_by(CartItem.id)
        )
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    def authorize(self, principal: Principal) -> None:
        """Guests watch and chat, they have no cart (asked before an item is checked)."""
        _buyer(principal)

    async def put(self, principal: Principal, stream_id: int, item: Item) -> list[CartItem]:
        """Set how many of a variant are in the cart (`item.quantity`, checked by the rules:
        server/contract/orders.py); 0 takes it out."""
        buyer_id = _buyer(principal)
        product_id, sku, quantity = item.product_id, item.sku, item.quantity
        async with self._db.writing() as session:
            if await session.get(StreamProduct, (stream_id, product_id)) is None:
                raise ValidationError(
                    "this product is not in the show's line-up", code=StreamCode.NOT_IN_LINEUP
                )
            variant = pick_by_sku(
                list(
                    await session.scalars(
                        select(ProductVariant).where(ProductVariant.product_id == product_id)
                    )
                ),
                sku,
            )
            found = await session.scalar(
                select(CartItem).where(
                    CartItem.buyer_id == buyer_id,
                    CartItem.stream_id == stream_id,
                    CartItem.variant_id == variant.id,
                )
            )
            if quantity == 0:
                if found is not None:
                    await session.delete(found)
            elif found is not None:
                found.quantity = quantity
            else:
                lines = await session.scalars(
                    select(CartItem.id).where(
                        CartItem.buyer_id == buyer_id, CartItem.stream_id == stream_id
                    )
                )
                if len(list(lines)) >= MAX_CART_LINES:
                    raise Conflict(
                        f"a cart holds at most {MAX_CART_LINES} lines", code=OrderCode.CART_FULL
                    )
                session.add(
                    CartItem(
                        buyer_id=buyer_id,
                        stream_id=stream_id,
                        product_id=product_id,
                        variant_id=variant.id,
                        quantity=quantity,
                    )
                )
                # An add-to-cart of the show report, in this transaction: no round trip more.
                session.add(added_to_cart(stream_id, product_id, principal.subject))
        return await self.items(principal, stream_id)

    async def as_items(self, principal: Principal, stream_id: int) -> list[Item]:
        rows = await self.items(principal, stream_id)
        if not rows:
            raise Conflict("the cart is empty", code=OrderCode.CART_EMPTY)
        async with self._db.reading() as session:
            skus = dict(
                (
                    await session.execute(
                        select(ProductVariant.id, ProductVariant.sku).where(
                            ProductVariant.id.in_([row.variant_id for row in rows])
                        )
                    )
                ).all()
            )
        return [Item(row.product_id, skus[row.variant_id], row.quantity) for row in rows]

    async def clear(self, principal: Principal, stream_id: int) -> None:
        buyer_id = _buyer(principal)
        async with self._db.writing() as session:
            await session.execute(
                delete(CartItem).where(
                    CartItem.buyer_id == buyer_id, CartItem.stream_id == stream_id
                )
            )


def _buyer(principal: Principal) -> int:
    return require_account(principal, "use a cart")
