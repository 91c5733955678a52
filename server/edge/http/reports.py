"""Show reports over HTTP: the figures as JSON and CSV, and their charts as SVG (who may read
which: server/core/domain/show_reports.py; shapes: docs/protocol.md "Show reports")."""

from __future__ import annotations

import csv
import io

from aiohttp import web

from server.contract.reports import chart_of, csv_rows
from server.edge.http import report_svg
from server.edge.http.context import SERVICES
from server.edge.http.requests import path_id, principal

routes = web.RouteTableDef()


async def _report(request: web.Request) -> dict:
    return await request.app[SERVICES].show_reports.report(principal(request), path_id(request))


@routes.get("/api/streams/{id}/report")
async def report(request: web.Request) -> web.Response:
    return web.json_response(await _report(request), headers={"Cache-Control": "no-store"})


@routes.get("/api/streams/{id}/report.csv")
async def report_csv(request: web.Request) -> web.Response:
    """One row per product and currency (UTF-8, RFC 4180)."""
    found = await _report(request)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(csv_rows(found))
    name = f"show-{found['stream_id']}-report.csv"
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@routes.get("/api/streams/{id}/report.svg")
async def report_chart(request: web.Request) -> web.Response:
    """?chart=viewers|sales|funnel&currency= (sales: which currency; the first by default)."""
    name = chart_of(request.query.get("chart"))
    found = await _report(request)
    svg = report_svg.chart(found, name, request.query.get("currency"))
    return web.Response(
        text=svg,
        content_type="image/svg+xml",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )
