"""Auctions: what POST /api/streams/{id}/auctions and the bid doors (HTTP and the room's
`start_auction`, `bid`, `set_max_bid`, `stop_auction`, `auction_bids`, `remove_bidder`) take,
and the auction as the room and the pages see it (docs/protocol.md "Auctions")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from server.contract.body import Cleaned, Id, require_object
from server.contract.shapes import IdempotencyKey
from server.core.domain.auctions import (
    DEFAULT_ANTI_SNIPE_S,
    MAX_ANTI_SNIPE_S,
    MAX_BANDS,
    MAX_DURATION_S,
    MIN_DURATION_S,
    AuctionState,
    AuctionTerms,
    Band,
    BidKind,
    Unpaid,
    check_bid_amount,
    mask_name,
)
from server.core.domain.error_codes import AuctionCode, CatalogCode, ErrorCode, OrderCode
from server.core.domain.errors import ValidationError
from server.core.domain.ids import check_id
from server.core.domain.money import MAX_PRICE_MINOR
from server.core.domain.orders import check_idempotency_key
from server.core.services.auctions import AuctionSpec, BidAnswer, terms_of
from server.core.stock.auction_book import BidRequest
from server.core.store.rows import Auction, AuctionBid

Price = Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR)]
NEXT_BIDS = 3  # the bid buttons a page shows: the next minimum and two steps above
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BandIn(Cleaned):
    from_minor: Price
    increment_minor: Annotated[int, Field(ge=1, le=MAX_PRICE_MINOR)]


class NewAuction(Cleaned):
    """Start an auction on a line-up product (or one variant, `sku`). Either
    `increment_minor` (one step at every price) or `ladder` (steps by price band)."""

    product_id: Id
    sku: str | None = None
    start_minor: Annotated[int, Field(ge=1, le=MAX_PRICE_MINOR)]
    increment_minor: Annotated[int | None, Field(ge=1, le=MAX_PRICE_MINOR)] = None
    ladder: Annotated[list[BandIn] | None, Field(max_length=MAX_BANDS)] = None
    duration_s: Annotated[int, Field(ge=MIN_DURATION_S, le=MAX_DURATION_S)]
    anti_snipe_s: Annotated[int, Field(ge=1, le=MAX_ANTI_SNIPE_S)] = DEFAULT_ANTI_SNIPE_S
    sudden_death: bool = False
    reserve_minor: Price | None = None
    buy_now_minor: Price | None = None
    unpaid: Literal["second_chance", "unsold"] = "second_chance"

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected an object describing the auction")
        product_id = check_id(given.get("product_id"), "product_id", code=OrderCode.BAD_PRODUCT)
        sku = given.get("sku")
        if sku is not None and (not isinstance(sku, str) or not 1 <= len(sku) <= 64):
            raise ValidationError("sku must be a variant's SKU", code=CatalogCode.BAD_SKU)
        ladder = _ladder(given.get("increment_minor"), given.get("ladder"))
        unpaid = given.get("unpaid", Unpaid.SECOND_CHANCE.value)
        if unpaid not in {u.value for u in Unpaid}:
            raise ValidationError(
                "unpaid must be second_chance or unsold", code=AuctionCode.BAD_AUCTION_TERMS
            )
        terms = AuctionTerms(
            start_minor=_int(
                given.get("start_minor"), "start_minor", AuctionCode.BAD_AUCTION_TERMS
            ),
            ladder=ladder,
            duration_s=_int(
                given.get("duration_s"), "duration_s", AuctionCode.BAD_AUCTION_DURATION
            ),
            anti_snipe_s=_int(
                given.get("anti_snipe_s", DEFAULT_ANTI_SNIPE_S),
                "anti_snipe_s",
                AuctionCode.BAD_AUCTION_TERMS,
            ),
            sudden_death=_flag(given.get("sudden_death", False), "sudden_death"),
            reserve_minor=_optional(
                given.get("reserve_minor"), "reserve_minor", AuctionCode.BAD_RESERVE
            ),
            buy_now_minor=_optional(
                given.get("buy_now_minor"), "buy_now_minor", AuctionCode.BAD_BUY_NOW
            ),
            unpaid=Unpaid(unpaid),
        )  # the domain checks the whole (ranges, reserve and buy-it-now against the start)
        return {
            "product_id": product_id,
            "sku": sku,
            "start_minor": terms.start_minor,
            "increment_minor": ladder[0].increment_minor if len(ladder) == 1 else None,
            "ladder": [
                {"from_minor": b.from_minor, "increment_minor": b.increment_minor} for b in ladder
            ],
            "duration_s": terms.duration_s,
            "anti_snipe_s": terms.anti_snipe_s,
            "sudden_death": terms.sudden_death,
            "reserve_minor": terms.reserve_minor,
            "buy_now_minor": terms.buy_now_minor,
            "unpaid": terms.unpaid.value,
        }

    def spec(self) -> AuctionSpec:
        ladder = tuple(Band(b.from_minor, b.increment_minor) for b in self.ladder or ())
        terms = AuctionTerms(
            start_minor=self.start_minor,
            ladder=ladder,
            duration_s=self.duration_s,
            anti_snipe_s=self.anti_snipe_s,
            sudden_death=self.sudden_death,
            reserve_minor=self.reserve_minor,
            buy_now_minor=self.buy_now_minor,
            unpaid=Unpaid(self.unpaid),
        )
        return AuctionSpec(self.product_id, terms, self.sku)


class PlaceBid(Cleaned):
    """A bid of `amount_minor` (at least the price plus its increment), or `buy_now: true`."""

    auction_id: Id
    amount_minor: Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR)] = 0
    buy_now: bool = False
    idempotency_key: IdempotencyKey

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected an object describing the bid")
        auction_id = check_id(
            given.get("auction_id"), "auction_id", code=AuctionCode.AUCTION_NOT_FOUND
        )
        buy_now = _flag(given.get("buy_now", False), "buy_now")
        amount = 0 if buy_now else check_bid_amount(given.get("amount_minor"))
        key = check_idempotency_key(given.get("idempotency_key"))
        return {
            "auction_id": auction_id,
            "amount_minor": amount,
            "buy_now": buy_now,
            "idempotency_key": key,
        }

    def request(self) -> BidRequest:
        kind = BidKind.BUY_NOW if self.buy_now else BidKind.BID
        return BidRequest(0, self.amount_minor, self.idempotency_key, kind)


class SetMaxBid(Cleaned):
    """A maximum: the server bids for the buyer by the increment up to `max_minor`."""

    auction_id: Id
    max_minor: Annotated[int, Field(ge=1, le=MAX_PRICE_MINOR)]
    idempotency_key: IdempotencyKey

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected an object describing the maximum")
        auction_id = check_id(
            given.get("auction_id"), "auction_id", code=AuctionCode.AUCTION_NOT_FOUND
        )
        top = check_bid_amount(given.get("max_minor"), "max_minor")
        key = check_idempotency_key(given.get("idempotency_key"))
        return {"auction_id": auction_id, "max_minor": top, "idempotency_key": key}

    def request(self) -> BidRequest:
        return BidRequest(0, 1, self.idempotency_key, BidKind.MAX, self.max_minor)


class BidBody(Cleaned):
    """POST /api/auctions/{id}/bids: a bid (PlaceBid's fields), or with `max_minor` a maximum
    (SetMaxBid's), checked by the same rules as over the room."""

    auction_id: Id
    amount_minor: Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR)] = 0
    buy_now: bool = False
    max_minor: Annotated[int, Field(ge=1, le=MAX_PRICE_MINOR)] | None = None
    idempotency_key: IdempotencyKey

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected an object describing the bid")
        if "max_minor" in given:
            return {**SetMaxBid.rules(given), "amount_minor": 0, "buy_now": False}  # type: ignore[dict-item]
        return {**PlaceBid.rules(given), "max_minor": None}  # type: ignore[dict-item]

    def request(self) -> BidRequest:
        if self.max_minor is not None:
            return BidRequest(0, 1, self.idempotency_key, BidKind.MAX, self.max_minor)
        kind = BidKind.BUY_NOW if self.buy_now else BidKind.BID
        return BidRequest(0, self.amount_minor, self.idempotency_key, kind)


