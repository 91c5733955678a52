"""Every operation of /api/openapi.json, fuzzed by schemathesis against the app on a real port,
as an admin, a seller, a host and a buyer: no 5xx, no traceback in the log, and after every
request the database is consistent and no unit of stock was made or lost
(tests/security/consistency.py).

Hypothesis drives schemathesis's strategies in a thread, with a small budget per operation, in
valid (schema-conforming) and invalid shapes; the server answers on the test's event loop.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from server.edge.http.openapi import ID, document
from tests import factory
from tests.conftest import Running
from tests.security import consistency
from tests.security.world import config

pytestmark = pytest.mark.fuzz

EXAMPLES = 15  # per operation and mode: ~45 operations x 2 modes x 15, about 20 s
MAX_ID = 8  # the world's ids are small: ids in range reach real objects, not only 404s
# Requests after which a variant's total may change: the seller's catalogue edits.
RESTOCKING = ("/api/products",)
HTTP_TIMEOUT_S = 30


# What this fuzzer sends: the JSON API and the probes. The document also names the pages, the
# Socket.IO transport and WHIP/WHEP (SDP bodies: fuzzed below, and in test_socket_fuzz.py).
FUZZED = ("/api/", "/healthz", "/metrics")


def fuzzable(doc: dict[str, Any]) -> dict[str, Any]:
    """The served document's JSON API, with every id kept small (in paths and bodies), so
    fuzzed requests name things that exist rather than only missing ones."""

    def narrow(node: Any) -> Any:
        if node == ID:
            return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        if isinstance(node, dict):
            return {k: narrow(v) for k, v in node.items()}
        if isinstance(node, list):
            return [narrow(v) for v in node]
        return node

    found = dict(narrow(copy.deepcopy(doc)))
    found["paths"] = {p: ops for p, ops in found["paths"].items() if p.startswith(FUZZED)}
    return found


async def seed(run: Running) -> dict[str, str]:
    """Live shows with stock, a reserved and a paid order, a deal: the tokens of who fuzzes."""
    show = await factory.show(run, stocks=(50, 20))
    await factory.go_live(run, show.stream_id)
    path = f"/api/streams/{show.stream_id}"
    for pay in (False, True):
        body = {"product_id": show.product_ids[0], "quantity": 2, "idempotency_key": f"seed{pay}"}
        status, _ = await run.call("POST", f"{path}/orders", show.viewer, json=body | {"pay": pay})
        assert status == 201
    deal = {"product_id": show.product_ids[1], "price_minor": 99, "duration_s": 600, "quantity": 5}
    status, _ = await run.call("POST", f"{path}/deals", show.host, json=deal)
    assert status == 201
    for _ in range(3):  # more live shows: the fuzzer ends some of them
        other = await factory.show(run)
        await factory.go_live(run, other.stream_id)
    return {
        "admin": await factory.admin_token(run),
        "seller": show.seller,
        "host": show.host,
        "viewer": show.viewer,
    }


class Fuzzer:
    """Runs in a worker thread; reads the database through the server's loop."""

    def __init__(self, run: Running, tokens: dict[str, str], loop: asyncio.AbstractEventLoop):
        self.run, self.tokens, self.loop = run, tokens, loop
        self.session = requests.Session()
        self.faults: list[str] = []
        self.count = 0
        self.before = consistency.Stock({}, ())

    def on_loop(self, work: Coroutine[Any, Any, consistency.Stock]) -> consistency.Stock:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(HTTP_TIMEOUT_S)

    def send(self, case: schemathesis.Case, who: str) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        response = case.call(
            base_url=self.run.url, session=self.session, headers=headers, timeout=HTTP_TIMEOUT_S
        )
        self.count += 1
        where = f"{case.method} {case.formatted_path} as {who}"
        if response.status_code >= 500:
            self.faults.append(f"{where}: {response.status_code} {response.text[:300]}")
        after = self.on_loop(consistency.stock(self.run.app))
        if not case.path.startswith(RESTOCKING):
            self.faults += [
                f"after {where}: {fault}" for fault in consistency.conserved(self.before, after)
            ]
        self.before = after

    def operation(self, strategy: st.SearchStrategy[schemathesis.Case]) -> Callable[[], None]:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy, who=st.sampled_from(sorted(self.tokens)))
        def fuzz(case: schemathesis.Case, who: str) -> None:
            self.send(case, who)

        return fuzz

    def all(self, schema: Any) -> None:
        self.before = self.on_loop(consistency.stock(self.run.app))
        for found in schema.get_all_operations():
            operation = found.ok()
            self.operation(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))()
            try:
                self.operation(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))()
            except Unsatisfiable:  # nothing to send wrong: no parameters, no body
                pass


