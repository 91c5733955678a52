"""Replays on the wire: what PATCH /api/streams/{id}/replay takes, what the replay routes
answer (models for the OpenAPI document) and the views that build those answers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from server.contract.answers import Answer, Product
from server.contract.body import Cleaned, require_object
from server.contract.serializers import iso, message_view, product_view
from server.contract.shapes import Omitted, Time
from server.core.domain import replays as rules
from server.core.domain.error_codes import ReplayCode
from server.core.domain.errors import ValidationError
from server.core.domain.recordings import CONTENT_TYPES
from server.core.services.replays import ChatReplay, Listed, Replay
from server.core.store.rows import Stream

Setting = Literal["on", "off", "unlisted"]  # domain/replays.ReplaySetting
JSON = dict[str, Any]


class ReplayPatch(Cleaned):
    """`replay` (the host or an admin) and `taken_down` (admins): at least one of them."""

    replay: Setting | Omitted = None
    taken_down: bool | Omitted = None

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data)
        cleaned: dict[str, object] = {}
        if "replay" in given:
            cleaned["replay"] = rules.check_setting(given["replay"])
        if "taken_down" in given:
            if not isinstance(given["taken_down"], bool):
                raise ValidationError(
                    "taken_down must be true or false", code=ReplayCode.BAD_REPLAY_SETTING
                )
            cleaned["taken_down"] = given["taken_down"]
        if not cleaned:
            raise ValidationError(
                "send replay, taken_down or both", code=ReplayCode.BAD_REPLAY_SETTING
            )
        return cleaned


# -- answers ----------------------------------------------------------------------------------

State = Literal["listed", "unlisted", "off", "taken_down"]  # domain/replays.ReplayState
Offset = Annotated[int, Field(ge=0)]


class Chapter(Answer):
    product_id: int | None = None
    title: str | None = None
    image_url: str | None = None
    start_ms: Offset | None = None
    end_ms: Offset | None = None


class DealAsItRan(Answer):
    """A flash deal of the show, placed on the replay: shown, never bought at its price."""

    id: int | None = None
    product_id: int | None = None
    variant_id: int | None = None
    price_minor: int | None = None
    currency: str | None = None
    quantity: int | None = None
    sold: int | None = None
    start_ms: Offset | None = None
    end_ms: Offset | None = None


class ReplayMedia(Answer):
    recording_id: int | None = None
    content_type: Literal["video/mp4", "video/webm"] | None = None
    duration_ms: int | None = Field(None, description="of a live show: as far as it holds now")
    url: str | None = Field(None, description="signed: works without a token until expires_at")
    expires_at: Time | None = None


class ReplayAnswer(Answer):
    stream_id: int | None = None
    status: Literal["live", "ended"] | None = Field(
        None, description="live: staff's rewind of the recording still being written"
    )
    title: str | None = None
    language: str | None = None
    host: dict | None = None
    state: State | None = None
    replay: Setting | None = None
    taken_down: bool | None = None
    buyable: bool | None = None
    ended_at: Time | None = None
    media: ReplayMedia | None = None
    chapters: list[Chapter] | None = None
    lineup: list[Product] | None = None
    deals: list[DealAsItRan] | None = None


class ReplayLine(Answer):
    id: int | None = None
    display_name: str | None = None
    role: str | None = None
    text: str | None = None
    language: str | None = None
    question: bool | None = None
    answered: bool | None = None
    pinned: bool | None = None
    offset_ms: Offset | None = None


class ReplayChat(Answer):
    from_ms: Offset | None = None
    to_ms: Offset | None = None
    next_from_ms: Offset | None = Field(None, description="more lines: ask again from here")
    messages: list[ReplayLine] | None = None


class ReplaySettingAnswer(Answer):
    stream_id: int | None = None
    replay: Setting | None = None
    taken_down: bool | None = None
    state: State | None = None


class ListedReplay(Answer):
    stream_id: int | None = None
    title: str | None = None
    language: str | None = None
    host: dict | None = None
    ended_at: Time | None = None
    duration_ms: int | None = None
    chapters: int | None = None


class Replays(Answer):
    replays: list[ListedReplay] | None = None


# -- views ------------------------------------------------------------------------------------


def replay_view(replay: Replay, media_url: str, expires_at: str, language: str | None) -> JSON:
    stream, recording = replay.stream, replay.recording
    taken_down = stream.replay_taken_down_at is not None
    return {
        **setting_view(stream),
        "status": stream.status,
        "title": stream.title,
        "language": stream.language,
        "host": {"id": stream.host.id, "display_name": stream.host.display_name},
        "buyable": rules.is_buyable(stream.status, stream.replay, taken_down, True),
        "ended_at": iso(stream.ended_at),
        "media": {
            "recording_id": recording.id,
            "content_type": CONTENT_TYPES[recording.container],
            "duration_ms": replay.span.duration_ms,
            "url": media_url,
            "expires_at": expires_at,
        },
        "chapters": [
            {
                "product_id": c.product_id,
                "title": c.title,
                "image_url": c.image_url,
                "start_ms": c.start_ms,
                "end_ms": c.end_ms,
            }
            for c in replay.chapters
        ],
        "lineup": [product_view(p, language) for p in replay.lineup],
        "deals": [
            {
                "id": d.deal.id,
                "product_id": d.deal.product_id,
                "variant_id": d.deal.variant_id,
                "price_minor": d.deal.price_minor,
                "currency": d.deal.currency,
                "quantity": d.deal.quantity,
                "sold": d.deal.sold,
                "start_ms": d.start_ms,
                "end_ms": d.end_ms,
            }
            for d in replay.deals
        ],
    }


def setting_view(stream: Stream) -> JSON:
    taken_down = stream.replay_taken_down_at is not None
    return {
        "stream_id": stream.id,
        "replay": stream.replay,
        "taken_down": taken_down,
        "state": rules.state(stream.replay, taken_down),
    }


def chat_view(chat: ChatReplay) -> JSON:
    messages = []
    for line in chat.page.lines:
        said = message_view(chat.messages[line.id])
        keep = ("id", "display_name", "role", "text", "language", "question")
        messages.append(
            {k: said[k] for k in keep}
            | {"answered": line.answered, "pinned": line.pinned, "offset_ms": line.offset_ms}
        )
    return {
        "from_ms": chat.window.from_ms,
        "to_ms": chat.window.to_ms,
        "next_from_ms": chat.page.next_from_ms,
        "messages": messages,
    }


def listed_view(listed: Listed) -> JSON:
    stream = listed.stream
    return {
        "stream_id": stream.id,
        "title": stream.title,
        "language": stream.language,
        "host": {"id": stream.host.id, "display_name": stream.host.display_name},
        "ended_at": iso(stream.ended_at),
        "duration_ms": listed.recording.duration_ms,
        "chapters": listed.chapters,
    }
