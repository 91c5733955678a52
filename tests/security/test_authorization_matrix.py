"""The authorization matrix: every HTTP route and Socket.IO event, knocked on by every role,
answers what tests/security/matrix.py (and so docs/security.md) says it does.

A route or event without a row fails, and so does a row whose door is gone. The world is
built through the public API (tests/security/world.py); each door's knock is in doors.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.edge.http.context import ROOM
from tests.conftest import config_for
from tests.security import matrix
from tests.security.doors import EVENTS, HTTP
from tests.security.walk import base, events_of, routes_of, walk_events, walk_http
from tests.security.world import ROLES, build, config

DOC = Path(__file__).parents[2] / "docs" / "security.md"


async def test_every_door_has_a_row_and_every_row_a_door(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    routes, events = routes_of(run.app), events_of(run.app[ROOM])
    rows = set(matrix.HTTP_MATRIX) | set(matrix.EVENT_MATRIX)
    knocks = set(HTTP) | set(EVENTS) | {"connect"}
    doors = routes | events
    assert sorted(doors - {base(row) for row in rows}) == [], "doors without a row"
    assert sorted({row for row in rows if base(row) not in doors}) == [], "rows without a door"
    assert sorted(rows ^ knocks) == [], "rows and knocks (doors.py) must name the same doors"
    for row in rows:
        assert set(matrix.answers(row)) == set(ROLES), row


def test_docs_show_the_matrix() -> None:
    assert matrix.render() in DOC.read_text(), (
        "docs/security.md is behind the matrix: run `python -m tests.security.matrix`"
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgres+redis"], indirect=True)
async def test_every_role_gets_the_documented_answer_at_every_door(
    backend, start, tmp_path
) -> None:
    run = await start(config(backend))
    world = await build(run, tmp_path)
    seen = await walk_http(world) | await walk_events(world)
    wrong = [
        f"{door} as {role}: expected {matrix.expected(door).get(role)!r}, got {answer!r}"
        for door, answers in seen.items()
        for role, answer in answers.items()
        if matrix.expected(door).get(role) != answer
    ]
    assert not wrong, "\n".join(wrong) + "\n\nas seen:\n" + matrix.as_source(seen)
