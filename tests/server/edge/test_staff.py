"""The staff console's doors on both backends: admins only (403 admins_only for every other
role, 401 without a token), every change in the audit log with who and when, bad input 4xx."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from server.core.services.staff import bans_in_force
from server.core.store.rows import ModerationAudit
from tests import factory
from tests.conftest import config_for

READS = ("/api/staff/users", "/api/staff/shows", "/api/staff/coupons", "/api/staff/audit")
READS += ("/api/staff/health",)


async def me(run, token: str) -> dict:
    status, body = await run.call("GET", "/api/me", token)
    assert status == 200
    return body


async def test_only_admins_open_the_console(backend, start) -> None:
    run = await start(config_for(backend))
    show = await factory.show(run)
    coach_or_mod = (show.viewer, show.host, show.seller, show.moderator)
    writes = [
        ("PATCH", "/api/staff/users/1", {"role": "host"}),
        ("POST", f"/api/staff/shows/{show.stream_id}/end", None),
        ("POST", f"/api/staff/shows/{show.stream_id}/take-down", {"down": True}),
        ("POST", "/api/staff/coupons", {"code": "ALL10", "percent_bp": 1000, "scope": "platform"}),
    ]
    for token in coach_or_mod:
        for path in READS:
            status, body = await run.call("GET", path, token)
            assert status == 403 and body["error"]["code"] == "admins_only", (path, body)
        for method, path, payload in writes:
            status, body = await run.call(method, path, token, json=payload)
            assert status == 403 and body["error"]["code"] == "admins_only", (path, body)
    status, body = await run.call("GET", "/api/staff/users")
    assert status == 401
    _, stream = await run.call("GET", f"/api/streams/{show.stream_id}")
    assert stream["status"] == "scheduled"  # nothing changed
    admin = await factory.admin_token(run)
    status, body = await run.call("GET", "/api/staff/audit", admin)
    assert status == 200 and not [e for e in body["entries"] if e["action"].startswith("staff_")]


async def test_users_found_and_appointed_with_an_audit_entry(backend, start) -> None:
    run = await start(config_for(backend))
    admin = await factory.admin_token(run)
    viewer = await factory.account(run, name="Zofia 100%_Kowalska")
    status, body = await run.call("GET", "/api/staff/users?q=zofia 100%_", admin)
    assert status == 200 and [u["display_name"] for u in body["users"]] == ["Zofia 100%_Kowalska"]
    status, body = await run.call("GET", "/api/staff/users?q=100%25x", admin)
    assert body["users"] == []  # % and _ are letters, not patterns
    user_id = (await me(run, viewer))["subject"].split(":")[1]
    status, body = await run.call(
        "PATCH", f"/api/staff/users/{user_id}", admin, json={"role": "coach"}
    )
    assert status == 200 and body["user"]["role"] == "coach"
    status, body = await run.call("GET", "/api/staff/users?role=coach", admin)
    assert [u["id"] for u in body["users"]] == [int(user_id)]
    status, body = await run.call("GET", "/api/me", viewer)
    assert status == 401  # the role change retired its tokens
    status, body = await run.call("GET", "/api/staff/audit", admin)
    entry = body["entries"][0]
    admin_subject = (await me(run, admin))["subject"]
    assert entry["action"] == "staff_account" and entry["actor"] == admin_subject
    assert entry["target"] == f"u:{user_id}" and entry["detail"] == {
        "role": "coach",
        "was": "viewer",
    }
    assert entry["at"].startswith("20")


BAD = [
    ("/api/staff/users?role=wizard", None, 400, "bad_user_query"),
    ("/api/staff/users?q=" + "x" * 101, None, 400, "bad_user_query"),
    ("/api/staff/users/abc", {"role": "host"}, 400, "bad_id"),
    ("/api/staff/users/999999", {"role": "host"}, 404, "not_found"),
    ("/api/staff/users/1", {"role": "wizard"}, 400, None),
    ("/api/staff/users/1", {}, 400, "bad_account_change"),
    ("/api/staff/shows/999999/end", None, 404, None),
    ("/api/staff/shows/999999/take-down", {"down": True}, 404, None),
    ("/api/staff/shows/1/take-down", {"down": "yes"}, 400, "bad_replay_setting"),
    ("/api/staff/coupons", {"code": "x"}, 400, None),
]


async def test_bad_input_is_refused(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    admin = await factory.admin_token(run)
    for path, payload, status, code in BAD:
        if "?" in path:
            method = "GET"
        elif path.startswith("/api/staff/users/"):
            method = "PATCH"
        else:
            method = "POST"
        got, body = await run.call(method, path, admin, json=payload)
        assert got == status, (path, body)
        if code:
            assert body["error"]["code"] == code, (path, body)
    _, audit = await run.call("GET", "/api/staff/audit", admin)
    assert not [e for e in audit["entries"] if e["action"].startswith("staff_")]


async def test_an_admin_ends_a_show_and_takes_its_replay_down(backend, start) -> None:
    run = await start(config_for(backend))
    admin = await factory.admin_token(run)
    show = await factory.show(run)
    await factory.go_live(run, show.stream_id)
    watcher = await run.sio(show.viewer)
    ack = await watcher.call("join", {"stream_id": show.stream_id})
    assert ack["ok"], ack
    status, body = await run.call("GET", "/api/staff/shows", admin)
    (live,) = [s for s in body["live"] if s["id"] == show.stream_id]
    assert live["status"] == "live" and live["viewers"] == 1
    status, body = await run.call("GET", "/api/staff/health", admin)
    assert status == 200 and body["redis"] == (backend.redis_url is not None)
    if backend.redis_url is None:
        assert body["nodes"] == [{"node": "this node", "shows": 1, "viewers": 1}]
    else:  # the node's count reaches Redis at its next counters tick
        for _ in range(50):
            _, body = await run.call("GET", "/api/staff/health", admin)
            if body["nodes"]:
                break
            await asyncio.sleep(0.1)
        (node,) = body["nodes"]
        assert (node["shows"], node["viewers"]) == (1, 1) and node["node"]

    status, body = await run.call("POST", f"/api/staff/shows/{show.stream_id}/end", admin)
    assert status == 200 and body["show"]["status"] == "ended"
    _, stream = await run.call("GET", f"/api/streams/{show.stream_id}")
    assert stream["status"] == "ended"
    status, body = await run.call("POST", f"/api/staff/shows/{show.stream_id}/end", admin)
    assert status == 409  # once
    status, body = await run.call(
        "POST", f"/api/staff/shows/{show.stream_id}/take-down", admin, json={"down": True}
    )
    assert status == 200 and body["show"]["replay_taken_down"] is True
    _, body = await run.call("GET", "/api/staff/shows", admin)
    (ended,) = [s for s in body["ended"] if s["id"] == show.stream_id]
    assert ended["replay_taken_down"] is True and ended["viewers"] is None
    status, body = await run.call("GET", f"/api/streams/{show.stream_id}/replay", show.viewer)
    assert status in (404, 409, 410)
    _, audit = await run.call("GET", "/api/staff/audit", admin)
    actions = [(e["action"], e["stream_id"]) for e in audit["entries"]]
    assert actions[:2] == [
        ("staff_take_down", show.stream_id),
        ("staff_end_show", show.stream_id),
    ]


async def test_platform_coupons_from_the_console(backend, start) -> None:
    run = await start(config_for(backend))
    admin = await factory.admin_token(run)
    seller = await factory.account(run, "seller")
    await run.call("POST", "/api/sellers", seller, json={"name": "S", "country": "PL"})
    await run.call("POST", "/api/coupons", seller, json={"code": "SHOP5", "percent_bp": 500})
    status, body = await run.call(
        "POST",
        "/api/staff/coupons",
        admin,
        json={"code": "ALL10", "percent_bp": 1000, "scope": "platform"},
    )
    assert status == 201 and body["scope"] == "platform"
    status, body = await run.call("GET", "/api/staff/coupons", admin)
    assert {c["code"] for c in body["coupons"]} >= {"ALL10", "SHOP5"}
    _, audit = await run.call("GET", "/api/staff/audit", admin)
    assert audit["entries"][0]["action"] == "staff_coupon"
    assert audit["entries"][0]["detail"] == {"code": "ALL10", "scope": "platform"}


async def test_platform_bans_and_words_and_disabling_are_audited(backend, start) -> None:
    """The console's room actions (platform bans, the platform word list) and a disabled account
    land in the staff audit log with who and when; the bans in force follow bans and lifts."""
    run = await start(config_for(backend))
    admin = await factory.admin_token(run)
    admin_subject = (await me(run, admin))["subject"]
    viewer = await factory.account(run, name="Banned Bob")
    target = (await me(run, viewer))["subject"]
    room = await run.sio(admin)
    ack = await room.call("platform_ban", {"target": target, "reason": "spam"})
    assert ack["ok"], ack
    _, audit = await run.call("GET", "/api/staff/audit", admin)
    (ban,) = audit["bans"]
    assert (ban["target"], ban["by"], ban["reason"], ban["until"]) == (
        target,
        admin_subject,
        "spam",
        None,
    )
    word = {"term": "scamlink", "action": "block", "platform": True}
    assert (await room.call("add_word", word))["ok"]
    assert (await room.call("platform_unban", {"target": target}))["ok"]
    timed = {"target": target, "duration_s": 3600}
    assert (await room.call("platform_ban", timed))["ok"]
    user_id = target.split(":")[1]
    status, body = await run.call(
        "PATCH", f"/api/staff/users/{user_id}", admin, json={"disabled": True}
    )
    assert status == 200 and body["user"]["disabled"] is True
    status, body = await run.call("GET", "/api/me", viewer)
    assert status == 403 and body["error"]["code"] == "account_disabled"

    _, audit = await run.call("GET", "/api/staff/audit", admin)
    newest = [(e["action"], e["target"], e["actor"]) for e in audit["entries"][:5]]
    assert newest == [
        ("staff_account", target, admin_subject),
        ("platform_ban", target, admin_subject),
        ("platform_unban", target, admin_subject),
        ("edit_platform_words", "scamlink", admin_subject),
        ("platform_ban", target, admin_subject),
    ]
    assert audit["entries"][0]["detail"] == {"disabled": True}
    assert audit["names"] == {admin_subject: "Ops", target: "Banned Bob"}
    assert audit["entries"][3]["detail"]["op"] == "add"
    assert all(e["at"].startswith("20") for e in audit["entries"])
    (ban,) = audit["bans"]  # the timed one, after the lift
    assert ban["target"] == target and ban["until"] is not None
    assert (await room.call("platform_unban", {"target": target}))["ok"]
    _, audit = await run.call("GET", "/api/staff/audit", admin)
    assert audit["bans"] == []


async def test_a_replay_put_back_is_audited(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    admin = await factory.admin_token(run)
    show = await factory.show(run)
    await factory.go_live(run, show.stream_id)
    assert (await run.call("POST", f"/api/staff/shows/{show.stream_id}/end", admin))[0] == 200
    path = f"/api/staff/shows/{show.stream_id}/take-down"
    for down in (True, False):
        status, body = await run.call("POST", path, admin, json={"down": down})
        assert status == 200 and body["show"]["replay_taken_down"] is down
    _, audit = await run.call("GET", "/api/staff/audit", admin)
    assert [e["action"] for e in audit["entries"][:2]] == [
        "staff_restore_replay",
        "staff_take_down",
    ]


def test_bans_in_force_follow_the_last_entry_and_expire() -> None:
    """The list the console shows, from audit rows alone (no server): a lift ends a ban, a ban
    after a lift counts again, a timed ban ends at its `until`, other actions are ignored."""
    now = 1_800_000_000.0

    def row(action: str, target: str, at: float, **detail: object) -> ModerationAudit:
        when = datetime.fromtimestamp(at, UTC)
        return ModerationAudit(
            actor="u:1", action=action, target=target, detail=json.dumps(detail), at=when
        )

    rows = [
        row("platform_ban", "u:2", now - 50, until=None, reason="spam"),
        row("platform_unban", "u:2", now - 40),
        row("platform_ban", "u:3", now - 30, until=now - 1, reason="timed, over"),
        row("platform_ban", "g:ab", now - 20, until=now + 60, reason=""),
        row("edit_platform_words", "scam", now - 15, op="add"),
        row("platform_ban", "u:2", now - 10, until=None, reason="again"),
    ]
    found = bans_in_force(rows, now)
    assert [(b.target, b.reason, b.until) for b in found] == [
        ("u:2", "again", None),
        ("g:ab", "", now + 60),
    ]
    assert found[0].at == now - 10 and found[0].by == "u:1"
    assert bans_in_force(rows, now + 61)[1:] == []  # the guest's timed ban has run out
