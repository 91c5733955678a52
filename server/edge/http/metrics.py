"""GET /metrics: per-show media counters and the live room's fan-out counters, in the
Prometheus text format (version 0.0.4).

Counters belong to a show for as long as this process serves it; a show that ends and starts
again starts from zero, which Prometheus reads as a counter reset.

With `SHOPCAST_METRICS_TOKEN` set the scraper must send `Authorization: Bearer <token>`
(Prometheus: `authorization: {credentials: ...}`); unset, the page is open to anyone who can
reach it, which only suits a port the public cannot.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from media.metrics import ShowMetrics
from server.core.auth import bearer
from server.core.domain.errors import AuthRequired
from server.edge.http.context import CONFIG, MEDIA, ROOM

routes = web.RouteTableDef()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# name, type, help, value of one show's metrics
SERIES = (
    ("shopcast_stream_viewers", "gauge", "Viewers connected to the stream's media",
     lambda m: m.viewers),
    ("shopcast_stream_packets_in_total", "counter", "RTP packets received from the host",
     lambda m: m.packets_in),
    ("shopcast_stream_bytes_in_total", "counter", "RTP payload bytes received from the host",
     lambda m: m.bytes_in),
    ("shopcast_stream_packets_out_total", "counter", "RTP packets sent to viewers",
     lambda m: m.out.packets),
    ("shopcast_stream_bytes_out_total", "counter", "RTP payload bytes sent to viewers",
     lambda m: m.out.octets),
    ("shopcast_stream_packets_dropped_total", "counter",
     "Packets not sent to a viewer waiting for a keyframe (joining or lagging)",
     lambda m: m.out.dropped),
    ("shopcast_stream_viewer_lag_total", "counter",
     "Times a viewer's socket backed up and it was dropped to the next keyframe",
     lambda m: m.out.lagged),
    ("shopcast_stream_retransmitted_packets_total", "counter",
     "Packets re-sent to viewers on their NACKs", lambda m: m.out.retransmitted),
    ("shopcast_stream_viewer_keyframe_requests_total", "counter",
     "PLI/FIR received from viewers", lambda m: m.out.keyframe_requests),
    ("shopcast_stream_host_keyframe_requests_total", "counter",
     "Keyframe requests sent to the host (after coalescing)",
     lambda m: m.keyframe_requests_to_host),
)  # fmt: skip
LATENCY = "shopcast_stream_forwarding_latency_seconds"


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    check_scraper(request)
    shows = request.app[MEDIA].metrics()
    text = render(shows) + render_room(request.app[ROOM].fanout_counts())
    return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE})


def check_scraper(request: web.Request) -> None:
    expected = request.app[CONFIG].metrics_token
    if expected is None:
        return
    sent = bearer(request.headers.get("Authorization"))
    if sent is None:
        raise AuthRequired("send Authorization: Bearer <SHOPCAST_METRICS_TOKEN>")
    # Compared in constant time: how long a refusal takes says nothing about the token.
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise AuthRequired("the metrics token is wrong", code="bad_token")


# name, help, key of the room's fan-out counts (chat/room_base.py `fanout_counts`)
ROOM_SERIES = (
    ("shopcast_chat_events_total", "Room events sent (chat, pins, stock, counters)", "events"),
    ("shopcast_chat_frames_total", "Room frames sent (a batch frame carries several events)",
     "frames"),
    ("shopcast_chat_socket_writes_direct_total",
     "Frame copies written straight to a socket (chat/fanout.py)", "direct"),
    ("shopcast_chat_socket_writes_queued_total",
     "Frame copies that took Engine.IO's queue (polling, slow readers)", "queued"),
)  # fmt: skip


def render_room(counts: dict[str, int]) -> str:
    lines = []
    for name, text, key in ROOM_SERIES:
        lines += [f"# HELP {name} {text}", f"# TYPE {name} counter", f"{name} {counts[key]}"]
    return "\n".join(lines) + "\n"


def render(shows: dict[str, ShowMetrics]) -> str:
    lines = [
        "# HELP shopcast_media_shows Shows this process serves",
        "# TYPE shopcast_media_shows gauge",
    ]
    lines.append(f"shopcast_media_shows {len(shows)}")
    for name, kind, text, value in SERIES:
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
        lines += [f"{name}{{stream={_label(key)}}} {value(m)}" for key, m in shows.items()]
    lines += [
        f"# HELP {LATENCY} Host packet in to the last viewer's copy handed to the kernel",
        f"# TYPE {LATENCY} histogram",
    ]
    for key, m in shows.items():
        label = _label(key)
        for bound, seen in m.latency.cumulative():
            le = "+Inf" if bound == float("inf") else repr(bound)
            lines.append(f'{LATENCY}_bucket{{stream={label},le="{le}"}} {seen}')
        lines.append(f"{LATENCY}_sum{{stream={label}}} {m.latency.total}")
        lines.append(f"{LATENCY}_count{{stream={label}}} {m.latency.count}")
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
