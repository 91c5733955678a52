"""How the matrix knocks on each door: for every HTTP route and Socket.IO event, the request a
role sends (a valid one, so that "allowed" means the work is done, not a 400).

Doors whose allowed answer changes what it touches (end a show, pay an order, ban someone)
get fresh things from the world for every knock, so each role meets the same starting point.
A door id is "METHOD /canonical/path" or a Socket.IO event name; a variant of a door adds a
word after it ("POST /api/accounts role=moderator", "audit_log platform").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from server.edge.http.context import SERVICES
from tests.security.world import VARIANT_SKU, World, key

BAD_SDP = b"v=0\r\nthis is not an offer\r\n"
SDP = {"Content-Type": "application/sdp"}


@dataclass
class Request:
    path: str
    json: Any = None
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    own_token: bool = True  # False: send `token` instead of the role's (WHIP's stream key)
    token: str | None = None


Knock = Callable[[World, str], Awaitable[Request]]
Emit = Callable[[World, str], Awaitable[Any]]
HTTP: dict[str, Knock] = {}
EVENTS: dict[str, Emit] = {}


def http(*doors: str) -> Callable[[Knock], Knock]:
    def register(knock: Knock) -> Knock:
        for door in doors:
            HTTP[door] = knock
        return knock

    return register


def event(*doors: str) -> Callable[[Emit], Emit]:
    def register(emit: Emit) -> Emit:
        for door in doors:
            EVENTS[door] = emit
        return emit

    return register


def fixed(door: str, path: str, **kw: Any) -> None:
    """A door knocked on the same way by everyone."""

    async def knock(world: World, role: str) -> Request:
        return Request(path.format(show=world.show), **kw)

    HTTP[door] = knock


# -- accounts -------------------------------------------------------------------------------


@http("POST /api/accounts")
async def _register(world: World, role: str) -> Request:
    return Request("/api/accounts", json=_account("viewer"))


@http("POST /api/accounts role=moderator")
async def _register_moderator(world: World, role: str) -> Request:
    """Asking for a role nobody may give themselves: only an admin's token grants it."""
    return Request("/api/accounts", json=_account("moderator"))


def _account(role: str) -> dict[str, str]:
    return {
        "email": f"m{key()}@example.test",
        "password": "correct horse",
        "display_name": "Newcomer",
        "role": role,
    }


fixed(
    "POST /api/auth/login",
    "/api/auth/login",
    json={"email": "login@example.test", "password": "correct horse"},
)
fixed("POST /api/auth/guest", "/api/auth/guest", json={"display_name": "Passer-by"})
fixed("POST /api/auth/logout", "/api/auth/logout")


@http("PATCH /api/accounts/{id}")
async def _change_account(world: World, role: str) -> Request:
    """Someone else's account: a new viewer's, made a seller."""
    victim = (await world.victim()).removeprefix("u:")
    return Request(f"/api/accounts/{victim}", json={"role": "seller"})


@http("PATCH /api/accounts/{id} self=admin")
async def _promote_self(world: World, role: str) -> Request:
    """One's own account, made an admin's (a guest names the first account)."""
    own = world.subjects.get(role, "u:1").partition(":")[2]
    return Request(f"/api/accounts/{own if own.isdigit() else 1}", json={"role": "admin"})


fixed("GET /api/me", "/api/me")

# -- shops and products ---------------------------------------------------------------------

fixed("POST /api/sellers", "/api/sellers", json={"name": "Second shop", "country": "PL"})
fixed("GET /api/sellers/me", "/api/sellers/me")
fixed("PATCH /api/sellers/me", "/api/sellers/me", json={"name": "Shop"})
fixed("GET /api/products", "/api/products")
fixed(
    "POST /api/products",
    "/api/products",
    json={"title": "Mug", "price_minor": 900, "currency": "EUR", "stock": 5},
)


@http("GET /api/products/{id}")
async def _product(world: World, role: str) -> Request:
    return Request(f"/api/products/{world.products[0]}")


