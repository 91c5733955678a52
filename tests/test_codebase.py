"""Standing gates on the code itself: layer contracts and lint run with the tests."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(tool: str, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which(tool, path=str(BIN)) or tool
    return subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_layers_hold() -> None:
    result = run("lint-imports")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    folders = [f for f in ("server", "media", "chat", "tests", "bench") if (ROOT / f).is_dir()]
    result = run("ruff", "check", *folders)
    assert result.returncode == 0, result.stdout + result.stderr


def test_types_check() -> None:
    result = run("mypy", "media", "server", "chat")
    assert result.returncode == 0, result.stdout + result.stderr
