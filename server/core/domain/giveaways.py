"""Giveaways: who may enter, which entries count, and the provably fair draw.

Before the entry window opens the server picks a secret seed and publishes its commitment
(`commitment(seed)`, SHA-256 of the seed). When the window closes it draws from the seed and
the sorted list of counted entries (`draw`), then reveals the seed: anyone can check that the
seed matches the commitment and recompute the winners (docs/giveaways.md, step by step, and
docs/verify_giveaway.py, which uses only the standard library).

One entry per account; guests cannot enter. Entries of banned and shadow-banned people are kept
but not counted, and the entrant is told nothing different (`counts`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from server.core.domain.error_codes import GiveawayCode
from server.core.domain.errors import Conflict, Forbidden, ValidationError

MIN_WINDOW_S = 30
MAX_WINDOW_S = 600
MAX_WINNERS = 50
MAX_PRIZE_CHARS = 120
MAX_KEYWORD_CHARS = 30
SEED_BYTES = 32
_KEYWORD = re.compile(rf"[^\s]{{1,{MAX_KEYWORD_CHARS}}}")


class Eligibility(StrEnum):
    """Who may enter: any signed-in account, the host's followers, the show's buyers, or those
    who wrote the keyword in the show's chat."""

    EVERYONE = "everyone"
    FOLLOWERS = "followers"
    BUYERS = "buyers"
    KEYWORD = "keyword"


class EntryWay(StrEnum):
    TAP = "tap"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class GiveawayTerms:
    """A giveaway as the host asks for it: a line-up product or a free-text prize."""

    window_s: int
    winners: int
    eligibility: Eligibility = Eligibility.EVERYONE
    prize_product_id: int | None = None
    prize_text: str | None = None
    keyword: str | None = None

    def __post_init__(self) -> None:
        _check_shape(self)


def check_available(terms: GiveawayTerms, *, followers_exist: bool) -> None:
    """`followers_exist`: following is built; until then a followers-only giveaway is refused
    with `followers_unavailable`."""
    if terms.eligibility == Eligibility.FOLLOWERS and not followers_exist:
        raise Conflict(
            "followers-only giveaways need following, which this server does not have yet",
            code=GiveawayCode.FOLLOWERS_UNAVAILABLE,
        )


def _check_shape(terms: GiveawayTerms) -> None:
    if (terms.prize_product_id is None) == (terms.prize_text is None):
        raise ValidationError(
            "the prize is a line-up product (prize_product_id) or a text (prize_text), one of them",
            code=GiveawayCode.BAD_PRIZE,
        )
    if terms.prize_text is not None and not 1 <= len(terms.prize_text) <= MAX_PRIZE_CHARS:
        raise ValidationError(
            f"prize_text must be 1 to {MAX_PRIZE_CHARS} characters", code=GiveawayCode.BAD_PRIZE
        )
    if not MIN_WINDOW_S <= terms.window_s <= MAX_WINDOW_S:
        raise ValidationError(
            f"window_s must be {MIN_WINDOW_S} to {MAX_WINDOW_S} seconds",
            code=GiveawayCode.BAD_ENTRY_WINDOW,
        )
    if not 1 <= terms.winners <= MAX_WINNERS:
        raise ValidationError(f"winners must be 1 to {MAX_WINNERS}", code=GiveawayCode.BAD_WINNERS)
    wants_keyword = terms.eligibility == Eligibility.KEYWORD
    if wants_keyword != (terms.keyword is not None):
        raise ValidationError(
            "a keyword giveaway names its keyword, and only a keyword giveaway has one",
            code=GiveawayCode.BAD_KEYWORD,
        )
    if terms.keyword is not None and not _KEYWORD.fullmatch(terms.keyword):
        raise ValidationError(
            f"keyword must be one word of 1 to {MAX_KEYWORD_CHARS} characters",
            code=GiveawayCode.BAD_KEYWORD,
        )


# -- entering --------------------------------------------------------------------------------


def check_entry(
    eligibility: Eligibility,
    way: EntryWay,
    *,
    is_guest: bool,
    bought_in_show: bool = False,
    follows_host: bool = False,
) -> None:
    """May this person enter this way? Guests never; a keyword giveaway only by the keyword in
    chat; a buyers-only one only after an order in the show."""
    if is_guest:
        raise Forbidden("sign in to enter giveaways", code=GiveawayCode.NOT_ELIGIBLE)
    if eligibility == Eligibility.KEYWORD and way != EntryWay.KEYWORD:
        raise Conflict("write the keyword in the chat to enter", code=GiveawayCode.KEYWORD_ENTRY)
    if eligibility == Eligibility.BUYERS and not bought_in_show:
        raise Forbidden("only buyers in this show may enter", code=GiveawayCode.NOT_ELIGIBLE)
    if eligibility == Eligibility.FOLLOWERS and not follows_host:
        raise Forbidden("only the host's followers may enter", code=GiveawayCode.NOT_ELIGIBLE)


def check_open(ends_at: datetime, drawn: bool, now: datetime) -> None:
    """Entries are taken while now < ends_at by the server's clock, never after the draw."""
    if drawn or now >= ends_at:
        raise Conflict("this giveaway's entry window has closed", code=GiveawayCode.GIVEAWAY_CLOSED)


def counts(*, banned: bool, shadow_banned: bool) -> bool:
    """Does an entry count? Not a banned or shadow-banned person's (who is told the same)."""
    return not (banned or shadow_banned)


def says_keyword(keyword: str, text: str) -> bool:
    """A chat line enters a keyword giveaway when one of its words is the keyword (any case,
    punctuation around it ignored)."""
    wanted = keyword.casefold()
    return any(word.strip(".,!?;:()\"'").casefold() == wanted for word in text.split())


# -- the draw --------------------------------------------------------------------------------


def new_seed() -> str:
    """A secret seed: 32 random bytes as 64 lowercase hex characters."""
    return secrets.token_hex(SEED_BYTES)


def commitment(seed: str) -> str:
    """SHA-256 of the seed's ASCII text, hex: published before entries open."""
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def sorted_entries(entrants: Iterable[str]) -> list[str]:
    """Each entrant once, in the order of their UTF-8 bytes (Python's str order for them)."""
    return sorted(set(entrants), key=lambda e: e.encode("utf-8"))


def entries_digest(entrants: Sequence[str]) -> str:
    """SHA-256, hex, of the sorted entrants joined by newlines (UTF-8)."""
    return hashlib.sha256("\n".join(sorted_entries(entrants)).encode("utf-8")).hexdigest()


def draw(seed: str, entrants: Iterable[str], winners: int) -> list[str]:
    """The winners, in the order drawn: pool = the sorted entrants; for round k = 0, 1, ...
    take h = SHA-256 of "<seed>:<entries digest>:<k>" as a big-endian integer and move
    pool[h mod len(pool)] to the winners, until `winners` are drawn or the pool is empty."""
    pool = sorted_entries(entrants)
    digest = entries_digest(pool)
    chosen: list[str] = []
    k = 0
    while pool and len(chosen) < winners:
        h = hashlib.sha256(f"{seed}:{digest}:{k}".encode("ascii")).digest()
        chosen.append(pool.pop(int.from_bytes(h, "big") % len(pool)))
        k += 1
    return chosen


def verifies(seed: str, published: str, entrants: Iterable[str], winners: Sequence[str]) -> bool:
    """Does the revealed seed match the commitment, and give these winners?"""
    return commitment(seed) == published and draw(seed, entrants, len(winners)) == list(winners)


def masked(name: str) -> str:
    """A winner's display name as the room sees it: its first two characters and ***."""
    return name[:2] + "***"
