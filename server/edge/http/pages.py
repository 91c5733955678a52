"""The browser pages: static files from web/static, one HTML file per page, and the one
library they load, the official Socket.IO client's ESM build, from web/node_modules (installed
from web/package-lock.json by `npm ci --prefix web`, never committed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from aiohttp import web

from server.core.config import ConfigError
from web import STATIC_DIR

routes = web.RouteTableDef()

PAGES = {"/": "index.html", "/seller": "seller.html", "/review": "review.html"} | {
    f"/{name}/{{id:\\d+}}": f"{name}.html" for name in ("studio", "watch", "moderate")
}
PAGES["/report/{id:\\d+}"] = "report.html"  # a show's report (its host, sellers, staff)
# the buyers' pages: sign-up and sign-in, their account (profile, addresses), "My orders"
PAGES |= {f"/{name}": f"{name}.html" for name in ("signup", "signin", "account", "orders")}
PAGES["/offers"] = "offers.html"  # hosts browse sellers' offers, join them, their statements
PAGES["/staff"] = "staff.html"  # the staff console (its data: admins only)
PAGES["/host/{id:\\d+}"] = "host.html"  # a host's public page: follow, upcoming and past shows
PAGES["/reset"] = "reset.html"  # a password reset: ask for a link, or use one (#token=...)
NODE_MODULES = STATIC_DIR.parent / "node_modules"
# URL under /static/vendor/ -> the file in node_modules that answers it.
VENDOR = {
    "socket.io.esm.min.js": Path("socket.io-client/dist/socket.io.esm.min.js"),
    "socket.io.esm.min.js.map": Path("socket.io-client/dist/socket.io.esm.min.js.map"),
    "hls.min.mjs": Path("hls.js/dist/hls.min.mjs"),  # the viewer page's HLS fallback
    "hls.min.mjs.map": Path("hls.js/dist/hls.min.mjs.map"),
}
CONTENT_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".map": "application/json"}


def _page(filename: str):  # type: ignore[no-untyped-def]
    async def serve(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / filename, headers={"Cache-Control": "no-cache"})

    return serve


def _vendor_file(name: str, source: Path):  # type: ignore[no-untyped-def]
    """Read once at start: a missing install stops the start, not the first page view."""
    try:
        body = (NODE_MODULES / source).read_bytes()
    except OSError:
        raise ConfigError(
            f"{NODE_MODULES / source} is missing (the pages' Socket.IO client): "
            "run `npm ci --prefix web`"
        ) from None
    etag = hashlib.sha256(body).hexdigest()[:32]
    content_type = CONTENT_TYPES[Path(name).suffix]

    async def serve(request: web.Request) -> web.StreamResponse:
        headers = {"Cache-Control": "no-cache", "ETag": f'"{etag}"'}
        if request.headers.get("If-None-Match") == f'"{etag}"':
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)

    return serve


def add_routes(app: web.Application) -> None:
    for path, filename in PAGES.items():
        app.router.add_get(path, _page(filename))
    for name, source in VENDOR.items():  # before /static/, which would answer 404 for them
        app.router.add_get(f"/static/vendor/{name}", _vendor_file(name, source))
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