@http("PATCH /api/products/{id}")
async def _edit_product(world: World, role: str) -> Request:
    return Request(f"/api/products/{world.products[0]}", json={"title": "Product 0"})


@http("PATCH /api/products/{id}/variants/{sku}")
async def _edit_variant(world: World, role: str) -> Request:
    path = f"/api/products/{world.variant_product}/variants/{VARIANT_SKU}"
    return Request(path, json={"stock": 1000})


# -- streams --------------------------------------------------------------------------------

fixed("GET /api/streams", "/api/streams")
fixed("POST /api/streams", "/api/streams", json={"title": "My show"})
fixed("GET /api/streams/{id}", "/api/streams/{show}")
fixed("GET /api/streams/{id}/key", "/api/streams/{show}/key")


@http("PUT /api/streams/{id}/lineup")
async def _lineup(world: World, role: str) -> Request:
    return Request(f"/api/streams/{world.show}/lineup", json={"product_ids": world.products})


@http("POST /api/streams/{id}/end")
async def _end(world: World, role: str) -> Request:
    return Request(f"/api/streams/{await world.fresh_show()}/end")


# -- buying ---------------------------------------------------------------------------------


@http("POST /api/streams/{id}/orders")
async def _buy(world: World, role: str) -> Request:
    return Request(
        f"/api/streams/{world.show}/orders", json=_item(world) | {"idempotency_key": key()}
    )


def _item(world: World) -> dict[str, Any]:
    return {"product_id": world.products[0], "quantity": 1}


fixed("GET /api/streams/{id}/cart", "/api/streams/{show}/cart")


@http("PUT /api/streams/{id}/cart/items")
async def _cart_item(world: World, role: str) -> Request:
    return Request(f"/api/streams/{world.show}/cart/items", json=_item(world))


@http("POST /api/streams/{id}/cart/checkout")
async def _checkout(world: World, role: str) -> Request:
    """With one item in the role's cart first (where the role may have a cart)."""
    await world.call("PUT", f"/api/streams/{world.show}/cart/items", role, json=_item(world))
    return Request(f"/api/streams/{world.show}/cart/checkout", json={"idempotency_key": key()})


fixed("GET /api/orders", "/api/orders")


@http("GET /api/orders/{id}")
async def _order(world: World, role: str) -> Request:
    return Request(f"/api/orders/{await world.order()}")


def _step(step: str, state: str) -> None:
    async def knock(world: World, role: str) -> Request:
        return Request(f"/api/orders/{await world.order(state)}/{step}")

    HTTP[f"POST /api/orders/{{id}}/{step}"] = knock


_step("pay", "reserved")
_step("cancel", "reserved")
_step("refund", "paid")
_step("fulfil", "paid")
fixed("GET /api/seller/orders", "/api/seller/orders")


@http("POST /api/streams/{id}/deals")
async def _start_deal(world: World, role: str) -> Request:
    await world.end_deals(world.show)
    return Request(f"/api/streams/{world.show}/deals", json=_deal(world))


def _deal(world: World) -> dict[str, Any]:
    return {"product_id": world.products[1], "price_minor": 999, "duration_s": 600, "quantity": 10}


fixed("GET /api/streams/{id}/deals", "/api/streams/{show}/deals")


@http("POST /api/deals/{id}/end")
async def _end_deal(world: World, role: str) -> Request:
    return Request(f"/api/deals/{await world.deal()}/end")


fixed("GET /api/payments/config", "/api/payments/config")
fixed("POST /api/payments/{gateway}/webhook", "/api/payments/test/webhook", data=b"{}")


@http("POST /api/coupons")
async def _coupon(world: World, role: str) -> Request:
    """A coupon for this show: its host's (or an admin's) to give."""
    body = {"code": f"C{key()}".upper(), "percent_bp": 1000, "stream_id": world.show}
    return Request("/api/coupons", json=body)


