"""The show report's charts as SVG, drawn on the server from the report's figures.

Three charts: viewers over time with the pins' spans shaded behind, sales over time (GMV of
one currency per 10 s bucket, or orders when nothing sold), and the per-product funnel (card
viewers, add-to-cart, orders). No words but numbers and product titles: the page names the
charts and their legends in the reader's language. Colours are presentation attributes (the
pages' CSP allows no inline style); every text is XML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from server.core.domain.money import CURRENCY_EXPONENTS

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 12, 28
INK = "#1f2933"
GRID = "#d3d9e0"
LINE = "#1c5fb8"
AREA = "#c9dcf5"
PIN_FILLS = ("#fde7c2", "#d7f0dc", "#f3d6ef")
BARS = ("#1c5fb8", "#b25e09", "#237a3b")  # card viewers, add-to-cart, orders


def chart(report: dict[str, Any], name: str, currency: str | None = None) -> str:
    if name == "viewers":
        return viewers_chart(report)
    if name == "sales":
        return sales_chart(report, currency)
    return funnel_chart(report)


def _svg(body: list[str], height: int = HEIGHT, kind: str = "") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" class="chart" data-chart="{kind}" '
        f'font-family="system-ui, sans-serif" font-size="12">' + "".join(body) + "</svg>"
    )


def _nice_top(value: float) -> float:
    """The axis top: 1, 2, 4 or 8 times a power of ten, at least the largest value."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 4, 8, 10):  # four grid steps of whole numbers
        if step * factor >= value:
            return step * factor
    return step * 10


def _number(value: float) -> str:
    return f"{value:g}" if value < 1e6 else f"{value / 1e6:g}M"


def _axes(top: float, seconds: float, height: int = HEIGHT) -> list[str]:
    """Horizontal grid lines with their values, and minute marks along the bottom."""
    plot_h = height - TOP - BOTTOM
    out = []
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{_number(value)}</text>"
        )
    step = _time_step(seconds)
    mark = 0.0
    while mark <= seconds:
        x = _x(mark, seconds)
        out.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="{INK}">'
            f"{_clock(mark)}</text>"
        )
        mark += step
    return out


def _time_step(seconds: float) -> float:
    for step in (10, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if seconds / step <= 8:
            return step
    return 7200


def _clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _x(offset_s: float, seconds: float) -> float:
    span = max(seconds, 1.0)
    return LEFT + (WIDTH - LEFT - RIGHT) * min(max(offset_s, 0.0), span) / span


def _y(value: float, top: float, height: int = HEIGHT) -> float:
    plot_h = height - TOP - BOTTOM
    return TOP + plot_h - plot_h * value / top


def viewers_chart(report: dict[str, Any]) -> str:
    series = report["series"]
    seconds = max(float(report["duration_s"]), float(series["bucket_s"]))
    values: Sequence[int] = series["viewers"]
    top = _nice_top(max(values, default=0))
    body = []
    for index, pin in enumerate(report["pins"]):
        x0, x1 = _x(pin["start_s"], seconds), _x(pin["end_s"], seconds)
        fill = PIN_FILLS[index % len(PIN_FILLS)]
        body.append(
            f'<rect class="pin" x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{HEIGHT - TOP - BOTTOM}" fill="{fill}">'
            f"<title>{escape(pin['title'])}</title></rect>"
        )
    body += _axes(top, seconds)
    bucket = series["bucket_s"]
    points = [  # a step per bucket: its most viewers at once, across its 10 s
        (_x(min(i * bucket + edge, seconds), seconds), _y(v, top))
        for i, v in enumerate(values)
        for edge in (0, bucket)
    ]
    if points:
        base = _y(0, top)
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        first, last = points[0][0], points[-1][0]
        body.append(
            f'<polygon points="{first:.1f},{base:.1f} {path} {last:.1f},{base:.1f}" '
            f'fill="{AREA}" opacity="0.7"/>'
        )
        body.append(
            f'<polyline class="series" points="{path}" fill="none" stroke="{LINE}" '
            'stroke-width="2"/>'
        )
    return _svg(body, kind="viewers")


def sales_chart(report: dict[str, Any], currency: str | None = None) -> str:
    """GMV per bucket in `currency` (the report's first by default), else orders per bucket."""
    series = report["series"]
    seconds = max(float(report["duration_s"]), float(series["bucket_s"]))
    gmv = {g["currency"]: g["minor"] for g in series["gmv"]}
    chosen = currency if currency in gmv else (next(iter(gmv)) if gmv else None)
    values: Sequence[int] = gmv[chosen] if chosen else series["orders"]
    scale = 10 ** CURRENCY_EXPONENTS.get(chosen, 2) if chosen else 1  # the axis in major units
    top = _nice_top(max(values, default=0) / scale)
    body = _axes(top, seconds)
    bucket = series["bucket_s"]
    width = max((WIDTH - LEFT - RIGHT) * bucket / seconds - 2, 1)
    for i, value in enumerate(values):
        if not value:
            continue
        x = _x(i * bucket, seconds) + 1
        y = _y(value / scale, top)
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
            f'height="{_y(0, top) - y:.1f}" fill="{LINE}"><title>{_number(value / scale)}'
            f"{' ' + escape(chosen) if chosen else ''}</title></rect>"
        )
    label = escape(chosen) if chosen else "#"
    body.append(f'<text x="{LEFT}" y="{TOP + 10}" fill="{INK}" dx="4">{label}</text>')
    return _svg(body, kind="sales")


def funnel_chart(report: dict[str, Any]) -> str:
    products = report["products"]
    row_h = 54
    height = TOP + BOTTOM + max(len(products), 1) * row_h
    top = _nice_top(
        max(
            (max(p["card_viewers"], p["add_to_cart"], p["orders"]) for p in products),
            default=0,
        )
    )
    label_w = 180
    plot_w = WIDTH - label_w - RIGHT - 40
    body = []
    for row, product in enumerate(products):
        y0 = TOP + row * row_h
        title = product["title"] if len(product["title"]) <= 26 else product["title"][:25] + "…"
        body.append(
            f'<text x="{label_w - 8}" y="{y0 + 28}" text-anchor="end" fill="{INK}">'
            f"{escape(title)}</text>"
        )
        values = (product["card_viewers"], product["add_to_cart"], product["orders"])
        for step, value in enumerate(values):
            y = y0 + 6 + step * 15
            w = plot_w * value / top
            body.append(
                f'<rect class="bar" x="{label_w}" y="{y}" width="{max(w, 1):.1f}" height="12" '
                f'fill="{BARS[step]}"/>'
            )
            body.append(
                f'<text x="{label_w + max(w, 1) + 6:.1f}" y="{y + 10}" fill="{INK}">{value}</text>'
            )
    return _svg(body, height=height, kind="funnel")
