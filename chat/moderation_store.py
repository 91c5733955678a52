"""Where the moderation state lives: each show's `StreamModeration` and the `PlatformModeration`.

One interface, two implementations chosen once in chat/realtime.py:

- `MemoryModerationStore`, the embedded default: the state objects live in this process. A
  change is a plain function run without an `await` in between, so it is atomic here.
- `RedisModerationStore` (with `SHOPCAST_REDIS_URL`): a hash per show and one for the platform,
  shared by every node. A change reads, runs the rules and writes back in one WATCH/MULTI
  transaction, retried when another node wrote the same key meanwhile, so two nodes deciding at
  once never lose each other's update (slow-mode times, the review queue, sanctions).

A change is `change(room, platform, now)`; it may mutate `room` (never `platform`) and returns
whatever the rules return. The rules check before they mutate, so a refused change leaves the
state as it was. Word lists are the big part of the state: in Redis they sit in their own field
with a version, and each node keeps the parsed and compiled list of the version it last saw, so
a message is checked without re-reading or recompiling the list.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError, WatchError

from chat.moderation import PlatformModeration, StreamModeration
from chat.word_filter import WordFilter
from server.core.domain.error_codes import RoomCode
from server.core.domain.errors import DomainError

logger = logging.getLogger(__name__)

T = TypeVar("T")
StreamChange = Callable[[StreamModeration, PlatformModeration, float], T]
PlatformChange = Callable[[PlatformModeration, float], T]

STREAM_STATE_TTL_S = 30 * 24 * 3600  # a show's state is dropped a month after its last change
FINGERPRINT_TTL_S = 24 * 3600  # how long a guest's fingerprint is remembered after connecting
MAX_ATTEMPTS = 50  # WATCH conflicts before giving up with `unavailable`
MAX_CACHED = 10_000  # word lists and fingerprints kept per node


class ModerationUnavailable(DomainError):
    """The shared moderation state cannot be reached or changed now: try again shortly."""

    code = RoomCode.UNAVAILABLE
    status = 503


@dataclass(frozen=True)
class StreamRef:
    """What a show's state is created from the first time it is needed."""

    id: int
    host_id: int
    language: str

    def fresh(self) -> StreamModeration:
        return StreamModeration(self.id, host_id=self.host_id, language=self.language)


class ModerationStore(ABC):
    @abstractmethod
    async def read(self, ref: StreamRef) -> tuple[StreamModeration, PlatformModeration]:
        """The show's and the platform's state, to read only."""

    @abstractmethod
    async def read_platform(self) -> PlatformModeration:
        """The platform's state, to read only."""

    @abstractmethod
    async def change_stream(
        self,
        ref: StreamRef,
        change: StreamChange[T],
        *,
        words: bool = False,
        fallback: bool = False,
    ) -> T:
        """Run `change` on the show's state and keep the result. `words`: the change edits
        the show's word list. `fallback`: if the shared state cannot be reached, run it on
        this node's last copy instead of failing (the send decision: chat goes on)."""

    @abstractmethod
    async def change_platform(self, change: PlatformChange[T], *, words: bool = False) -> T:
        """Run `change` on the platform's state and keep the result."""

    @abstractmethod
    async def remember_fingerprint(self, subject: str, fingerprint: str) -> None:
        """A guest connected with this fingerprint, so a moderator on any node can ban it."""

    @abstractmethod
    async def fingerprint(self, subject: str) -> str | None:
        """The fingerprint a guest last connected with, if remembered."""

    async def close(self) -> None:
        return None


