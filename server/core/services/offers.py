"""The marketplace as stored: sellers' offers, hosts joining them, and the two questions the rest
of the core asks of it inside its own transactions: may this host line up these products
(`check_lineup`, from streams.py) and at what rate does a member earn on them (`offer_rates`,
from ledger.py). The rules are server/core/domain/offers.py's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain import offers as rules
from server.core.domain.error_codes import CatalogCode, OfferCode
from server.core.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from server.core.domain.offers import (
    Candidate,
    Filters,
    JoinPolicy,
    MemberStatus,
    OfferStatus,
    OfferTerms,
)
from server.core.domain.roles import Principal, Role
from server.core.store.db import Database
from server.core.store.rows import Offer, OfferMember, Product, Seller, User, utcnow


@dataclass(frozen=True)
class NewOffer:
    """An offer's fields as the contract checked them (server/contract/offers.py)."""

    product_id: int | None
    rate_bp: int
    category: str
    countries: frozenset[str]
    languages: frozenset[str]
    policy: JoinPolicy


@dataclass(frozen=True)
class Member:
    """A host in an offer, with the name they show."""

    row: OfferMember
    display_name: str


class OfferService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, principal: Principal, new: NewOffer) -> Offer:
        async with self._db.writing() as session:
            seller = await _own_shop(session, principal)
            if new.product_id is not None:
                product = await session.get(Product, new.product_id)
                if product is None or product.seller_id != seller.id:
                    raise ValidationError(
                        "product_id must be one of your shop's products", code=OfferCode.BAD_OFFER
                    )
            offer = Offer(
                seller_id=seller.id,
                product_id=new.product_id,
                rate_bp=new.rate_bp,
                category=new.category,
                countries=",".join(sorted(new.countries)),
                languages=",".join(sorted(new.languages)),
                policy=new.policy.value,
                status=OfferStatus.ACTIVE.value,
            )
            session.add(offer)
            await session.flush()
            offer_id = offer.id
        return await self.get(offer_id)

    async def get(self, offer_id: int) -> Offer:
        async with self._db.reading() as session:
            offer = await session.get(Offer, offer_id)
        if offer is None:
            raise NotFound("no such offer", code=OfferCode.OFFER_NOT_FOUND)
        return offer

    async def change(
        self,
        principal: Principal,
        offer_id: int,
        *,
        status: OfferStatus | None = None,
        rate_bp: int | None = None,
    ) -> Offer:
        """The seller closes or reopens an offer, or changes its rate (for sales from then on:
        a sold line keeps the rate it was sold at)."""
        async with self._db.writing() as session:
            seller = await _own_shop(session, principal)
            offer = await session.get(Offer, offer_id)
            if offer is None or offer.seller_id != seller.id:
                raise NotFound("no such offer in your shop", code=OfferCode.OFFER_NOT_FOUND)
            if status is not None:
                offer.status = status.value
            if rate_bp is not None:
                offer.rate_bp = rate_bp
        return await self.get(offer_id)

    async def browse(
        self, principal: Principal, filters: Filters
    ) -> list[tuple[Offer, MemberStatus | None]]:
        """Active offers matching the filters, newest first, each with the caller's membership
        (a host's; None for others and for offers they have not joined)."""
        if principal.is_guest:
            raise Forbidden("sign in to see the marketplace's offers")
        async with self._db.reading() as session:
            offers = list(
                await session.scalars(
                    select(Offer)
                    .where(Offer.status == OfferStatus.ACTIVE.value)
                    .order_by(Offer.id.desc())
                )
            )
            mine = await _memberships(session, principal.user_id)
        return [(offer, mine.get(offer.id)) for offer in offers if filters.match(terms_of(offer))]

    async def own(self, principal: Principal) -> list[tuple[Offer, list[Member]]]:
        """The seller's offers, newest first, each with its hosts (applicants first)."""
        async with self._db.reading() as session:
            seller = await _own_shop(session, principal)
            offers = list(
                await session.scalars(
                    select(Offer).where(Offer.seller_id == seller.id).order_by(Offer.id.desc())
                )
            )
            found = await session.execute(
                select(OfferMember, User.display_name)
                .join(User, User.id == OfferMember.host_id)
                .where(OfferMember.offer_id.in_([offer.id for offer in offers]))
                .order_by(OfferMember.joined_at, OfferMember.host_id)
            )
            members: dict[int, list[Member]] = {offer.id: [] for offer in offers}
            for row, name in found:
                members[row.offer_id].append(Member(row, name))
        pending = MemberStatus.PENDING.value
        return [
            (offer, sorted(members[offer.id], key=lambda m: m.row.status != pending))
            for offer in offers
        ]

    async def joined(self, principal: Principal) -> list[tuple[Offer, OfferMember]]:
        """The host's memberships and applications, newest first."""
        _require_host(principal)
        async with self._db.reading() as session:
            found = await session.execute(
                select(Offer, OfferMember)
                .join(OfferMember, OfferMember.offer_id == Offer.id)
                .where(OfferMember.host_id == principal.user_id)
                .order_by(OfferMember.joined_at.desc(), Offer.id.desc())
            )
            return [(offer, member) for offer, member in found]

    async def join(self, principal: Principal, offer_id: int, country: str | None) -> OfferMember:
        """Join an open offer, or apply to one that asks for approval. Twice: 409."""
        host_id = _require_host(principal)
        try:
            async with self._db.writing() as session:
                offer = await session.get(Offer, offer_id)
                if offer is None:
                    raise NotFound("no such offer", code=OfferCode.OFFER_NOT_FOUND)
                already = await session.get(OfferMember, (offer_id, host_id))
                status = rules.join_status(
                    terms_of(offer),
                    country,
                    MemberStatus(already.status) if already is not None else None,
                )
                member = OfferMember(
                    offer_id=offer_id,
                    host_id=host_id,
                    status=status.value,
                    country=country,
                    decided_at=utcnow() if status == MemberStatus.APPROVED else None,
                )
                session.add(member)
        except IntegrityError:  # the same host joining twice at once: one row wins
            raise Conflict(
                "you have already joined this offer", code=OfferCode.OFFER_ALREADY_JOINED
            ) from None
        return member

    async def decide(
        self, principal: Principal, offer_id: int, host_id: int, approve: bool
    ) -> OfferMember:
        """The seller approves or rejects a host's application, once."""
        async with self._db.writing() as session:
            seller = await _own_shop(session, principal)
            offer = await session.get(Offer, offer_id)
            if offer is None or offer.seller_id != seller.id:
                raise NotFound("no such offer in your shop", code=OfferCode.OFFER_NOT_FOUND)
            member = await session.get(OfferMember, (offer_id, host_id), with_for_update=True)
            if member is None:
                raise NotFound(
                    "this host has not applied to this offer",
                    code=OfferCode.MEMBERSHIP_NOT_FOUND,
                )
            member.status = rules.decide(MemberStatus(member.status), approve).value
            member.decided_at = utcnow()
        return member


