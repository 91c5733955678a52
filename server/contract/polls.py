"""Polls: what the room's `start_poll` and `vote` take, and the poll as the room and the HTTP
API show it (docs/protocol.md "Polls")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.contract.body import Cleaned, Id
from server.contract.payloads import OneId, Payload
from server.core.domain.error_codes import GeneralCode, PollCode
from server.core.domain.errors import ValidationError
from server.core.domain.ids import check_id
from server.core.domain.polls import MAX_OPTIONS, PollOption, PollTerms, is_open, percentages
from server.core.services.polls import results_of
from server.core.store.rows import Poll, as_utc

JSON = dict[str, Any]


class NewPoll(Cleaned):
    """{question, options: [text | {text} | {product_id}], duration_s?}"""

    question: str
    options: list[dict[str, Any]]
    duration_s: int | None = None

    @classmethod
    def rules(cls, data: object) -> object:
        if not isinstance(data, dict):
            raise ValidationError("expected an object", code=GeneralCode.BAD_PAYLOAD)
        question = data.get("question")
        if not isinstance(question, str):
            raise ValidationError("question must be a string", code=PollCode.BAD_QUESTION)
        given = data.get("options")
        if not isinstance(given, list) or len(given) > MAX_OPTIONS:
            raise ValidationError(
                f"options must be a list of 2 to {MAX_OPTIONS}", code=PollCode.BAD_POLL_OPTIONS
            )
        duration = data.get("duration_s")
        if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)):
            raise ValidationError("duration_s must be an integer", code=PollCode.BAD_POLL_DURATION)
        terms = PollTerms(question.strip(), tuple(_option(o) for o in given), duration)
        return {
            "question": terms.question,
            "options": [{"text": o.text, "product_id": o.product_id} for o in terms.options],
            "duration_s": terms.duration_s,
        }

    def terms(self) -> PollTerms:
        options = tuple(PollOption(o["text"], o["product_id"]) for o in self.options)
        return PollTerms(self.question, options, self.duration_s)


class PollRef(OneId):
    poll_id: Id


class Vote(Payload):
    """{poll_id, choice}: `choice` the option's index, from 0."""

    poll_id: Id
    choice: int

    @classmethod
    def rules(cls, data: object) -> object:
        if not isinstance(data, dict):
            raise ValidationError("expected {poll_id, choice}", code=GeneralCode.BAD_PAYLOAD)
        check_id(data.get("poll_id"), "poll_id")
        choice = data.get("choice")
        if isinstance(choice, bool) or not isinstance(choice, int) or choice < 0:
            raise ValidationError("choice must be an option's index", code=PollCode.BAD_CHOICE)
        return data


def _option(given: object) -> PollOption:
    if isinstance(given, str):
        return PollOption(text=given.strip())
    if isinstance(given, dict) and "product_id" in given:
        return PollOption(product_id=check_id(given["product_id"], "product_id"))
    if isinstance(given, dict) and isinstance(given.get("text"), str):
        return PollOption(text=given["text"].strip())
    raise ValidationError("an option is a text or {product_id}", code=PollCode.BAD_POLL_OPTIONS)


def poll_view(poll: Poll, now: datetime) -> JSON:
    """The poll with its live counts and percentages (the stored final results once closed)."""
    counts = [o.votes for o in poll.options]
    final = results_of(poll)
    if final is not None:
        counts = final["votes"]
    ends_at = as_utc(poll.ends_at) if poll.ends_at is not None else None
    shares = percentages(counts)
    return {
        "id": poll.id,
        "stream_id": poll.stream_id,
        "question": poll.question,
        "options": [
            {"text": o.text, "product_id": o.product_id, "votes": n, "percent": p}
            for o, n, p in zip(poll.options, counts, shares, strict=True)
        ],
        "total": sum(counts),
        "open": is_open(ends_at, poll.closed_at is not None, now),
        "opened_at": as_utc(poll.opened_at).isoformat(),
        "ends_at": ends_at.isoformat() if ends_at else None,
        "closed_at": as_utc(poll.closed_at).isoformat() if poll.closed_at else None,
        "server_time": now.isoformat(),
    }