class AuctionRef(Cleaned):
    auction_id: Id

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected {auction_id}")
        return {
            "auction_id": check_id(
                given.get("auction_id"), "auction_id", code=AuctionCode.AUCTION_NOT_FOUND
            )
        }


class RemoveBidder(Cleaned):
    auction_id: Id
    bidder_id: Id

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected {auction_id, bidder_id}")
        return {
            "auction_id": check_id(
                given.get("auction_id"), "auction_id", code=AuctionCode.AUCTION_NOT_FOUND
            ),
            "bidder_id": check_id(given.get("bidder_id"), "bidder_id"),
        }


# -- answers ----------------------------------------------------------------------------------


def auction_view(
    row: Auction, state: AuctionState, leader_name: str | None, now: datetime
) -> dict[str, Any]:
    """An auction as everyone in the room sees it: the leader masked, times on the server's
    clock (`server_time` beside `ends_at`, so every countdown shows the same second)."""
    terms = terms_of(row)
    running = row.status == "running" and not state.over(_ms(now))
    minimum = state.next_minimum(terms)
    steps = [minimum]
    while len(steps) < NEXT_BIDS:
        steps.append(steps[-1] + terms.increment(steps[-1]))
    return {
        "id": row.id,
        "stream_id": row.stream_id,
        "product_id": row.product_id,
        "variant_id": row.variant_id,
        "currency": row.currency,
        "status": "running" if running else "ended",
        "result": row.result,
        "price_minor": state.price_minor,
        "leader": mask_name(leader_name) if leader_name is not None else None,
        "leader_id": state.leader,
        "bids": state.bids,
        "next_bids_minor": steps if running else [],
        "start_minor": row.start_minor,
        "buy_now_minor": row.buy_now_minor
        if running and state.price_minor < (row.buy_now_minor or 0)
        else None,
        "reserve_met": None
        if row.reserve_minor is None
        else state.price_minor >= row.reserve_minor,
        "sudden_death": row.sudden_death,
        "anti_snipe_s": row.anti_snipe_s,
        "ends_at": (EPOCH + timedelta(milliseconds=state.ends_at_ms)).isoformat(),
        "server_time": now.isoformat(),
        "order_id": row.order_id,
        # whom `order_id` is for, at what price: the winner, or the next bidder offered it
        "winner_id": row.winner_id if row.order_id is not None else None,
        "sold_minor": row.price_minor if row.order_id is not None else None,
    }