@http("POST /api/coupons scope=platform")
async def _platform_coupon(world: World, role: str) -> Request:
    body = {"code": f"P{key()}".upper(), "percent_bp": 500, "scope": "platform"}
    return Request("/api/coupons", json=body)


fixed("GET /api/coupons", "/api/coupons")
fixed("GET /api/ledger", "/api/ledger")
fixed("GET /api/ledger as=admin", "/api/ledger?as=admin")


@http("GET /api/ledger host_id=host")
async def _host_ledger(world: World, role: str) -> Request:
    """This show's host's commission, asked for by id."""
    return Request(f"/api/ledger?host_id={world.subjects['host'].removeprefix('u:')}")


# -- media ----------------------------------------------------------------------------------

for _kind in ("whip", "whep"):
    fixed(f"OPTIONS /{_kind}/{{id}}", f"/{_kind}/{{show}}")
    fixed(f"OPTIONS /{_kind}/{{id}}/{{session}}", f"/{_kind}/{{show}}/nosuchsession")
fixed("POST /whep/{id}", "/whep/{show}", data=BAD_SDP, headers=SDP)
fixed("DELETE /whep/{id}/{session}", "/whep/{show}/nosuchsession")
fixed(
    "POST /whep/{id}/{session}/view",
    "/whep/{show}/nosuchsession/view",
    data=b'{"player_height": 360}',
    headers={"Content-Type": "application/json"},
)
fixed("GET /hls/{id}/playlist.m3u8", "/hls/{show}/playlist.m3u8")
fixed("GET /hls/{id}/{run}/{name}", "/hls/{show}/0123456789ab/0.0.m4s")


@http("POST /whip/{id}")
async def _publish(world: World, role: str) -> Request:
    """A host publishes with the show's stream key (OBS has no account); the rest with their
    own token. Past the key, the offer is refused (400 bad_sdp): authorization held."""
    return Request(f"/whip/{world.show}", data=BAD_SDP, headers=SDP, **_whip_key(world, role))


@http("DELETE /whip/{id}/{session}")
async def _unpublish(world: World, role: str) -> Request:
    path = f"/whip/{world.show}/nosuchsession"
    return Request(path, **_whip_key(world, role))


def _whip_key(world: World, role: str) -> dict[str, Any]:
    return {"own_token": role != "host", "token": world.stream_key}


# -- recordings, operations, pages ----------------------------------------------------------

fixed("GET /api/streams/{id}/recordings", "/api/streams/{show}/recordings")


@http("GET /api/recordings/{id}/file")
async def _recording(world: World, role: str) -> Request:
    return Request(f"/api/recordings/{world.recording}/file")


# -- show reports (this show is live: its report is computed as it runs) --------------------

fixed("GET /api/streams/{id}/report", "/api/streams/{show}/report")
fixed("GET /api/streams/{id}/report.csv", "/api/streams/{show}/report.csv")
fixed("GET /api/streams/{id}/report.svg", "/api/streams/{show}/report.svg?chart=funnel")


# -- replays (this show is live: no replay yet, and a genuinely signed link finds none) -----

fixed("GET /api/streams/{id}/replay", "/api/streams/{show}/replay")
fixed("GET /api/streams/{id}/replay/chat", "/api/streams/{show}/replay/chat")
fixed("GET /api/replays", "/api/replays")


@http("PATCH /api/streams/{id}/replay")
async def _replay_setting(world: World, role: str) -> Request:
    return Request(f"/api/streams/{world.show}/replay", json={"replay": "on"})


@http("GET /api/streams/{id}/replay/media")
async def _replay_media(world: World, role: str) -> Request:
    from server.core.domain import replays
    from server.edge.http.replays import media_key

    expires = 4_000_000_000  # far ahead: the link is genuine, the show has not ended
    link = replays.MediaLink(world.show, world.recording, expires, replays.Audience.PUBLIC)
    signature = replays.sign(media_key(world.run.app), link)
    query = f"recording={world.recording}&expires={expires}&audience=public&signature={signature}"
    return Request(f"/api/streams/{world.show}/replay/media?{query}")


