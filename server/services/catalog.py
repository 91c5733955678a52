"""Sellers and their products."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.db import Database
from server.domain.catalog import ProductInput, check_country, check_stock
from server.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from server.domain.money import check_price
from server.domain.roles import Principal, Role
from server.domain.streams import check_title
from server.models import Product, Seller


class CatalogService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_seller(self, principal: Principal, name: object, country: object) -> Seller:
        if principal.role != Role.SELLER or principal.user_id is None:
            raise Forbidden("only seller accounts can open a shop")
        seller = Seller(
            user_id=principal.user_id,
            name=check_title(name, max_chars=120),
            country=check_country(country),
        )
        try:
            async with self._db.writing() as session:
                session.add(seller)
        except IntegrityError:
            raise Conflict("this account already has a shop", code="seller_exists") from None
        return seller

    async def seller_of(self, principal: Principal) -> Seller:
        async with self._db.reading() as session:
            seller = await session.scalar(select(Seller).where(Seller.user_id == principal.user_id))
        if seller is None:
            raise NotFound("open a shop first (POST /api/sellers)", code="no_seller")
        return seller

    async def create_product(self, principal: Principal, payload: object) -> Product:
        data = ProductInput.parse(payload)
        seller = await self.seller_of(principal)
        product = Product(seller_id=seller.id, **data.__dict__)
        async with self._db.writing() as session:
            session.add(product)
        return await self.get(product.id)

    async def update_product(
        self, principal: Principal, product_id: int, payload: object
    ) -> Product:
        if not isinstance(payload, dict) or not payload:
            raise ValidationError("expected an object with fields to change")
        checks: dict[str, Callable[[object], object]] = {
            "stock": check_stock,
            "price_minor": check_price,
            "title": check_title,
        }
        unknown = set(payload) - set(checks)
        if unknown:
            raise ValidationError(f"cannot change {', '.join(sorted(unknown))}", code="bad_field")
        changes = {field: checks[field](value) for field, value in payload.items()}
        seller = await self.seller_of(principal)
        async with self._db.writing() as session:
            product = await session.get(Product, product_id)
            if product is None:
                raise NotFound("no such product")
            if product.seller_id != seller.id:
                raise Forbidden("this product belongs to another seller")
            for field, value in changes.items():
                setattr(product, field, value)
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
