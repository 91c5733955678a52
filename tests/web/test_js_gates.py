"""The pages' front-end gates: every module type-checks (`tsc --noEmit --checkJs`, its JSDoc
types, web/tsconfig.json) and passes ESLint's recommended rules (web/eslint.config.js) with
no error and no warning. The tools are the versions pinned in web/package-lock.json."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import IN_CI
from web import STATIC_DIR

WEB = STATIC_DIR.parent
ROOT = WEB.parent


@pytest.fixture(scope="module")
def npx() -> str:
    exe, npm = shutil.which("npx"), shutil.which("npm")
    if exe is None or npm is None:
        if IN_CI:
            pytest.fail("node and npm are needed for the front-end gates")
        pytest.skip("node and npm are not installed")
    if not (WEB / "node_modules" / ".bin" / "tsc").exists():
        # From the lockfile, exactly, as the README's commands and CI install it.
        subprocess.run(
            [npm, "ci", "--prefix", str(WEB), "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=ROOT, check=True, timeout=300, capture_output=True,
        )  # fmt: skip
    return exe


def run(npx: str, *args: str) -> subprocess.CompletedProcess[str]:
    # --no: only the pinned tool in web/node_modules, never one fetched on the fly. From web/,
    # where the configs are (ESLint's file patterns are relative to its config's folder).
    return subprocess.run(
        [npx, "--no", "--prefix", str(WEB), *args],
        cwd=WEB, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_every_module_checks_with_ts_check() -> None:
    modules = sorted((STATIC_DIR / "js").glob("*.js"))
    assert modules
    unchecked = [m.name for m in modules if not m.read_text().startswith("// @ts-check\n")]
    assert unchecked == []


def test_tsc_finds_no_type_error(npx: str) -> None:
    done = run(npx, "tsc", "--noEmit", "--checkJs", "-p", "tsconfig.json")
    assert done.returncode == 0, done.stdout + done.stderr


def test_eslint_finds_no_problem(npx: str) -> None:
    done = run(npx, "eslint", "--max-warnings", "0", ".")
    assert done.returncode == 0, done.stdout + done.stderr
