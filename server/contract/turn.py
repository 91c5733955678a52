"""What GET /api/ice-servers answers (docs/protocol.md "TURN")."""

from __future__ import annotations

from server.contract.answers import Answer


class IceServer(Answer):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class IceServers(Answer):
    """The servers a page hands `RTCPeerConnection({iceServers})`; `expires_at` (Unix
    seconds): when the TURN credential stops working, None without TURN."""

    ice_servers: list[IceServer]
    expires_at: int | None = None
