"""Shared WebRTC plumbing for publisher and viewer sessions: answering an offer safely."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError

from media.exceptions import InvalidOffer, UnsupportedCodec

logger = logging.getLogger(__name__)

# aiortc's "Failed to set remote … description send parameters": no codec in common.
NO_COMMON_CODEC = "send parameters"


def new_session_id() -> str:
    return secrets.token_urlsafe(16)


def new_peer(ice_servers: tuple[str, ...]) -> RTCPeerConnection:
    servers = [RTCIceServer(urls=url) for url in ice_servers]
    return RTCPeerConnection(RTCConfiguration(iceServers=servers or None))


async def answer(
    pc: RTCPeerConnection, offer_sdp: str, before_answer: Callable[[], None] | None = None
) -> str:
    """Apply the offer and return the complete answer (ICE gathered: WHIP/WHEP do not trickle).

    The offer was checked by media.sdp.offered_kinds. Any refusal closes the peer and raises
    InvalidOffer or UnsupportedCodec, never another error.
    """
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        if before_answer is not None:
            before_answer()
        await pc.setLocalDescription(await pc.createAnswer())
    except OperationError as exc:
        await pc.close()
        if NO_COMMON_CODEC in str(exc):
            raise UnsupportedCodec(
                f"no codec in the offer that the relay can carry: {exc}"
            ) from None
        raise InvalidOffer(f"the offer cannot be answered: {exc}") from None
    except (
        ValueError,
        AttributeError,
        KeyError,
        IndexError,
        TypeError,
        InternalError,
        InvalidAccessError,
        InvalidStateError,
    ) as exc:
        await pc.close()
        raise InvalidOffer(f"the offer cannot be answered: {exc}") from None
    return pc.localDescription.sdp


def watch_connection(
    pc: RTCPeerConnection,
    on_gone: Callable[[], None],
    on_connected: Callable[[], None] | None = None,
    connect_timeout_s: float | None = None,
) -> None:
    """Call `on_connected` when ICE and DTLS are up, and `on_gone` once when the connection
    fails or closes, or has not connected within `connect_timeout_s` (a client that posted an
    offer and vanished would otherwise hold its session: aiortc keeps waiting for candidates).
    """
    done = False

    def gone() -> None:
        nonlocal done
        if not done:
            done = True
            on_gone()

    @pc.on("connectionstatechange")
    def changed() -> None:
        if pc.connectionState == "connected" and on_connected is not None and not done:
            on_connected()
        elif pc.connectionState in ("failed", "closed"):
            gone()

    if connect_timeout_s is not None:

        def check() -> None:
            if pc.connectionState != "connected":
                gone()

        asyncio.get_running_loop().call_later(connect_timeout_s, check)
