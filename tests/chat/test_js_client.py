"""The official JavaScript socket.io-client (from npm, pinned in tests/js/package-lock.json)
joins a room, chats both ways with a Python client, and gets error acks for bad input."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import factory
from tests.chat.test_room import joined
from tests.conftest import IN_CI

JS = Path(__file__).resolve().parent.parent / "js"


@pytest.fixture(scope="session")
def node() -> str:
    exe = shutil.which("node")
    npm = shutil.which("npm")
    if exe is None or npm is None:
        if IN_CI:
            pytest.fail("node and npm are needed for the socket.io-client test")
        pytest.skip("node and npm are not installed")
    if not (JS / "node_modules" / "socket.io-client").is_dir():
        # From the lockfile, exactly: nothing third-party is kept in the repository.
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS, check=True, timeout=300, capture_output=True,
        )  # fmt: skip
    return exe


async def test_the_official_javascript_client_chats_in_a_room(running, node) -> None:
    show = await factory.show(running)
    python, events, _ = await joined(running, show.viewer, show.stream_id, "chat_message")
    proc = await asyncio.create_subprocess_exec(
        node, str(JS / "room_client.mjs"), running.url, show.viewer2, str(show.stream_id),
        "hello from JS", "2",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    assert await asyncio.wait_for(proc.stderr.readline(), 15) == b"joined\n"
    assert (await events.next("chat_message"))["text"] == "hello from JS"
    assert (await python.call("send_message", {"text": "hello from Python"}))["ok"]
    out, _ = await asyncio.wait_for(proc.communicate(), 15)
    heard = json.loads(out)
    assert proc.returncode == 0, heard
    assert heard["join"]["ok"] and heard["join"]["state"]["stream"]["id"] == show.stream_id
    assert heard["sent"]["ok"] and heard["sent"]["message"]["text"] == "hello from JS"
    assert heard["bad"] == {"ok": False, "error": heard["bad"]["error"]}
    assert heard["bad"]["error"]["code"] == "bad_payload"
    assert heard["unknown"]["error"]["code"] == "unknown_event"
    assert heard["chat"] == ["hello from JS", "hello from Python"]
