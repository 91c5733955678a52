"""Coupons: what POST /api/coupons takes, checked by server/core/services/coupons.py after the
caller's role."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from server.contract.body import Id, RulesBody
from server.contract.shapes import Currency, Time, shown
from server.core.domain.coupons import FULL_BP

Positive = Annotated[Any, shown(Annotated[int, Field(ge=1)])]


class NewCoupon(RulesBody):
    """Exactly one of percent_bp and fixed_minor; currency goes with fixed_minor and
    min_order_minor. Sellers: their shop (scope seller). Hosts: one of their shows
    (stream_id). Admins: any scope, platform included."""

    model_config = ConfigDict(json_schema_extra={"required": ["code"]})
    code: Annotated[
        Any, shown(Annotated[str, Field(pattern="^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$")])
    ] = None
    percent_bp: Annotated[Any, shown(Annotated[int, Field(ge=1, le=FULL_BP)])] = None
    fixed_minor: Positive = None
    currency: Annotated[Any, shown(Currency)] = None
    min_order_minor: Positive = None
    starts_at: Annotated[Any, shown(Time)] = None
    ends_at: Annotated[Any, shown(Time)] = None
    max_uses: Positive = None
    per_buyer_limit: Positive = None
    scope: Annotated[Any, shown(Literal["stream", "seller", "platform"])] = None
    stream_id: Annotated[Any, shown(Id)] = None
    seller_id: Annotated[Any, shown(Id)] = None
