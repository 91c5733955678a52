"""Giveaways: what the room's `start_giveaway` takes, and the giveaway as the room and the HTTP
API show it (docs/protocol.md "Giveaways")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from server.contract.body import Cleaned, Id
from server.contract.payloads import OneId, Payload
from server.core.domain.error_codes import ErrorCode, GeneralCode, GiveawayCode
from server.core.domain.errors import ValidationError
from server.core.domain.giveaways import (
    MAX_WINDOW_S,
    MAX_WINNERS,
    MIN_WINDOW_S,
    Eligibility,
    GiveawayTerms,
    entries_digest,
    masked,
)
from server.core.domain.ids import check_id
from server.core.services.giveaways import winners_of
from server.core.store.rows import Giveaway, as_utc

JSON = dict[str, Any]


class NewGiveaway(Cleaned):
    """{prize_product_id | prize_text, window_s, winners?, eligibility?, keyword?}"""

    prize_product_id: Id | None = None
    prize_text: str | None = None
    window_s: int
    winners: int = 1
    eligibility: Literal["everyone", "followers", "buyers", "keyword"] = "everyone"
    keyword: str | None = None

    @classmethod
    def rules(cls, data: object) -> object:
        if not isinstance(data, dict):
            raise ValidationError("expected an object", code=GeneralCode.BAD_PAYLOAD)
        product = data.get("prize_product_id")
        if product is not None:
            product = check_id(product, "prize_product_id", code=GiveawayCode.BAD_PRIZE)
        text = data.get("prize_text")
        if text is not None:
            text = _text(text, "prize_text", GiveawayCode.BAD_PRIZE)
        eligibility = data.get("eligibility", Eligibility.EVERYONE.value)
        if eligibility not in set(Eligibility):
            raise ValidationError(
                "eligibility is everyone, followers, buyers or keyword",
                code=GiveawayCode.BAD_ELIGIBILITY,
            )
        keyword = data.get("keyword")
        if keyword is not None:
            keyword = _text(keyword, "keyword", GiveawayCode.BAD_KEYWORD)
        terms = GiveawayTerms(
            window_s=_int(data.get("window_s"), "window_s", MIN_WINDOW_S, MAX_WINDOW_S,
                          GiveawayCode.BAD_ENTRY_WINDOW),
            winners=_int(data.get("winners", 1), "winners", 1, MAX_WINNERS,
                         GiveawayCode.BAD_WINNERS),
            eligibility=Eligibility(eligibility),
            prize_product_id=product,
            prize_text=text,
            keyword=keyword,
        )  # fmt: skip
        return {
            "prize_product_id": terms.prize_product_id,
            "prize_text": terms.prize_text,
            "window_s": terms.window_s,
            "winners": terms.winners,
            "eligibility": terms.eligibility.value,
            "keyword": terms.keyword,
        }

    def terms(self) -> GiveawayTerms:
        return GiveawayTerms(
            window_s=self.window_s,
            winners=self.winners,
            eligibility=Eligibility(self.eligibility),
            prize_product_id=self.prize_product_id,
            prize_text=self.prize_text,
            keyword=self.keyword,
        )


class GiveawayRef(OneId):
    giveaway_id: Id


class EnterGiveaway(Payload):
    """{giveaway_id?}: the show's running giveaway when left out."""

    giveaway_id: Id | None = None

    @classmethod
    def rules(cls, data: object) -> object:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ValidationError("expected an object", code=GeneralCode.BAD_PAYLOAD)
        if data.get("giveaway_id") is not None:
            check_id(data["giveaway_id"], "giveaway_id")
        return data

    @classmethod
    def of(cls, data: object) -> int | None:
        return cls.parse({} if data is None else data).giveaway_id


def giveaway_view(giveaway: Giveaway, now: datetime) -> JSON:
    """The giveaway with its countdown and its commitment; once drawn, the winners and the proof
    (the seed, and the digest of the entries the draw took)."""
    drawn = giveaway.drawn_at is not None
    ends_at = as_utc(giveaway.ends_at)
    phase = "drawn" if drawn else ("open" if now < ends_at else "drawing")
    winners = [
        {"subject": w.subject, "display_name": masked(w.display_name), "order_id": w.order_id}
        for w in winners_of(giveaway)
    ]
    return {
        "id": giveaway.id,
        "stream_id": giveaway.stream_id,
        "prize": {"product_id": giveaway.prize_product_id, "text": giveaway.prize_text},
        "eligibility": giveaway.eligibility,
        "keyword": giveaway.keyword,
        "winner_count": giveaway.winner_count,
        "commitment": giveaway.commitment,
        "opens_at": as_utc(giveaway.opens_at).isoformat(),
        "ends_at": ends_at.isoformat(),
        "server_time": now.isoformat(),
        "phase": phase,
        "entrants": giveaway.entrants,
        "winners": winners if drawn else None,
        "seed": giveaway.seed if drawn else None,
    }


def entries_export(giveaway: Giveaway, entrants: list[str]) -> JSON:
    """What docs/verify_giveaway.py takes: the commitment, the seed (once drawn), the counted
    entries sorted, and the winners drawn."""
    drawn = giveaway.drawn_at is not None
    return {
        "giveaway_id": giveaway.id,
        "commitment": giveaway.commitment,
        "seed": giveaway.seed if drawn else None,
        "winner_count": giveaway.winner_count,
        "entries": entrants,
        "entries_digest": entries_digest(entrants),
        "winners": [w.subject for w in winners_of(giveaway)] if drawn else None,
    }


def _text(value: object, name: str, code: ErrorCode) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string", code=code)
    return value.strip()


def _int(value: object, name: str, low: int, high: int, code: ErrorCode) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be an integer from {low} to {high}", code=code)
    return value
