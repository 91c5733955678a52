"""The OpenAPI document against the app it describes: every route the router has is documented
and nothing else is, and every documented request body is the model its handler validates with."""

from __future__ import annotations

import inspect
import re

from aiohttp import web

from server.contract.body import Body
from server.edge.http.openapi import OPERATIONS, document, openapi_path

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
