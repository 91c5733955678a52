"""A guest's device/IP fingerprint: what lets a guest ban outlast a new guest name.

Guests get a new subject each time they take a guest token, so a guest sanction is also keyed
by a fingerprint (chat/moderation.py `Person`). It is an HMAC of the client's address and an
optional device id the client keeps (say, in local storage), under a key derived from the
server secret: stable per device and address, meaningless elsewhere, and no raw address is
ever stored or sent. Accounts are never fingerprinted.

The address is the TCP peer's. `X-Forwarded-For` is read only when the deployment says how
many proxies of its own sit in front (`trusted_proxy_hops`): then the address is the entry that
many from the right, the one our outermost proxy appended. Entries further left are whatever
the client sent, so trusting them would let a banned guest pick a new "address" per request,
or frame someone else's.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

MAX_DEVICE_CHARS = 128


def fingerprint_key(secret: str) -> bytes:
    """A key for fingerprints only, so they reveal nothing about the token-signing secret."""
    return hmac.new(secret.encode(), b"shopcast guest fingerprint", hashlib.sha256).digest()


def client_address(environ: Mapping[str, Any], trusted_proxy_hops: int) -> str:
    """The client's address, as far as this deployment can know it."""
    request = environ.get("aiohttp.request")
    peer = getattr(request, "remote", None) or environ.get("REMOTE_ADDR") or ""
    if trusted_proxy_hops <= 0:
        return str(peer)
    forwarded = [a.strip() for a in str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < trusted_proxy_hops:
        return str(peer)  # not through our proxies: the peer is the client
    return forwarded[-trusted_proxy_hops]


def fingerprint(key: bytes, address: str, device: object) -> str:
    """The fingerprint of a guest at `address` with an optional device id (anything else but
    a short string is ignored)."""
    device_id = device if isinstance(device, str) and len(device) <= MAX_DEVICE_CHARS else ""
    message = f"{address}\n{device_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
