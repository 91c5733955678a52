"""Reading what a request carries: who sent it, from where, ids in the path and query (JSON
bodies are read by the models of server/contract).

Who sent it is worked out once per request, by `auth_middleware`, before any handler runs:
checking a token's standing may need the database (server/core/services/accounts.py), which a
plain `principal(request)` in a handler cannot wait for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from chat import fingerprint
from server.core.auth import SESSION_COOKIE, bearer
from server.core.domain.error_codes import GeneralCode
from server.core.domain.errors import AuthRequired, DomainError, ValidationError
from server.core.domain.ids import check_id
from server.core.domain.roles import Principal
from server.edge.http.context import CONFIG, SERVICES

MAX_ID_DIGITS = 12
# The request's Principal, or the DomainError refusing its token; absent without a token.
PRINCIPAL: web.RequestKey[Principal | DomainError] = web.RequestKey("principal")
# True: the token came from the pages' session cookie, so a write needs CSRF proof.
VIA_COOKIE: web.RequestKey[bool] = web.RequestKey("auth_via_cookie")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def token_of(request: web.Request) -> tuple[str | None, bool]:
    """The token a request carries, and whether it came from the session cookie:
    `Authorization: Bearer` first (API clients, OBS), else the pages' HttpOnly cookie."""
    token = bearer(request.headers.get("Authorization"))
    if token is not None:
        return token, False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token, via_cookie = token_of(request)
    request[VIA_COOKIE] = via_cookie
    if token is not None:
        try:
            request[PRINCIPAL] = await request.app[SERVICES].accounts.authenticate(token)
        except DomainError as exc:  # refused only when a handler asks who is there
            request[PRINCIPAL] = exc
    return await handler(request)


def principal(request: web.Request) -> Principal:
    found = request.get(PRINCIPAL)
    if found is None:
        raise AuthRequired("send Authorization: Bearer <token>")
    if isinstance(found, DomainError):
        raise found
    return found


def bearer_principal(request: web.Request) -> Principal | None:
    """Who a bearer token speaks for (a bad one is refused), or None without one: the pages'
    cookie is ignored, so a stale session never stands in the way of what needs none."""
    if request.get(VIA_COOKIE) or request.get(PRINCIPAL) is None:
        return None
    return principal(request)


def client_address(request: web.Request) -> str:
    """The client's address as chat/fingerprint.py reads it: the TCP peer, or the entry of
    `X-Forwarded-For` that SHOPCAST_TRUSTED_PROXY_HOPS says our outermost proxy appended."""
    environ = {
        "aiohttp.request": request,
        "HTTP_X_FORWARDED_FOR": ",".join(request.headers.getall("X-Forwarded-For", ())),
    }
    return fingerprint.client_address(environ, request.app[CONFIG].chat.trusted_proxy_hops)


def path_id(request: web.Request, name: str = "id") -> int:
    return _positive_int(request.match_info[name], name, GeneralCode.BAD_ID)


def query_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    return None if raw is None else _positive_int(raw, name, GeneralCode.BAD_QUERY)


def _positive_int(raw: str, name: str, code: GeneralCode) -> int:
    # isdigit() alone admits "²" and other digits int() refuses: check ASCII first.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_ID_DIGITS:
        raise ValidationError(f"{name} must be a positive integer", code=code)
    return check_id(int(raw), name, code)
