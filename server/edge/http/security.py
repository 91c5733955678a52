"""What every answer carries for the browser's protection, the pages' Content-Security-Policy,
the session cookies the pages sign in with, and CSRF checks for cookie-authenticated writes.

Bearer tokens (API clients, OBS) need no CSRF defence: a browser never attaches an
Authorization header on its own. A cookie it does attach, so a write that carries the session
cookie must also carry `X-CSRF-Token` equal to the readable `shopcast_csrf` cookie (which a
foreign page can neither read nor set), and a foreign `Origin` is refused outright.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from server.core.auth import SESSION_COOKIE
from server.core.domain.error_codes import AuthCode
from server.edge.http.context import CONFIG
from server.edge.http.errors import error_response

CSRF_COOKIE = "shopcast_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
# Answers that are not pages (JSON, SDP, scripts, the SVG favicon) load nothing themselves.
NOT_A_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# What may appear in a Host header we echo into the policy: a name or address and a port.
HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def page_policy(payment_origins: tuple[str, ...], host: str | None) -> str:
    """The pages' policy: our own scripts and styles only (no inline script, no eval, no
    style attributes), plus the payment provider's script, frames and API."""
    paying = "".join(f" {origin}" for origin in payment_origins)
    # CSP3 lets 'self' match ws(s) to our host; older engines need the scheme spelled out.
    sockets = f" ws://{host} wss://{host}" if host and HOST.match(host) else ""
    directives = (
        ("default-src", "'self'"),
        ("script-src", "'self'" + paying),
        ("style-src", "'self'"),
        # Product images are sellers' own http(s) URLs (check_image_url); CSS masks use data:.
        ("img-src", "'self' data: https: http:"),
        ("media-src", "'self' blob:"),
        ("connect-src", "'self'" + sockets + paying),
        ("frame-src", paying.strip() or "'none'"),
        ("worker-src", "'none'"),
        ("object-src", "'none'"),
        ("base-uri", "'none'"),
        ("form-action", "'self'"),
        ("frame-ancestors", "'none'"),
    )
    return "; ".join(f"{name} {value}" for name, value in directives)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs for every answer, error pages and the WebSocket upgrade too."""
    for name, value in EVERY_ANSWER.items():
        response.headers.setdefault(name, value)
    if response.status == 304:
        # A revalidated page keeps the policy it was stored with: a 304 has no content type,
        # and the browser would let this answer's policy replace the page's own.
        return
    if response.content_type == "text/html":
        payments = request.app[CONFIG].payments.page_origins
        policy = page_policy(payments, request.host)
    else:
        policy = NOT_A_PAGE_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)


def _cookie_free(path: str) -> bool:
    """Doors that never read the session cookie, so a cookie sent along grants nothing there:
    WHIP takes the stream key as bearer, WHEP is open (and invites other origins' players),
    Socket.IO checks the Origin itself (chat/realtime.py), webhooks come from the provider."""
    return (
        path.startswith(("/whip/", "/whep/", "/socket.io/"))
        or (path.startswith("/api/payments/") and path.endswith("/webhook"))
        or path == LOGOUT_PATH
    )


LOGOUT_PATH = "/api/auth/logout"  # only removes cookies: refusing it would strand a browser


def own_origins(request: web.Request) -> set[str]:
    """This server's origins as a browser names them: the public URL's, and the Host it was
    reached by under either scheme (behind a TLS proxy the app itself speaks plain HTTP)."""
    origins = {f"http://{request.host}", f"https://{request.host}"}
    public = request.app[CONFIG].public_url
    if public:
        parts = urlsplit(public)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def _csrf_refusal(request: web.Request) -> str | None:
    """Why this request is refused as a possible cross-site forgery, or None."""
    if request.method not in UNSAFE_METHODS or "Authorization" in request.headers:
        return None
    if _cookie_free(request.path):
        return None
    origin = request.headers.get("Origin")
    if origin is not None and origin not in own_origins(request):
        return "the request comes from another site"
    if SESSION_COOKIE not in request.cookies:
        return None
    sent = request.headers.get(CSRF_HEADER, "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return f"send the {CSRF_COOKIE} cookie's value in the {CSRF_HEADER} header"
    return None


@web.middleware
async def csrf_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    refusal = _csrf_refusal(request)
    if refusal is not None:
        return error_response(403, AuthCode.CSRF_FAILED, refusal)
    return await handler(request)


def set_session_cookies(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """Sign the browser in: the token in an HttpOnly cookie no script can read, and a random
    CSRF value the pages echo back in a header. SameSite=Strict: the pages are static and
    sign in by same-origin fetches, so even a link from another site loses nothing."""
    config = request.app[CONFIG]
    secure = config.base_url.startswith("https://") or request.secure
    for name, value, httponly in (
        (SESSION_COOKIE, token, True),
        (CSRF_COOKIE, secrets.token_urlsafe(32), False),
    ):
        response.set_cookie(
            name,
            value,
            path="/",
            max_age=config.token_ttl_s,
            samesite="Strict",
            secure=secure,
            httponly=httponly,
        )


def clear_session_cookies(response: web.StreamResponse) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.del_cookie(name, path="/", samesite="Strict")
