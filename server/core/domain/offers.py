"""The seller-influencer marketplace: a shop's offers to hosts and which host may line up what.

An offer is one product of a shop, or all of its products (`product_id` None), at a commission
rate, for some countries and show languages (empty: all of them), in a category hosts browse
by. Hosts join an offer freely (`open`) or apply and wait for the seller's approval
(`approval`); a host joins an offer once. A shop that has never published an offer keeps the
line-ups as they were before the marketplace: any host may line up its products. Once a shop has
published one (even one closed since), a host lines up its products only through an active offer
they are an approved member of, covering the product and offered in the show's language.

The commission of a sale in a show of a member is the offer's rate: a product's own offer before
a whole-shop one, and the higher rate among equals. Without an offer the ledger's rule stays
(server/core/domain/commissions.py `rate_for`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from server.core.domain.catalog import check_country
from server.core.domain.error_codes import GeneralCode, OfferCode
from server.core.domain.errors import Conflict, Forbidden, ValidationError
from server.core.domain.streams import LANGUAGES

CATEGORIES = (
    "fashion",
    "beauty",
    "home",
    "electronics",
    "food",
    "sports",
    "kids",
    "other",
)
MAX_COUNTRIES = 50


class JoinPolicy(StrEnum):
    OPEN = "open"  # a host who joins is a member at once
    APPROVAL = "approval"  # a host applies; the seller approves or rejects


class OfferStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"  # no one joins, no one lines its products up through it


class MemberStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class OfferTerms:
    """An offer as the rules see it."""

    seller_id: int
    product_id: int | None  # None: every product of the shop
    rate_bp: int
    countries: frozenset[str] = frozenset()  # empty: every country
    languages: frozenset[str] = frozenset()  # empty: every show language
    policy: JoinPolicy = JoinPolicy.OPEN
    status: OfferStatus = OfferStatus.ACTIVE
    category: str = "other"

    def covers(self, product_id: int, seller_id: int) -> bool:
        if seller_id != self.seller_id:
            return False
        return self.product_id is None or self.product_id == product_id

    def offered_in_country(self, country: str | None) -> bool:
        return not self.countries or country in self.countries

    def offered_in_language(self, language: str | None) -> bool:
        return not self.languages or language in self.languages


@dataclass(frozen=True)
class Filters:
    """What a host browses offers by; None: any."""

    category: str | None = None
    language: str | None = None
    country: str | None = None
    min_rate_bp: int | None = None

    def match(self, offer: OfferTerms) -> bool:
        return (
            offer.status == OfferStatus.ACTIVE
            and (self.category is None or offer.category == self.category)
            and (self.language is None or offer.offered_in_language(self.language))
            and (self.country is None or offer.offered_in_country(self.country))
            and (self.min_rate_bp is None or offer.rate_bp >= self.min_rate_bp)
        )


def check_category(category: object) -> str:
    if category not in CATEGORIES:
        raise ValidationError(
            f"category must be one of {', '.join(CATEGORIES)}", code=OfferCode.BAD_OFFER_CATEGORY
        )
    return str(category)


def check_policy(policy: object) -> JoinPolicy:
    if not isinstance(policy, str) or policy not in set(JoinPolicy):
        raise ValidationError("join must be open or approval", code=OfferCode.BAD_JOIN_POLICY)
    return JoinPolicy(policy)


def check_countries(raw: object) -> frozenset[str]:
    if not isinstance(raw, list) or len(raw) > MAX_COUNTRIES:
        raise ValidationError(
            f"countries must be a list of at most {MAX_COUNTRIES} ISO 3166 alpha-2 codes",
            code=OfferCode.BAD_OFFER,
        )
    return frozenset(check_country(country) for country in raw)


def check_languages(raw: object) -> frozenset[str]:
    if not isinstance(raw, list) or any(language not in LANGUAGES for language in raw):
        raise ValidationError(
            f"languages must be a list of show languages ({', '.join(LANGUAGES)})",
            code=GeneralCode.BAD_LANGUAGE,
        )
    return frozenset(raw)


def join_status(
    offer: OfferTerms, country: str | None, already: MemberStatus | None
) -> MemberStatus:
    """What a host's join makes of them: a member at once, or an applicant."""
    if already is not None:
        raise Conflict(
            f"you have already joined this offer ({already})", code=OfferCode.OFFER_ALREADY_JOINED
        )
    if offer.status != OfferStatus.ACTIVE:
        raise Conflict("this offer is closed", code=OfferCode.OFFER_CLOSED)
    if not offer.offered_in_country(country):
        raise Forbidden(
            f"this offer is for {', '.join(sorted(offer.countries))} only"
            + ("" if country else ": say your country"),
            code=OfferCode.OFFER_NOT_IN_COUNTRY,
        )
    return MemberStatus.APPROVED if offer.policy == JoinPolicy.OPEN else MemberStatus.PENDING


def decide(current: MemberStatus, approve: bool) -> MemberStatus:
    """The seller's answer to an application; an answered one stays answered."""
    if current != MemberStatus.PENDING:
        raise Conflict(
            f"this host's membership is already {current}", code=OfferCode.MEMBERSHIP_DECIDED
        )
    return MemberStatus.APPROVED if approve else MemberStatus.REJECTED


@dataclass(frozen=True)
class Candidate:
    """A product a host wants in a show's line-up."""

    product_id: int
    seller_id: int


def check_lineup(
    candidates: Iterable[Candidate],
    *,
    marketplace_sellers: frozenset[int],
    joined: Sequence[OfferTerms],
    language: str,
) -> None:
    """Refuse the first product the host may not line up in a show in `language`: one of a shop
    in the marketplace that no active offer they are an approved member of covers, or whose
    offers are not offered in that language. `joined`: the host's approved offers."""
    for candidate in candidates:
        if candidate.seller_id not in marketplace_sellers:
            continue
        covering = [
            offer
            for offer in joined
            if offer.status == OfferStatus.ACTIVE
            and offer.covers(candidate.product_id, candidate.seller_id)
        ]
        if not covering:
            raise Forbidden(
                f"product {candidate.product_id} is offered to hosts who joined its offer: "
                "join it first (GET /api/offers)",
                code=OfferCode.PRODUCT_NOT_JOINED,
            )
        if not any(offer.offered_in_language(language) for offer in covering):
            raise Forbidden(
                f"product {candidate.product_id}'s offer is not offered for shows in {language}",
                code=OfferCode.OFFER_NOT_IN_LANGUAGE,
            )


def offer_rate(product_id: int, seller_id: int, joined: Sequence[OfferTerms]) -> int | None:
    """The commission rate a member earns on the product: its own offer's before a whole-shop
    one, the higher among equals; None when no active offer of theirs covers it."""
    covering = [
        offer
        for offer in joined
        if offer.status == OfferStatus.ACTIVE and offer.covers(product_id, seller_id)
    ]
    if not covering:
        return None
    own = [offer.rate_bp for offer in covering if offer.product_id is not None]
    return max(own) if own else max(offer.rate_bp for offer in covering)
