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
        assert f"http://127.0.0.1:{port}/staff " in banner and "admin@demo.shopcast.test" in banner
        status, body = get(f"http://127.0.0.1:{port}/api/streams/1")
        stream = json.loads(body)
        assert status == 200 and stream["status"] == "scheduled"
        assert {p["currency"] for p in stream["lineup"]} >= {"EUR", "PLN", "UAH", "USD"}
        for page in ("/", "/studio/1", "/watch/1", "/moderate/1", "/staff"):
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


def test_demo_says_it_takes_test_payments(tmp_path: Path) -> None:
    port = free_port()
    proc, banner = run_demo(tmp_path, port)
    try:
        assert "TEST gateway" in banner and "no money moves" in banner
        status, body = get(f"http://127.0.0.1:{port}/api/payments/config")
        assert status == 200 and json.loads(body)["provider"] == "test"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def serve(tmp_path: Path, env: dict[str, str]) -> list[str]:
    """`shopcast serve` with only `env` (plus a valid secret): its stderr lines once it exits."""
    result = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--port", str(free_port())],
        env={"SHOPCAST_SECRET": "s" * 40, "PATH": "/usr/bin:/bin", **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    return result.stderr.strip().splitlines()


def test_serve_refuses_to_start_without_a_payment_setting(tmp_path: Path) -> None:
    lines = serve(tmp_path, {})
    assert len(lines) == 1 and "SHOPCAST_PAYMENTS: not set" in lines[0], lines


def test_serve_refuses_the_test_gateway_unless_allowed(tmp_path: Path) -> None:
    lines = serve(tmp_path, {"SHOPCAST_PAYMENTS": "test"})
    assert len(lines) == 1 and "SHOPCAST_ALLOW_TEST_PAYMENTS=1" in lines[0], lines
    lines = serve(tmp_path, {"SHOPCAST_PAYMENTS": "test", "SHOPCAST_ALLOW_TEST_PAYMENTS": "yes"})
    assert len(lines) == 1 and "SHOPCAST_ALLOW_TEST_PAYMENTS=1" in lines[0], lines


def test_serve_refuses_stripe_without_its_keys(tmp_path: Path) -> None:
    lines = serve(tmp_path, {"SHOPCAST_PAYMENTS": "stripe"})
    assert len(lines) == 1 and "SHOPCAST_STRIPE_SECRET_KEY" in lines[0], lines
    lines = serve(tmp_path, {"SHOPCAST_PAYMENTS": "paypal"})
    assert len(lines) == 1 and "SHOPCAST_PAYMENTS: expected one of" in lines[0], lines


TEST_PAYMENTS = {"SHOPCAST_PAYMENTS": "test", "SHOPCAST_ALLOW_TEST_PAYMENTS": "1"}


def migrate(tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_a_schema_that_is_behind_until_migrated(tmp_path: Path) -> None:
    lines = serve(tmp_path, TEST_PAYMENTS)
    assert len(lines) == 1 and "run `shopcast migrate` first" in lines[0], lines
    first, again = migrate(tmp_path), migrate(tmp_path)
    assert (first.returncode, first.stdout) == (0, "shopcast: schema migrated\n"), first.stderr
    assert (again.returncode, again.stdout) == (0, "shopcast: schema already current\n")


def test_migrate_names_a_bad_database_url(tmp_path: Path) -> None:
    result = migrate(tmp_path, {"SHOPCAST_DATABASE_URL": "mysql://x/y"})
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1 and "SHOPCAST_DATABASE_URL" in lines[0]


def test_serve_starts_with_test_payments_when_allowed_and_says_so(tmp_path: Path) -> None:
    assert migrate(tmp_path).returncode == 0
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port)],
        env={"SHOPCAST_SECRET": "s" * 40, "PATH": "/usr/bin:/bin", **TEST_PAYMENTS},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any("TEST gateway" in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                break  # it exited
            lines.append(line)
        said = "".join(line for line in lines if line.startswith("shopcast"))
        assert "shopcast serving on" in said and "TEST gateway" in said, lines
    finally:
        proc.terminate()
        proc.wait(timeout=20)
