"""A WHEP viewer's page and the relay: the player's size in, the layer it gets out
(`POST /whep/<id>/<session>/view`, docs/protocol.md "Simulcast layers")."""

from __future__ import annotations

from pydantic import Field

from server.contract.answers import Answer
from server.contract.body import Body

MAX_PLAYER_HEIGHT = 8640  # device pixels: an 8K screen's height, twice over


class PlayerSize(Body):
    """{player_height}: the player's height in device pixels; null: no limit."""

    player_height: int | None = Field(default=None, ge=1, le=MAX_PLAYER_HEIGHT)


class ViewState(Answer):
    """The layer the viewer gets now (null: the host sends one layer, or audio only) and
    whether its link holds only audio; `layers`: what the host sends, lowest first."""

    layer: str | None
    audio_only: bool
    layers: list[str]
