"""The lock files agree with pyproject.toml, the suite runs on them, and every install
(README, .ci/run, Dockerfile) installs from them.

requirements-test.lock (runtime + the `test` extra) and requirements.lock (runtime) are made by
the command at the top of each; installing them needs only pip. Regenerate both after any change
to `[project] dependencies` or `[project.optional-dependencies]`.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = ROOT / "requirements.lock"
TEST_LOCK = ROOT / "requirements-test.lock"
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*(.+?))?\s*\\?$")
REGENERATE = "uv pip compile pyproject.toml"


@dataclass(frozen=True)
class Locked:
    version: Version
    marker: Marker | None
    hashes: int


def read_lock(path: Path) -> dict[str, Locked]:
    locked: dict[str, Locked] = {}
    name = ""
    for line in path.read_text().splitlines():
        entry = ENTRY.match(line)
        if entry:
            name = canonicalize_name(entry[1])
            assert name not in locked, f"{path.name}: {name} locked twice"
            marker = Marker(entry[3]) if entry[3] else None
            locked[name] = Locked(Version(entry[2]), marker, 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            previous = locked[name]
            locked[name] = Locked(previous.version, previous.marker, previous.hashes + 1)
        elif line and not line.startswith(("#", " ")):
            pytest.fail(f"{path.name}: not an exact pin: {line!r}")
    return locked


def direct_dependencies() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(text) for text in project["dependencies"]]
    test = [Requirement(text) for text in project["optional-dependencies"]["test"]]
    return runtime, test


def _check(requirements: list[Requirement], lock: Path) -> list[str]:
    locked = read_lock(lock)
    faults = []
    for requirement in requirements:
        entry = locked.get(canonicalize_name(requirement.name))
        if entry is None:
            faults.append(f"{requirement.name} is not in {lock.name}")
        elif not requirement.specifier.contains(entry.version, prereleases=True):
            faults.append(f"{lock.name} has {requirement.name}=={entry.version}, not {requirement}")
    return faults


def test_every_runtime_dependency_is_locked_at_a_version_pyproject_allows() -> None:
    runtime, _ = direct_dependencies()
    faults = _check(runtime, RUNTIME_LOCK) + _check(runtime, TEST_LOCK)
    assert not faults, "regenerate the locks (top of requirements.lock): " + "; ".join(faults)


def test_every_test_dependency_is_locked_at_a_version_pyproject_allows() -> None:
    _, test = direct_dependencies()
    faults = _check(test, TEST_LOCK)
    assert not faults, "regenerate the locks (top of requirements.lock): " + "; ".join(faults)


def test_exact_pins_in_pyproject_are_the_locked_versions() -> None:
    runtime, test = direct_dependencies()
    exact = [r for r in runtime + test if [s.operator for s in r.specifier] == ["=="]]
    assert len(exact) >= 8  # aiortc, aioice, aiohttp, python-engineio, python-socketio, ...
    locked = read_lock(TEST_LOCK)
    for requirement in exact:
        (pin,) = requirement.specifier
        entry = locked[canonicalize_name(requirement.name)]
        assert entry.version == Version(pin.version), f"{requirement} but locked {entry.version}"


def test_the_runtime_lock_is_the_runtime_part_of_the_test_lock() -> None:
    runtime, test = read_lock(RUNTIME_LOCK), read_lock(TEST_LOCK)
    differ = {
        name: (entry.version, test[name].version if name in test else None)
        for name, entry in runtime.items()
        if name not in test or test[name].version != entry.version
    }
    assert not differ, f"regenerate requirements.lock from requirements-test.lock: {differ}"


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, TEST_LOCK], ids=lambda p: p.name)
def test_every_locked_package_has_hashes_and_the_lock_says_how_to_regenerate(lock: Path) -> None:
    locked = read_lock(lock)
    assert locked, f"{lock.name} locks nothing"
    unhashed = sorted(name for name, entry in locked.items() if not entry.hashes)
    assert not unhashed, f"{lock.name}: no --hash for {unhashed} (pip's hash-checking mode)"
    assert REGENERATE in "\n".join(lock.read_text().splitlines()[:3])


def test_the_suite_runs_on_the_locked_versions() -> None:
    """What this environment has installed is what the lock says (install from the lock)."""
    differ = {}
    for name, entry in read_lock(TEST_LOCK).items():
        if entry.marker is not None and not entry.marker.evaluate():
            continue
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != entry.version:
            differ[name] = f"locked {entry.version}, installed {installed}"
    assert not differ, f"reinstall from requirements-test.lock: {differ}"


def _readme_command(marker: str) -> str:
    readme = (ROOT / "README.md").read_text()
    try_it = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    lines = try_it.splitlines()
    (line,) = [ln for ln in lines if ln.startswith("python3 -m venv") and marker in ln]
    return line


def test_the_readme_commands_and_ci_install_from_the_lock() -> None:
    test_command = _readme_command("pytest")
    demo_command = _readme_command("shopcast demo")
    for command, lock in ((test_command, TEST_LOCK), (demo_command, RUNTIME_LOCK)):
        from_lock = command.find(f"pip install -q -r {lock.name} ")
        editable = command.find("pip install -q --no-deps -e . ")
        assert 0 < from_lock < editable, f"README: {command!r} must install {lock.name} first"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci, ".ci/run must run the README's test command as written there"


def test_the_image_installs_from_the_runtime_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    from_lock = dockerfile.find("pip install --require-hashes -r requirements.lock")
    project = dockerfile.find("pip install --no-deps .")
    assert 0 < from_lock < project, "the Dockerfile must install requirements.lock, then the app"
