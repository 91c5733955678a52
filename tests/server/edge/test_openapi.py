"""The OpenAPI document against the app it describes: every route the router has is documented
and nothing else is, every documented request body is the model its handler validates with,
and every JSON answer the app sends is the answer model the document names for it."""

from __future__ import annotations

import inspect
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from pydantic import ValidationError as PydanticError

from server.contract.body import Body
from server.core.domain.payments import EventKind
from server.core.services.password_resets import token_hash
from server.core.store.rows import PasswordReset, utcnow
from server.edge.http.context import DATABASE, SERVICES
from server.edge.http.openapi import OPERATIONS, document, openapi_path
from tests import factory
from tests.security import matrix
from tests.security.doors import HTTP
from tests.security.walk import base
from tests.security.world import World, build
from tests.security.world import config as world_config
from tests.server.edge.test_replays import record_show

PARSED = re.compile(r"\b([A-Z]\w*)\.parse\(")


def subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct} | subclasses(direct)}


BODY_MODELS = {model.__name__ for model in subclasses(Body)}


def router_routes(app: web.Application) -> dict[tuple[str, str], web.AbstractRoute]:
    found = {}
    for route in app.router.routes():
        if route.method == "HEAD":  # aiohttp answers HEAD for every GET
            continue
        resource = route.resource
        assert resource is not None
        path = resource.canonical
        if isinstance(resource, web.StaticResource):
            path += "/{filename}"
        found[(route.method.lower(), openapi_path(path))] = route
    return found


def documented(served: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in served["paths"].items() for method in ops}


async def test_the_document_names_every_route_and_only_those(running) -> None:
    status, served = await running.call("GET", "/api/openapi.json")
    assert status == 200 and served == document()
    assert served["openapi"] == "3.1.0"
    routes = set(router_routes(running.app))
    assert routes - documented(served) == set(), "routes the document leaves out"
    assert documented(served) - routes == set(), "documented routes the app does not have"


async def test_each_documented_body_is_the_model_its_handler_parses(running) -> None:
    routes = router_routes(running.app)
    for op in OPERATIONS:
        handler = routes[(op.method, openapi_path(op.path))].handler
        parsed = set(PARSED.findall(inspect.getsource(handler))) & BODY_MODELS
        where = f"{op.method.upper()} {op.path}"
        assert parsed == ({op.body.__name__} if op.body else set()), where
        if op.body is not None:
            request = document()["paths"][openapi_path(op.path)][op.method]["requestBody"]
            schema = request["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{op.body.__name__}"}, where


