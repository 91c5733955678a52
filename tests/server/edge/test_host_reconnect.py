"""A host whose connection drops: the room hears it, viewers stay, and the same viewers see the
host again when it publishes a new WHIP session on the same stream."""

from __future__ import annotations

import asyncio

from tests import factory, peers
from tests.chat.test_room import joined
from tests.test_end_to_end import whep, whip

RED = (220, 30, 30)


async def test_viewers_hear_the_host_drop_and_see_it_come_back(running) -> None:
    show = await factory.show(running)
    client, events, _ = await joined(running, show.viewer, show.stream_id, "stream_status")
    host, offer = await peers.publisher_offer("vp8")
    status, answer, _ = await whip(running, show.stream_id, show.stream_key, offer)
    assert status == 201
    await peers.accept(host, answer)
    assert await events.next("stream_status") == {"status": "live", "publisher": "connected"}
    viewer, frames = await peers.viewer_offer()
    status, answer, _ = await whep(running, show.stream_id, viewer.localDescription.sdp)
    assert status == 201
    await peers.accept(viewer, answer)
    async with asyncio.timeout(15):
        assert peers.mean_rgb(await frames.get())[1] > 150  # green

    await host.close()  # the host's network goes: no WHIP DELETE
    assert await events.next("stream_status") == {"status": "live", "publisher": "disconnected"}
    assert viewer.connectionState == "connected"

    again, offer = await peers.publisher_offer("vp8", rgb=RED)  # the same codec as before
    status, answer, _ = await whip(running, show.stream_id, show.stream_key, offer)
    assert status == 201
    await peers.accept(again, answer)
    assert await events.next("stream_status") == {"status": "live", "publisher": "connected"}
    async with asyncio.timeout(15):  # the same viewer session, now showing the new host
        while peers.mean_rgb(await frames.get())[0] < 150:
            pass
    for pc in (viewer, again):
        await pc.close()
    await client.disconnect()
