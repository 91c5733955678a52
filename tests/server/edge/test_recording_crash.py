"""SIGKILL of the ingest node mid-show: its H.264 recording (fragmented MP4) keeps everything up
to its last whole fragment, and the node recovers it when it starts again.

The node is a separate `python -m server serve` process on a SQLite file; the test process
makes the show (an app of its own on the same database and secret) and publishes to the node
with a real aiortc host over WHIP.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import av
import pytest

from media.clips import probe
from media.recording import FRAGMENT_S
from server.edge.http.context import SERVICES
from tests import factory, peers
from tests.conftest import config_for
from tests.server.edge.test_cli import free_port
from tests.test_end_to_end import whip

pytestmark = pytest.mark.slow
logger = logging.getLogger(__name__)

# What a kill may cost: the fragment being gathered (FRAGMENT_S), the frames on their way to
# the recorder and the listing's own lag.
LOST_AT_MOST_S = FRAGMENT_S + 2.0


class Node:
    """One `server serve` process, started (and started again) on the same environment."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = aiohttp.ClientSession()
        self.proc: asyncio.subprocess.Process | None = None

    async def migrate(self) -> None:
        with self.log.open("ab") as out:
            migrate = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "server", "migrate", env=self.env, stdout=out, stderr=out
            )
            assert await migrate.wait() == 0, self.log.read_text(errors="replace")

    async def serve(self) -> None:
        with self.log.open("ab") as out:  # a file, not a pipe: a full pipe would stall it
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "server", "serve", "--port", str(self.port),
                env=self.env, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        for _ in range(150):
            try:
                async with self.http.get(self.url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            if self.proc.returncode is not None:
                pytest.fail("the node stopped:\n" + self.log.read_text(errors="replace"))
            await asyncio.sleep(0.2)
        pytest.fail("the node never answered:\n" + self.log.read_text(errors="replace"))

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        assert await self.proc.wait() == -signal.SIGKILL

    async def stop(self) -> None:
        await self.http.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    async def recordings(self, stream_id: int, token: str) -> list[dict]:
        async with self.http.get(
            f"{self.url}/api/streams/{stream_id}/recordings",
            headers={"Authorization": f"Bearer {token}"},
        ) as resp:
            assert resp.status == 200, await resp.text()
            return (await resp.json())["recordings"]


@pytest.fixture
async def node(sqlite_backend, tmp_path: Path) -> AsyncIterator[tuple[Node, object]]:
    config = config_for(sqlite_backend)
    env = {
        **os.environ,
        "SHOPCAST_DATABASE_URL": sqlite_backend.database_url,
        "SHOPCAST_SECRET": config.secret,
        "SHOPCAST_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "SHOPCAST_PAYMENTS": "test",
        "SHOPCAST_ALLOW_TEST_PAYMENTS": "1",
        "SHOPCAST_WORKERS": "1",  # the killed process is the one that ingests and records
    }
    env.pop("SHOPCAST_REDIS_URL", None)
    ingest = Node(env, tmp_path / "node.log")
    await ingest.migrate()
    try:
        yield ingest, config
    finally:
        await ingest.stop()


def decoded_seconds(path: Path) -> tuple[int, float]:
    """How many video frames decode from the file, and where the last one is (s)."""
    with av.open(str(path)) as played:
        pictures = list(played.decode(video=0))
    assert pictures and pictures[0].key_frame
    last = pictures[-1]
    return len(pictures), float(last.pts * last.time_base)


async def test_a_killed_node_keeps_the_recording_up_to_the_kill(start, node, tmp_path) -> None:
    ingest, config = node
    run = await start(config)  # makes the show; the node ingests it
    show = await factory.show(run)
    await ingest.serve()
    host, offer = await peers.publisher_offer("h264")
    status, answer, _ = await whip(ingest, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    await peers.accept(host, answer)

    # Live: listed as `recording`, its file growing, and readable while it is written.
    for _ in range(300):
        listed = await ingest.recordings(show.stream_id, show.host)
        if listed and listed[0]["duration_ms"] >= 5000:
            break
        await asyncio.sleep(0.1)
    [live] = listed
    assert live["status"] == "recording" and live["container"] == "mp4", live
    [info] = await run.app[SERVICES].recordings.for_stream(show.stream_id)
    path = Path(info.path)
    assert info.live and path.parent == tmp_path / "recordings"
    frames, _ = decoded_seconds(path)  # the file as it is being written
    assert frames >= 3 * 25

    await asyncio.sleep(1.3)  # not a wait for a state: the kill lands inside a fragment
    await ingest.kill()
    killed_at = datetime.now(UTC)
    await host.close()
    started_at = datetime.fromisoformat(live["started_at"])
    shown_s = (killed_at - started_at).total_seconds()

    # What the kill left: every whole fragment decodes, up to within a few seconds of it.
    left = probe(path)
    assert left.duration_ms >= live["duration_ms"]
    frames, last_s = decoded_seconds(path)
    assert last_s >= shown_s - LOST_AT_MOST_S, (last_s, shown_s)
    assert frames >= (shown_s - LOST_AT_MOST_S) * 20  # aiortc's camera sends ~30 fps
    logger.info(
        "killed %.2f s after the first frame: %d frames decode, the last at %.2f s; the file "
        "reads %d ms, the listing said %d ms just before",
        shown_s, frames, last_s, left.duration_ms, live["duration_ms"],
    )  # fmt: skip
    [still] = await run.app[SERVICES].recordings.for_stream(show.stream_id)
    assert still.status == "recording"  # nobody has finished it

    # Started again, the node recovers it: interrupted, with what its file really holds.
    await ingest.serve()
    [recovered] = await ingest.recordings(show.stream_id, show.host)
    assert recovered["id"] == live["id"] and recovered["status"] == "interrupted"
    assert recovered["duration_ms"] == probe(path).duration_ms
    assert recovered["duration_ms"] >= (shown_s - LOST_AT_MOST_S) * 1000
    assert recovered["bytes"] == path.stat().st_size
    async with ingest.http.get(
        ingest.url + recovered["file_url"], headers={"Authorization": f"Bearer {show.host}"}
    ) as resp:
        assert resp.status == 200 and resp.content_type == "video/mp4"
        (tmp_path / "served.mp4").write_bytes(await resp.read())
    served_frames, served_last_s = decoded_seconds(tmp_path / "served.mp4")
    assert served_last_s >= shown_s - LOST_AT_MOST_S
    assert served_frames >= frames - 2 * 30  # at most the torn fragment was cut off
    [info] = await run.app[SERVICES].recordings.for_stream(show.stream_id)
    assert info.status == "interrupted" and info.playable and not info.complete
    assert info.ended_at is not None and info.ended_at <= killed_at
