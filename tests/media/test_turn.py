"""Viewers behind any network: an aiortc viewer allowed only relayed candidates
(`iceTransportPolicy: relay`) watches a show through Debian's coturn on loopback, over UDP, TCP
and TLS, with the time-limited credential the app hands out (GET /api/ice-servers); coturn
refuses an expired one. The host publishes straight to the app."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
)

from server.core.domain.turn import TurnConfig, issue
from tests import factory, peers
from tests.conftest import IN_CI, config_for
from tests.test_end_to_end import first_frames, whep, whip

SECRET = "turn-test-shared-secret"
TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"


@dataclass(frozen=True)
class Coturn:
    port: int  # UDP and TCP
    tls_port: int
    cert: Path
    log: Path

    def urls(self) -> tuple[str, ...]:
        return (
            f"turn:127.0.0.1:{self.port}?transport=udp",
            f"turn:127.0.0.1:{self.port}?transport=tcp",
            f"turns:127.0.0.1:{self.tls_port}?transport=tcp",
        )


def _free_port() -> int:
    """A port free for both TCP and UDP on loopback."""
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(type=socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    if not Path(TURNSERVER).exists():
        if IN_CI:
            pytest.fail("turnserver (Debian's coturn) is missing, and CI=true requires it")
        pytest.skip("turnserver (Debian's coturn) is not installed")
    cert, key = tmp_path / "turn.crt", tmp_path / "turn.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    found = Coturn(_free_port(), _free_port(), cert, tmp_path / "turnserver.log")
    relay_low = _free_port()
    process = subprocess.Popen(
        [
            TURNSERVER,
            "-n",
            "-v",
            f"--db={tmp_path / 'turndb'}",
            "--no-cli",
            "--no-dtls",
            "--simple-log",
            f"--log-file={found.log}",
            *("--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--allow-loopback-peers"),
            f"--listening-port={found.port}",
            f"--tls-listening-port={found.tls_port}",
            f"--min-port={relay_low}",
            f"--max-port={relay_low + 200}",
            *("--use-auth-secret", f"--static-auth-secret={SECRET}", "--realm=shopcast.test"),
            *(f"--cert={cert}", f"--pkey={key}", "--no-multicast-peers", "--fingerprint"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not (_listening(found.port) and _listening(found.tls_port)):
            if process.poll() is not None or time.monotonic() > deadline:
                log = found.log.read_text() if found.log.exists() else ""
                pytest.fail(f"turnserver did not start:\n{log[-3000:]}")
            time.sleep(0.05)
        yield found
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def relay_only(url: str, username: str, credential: str) -> RTCPeerConnection:
    server = RTCIceServer(urls=url, username=username, credential=credential)
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[server], iceTransportPolicy=RTCIceTransportPolicy.RELAY)
    )


async def relay_viewer(url: str, username: str, credential: str):  # type: ignore[no-untyped-def]
    pc = relay_only(url, username, credential)
    frames: asyncio.Queue = asyncio.Queue()
    pumps: list[asyncio.Future] = []  # kept so the pump is not collected mid-stream
    pc.addTransceiver("video", direction="recvonly")

    @pc.on("track")
    def on_track(track) -> None:  # type: ignore[no-untyped-def]
        pumps.append(asyncio.ensure_future(peers._pump(track, frames)))

    await pc.setLocalDescription(await pc.createOffer())
    return pc, frames


def candidate_types(sdp: str) -> set[str]:
    return {
        line.split(" typ ", 1)[1].split()[0]
        for line in sdp.splitlines()
        if line.startswith("a=candidate:")
    }


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
async def test_a_relay_only_viewer_watches_through_coturn(
    sqlite_backend, start, coturn, transport, monkeypatch
) -> None:
    # aiortc opens turns: with Python's default TLS context: trust the test's own certificate.
    monkeypatch.setenv("SSL_CERT_FILE", str(coturn.cert))
    run = await start(
        config_for(sqlite_backend, turn=TurnConfig(secret=SECRET, urls=coturn.urls(), ttl_s=600))
    )
    show = await factory.show(run)
    host, offer = await peers.publisher_offer("vp8", audio=False)
    status, answer, headers = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    await peers.accept(host, answer)
    assert headers["Link"].count('credential-type="password"') == 3

    status, body = await run.call("GET", "/api/ice-servers")
    assert status == 200
    (server,) = body["ice_servers"]
    assert server["urls"] == list(coturn.urls())
    assert int(server["username"].split(":")[0]) == body["expires_at"] > time.time() + 590
    url = {"udp": coturn.urls()[0], "tcp": coturn.urls()[1], "tls": coturn.urls()[2]}[transport]

    viewer, frames = await relay_viewer(url, server["username"], server["credential"])
    assert candidate_types(viewer.localDescription.sdp) == {"relay"}
    status, answer, _ = await whep(run, show.stream_id, viewer.localDescription.sdp)
    assert status == 201, answer
    await peers.accept(viewer, answer)
    decoded = await first_frames(frames, 5, timeout=20)
    assert decoded[-1].width == 320
    log = coturn.log.read_text(errors="replace")
    assert f"user <{server['username']}>: incoming packet ALLOCATE processed, success" in log
    assert f"user <{server['username']}>: incoming packet CHANNEL_BIND processed, success" in log
    for pc in (viewer, host):
        await pc.close()


async def test_coturn_refuses_an_expired_credential(coturn) -> None:
    config = TurnConfig(secret=SECRET, urls=coturn.urls(), ttl_s=60)
    stale = issue(config, "late", time.time() - 3600)
    assert stale is not None
    pc = relay_only(coturn.urls()[0], stale.username, stale.credential)
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    assert candidate_types(pc.localDescription.sdp) == set()  # no allocation, no candidate
    fresh = replace(stale, username="x")  # a made-up name fails too
    pc2 = relay_only(coturn.urls()[1], fresh.username, stale.credential)
    pc2.addTransceiver("video", direction="recvonly")
    await pc2.setLocalDescription(await pc2.createOffer())
    assert candidate_types(pc2.localDescription.sdp) == set()
    for each in (pc, pc2):
        await each.close()
