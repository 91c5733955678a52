"""Moderation rules: permissions, sanctions, room modes, the send decision, review and audit.

Time is a plain number passed in, so every boundary is exact. Word-list terms are made up.
"""

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat import moderation
from chat.moderation import (
    HELD_TTL_S,
    MAX_MUTE_S,
    MAX_REASON_CHARS,
    MUTE_PRESETS_S,
    SYSTEM,
    AuditEntry,
    Decision,
    MessageRefused,
    Outcome,
    Person,
    PlatformModeration,
    RoomModes,
    StreamModeration,
    add_word,
    decide,
    remove_word,
)
from chat.permissions import Action, ModerationForbidden, Standing, allowed, require, standing
from server.core.domain.errors import Conflict, NotFound, ValidationError
from server.core.domain.roles import Principal, Role

T0 = 1_700_000_000.0
STREAM = 10

HOST = Principal("u:1", "Host", Role.HOST, 1)
MOD = Principal("u:2", "Stream mod", Role.VIEWER, 2)  # appointed in STREAM by HOST
MOD2 = Principal("u:3", "Second stream mod", Role.VIEWER, 3)
VIEWER = Principal("u:4", "Viewer", Role.VIEWER, 4)
SELLER = Principal("u:5", "Seller", Role.SELLER, 5)
PMOD = Principal("u:6", "Platform mod", Role.MODERATOR, 6)
PMOD2 = Principal("u:7", "Other platform mod", Role.MODERATOR, 7)
ADMIN = Principal("u:8", "Admin", Role.ADMIN, 8)
ADMIN2 = Principal("u:9", "Other admin", Role.ADMIN, 9)
OTHER_HOST = Principal("u:11", "Another show's host", Role.HOST, 11)
GUEST = Principal("g:aa11", "Guest", Role.VIEWER)


def room(modes: RoomModes | None = None) -> StreamModeration:
    """STREAM, hosted by HOST, with MOD and MOD2 appointed."""
    return StreamModeration(STREAM, host_id=1, moderators={2, 3}, modes=modes or RoomModes())


def other_room() -> StreamModeration:
    return StreamModeration(STREAM + 1, host_id=11)


def person(principal: Principal, fingerprint: str | None = None) -> Person:
    """Someone with a year-old account (when they have an account)."""
    return Person(principal, fingerprint, account_created_at=T0 - 365 * 86400)


def say(
    where: StreamModeration,
    who: Principal | Person,
    now: float = T0,
    text: str = "hello",
    platform: PlatformModeration | None = None,
) -> Decision:
    sender = who if isinstance(who, Person) else person(who)
    return decide(sender, text, now, room=where, platform=platform or PlatformModeration())


def refused(decision: Decision) -> str | None:
    assert decision.outcome == Outcome.REFUSE, decision
    return decision.code


# -- standings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        (GUEST, Standing.GUEST),
        (VIEWER, Standing.VIEWER),
        (SELLER, Standing.SELLER),
        (MOD, Standing.STREAM_MODERATOR),
        (HOST, Standing.HOST),
        (OTHER_HOST, Standing.VIEWER),  # a host in someone else's show is a viewer there
        (PMOD, Standing.PLATFORM_MODERATOR),
        (ADMIN, Standing.ADMIN),
    ],
)
def test_standing_in_a_stream(principal: Principal, expected: Standing) -> None:
    assert standing(principal, room()) == expected


def test_standing_without_a_stream_ignores_stream_roles() -> None:
    assert standing(HOST, None) == Standing.VIEWER
    assert standing(MOD, None) == Standing.VIEWER
    assert standing(SELLER, None) == Standing.SELLER


# -- the permission matrix ------------------------------------------------------------------------

STAFF_ACTIONS = {
    Action.DELETE_MESSAGE,
    Action.PIN,
    Action.MUTE,
    Action.UNMUTE,
    Action.BAN,
    Action.UNBAN,
    Action.SHADOW_BAN,
    Action.UNSHADOW_BAN,
    Action.SET_MODES,
    Action.EDIT_WORDS,
    Action.REVIEW,
    Action.READ_AUDIT,
}
RUN_ACTIONS = {Action.APPOINT_MODERATOR, Action.REMOVE_MODERATOR, Action.END_STREAM}
PLATFORM_ACTIONS = {
    Action.PLATFORM_BAN,
    Action.PLATFORM_UNBAN,
    Action.EDIT_PLATFORM_WORDS,
    Action.READ_PLATFORM_AUDIT,
}

