"""The marketplace on the wire: what sellers send to publish and answer offers, what hosts send to
join them, and the shapes of offers, memberships and commission statements (docs/protocol.md
"Offers", "Commission statements"). The checks are server/core/domain/offers.py's."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from server.contract.answers import Answer, Date
from server.contract.body import Cleaned, Id, require_object
from server.contract.serializers import iso
from server.contract.shapes import Language, Rate, Time, shown
from server.core.domain import offers as rules
from server.core.domain.catalog import check_country
from server.core.domain.commissions import check_rate
from server.core.domain.error_codes import GeneralCode, OfferCode
from server.core.domain.errors import ValidationError
from server.core.domain.ids import check_id
from server.core.domain.offers import JoinPolicy, MemberStatus, OfferStatus
from server.core.services.offers import Member, NewOffer
from server.core.services.statements import NamedStatement
from server.core.store.rows import Offer, OfferMember, as_utc

Country = Annotated[str, Field(pattern="^[A-Z]{2}$")]
Category = Literal["fashion", "beauty", "home", "electronics", "food", "sports", "kids", "other"]
Policy = Literal["open", "approval"]
NEW_FIELDS = ("product_id", "rate_bp", "category", "countries", "languages", "join")


def _known(given: dict[str, Any], fields: tuple[str, ...]) -> None:
    unknown = set(given) - set(fields)
    if unknown:
        raise ValidationError(
            f"unknown fields: {', '.join(sorted(unknown))}", code=GeneralCode.BAD_FIELD
        )


class NewOfferBody(Cleaned):
    """An offer: `product_id` one of the shop's products, or null/absent for all of them;
    `countries` and `languages` empty or absent for all."""

    model_config = ConfigDict(extra="forbid")
    product_id: Annotated[int | None, shown(Id)] = None
    rate_bp: Annotated[int, shown(Rate)]
    category: Annotated[str, shown(Category)] = "other"
    countries: Annotated[frozenset[str], shown(list[Country])] = frozenset()
    languages: Annotated[frozenset[str], shown(list[Language])] = frozenset()
    join: Annotated[JoinPolicy, shown(Policy)] = JoinPolicy.OPEN

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected a JSON object describing the offer")
        _known(given, NEW_FIELDS)
        product_id = given.get("product_id")
        if "rate_bp" not in given:
            raise ValidationError("rate_bp is required", code=OfferCode.BAD_OFFER)
        return {
            "product_id": None if product_id is None else check_id(product_id, "product_id"),
            "rate_bp": check_rate(given["rate_bp"]),
            "category": rules.check_category(given.get("category", "other")),
            "countries": rules.check_countries(given.get("countries", [])),
            "languages": rules.check_languages(given.get("languages", [])),
            "join": rules.check_policy(given.get("join", "open")),
        }

    def terms(self) -> NewOffer:
        return NewOffer(
            self.product_id, self.rate_bp, self.category, self.countries, self.languages, self.join
        )


class OfferChangeBody(Cleaned):
    """Close or reopen an offer, or change its rate (for sales from then on)."""

    model_config = ConfigDict(extra="forbid")
    status: Annotated[OfferStatus | None, shown(Literal["active", "closed"])] = None
    rate_bp: Annotated[int | None, shown(Rate)] = None

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected a JSON object with status and/or rate_bp")
        _known(given, ("status", "rate_bp"))
        if not given:
            raise ValidationError("send status and/or rate_bp", code=OfferCode.BAD_OFFER)
        status = given.get("status")
        if status is not None and status not in set(OfferStatus):
            raise ValidationError("status must be active or closed", code=OfferCode.BAD_OFFER)
        rate = given.get("rate_bp")
        return {
            "status": OfferStatus(status) if status is not None else None,
            "rate_bp": check_rate(rate) if rate is not None else None,
        }


class JoinBody(Cleaned):
    """`country`: where the host broadcasts to, needed when the offer names countries."""

    model_config = ConfigDict(extra="forbid")
    country: Annotated[str | None, shown(Country)] = None

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object({} if data is None else data)
        _known(given, ("country",))
        country = given.get("country")
        return {"country": check_country(country) if country is not None else None}


class DecisionBody(Cleaned):
    model_config = ConfigDict(extra="forbid")
    decision: Annotated[str, shown(Literal["approve", "reject"])]

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, 'expected {"decision": "approve" or "reject"}')
        _known(given, ("decision",))
        if given.get("decision") not in ("approve", "reject"):
            raise ValidationError("decision must be approve or reject", code=OfferCode.BAD_DECISION)
        return {"decision": given["decision"]}


# -- answers ---------------------------------------------------------------------------------

MemberState = Literal["pending", "approved", "rejected"]


class MemberAnswer(Answer):
    host_id: Id
    display_name: str | None = None
    status: MemberState
    country: Country | None = None
    joined_at: Time
    decided_at: Time | None = None


class OfferAnswer(Answer):
    id: Id
    seller_id: Id
    shop: str
    product_id: Id | None = None
    product_title: str | None = None
    currency: str | None = None
    price_minor: int | None = None
    image_url: str | None = None
    rate_bp: Rate
    category: Category
    countries: list[Country]
    languages: list[Language]
    join: Policy
    status: Literal["active", "closed"]
    created_at: Time
    membership: MemberState | None = Field(None, description="the calling host's, if any")
    members: list[MemberAnswer] | None = Field(None, description="the seller's own offers")


class Offers(Answer):
    offers: list[OfferAnswer]


class StatementRow(Answer):
    month: Date
    host_id: Id
    host: str
    seller_id: Id
    shop: str
    currency: str
    sales: int
    refunds: int
    gmv_minor: int
    earned_minor: int
    reversed_minor: int
    net_minor: int
    payable_on: Date
    status: Literal["open", "pending", "payable"]


class Statements(Answer):
    as_: Literal["host", "seller", "admin"] = Field(alias="as")
    refund_window_days: int
    statements: list[StatementRow]


def offer_view(
    offer: Offer,
    membership: MemberStatus | None = None,
    members: list[Member] | None = None,
) -> dict[str, Any]:
    product = offer.product
    view: dict[str, Any] = {
        "id": offer.id,
        "seller_id": offer.seller_id,
        "shop": offer.seller.name,
        "product_id": offer.product_id,
        "product_title": product.title if product is not None else None,
        "currency": product.currency if product is not None else None,
        "price_minor": product.price_minor if product is not None else None,
        "image_url": (product.image_url or None) if product is not None else None,
        "rate_bp": offer.rate_bp,
        "category": offer.category,
        "countries": sorted(part for part in offer.countries.split(",") if part),
        "languages": sorted(part for part in offer.languages.split(",") if part),
        "join": offer.policy,
        "status": offer.status,
        "created_at": iso(as_utc(offer.created_at)),
        "membership": membership.value if membership is not None else None,
    }
    if members is not None:
        view["members"] = [member_view(m.row, m.display_name) for m in members]
    return view


def member_view(row: OfferMember, display_name: str | None = None) -> dict[str, Any]:
    return {
        "host_id": row.host_id,
        "display_name": display_name,
        "status": row.status,
        "country": row.country,
        "joined_at": iso(as_utc(row.joined_at)),
        "decided_at": iso(as_utc(row.decided_at)) if row.decided_at is not None else None,
    }


def statement_view(named: NamedStatement) -> dict[str, Any]:
    s = named.statement
    return {
        "month": s.key.month.isoformat(),
        "host_id": s.key.host_id,
        "host": named.host_name,
        "seller_id": s.key.seller_id,
        "shop": named.shop_name,
        "currency": s.key.currency,
        "sales": s.sales,
        "refunds": s.refunds,
        "gmv_minor": s.gmv_minor,
        "earned_minor": s.earned_minor,
        "reversed_minor": s.reversed_minor,
        "net_minor": s.net_minor,
        "payable_on": s.payable_on.isoformat(),
        "status": s.status.value,
    }


STATEMENT_COLUMNS = tuple(StatementRow.model_fields)
