"""The world the security suite knocks in, built through the public API as tests/factory.py
does: two shops, two shows, and one person (or none) for every role of the matrix.

"This show" is `show`: seller's products, host's show, stream_mod appointed there by host.
The other_* people hold the same roles in `other_show`. The viewer is the buyer of `order`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt

from server.edge.config import Config
from server.edge.http.context import SERVICES
from tests import factory
from tests.conftest import Backend, Running, config_for

# Every role of the matrix, in the order of its columns (docs/security.md says who each is).
ROLES = (
    "none",
    "forged",
    "guest",
    "viewer",
    "host",
    "other_host",
    "stream_mod",
    "other_stream_mod",
    "platform_mod",
    "seller",
    "other_seller",
    "coach",
    "admin",
)

# A product with variants, so the variant door has a sku to name.
VARIANT_SKU = "TEE-S"
TEE = {
    "title": "T-shirt",
    "description": "Cotton.",
    "price_minor": 1999,
    "currency": "EUR",
    "options": [{"name": "size", "values": ["S", "M"]}],
    "variants": [
        {"sku": VARIANT_SKU, "options": {"size": "S"}, "stock": 1000},
        {"sku": "TEE-M", "options": {"size": "M"}, "stock": 1000},
    ],
}


def config(backend: Backend) -> Config:
    """The test config with the chat's flood limits out of the way: the chatter says one line
    per knock, and the limits are not what the matrix is about."""
    base = config_for(backend)
    return replace(base, chat=replace(base.chat, rate_burst=10_000))


@dataclass
class World:
    run: Running
    tmp: Path
    tokens: dict[str, str | None] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)
    show: int = 0
    stream_key: str = ""
    other_show: int = 0
    products: list[int] = field(default_factory=list)  # the seller's, in the show's line-up
    variant_product: int = 0
    other_product: int = 0  # the other seller's, in the other show's line-up
    recording: int = 0
    chatter: str = ""  # the subject of a viewer whose socket says things to moderate
    chatter_socket: Any = None
    review: int = 0  # a coach's review of this show, on a real recording, with a clip
    review_clip: int = 0
    review_comment: int = 0

    async def call(self, method: str, path: str, role: str, **kw: Any) -> Any:
        return await self.run.call(method, path, self.tokens[role], **kw)

    async def ok(self, method: str, path: str, role: str, **kw: Any) -> Any:
        status, body = await self.call(method, path, role, **kw)
        assert 200 <= status < 300, (method, path, role, status, body)
        return body

    # -- fresh things for doors whose allowed answer changes what it touches --------------------

    async def order(self, state: str = "reserved") -> int:
        """A new order of the viewer's in this show: reserved, or paid."""
        body = {"product_id": self.products[0], "quantity": 1, "idempotency_key": key()}
        order = await self.ok("POST", f"/api/streams/{self.show}/orders", "viewer", json=body)
        if state == "paid":
            await self.ok("POST", f"/api/orders/{order['id']}/pay", "viewer")
        return int(order["id"])

    async def fresh_show(self) -> int:
        """A new show of the host's with the seller's products, with stream_mod appointed."""
        body = {"title": "Another", "product_ids": self.products}
        created = await self.ok("POST", "/api/streams", "host", json=body)
        await factory.go_live(self.run, created["id"])
        await self.appoint(created["id"], "host", self.subjects["stream_mod"])
        return int(created["id"])

    async def deal(self, stream_id: int | None = None) -> int:
        """A running flash deal on a line-up product of this show (or of `stream_id`)."""
        stream_id = stream_id or self.show
        product = self.products[1]
        running = await self.ok("GET", f"/api/streams/{stream_id}/deals", "none")
        for found in running["deals"]:
            if found["product_id"] == product:
                await self.ok("POST", f"/api/deals/{found['id']}/end", "admin")
        body = {"product_id": product, "price_minor": 999, "duration_s": 600, "quantity": 10}
        started = await self.ok("POST", f"/api/streams/{stream_id}/deals", "admin", json=body)
        return int(started["deal"]["id"])

    async def end_deals(self, stream_id: int) -> None:
        running = await self.ok("GET", f"/api/streams/{stream_id}/deals", "none")
        for found in running["deals"]:
            await self.ok("POST", f"/api/deals/{found['id']}/end", "admin")

    async def say(self, text: str, question: bool = False) -> int:
        """A chat line of the chatter's in this show: its id."""
        payload = {"text": text, "question": question}
        ack = await self.chatter_socket.call("send_message", payload, timeout=10)
        assert ack["ok"] and "message" in ack, ack
        return int(ack["message"]["id"])

    async def held(self) -> int:
        """A chat line of the chatter's held for review (its word is on the show's hold list)."""
        ack = await self.chatter_socket.call("send_message", {"text": "zorp?"}, timeout=10)
        assert ack["ok"] and ack.get("held"), ack
        return int(ack["held_id"])

    async def victim(self) -> str:
        """A new viewer account for a moderation action to fall on: its subject."""
        token = await factory.account(self.run, name="Victim")
        return await subject(self.run, token)

    async def appoint(self, stream_id: int, host: str, target: str) -> None:
        await self.as_staff(host, "appoint_moderator", {"target": target}, stream_id)

    async def as_staff(self, role: str, event: str, payload: Any, stream_id: int = 0) -> Any:
        """Send one event from a socket of `role` joined to this show (or `stream_id`)."""
        client = await self.run.sio(self.tokens[role])
        try:
            joining = {"stream_id": stream_id or self.show}
            assert (await client.call("join", joining, timeout=10))["ok"]
            ack = await client.call(event, payload, timeout=10)
            assert ack["ok"], (role, event, ack)
            return ack
        finally:
            await client.disconnect()