# Written out by hand (not read from the module) so a change to the matrix is a visible change.
MATRIX = {
    GUEST: set(),
    VIEWER: set(),
    SELLER: set(),
    MOD: STAFF_ACTIONS,
    HOST: STAFF_ACTIONS | RUN_ACTIONS,
    PMOD: STAFF_ACTIONS | PLATFORM_ACTIONS,
    ADMIN: STAFF_ACTIONS | RUN_ACTIONS | PLATFORM_ACTIONS,
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("actor", list(MATRIX), ids=lambda p: p.display_name)
def test_permission_matrix(actor: Principal, action: Action) -> None:
    # The target is a guest, whom every actor but a guest outranks: only the matrix decides.
    expected = action in MATRIX[actor]
    assert allowed(actor, action, room(), GUEST) is expected
    if not expected:
        with pytest.raises(ModerationForbidden) as caught:
            require(actor, action, room(), GUEST)
        assert (caught.value.code, caught.value.status) == ("forbidden", 403)


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        (MOD, VIEWER, True),
        (MOD, GUEST, True),
        (MOD, SELLER, True),
        (MOD, MOD2, False),  # peers cannot sanction each other
        (MOD, MOD, False),  # nor themselves
        (MOD, HOST, False),
        (MOD, PMOD, False),
        (MOD, ADMIN, False),
        (HOST, MOD, True),
        (HOST, OTHER_HOST, True),  # a viewer here
        (HOST, PMOD, False),  # staff above the host
        (HOST, HOST, False),
        (PMOD, MOD, True),
        (PMOD, HOST, False),  # nobody sanctions the host in their own show
        (PMOD, PMOD2, False),
        (PMOD, ADMIN, False),
        (ADMIN, PMOD, True),
        (ADMIN, HOST, False),
        (ADMIN, ADMIN2, False),
    ],
)
@pytest.mark.parametrize(
    "action",
    [Action.MUTE, Action.BAN, Action.SHADOW_BAN, Action.UNMUTE, Action.DELETE_MESSAGE],
)
def test_targets_must_rank_below_the_actor(
    actor: Principal, target: Principal, expected: bool, action: Action
) -> None:
    assert allowed(actor, action, room(), target) is expected


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        (PMOD, HOST, True),  # on the platform a host is an ordinary account
        (PMOD, VIEWER, True),
        (PMOD, GUEST, True),
        (PMOD, PMOD2, False),
        (PMOD, ADMIN, False),
        (ADMIN, PMOD, True),
        (ADMIN, ADMIN2, False),
        (HOST, VIEWER, False),
        (MOD, VIEWER, False),
    ],
)
def test_platform_bans(actor: Principal, target: Principal, expected: bool) -> None:
    assert allowed(actor, Action.PLATFORM_BAN, None, target) is expected
    assert allowed(actor, Action.PLATFORM_BAN, room(), target) is expected  # the room is ignored


def test_stream_roles_do_not_carry_to_other_streams() -> None:
    assert not allowed(MOD, Action.MUTE, other_room(), VIEWER)
    assert not allowed(HOST, Action.END_STREAM, other_room())
    assert allowed(OTHER_HOST, Action.END_STREAM, other_room())
    assert allowed(PMOD, Action.MUTE, other_room(), VIEWER)  # platform staff act everywhere


def test_stream_actions_need_a_stream_and_person_actions_a_target() -> None:
    assert not allowed(ADMIN, Action.MUTE, None, VIEWER)
    assert not allowed(ADMIN, Action.MUTE, room())
    assert allowed(ADMIN, Action.PIN, room())


# -- appointing moderators ------------------------------------------------------------------------


def test_the_host_appoints_and_removes_stream_moderators() -> None:
    show = room()
    assert not allowed(VIEWER, Action.MUTE, show, GUEST)
    entry = show.appoint(HOST, VIEWER, T0)
    assert entry == AuditEntry("u:1", Action.APPOINT_MODERATOR, "u:4", STREAM, T0, {})
    assert standing(VIEWER, show) == Standing.STREAM_MODERATOR
    assert allowed(VIEWER, Action.MUTE, show, GUEST)
    show.dismiss(HOST, VIEWER, T0 + 1)
    assert standing(VIEWER, show) == Standing.VIEWER


@pytest.mark.parametrize("actor", [MOD, PMOD, VIEWER])
def test_only_the_host_or_an_admin_appoints(actor: Principal) -> None:
    with pytest.raises(ModerationForbidden):
        room().appoint(actor, VIEWER, T0)
    with pytest.raises(ModerationForbidden):
        room().dismiss(actor, MOD, T0)
    room().appoint(ADMIN, VIEWER, T0)


@pytest.mark.parametrize("target", [GUEST, HOST])
def test_guests_and_the_host_cannot_be_appointed(target: Principal) -> None:
    with pytest.raises(ValidationError) as caught:
        room().appoint(HOST, target, T0)
    assert caught.value.code == "bad_target"


def test_removing_someone_who_is_not_a_moderator() -> None:
    with pytest.raises(NotFound) as caught:
        room().dismiss(HOST, VIEWER, T0)
    assert caught.value.code == "not_moderator"