class MemoryModerationStore(ModerationStore):
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._streams: dict[int, StreamModeration] = {}
        self._platform = PlatformModeration()
        self._fingerprints: dict[str, str] = {}

    async def read(self, ref: StreamRef) -> tuple[StreamModeration, PlatformModeration]:
        return self._room(ref), self._platform

    async def read_platform(self) -> PlatformModeration:
        return self._platform

    async def change_stream(
        self,
        ref: StreamRef,
        change: StreamChange[T],
        *,
        words: bool = False,
        fallback: bool = False,
    ) -> T:
        room, now = self._room(ref), self._clock()
        if words:  # a new list, as in Redis: what a reader holds stays as it was
            room.words = WordFilter(room.words.terms)
        result = change(room, self._platform, now)
        room.prune(now)
        return result

    async def change_platform(self, change: PlatformChange[T], *, words: bool = False) -> T:
        now = self._clock()
        if words:
            self._platform.words = WordFilter(self._platform.words.terms)
        result = change(self._platform, now)
        self._platform.prune(now)
        return result

    async def remember_fingerprint(self, subject: str, fingerprint: str) -> None:
        if len(self._fingerprints) >= MAX_CACHED:
            del self._fingerprints[next(iter(self._fingerprints))]  # the oldest
        self._fingerprints[subject] = fingerprint

    async def fingerprint(self, subject: str) -> str | None:
        return self._fingerprints.get(subject)

    def _room(self, ref: StreamRef) -> StreamModeration:
        room = self._streams.get(ref.id)
        if room is None:
            room = self._streams[ref.id] = ref.fresh()
        return room


@dataclass
class _Loaded:
    """One state read from Redis: the object, its plain form (to see whether a change changed
    it) and the version of its word list."""

    value: Any  # StreamModeration | PlatformModeration
    plain: dict[str, Any]
    words_version: str


