"""Builds a small world through the public HTTP API: a shop, products, a host and a show."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

_seq = itertools.count(1)


@dataclass
class Show:
    stream_id: int
    stream_key: str
    product_ids: list[int]
    host: str  # tokens
    seller: str
    viewer: str
    viewer2: str
    moderator: str


async def account(
    run: Any, role: str = "viewer", name: str | None = None, admin: str | None = None
) -> str:
    n = next(_seq)
    status, body = await run.call(
        "POST",
        "/api/accounts",
        token=admin,
        json={
            "email": f"{role}{n}@example.test",
            "password": "correct horse",
            "display_name": name or f"{role.title()} {n}",
            "role": role,
        },
    )
    assert status == 201, body
    return body["token"]


async def admin_token(run: Any) -> str:
    """Admins are not self-service: mint one the way an operator would, through the service."""
    from server.core.domain.roles import Principal, Role
    from server.edge.http.context import SERVICES

    services = run.app[SERVICES]
    system = Principal(subject="u:0", display_name="ops", role=Role.ADMIN, user_id=0)
    n = next(_seq)
    _, token = await services.accounts.register(
        f"admin{n}@example.test", "correct horse", "Ops", "admin", granted_by=system
    )
    return token


async def show(run: Any, stocks: tuple[int, ...] = (5, 3), currency: str = "EUR") -> Show:
    seller = await account(run, "seller")
    status, body = await run.call(
        "POST", "/api/sellers", seller, json={"name": "Shop", "country": "PL"}
    )
    assert status == 201, body
    product_ids = []
    for i, stock in enumerate(stocks):
        status, body = await run.call(
            "POST",
            "/api/products",
            seller,
            json={
                "title": f"Product {i}",
                "price_minor": 1999 + i,
                "currency": currency,
                "stock": stock,
            },
        )
        assert status == 201, body
        product_ids.append(body["id"])
    host = await account(run, "host")
    status, body = await run.call(
        "POST",
        "/api/streams",
        host,
        json={"title": "Live show", "language": "pl", "product_ids": product_ids},
    )
    assert status == 201, body
    admin = await admin_token(run)
    return Show(
        stream_id=body["id"],
        stream_key=body["stream_key"],
        product_ids=product_ids,
        host=host,
        seller=seller,
        viewer=await account(run),
        viewer2=await account(run),
        moderator=await account(run, "moderator", admin=admin),
    )


async def go_live(run: Any, stream_id: int) -> None:
    """Mark a show live without media (the WHIP path is tested in tests/media and e2e)."""
    from server.edge.http.context import SERVICES

    await run.app[SERVICES].streams.mark_live(stream_id)


async def offer(
    run: Any,
    seller: str,
    host: str | None = None,
    product_id: int | None = None,
    rate_bp: int = 1000,
    **terms: Any,
) -> int:
    """A seller's offer (a product, or the whole shop without `product_id`), joined by `host`
    when given (and approved when it asks for approval): the marketplace's way into line-ups."""
    status, body = await run.call(
        "POST", "/api/offers", seller, json={"product_id": product_id, "rate_bp": rate_bp, **terms}
    )
    assert status == 201, body
    offer_id = body["id"]
    if host is not None:
        status, member = await run.call("POST", f"/api/offers/{offer_id}/join", host, json={})
        assert status == 201, member
        if member["status"] == "pending":
            status, member = await run.call(
                "POST",
                f"/api/offers/{offer_id}/members/{member['host_id']}",
                seller,
                json={"decision": "approve"},
            )
            assert status == 200, member
    return int(offer_id)
