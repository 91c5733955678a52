"""The domain events port (server/core/events.py) without a server: listeners hear events in
the order published, a faulty listener is logged and stops nobody, and the services publish
only what their transaction committed (a listener reading the record in its own session finds
the change; a change whose transaction fails publishes nothing)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from server.contract.deals import NewDeal
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.streams import StreamStatus
from server.core.events import (
    DealChange,
    DealChanged,
    DomainEvent,
    DomainEvents,
    ProductPinned,
    ProductUnpinned,
    Publisher,
    StreamStatusChanged,
)
from server.core.services.deals import DealService, DealTerms
from server.core.services.streams import StreamService
from server.core.store.db import Database
from server.core.store.rows import FlashDeal, Stream, StreamProduct, as_utc
from tests.server import rows

DEAL = {"price_minor": 500, "duration_s": 60, "quantity": 3}


def _deal(product_id: int) -> DealTerms:
    return NewDeal.parse({**DEAL, "product_id": product_id}).terms()


@pytest.fixture
async def db(backend) -> AsyncIterator[Database]:
    async for database in rows.database(backend):
        yield database


async def test_listeners_hear_every_event_in_the_order_published() -> None:
    port = DomainEvents()
    heard: list[tuple[str, DomainEvent]] = []

    async def first(event: DomainEvent) -> None:
        heard.append(("first", event))

    async def second(event: DomainEvent) -> None:
        heard.append(("second", event))

    port.subscribe(first)
    port.subscribe(second)
    live = StreamStatusChanged(1, StreamStatus.LIVE, Publisher.CONNECTED)
    pinned = ProductPinned(1, 7, (7,))
    unpinned = ProductUnpinned(1, 7)
    for event in (live, pinned, unpinned):
        await port.publish(event)

    assert heard == [
        ("first", live),
        ("second", live),
        ("first", pinned),
        ("second", pinned),
        ("first", unpinned),
        ("second", unpinned),
    ]


async def test_a_faulty_listener_is_logged_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = DomainEvents()
    heard: list[DomainEvent] = []

    async def faulty(event: DomainEvent) -> None:
        raise RuntimeError("the webhook's server is down")

    async def room(event: DomainEvent) -> None:
        heard.append(event)

    port.subscribe(faulty)
    port.subscribe(room)
    event = ProductUnpinned(1, 2)
    with caplog.at_level(logging.ERROR, logger="server.core.events"):
        await port.publish(event)  # does not raise

    assert heard == [event]
    [record] = caplog.records
    assert "ProductUnpinned" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


async def test_a_listeners_fault_does_not_fail_the_service_call(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    world = await rows.world(db)
    port = DomainEvents()

    async def faulty(event: DomainEvent) -> None:
        raise RuntimeError("boom")

    port.subscribe(faulty)
    streams = StreamService(db, events=port)
    with caplog.at_level(logging.ERROR, logger="server.core.events"):
        live = await streams.publisher_connected(world.stream_ids[0])
    assert live.status == StreamStatus.LIVE
    assert len(caplog.records) == 1


async def test_stream_status_is_published_after_its_commit_and_not_when_it_fails(
    db: Database,
) -> None:
    world = await rows.world(db)
    stream_id = world.stream_ids[0]
    port = DomainEvents()
    heard: list[tuple[DomainEvent, str | None]] = []

    async def reader(event: DomainEvent) -> None:
        async with db.reading() as session:  # its own session: sees only what is committed
            stream = await session.get(Stream, stream_id)
            heard.append((event, stream.status if stream else None))

    port.subscribe(reader)
    streams = StreamService(db, events=port)
    await streams.publisher_connected(stream_id)
    await streams.publisher_dropped(stream_id)
    await streams.end(world.hosts[0], stream_id)
    with pytest.raises(Conflict):
        await streams.end(world.hosts[0], stream_id)  # already ended: nothing committed
    with pytest.raises(Conflict):
        await streams.publisher_connected(stream_id)

    assert heard == [
        (StreamStatusChanged(stream_id, StreamStatus.LIVE, Publisher.CONNECTED), "live"),
        (StreamStatusChanged(stream_id, StreamStatus.LIVE, Publisher.DISCONNECTED), "live"),
        (StreamStatusChanged(stream_id, StreamStatus.ENDED, Publisher.DISCONNECTED), "ended"),
    ]


async def test_pins_are_published_after_their_commit(db: Database) -> None:
    world = await rows.world(db)
    stream_id, product_id = world.stream_ids[0], world.product_ids[0]
    async with db.writing() as session:
        session.add(StreamProduct(stream_id=stream_id, product_id=product_id, position=0))
    port = DomainEvents()
    heard: list[tuple[DomainEvent, bool]] = []

    async def reader(event: DomainEvent) -> None:
        async with db.reading() as session:
            row = await session.get(StreamProduct, (stream_id, product_id))
            heard.append((event, row is not None and row.pinned_at is not None))

    port.subscribe(reader)
    streams = StreamService(db, events=port)
    await streams.pin(None, stream_id, product_id)
    with pytest.raises(ValidationError):
        await streams.pin(None, stream_id, world.product_ids[1])  # not in the line-up
    assert await streams.unpin(None, stream_id, product_id)
    assert not await streams.unpin(None, stream_id, product_id)  # not pinned: no change

    assert heard == [
        (ProductPinned(stream_id, product_id, (product_id,)), True),
        (ProductUnpinned(stream_id, product_id), False),
    ]


async def test_deals_are_published_after_their_commit_and_drop_the_shows_copy_first(
    db: Database,
) -> None:
    world = await rows.world(db)
    stream_id, product_id = world.stream_ids[0], world.product_ids[0]
    async with db.writing() as session:
        session.add(StreamProduct(stream_id=stream_id, product_id=product_id, position=0))
    port = DomainEvents()
    steps: list[object] = []

    async def reader(event: DomainEvent) -> None:
        assert isinstance(event, DealChanged)
        async with db.reading() as session:
            stored = await session.get(FlashDeal, event.deal.id)
            same = stored is not None and as_utc(stored.ends_at) == as_utc(event.deal.ends_at)
            steps.append((event.change, same))

    port.subscribe(reader)
    deals = DealService(db, port, show_changed=lambda show: steps.append(("copy dropped", show)))
    now = datetime.now(UTC)
    deal = await deals.start(None, stream_id, _deal(product_id), now)
    with pytest.raises(Conflict):  # one deal per product at a time: nothing written
        await deals.start(None, stream_id, _deal(product_id), now)
    with pytest.raises(ValidationError):
        await deals.start(None, stream_id, _deal(world.product_ids[1]), now)
    await deals.end(None, deal.id, now)

    assert steps == [
        ("copy dropped", stream_id),
        (DealChange.STARTED, True),
        ("copy dropped", stream_id),
        (DealChange.ENDED, True),
    ]
