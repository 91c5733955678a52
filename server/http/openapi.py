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
    "Session": {"type": "object", "properties": {"user": {"type": "object"}, "token": STR}},
    "Seller": {
        "type": "object",
        "required": ["name", "country"],
        "properties": {"name": STR, "country": {"type": "string", "pattern": "^[A-Z]{2}$"}},
    },
    "NewProduct": {
        "type": "object",
        "required": ["title", "price_minor", "currency", "stock"],
        "properties": {
            "title": STR,
            "description": STR,
            "image_url": STR,
            "price_minor": {"type": "integer", "minimum": 0},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "stock": {"type": "integer", "minimum": 0},
        },
    },
    "ProductChange": {
        "type": "object",
        "properties": {"title": STR, "price_minor": INT, "stock": INT},
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
        "required": ["product_id", "idempotency_key"],
        "properties": {
            "product_id": ID,
            "quantity": {"type": "integer", "minimum": 1, "maximum": 10},
            "idempotency_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
        },
    },
    "Order": {
        "type": "object",
        "properties": {
            "id": ID,
            "status": STR,
            "total_minor": INT,
            "currency": STR,
            "idempotency_key": STR,
            "lines": {"type": "array", "items": {"type": "object"}},
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
    ("get", "/api/me", "Who the token belongs to", None, 200, None, True),
    ("post", "/api/sellers", "Open a shop (seller accounts)", "Seller", 201, None, True),
    ("get", "/api/products", "List products", None, 200, None, False),
    ("post", "/api/products", "List a product", "NewProduct", 201, "Product", True),
    ("get", "/api/products/{id}", "One product", None, 200, "Product", False),
    (
        "patch",
        "/api/products/{id}",
        "Change price, title or stock",
        "ProductChange",
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
    ("get", "/api/orders", "Your orders", None, 200, None, True),
    ("get", "/api/orders/{id}", "One of your orders", None, 200, "Order", True),
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