# -- mutes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("duration", MUTE_PRESETS_S)
def test_a_mute_lasts_until_exactly_its_end(duration: int) -> None:
    show = room()
    entry = show.mute(MOD, person(VIEWER), T0, duration, reason=" spam ")
    assert entry == AuditEntry(
        "u:2", Action.MUTE, "u:4", STREAM, T0, {"until": T0 + duration, "reason": "spam"}
    )
    just_before = say(show, VIEWER, T0 + duration - 0.5)
    assert refused(just_before) == "muted"
    assert just_before.retry_after_s == 0.5
    assert say(show, VIEWER, T0 + duration).outcome == Outcome.DELIVER


def test_a_mute_does_not_touch_anyone_else() -> None:
    show = room()
    show.mute(MOD, person(VIEWER), T0)
    assert say(show, SELLER, T0 + 1).outcome == Outcome.DELIVER


def test_muting_again_replaces_the_mute() -> None:
    show = room()
    show.mute(MOD, person(VIEWER), T0, 3600)
    show.mute(MOD, person(VIEWER), T0, 60)
    assert say(show, VIEWER, T0 + 60).outcome == Outcome.DELIVER


@pytest.mark.parametrize("duration", [0, -1, MAX_MUTE_S + 1, float("nan"), float("inf"), True])
def test_bad_mute_durations(duration: float) -> None:
    with pytest.raises(ValidationError) as caught:
        room().mute(MOD, person(VIEWER), T0, duration)
    assert caught.value.code == "bad_duration"


def test_a_mute_of_any_duration_up_to_the_cap() -> None:
    room().mute(MOD, person(VIEWER), T0, 0.5)
    room().mute(MOD, person(VIEWER), T0, MAX_MUTE_S)
    with pytest.raises(ValidationError):
        room().mute(MOD, person(VIEWER), T0, "60")  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", ["x" * (MAX_REASON_CHARS + 1), None, 3])
def test_bad_reasons(reason: object) -> None:
    with pytest.raises(ValidationError) as caught:
        room().ban(MOD, person(VIEWER), T0, reason)  # type: ignore[arg-type]
    assert caught.value.code == "bad_reason"


def test_unmute() -> None:
    show = room()
    show.mute(MOD, person(VIEWER), T0)
    entry = show.unmute(MOD2, person(VIEWER), T0 + 5)
    assert (entry.actor, entry.action, entry.target, entry.at) == (
        "u:3",
        Action.UNMUTE,
        "u:4",
        T0 + 5,
    )
    assert say(show, VIEWER, T0 + 5).outcome == Outcome.DELIVER


def test_lifting_what_is_not_there() -> None:
    show = room()
    with pytest.raises(NotFound) as caught:
        show.unmute(MOD, person(VIEWER), T0)
    assert caught.value.code == "not_sanctioned"
    show.mute(MOD, person(VIEWER), T0, 60)
    with pytest.raises(NotFound):
        show.unmute(MOD, person(VIEWER), T0 + 60)  # it already ended


def test_sanctions_set_by_higher_staff_are_lifted_only_by_their_rank_or_above() -> None:
    show = room()
    show.mute(PMOD, person(VIEWER), T0)
    for lower in (MOD, HOST):
        with pytest.raises(ModerationForbidden) as caught:
            show.unmute(lower, person(VIEWER), T0 + 1)
        assert caught.value.code == "forbidden"
    show.unmute(PMOD2, person(VIEWER), T0 + 1)
    show.ban(HOST, person(VIEWER), T0 + 2)
    with pytest.raises(ModerationForbidden):
        show.unban(MOD, person(VIEWER), T0 + 3)
    show.unban(ADMIN, person(VIEWER), T0 + 3)


def test_a_viewer_cannot_mute() -> None:
    with pytest.raises(ModerationForbidden):
        room().mute(VIEWER, person(GUEST), T0)


# -- bans -----------------------------------------------------------------------------------------


def test_a_stream_ban_holds_until_lifted_and_only_in_that_stream() -> None:
    show, other = room(), other_room()
    show.ban(MOD, person(VIEWER), T0, reason="scam links")
    late = say(show, VIEWER, T0 + 10 * 365 * 86400)
    assert refused(late) == "banned"
    assert late.retry_after_s is None
    assert say(other, VIEWER, T0).outcome == Outcome.DELIVER
    show.unban(MOD, person(VIEWER), T0 + 1)
    assert say(show, VIEWER, T0 + 1).outcome == Outcome.DELIVER


def test_a_guest_is_banned_by_fingerprint_across_reconnections() -> None:
    show = room()
    show.ban(MOD, person(GUEST, fingerprint="dev-1"), T0)
    again = Principal("g:bb22", "Same guest, new name", Role.VIEWER)
    assert refused(say(show, person(again, fingerprint="dev-1"))) == "banned"
    assert refused(say(show, person(GUEST))) == "banned"  # and by the old subject
    assert say(show, person(again, fingerprint="dev-2")).outcome == Outcome.DELIVER
    show.unban(MOD, person(again, fingerprint="dev-1"), T0 + 1)  # lifted by either key
    assert say(show, person(GUEST), T0 + 1).outcome == Outcome.DELIVER


