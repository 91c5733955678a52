"""Show rules: languages, titles, status transitions and line-ups."""

from __future__ import annotations

from enum import StrEnum

from server.core.domain.error_codes import GeneralCode, StreamCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.ids import is_id

LANGUAGES = ("en", "fr", "es", "pt", "it", "pl", "ru", "uk")
MAX_LINEUP = 50
MAX_PINS = 3  # products pinned at once; pinning one more lets the oldest pin go


class StreamStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


def check_language(language: object) -> str:
    if language not in LANGUAGES:
        raise ValidationError(
            f"language must be one of {', '.join(LANGUAGES)}", code=GeneralCode.BAD_LANGUAGE
        )
    return str(language)


def check_title(title: object, *, max_chars: int = 200) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError("title must be a non-empty string", code=GeneralCode.BAD_TITLE)
    title = title.strip()
    if len(title) > max_chars:
        raise ValidationError(
            f"title must be at most {max_chars} characters", code=GeneralCode.BAD_TITLE
        )
    return title


def check_lineup(product_ids: object) -> list[int]:
    if not isinstance(product_ids, list) or not all(is_id(p) for p in product_ids):
        raise ValidationError(
            "product_ids must be a list of product ids", code=StreamCode.BAD_LINEUP
        )
    if len(product_ids) > MAX_LINEUP:
        raise ValidationError(
            f"a line-up holds at most {MAX_LINEUP} products", code=StreamCode.BAD_LINEUP
        )
    if len(set(product_ids)) != len(product_ids):
        raise ValidationError("product_ids lists a product twice", code=StreamCode.BAD_LINEUP)
    return product_ids


def check_can_go_live(status: str) -> None:
    if status == StreamStatus.ENDED:
        raise Conflict("this show has ended; schedule a new one", code=StreamCode.STREAM_ENDED)


def check_can_end(status: str) -> None:
    if status == StreamStatus.ENDED:
        raise Conflict("this show has already ended", code=StreamCode.STREAM_ENDED)