async def test_fuzzed_requests_never_fail_the_server(sqlite_backend, start, caplog) -> None:
    caplog.set_level(logging.WARNING)
    run = await start(config(sqlite_backend))
    tokens = await seed(run)
    schema = schemathesis.openapi.from_dict(fuzzable(document()))
    fuzzer = Fuzzer(run, tokens, asyncio.get_running_loop())
    await asyncio.to_thread(fuzzer.all, schema)
    assert fuzzer.count > 300
    assert fuzzer.faults == []
    assert consistency.faults_logged(caplog.records) == []


SDP_LINES = st.one_of(
    st.sampled_from(
        [
            "v=0",
            "o=- 1 1 IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "m=video 9 UDP/TLS/RTP/SAVPF 96",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "a=rtpmap:96 VP8/90000",
            "a=rtpmap:111 opus/48000/2",
            "a=fingerprint:sha-256 00:11",
            "a=setup:actpass",
            "a=ice-ufrag:abcd",
            "a=ice-pwd:abcdefghijklmnopqrstuvwx",
            "a=mid:0",
            "a=group:BUNDLE 0",
            "a=sendonly",
            "a=recvonly",
            "c=IN IP4 0.0.0.0",
        ]
    ),
    st.text(max_size=80).map(lambda t: t.replace("\r", "").replace("\n", "")),
)
SDP_BODIES = st.one_of(
    st.lists(SDP_LINES, max_size=25).map(lambda lines: "\r\n".join(lines).encode()),
    st.binary(max_size=2000),
)


async def test_fuzzed_sdp_offers_never_fail_the_server(sqlite_backend, start, caplog) -> None:
    """WHIP and WHEP take SDP, which the OpenAPI document does not describe: offers made of
    plausible and junk lines, and raw bytes, to a live show's WHEP (anyone) and WHIP (its key)."""
    caplog.set_level(logging.WARNING)
    run = await start(config(sqlite_backend))
    show = await factory.show(run)
    await factory.go_live(run, show.stream_id)
    loop = asyncio.get_running_loop()
    statuses: list[int] = []

    async def offer(path: str, body: bytes, key: str | None) -> None:
        headers = {"Content-Type": "application/sdp"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        async with run.http.post(run.url + path, data=body, headers=headers) as response:
            statuses.append(response.status)
            if response.status == 201:  # a session came of it: close it again
                await run.http.delete(run.url + response.headers["Location"], headers=headers)

    @settings(max_examples=60, deadline=None, database=None, phases=[Phase.generate])
    @given(body=SDP_BODIES, publish=st.booleans())
    def fuzz(body: bytes, publish: bool) -> None:
        path = f"/{'whip' if publish else 'whep'}/{show.stream_id}"
        key = show.stream_key if publish else None
        asyncio.run_coroutine_threadsafe(offer(path, body, key), loop).result(HTTP_TIMEOUT_S)

    await asyncio.to_thread(fuzz)
    assert len(statuses) == 60 and max(statuses) < 500, statuses
    assert consistency.faults_logged(caplog.records) == []