fixed("GET /healthz", "/healthz")
fixed("GET /metrics", "/metrics")
fixed("GET /api/openapi.json", "/api/openapi.json")
fixed("GET /", "/")
fixed("GET /seller", "/seller")
fixed("GET /offers", "/offers")
for _page in ("studio", "watch", "moderate"):
    fixed(f"GET /{_page}/{{id}}", f"/{_page}/{{show}}")
fixed("GET /report/{id}", "/report/{show}")
fixed("GET /static", "/static/js/i18n.js")
for _vendor in ("socket.io.esm.min.js", "socket.io.esm.min.js.map"):
    fixed(f"GET /static/vendor/{_vendor}", f"/static/vendor/{_vendor}")

# -- TURN and the staff console ------------------------------------------------------------

fixed("GET /api/ice-servers", "/api/ice-servers")
fixed("GET /staff", "/staff")
for _door, _path in (
    ("GET /api/staff/users", "/api/staff/users?q=example"),
    ("GET /api/staff/shows", "/api/staff/shows"),
    ("GET /api/staff/coupons", "/api/staff/coupons"),
    ("GET /api/staff/audit", "/api/staff/audit"),
    ("GET /api/staff/health", "/api/staff/health"),
):
    fixed(_door, _path)


@http("PATCH /api/staff/users/{id}")
async def _staff_role(world: World, role: str) -> Request:
    """Someone else's account: a new viewer's, appointed a coach."""
    victim = (await world.victim()).removeprefix("u:")
    return Request(f"/api/staff/users/{victim}", json={"role": "coach"})


@http("POST /api/staff/shows/{id}/end")
async def _staff_end(world: World, role: str) -> Request:
    return Request(f"/api/staff/shows/{await world.fresh_show()}/end")


@http("POST /api/staff/shows/{id}/take-down")
async def _staff_take_down(world: World, role: str) -> Request:
    return Request(f"/api/staff/shows/{await world.fresh_show()}/take-down", json={"down": True})


@http("POST /api/staff/coupons")
async def _staff_coupon(world: World, role: str) -> Request:
    body = {"code": f"S{key()}".upper(), "percent_bp": 500, "scope": "platform"}
    return Request("/api/staff/coupons", json=body)


# -- Socket.IO events (each role's socket has joined this show first) -----------------------


def plain(door: str, payload: Any) -> None:
    async def emit(world: World, role: str) -> Any:
        return payload

    EVENTS[door] = emit


@event("join")
async def _join(world: World, role: str) -> Any:
    return {"stream_id": world.show}


plain("leave", {})
plain("send_message", {"text": "hello"})
plain("like", {})


@event("product_seen")
async def _product_seen(world: World, role: str) -> Any:
    return {"product_id": world.products[0]}


plain("set_modes", {"slow_mode_s": 0})
plain("add_word", {"term": "blorp", "action": "block"})
plain("add_word platform", {"term": "blorp", "action": "block", "platform": True})
plain("remove_word", {"term": "blorp"})
plain("remove_word platform", {"term": "blorp", "platform": True})
plain("word_list", {})
plain("word_list platform", {"platform": True})
plain("held_messages", {})
plain("audit_log", {})
plain("audit_log platform", {"platform": True})
plain("unpin_message", {})
plain("unpin_product", {})


@event("buy")
async def _buy_event(world: World, role: str) -> Any:
    return _item(world) | {"idempotency_key": key()}


@event("checkout")
async def _checkout_event(world: World, role: str) -> Any:
    """With one item in the role's cart first (where the role may have a cart)."""
    await world.call("PUT", f"/api/streams/{world.show}/cart/items", role, json=_item(world))
    return {"idempotency_key": key()}


