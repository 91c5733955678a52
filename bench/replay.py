"""Replay start-up benchmark: how soon a shoppable replay plays, and how soon a chapter click
plays at the chapter's moment, in Debian's Chromium (driven by Playwright, as the web tests do).

A Shopcast server runs in its own process (`create_app` on SQLite in a temporary folder): a
host, a seller with three products and a show are made through the HTTP API; the show goes
live, the host pins the products one after the other (through the streams service, as the live
room does), the show ends, and its recording is made through the recorder (media/recording.py)
from real encoded frames: `--minutes` of 160x120 H.264 at 30 fps (a keyframe every
`--gop` frames) and Opus, remuxed to MP4 and stored as the media service stores one. The
recording's clock is placed so that the chapters fall at equal parts of it (the pins happen
within a second here; in a show of minutes they would be minutes apart).

Each try opens `/watch/<id>` in a fresh browser context (no cache, no cookies: a viewer who
arrives from a link) and measures, on the page's own clock (`performance.now()`, whose 0 is
the navigation start):

- start-up: navigation start to the first video frame presented while the video is playing
  (`video.requestVideoFrameCallback`: `performance.now()` in the first callback with `paused`
  false, i.e. when the page learns of the frame); the `playing` event's time is kept too;
- chapter: the click on a chapter other than the first (each of the others in turn; a
  capturing click listener takes its time) to the first such callback whose frame's media time
  lies in that chapter (the frame's own `presentationTime` is kept too, in the JSON).

    .venv/bin/python bench/replay.py                 # 20 tries, a 3-minute recording
    .venv/bin/python bench/replay.py --tries 3 --minutes 1

Prints a table (p50, p99, max over the tries) and writes bench/results/replay.json (`--out`
elsewhere) with every try's figures, the machine, the commit and the time of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat import post_json  # noqa: E402
from bench.harness import processes, report  # noqa: E402
from bench.harness.processes import Child, say  # noqa: E402
from bench.harness.record import Record  # noqa: E402
from bench.harness.report import Column, quantile  # noqa: E402

CHROMIUM = Path("/usr/lib/chromium/chromium")
TRY_TIMEOUT_S = 30.0
PASSWORD = "bench-password-1"

# Runs in every page before its own scripts: the moments the benchmark reads, on the page's
# clock (performance.now(): 0 is the navigation start).
PROBE = """
(() => {
  const probe = (window.__replayBench = { firstFrame: null, playing: null, click: null,
    chapterFrame: null, target: null, frames: 0 });
  const watch = (video) => {
    video.addEventListener("playing", () => {
      if (probe.playing === null) probe.playing = performance.now();
    });
    const onFrame = (_now, meta) => {
      probe.frames += 1;
      if (!video.paused) {
        if (probe.firstFrame === null) probe.firstFrame = performance.now();
        const t = probe.target;
        if (t && probe.click !== null && probe.chapterFrame === null
            && meta.mediaTime >= t.start - 0.05 && meta.mediaTime < t.end) {
          probe.chapterFrame = performance.now();
          probe.chapterMediaTime = meta.mediaTime;
          probe.chapterPresented = meta.presentationTime;
        }
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  document.addEventListener("click", (e) => {
    const button = e.target instanceof Element ? e.target.closest("#chapter-list .chapter") : null;
    if (button && probe.target) probe.click = performance.now();
  }, true);
  document.addEventListener("DOMContentLoaded", () => watch(document.querySelector("#video")));
})();
"""


# -- the server: a show with a recording --------------------------------------------------------


def config(folder: Path, port: int) -> Any:
    from server.edge.config import AuthConfig, Config, PaymentsConfig

    return Config(
        database_url=f"sqlite+aiosqlite:///{folder}/replay.db",
        secret=secrets.token_urlsafe(48),
        port=port,
        payments=PaymentsConfig.test(),
        auth=AuthConfig(guest_per_address="100000/minute"),
    )


async def make_show(url: str, products: int) -> tuple[int, str, list[int]]:
    """A seller's products, a host's show of them: (stream id, host token, product ids)."""
    async with ClientSession() as http:

        async def account(role: str) -> str:
            email = f"{role}-{secrets.token_hex(4)}@example.test"
            body = {"email": email, "password": PASSWORD, "display_name": f"Bench {role}",
                    "role": role}  # fmt: skip
            return (await post_json(http, url + "/api/accounts", body))["token"]

        seller = await account("seller")
        await post_json(http, url + "/api/sellers", {"name": "Shop", "country": "PL"}, seller)
        ids = []
        for n in range(products):
            body = {"title": f"Product {n}", "price_minor": 1999 + n, "currency": "EUR",
                    "stock": 100}  # fmt: skip
            ids.append((await post_json(http, url + "/api/products", body, seller))["id"])
        host = await account("host")
        show = {"title": "Replay benchmark", "language": "en", "product_ids": ids}
        stream = await post_json(http, url + "/api/streams", show, host)
        return stream["id"], host, ids


def encoded_frames(minutes: float, gop: int) -> list[Any]:
    from tests.media.test_recording import interleaved, opus, video

    seconds = minutes * 60
    return interleaved(video("h264", round(30 * seconds), gop=gop), opus(round(50 * seconds)))


async def seed(app: web.Application, url: str, folder: Path, args: argparse.Namespace) -> dict:
    """The ended show with its chapters and its recording, as the media service stores one."""
    from media.recording import Recorder
    from server.edge.http.context import CONFIG, SERVICES
    from tests.media.test_recording import H264

    services = app[SERVICES]
    stream_id, host, products = await make_show(url, args.chapters)
    await services.streams.mark_live(stream_id)
    for product in products:  # each pin ends the one before: one chapter after the other
        await services.streams.pin(None, stream_id, None)
        await services.streams.pin(None, stream_id, product)
    async with ClientSession() as http:
        await post_json(http, f"{url}/api/streams/{stream_id}/end", {}, host)
    frames = encoded_frames(args.minutes, args.gop)
    recorder = Recorder(folder / "show", H264, max_queued_frames=len(frames) + 1)
    for frame in frames:
        frame.into(recorder)
    result = await recorder.close()
    if result.failed or result.frames_dropped:
        raise RuntimeError(f"the recorder failed: {result.error} ({result.frames_dropped} dropped)")
    if result.started_at is None:
        raise RuntimeError("the recorder wrote no frame")
    started = result.started_at
    duration = timedelta(milliseconds=result.duration_ms)
    await spread_pins(str(app[CONFIG].database_url), stream_id, started, duration)
    await services.recordings.store(
        stream_id, path=str(result.path), container=result.container, status="complete",
        started_at=started, ended_at=started + duration, duration_ms=result.duration_ms,
        size_bytes=result.bytes,
    )  # fmt: skip
    return {"stream_id": stream_id, "duration_ms": result.duration_ms, "bytes": result.bytes}


async def spread_pins(url: str, stream_id: int, started: datetime, duration: timedelta) -> None:
    """The show's pin and unpin moments moved to equal parts of the recording (they happened
    within a second here): the n-th product pinned at n/N of it, unpinned as the next is."""
    from sqlalchemy import select

    from server.core.domain.recordings import EventKind
    from server.core.store.db import Database
    from server.core.store.rows import StreamEvent

    db = Database(url)
    try:
        async with db.writing() as session:
            found = await session.execute(
                select(StreamEvent)
                .where(StreamEvent.stream_id == stream_id, StreamEvent.product_id.is_not(None))
                .order_by(StreamEvent.id)
            )
            events = list(found.scalars())
            pins = [e for e in events if e.kind == EventKind.PINNED]
            at = {e.product_id: started + duration * n / len(pins) for n, e in enumerate(pins)}
            ends = {}
            for n, e in enumerate(pins[:-1]):
                ends[e.product_id] = at[pins[n + 1].product_id]
            for e in events:
                e.at = (
                    at[e.product_id] if e.kind == EventKind.PINNED else ends.get(e.product_id, e.at)
                )
    finally:
        await db.close()


async def serve(args: argparse.Namespace) -> None:
    import logging

    from server.core.store.db import migrate_url
    from server.edge.app import create_app

    logging.basicConfig(level=logging.WARNING)
    folder = Path(args.folder)
    cfg = config(folder, args.port)
    await migrate_url(cfg.database_url)
    app = create_app(cfg)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    url = f"http://127.0.0.1:{args.port}"
    made = await seed(app, url, folder, args)
    say(made)
    await processes.command("stop")
    await runner.cleanup()


# -- the browser: tries ----------------------------------------------------------------------------


async def one_try(browser: Any, url: str, stream_id: int, target: dict) -> dict:
    """A fresh context opens the replay, waits for it to play, clicks the `target` chapter and
    waits for it to play there; the page's moments (ms since navigation start)."""
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        await context.add_init_script(PROBE)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{url}/watch/{stream_id}")
        await until(page, "window.__replayBench && window.__replayBench.firstFrame !== null")
        button = page.locator("#chapter-list .chapter").nth(target["index"])
        await button.wait_for()
        window = {"start": target["start_ms"] / 1000, "end": target["end_ms"] / 1000}
        await page.evaluate("(t) => { window.__replayBench.target = t; }", window)
        await button.click()
        await until(page, "window.__replayBench.chapterFrame !== null")
        probe = await page.evaluate("window.__replayBench")
        if errors:
            raise RuntimeError(f"the page threw: {errors}")
        return {
            "startup_ms": probe["firstFrame"],
            "playing_event_ms": probe["playing"],
            "chapter_ms": probe["chapterFrame"] - probe["click"],
            "chapter": target["index"],
            "chapter_media_time_s": probe["chapterMediaTime"],
            "chapter_presented_ms": probe["chapterPresented"] - probe["click"],
        }
    finally:
        await context.close()


async def until(page: Any, expression: str) -> None:
    """Polled through the DevTools protocol (the page's policy refuses eval): see
    tests/web/conftest.py's `until`."""
    deadline = time.monotonic() + TRY_TIMEOUT_S
    while not await page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {TRY_TIMEOUT_S:g} s: {expression}")
        await asyncio.sleep(0.01)


def summary(name: str, values: list[float]) -> dict:
    return {"measure": name, "tries": len(values), "p50_ms": quantile(values, 0.5),
            "p99_ms": quantile(values, 0.99),
            "max_ms": max(values) if values else None}  # fmt: skip


COLUMNS = [
    Column("measure", "measure"),
    Column("tries", "tries"),
    Column("p50 ms", "p50_ms", "{:.0f}"),
    Column("p99 ms", "p99_ms", "{:.0f}"),
    Column("max ms", "max_ms", "{:.0f}"),
]
MEASURES = {
    "startup_ms": "page open -> first frame playing",
    "chapter_ms": "chapter click -> playing there",
    "playing_event_ms": "page open -> 'playing' event",
}


async def main(args: argparse.Namespace) -> None:
    if not CHROMIUM.exists():  # noqa: ASYNC240 (once, before anything runs)
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.async_api import async_playwright

    from tests.web.conftest import ARGS

    record = Record.begin()
    with tempfile.TemporaryDirectory(prefix="shopcast-replay-bench-") as temporary:
        folder = Path(temporary)
        port = processes.free_port()
        flags = {"port": port, "folder": folder, "minutes": args.minutes, "gop": args.gop,
                 "chapters": args.chapters}  # fmt: skip
        argv = processes.script(__file__, "server", flags)
        with (folder / "server.log").open("ab") as log:
            server = await Child.start("server", argv, cpus=args.server_cpus, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            made = await server.read()
            async with ClientSession() as http:
                async with http.get(f"{url}/api/streams/{made['stream_id']}/replay") as resp:
                    replay = await resp.json()
            chapters = replay["chapters"]
            if len(chapters) < 2:
                raise RuntimeError(f"the replay has {len(chapters)} chapters, not 2 or more")
            if args.load_cpus:  # Chromium and its children inherit it
                os.sched_setaffinity(0, processes.cpu_set(args.load_cpus))
            tries = []
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                for n in range(args.tries):
                    index = 1 + n % (len(chapters) - 1)  # every chapter but the first, in turn
                    target = chapters[index] | {"index": index}
                    tries.append(await one_try(browser, url, made["stream_id"], target))
                    print(f"try {n + 1}: start-up {tries[-1]['startup_ms']:.0f} ms, chapter"
                          f" {index} {tries[-1]['chapter_ms']:.0f} ms", flush=True)  # fmt: skip
                await browser.close()
        finally:
            await server.stop()
    rows = [summary(name, [t[key] for t in tries if t[key] is not None])
            | {"key": key} for key, name in MEASURES.items()]  # fmt: skip
    print("\n" + report.table(COLUMNS, rows))
    notes = [
        f"recording: {made['duration_ms'] / 1000:.0f} s of 160x120 H.264 at 30 fps (a keyframe"
        f" every {args.gop} frames) and Opus, {made['bytes'] / 2**20:.1f} MiB, made by the"
        f" recorder; {len(chapters)} chapters at "
        + ", ".join(f"{c['start_ms'] / 1000:.0f} s" for c in chapters),
        "first frame: performance.now() in the first video.requestVideoFrameCallback with the"
        " video playing (0: navigation start); chapter: from the click (a capturing listener) to"
        " the first such callback whose frame's media time lies in the chapter",
        f"each try a fresh browser context (no cache); Chromium {CHROMIUM}; load average"
        f" {record.machine['load_average']}",
    ]
    for line in notes:
        print(line)
    settings = {k: v for k, v in vars(args).items() if k in SETTINGS}
    result = {"settings": settings, "rows": rows, "tries": tries, "chapters": chapters,
              "recording": made, "notes": notes}  # fmt: skip
    report.write_json(args.out, result, record)


SETTINGS = ["tries", "minutes", "gop", "chapters", "server_cpus", "load_cpus"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--tries", type=int, default=20, help="page opens (each with one chapter click)")
    add("--minutes", type=float, default=3.0, help="length of the recording")
    add("--gop", type=int, default=60, help="frames from one keyframe to the next (30 fps)")
    add("--chapters", type=int, default=3, help="products pinned one after the other (2 or more)")
    processes.add_run_options(parser, "replay")
    add("--role", default="main", choices=["main", "server"])
    add("--port", type=int, default=0)
    add("--folder", default="")
    args = parser.parse_args()
    if args.chapters < 2:
        parser.error("--chapters: 2 or more")
    return args


if __name__ == "__main__":
    args = parse_args()
    asyncio.run(serve(args) if args.role == "server" else main(args))
