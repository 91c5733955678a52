"""Polls: a question with 2-6 options (texts or line-up products), one vote per voter, results
as whole percentages that add up to 100.

A voter is an account, or a guest known by their guest token *and* their device fingerprint
(chat/fingerprint.py): a guest who comes back under a new guest name from the same device has
already voted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from server.core.domain.error_codes import PollCode
from server.core.domain.errors import Conflict, ValidationError

MIN_OPTIONS = 2
MAX_OPTIONS = 6
MAX_QUESTION_CHARS = 200
MAX_OPTION_CHARS = 80
MIN_DURATION_S = 10
MAX_DURATION_S = 3600


@dataclass(frozen=True)
class PollOption:
    """A text, or a line-up product (shown with its card)."""

    text: str | None = None
    product_id: int | None = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.product_id is None):
            raise ValidationError(
                "each option is a text or a product_id, one of them",
                code=PollCode.BAD_POLL_OPTIONS,
            )
        if self.text is not None and not 1 <= len(self.text) <= MAX_OPTION_CHARS:
            raise ValidationError(
                f"an option's text is 1 to {MAX_OPTION_CHARS} characters",
                code=PollCode.BAD_POLL_OPTIONS,
            )


@dataclass(frozen=True)
class PollTerms:
    question: str
    options: tuple[PollOption, ...]
    duration_s: int | None = None  # None: open until the host closes it

    def __post_init__(self) -> None:
        if not 1 <= len(self.question) <= MAX_QUESTION_CHARS:
            raise ValidationError(
                f"question must be 1 to {MAX_QUESTION_CHARS} characters",
                code=PollCode.BAD_QUESTION,
            )
        if not MIN_OPTIONS <= len(self.options) <= MAX_OPTIONS:
            raise ValidationError(
                f"a poll has {MIN_OPTIONS} to {MAX_OPTIONS} options",
                code=PollCode.BAD_POLL_OPTIONS,
            )
        texts = [o.text.casefold() for o in self.options if o.text is not None]
        products = [o.product_id for o in self.options if o.product_id is not None]
        if len(set(texts)) != len(texts) or len(set(products)) != len(products):
            raise ValidationError(
                "the options must differ from each other", code=PollCode.BAD_POLL_OPTIONS
            )
        if self.duration_s is not None and not MIN_DURATION_S <= self.duration_s <= MAX_DURATION_S:
            raise ValidationError(
                f"duration_s must be {MIN_DURATION_S} to {MAX_DURATION_S} seconds, or left out",
                code=PollCode.BAD_POLL_DURATION,
            )


@dataclass(frozen=True)
class Voter:
    """Who votes: `key` their subject (u:<id> or g:<hex>); `device` a guest's fingerprint."""

    key: str
    device: str | None = None


def voter(subject: str, is_guest: bool, fingerprint: str | None) -> Voter:
    return Voter(subject, fingerprint if is_guest else None)


def check_choice(choice: int, options: int) -> None:
    if not 0 <= choice < options:
        raise ValidationError(
            f"choice must be an option's index, 0 to {options - 1}", code=PollCode.BAD_CHOICE
        )


def check_open(ends_at: datetime | None, closed: bool, now: datetime) -> None:
    if closed or (ends_at is not None and now >= ends_at):
        raise Conflict("this poll is closed", code=PollCode.POLL_CLOSED)


def is_open(ends_at: datetime | None, closed: bool, now: datetime) -> bool:
    return not closed and (ends_at is None or now < ends_at)


def percentages(counts: Sequence[int]) -> list[int]:
    """Whole percentages that add up to 100 (all 0 with no votes): each option gets the floor
    of its exact share, and the points left go to the largest remainders (the earlier option
    on a tie). Each is within 1 of the exact share."""
    total = sum(counts)
    if total == 0:
        return [0] * len(counts)
    floors = [100 * c // total for c in counts]
    left = 100 - sum(floors)
    by_remainder = sorted(range(len(counts)), key=lambda i: (-(100 * counts[i] % total), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return floors
