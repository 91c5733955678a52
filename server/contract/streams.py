"""Shows: what POST /api/streams and PUT /api/streams/{id}/lineup take, checked by the show
rules (server/core/domain/streams.py) inside the models. Scheduling is checked once the caller
may schedule (StreamService.authorize_schedule); a line-up before its show is looked up."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from server.contract.body import Cleaned, Id, require_object
from server.contract.shapes import Language
from server.core.domain import streams as rules
from server.core.domain.error_codes import GeneralCode
from server.core.domain.errors import ValidationError
from server.core.domain.replays import check_setting

Ids = Annotated[list[Id], Field(max_length=rules.MAX_LINEUP)]


class NewStream(Cleaned):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    language: Language = "en"
    scheduled_at: datetime | None = None
    product_ids: Ids = []
    replay: Literal["on", "off", "unlisted"] = "on"  # after the show (domain/replays.py)

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data)
        lineup = rules.check_lineup(given.get("product_ids", []))
        return {
            "product_ids": lineup,
            "title": rules.check_title(given.get("title")),
            "language": rules.check_language(given.get("language", "en")),
            "scheduled_at": _time(given.get("scheduled_at")),
            "replay": check_setting(given.get("replay", "on")),
        }


class Lineup(Cleaned):
    product_ids: Ids

    @classmethod
    def rules(cls, data: object) -> object:
        return {"product_ids": rules.check_lineup(require_object(data).get("product_ids"))}


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            "scheduled_at must be an ISO 8601 time", code=GeneralCode.BAD_TIME
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError("scheduled_at needs a time zone offset", code=GeneralCode.BAD_TIME)
    return parsed
