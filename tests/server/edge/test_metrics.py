"""GET /metrics through prometheus_client: a live show's series until it ends, the room, the
database pool, event-loop lag and the process, parsed as a scraper parses them."""

from __future__ import annotations

import asyncio
import time

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from media.metrics import LATENCY, SHOW_SERIES
from server.edge.http.context import DATABASE
from server.edge.http.metrics import METRICS
from tests import factory, peers
from tests.conftest import config_for
from tests.test_end_to_end import whip

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(run) -> Samples:
    async with run.http.get(f"{run.url}/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        body = await resp.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def of_stream(samples: Samples, stream_id: int) -> set[str]:
    return {name for name, labels in samples if ("stream", str(stream_id)) in labels}


async def test_a_live_show_has_series_until_it_ends(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    host, offer = await peers.publisher_offer()
    status, answer, _ = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201
    await peers.accept(host, answer)
    stream = (("stream", str(show.stream_id)),)
    async with asyncio.timeout(15):
        while True:
            if (await scrape(run)).get(("shopcast_stream_packets_in_total", stream), 0) >= 10:
                break
            await asyncio.sleep(0.1)

    samples = await scrape(run)
    assert samples[("shopcast_media_shows", ())] == 1
    assert {name for name, *_ in SHOW_SERIES} | {
        f"{LATENCY}_bucket",
        f"{LATENCY}_sum",
        f"{LATENCY}_count",
    } == of_stream(samples, show.stream_id)
    infinite = (("le", "+Inf"), *stream)
    assert samples[(f"{LATENCY}_count", stream)] == samples[(f"{LATENCY}_bucket", infinite)]

    status, _ = await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
    assert status == 200
    samples = await scrape(run)
    assert samples[("shopcast_media_shows", ())] == 0
    assert of_stream(samples, show.stream_id) == set()
    await host.close()


async def test_the_event_loop_lag_is_measured(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    name = "shopcast_event_loop_lag_seconds"
    over = (("le", "0.25"),), (("le", "+Inf"),)  # observations up to 0.25 s, and all of them
    await asyncio.sleep(0.6)  # the probe has woken at least once
    before = await scrape(run)
    assert before[(f"{name}_count", ())] >= 1
    # Hold the loop 0.6 s: the probe's sleep (0.25 s) falls due inside and wakes >= 0.35 s late.
    asyncio.get_running_loop().call_soon(time.sleep, 0.6)
    await asyncio.sleep(0.7)
    after = await scrape(run)
    assert after[(f"{name}_sum", ())] - before[(f"{name}_sum", ())] >= 0.3
    late = [after[(f"{name}_bucket", le)] - before[(f"{name}_bucket", le)] for le in over]
    assert late[1] - late[0] >= 1  # one wake-up landed above 0.25 s


async def test_database_pool_and_process_metrics(backend, start) -> None:
    run = await start(config_for(backend))
    engine = run.app[DATABASE].engine
    async with engine.connect() as held:
        await held.execute(text("SELECT 1"))
        samples = await scrape(run)
        assert samples[("shopcast_db_pool_checked_out", ())] >= 1
    assert samples[("shopcast_db_pool_size", ())] == engine.pool.size() > 0
    assert samples[("shopcast_db_pool_checked_in", ())] >= 0
    assert samples[("shopcast_db_pool_overflow", ())] >= 0
    assert samples[("process_cpu_seconds_total", ())] > 0
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert any(name == "python_info" for name, _ in samples)
    assert samples[("shopcast_chat_events_total", ())] >= 0


async def test_two_apps_in_one_process_keep_their_own_registry(sqlite_backend, start) -> None:
    one = await start(config_for(sqlite_backend))
    two = await start(config_for(sqlite_backend))
    assert one.app[METRICS].registry is not two.app[METRICS].registry
    for run in (one, two):
        samples = await scrape(run)
        assert ("process_cpu_seconds_total", ()) in samples
        assert samples[("shopcast_event_loop_lag_seconds_count", ())] >= 0