def test_a_fingerprint_never_bans_an_account() -> None:
    # A shared address (a campus, a carrier NAT) must not lock signed-in people out.
    show = room()
    show.ban(MOD, person(GUEST, fingerprint="shared"), T0)
    assert say(show, person(VIEWER, fingerprint="shared")).outcome == Outcome.DELIVER


def test_a_platform_ban_applies_to_every_stream() -> None:
    platform = PlatformModeration()
    entry = platform.ban(PMOD, person(VIEWER), T0, reason="fraud")
    assert entry == AuditEntry(
        "u:6", Action.PLATFORM_BAN, "u:4", None, T0, {"until": None, "reason": "fraud"}
    )
    for show in (room(), other_room()):
        assert refused(say(show, VIEWER, T0 + 1, platform=platform)) == "banned"
    platform.unban(ADMIN, person(VIEWER), T0 + 2)
    assert say(room(), VIEWER, T0 + 2, platform=platform).outcome == Outcome.DELIVER


def test_a_timed_platform_ban_ends_at_its_until() -> None:
    platform = PlatformModeration()
    platform.ban(PMOD, person(GUEST, fingerprint="dev-9"), T0, duration_s=86400)
    newcomer = Principal("g:cc33", "Guest", Role.VIEWER)
    early = say(room(), person(newcomer, fingerprint="dev-9"), T0 + 86399, platform=platform)
    assert (refused(early), early.retry_after_s) == ("banned", 1)
    later = say(room(), person(newcomer, fingerprint="dev-9"), T0 + 86400, platform=platform)
    assert later.outcome == Outcome.DELIVER


def test_platform_bans_need_platform_staff() -> None:
    for actor in (HOST, MOD):
        with pytest.raises(ModerationForbidden):
            PlatformModeration().ban(actor, person(VIEWER), T0)
    with pytest.raises(ValidationError) as caught:
        PlatformModeration().ban(ADMIN, person(VIEWER), T0, duration_s=0)
    assert caught.value.code == "bad_duration"


# -- shadow bans ----------------------------------------------------------------------------------


def test_a_shadow_banned_sender_sees_their_own_messages_only() -> None:
    show = room()
    show.shadow_ban(MOD, person(VIEWER), T0, reason="troll")
    decision = say(show, VIEWER, T0 + 1, "hello all")
    assert (decision.outcome, decision.text) == (Outcome.SENDER_ONLY, "hello all")
    show.unshadow_ban(MOD, person(VIEWER), T0 + 2)
    assert say(show, VIEWER, T0 + 2).outcome == Outcome.DELIVER


def test_a_shadow_banned_sender_meets_every_usual_rule() -> None:
    # Anything unusual would tell them they are shadow-banned.
    show = room()
    show.words.add("zorp", "en", "block")
    show.words.add("blarg", "en", "hold")
    show.shadow_ban(MOD, person(VIEWER), T0)
    assert refused(say(show, VIEWER, T0, "zorp")) == "blocked_word"
    assert say(show, VIEWER, T0, "blarg").outcome == Outcome.SENDER_ONLY  # not queued
    assert not show.held
    show.set_modes(MOD, RoomModes(slow_mode_s=30), T0)
    assert refused(say(show, VIEWER, T0 + 1)) == "slow_mode"


# -- room modes -----------------------------------------------------------------------------------


def test_slow_mode_allows_one_message_per_period() -> None:
    show = room()
    entry = show.set_modes(HOST, RoomModes(slow_mode_s=30), T0)
    assert entry.detail == {
        "slow_mode_s": 30,
        "registered_only": False,
        "min_account_age_s": 0,
        "followers_only": False,
    }
    assert say(show, VIEWER, T0).outcome == Outcome.DELIVER
    waiting = say(show, VIEWER, T0 + 29.5)
    assert (refused(waiting), waiting.retry_after_s) == ("slow_mode", 0.5)
    assert say(show, VIEWER, T0 + 30).outcome == Outcome.DELIVER  # exactly one period later
    assert say(show, SELLER, T0 + 30).outcome == Outcome.DELIVER  # per person


def test_refused_messages_do_not_count_for_slow_mode() -> None:
    show = room(RoomModes(slow_mode_s=30))
    show.words.add("zorp", "en", "block")
    assert refused(say(show, VIEWER, T0, "zorp")) == "blocked_word"
    assert say(show, VIEWER, T0 + 1).outcome == Outcome.DELIVER


