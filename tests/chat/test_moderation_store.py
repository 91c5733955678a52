"""The moderation store, in memory and in Redis: changes kept, word lists parsed once per
version, no lost updates when two nodes change one show at once, and chat going on without
Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from chat.moderation import Outcome, Person, RoomModes, add_word, decide
from chat.moderation_store import (
    MemoryModerationStore,
    ModerationStore,
    ModerationUnavailable,
    RedisModerationStore,
    StreamRef,
)
from server.core.domain.errors import NotFound
from server.core.domain.roles import Principal, Role
from tests.conftest import REDIS_URL, SESSION, _require
from tests.server.edge.test_cli import free_port

SHOW = StreamRef(1, host_id=1, language="en")
HOST = Principal("u:1", "Host", Role.HOST, 1)
VIEWER = Person(Principal("u:4", "Viewer", Role.VIEWER, 4), account_created_at=0.0)


def prefix() -> str:
    return f"shopcast-test-{SESSION}-{secrets.token_hex(4)}"


def redis_store(key_prefix: str) -> RedisModerationStore:
    return RedisModerationStore(aioredis.from_url(REDIS_URL), key_prefix)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ModerationStore]:
    if request.param == "memory":
        yield MemoryModerationStore()
        return
    _require("Redis", "127.0.0.1", 6379)
    redis = redis_store(prefix())
    yield redis
    await redis.close()


def speaking(person: Person, text: str):
    return lambda room, platform, now: decide(person, text, now, room=room, platform=platform)


async def test_changes_are_kept_and_refused_changes_leave_nothing(store) -> None:
    await store.change_stream(SHOW, lambda room, _, now: room.mute(HOST, VIEWER, now, 60))
    refused = await store.change_stream(SHOW, speaking(VIEWER, "hello"))
    assert refused.outcome == Outcome.REFUSE and refused.code == "muted"
    with pytest.raises(NotFound):
        await store.change_stream(SHOW, lambda room, _, now: room.unban(HOST, VIEWER, now))
    await store.change_stream(SHOW, lambda room, _, now: room.unmute(HOST, VIEWER, now))
    room, _ = await store.read(SHOW)
    assert room.sanctions.all() == [] and room.host_id == 1


async def test_slow_mode_times_are_kept_between_messages(store) -> None:
    await store.change_stream(
        SHOW, lambda room, _, now: room.set_modes(HOST, RoomModes(slow_mode_s=60), now)
    )
    assert (await store.change_stream(SHOW, speaking(VIEWER, "one"))).outcome == Outcome.DELIVER
    second = await store.change_stream(SHOW, speaking(VIEWER, "two"))
    assert second.code == "slow_mode"


async def test_word_lists_are_parsed_once_per_version(store) -> None:
    await store.change_stream(
        SHOW, lambda room, _, now: add_word(HOST, room, "zorp", "all", "block", now), words=True
    )
    first = (await store.read(SHOW))[0].words
    await store.change_stream(SHOW, speaking(VIEWER, "fine"))
    assert (await store.read(SHOW))[0].words is first  # the same compiled list: no recompiling
    assert (await store.change_stream(SHOW, speaking(VIEWER, "z0rp"))).code == "blocked_word"
    await store.change_stream(
        SHOW, lambda room, _, now: add_word(HOST, room, "flurb", "all", "mask", now), words=True
    )
    third = (await store.read(SHOW))[0].words
    assert third is not first
    assert {t.text for t in third.terms} == {"zorp", "flurb"}
    assert {t.text for t in first.terms} == {"zorp"}  # what a reader held was not touched


async def test_platform_bans_reach_every_stream(store) -> None:
    pmod = Principal("u:6", "Platform mod", Role.MODERATOR, 6)
    await store.change_platform(lambda platform, now: platform.ban(pmod, VIEWER, now))
    for ref in (SHOW, StreamRef(2, host_id=9, language="pl")):
        assert (await store.change_stream(ref, speaking(VIEWER, "hi"))).code == "banned"
    assert (await store.read_platform()).sanctions.all() != []


async def test_guest_fingerprints_are_remembered(store) -> None:
    await store.remember_fingerprint("g:ab12", "f" * 32)
    assert await store.fingerprint("g:ab12") == "f" * 32
    assert await store.fingerprint("g:cd34") is None


async def test_two_nodes_deciding_at_once_lose_no_update() -> None:
    """Each held message takes the next id in the show's queue: with a read-modify-write that
    is not atomic, two nodes would hand out the same id and one message would vanish."""
    _require("Redis", "127.0.0.1", 6379)
    shared = prefix()
    node_a, node_b = redis_store(shared), redis_store(shared)
    try:
        await node_a.change_stream(
            SHOW, lambda room, _, now: add_word(HOST, room, "quix", "all", "hold", now), words=True
        )
        senders = [
            Person(Principal(f"u:{n}", f"Viewer {n}", Role.VIEWER, n), account_created_at=0.0)
            for n in range(100, 140)
        ]
        decisions = await asyncio.gather(
            *(
                (node_a if n % 2 else node_b).change_stream(SHOW, speaking(sender, "quix?"))
                for n, sender in enumerate(senders)
            )
        )
        assert all(d.outcome == Outcome.HOLD for d in decisions)
        held_ids = {d.held.id for d in decisions if d.held}
        assert len(held_ids) == len(senders)
        room, _ = await node_b.read(SHOW)
        assert {h.id for h in room.pending(decisions[-1].held.at)} == held_ids  # type: ignore[union-attr]
        # Word edits from both nodes at once: every term is there.
        await asyncio.gather(
            *(
                (node_a if n % 2 else node_b).change_stream(
                    SHOW,
                    lambda room, _, now, term=term: add_word(HOST, room, term, "all", "mask", now),
                    words=True,
                )
                for n, term in enumerate(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"])
            )
        )
        room, _ = await node_a.read(SHOW)
        assert len(room.words.terms) == 7
    finally:
        await node_a.close()
        await node_b.close()


async def test_without_redis_chat_goes_on_and_moderation_says_unavailable() -> None:
    away = RedisModerationStore.from_url(f"redis://127.0.0.1:{free_port()}/0", prefix())
    try:
        decision = await away.change_stream(SHOW, speaking(VIEWER, "hello"), fallback=True)
        assert decision.outcome == Outcome.DELIVER
        with pytest.raises(ModerationUnavailable) as refused:
            await away.change_stream(SHOW, lambda room, _, now: room.ban(HOST, VIEWER, now))
        assert refused.value.code == "unavailable"
        room, platform = await away.read(SHOW)
        assert room.stream_id == SHOW.id and platform.sanctions.all() == []
    finally:
        await away.close()
