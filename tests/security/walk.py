"""Walks every door with every role and writes down the answer class each gets.

An answer is "ok" (any 2xx, or an ack with ok: true), "<status> <code>" for an HTTP refusal,
the error code of a refusing ack, or "refused <code>" when the socket may not even connect.
"""

from __future__ import annotations

import socketio
from aiohttp import web

from tests.security.doors import EVENTS, HTTP
from tests.security.world import ROLES, World

ACK_TIMEOUT_S = 10
SKIPPED_EVENTS = frozenset({"disconnect"})  # not a request: the socket going away
# The Socket.IO transport's own route: what it carries is walked as the events.
SKIPPED_ROUTES = frozenset({"GET /socket.io/", "POST /socket.io/", "OPTIONS /socket.io/"})


def routes_of(app: web.Application) -> set[str]:
    """Every route of the app as "METHOD /canonical"; HEAD is answered as GET is."""
    found = {f"{r.method} {r.resource.canonical}" for r in app.router.routes() if r.resource}
    return {door for door in found if not door.startswith("HEAD ")} - SKIPPED_ROUTES


def events_of(namespace: socketio.AsyncNamespace) -> set[str]:
    handlers = {name[3:] for name in dir(namespace) if name.startswith("on_")}
    return handlers - SKIPPED_EVENTS


def base(door: str) -> str:
    """The route or event a door (or a variant of it, "audit_log platform") knocks on."""
    parts = door.split(" ")
    return " ".join(parts[:2]) if parts[0].isupper() else parts[0]


async def knock(world: World, door: str, role: str) -> str:
    request = await HTTP[door](world, role)
    token = world.tokens[role] if request.own_token else request.token
    headers = dict(request.headers)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    method, url = door.split(" ", 1)[0], world.run.url + request.path
    kw = {"json": request.json} if request.json is not None else {"data": request.data}
    async with world.run.http.request(method, url, headers=headers, **kw) as response:
        if 200 <= response.status < 300:
            return "ok"
        body = await response.json(content_type=None)  # every refusal is JSON with a code
        return f"{response.status} {body['error']['code']}"


async def walk_http(world: World) -> dict[str, dict[str, str]]:
    return {door: {role: await knock(world, door, role) for role in ROLES} for door in HTTP}


async def walk_events(world: World) -> dict[str, dict[str, str]]:
    seen: dict[str, dict[str, str]] = {door: {} for door in ["connect", *EVENTS]}
    for role in ROLES:
        client, refusal = await _connect(world, role)
        seen["connect"][role] = refusal or "ok"
        for door, payload_of in EVENTS.items():
            if client is None:
                seen[door][role] = str(refusal)
                continue
            payload = await payload_of(world, role)
            if door != "join":
                await client.call("join", {"stream_id": world.show}, timeout=ACK_TIMEOUT_S)
            ack = await client.call(base(door), payload, timeout=ACK_TIMEOUT_S)
            seen[door][role] = "ok" if ack.get("ok") else str(ack["error"]["code"])
        if client is not None:
            await client.disconnect()
    return seen


async def _connect(world: World, role: str) -> tuple[socketio.AsyncClient | None, str | None]:
    """A socket of the role's, or why the server refused it (the code it sent)."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[object] = []
    client.on("connect_error", refusals.append)
    token = world.tokens[role]
    try:
        await client.connect(
            world.run.url, auth={"token": token} if token else None, transports=["websocket"]
        )
    except socketio.exceptions.ConnectionError:
        data = refusals[0] if refusals else None
        return None, f"refused {data.get('message') if isinstance(data, dict) else data}"
    world.run.clients.append(client)
    return client, None
