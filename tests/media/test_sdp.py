"""Offers the relay refuses: always an InvalidOffer or UnsupportedCodec, never aiortc's errors."""

import random

import pytest

from media.exceptions import InvalidOffer, UnsupportedCodec
from media.sdp import host_sections, viewer_sections
from media.service import MediaConfig, MediaService
from tests import peers


@pytest.fixture
async def offer() -> str:
    pc, sdp = await peers.publisher_offer("h264")
    await pc.close()
    return sdp


async def test_sections_by_role(offer) -> None:
    assert host_sections(offer) == {"video": True, "audio": True}
    with pytest.raises(InvalidOffer, match="does not receive"):
        viewer_sections(offer)  # a host's sendonly offer cannot watch
    recv = offer.replace("a=sendonly", "a=recvonly")
    assert viewer_sections(recv) == {"video": True, "audio": True}
    with pytest.raises(InvalidOffer, match="does not send"):
        host_sections(recv)
    partly = offer.replace("a=sendonly", "a=inactive", 1)
    assert host_sections(partly) == {"video": False, "audio": True}


async def test_a_second_section_of_a_kind_is_refused(offer) -> None:
    video = offer[offer.index("m=video") : offer.index("m=audio")].replace("a=mid:0", "a=mid:2")
    with pytest.raises(InvalidOffer, match="more than one video"):
        host_sections(offer + video)


@pytest.mark.parametrize(
    "text",
    ["", "garbage", "v=0", "v=0\r\nm=video x y z\r\n", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"],
)
def test_garbage_is_an_invalid_offer(text) -> None:
    with pytest.raises(InvalidOffer):
        host_sections(text)


def mutations(offer: str, count: int, seed: int = 7) -> list[str]:
    """Deterministic damage: dropped, truncated, garbled and duplicated lines."""
    rng = random.Random(seed)
    lines = offer.splitlines()
    out = []
    for _ in range(count):
        damaged = list(lines)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(damaged))
            action = rng.choice(["drop", "truncate", "garble", "duplicate"])
            if action == "drop":
                del damaged[i]
            elif action == "truncate":
                damaged[i] = damaged[i][: rng.randrange(len(damaged[i]) + 1)]
            elif action == "garble":
                chars = list(damaged[i])
                for _ in range(3):
                    chars[rng.randrange(len(chars))] = rng.choice("x:/ =-9\x00")
                damaged[i] = "".join(chars)
            else:
                damaged.insert(i, damaged[i])
        out.append("\r\n".join(damaged) + "\r\n")
    return out


async def test_damaged_offers_are_answered_or_refused_cleanly(offer) -> None:
    media = MediaService(MediaConfig())
    outcomes = {"answered": 0, "refused": 0}
    for n, damaged in enumerate(mutations(offer, 60)):
        try:
            session = await media.publish(str(n), damaged)
        except (InvalidOffer, UnsupportedCodec):
            outcomes["refused"] += 1
        else:
            outcomes["answered"] += 1
            await media.unpublish(str(n), session.session_id)
    assert outcomes["refused"] > 0
    await media.close()