def test_slow_mode_follows_a_guest_across_reconnections() -> None:
    show = room(RoomModes(slow_mode_s=30))
    say(show, person(GUEST, fingerprint="dev-1"))
    again = Principal("g:dd44", "Guest", Role.VIEWER)
    assert refused(say(show, person(again, fingerprint="dev-1"), T0 + 1)) == "slow_mode"


def test_switching_slow_mode_on_applies_to_the_next_message() -> None:
    show = room()
    say(show, VIEWER, T0)
    show.set_modes(MOD, RoomModes(slow_mode_s=60), T0 + 1)
    assert refused(say(show, VIEWER, T0 + 2)) == "slow_mode"
    show.set_modes(MOD, RoomModes(), T0 + 3)
    assert say(show, VIEWER, T0 + 3).outcome == Outcome.DELIVER


def test_registered_only_refuses_guests() -> None:
    show = room(RoomModes(registered_only=True))
    assert refused(say(show, GUEST)) == "registered_only"
    assert say(show, VIEWER).outcome == Outcome.DELIVER


def test_established_mode_refuses_young_accounts_until_they_are_old_enough() -> None:
    show = room(RoomModes(min_account_age_s=600))
    newcomer = Person(VIEWER, account_created_at=T0 - 60)
    young = say(show, newcomer, T0)
    assert (refused(young), young.retry_after_s) == ("account_too_new", 540)
    assert say(show, newcomer, T0 + 540).outcome == Outcome.DELIVER  # exactly 600 s old
    assert refused(say(show, Person(VIEWER), T0)) == "account_too_new"  # age unknown
    assert refused(say(show, GUEST, T0)) == "registered_only"  # a guest has no account age


def test_staff_are_exempt_from_modes_but_not_from_sanctions() -> None:
    show = room(RoomModes(slow_mode_s=60, registered_only=True, min_account_age_s=600))
    young_mod = Person(MOD, account_created_at=T0)
    for at in (T0, T0 + 1):
        assert say(show, young_mod, at).outcome == Outcome.DELIVER
        assert say(show, HOST, at).outcome == Outcome.DELIVER
    show.mute(HOST, young_mod, T0 + 2)
    assert refused(say(show, young_mod, T0 + 3)) == "muted"


@pytest.mark.parametrize(
    "modes",
    [
        RoomModes(slow_mode_s=-1),
        RoomModes(slow_mode_s=moderation.MAX_SLOW_MODE_S + 1),
        RoomModes(slow_mode_s=True),
        RoomModes(slow_mode_s=1.5),  # type: ignore[arg-type]
        RoomModes(min_account_age_s=-5),
        RoomModes(min_account_age_s=moderation.MAX_ACCOUNT_AGE_S + 1),
        RoomModes(registered_only=1),  # type: ignore[arg-type]
    ],
)
def test_bad_modes(modes: RoomModes) -> None:
    with pytest.raises(ValidationError) as caught:
        room().set_modes(HOST, modes, T0)
    assert caught.value.code == "bad_mode"


def test_viewers_cannot_switch_modes() -> None:
    with pytest.raises(ModerationForbidden):
        room().set_modes(VIEWER, RoomModes(slow_mode_s=5), T0)


# -- word lists in the send decision --------------------------------------------------------------


def test_blocked_words_refuse_the_message() -> None:
    show = room()
    show.words.add("zorp", "en", "block")
    decision = say(show, VIEWER, T0, "what a Z0RP")
    assert (refused(decision), decision.retry_after_s) == ("blocked_word", None)


def test_masked_words_are_delivered_as_asterisks() -> None:
    show = room()
    show.words.add("zorp", "en", "mask")
    decision = say(show, VIEWER, T0, "what a z.o.r.p!")
    assert (decision.outcome, decision.text) == (Outcome.DELIVER, "what a *******!")


def test_block_beats_hold_beats_mask() -> None:
    show = room()
    show.words.add("zorp", "en", "mask")
    show.words.add("blarg", "en", "hold")
    show.words.add("frobnit", "en", "block")
    assert say(show, VIEWER, T0, "zorp blarg").outcome == Outcome.HOLD
    assert refused(say(show, VIEWER, T0, "zorp blarg frobnit")) == "blocked_word"


def test_platform_words_apply_to_every_stream_and_stream_words_to_theirs() -> None:
    platform = PlatformModeration()
    platform.words.add("zorp", "all", "block")
    show = room()
    show.words.add("blarg", "en", "block")
    assert refused(say(other_room(), VIEWER, T0, "zorp", platform)) == "blocked_word"
    assert say(other_room(), VIEWER, T0, "blarg", platform).outcome == Outcome.DELIVER
    assert refused(say(show, VIEWER, T0, "blarg", platform)) == "blocked_word"


def test_the_stream_language_picks_the_terms() -> None:
    show = StreamModeration(STREAM, 1, language="fr")
    show.words.add("zorp", "en", "block")
    show.words.add("blarg", "fr", "block")
    assert say(show, VIEWER, T0, "zorp").outcome == Outcome.DELIVER
    assert refused(say(show, VIEWER, T0, "blarg")) == "blocked_word"


