"""Commission statements per host, shop and month, as JSON and as CSV (docs/protocol.md
"Commission statements")."""

from __future__ import annotations

import csv
import io
from datetime import date

from aiohttp import web

from server.contract.offers import STATEMENT_COLUMNS, statement_view
from server.core.domain.roles import Principal, Role
from server.core.domain.statements import parse_month
from server.core.services.statements import NamedStatement
from server.edge.http.context import SERVICES
from server.edge.http.requests import principal

routes = web.RouteTableDef()


@routes.get("/api/statements")
async def statements(request: web.Request) -> web.Response:
    """?as=host|seller|admin&from=YYYY-MM&to=YYYY-MM (both months included)."""
    as_, found = await _statements(request)
    return web.json_response(
        {
            "as": as_,
            "refund_window_days": request.app[SERVICES].statements.refund_window_days,
            "statements": [statement_view(named) for named in found],
        }
    )


@routes.get("/api/statements.csv")
async def statements_csv(request: web.Request) -> web.Response:
    """The same rows as CSV, one per host, shop, month and currency (amounts in minor units)."""
    as_, found = await _statements(request)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=STATEMENT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for named in found:
        writer.writerow({k: _cell(v) for k, v in statement_view(named).items()})
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="statements-{as_}.csv"'},
    )


async def _statements(request: web.Request) -> tuple[str, list[NamedStatement]]:
    who = principal(request)
    query = request.query
    as_ = query.get("as") or _default_viewpoint(who)
    since, until = _month(query.get("from")), _month(query.get("to"))
    found = await request.app[SERVICES].statements.statements(
        who, as_=as_, since=since, until=until
    )
    return as_, found


def _default_viewpoint(who: Principal) -> str:
    return who.role.value if who.role in (Role.HOST, Role.SELLER, Role.ADMIN) else "host"


def _month(raw: str | None) -> date | None:
    return parse_month(raw) if raw else None


def _cell(value: object) -> str:
    """A cell as text; one a spreadsheet would read as a formula is quoted with a '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    return text.lstrip("-").isdigit()
