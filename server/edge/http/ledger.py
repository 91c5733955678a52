"""The commission ledger: what hosts earn on shows' sales, summed (shapes: docs/protocol.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

from server.contract.serializers import iso
from server.core.domain.commissions import LedgerKey, Period, Totals
from server.core.domain.error_codes import GeneralCode
from server.core.domain.errors import Forbidden, ValidationError
from server.core.services.ledger import SourcedKey, Viewpoint
from server.edge.http.context import SERVICES
from server.edge.http.requests import principal, query_int

routes = web.RouteTableDef()


@routes.get("/api/ledger")
async def ledger(request: web.Request) -> web.Response:
    """?as=host|seller|admin&by=stream,period,host,seller&period=day|week|month
    &since=&until= (ISO 8601 with a zone)&host_id=&seller_id= (admins: any; others: narrowing)."""
    who = principal(request)
    query = request.query
    as_ = query.get("as") or _default_viewpoint(who.role)
    by = sorted({group.strip() for group in query.get("by", "").split(",") if group.strip()})
    period = _period(query.get("period"))
    since, until = _time(query.get("since"), "since"), _time(query.get("until"), "until")
    found = await request.app[SERVICES].ledger.report(
        who,
        as_=as_,
        by=by,
        period=period,
        since=since,
        until=until,
        host_id=query_int(request, "host_id"),
        seller_id=query_int(request, "seller_id"),
        by_source=True,
    )
    rows = [ledger_row(key, totals) for key, totals in sorted(found.items(), key=_order)]
    return web.json_response(
        {
            "as": as_,
            "by": by,
            "period": period,
            "since": iso(since.astimezone(UTC)) if since else None,
            "until": iso(until.astimezone(UTC)) if until else None,
            "rows": rows,
        }
    )


def ledger_row(key: LedgerKey, totals: Totals) -> dict[str, Any]:
    """Only the groups asked for appear; `period` is the period's first day; `source` (live or
    replay: where the orders were bought) whenever the report is split by it."""
    row: dict[str, Any] = {"currency": key.currency}
    if isinstance(key, SourcedKey):
        row["source"] = key.source.value
    for name in ("host_id", "seller_id", "stream_id"):
        if getattr(key, name) is not None:
            row[name] = getattr(key, name)
    if key.period is not None:
        row["period"] = key.period.isoformat()
    row.update(
        sales=totals.sales,
        refunds=totals.refunds,
        gmv_minor=totals.gmv_minor,
        commission_minor=totals.commission_minor,
    )
    return row


def _default_viewpoint(role: str) -> str:
    if role not in set(Viewpoint):
        raise Forbidden("only hosts, sellers and admins have a ledger")
    return role


def _period(raw: str | None) -> Period | None:
    if raw is None:
        return None
    if raw not in set(Period):
        raise ValidationError("period must be day, week or month", code=GeneralCode.BAD_QUERY)
    return Period(raw)


def _time(raw: str | None, name: str) -> datetime | None:
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError(
            f"{name} must be an ISO 8601 time with a zone (Z, or + sent as %2B)",
            code=GeneralCode.BAD_QUERY,
        )
    return parsed


def _order(item: tuple[LedgerKey, Totals]) -> tuple[Any, ...]:
    key = item[0]
    return (
        key.currency,
        key.host_id or 0,
        key.seller_id or 0,
        key.stream_id or 0,
        key.period or date.min,
        key.source if isinstance(key, SourcedKey) else "",
    )