class RedisModerationStore(ModerationStore):
    """Hash fields per key: `state` (JSON without the words), `words` (JSON), `words_version`."""

    def __init__(
        self, redis: aioredis.Redis, prefix: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:moderation"
        self._clock = clock
        self._words: dict[str, tuple[str, WordFilter]] = {}  # key -> version, parsed list
        self._last: dict[str, Any] = {}  # key -> the state last seen, for `fallback`
        self._degraded = False

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisModerationStore:
        # Fail fast when Redis is away: a chat line must not wait seconds for retries.
        client = aioredis.from_url(
            url,
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
            retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), retries=1),
        )
        return cls(client, prefix)

    async def close(self) -> None:
        await self._redis.aclose()

    async def read(self, ref: StreamRef) -> tuple[StreamModeration, PlatformModeration]:
        key = self._stream_key(ref.id)
        try:
            room = await self._load(self._redis, key, ref.fresh, _stream_from)
            platform = await self._load(
                self._redis, self._platform_key, PlatformModeration, _platform_from
            )
        except (RedisError, OSError) as exc:
            self._warn(exc)
            room_copy = self._last.get(key)
            return room_copy if room_copy is not None else ref.fresh(), self._last_platform()
        self._recovered()
        return room.value, platform.value

    async def read_platform(self) -> PlatformModeration:
        key = self._platform_key
        try:
            loaded = await self._load(self._redis, key, PlatformModeration, _platform_from)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return self._last_platform()
        self._recovered()
        return loaded.value

    async def change_stream(
        self,
        ref: StreamRef,
        change: StreamChange[T],
        *,
        words: bool = False,
        fallback: bool = False,
    ) -> T:
        key = self._stream_key(ref.id)

        async def load(pipe: Any) -> tuple[_Loaded, Callable[[float], T]]:
            room = await self._load(pipe, key, ref.fresh, _stream_from)
            platform = await self._load(
                pipe, self._platform_key, PlatformModeration, _platform_from
            )
            return room, lambda now: change(room.value, platform.value, now)

        try:
            return await self._transact(key, load, words, STREAM_STATE_TTL_S)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            if not fallback:
                raise ModerationUnavailable("moderation is unavailable: try again") from None
        # This node's last copy: the rules still apply, but what they change stays here.
        room_copy = self._last.setdefault(key, ref.fresh())
        return change(room_copy, self._last_platform(), self._clock())

    async def change_platform(self, change: PlatformChange[T], *, words: bool = False) -> T:
        key = self._platform_key

        async def load(pipe: Any) -> tuple[_Loaded, Callable[[float], T]]:
            platform = await self._load(pipe, key, PlatformModeration, _platform_from)
            return platform, lambda now: change(platform.value, now)

        try:
            return await self._transact(key, load, words, None)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            raise ModerationUnavailable("moderation is unavailable: try again") from None

    async def remember_fingerprint(self, subject: str, fingerprint: str) -> None:
        key = f"{self._prefix}:fingerprint:{subject}"
        try:
            await self._redis.set(key, fingerprint, ex=FINGERPRINT_TTL_S)
        except (RedisError, OSError) as exc:
            self._warn(exc)

    async def fingerprint(self, subject: str) -> str | None:
        try:
            raw = await self._redis.get(f"{self._prefix}:fingerprint:{subject}")
        except (RedisError, OSError) as exc:
            self._warn(exc)
            raise ModerationUnavailable("moderation is unavailable: try again") from None
        return raw.decode() if isinstance(raw, bytes) else raw

    # -- plumbing -----------------------------------------------------------------------------

    def _stream_key(self, stream_id: int) -> str:
        return f"{self._prefix}:stream:{stream_id}"

    @property
    def _platform_key(self) -> str:
        return f"{self._prefix}:platform"

    async def _transact(
        self,
        key: str,
        load: Callable[[Any], Awaitable[tuple[_Loaded, Callable[[float], T]]]],
        words: bool,
        ttl_s: int | None,
    ) -> T:
        """Read `key` under WATCH, run the change, write it back if it changed anything."""
        for _attempt in range(MAX_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    loaded, run = await load(pipe)
                    state = loaded.value
                    if words:  # a private copy: the cached list is shared by readers
                        state.words = WordFilter(state.words.terms)
                    now = self._clock()
                    result = run(now)
                    state.prune(now)
                    plain = _plain(state)
                    if plain == loaded.plain and not words:
                        self._recovered()
                        return result
                    fields: dict[str, str] = {"state": json.dumps(plain)}
                    version = loaded.words_version
                    if words:
                        version = secrets.token_hex(8)  # never reused, even after expiry
                        fields |= {"words": json.dumps(state.words.to_dict())}
                        fields |= {"words_version": version}
                    pipe.multi()
                    pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
                    if ttl_s is not None:
                        pipe.expire(key, ttl_s)
                    await pipe.execute()
                except WatchError:
                    await asyncio.sleep(random.uniform(0, 0.005))
                    continue
            if words:
                self._cache_words(key, version, state.words)
            self._recovered()
            return result
        raise ModerationUnavailable("moderation is busy: try again")

    async def _load(
        self,
        conn: Any,
        key: str,
        fresh: Callable[[], Any],
        parse: Callable[[dict[str, Any]], Any],
    ) -> _Loaded:
        raw, raw_version = await conn.hmget(key, ["state", "words_version"])
        version = raw_version.decode() if raw_version else ""
        state = parse(json.loads(raw)) if raw else fresh()
        state.words = await self._word_list(conn, key, version)
        if key not in self._last and len(self._last) >= MAX_CACHED:
            del self._last[next(iter(self._last))]
        self._last[key] = state
        return _Loaded(state, _plain(state), version)

    async def _word_list(self, conn: Any, key: str, version: str) -> WordFilter:
        cached = self._words.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        raw = await conn.hget(key, "words") if version else None
        words = WordFilter.from_dict(json.loads(raw)) if raw else WordFilter()
        self._cache_words(key, version, words)
        return words

    def _cache_words(self, key: str, version: str, words: WordFilter) -> None:
        if key not in self._words and len(self._words) >= MAX_CACHED:
            del self._words[next(iter(self._words))]
        self._words[key] = (version, words)

    def _last_platform(self) -> PlatformModeration:
        platform = self._last.get(self._platform_key)
        return platform if platform is not None else PlatformModeration()

    def _warn(self, exc: BaseException) -> None:
        if not self._degraded:
            logger.warning("moderation state: Redis unreachable (%r); using local copies", exc)
        self._degraded = True

    def _recovered(self) -> None:
        if self._degraded:
            logger.info("moderation state: Redis reachable again")
        self._degraded = False


_NO_WORDS = WordFilter()


def _plain(state: StreamModeration | PlatformModeration) -> dict[str, Any]:
    """The JSON form of a state without its word list (stored and compared apart)."""
    plain = replace(state, words=_NO_WORDS).to_dict()
    del plain["words"]
    return plain


def _stream_from(plain: dict[str, Any]) -> StreamModeration:
    return StreamModeration.from_dict(plain | {"words": {"terms": []}})


def _platform_from(plain: dict[str, Any]) -> PlatformModeration:
    return PlatformModeration.from_dict(plain | {"words": {"terms": []}})
