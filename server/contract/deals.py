"""Flash deals: what POST /api/streams/{id}/deals (and the room's `start_deal`) take.

Checked once the caller may start a deal in the show (DealService.authorize_start, the room's
permission matrix); what needs the product (its variant, the deal price below its own) the
service checks after."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from server.contract.body import Cleaned, Id, require_object
from server.core.domain.error_codes import DealCode, ErrorCode, OrderCode
from server.core.domain.errors import ValidationError
from server.core.domain.ids import check_id
from server.core.domain.money import MAX_PRICE_MINOR
from server.core.services.deals import (
    MAX_DEAL_QUANTITY,
    MAX_DURATION_S,
    MAX_START_DELAY_S,
    MIN_DURATION_S,
    DealTerms,
)


class NewDeal(Cleaned):
    product_id: Id
    sku: str | None = None
    price_minor: Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR)]
    duration_s: Annotated[int, Field(ge=MIN_DURATION_S, le=MAX_DURATION_S)]
    starts_in_s: Annotated[int, Field(ge=0, le=MAX_START_DELAY_S)] = 0
    quantity: Annotated[int, Field(ge=1, le=MAX_DEAL_QUANTITY)]
    per_buyer_limit: Annotated[int, Field(ge=1, description="at most the quantity")] = 1

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected an object describing the deal")
        product_id = check_id(given.get("product_id"), "product_id", code=OrderCode.BAD_PRODUCT)
        sku = given.get("sku")
        price = _int(
            given.get("price_minor"), "price_minor", 0, MAX_PRICE_MINOR, DealCode.BAD_PRICE_MINOR
        )
        duration = _int(
            given.get("duration_s"),
            "duration_s",
            MIN_DURATION_S,
            MAX_DURATION_S,
            DealCode.BAD_DURATION_S,
        )
        delay = _int(
            given.get("starts_in_s", 0),
            "starts_in_s",
            0,
            MAX_START_DELAY_S,
            DealCode.BAD_STARTS_IN_S,
        )
        quantity = _int(
            given.get("quantity"), "quantity", 1, MAX_DEAL_QUANTITY, OrderCode.BAD_QUANTITY
        )
        limit = _int(
            given.get("per_buyer_limit", 1),
            "per_buyer_limit",
            1,
            quantity,
            DealCode.BAD_PER_BUYER_LIMIT,
        )
        return {
            "product_id": product_id,
            "sku": None if sku is None else str(sku),  # matched to a variant's, any case
            "price_minor": price,
            "duration_s": duration,
            "starts_in_s": delay,
            "quantity": quantity,
            "per_buyer_limit": limit,
        }

    def terms(self) -> DealTerms:
        return DealTerms(**self.model_dump())


def _int(value: object, name: str, low: int, high: int, code: ErrorCode) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be an integer from {low} to {high}", code=code)
    return value