@event("pin_product")
async def _pin_product(world: World, role: str) -> Any:
    return {"product_id": world.products[0]}


@event("start_deal")
async def _start_deal_event(world: World, role: str) -> Any:
    await world.end_deals(world.show)
    return _deal(world)


@event("end_deal")
async def _end_deal_event(world: World, role: str) -> Any:
    return {"deal_id": await world.deal()}


@event("delete_message", "pin_message")
async def _message(world: World, role: str) -> Any:
    return {"message_id": await world.say("look at this")}


@event("answer_question")
async def _question(world: World, role: str) -> Any:
    return {"message_id": await world.say("does it come in blue?", question=True)}


@event("approve_held", "reject_held")
async def _held(world: World, role: str) -> Any:
    return {"held_id": await world.held()}


@event("mute", "ban", "shadow_ban", "platform_ban", "appoint_moderator")
async def _victim(world: World, role: str) -> Any:
    return {"target": await world.victim()}


def lifting(door: str, sanction: str, by: str) -> None:
    """Lifting a sanction: on a victim `by` has just sanctioned."""

    async def emit(world: World, role: str) -> Any:
        target = await world.victim()
        await world.as_staff(by, sanction, {"target": target})
        return {"target": target}

    EVENTS[door] = emit


lifting("unmute", "mute", "host")
lifting("unban", "ban", "host")
lifting("unshadow_ban", "shadow_ban", "host")
lifting("platform_unban", "platform_ban", "platform_mod")


@event("delete_user_messages")
async def _chatter(world: World, role: str) -> Any:
    await world.say("spam")
    return {"target": world.chatter}


@event("dismiss_moderator")
async def _appointed(world: World, role: str) -> Any:
    target = await world.victim()
    await world.as_staff("host", "appoint_moderator", {"target": target})
    return {"target": target}


# -- clip review ----------------------------------------------------------------------------

fixed("GET /api/streams/{id}/reviews", "/api/streams/{show}/reviews")
fixed("POST /api/streams/{id}/reviews", "/api/streams/{show}/reviews")
fixed("GET /api/reviews", "/api/reviews")
fixed("GET /review", "/review")


@http("GET /api/reviews/{id}")
async def _review(world: World, role: str) -> Request:
    return Request(f"/api/reviews/{world.review}")


@http("GET /api/reviews/{id}/video")
async def _review_video(world: World, role: str) -> Request:
    return Request(f"/api/reviews/{world.review}/video")


@http("POST /api/reviews/{id}/clips")
async def _review_clip(world: World, role: str) -> Request:
    """A fresh review of the show for every knock: one review's clips never overlap."""
    review = await world.ok("POST", f"/api/streams/{world.show}/reviews", "admin")
    clip = {"start_ms": 0, "end_ms": 1000, "title": "Opening"}
    return Request(f"/api/reviews/{review['id']}/clips", json=clip)


@http("POST /api/reviews/{id}/comments")
async def _review_comment(world: World, role: str) -> Request:
    comment = {"offset_ms": 500, "category": "pacing", "rating": 3, "body": "Slower"}
    return Request(f"/api/reviews/{world.review}/comments", json=comment)


@http("POST /api/comments/{id}/replies")
async def _review_reply(world: World, role: str) -> Request:
    return Request(f"/api/comments/{world.review_comment}/replies", json={"body": "Thanks"})


@http("POST /api/comments/{id}/read")
async def _review_read(world: World, role: str) -> Request:
    return Request(f"/api/comments/{world.review_comment}/read")


@http("POST /api/clips/{id}/export", "GET /api/clips/{id}/export")
async def _review_export(world: World, role: str) -> Request:
    return Request(f"/api/clips/{world.review_clip}/export")


# -- buyers' accounts, addresses and shipping (issue 16) ------------------------------------

