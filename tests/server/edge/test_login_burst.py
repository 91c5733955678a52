"""A burst of sign-ins does not stall the event loop: argon2 hashes on threads, so the loop
(which forwards chat and media) keeps turning while they run. A structural check, not a speed
target: the loop's longest pause is compared with one hash's duration on the same machine."""

from __future__ import annotations

import asyncio
import time

from server.core.auth import Passwords
from tests.conftest import config_for

LOGINS = 6
TICK_S = 0.002


async def one_hash_s() -> float:
    """The shortest of a few verifications, timed on a thread (not on the loop under test)."""
    passwords = Passwords()
    hashed = passwords.hash("correct horse")

    def timed() -> float:
        started = time.perf_counter()
        passwords.verify(hashed, "correct horse")
        return time.perf_counter() - started

    return min([await asyncio.to_thread(timed) for _ in range(3)])


async def test_a_burst_of_sign_ins_leaves_the_loop_turning(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    emails = [f"burst{n}@example.test" for n in range(LOGINS)]
    for email in emails:
        body = {"email": email, "password": "correct horse", "display_name": "B", "role": "viewer"}
        status, _ = await run.call("POST", "/api/accounts", json=body)
        assert status == 201
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    try:
        answers = await asyncio.gather(
            *(
                run.call("POST", "/api/auth/login", json={"email": e, "password": "correct horse"})
                for e in emails
            )
        )
    finally:
        ticking.cancel()
    assert [status for status, _ in answers] == [200] * LOGINS
    hash_s = await one_hash_s()
    # On the loop, each of the burst's hashes would pause it for a whole hash at least.
    assert len(gaps) > LOGINS
    assert max(gaps) < hash_s / 2, (max(gaps), hash_s)
