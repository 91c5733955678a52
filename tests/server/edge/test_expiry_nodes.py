"""Two nodes on one PostgreSQL expire unpaid orders at the same moment: each order is expired by
exactly one of them, and its stock comes back once."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from server.edge.http.context import SERVICES
from tests import factory
from tests.conftest import Backend, config_for, reset_postgres

ORDERS = 24


async def test_two_nodes_expire_disjoint_orders(session_postgres_url, start) -> None:
    await reset_postgres(session_postgres_url)
    config = config_for(Backend("postgres", session_postgres_url, None))
    first = await start(config)
    second = await start(replace(config))
    show = await factory.show(first, stocks=(ORDERS + 6, 3))
    await factory.go_live(first, show.stream_id)
    product = show.product_ids[0]
    placed = set()
    for _ in range(ORDERS):
        body = {"product_id": product, "quantity": 1, "idempotency_key": secrets.token_hex(8)}
        path = f"/api/streams/{show.stream_id}/orders"
        status, order = await first.call("POST", path, show.viewer, json=body)
        assert status == 201, order
        placed.add(order["id"])
    _, shelf = await first.call("GET", f"/api/products/{product}")
    assert shelf["stock"] == 6

    later = datetime.now(UTC) + timedelta(hours=1)
    lifecycles = [run.app[SERVICES].lifecycle for run in (first, second)]
    one, other = await asyncio.gather(*(lc.expire_due(later) for lc in lifecycles))

    ids_one, ids_other = [o.id for o in one], [o.id for o in other]
    assert len(ids_one) == len(set(ids_one)) and len(ids_other) == len(set(ids_other))
    assert set(ids_one).isdisjoint(ids_other)
    assert set(ids_one) | set(ids_other) == placed
    _, shelf = await second.call("GET", f"/api/products/{product}")
    assert shelf["stock"] == ORDERS + 6  # every unit back, none twice
    assert await lifecycles[0].expire_due(later) == []