ADDRESS = {
    "name": "Ana",
    "line1": "ul. Prosta 1",
    "city": "Warszawa",
    "postal_code": "00950",
    "country": "PL",
}
RATES = {"rates": [{"country": "PL", "fee_minor": 990, "currency": "EUR"}]}

fixed("GET /api/account/countries", "/api/account/countries")
fixed("GET /api/account/profile", "/api/account/profile")
fixed("PATCH /api/account/profile", "/api/account/profile", json={"language": "pl"})
fixed("GET /api/account/addresses", "/api/account/addresses")
fixed("POST /api/account/addresses", "/api/account/addresses", json=ADDRESS)
fixed("GET /api/account/orders", "/api/account/orders")
fixed("GET /api/seller/shipping", "/api/seller/shipping")
fixed("PUT /api/seller/shipping", "/api/seller/shipping", json=RATES)
fixed("GET /api/streams/{id}/shipping", "/api/streams/{show}/shipping?country=PL")


async def _viewers_address(world: World) -> int:
    """A new address of the viewer's (their earlier ones gone: a buyer keeps at most ten):
    only its owner may change or delete it."""
    for old in (await world.ok("GET", "/api/account/addresses", "viewer"))["addresses"]:
        await world.ok("DELETE", f"/api/account/addresses/{old['id']}", "viewer")
    found = await world.ok("POST", "/api/account/addresses", "viewer", json=ADDRESS)
    return int(found["id"])


@http("PUT /api/account/addresses/{id}")
async def _replace_address(world: World, role: str) -> Request:
    return Request(f"/api/account/addresses/{await _viewers_address(world)}", json=ADDRESS)


@http("DELETE /api/account/addresses/{id}")
async def _delete_address(world: World, role: str) -> Request:
    return Request(f"/api/account/addresses/{await _viewers_address(world)}")


# -- the offers marketplace and commission statements (issue 16) ----------------------------

NEW_OFFER = {"rate_bp": 1000, "category": "other"}


async def _offer(world: World, join: str = "open") -> int:
    """A new whole-shop offer of the seller's."""
    found = await world.ok("POST", "/api/offers", "seller", json=NEW_OFFER | {"join": join})
    return int(found["id"])


fixed("POST /api/offers", "/api/offers", json=NEW_OFFER)
fixed("GET /api/offers", "/api/offers")
fixed("GET /api/offers/mine", "/api/offers/mine")
fixed("GET /api/statements", "/api/statements")
fixed("GET /api/statements.csv", "/api/statements.csv")


@http("PATCH /api/offers/{id}")
async def _change_offer(world: World, role: str) -> Request:
    return Request(f"/api/offers/{await _offer(world)}", json={"rate_bp": 1200})


@http("POST /api/offers/{id}/join")
async def _join_offer(world: World, role: str) -> Request:
    return Request(f"/api/offers/{await _offer(world)}/join", json={})


@http("POST /api/offers/{id}/members/{host_id}")
async def _decide_member(world: World, role: str) -> Request:
    """The host's application to a new approval-only offer of the seller's."""
    offer = await _offer(world, "approval")
    await world.ok("POST", f"/api/offers/{offer}/join", "host", json={})
    host = world.subjects["host"].removeprefix("u:")
    return Request(f"/api/offers/{offer}/members/{host}", json={"decision": "approve"})


# -- auctions (issue 17) --------------------------------------------------------------------


def _auction_terms(world: World) -> dict[str, Any]:
    return {
        "product_id": world.products[1],
        "start_minor": 100,
        "increment_minor": 10,
        "duration_s": 300,
    }


async def _fresh_auction(world: World) -> int:
    """A new running auction in this show (whatever ran there is stopped first)."""
    terms = await _stopped_auctions(world)
    path = f"/api/streams/{world.show}/auctions"
    started = await world.ok("POST", path, "admin", json=terms)
    return int(started["auction"]["id"])


