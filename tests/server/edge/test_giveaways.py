"""Giveaways through the live room with real Socket.IO clients, on SQLite and on PostgreSQL +
Redis: the commitment first, one entry per account, sanctioned entries silently uncounted, the
draw reproduced by docs/verify_giveaway.py, prize orders at price 0; entries taken by two nodes
on one Redis count once; keyword entries from chat; every refusal a code."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import factory
from tests.chat.test_moderation_events import code, device_client, guest_token, subject_of
from tests.chat.test_room import Listener, joined
from tests.conftest import config_for

ROOT = Path(__file__).resolve().parents[3]
VERIFY = ROOT / "docs" / "verify_giveaway.py"


def verify(export: dict, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    saved = tmp_path / "entries.json"
    saved.write_text(json.dumps(export))
    return subprocess.run(
        [sys.executable, str(VERIFY), str(saved)], capture_output=True, text=True, timeout=30
    )


async def next_phase(events: Listener, phase: str) -> dict:
    while True:
        giveaway = (await events.next("giveaway_updated"))["giveaway"]
        if giveaway["phase"] == phase:
            return giveaway


async def test_a_product_giveaway_from_commitment_to_verified_winners(running, tmp_path) -> None:
    show = await factory.show(running, stocks=(5,))
    await factory.go_live(running, show.stream_id)
    product = show.product_ids[0]
    host, _, _ = await joined(running, show.host, show.stream_id)
    viewer, viewer_events, _ = await joined(
        running, show.viewer, show.stream_id, "giveaway_updated", "order_confirmed"
    )
    viewer2, viewer2_events, _ = await joined(
        running, show.viewer2, show.stream_id, "order_confirmed"
    )
    terms = {"prize_product_id": product, "window_s": 60, "winners": 2}
    assert code(await viewer.call("start_giveaway", terms)) == "forbidden"
    started = await host.call("start_giveaway", terms)
    assert started["ok"], started
    giveaway = started["giveaway"]
    assert giveaway["phase"] == "open" and giveaway["seed"] is None
    assert len(giveaway["commitment"]) == 64 and giveaway["entrants"] == 0
    heard = (await viewer_events.next("giveaway_updated"))["giveaway"]
    assert heard["commitment"] == giveaway["commitment"]
    assert code(await host.call("start_giveaway", terms)) == "giveaway_running"

    first = await viewer.call("enter_giveaway", {})
    assert first["ok"] and first["created"] and first["giveaway"]["entrants"] == 1, first
    again = await viewer.call("enter_giveaway", {"giveaway_id": giveaway["id"]})
    assert again["ok"] and not again["created"] and again["giveaway"]["entrants"] == 1
    assert (await viewer2.call("enter_giveaway", {}))["giveaway"]["entrants"] == 2
    # A guest may not enter; a shadow-banned viewer is answered as anyone, and not counted.
    guest = await device_client(running, await guest_token(running), "device-g1")
    assert (await guest.call("join", {"stream_id": show.stream_id}))["ok"]
    assert code(await guest.call("enter_giveaway", {})) == "not_eligible"
    shadowed_token = await factory.account(running)
    shadowed, _, _ = await joined(running, shadowed_token, show.stream_id)
    target = await subject_of(running, shadowed_token)
    assert code(await host.call("shadow_ban", {"target": target})) == "ok"
    hidden = await shadowed.call("enter_giveaway", {})
    assert hidden["ok"] and hidden["entered"] and hidden["giveaway"]["entrants"] == 3
    status, listed = await running.call("GET", f"/api/giveaways/{giveaway['id']}/entries")
    assert status == 200 and len(listed["entries"]) == 2 and listed["seed"] is None

    ended = await host.call("end_giveaway", {"giveaway_id": giveaway["id"]})
    assert ended["ok"], ended
    drawn = ended["giveaway"]
    assert drawn["phase"] == "drawn" and drawn["entrants"] == 2
    assert {w["subject"] for w in drawn["winners"]} == {
        await subject_of(running, show.viewer),
        await subject_of(running, show.viewer2),
    }
    assert all(w["display_name"].endswith("***") and w["order_id"] for w in drawn["winners"])
    assert (await next_phase(viewer_events, "drawn"))["seed"] == drawn["seed"]
    for events in (viewer_events, viewer2_events):
        order = (await events.next("order_confirmed"))["order"]
        assert order["total_minor"] == 0 and order["status"] == "paid", order
    status, found = await running.call("GET", f"/api/products/{product}")
    assert status == 200 and found["stock"] == 3, found

    status, export = await running.call("GET", f"/api/giveaways/{giveaway['id']}/entries")
    assert status == 200 and export["seed"] == drawn["seed"]
    checked = verify(export, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert " ".join(export["winners"]) in checked.stdout
    tampered = verify(export | {"entries": export["entries"][:1]}, tmp_path)
    assert tampered.returncode == 1 and "FAIL" in tampered.stdout
    late = await viewer.call("enter_giveaway", {"giveaway_id": giveaway["id"]})
    assert code(late) == "giveaway_closed"
    status, shown = await running.call("GET", f"/api/streams/{show.stream_id}/giveaways")
    assert status == 200 and shown["giveaways"][0]["seed"] == drawn["seed"]


async def test_a_keyword_giveaway_is_entered_from_chat_and_drawn_when_due(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)
    viewer, events, _ = await joined(running, show.viewer, show.stream_id, "giveaway_updated")
    terms = {"prize_text": "A signed mug", "window_s": 30, "eligibility": "keyword",
             "keyword": "MUG"}  # fmt: skip
    started = await host.call("start_giveaway", terms)
    assert started["ok"], started
    assert code(await viewer.call("enter_giveaway", {})) == "keyword_entry"
    said = await viewer.call("send_message", {"text": "I want the mug!"})
    assert said["ok"], said
    state = await viewer.call("giveaway_state", {})
    assert state["giveaway"]["entrants"] == 1
    # The window runs out on the server's clock: a node draws it without anyone asking.
    from server.core.store.rows import Giveaway
    from server.edge.http.context import SERVICES

    db = running.app[SERVICES].giveaways._db
    async with db.writing() as session:
        row = await session.get(Giveaway, started["giveaway"]["id"])
        row.ends_at = row.opens_at
    drawn = await next_phase(events, "drawn")
    assert [w["subject"] for w in drawn["winners"]] == [await subject_of(running, show.viewer)]
    assert drawn["winners"][0]["order_id"] is None  # a text prize has no order


BAD_TERMS = [
    ({"prize_text": "x", "window_s": 10}, "bad_entry_window"),
    ({"prize_text": "x", "window_s": "60"}, "bad_entry_window"),
    ({"prize_text": "x", "window_s": 60, "winners": 0}, "bad_winners"),
    ({"window_s": 60}, "bad_prize"),
    ({"prize_text": 5, "window_s": 60}, "bad_prize"),
    ({"prize_product_id": -1, "window_s": 60}, "bad_prize"),
    ({"prize_text": "x", "window_s": 60, "eligibility": "friends"}, "bad_eligibility"),
    ({"prize_text": "x", "window_s": 60, "eligibility": "followers"}, "followers_unavailable"),
    ({"prize_text": "x", "window_s": 60, "eligibility": "keyword"}, "bad_keyword"),
    ([1, 2], "bad_payload"),
]


async def test_bad_giveaways_are_refused_with_their_code(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    host, _, _ = await joined(run, show.host, show.stream_id)
    for terms, wanted in BAD_TERMS:
        assert code(await host.call("start_giveaway", terms)) == wanted, terms


async def test_giveaway_refusals_for_missing_and_foreign_giveaways(running) -> None:
    show = await factory.show(running)
    other = await factory.show(running)
    viewer, _, _ = await joined(running, show.viewer, show.stream_id)
    assert code(await viewer.call("enter_giveaway", {})) == "giveaway_not_found"
    assert code(await viewer.call("enter_giveaway", {"giveaway_id": "x"})) == "bad_payload"
    elsewhere, _, _ = await joined(running, other.host, other.stream_id)
    made = await elsewhere.call("start_giveaway", {"prize_text": "x", "window_s": 60})
    foreign = {"giveaway_id": made["giveaway"]["id"]}
    assert code(await viewer.call("enter_giveaway", foreign)) == "giveaway_not_found"
    status, body = await running.call("GET", "/api/giveaways/999999")
    assert status == 404 and body["error"]["code"] == "giveaway_not_found"
    not_lineup = {"prize_product_id": other.product_ids[0], "window_s": 60}
    host, _, _ = await joined(running, show.host, show.stream_id)
    assert code(await host.call("start_giveaway", not_lineup)) == "not_in_lineup"


async def test_entries_on_two_nodes_of_one_redis_count_once(backend, start) -> None:
    if backend.redis_url is None:
        pytest.skip("several nodes share a show through Redis")
    config = config_for(backend)
    nodes = [await start(config), await start(config)]
    show = await factory.show(nodes[0])
    await factory.go_live(nodes[0], show.stream_id)
    host, _, _ = await joined(nodes[0], show.host, show.stream_id)
    started = await host.call("start_giveaway", {"prize_text": "x", "window_s": 60})
    gid = started["giveaway"]["id"]
    tokens = [await factory.account(nodes[0]) for _ in range(6)]
    clients = [
        (await joined(nodes[i % 2], token, show.stream_id))[0] for i, token in enumerate(tokens)
    ]
    # Each person taps on both nodes at once, twice.
    taps = [
        client.call("enter_giveaway", {"giveaway_id": gid}) for client in clients for _ in range(2)
    ]
    others = [
        (await joined(nodes[(i + 1) % 2], token, show.stream_id))[0]
        for i, token in enumerate(tokens)
    ]
    taps += [c.call("enter_giveaway", {"giveaway_id": gid}) for c in others]
    acks = await asyncio.gather(*taps)
    assert all(a["ok"] for a in acks), acks
    assert sum(a["created"] for a in acks) == 6
    status, export = await nodes[1].call("GET", f"/api/giveaways/{gid}/entries")
    assert status == 200 and len(export["entries"]) == 6
    status, one = await nodes[0].call("GET", f"/api/giveaways/{gid}")
    assert one["entrants"] == 6
