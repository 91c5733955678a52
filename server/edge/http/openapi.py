"""The OpenAPI 3.1 document of the HTTP API, served at /api/openapi.json.

Built from one table so that tests can check it against the routes the app really has.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

import server

routes = web.RouteTableDef()

ERROR = {"$ref": "#/components/schemas/Error"}
ID = {"type": "integer", "minimum": 1}
STR = {"type": "string"}
INT = {"type": "integer"}
OBJECT = {"type": "object"}
IDEMPOTENCY_KEY = {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"}
LANGUAGE = {"enum": ["en", "fr", "es", "pt", "it", "pl", "ru", "uk"]}
BY_LANGUAGE = {"type": "object", "propertyNames": LANGUAGE, "additionalProperties": STR}
TEXTS = {"oneOf": [STR, BY_LANGUAGE]}  # a string is in the product's `language`
PRICE = {"type": "integer", "minimum": 0}
STOCK = {"type": "integer", "minimum": 0, "maximum": 1_000_000}
SKU = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"}
RATE = {"type": "integer", "minimum": 0, "maximum": 10_000}  # basis points
RATE_OR_NULL = {"type": ["integer", "null"], "minimum": 0, "maximum": 10_000}
OPTION = {
    "type": "object",
    "required": ["name", "values"],
    "properties": {"name": STR, "values": {"type": "array", "minItems": 1, "items": STR}},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": STR, "message": STR},
            }
        },
    },
    "Credentials": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {"email": STR, "password": STR},
    },
    "NewAccount": {
        "type": "object",
        "required": ["email", "password", "display_name"],
        "properties": {
            "email": STR,
            "password": {"type": "string", "minLength": 8},
            "display_name": {"type": "string", "maxLength": 40},
            "role": {"enum": ["viewer", "host", "seller", "moderator", "admin"]},
        },
    },
    "Guest": {"type": "object", "required": ["display_name"], "properties": {"display_name": STR}},
    "AccountChange": {
        "type": "object",
        "minProperties": 1,
        "properties": {
            "role": {"enum": ["viewer", "host", "seller", "moderator", "admin"]},
            "disabled": {"type": "boolean"},
        },
    },
    "Session": {
        "type": "object",
        "properties": {"user": {"type": "object"}, "token": STR, "expires_in": {"type": "integer"}},
    },
    "Seller": {
        "type": "object",
        "required": ["name", "country"],
        "properties": {"name": STR, "country": {"type": "string", "pattern": "^[A-Z]{2}$"}},
    },
    "ShopChange": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {"name": STR, "commission_bp": RATE_OR_NULL},
    },
    "Shop": {
        "type": "object",
        "properties": {"id": ID, "name": STR, "country": STR, "commission_bp": RATE_OR_NULL},
    },
    "NewProduct": {
        "type": "object",
        "description": "Either `stock` (no options: one variant, SKU P<id>) or `options` and "
        "`variants`, never both.",
        "required": ["title", "price_minor", "currency"],
        "additionalProperties": False,
        "properties": {
            "title": TEXTS,
            "description": TEXTS,
            "language": LANGUAGE,
            "image_url": STR,
            "price_minor": PRICE,
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "stock": STOCK,
            "options": {"type": "array", "maxItems": 3, "items": OPTION},
            "variants": {
                "type": "array",
                "minItems": 1,
                "maxItems": 100,
                "items": {
                    "type": "object",
                    "required": ["sku", "stock"],
                    "properties": {
                        "sku": SKU,
                        "options": {"type": "object", "additionalProperties": STR},
                        "stock": STOCK,
                        "price_minor": PRICE,
                    },
                },
            },
            "commission_bp": RATE_OR_NULL,
        },
    },
    "ProductChange": {
        "type": "object",
        "description": "`stock` only for a product with one variant (else 409 has_variants). "
        "A string title/description is the default language's text; an object sets the "
        'languages it names ("" removes one).',
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "title": TEXTS,
            "description": TEXTS,
            "image_url": STR,
            "price_minor": PRICE,
            "stock": STOCK,
            "commission_bp": RATE_OR_NULL,
        },
    },
    "VariantChange": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {"stock": STOCK, "price_minor": {"type": ["integer", "null"], "minimum": 0}},
    },
    "Product": {
        "type": "object",
        "properties": {
            "id": ID,
            "seller_id": ID,
            "seller_name": STR,
            "title": STR,
            "description": STR,
            "image_url": STR,
            "price_minor": INT,
            "currency": STR,
            "stock": INT,
            "language": LANGUAGE,
            "titles": BY_LANGUAGE,
            "descriptions": BY_LANGUAGE,
            "options": {"type": "array", "items": OPTION},
            "variants": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": ID,
                        "sku": SKU,
                        "options": {"type": "object", "additionalProperties": STR},
                        "stock": INT,
                        "price_minor": INT,
                    },
                },
            },
            "commission_bp": RATE_OR_NULL,
            "effective_commission_bp": RATE,
        },
    },
    "NewStream": {
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": STR,
            "language": {"enum": ["en", "fr", "es", "pt", "it", "pl", "ru", "uk"]},
            "scheduled_at": {"type": "string", "format": "date-time"},
            "product_ids": {"type": "array", "items": ID},
        },
    },
    "Lineup": {
        "type": "object",
        "required": ["product_ids"],
        "properties": {"product_ids": {"type": "array", "items": ID}},
    },
    "Stream": {
        "type": "object",
        "properties": {
            "id": ID,
            "title": STR,
            "language": STR,
            "status": {"enum": ["scheduled", "live", "ended"]},
            "pinned_product_id": {"type": ["integer", "null"]},
            "lineup": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
        },
    },
    "BuyRequest": {
        "type": "object",
        "description": "Buy now. A retry with the same idempotency_key returns the first order "
        "(200); `pay: true` pays at once with the buyer's saved means of payment.",
        "required": ["product_id", "idempotency_key"],
        "properties": {
            "product_id": ID,
            "sku": {"type": "string", "description": "required when the product has variants"},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 10},
            "idempotency_key": IDEMPOTENCY_KEY,
            "coupon": STR,
            "pay": {"type": "boolean"},
        },
    },
    "Checkout": {
        "type": "object",
        "required": ["idempotency_key"],
        "properties": {
            "idempotency_key": IDEMPOTENCY_KEY,
            "coupon": STR,
            "pay": {"type": "boolean"},
        },
    },
    "CartItem": {
        "type": "object",
        "description": "Set a variant's quantity in the cart (0 takes it out).",
        "required": ["product_id"],
        "properties": {
            "product_id": ID,
            "sku": STR,
            "quantity": {"type": "integer", "minimum": 0, "maximum": 10},
        },
    },
    "Cart": {"type": "object", "properties": {"items": {"type": "array", "items": OBJECT}}},
    "Order": {
        "type": "object",
        "properties": {
            "id": ID,
            "status": {"enum": ["reserved", "paid", "cancelled", "refunded", "fulfilled"]},
            "payment_state": {
                "enum": [
                    "reserved",
                    "authorized",
                    "paid",
                    "fulfilled",
                    "refunded",
                    "cancelled",
                    "failed",
                ]
            },
            "subtotal_minor": INT,
            "discount_minor": INT,
            "total_minor": INT,
            "currency": STR,
            "idempotency_key": STR,
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "lines": {"type": "array", "items": OBJECT},
        },
    },
    "Orders": {"type": "object", "properties": {"orders": {"type": "array", "items": OBJECT}}},
    "NewDeal": {
        "type": "object",
        "required": ["product_id", "price_minor", "duration_s", "quantity"],
        "properties": {
            "product_id": ID,
            "sku": STR,
            "price_minor": {"type": "integer", "minimum": 0},
            "duration_s": {"type": "integer", "minimum": 10, "maximum": 86400},
            "starts_in_s": {"type": "integer", "minimum": 0, "maximum": 86400},
            "quantity": {"type": "integer", "minimum": 1},
            "per_buyer_limit": {"type": "integer", "minimum": 1},
        },
    },
    "Deal": {
        "type": "object",
        "description": "`server_time` comes with the bounds: count down from it, not from the "
        "device's clock.",
        "properties": {
            "deal": {
                "type": "object",
                "properties": {
                    "id": ID,
                    "product_id": ID,
                    "price_minor": INT,
                    "left": INT,
                    "phase": {"enum": ["upcoming", "active", "sold_out", "ended"]},
                    "server_time": STR,
                    "starts_at": STR,
                    "ends_at": STR,
                    "remaining_ms": INT,
                },
            }
        },
    },
    "Marker": {
        "type": "object",
        "properties": {
            "kind": {"enum": ["started", "ended", "pinned", "unpinned"]},
            "product_id": {"type": ["integer", "null"]},
            "offset_ms": {"type": "integer", "minimum": 0},
        },
    },
    "Recording": {
        "type": "object",
        "properties": {
            "id": ID,
            "stream_id": ID,
            "status": {"enum": ["complete", "failed"]},
            "container": {"enum": ["mp4", "webm"]},
            "content_type": {"enum": ["video/mp4", "video/webm"]},
            "started_at": {"type": "string", "format": "date-time"},
            "ended_at": {"type": "string", "format": "date-time"},
            "duration_ms": INT,
            "bytes": INT,
            "file_url": STR,
            "markers": {"type": "array", "items": {"$ref": "#/components/schemas/Marker"}},
        },
    },
    "Recordings": {
        "type": "object",
        "properties": {
            "recordings": {"type": "array", "items": {"$ref": "#/components/schemas/Recording"}}
        },
    },
    "NewCoupon": {
        "type": "object",
        "required": ["code"],
        "description": "Exactly one of percent_bp and fixed_minor; currency goes with "
        "fixed_minor and min_order_minor. Sellers: their shop (scope seller). Hosts: one of "
        "their shows (stream_id). Admins: any scope, platform included.",
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$"},
            "percent_bp": {"type": "integer", "minimum": 1, "maximum": 10000},
            "fixed_minor": {"type": "integer", "minimum": 1},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "min_order_minor": {"type": "integer", "minimum": 1},
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": {"type": "string", "format": "date-time"},
            "max_uses": {"type": "integer", "minimum": 1},
            "per_buyer_limit": {"type": "integer", "minimum": 1},
            "scope": {"enum": ["stream", "seller", "platform"]},
            "stream_id": ID,
            "seller_id": ID,
        },
    },
    "Coupon": {
        "type": "object",
        "properties": {
            "id": ID,
            "code": STR,
            "scope": {"enum": ["stream", "seller", "platform"]},
            "scope_id": {"type": ["integer", "null"]},
            "percent_bp": {"type": ["integer", "null"]},
            "fixed_minor": {"type": ["integer", "null"]},
            "currency": {"type": ["string", "null"]},
            "min_order_minor": {"type": ["integer", "null"]},
            "starts_at": {"type": ["string", "null"], "format": "date-time"},
            "ends_at": {"type": ["string", "null"], "format": "date-time"},
            "max_uses": {"type": ["integer", "null"]},
            "per_buyer_limit": {"type": ["integer", "null"]},
            "used": INT,
            "created_by": ID,
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "Coupons": {
        "type": "object",
        "properties": {
            "coupons": {"type": "array", "items": {"$ref": "#/components/schemas/Coupon"}}
        },
    },
    "LedgerRow": {
        "type": "object",
        "required": ["currency", "sales", "refunds", "gmv_minor", "commission_minor"],
        "description": "host_id, seller_id, stream_id and period appear when grouped by.",
        "properties": {
            "currency": STR,
            "host_id": ID,
            "seller_id": ID,
            "stream_id": ID,
            "period": {"type": "string", "format": "date"},
            "sales": INT,
            "refunds": INT,
            "gmv_minor": INT,
            "commission_minor": INT,
        },
    },
    "LedgerReport": {
        "type": "object",
        "properties": {
            "as": {"enum": ["host", "seller", "admin"]},
            "by": {"type": "array", "items": {"enum": ["host", "period", "seller", "stream"]}},
            "period": {"enum": ["day", "week", "month", None]},
            "since": {"type": ["string", "null"], "format": "date-time"},
            "until": {"type": ["string", "null"], "format": "date-time"},
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/LedgerRow"}},
        },
    },
    "Health": {
        "type": "object",
        "properties": {"status": STR, "database": STR, "redis": STR},
    },
}

# (method, path, summary, request schema or None, success status, response schema or None,
#  needs a bearer token)
OPERATIONS: list[tuple[str, str, str, str | None, int, str | None, bool]] = [
    ("post", "/api/accounts", "Create an account", "NewAccount", 201, "Session", False),
    ("post", "/api/auth/login", "Sign in", "Credentials", 200, "Session", False),
    ("post", "/api/auth/guest", "Get a guest viewer token", "Guest", 200, "Session", False),
    ("post", "/api/auth/logout", "Forget the pages' session cookies", None, 204, None, False),
    ("get", "/api/me", "Who the token belongs to", None, 200, None, True),
    (
        "patch",
        "/api/accounts/{id}",
        "Change an account's role or disable it (admins); its tokens stop working",
        "AccountChange",
        200,
        None,
        True,
    ),
    ("post", "/api/sellers", "Open a shop (seller accounts)", "Seller", 201, "Shop", True),
    ("get", "/api/sellers/me", "Your shop", None, 200, "Shop", True),
    (
        "patch",
        "/api/sellers/me",
        "Rename your shop or set its default commission rate",
        "ShopChange",
        200,
        "Shop",
        True,
    ),
    ("get", "/api/products", "List products (?seller_id=, ?lang=)", None, 200, None, False),
    ("post", "/api/products", "List a product", "NewProduct", 201, "Product", True),
    (
        "get",
        "/api/products/{id}",
        "One product (?lang= or Accept-Language)",
        None,
        200,
        "Product",
        False,
    ),
    (
        "patch",
        "/api/products/{id}",
        "Change texts, image, price, commission rate or (one variant) stock",
        "ProductChange",
        200,
        "Product",
        True,
    ),
    (
        "patch",
        "/api/products/{id}/variants/{sku}",
        "Change one variant's stock or price",
        "VariantChange",
        200,
        "Product",
        True,
    ),
    ("get", "/api/streams", "List shows", None, 200, None, False),
    ("post", "/api/streams", "Schedule a show (hosts)", "NewStream", 201, "Stream", True),
    ("get", "/api/streams/{id}", "One show with its line-up", None, 200, "Stream", False),
    ("put", "/api/streams/{id}/lineup", "Set the line-up", "Lineup", 200, "Stream", True),
    ("get", "/api/streams/{id}/key", "The stream key and WHIP URL", None, 200, None, True),
    ("post", "/api/streams/{id}/end", "End the show", None, 200, "Stream", True),
    (
        "get",
        "/api/streams/{id}/recordings",
        "The show's recordings with markers (its host, moderators, admins)",
        None,
        200,
        "Recordings",
        True,
    ),
    (
        "get",
        "/api/recordings/{id}/file",
        "A recording's file, video/mp4 or video/webm (Range requests work)",
        None,
        200,
        None,
        True,
    ),
    ("post", "/api/streams/{id}/orders", "Buy during a show", "BuyRequest", 201, "Order", True),
    ("get", "/api/streams/{id}/cart", "Your cart in the show", None, 200, "Cart", True),
    ("put", "/api/streams/{id}/cart/items", "Put in or take out", "CartItem", 200, "Cart", True),
    (
        "post",
        "/api/streams/{id}/cart/checkout",
        "Check the cart out as one order",
        "Checkout",
        201,
        "Order",
        True,
    ),
    ("post", "/api/streams/{id}/deals", "Start a flash deal", "NewDeal", 201, "Deal", True),
    ("get", "/api/streams/{id}/deals", "The show's deals not ended", None, 200, None, False),
    ("post", "/api/deals/{id}/end", "End a flash deal now", None, 200, "Deal", True),
    ("get", "/api/orders", "Your orders", None, 200, "Orders", True),
    ("get", "/api/orders/{id}", "One of your orders (or your shop's)", None, 200, "Order", True),
    (
        "post",
        "/api/orders/{id}/pay",
        "Pay a reserved order ({payment_method?}); 202 with next_action: the buyer's step",
        None,
        200,
        "Order",
        True,
    ),
    ("post", "/api/orders/{id}/cancel", "Cancel an unpaid order", None, 200, "Order", True),
    ("post", "/api/orders/{id}/refund", "Refund (its seller, admins)", None, 200, "Order", True),
    ("post", "/api/orders/{id}/fulfil", "Mark shipped (its seller)", None, 200, "Order", True),
    ("get", "/api/seller/orders", "Your shop's orders (?status=)", None, 200, "Orders", True),
    (
        "get",
        "/api/payments/config",
        "The payment provider, its publishable key and script, for the page before paying",
        None,
        200,
        None,
        False,
    ),
    (
        "post",
        "/api/payments/{gateway}/webhook",
        "A payment provider's signed event (the built-in one is `test`)",
        None,
        200,
        None,
        False,
    ),
    ("post", "/api/coupons", "Create a coupon", "NewCoupon", 201, "Coupon", True),
    ("get", "/api/coupons", "The coupons you created (admins: all)", None, 200, "Coupons", True),
    (
        "get",
        "/api/ledger",
        "Commission totals: ?as=host|seller|admin&by=stream,period,host,seller"
        "&period=day|week|month&since=&until=&host_id=&seller_id=",
        None,
        200,
        "LedgerReport",
        True,
    ),
    ("get", "/healthz", "Database and Redis reachability", None, 200, "Health", False),
    ("get", "/metrics", "Per-stream media counters, Prometheus text", None, 200, None, False),
]


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, summary, body, status, answer, secured in OPERATIONS:
        paths.setdefault(path, {})[method] = _operation(
            path, summary, body, status, answer, secured
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Shopcast API", "version": server.__version__},
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(
    path: str, summary: str, body: str | None, status: int, answer: str | None, secured: bool
) -> dict[str, Any]:
    ok_content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{answer}"}}}
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            str(status): {"description": "success", **({"content": ok_content} if answer else {})},
            "4XX": {
                "description": "refused: the body names the problem",
                "content": {"application/json": {"schema": ERROR}},
            },
        },
    }
    if "{id}" in path:
        operation["parameters"] = [{"name": "id", "in": "path", "required": True, "schema": ID}]
    if "{sku}" in path:
        operation["parameters"].append(
            {"name": "sku", "in": "path", "required": True, "schema": SKU}
        )
    if "{gateway}" in path:
        operation["parameters"] = [
            {"name": "gateway", "in": "path", "required": True, "schema": STR}
        ]
    if body:
        schema = {"$ref": f"#/components/schemas/{body}"}
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    if secured:
        operation["security"] = [{"bearer": []}]
    return operation


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
