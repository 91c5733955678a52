"""Reading what a request carries: who sent it, ids in the path and query, JSON fields."""

from __future__ import annotations

from aiohttp import web

from server.auth import bearer
from server.domain.errors import AuthRequired, ValidationError
from server.domain.ids import check_id
from server.domain.roles import Principal
from server.http.context import SERVICES

MAX_ID_DIGITS = 12


def principal(request: web.Request) -> Principal:
    token = bearer(request.headers.get("Authorization"))
    if token is None:
        raise AuthRequired("send Authorization: Bearer <token>")
    return request.app[SERVICES].tokens.verify(token)


def path_id(request: web.Request, name: str = "id") -> int:
    return _positive_int(request.match_info[name], name, "bad_id")


def query_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    return None if raw is None else _positive_int(raw, name, "bad_query")


def fields(body: object, *names: str) -> list[object]:
    if not isinstance(body, dict):
        raise ValidationError("expected a JSON object")
    return [body.get(name) for name in names]


def _positive_int(raw: str, name: str, code: str) -> int:
    # isdigit() alone admits "²" and other digits int() refuses: check ASCII first.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_ID_DIGITS:
        raise ValidationError(f"{name} must be a positive integer", code=code)
    return check_id(int(raw), name, code)