def test_editing_word_lists_needs_the_right_staff_and_is_audited() -> None:
    show, platform = room(), PlatformModeration()
    entry = add_word(MOD, show, "Zorp", "en", "mask", T0)
    assert entry == AuditEntry(
        "u:2",
        Action.EDIT_WORDS,
        "Zorp",
        STREAM,
        T0,
        {"op": "add", "language": "en", "action": "mask"},
    )
    assert say(show, VIEWER, T0, "zorp").text == "****"
    entry = remove_word(HOST, show, "zorp", "en", T0 + 1)
    assert (entry.action, entry.detail) == (Action.EDIT_WORDS, {"op": "remove", "language": "en"})
    with pytest.raises(ModerationForbidden):
        add_word(VIEWER, show, "zorp", "en", "mask", T0)
    with pytest.raises(ModerationForbidden):
        add_word(HOST, platform, "zorp", "all", "block", T0)
    entry = add_word(PMOD, platform, "zorp", "all", "block", T0)
    assert (entry.action, entry.stream_id) == (Action.EDIT_PLATFORM_WORDS, None)
    remove_word(ADMIN, platform, "zorp", "all", T0)
    assert not platform.words.terms


# -- review queue ---------------------------------------------------------------------------------


def held_room() -> StreamModeration:
    show = room()
    show.words.add("blarg", "en", "hold")
    show.words.add("zorp", "en", "mask")
    return show


def test_held_messages_wait_for_a_moderator() -> None:
    show = held_room()
    decision = say(show, VIEWER, T0, "blarg zorp")
    assert decision.outcome == Outcome.HOLD
    assert decision.held is not None
    assert (decision.held.text, decision.held.terms) == ("blarg ****", ("blarg",))
    assert decision.audit == AuditEntry(
        SYSTEM,
        Action.REVIEW,
        "u:4",
        STREAM,
        T0,
        {"verdict": "held", "held_id": 1, "terms": ["blarg"]},
    )
    assert show.pending(T0) == [decision.held]
    held, entry = show.approve(MOD, 1, T0 + 5, PlatformModeration())
    assert held == decision.held
    assert entry == AuditEntry(
        "u:2", Action.REVIEW, "u:4", STREAM, T0 + 5, {"verdict": "approved", "held_id": 1}
    )
    assert show.pending(T0 + 5) == []


def test_rejecting_a_held_message() -> None:
    show = held_room()
    say(show, VIEWER, T0, "blarg")
    held, entry = show.reject(HOST, 1, T0 + 1)
    assert (held.sender, entry.detail["verdict"]) == ("u:4", "rejected")
    with pytest.raises(NotFound) as caught:
        show.approve(HOST, 1, T0 + 2, PlatformModeration())
    assert caught.value.code == "held_not_found"


def test_held_messages_expire() -> None:
    show = held_room()
    say(show, VIEWER, T0, "blarg")
    assert show.pending(T0 + HELD_TTL_S - 1)
    assert not show.pending(T0 + HELD_TTL_S)
    with pytest.raises(NotFound):
        show.approve(MOD, 1, T0 + HELD_TTL_S, PlatformModeration())


@pytest.mark.parametrize("sanction", ["ban", "mute", "shadow_ban", "platform_ban"])
def test_a_held_message_of_someone_sanctioned_since_cannot_be_approved(sanction: str) -> None:
    show, platform = held_room(), PlatformModeration()
    say(show, VIEWER, T0, "blarg")
    if sanction == "platform_ban":
        platform.ban(ADMIN, person(VIEWER), T0 + 1)
    elif sanction == "mute":
        show.mute(MOD, person(VIEWER), T0 + 1, duration_s=600)
    else:
        getattr(show, sanction)(MOD, person(VIEWER), T0 + 1)
    with pytest.raises(Conflict) as caught:
        show.approve(MOD, 1, T0 + 2, platform)
    assert caught.value.code == "sender_sanctioned"
    assert show.reject(MOD, 1, T0 + 3)[0].text == "blarg"  # still there to reject


def test_only_staff_review() -> None:
    show = held_room()
    say(show, VIEWER, T0, "blarg")
    with pytest.raises(ModerationForbidden):
        show.approve(SELLER, 1, T0, PlatformModeration())


def test_staff_messages_are_not_held() -> None:
    assert say(held_room(), MOD, T0, "blarg").outcome == Outcome.DELIVER


def test_held_messages_count_for_slow_mode() -> None:
    show = held_room()
    show.set_modes(MOD, RoomModes(slow_mode_s=30), T0)
    say(show, VIEWER, T0, "blarg")
    assert refused(say(show, VIEWER, T0 + 1)) == "slow_mode"


