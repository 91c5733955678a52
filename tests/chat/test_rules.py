import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.rules import RateLimiter, TokenBucket, clean_message
from server.core.domain.errors import RateLimited, ValidationError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_messages_are_trimmed_and_control_characters_folded() -> None:
    assert clean_message("  hi\nthere\x00 ", max_chars=50) == "hi there"


@pytest.mark.parametrize(
    ("text", "code"), [("", "empty"), ("   \n", "empty"), ("x" * 51, "too_long")]
)
def test_bad_messages(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_message(text, max_chars=50)
    assert caught.value.code == code


def test_non_text_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        clean_message({"html": "<b>"}, max_chars=50)
    assert caught.value.code == "bad_payload"


@given(st.text(max_size=80))
def test_clean_never_returns_control_characters(text: str) -> None:
    try:
        cleaned = clean_message(text, max_chars=80)
    except ValidationError:
        return
    assert cleaned and all(ord(c) >= 32 and c != "\x7f" for c in cleaned if c.isascii())


def test_bucket_allows_a_burst_then_one_per_refill() -> None:
    clock = Clock()
    bucket = TokenBucket(burst=3, refill_s=1.0, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == pytest.approx(1.0)
    clock.now = 0.5
    assert bucket.take() == pytest.approx(0.5)
    clock.now = 1.0
    assert bucket.take() == 0


def test_limiter_is_per_sender() -> None:
    clock = Clock()
    limiter = RateLimiter(burst=1, refill_s=10, clock=clock)
    limiter.check("u:1")
    limiter.check("u:2")
    with pytest.raises(RateLimited):
        limiter.check("u:1")