def bid_answer(answer: BidAnswer) -> dict[str, Any]:
    """A bid's answer: the auction after it and where the bidder stands."""
    decided = answer.decided
    state = decided.decision.state
    view = auction_view(answer.auction, state, answer.leader_name, datetime.now(UTC))
    return {
        "auction": view,
        "bid": {
            "seq": decided.seq,
            "at": (EPOCH + timedelta(milliseconds=decided.bid.at_ms)).isoformat(),
            "leading": state.leader == decided.bid.bidder,
            "outbid": decided.decision.outbid,
            "extended": decided.decision.extended,
            "replayed": decided.replayed,
        },
    }


def bid_view(row: AuctionBid) -> dict[str, Any]:
    """A line of the bid history (staff and the seller only: unmasked bidder ids)."""
    return {
        "seq": row.seq,
        "bidder_id": row.bidder_id,
        "kind": row.kind,
        "amount_minor": row.amount_minor,
        "max_minor": row.max_minor,
        "at": row.at.isoformat() if row.at.tzinfo else row.at.replace(tzinfo=UTC).isoformat(),
        "accepted": row.code is None,
        "code": row.code,
        "price_minor": row.price_minor,
        "leader_id": row.leader_id,
    }


def _ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _ladder(increment: object, ladder: object) -> tuple[Band, ...]:
    if (increment is None) == (ladder is None):
        raise ValidationError(
            "give either increment_minor or ladder", code=AuctionCode.BAD_INCREMENT
        )
    if ladder is None:
        return (Band(0, _int(increment, "increment_minor", AuctionCode.BAD_INCREMENT)),)
    if not isinstance(ladder, list) or not ladder or len(ladder) > MAX_BANDS:
        raise ValidationError(
            f"ladder must be a list of 1 to {MAX_BANDS} bands", code=AuctionCode.BAD_INCREMENT
        )
    bands = []
    for band in ladder:
        given = require_object(
            band, "each band is {from_minor, increment_minor}", AuctionCode.BAD_INCREMENT
        )
        bands.append(
            Band(
                _int(given.get("from_minor"), "from_minor", AuctionCode.BAD_INCREMENT),
                _int(given.get("increment_minor"), "increment_minor", AuctionCode.BAD_INCREMENT),
            )
        )
    return tuple(bands)


def _int(value: object, name: str, code: ErrorCode) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer", code=code)
    if not 0 <= value <= MAX_PRICE_MINOR:
        raise ValidationError(f"{name} must be from 0 to {MAX_PRICE_MINOR}", code=code)
    return value


def _optional(value: object, name: str, code: ErrorCode) -> int | None:
    return None if value is None else _int(value, name, code)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", code=AuctionCode.BAD_AUCTION_TERMS)
    return value
