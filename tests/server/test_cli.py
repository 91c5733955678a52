"""`shopcast demo` as a new user runs it: seeds on first start, serves the pages, restarts clean."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_demo(cwd: Path, port: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "demo", "--port", str(port)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "password for every demo account" in line:
            return proc, "".join(lines)
    proc.kill()
    raise AssertionError("demo did not start:\n" + "".join(lines))


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.read()


def test_demo_seeds_once_and_serves(tmp_path: Path) -> None:
    port = free_port()
    proc, banner = run_demo(tmp_path, port)
    try:
        assert f"http://127.0.0.1:{port}/studio/1" in banner
        assert "host@demo.shopcast.test" in banner and "moderator@demo.shopcast.test" in banner
        status, body = get(f"http://127.0.0.1:{port}/api/streams/1")
        stream = json.loads(body)
        assert status == 200 and stream["status"] == "scheduled"
        assert {p["currency"] for p in stream["lineup"]} >= {"EUR", "PLN", "UAH", "USD"}
        for page in ("/", "/studio/1", "/watch/1", "/moderate/1"):
            status, html = get(f"http://127.0.0.1:{port}{page}")
            assert status == 200 and b"<html" in html.lower(), page
        assert json.loads(get(f"http://127.0.0.1:{port}/healthz")[1])["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    proc, banner = run_demo(tmp_path, port)  # second start: same data, no duplicates
    try:
        status, body = get(f"http://127.0.0.1:{port}/api/streams")
        assert len(json.loads(body)["streams"]) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert (tmp_path / "shopcast.db").exists()
