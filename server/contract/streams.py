"""Shows: what POST /api/streams and PUT /api/streams/{id}/lineup take (checked by
server/core/services/streams.py after the caller's role)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict

from server.contract.body import Body, Id, RulesBody
from server.contract.shapes import Language, Time, shown

Ids = Annotated[Any, shown(list[Id])]


class NewStream(RulesBody):
    model_config = ConfigDict(json_schema_extra={"required": ["title"]})
    title: Annotated[Any, shown(str)] = None
    language: Annotated[Any, shown(Language)] = None
    scheduled_at: Annotated[Any, shown(Time)] = None
    product_ids: Ids = None


class Lineup(Body):
    model_config = ConfigDict(json_schema_extra={"required": ["product_ids"]})
    product_ids: Ids = None