def key() -> str:
    return secrets.token_hex(8)


async def subject(run: Running, token: str) -> str:
    status, me = await run.call("GET", "/api/me", token)
    assert status == 200, me
    return str(me["subject"])


async def build(run: Running, tmp: Path) -> World:
    world = World(run, tmp)
    shop = await factory.show(run, stocks=(1000, 1000))
    other = await factory.show(run, stocks=(1000,))
    tokens = world.tokens
    tokens.update(
        none=None,
        forged=jwt.encode({"sub": "u:1", "role": "admin"}, "x" * 48, algorithm="HS256"),
        viewer=shop.viewer,
        host=shop.host,
        other_host=other.host,
        stream_mod=await factory.account(run, name="Stream Mod"),
        other_stream_mod=await factory.account(run, name="Other Mod"),
        platform_mod=shop.moderator,
        seller=shop.seller,
        other_seller=other.seller,
        admin=await factory.admin_token(run),
    )
    tokens["coach"] = await factory.account(run, "coach", name="Coach", admin=tokens["admin"])
    status, body = await run.call("POST", "/api/auth/guest", json={"display_name": "Guest"})
    assert status == 200, body
    tokens["guest"] = body["token"]
    for role, token in tokens.items():
        if token is not None and role != "forged":
            world.subjects[role] = await subject(run, token)
    world.show, world.stream_key, world.other_show = (
        shop.stream_id,
        shop.stream_key,
        other.stream_id,
    )
    world.products, world.other_product = shop.product_ids, other.product_ids[0]
    tee = await world.ok("POST", "/api/products", "seller", json=TEE)
    world.variant_product = tee["id"]
    for stream_id in (shop.stream_id, other.stream_id):
        await factory.go_live(run, stream_id)
    await world.appoint(world.show, "host", world.subjects["stream_mod"])
    await world.appoint(world.other_show, "other_host", world.subjects["other_stream_mod"])
    world.recording = await _recording(world)
    await _review(world)
    await factory_login_account(run)
    await _chatter(world)
    return world


async def factory_login_account(run: Running) -> None:
    """The account the sign-in door signs in to."""
    body = {
        "email": "login@example.test",
        "password": "correct horse",
        "display_name": "Login",
        "role": "viewer",
    }
    status, answer = await run.call("POST", "/api/accounts", json=body)
    assert status == 201, answer


async def _chatter(world: World) -> None:
    """A viewer in the show's chat; the show's list holds "zorp" for review."""
    token = await factory.account(world.run, name="Chatter")
    world.chatter = await subject(world.run, token)
    world.chatter_socket = await world.run.sio(token)
    ack = await world.chatter_socket.call("join", {"stream_id": world.show}, timeout=10)
    assert ack["ok"], ack
    await world.as_staff("host", "add_word", {"term": "zorp", "action": "hold"})


async def _recording(world: World) -> int:
    """A finished recording of this show, stored the way the media service stores one."""
    path = world.tmp / "show.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(60))
    now = datetime.now(UTC)
    recording = await world.run.app[SERVICES].recordings.store(
        world.show,
        path=str(path),
        container="webm",
        status="complete",
        started_at=now,
        ended_at=now,
        duration_ms=1000,
        size_bytes=64,
    )
    return int(recording.id)


async def _review(world: World) -> None:
    """A coach's review of this show on a real recording, with a clip and a timed comment."""
    from tests.server.edge.test_reviews import recorded

    await recorded(world.run, world.show, world.tmp / "reviewed", seconds=2)
    review = await world.ok("POST", f"/api/streams/{world.show}/reviews", "coach")
    world.review = int(review["id"])
    clip = {"start_ms": 0, "end_ms": 1000, "title": "Opening"}
    found = await world.ok("POST", f"/api/reviews/{world.review}/clips", "coach", json=clip)
    world.review_clip = int(found["id"])
    comment = {"offset_ms": 500, "category": "energy", "body": "Great start"}
    found = await world.ok("POST", f"/api/reviews/{world.review}/comments", "coach", json=comment)
    world.review_comment = int(found["id"])