def test_a_full_queue_refuses_rather_than_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moderation, "MAX_HELD", 2)
    show = held_room()
    assert say(show, VIEWER, T0, "blarg").outcome == Outcome.HOLD
    assert say(show, SELLER, T0, "blarg").outcome == Outcome.HOLD
    assert refused(say(show, GUEST, T0, "blarg")) == "review_full"
    assert say(show, GUEST, T0 + HELD_TTL_S, "blarg").outcome == Outcome.HOLD  # old ones expired


# -- decisions as errors --------------------------------------------------------------------------


def test_a_refusal_raises_a_domain_error_with_its_code() -> None:
    show = room()
    show.mute(MOD, person(VIEWER), T0, 60)
    with pytest.raises(MessageRefused) as caught:
        say(show, VIEWER, T0 + 15).raise_if_refused()
    error = caught.value
    assert (error.code, error.status, error.retry_after_s) == ("muted", 403, 45)
    assert "45" in error.message
    say(show, SELLER, T0).raise_if_refused()  # a delivery does not raise


# -- deleting messages ----------------------------------------------------------------------------


def test_deleting_a_message_is_checked_and_audited() -> None:
    entry = room().delete_message(MOD, VIEWER, 77, T0)
    assert entry == AuditEntry("u:2", Action.DELETE_MESSAGE, "u:4", STREAM, T0, {"message_id": 77})
    with pytest.raises(ModerationForbidden):
        room().delete_message(MOD, HOST, 78, T0)
    with pytest.raises(ModerationForbidden):
        room().delete_message(VIEWER, GUEST, 79, T0)


def test_deleting_all_of_a_users_messages_is_checked_and_audited() -> None:
    entry = room().delete_user_messages(MOD, VIEWER, T0)
    assert entry == AuditEntry("u:2", Action.DELETE_MESSAGE, "u:4", STREAM, T0, {"all": True})
    with pytest.raises(ModerationForbidden):
        room().delete_user_messages(MOD, MOD2, T0)  # a peer
    with pytest.raises(ModerationForbidden):
        room().delete_user_messages(VIEWER, GUEST, T0)


def test_admission_lets_in_all_but_the_banned() -> None:
    show, platform = room(), PlatformModeration()
    assert moderation.admission(person(VIEWER), T0, show, platform) is None
    show.mute(MOD, person(VIEWER), T0, 60)
    assert moderation.admission(person(VIEWER), T0, show, platform) is None  # may watch
    show.ban(MOD, person(SELLER), T0)
    platform.ban(PMOD, person(VIEWER), T0, duration_s=100)
    banned = moderation.admission(person(VIEWER), T0 + 40, show, platform)
    assert banned is not None and (banned.code, banned.retry_after_s) == ("banned", 60)
    assert refused(moderation.admission(person(SELLER), T0, show, platform)) == "banned"
    assert moderation.admission(person(SELLER), T0, other_room(), platform) is None


def test_held_messages_keep_the_callers_meta_for_delivery() -> None:
    show = held_room()
    meta = {"question": True, "language": "en", "role": "viewer"}
    decision = decide(
        person(VIEWER), "blarg?", T0, room=show, platform=PlatformModeration(), meta=meta
    )
    assert decision.held is not None and decision.held.meta == meta
    again = StreamModeration.from_dict(json.loads(json.dumps(show.to_dict())))
    assert again.held[decision.held.id] == decision.held
    # State saved before meta existed still loads.
    old = show.to_dict()
    for held in old["held"]:
        del held["meta"]
    assert StreamModeration.from_dict(old).held[1].meta == {}


# -- every change is audited ----------------------------------------------------------------------


def test_every_change_by_a_person_returns_an_audit_entry() -> None:
    show, platform = held_room(), PlatformModeration()
    say(show, VIEWER, T0, "blarg")
    changes = [
        show.appoint(HOST, SELLER, T0),
        show.dismiss(HOST, SELLER, T0),
        show.mute(MOD, person(VIEWER), T0),
        show.unmute(MOD, person(VIEWER), T0),
        show.ban(MOD, person(VIEWER), T0),
        show.unban(MOD, person(VIEWER), T0),
        show.shadow_ban(MOD, person(VIEWER), T0),
        show.unshadow_ban(MOD, person(VIEWER), T0),
        show.set_modes(MOD, RoomModes(slow_mode_s=5), T0),
        show.delete_message(MOD, VIEWER, 1, T0),
        add_word(MOD, show, "frobnit", "en", "block", T0),
        remove_word(MOD, show, "frobnit", "en", T0),
        show.approve(MOD, 1, T0, PlatformModeration())[1],
        platform.ban(PMOD, person(VIEWER), T0),
        platform.unban(PMOD, person(VIEWER), T0),
        add_word(PMOD, platform, "frobnit", "all", "block", T0),
        remove_word(PMOD, platform, "frobnit", "all", T0),
    ]
    assert all(isinstance(entry, AuditEntry) and entry.at == T0 for entry in changes)
    assert [e.actor for e in changes[:13]] == ["u:1", "u:1"] + ["u:2"] * 11
    for entry in changes:
        data = json.loads(json.dumps(entry.to_dict()))
        assert AuditEntry.from_dict(data) == entry