def terms_of(offer: Offer) -> OfferTerms:
    return OfferTerms(
        seller_id=offer.seller_id,
        product_id=offer.product_id,
        rate_bp=offer.rate_bp,
        countries=_set(offer.countries),
        languages=_set(offer.languages),
        policy=JoinPolicy(offer.policy),
        status=OfferStatus(offer.status),
        category=offer.category,
    )


async def check_lineup(
    session: AsyncSession, host_id: int, language: str, product_ids: Sequence[int]
) -> None:
    """Refuse (403) a line-up with a product of a marketplace shop its host has not joined."""
    if not product_ids:
        return
    found = await session.execute(
        select(Product.id, Product.seller_id).where(Product.id.in_(product_ids))
    )
    candidates = [Candidate(product_id, seller_id) for product_id, seller_id in found]
    sellers = {candidate.seller_id for candidate in candidates}
    in_marketplace = frozenset(
        await session.scalars(
            select(Offer.seller_id).where(Offer.seller_id.in_(sellers)).distinct()
        )
    )
    if not in_marketplace:
        return
    joined = await _approved(session, host_id, in_marketplace)
    rules.check_lineup(
        candidates, marketplace_sellers=in_marketplace, joined=joined, language=language
    )


async def offer_rates(
    session: AsyncSession, host_id: int, products: Iterable[tuple[int, int]]
) -> dict[int, int]:
    """The rate the host earns on each (product, seller) through an offer they joined; products
    no offer of theirs covers are left out (the ledger keeps the line's own rate)."""
    wanted = list(products)
    joined = await _approved(session, host_id, {seller_id for _, seller_id in wanted})
    rates = {
        product_id: rules.offer_rate(product_id, seller_id, joined)
        for product_id, seller_id in wanted
    }
    return {product_id: rate for product_id, rate in rates.items() if rate is not None}


async def _approved(
    session: AsyncSession, host_id: int, sellers: Iterable[int]
) -> list[OfferTerms]:
    chosen = list(sellers)
    if not chosen:
        return []
    found = await session.scalars(
        select(Offer)
        .join(OfferMember, OfferMember.offer_id == Offer.id)
        .where(
            OfferMember.host_id == host_id,
            OfferMember.status == MemberStatus.APPROVED.value,
            Offer.seller_id.in_(chosen),
        )
    )
    return [terms_of(offer) for offer in found]


async def _memberships(session: AsyncSession, user_id: int | None) -> dict[int, MemberStatus]:
    if user_id is None:
        return {}
    found = await session.execute(
        select(OfferMember.offer_id, OfferMember.status).where(OfferMember.host_id == user_id)
    )
    return {offer_id: MemberStatus(status) for offer_id, status in found}


async def _own_shop(session: AsyncSession, principal: Principal) -> Seller:
    if principal.role != Role.SELLER:
        raise Forbidden("only sellers publish and answer offers")
    seller = await session.scalar(select(Seller).where(Seller.user_id == principal.user_id))
    if seller is None:
        raise NotFound("open a shop first (POST /api/sellers)", code=CatalogCode.NO_SELLER)
    return seller


def _require_host(principal: Principal) -> int:
    if principal.role != Role.HOST or principal.user_id is None:
        raise Forbidden("only hosts join offers")
    return principal.user_id


def _set(joined: str) -> frozenset[str]:
    return frozenset(part for part in joined.split(",") if part)
