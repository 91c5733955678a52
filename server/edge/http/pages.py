"""The browser pages: static files from web/static, one HTML file per page."""

from __future__ import annotations

from aiohttp import web

from web import STATIC_DIR

routes = web.RouteTableDef()

PAGES = {"/": "index.html", "/seller": "seller.html"} | {
    f"/{name}/{{id:\\d+}}": f"{name}.html" for name in ("studio", "watch", "moderate")
}


def _page(filename: str):  # type: ignore[no-untyped-def]
    async def serve(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / filename, headers={"Cache-Control": "no-cache"})

    return serve


def add_routes(app: web.Application) -> None:
    for path, filename in PAGES.items():
        app.router.add_get(path, _page(filename))
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