async def _stopped_auctions(world: World) -> dict[str, Any]:
    """Terms for a new auction, nothing running in this show."""
    found = await world.ok("GET", f"/api/streams/{world.show}/auctions", "none")
    for running in found["auctions"]:
        if running["status"] == "running":
            await world.ok("POST", f"/api/auctions/{running['id']}/stop", "admin")
    return _auction_terms(world)


@http("POST /api/streams/{id}/auctions")
async def _start_auction(world: World, role: str) -> Request:
    return Request(f"/api/streams/{world.show}/auctions", json=await _stopped_auctions(world))


fixed("GET /api/streams/{id}/auctions", "/api/streams/{show}/auctions")


@http("GET /api/auctions/{id}")
async def _auction(world: World, role: str) -> Request:
    return Request(f"/api/auctions/{await _fresh_auction(world)}")


@http("GET /api/auctions/{id}/bids")
async def _auction_bids(world: World, role: str) -> Request:
    return Request(f"/api/auctions/{await _fresh_auction(world)}/bids")


@http("POST /api/auctions/{id}/bids")
async def _place_bid(world: World, role: str) -> Request:
    body = {"amount_minor": 100, "idempotency_key": key()}
    return Request(f"/api/auctions/{await _fresh_auction(world)}/bids", json=body)


@http("POST /api/auctions/{id}/stop")
async def _stop_auction(world: World, role: str) -> Request:
    return Request(f"/api/auctions/{await _fresh_auction(world)}/stop")


@event("start_auction")
async def _start_auction_event(world: World, role: str) -> Any:
    return await _stopped_auctions(world)


@event("stop_auction", "auction_bids")
async def _auction_ref(world: World, role: str) -> Any:
    return {"auction_id": await _fresh_auction(world)}


@event("bid")
async def _bid_event(world: World, role: str) -> Any:
    return {
        "auction_id": await _fresh_auction(world),
        "amount_minor": 100,
        "idempotency_key": key(),
    }


@event("set_max_bid")
async def _max_bid_event(world: World, role: str) -> Any:
    auction = await _fresh_auction(world)
    return {"auction_id": auction, "max_minor": 500, "idempotency_key": key()}


@event("remove_bidder")
async def _remove_bidder(world: World, role: str) -> Any:
    bidder = (await world.victim()).removeprefix("u:")
    return {"auction_id": await _fresh_auction(world), "bidder_id": int(bidder)}


plain("auction_state", {})


# -- giveaways and polls (issue 17) ---------------------------------------------------------

GIVEAWAY = {"prize_text": "A mug", "window_s": 600}
POLL = {"question": "Which colour?", "options": ["red", "blue"]}


async def _giveaway(world: World) -> int:
    """A new giveaway in this show, its entry window open."""
    await _settle(world, "giveaway")
    ack = await world.as_staff("host", "start_giveaway", GIVEAWAY)
    return int(ack["giveaway"]["id"])


async def _poll(world: World) -> int:
    """A new open poll in this show."""
    await _settle(world, "poll")
    ack = await world.as_staff("host", "start_poll", POLL)
    return int(ack["poll"]["id"])


async def _settle(world: World, kind: str) -> None:
    """End the show's giveaway (or close its poll) if one still runs: one at a time."""
    ending = {"giveaway": "end_giveaway", "poll": "close_poll"}[kind]
    client = await world.run.sio(world.tokens["host"])
    try:
        assert (await client.call("join", {"stream_id": world.show}, timeout=10))["ok"]
        latest = (await client.call(f"{kind}_state", {}, timeout=10)).get(kind)
        if latest is not None:
            await client.call(ending, {f"{kind}_id": latest["id"]}, timeout=10)
    finally:
        await client.disconnect()


@event("start_giveaway")
async def _start_giveaway(world: World, role: str) -> Any:
    await _settle(world, "giveaway")
    return GIVEAWAY


@event("start_poll")
async def _start_poll(world: World, role: str) -> Any:
    await _settle(world, "poll")
    return POLL


plain("giveaway_state", {})
plain("poll_state", {})


