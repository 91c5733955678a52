"""The HTTP doors counted per client address (server/core/services/rate_limits.py counts them):
a refused knock is answered `429 rate_limited` with `Retry-After` (server/edge/http/errors.py).

An account's own failed sign-ins are counted by the sign-in itself
(server/core/services/accounts.py), which knows the account and whether the password was right.
"""

from __future__ import annotations

from aiohttp import web

from server.core.domain.roles import Principal, Role
from server.core.services.rate_limits import Door
from server.edge.http.context import SERVICES
from server.edge.http.requests import PRINCIPAL, VIA_COOKIE, Handler, client_address

DOORS: dict[tuple[str, str | None], Door] = {
    ("POST", "/api/auth/login"): Door.SIGN_IN,
    ("POST", "/api/accounts"): Door.SIGN_UP,
    ("POST", "/api/auth/guest"): Door.GUEST,
}


@web.middleware
async def door_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    door = DOORS.get((request.method, _route(request)))
    if door is not None and not _admin(request):
        await request.app[SERVICES].rate_limits.knock(door, client_address(request))
    return await handler(request)


def _route(request: web.Request) -> str | None:
    """The matched route's path (never the raw one, which may be spelled differently)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else None


def _admin(request: web.Request) -> bool:
    """Admins making accounts for their staff (with a bearer token, which is what grants
    staff roles) are not counted."""
    who = request.get(PRINCIPAL)
    bearer = not request.get(VIA_COOKIE)
    return bearer and isinstance(who, Principal) and who.role == Role.ADMIN
