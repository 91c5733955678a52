"""Following and notification rules: who is told, reminder times, backoff, signatures, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain import following, notifications
from server.core.domain.errors import Conflict, ValidationError

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
ids = st.integers(min_value=1, max_value=50)


@given(st.lists(ids), st.lists(ids), st.lists(st.sampled_from(["http://a", "http://b"])), ids)
def test_each_follower_is_told_once_and_never_the_host(followers, opted_out, hooks, host) -> None:
    told = following.fan_out(host, followers, opted_out, hooks)
    assert told.toasts == set(followers) - {host}
    assert told.emails == told.toasts - set(opted_out)
    assert host not in told.emails
    assert sorted(told.webhooks) == sorted(set(hooks))


def test_who_may_follow_whom() -> None:
    following.check_may_follow(1, 2, "host")
    with pytest.raises(ValidationError) as own:
        following.check_may_follow(2, 2, "host")
    assert own.value.code == "own_follow"
    with pytest.raises(ValidationError) as viewer:
        following.check_may_follow(1, 2, "viewer")
    assert viewer.value.code == "not_a_host"


def test_reminders_are_due_at_the_scheduled_time_within_the_grace() -> None:
    at = NOW + timedelta(minutes=5)
    assert following.check_may_remind("scheduled", at, NOW) == at
    for status, when in (("live", at), ("scheduled", None), ("scheduled", NOW)):
        with pytest.raises(Conflict):
            following.check_may_remind(status, when, NOW)
    assert not following.reminder_due(at, "scheduled", NOW)
    assert following.reminder_due(at, "scheduled", at)
    assert following.reminder_due(at, "live", at + timedelta(minutes=59))
    assert not following.reminder_due(at, "scheduled", at + following.REMINDER_GRACE)
    assert not following.reminder_due(at, "ended", at)


@given(st.integers(min_value=1, max_value=notifications.MAX_ATTEMPTS - 1))
def test_backoff_doubles_up_to_its_cap_then_gives_up(attempts) -> None:
    wait = notifications.backoff_s(attempts)
    assert wait is not None and 0 < wait <= notifications.BACKOFF_MAX_S
    following_wait = notifications.backoff_s(attempts + 1)
    assert following_wait is None or following_wait >= wait
    assert notifications.backoff_s(notifications.MAX_ATTEMPTS) is None


@given(st.binary(max_size=200), st.integers(min_value=1_600_000_000, max_value=2_000_000_000))
def test_a_webhook_signature_verifies_only_its_own_body(body, t) -> None:
    header = notifications.webhook_signature("s" * 20, t, body)
    assert notifications.webhook_signature_ok("s" * 20, header, body, t + 10)
    assert not notifications.webhook_signature_ok("s" * 20, header, body + b"x", t)
    assert not notifications.webhook_signature_ok("t" * 20, header, body, t)
    assert not notifications.webhook_signature_ok("s" * 20, header, body, t + 301)  # too old
    assert not notifications.webhook_signature_ok("s" * 20, "garbage", body, t)


@given(st.integers(min_value=1, max_value=2**31 - 1))
def test_unsubscribe_tokens_name_their_account_and_cannot_be_forged(user_id) -> None:
    key = b"k" * 32
    token = notifications.unsubscribe_token(key, user_id)
    assert notifications.read_unsubscribe_token(key, token) == user_id
    other = f"{user_id + 1}.{token.split('.')[1]}"
    for bad in (
        other,
        token + "0",
        "x.y",
        None,
        "",
        notifications.unsubscribe_token(b"j", user_id),
    ):
        with pytest.raises(ValidationError):
            notifications.read_unsubscribe_token(key, bad)


def test_the_configuration_names_what_is_wrong() -> None:
    config = notifications.NotificationsConfig
    assert config().problem() is None
    assert "SMTP_URL" in (config(smtp_url="http://x").problem() or "")
    assert "WEBHOOK_SECRET" in (config(webhook_urls=("http://x",)).problem() or "")
    assert "WEBHOOK_URLS" in (
        config(webhook_urls=("ftp://x",), webhook_secret="s" * 20).problem() or ""
    )
    assert "RESET_TTL" in (config(reset_ttl_s=5).problem() or "")