@event("enter_giveaway", "end_giveaway")
async def _giveaway_ref(world: World, role: str) -> Any:
    return {"giveaway_id": await _giveaway(world)}


@event("close_poll")
async def _poll_ref(world: World, role: str) -> Any:
    return {"poll_id": await _poll(world)}


@event("vote")
async def _vote(world: World, role: str) -> Any:
    return {"poll_id": await _poll(world), "choice": 0}


fixed("GET /api/streams/{id}/giveaways", "/api/streams/{show}/giveaways")
fixed("GET /api/streams/{id}/polls", "/api/streams/{show}/polls")


@http("GET /api/giveaways/{id}")
async def _one_giveaway(world: World, role: str) -> Request:
    return Request(f"/api/giveaways/{await _giveaway(world)}")


@http("GET /api/giveaways/{id}/entries")
async def _giveaway_entries(world: World, role: str) -> Request:
    return Request(f"/api/giveaways/{await _giveaway(world)}/entries")


@http("GET /api/polls/{id}")
async def _one_poll(world: World, role: str) -> Request:
    return Request(f"/api/polls/{await _poll(world)}")


# -- following, reminders, unsubscribing, password reset (issue 18) -------------------------

fixed("GET /api/home", "/api/home")
fixed("GET /api/me/follows", "/api/me/follows")


@http("GET /api/unsubscribe", "POST /api/unsubscribe")
async def _unsubscribe(world: World, role: str) -> Request:
    """The viewer's genuine link, as their emails carry it: the link is the permission (a
    token counts for nothing there; a link nobody signed is refused, tested with the emails)."""
    viewer = int(world.subjects["viewer"].removeprefix("u:"))
    token = world.run.app[SERVICES].notifications.unsubscribe_token(viewer)
    return Request(f"/api/unsubscribe?token={token}")


@http("POST /api/auth/password-reset")
async def _reset(world: World, role: str) -> Request:
    """A new address each knock. The matrix is about who may ask, not how often: the
    per-client limit (tests/server/edge/test_password_reset.py) is lifted for the walk, since
    every role knocks from the same address."""
    resets = world.run.app[SERVICES].password_resets
    resets._config = replace(resets._config, reset_per_address="10000/hour")
    return Request("/api/auth/password-reset", json={"email": f"r{key()}@example.test"})


fixed(
    "POST /api/auth/password-reset/confirm",
    "/api/auth/password-reset/confirm",
    json={"token": "forged-reset-link", "password": "another horse"},
)


def _host_id(world: World) -> str:
    return world.subjects["host"].removeprefix("u:")


@http("GET /api/hosts/{id}")
async def _host(world: World, role: str) -> Request:
    return Request(f"/api/hosts/{_host_id(world)}")


@http("POST /api/hosts/{id}/follow", "DELETE /api/hosts/{id}/follow")
async def _follow(world: World, role: str) -> Request:
    return Request(f"/api/hosts/{_host_id(world)}/follow")


async def _scheduled_show(world: World) -> int:
    later = "2099-01-01T18:00:00+00:00"
    found = await world.ok(
        "POST", "/api/streams", "host", json={"title": "Later", "scheduled_at": later}
    )
    return int(found["id"])


@http("POST /api/streams/{id}/remind", "DELETE /api/streams/{id}/remind")
async def _remind(world: World, role: str) -> Request:
    return Request(f"/api/streams/{await _scheduled_show(world)}/remind")


# -- the new pages ---------------------------------------------------------------------------

for _page in ("signup", "signin", "account", "orders", "reset"):
    fixed(f"GET /{_page}", f"/{_page}")


@http("GET /host/{id}")
async def _host_page(world: World, role: str) -> Request:
    return Request(f"/host/{_host_id(world)}")


for _vendor in ("hls.min.mjs", "hls.min.mjs.map"):
    fixed(f"GET /static/vendor/{_vendor}", f"/static/vendor/{_vendor}")
