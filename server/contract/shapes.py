"""Field shapes shared by the request models, from the domain's own constants."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from server.core.domain.commissions import FULL_BP
from server.core.domain.money import MAX_PRICE_MINOR
from server.core.domain.orders import IDEMPOTENCY_KEY, MAX_QUANTITY_PER_ORDER
from server.core.domain.variants import MAX_STOCK, SKU

# `T | Omitted = None`: may be left out, but null is not a value (the document says so).
Omitted = SkipJsonSchema[None]
Language = Literal["en", "fr", "es", "pt", "it", "pl", "ru", "uk"]  # domain/streams.LANGUAGES
RoleName = Literal["viewer", "host", "seller", "moderator", "admin", "coach"]  # domain/roles.Role
Texts = str | dict[Language, str]  # a string is in the product's `language`
Price = Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR)]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK)]
Rate = Annotated[int, Field(ge=0, le=FULL_BP)]  # basis points
Sku = Annotated[str, Field(pattern=SKU.pattern)]
Currency = Annotated[str, Field(pattern="^[A-Z]{3}$")]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY_PER_ORDER)]
IdempotencyKey = Annotated[str, Field(pattern=IDEMPOTENCY_KEY.pattern)]
Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def shown(shape: Any) -> WithJsonSchema:
    """For `Annotated[X, shown(T)]`: the document shows T for a field whose rules are not
    pydantic's. X is `Any` where the room's rules check the value itself, in their own order
    among their permission checks (server/contract/moderation.py); a cleaned type looser than
    T where the domain checks the rest later (a coupon's code, whose case does not matter)."""
    return WithJsonSchema(TypeAdapter(shape).json_schema())