def test_every_refusal_has_the_error_shape() -> None:
    served = document()
    error = served["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    problem = served["components"]["schemas"]["Problem"]
    assert sorted(problem["required"]) == ["code", "message"]
    for path, ops in served["paths"].items():
        for method, op in ops.items():
            refused = op["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert refused == {"$ref": "#/components/schemas/Error"}, f"{method} {path}"


def test_path_parameters_are_the_routes_placeholders() -> None:
    for path, ops in document()["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        for op in ops.values():
            params = [p["name"] for p in op.get("parameters", ()) if p["in"] == "path"]
            assert params == names, path


def test_every_reference_resolves() -> None:
    served = document()
    schemas = served["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', str(served).replace("'", '"'))
    assert refs and set(refs) <= set(schemas)


async def test_every_json_answer_is_the_model_the_document_names(sqlite_backend, start, tmp_path):
    """Every documented route with a JSON answer, called for real by every role that may (the
    security suite's world and doors): each body validates against its answer model, which
    forbids fields it does not name, so a serializer and its model cannot drift apart. A route
    without a door is test_authorization_matrix.py's to name."""
    run = await start(world_config(sqlite_backend))
    world = await build(run, tmp_path)
    faults, missing, checked = [], [], 0
    for op in OPERATIONS:
        if op.answer is None:
            continue
        route = f"{op.method.upper()} {openapi_path(op.path)}"
        if route not in HTTP and route not in OWN_KNOCKS:
            missing.append(route)  # test_authorization_matrix.py fails for it: no door
            continue
        knocks = [
            (door, role)
            for door in HTTP
            if base(door) == route
            for role, answer in matrix.expected(door).items()
            if answer == "ok"
        ]
        own = OWN_KNOCKS.get(route)
        if not knocks and own is None:
            faults.append(f"{route}: nobody gets an answer at its doors (security/doors.py)")
        answers = [(door, role, await _answer(world, door, role)) for door, role in knocks]
        if own is not None:
            answers.append((route, "its own", await own(world)))
        for door, role, (status, body) in answers:
            try:
                assert 200 <= status < 300, f"status {status}: {body}"
                op.answer.model_validate(body)
            except (AssertionError, PydanticError) as exc:
                faults.append(f"{door} as {role}: {exc}")
            checked += 1
    assert not faults, "\n".join(faults)
    assert checked > len(OPERATIONS) - len(missing)


async def _new_shop(world: World) -> tuple[int, object]:
    """Every seller of the world has a shop: a new seller opens one."""
    seller = await factory.account(world.run, "seller")
    return await world.run.call(
        "POST", "/api/sellers", seller, json={"name": "New shop", "country": "FR"}
    )


async def _captured_again(world: World) -> tuple[int, object]:
    """The gateway tells again of a capture it made (it changes nothing)."""
    gateway = world.run.app[SERVICES].lifecycle.gateway
    auth_id, charge = next(iter(gateway._charges.items()))
    event = gateway.event(EventKind.CAPTURED, auth_id, charge.authorization.amount)
    hook = gateway.signed(event)
    url = f"/api/payments/{gateway.name}/webhook"
    return await world.run.call("POST", url, data=hook.body, headers=hook.headers)


_REPLAYS: dict[int, tuple[int, str]] = {}


async def _replayed(world: World) -> tuple[int, str]:
    """A show of the world's that ended and was recorded (its id and its host's token): the
    world's own are live, so they have no replay yet."""
    if id(world) not in _REPLAYS:
        show = await factory.show(world.run)
        await factory.go_live(world.run, show.stream_id)
        ended, _ = await world.run.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
        assert ended == 200
        await record_show(world.run, show.stream_id, world.tmp / "replayed", seconds=2)
        _REPLAYS[id(world)] = show.stream_id, show.host
    return _REPLAYS[id(world)]


def _replay(suffix: str) -> Callable[[World], Awaitable[tuple[int, object]]]:
    async def knock(world: World) -> tuple[int, object]:
        stream_id, host = await _replayed(world)
        return await world.run.call("GET", f"/api/streams/{stream_id}/replay{suffix}", host)

    return knock


# Routes whose doors answer "ok" to nobody in the security world, knocked on here instead.
async def _reset_confirmed(world: World) -> tuple[int, object]:
    """A reset link's token as the email carries it (the email itself: test_password_reset.py)."""
    token = await factory.account(world.run)
    me = (await world.run.call("GET", "/api/me", token))[1]
    raw = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(minutes=5)
    async with world.run.app[DATABASE].writing() as session:
        session.add(
            PasswordReset(user_id=me["user_id"], token_hash=token_hash(raw), expires_at=expires)
        )
    body = {"token": raw, "password": "a brand new one"}
    return await world.run.call("POST", "/api/auth/password-reset/confirm", json=body)


OWN_KNOCKS = {
    "POST /api/auth/password-reset/confirm": _reset_confirmed,
    "POST /api/sellers": _new_shop,
    "POST /api/payments/{gateway}/webhook": _captured_again,
    "GET /api/streams/{id}/replay": _replay(""),
    "GET /api/streams/{id}/replay/chat": _replay("/chat"),
}


async def _answer(world: World, door: str, role: str) -> tuple[int, object]:
    """What the role's knock on the door gets back: the status and the JSON body."""
    sent = await HTTP[door](world, role)
    token = world.tokens[role] if sent.own_token else sent.token
    headers = sent.headers | ({"Authorization": f"Bearer {token}"} if token else {})
    body = {"json": sent.json} if sent.json is not None else {"data": sent.data}
    url = world.run.url + sent.path
    async with world.run.http.request(door.split()[0], url, headers=headers, **body) as response:
        return response.status, await response.json()
