"""Sellers and their products: variants, texts in the show languages, commission rates."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.catalog import (
    ProductChange,
    ProductInput,
    SellerChange,
    VariantChange,
    check_stock_change_allowed,
    edit_description,
    edit_title,
    read_texts,
    stored_options,
    stored_texts,
)
from server.core.domain.error_codes import CatalogCode
from server.core.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from server.core.domain.roles import Principal, Role
from server.core.domain.variants import check_sku
from server.core.store.db import Database
from server.core.store.rows import Product, ProductVariant, Seller

# Called after the commit with (variant id, new stock - old stock) for each change a seller made.
StockChanged = Callable[[int, int], Awaitable[None]]
Deltas = list[tuple[int, int]]


class CatalogService:
    def __init__(self, db: Database, stock_changed: StockChanged | None = None) -> None:
        self._db = db
        self._stock_changed = stock_changed

    def authorize_new_seller(self, principal: Principal) -> None:
        """Only a seller account opens a shop (asked before its fields are checked)."""
        if principal.role != Role.SELLER or principal.user_id is None:
            raise Forbidden("only seller accounts can open a shop")

    async def create_seller(self, principal: Principal, name: str, country: str) -> Seller:
        """A shop of a name and country the rules have checked (server/contract/catalog.py)."""
        self.authorize_new_seller(principal)
        seller = Seller(user_id=principal.user_id, name=name, country=country)
        try:
            async with self._db.writing() as session:
                session.add(seller)
        except IntegrityError:
            raise Conflict(
                "this account already has a shop", code=CatalogCode.SELLER_EXISTS
            ) from None
        return seller

    async def seller_of(self, principal: Principal) -> Seller:
        async with self._db.reading() as session:
            seller = await session.scalar(select(Seller).where(Seller.user_id == principal.user_id))
        if seller is None:
            raise NotFound("open a shop first (POST /api/sellers)", code=CatalogCode.NO_SELLER)
        return seller

    async def update_seller(self, principal: Principal, change: SellerChange) -> Seller:
        """A change the rules have checked (SellerChange.parse, in server/contract/catalog.py)."""
        seller_id = (await self.seller_of(principal)).id
        async with self._db.writing() as session:
            query = select(Seller).where(Seller.id == seller_id).with_for_update()
            seller = await session.scalar(query)
            if seller is None:
                raise NotFound("open a shop first (POST /api/sellers)", code=CatalogCode.NO_SELLER)
            if "name" in change.given:
                seller.name = change.name
            if "commission_bp" in change.given:
                seller.commission_bp = change.commission_bp
        return seller

    async def create_product(self, principal: Principal, data: ProductInput) -> Product:
        """A listing the rules have checked (ProductInput.parse)."""
        seller = await self.seller_of(principal)
        title, title_i18n = stored_texts(data.title)
        description, description_i18n = stored_texts(data.description)
        async with self._db.writing() as session:
            product = Product(
                seller_id=seller.id,
                title=title,
                title_i18n=title_i18n,
                description=description,
                description_i18n=description_i18n,
                language=data.language,
                image_url=data.image_url,
                price_minor=data.price_minor,
                currency=data.currency,
                options="[]",
                commission_bp=data.commission_bp,
            )
            session.add(product)
            await session.flush()  # the id: a product without options has SKU "P<id>"
            variants = data.variants_for(product.id)
            product.options = stored_options(variants.options)
            rows = [
                ProductVariant(
                    product_id=product.id,
                    sku=variant.sku,
                    option_values=json.dumps(list(variant.values), ensure_ascii=False),
                    stock=variant.stock,
                    price_minor=variant.price_minor,
                    position=position,
                )
                for position, variant in enumerate(variants.variants)
            ]
            session.add_all(rows)
            await session.flush()
        await self._notify([(row.id, row.stock) for row in rows])
        return await self.get(product.id)

    async def update_product(
        self, principal: Principal, product_id: int, change: ProductChange
    ) -> Product:
        """A change the rules have checked (ProductChange.parse)."""
        seller = await self.seller_of(principal)
        deltas: Deltas = []
        async with self._db.writing() as session:
            product = await _owned(session, product_id, seller.id)
            if "title" in change.given:
                current = read_texts(product.language, product.title, product.title_i18n)
                product.title, product.title_i18n = stored_texts(
                    edit_title(current, product.language, change.title)
                )
            if "description" in change.given:
                current = read_texts(
                    product.language, product.description, product.description_i18n
                )
                product.description, product.description_i18n = stored_texts(
                    edit_description(current, product.language, change.description)
                )
            if "image_url" in change.given:
                product.image_url = change.image_url
            if "price_minor" in change.given:
                product.price_minor = change.price_minor
            if "commission_bp" in change.given:
                product.commission_bp = change.commission_bp
            if "stock" in change.given:
                variant_ids = list(
                    await session.scalars(
                        select(ProductVariant.id).where(ProductVariant.product_id == product_id)
                    )
                )
                check_stock_change_allowed(len(variant_ids))
                deltas.append(await _set_stock(session, variant_ids[0], change.stock))
        await self._notify(deltas)
        return await self.get(product_id)

    async def update_variant(
        self, principal: Principal, product_id: int, sku: str, change: VariantChange
    ) -> Product:
        """A change the rules have checked (VariantChange.parse)."""
        seller = await self.seller_of(principal)
        deltas: Deltas = []
        async with self._db.writing() as session:
            await _owned(session, product_id, seller.id)
            variant_id = await session.scalar(
                select(ProductVariant.id).where(
                    ProductVariant.product_id == product_id,
                    func.upper(ProductVariant.sku) == _variant_sku(sku).upper(),
                )
            )
            if variant_id is None:
                raise NotFound(
                    "this product has no such variant", code=CatalogCode.VARIANT_NOT_FOUND
                )
            if "price_minor" in change.given:
                await session.execute(
                    update(ProductVariant)
                    .where(ProductVariant.id == variant_id)
                    .values(price_minor=change.price_minor)
                )
            if "stock" in change.given:
                deltas.append(await _set_stock(session, variant_id, change.stock))
        await self._notify(deltas)
        return await self.get(product_id)

    async def get(self, product_id: int) -> Product:
        async with self._db.reading() as session:
            product = await session.get(Product, product_id)
        if product is None:
            raise NotFound("no such product")
        return product

    async def find(self, seller_id: int | None = None, limit: int = 100) -> list[Product]:
        query = select(Product).order_by(Product.id).limit(limit)
        if seller_id is not None:
            query = query.where(Product.seller_id == seller_id)
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    async def _notify(self, deltas: Deltas) -> None:
        if self._stock_changed is None:
            return
        for variant_id, delta in deltas:
            if delta:
                await self._stock_changed(variant_id, delta)


def _variant_sku(sku: str) -> str:
    try:
        return check_sku(sku)
    except ValidationError:  # no variant can have it
        raise NotFound(
            "this product has no such variant", code=CatalogCode.VARIANT_NOT_FOUND
        ) from None


async def _owned(session: AsyncSession, product_id: int, seller_id: int) -> Product:
    """The seller's product, locked for the rest of the transaction."""
    query = select(Product).where(Product.id == product_id).with_for_update(of=Product)
    product = await session.scalar(query)
    if product is None:
        raise NotFound("no such product")
    if product.seller_id != seller_id:
        raise Forbidden("this product belongs to another seller")
    return product


async def _set_stock(session: AsyncSession, variant_id: int, stock: int) -> tuple[int, int]:
    """Set a variant's shelf stock; (variant id, the exact change). The row is read locked, so
    a buyer's concurrent decrement lands before the read or after the write, never between."""
    query = select(ProductVariant.stock).where(ProductVariant.id == variant_id).with_for_update()
    old = (await session.execute(query)).scalar_one()
    await session.execute(
        update(ProductVariant).where(ProductVariant.id == variant_id).values(stock=stock)
    )
    return variant_id, stock - old
