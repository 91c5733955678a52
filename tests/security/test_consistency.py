"""The fuzzers' database checks catch what they look for (so a pass of theirs means something):
buying and cancelling conserve units; a lost unit, an order without lines and a deal whose
count disagrees with its orders are all reported."""

from __future__ import annotations

from sqlalchemy import text

from server.edge.http.context import DATABASE
from tests import factory
from tests.conftest import config_for
from tests.security import consistency


async def test_units_are_conserved_and_faults_are_named(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run, stocks=(5,))
    await factory.go_live(run, show.stream_id)
    before = await consistency.stock(run.app)
    assert before.faults == ()
    body = {"product_id": show.product_ids[0], "quantity": 2, "idempotency_key": "conserve1"}
    status, order = await run.call(
        "POST", f"/api/streams/{show.stream_id}/orders", show.viewer, json=body
    )
    assert status == 201, order
    assert consistency.conserved(before, await consistency.stock(run.app)) == []
    status, _ = await run.call("POST", f"/api/orders/{order['id']}/cancel", show.viewer)
    assert status == 200
    assert consistency.conserved(before, await consistency.stock(run.app)) == []

    async with run.app[DATABASE].writing() as session:
        await session.execute(text("UPDATE product_variants SET stock = stock - 1"))
        await session.execute(text("DELETE FROM order_lines"))
    faults = consistency.conserved(before, await consistency.stock(run.app))
    assert any("units before" in fault for fault in faults), faults
    assert f"order {order['id']} has no lines" in faults
