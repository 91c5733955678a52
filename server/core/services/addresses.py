"""A buyer's profile (preferred language and country) and shipping addresses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.accounts import require_account
from server.core.domain.addresses import MAX_ADDRESSES, Address
from server.core.domain.error_codes import AddressCode
from server.core.domain.errors import Conflict, NotFound
from server.core.domain.roles import Principal
from server.core.store.db import Database
from server.core.store.rows import BuyerProfile, ShippingAddress, utcnow


@dataclass(frozen=True)
class Profile:
    language: str | None
    country: str | None


def as_address(row: ShippingAddress) -> Address:
    return Address(
        name=row.name,
        line1=row.line1,
        line2=row.line2,
        city=row.city,
        region=row.region,
        postal_code=row.postal_code,
        country=row.country,
        phone=row.phone,
    )


async def owned_address(session: AsyncSession, buyer_id: int, address_id: int) -> ShippingAddress:
    """The buyer's own address of that id (another buyer's is not found, as a missing one)."""
    row = await session.get(ShippingAddress, address_id)
    if row is None or row.user_id != buyer_id:
        raise NotFound("no such address", code=AddressCode.ADDRESS_NOT_FOUND)
    return row


class AddressService:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- profile ------------------------------------------------------------------------------

    async def profile(self, principal: Principal) -> Profile:
        user_id = require_account(principal, "keep a profile")
        async with self._db.reading() as session:
            row = await session.get(BuyerProfile, user_id)
        return Profile(None, None) if row is None else Profile(row.language, row.country)

    async def set_profile(self, principal: Principal, changes: dict[str, str | None]) -> Profile:
        """`changes`: language and/or country, already checked (None clears one)."""
        user_id = require_account(principal, "keep a profile")
        async with self._db.writing() as session:
            row = await session.get(BuyerProfile, user_id)
            if row is None:
                row = BuyerProfile(user_id=user_id, language=None, country=None)
                session.add(row)
            for name in ("language", "country"):
                if name in changes:
                    setattr(row, name, changes[name])
            row.updated_at = utcnow()
        return Profile(row.language, row.country)

    # -- addresses ----------------------------------------------------------------------------

    async def list(self, principal: Principal) -> list[ShippingAddress]:
        user_id = require_account(principal, "keep addresses")
        async with self._db.reading() as session:
            return list(
                await session.scalars(
                    select(ShippingAddress)
                    .where(ShippingAddress.user_id == user_id)
                    .order_by(ShippingAddress.id)
                )
            )

    async def add(
        self, principal: Principal, address: Address, make_default: bool = False
    ) -> ShippingAddress:
        user_id = require_account(principal, "keep addresses")
        async with self._db.writing() as session:
            count = await session.scalar(
                select(func.count()).where(ShippingAddress.user_id == user_id)
            )
            if (count or 0) >= MAX_ADDRESSES:
                raise Conflict(
                    f"at most {MAX_ADDRESSES} addresses: delete one first",
                    code=AddressCode.TOO_MANY_ADDRESSES,
                )
            row = ShippingAddress(user_id=user_id, **address.to_dict())
            row.is_default = make_default or not count  # the first one is the default
            if row.is_default:
                await _clear_default(session, user_id)
            session.add(row)
            await session.flush()
        return row

    async def replace(
        self, principal: Principal, address_id: int, address: Address, make_default: bool
    ) -> ShippingAddress:
        user_id = require_account(principal, "keep addresses")
        async with self._db.writing() as session:
            row = await owned_address(session, user_id, address_id)
            for name, value in address.to_dict().items():
                setattr(row, name, value)
            if make_default and not row.is_default:
                await _clear_default(session, user_id)
                row.is_default = True
        return row

    async def delete(self, principal: Principal, address_id: int) -> None:
        """Orders keep their own copy of the address: deleting it changes none."""
        user_id = require_account(principal, "keep addresses")
        async with self._db.writing() as session:
            row = await owned_address(session, user_id, address_id)
            await session.delete(row)
            if row.is_default:
                await session.flush()
                following = await session.scalar(
                    select(ShippingAddress)
                    .where(ShippingAddress.user_id == user_id)
                    .order_by(ShippingAddress.id)
                    .limit(1)
                )
                if following is not None:
                    following.is_default = True

    async def default_country(self, principal: Principal) -> str | None:
        """Where this buyer ships: their default address's country, else their profile's."""
        if principal.user_id is None:
            return None
        async with self._db.reading() as session:
            country = await session.scalar(
                select(ShippingAddress.country).where(
                    ShippingAddress.user_id == principal.user_id, ShippingAddress.is_default
                )
            )
            if country is None:
                profile = await session.get(BuyerProfile, principal.user_id)
                country = profile.country if profile is not None else None
        return country


async def _clear_default(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(ShippingAddress)
        .where(ShippingAddress.user_id == user_id, ShippingAddress.is_default)
        .values(is_default=False)
        .execution_options(synchronize_session=False)
    )


__all__ = ["AddressService", "Profile", "as_address", "owned_address"]
