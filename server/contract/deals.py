"""Flash deals: what POST /api/streams/{id}/deals (and the room's `start_deal`) take, checked by
server/core/services/deals.py among its permission checks."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from server.contract.body import Id, RulesBody
from server.contract.shapes import Price, shown
from server.core.domain.deals import MAX_DURATION

MAX_S = int(MAX_DURATION.total_seconds())


class NewDeal(RulesBody):
    model_config = ConfigDict(
        json_schema_extra={"required": ["product_id", "price_minor", "duration_s", "quantity"]}
    )
    product_id: Annotated[Any, shown(Id)] = None
    sku: Annotated[Any, shown(str)] = None
    price_minor: Annotated[Any, shown(Price)] = None
    duration_s: Annotated[Any, shown(Annotated[int, Field(ge=10, le=MAX_S)])] = None
    starts_in_s: Annotated[Any, shown(Annotated[int, Field(ge=0, le=MAX_S)])] = None
    quantity: Annotated[Any, shown(Annotated[int, Field(ge=1)])] = None
    per_buyer_limit: Annotated[Any, shown(Annotated[int, Field(ge=1)])] = None
