"""The chat log's group commit: lines that arrive together are saved together, each with its
own id, and a line that cannot be saved fails alone."""

from __future__ import annotations

import asyncio

import pytest

from server.core.domain.roles import Principal, Role
from server.edge.http.context import SERVICES
from tests import factory


def _guest(n: int) -> Principal:
    return Principal(f"g:{n:032x}", f"Guest {n}", Role.VIEWER)


async def test_lines_said_together_share_transactions_and_keep_their_own_ids(running) -> None:
    show = await factory.show(running)
    log = running.app[SERVICES].chat_log
    commits = log.inserts.commits
    said = await asyncio.gather(
        *(log.append(show.stream_id, _guest(n), f"line {n}") for n in range(200))
    )
    assert len({m.id for m in said}) == 200
    assert [m.text for m in said] == [f"line {n}" for n in range(200)]
    assert log.inserts.commits - commits < 20  # one per line would be 200
    kept = await log.recent(show.stream_id, 500)
    assert sorted(m.text for m in kept) == sorted(f"line {n}" for n in range(200))


async def test_a_line_that_cannot_be_saved_fails_alone(running) -> None:
    show = await factory.show(running)
    log = running.app[SERVICES].chat_log
    good = [log.append(show.stream_id, _guest(n), f"fine {n}") for n in range(5)]
    bad = log.append(10**9, _guest(99), "no such show")  # the foreign key refuses it
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert [m.text for m in results[:5]] == [f"fine {n}" for n in range(5)]  # type: ignore[union-attr]
    assert isinstance(results[5], Exception)
    with pytest.raises(Exception):  # noqa: B017 - the driver's own integrity error
        await log.append(10**9, _guest(98), "still refused")
    assert len(await log.recent(show.stream_id, 50)) == 5