# -- housekeeping and serialisation ---------------------------------------------------------------


def busy_room() -> tuple[StreamModeration, PlatformModeration]:
    show = StreamModeration(STREAM, 1, language="pl", moderators={2})
    show.set_modes(HOST, RoomModes(slow_mode_s=20, registered_only=False, min_account_age_s=60), T0)
    show.mute(MOD, person(SELLER), T0, 600, "caps")
    show.ban(MOD, person(GUEST, fingerprint="dev-1"), T0, "spam")
    show.shadow_ban(PMOD, person(OTHER_HOST), T0)
    show.words.add("blarg", "pl", "hold")
    show.words.add("zorp", "all", "mask")
    say(show, VIEWER, T0, "blarg i zorp")
    say(show, Principal("u:12", "Someone", Role.VIEWER, 12), T0 + 1, "hej")
    platform = PlatformModeration()
    platform.ban(ADMIN, person(PMOD2), T0, duration_s=3600, reason="test")
    platform.words.add("frobnit", "all", "block")
    return show, platform


def test_state_round_trips_through_json() -> None:
    show, platform = busy_room()
    show_data = json.loads(json.dumps(show.to_dict()))
    platform_data = json.loads(json.dumps(platform.to_dict()))
    show2 = StreamModeration.from_dict(show_data)
    platform2 = PlatformModeration.from_dict(platform_data)
    assert show2.to_dict() == show.to_dict()
    assert platform2.to_dict() == platform.to_dict()
    # ...and behaves the same.
    cases = [
        (person(SELLER), T0 + 30, "hi"),  # muted
        (person(Principal("g:x", "G", Role.VIEWER), fingerprint="dev-1"), T0 + 30, "hi"),  # banned
        (person(OTHER_HOST), T0 + 30, "hi"),  # shadow
        (person(VIEWER), T0 + 5, "hi"),  # slow mode
        (person(VIEWER), T0 + 30, "zorp"),  # masked
        (person(PMOD2), T0 + 30, "hi"),  # platform ban
        (Person(VIEWER, account_created_at=T0), T0 + 30, "hi"),  # too new
        (person(VIEWER), T0 + 30, "frobnit"),  # platform word
    ]
    for sender, at, text in cases:
        first = decide(sender, text, at, room=show, platform=platform)
        second = decide(sender, text, at, room=show2, platform=platform2)
        assert first == second
    assert show2.approve(MOD, 1, T0 + 2, PlatformModeration())[0].text == "blarg i ****"


def test_prune_forgets_only_what_has_ended() -> None:
    show, platform = busy_room()
    show.prune(T0 + 20)
    assert show.last_sent == {"u:12": T0 + 1}  # within the slow-mode period
    assert len(show.held) == 1
    show.prune(T0 + HELD_TTL_S)
    data = show.to_dict()
    assert [s["kind"] for s in data["sanctions"]] == ["ban", "shadow_ban"]  # the mute ended
    assert data["held"] == [] and data["last_sent"] == {}
    platform.prune(T0 + 3600)
    assert platform.to_dict()["sanctions"] == []


@given(
    st.floats(min_value=0.001, max_value=MAX_MUTE_S),
    st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_a_mute_refuses_everything_before_its_end_and_nothing_after(
    duration: float, fraction: float
) -> None:
    show = room()
    show.mute(MOD, person(VIEWER), T0, duration)
    until = T0 + duration
    during = T0 + duration * fraction
    if during < until:
        decision = say(show, VIEWER, during)
        assert refused(decision) == "muted"
        assert decision.retry_after_s == until - during
    assert say(show, VIEWER, until).outcome == Outcome.DELIVER


@given(
    st.integers(0, moderation.MAX_SLOW_MODE_S),
    st.booleans(),
    st.integers(0, moderation.MAX_ACCOUNT_AGE_S),
)
def test_any_valid_modes_round_trip(slow: int, registered: bool, age: int) -> None:
    show = room()
    show.set_modes(HOST, RoomModes(slow, registered, age), T0)
    again = StreamModeration.from_dict(json.loads(json.dumps(show.to_dict())))
    assert again.modes == RoomModes(slow, registered, age)


# -- purity ---------------------------------------------------------------------------------------


def test_the_rules_import_no_framework_database_or_media() -> None:
    code = (
        "import sys, chat.moderation, chat.word_filter\n"
        "bad = {'aiohttp', 'socketio', 'sqlalchemy', 'redis', 'aiortc', 'av', 'media'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
