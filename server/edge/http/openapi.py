"""The OpenAPI 3.1 document of the app, served at /api/openapi.json, generated from the models
of server/contract: request bodies are the models the handlers validate with, answers the
models of what they send back.

`OPERATIONS` names every route the app has (tests/server/edge/test_openapi.py checks it against
the router, both ways); path parameters come from the route's own placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

from aiohttp import web
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import PydanticUndefined, core_schema

import server
from server.contract import accounts, answers, catalog, coupons, deals, orders, reviews, streams
from server.contract import addresses as ad
from server.contract import auctions as auction_api
from server.contract import following as follow_api
from server.contract import offers as offer_api
from server.contract import replays as replay_api
from server.contract import reports as report_api
from server.contract import shipping as shipping_api
from server.contract import staff as staff_api
from server.contract import turn as turn_api
from server.contract import viewing as viewing_api
from server.contract.body import Id
from server.contract.shapes import Sku
from server.edge.http import pages

routes = web.RouteTableDef()

REF = "#/components/schemas/{model}"
ID = TypeAdapter(Id).json_schema()
STR = {"type": "string"}
PLACEHOLDER = re.compile(r"{(\w+)(?::[^}]*)?}")
PATH_PARAMETERS = {"id": ID, "sku": TypeAdapter(Sku).json_schema()}  # others: a string


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the router has it: `{name}` or `{name:regex}`
    summary: str
    body: type[BaseModel] | None = None
    status: int = 200
    answer: type[BaseModel] | None = None
    secured: bool = False
    query: tuple[tuple[str, dict[str, Any]], ...] = ()
    content: str = "application/json"  # of the request body and of the answer


def get(path: str, summary: str, **kw: Any) -> Operation:
    return Operation("get", path, summary, **kw)


def post(path: str, summary: str, **kw: Any) -> Operation:
    return Operation("post", path, summary, **kw)


def auth(method: str, path: str, summary: str, **kw: Any) -> Operation:
    return Operation(method, path, summary, secured=True, **kw)


INT_QUERY = ID
LANG = ("lang", TypeAdapter(answers.Language).json_schema())
STATUS = ("status", STR)
LEDGER = (
    ("as", {"enum": ["host", "seller", "admin"]}),
    ("by", {"type": "string", "description": "comma-separated: stream,period,host,seller"}),
    ("period", {"enum": ["day", "week", "month"]}),
    ("since", {"type": "string", "format": "date-time"}),
    ("until", {"type": "string", "format": "date-time"}),
    ("host_id", INT_QUERY),
    ("seller_id", INT_QUERY),
)
OFFERS = (
    ("category", {"enum": list(get_args(offer_api.Category))}),
    ("language", TypeAdapter(answers.Language).json_schema()),
    ("country", {"type": "string", "pattern": "^[A-Z]{2}$"}),
    ("min_rate_bp", TypeAdapter(answers.Rate).json_schema()),
)
STATEMENTS = (
    ("as", {"enum": ["host", "seller", "admin"]}),
    ("from", {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}),
    ("to", {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}),
)
A = answers
OPERATIONS: tuple[Operation, ...] = (
    # accounts
    post(
        "/api/accounts", "Create an account", body=accounts.NewAccount, status=201, answer=A.Session
    ),
    post("/api/auth/login", "Sign in", body=accounts.Credentials, answer=A.Session),
    post("/api/auth/guest", "Get a guest viewer token", body=accounts.Guest, answer=A.Session),
    post("/api/auth/logout", "Forget the pages' session cookies", status=204),
    auth("get", "/api/me", "Who the token belongs to", answer=A.Me),
    auth(
        "patch",
        "/api/accounts/{id}",
        "Change an account's role or disable it (admins); its tokens stop working",
        body=accounts.AccountPatch,
        answer=A.ChangedAccount,
    ),
    # shops and products
    auth(
        "post",
        "/api/sellers",
        "Open a shop (seller accounts)",
        body=catalog.NewSeller,
        status=201,
        answer=A.Shop,
    ),
    auth("get", "/api/sellers/me", "Your shop", answer=A.Shop),
    auth(
        "patch",
        "/api/sellers/me",
        "Rename your shop or set its default commission rate",
        body=catalog.ShopPatch,
        answer=A.Shop,
    ),
    get(
        "/api/products", "List products", answer=A.Products, query=(("seller_id", INT_QUERY), LANG)
    ),
    auth(
        "post",
        "/api/products",
        "List a product",
        body=catalog.NewProduct,
        status=201,
        answer=A.Product,
    ),
    get(
        "/api/products/{id}",
        "One product (?lang= or Accept-Language)",
        answer=A.Product,
        query=(LANG,),
    ),
    auth(
        "patch",
        "/api/products/{id}",
        "Change texts, image, price, commission rate or (one variant) stock",
        body=catalog.ProductPatch,
        answer=A.Product,
    ),
    auth(
        "patch",
        "/api/products/{id}/variants/{sku:.+}",
        "Change one variant's stock or price",
        body=catalog.VariantPatch,
        answer=A.Product,
    ),
    # streams
    get("/api/streams", "List shows", answer=A.Streams, query=(STATUS,)),
    auth(
        "post",
        "/api/streams",
        "Schedule a show (hosts)",
        body=streams.NewStream,
        status=201,
        answer=A.Stream,
    ),
    get("/api/streams/{id}", "One show with its line-up", answer=A.Stream),
    auth(
        "put", "/api/streams/{id}/lineup", "Set the line-up", body=streams.Lineup, answer=A.Stream
    ),
    auth("get", "/api/streams/{id}/key", "The stream key and WHIP URL", answer=A.StreamKey),
    auth("post", "/api/streams/{id}/end", "End the show", answer=A.Stream),
    auth(
        "get",
        "/api/streams/{id}/recordings",
        "The show's recordings with markers (its host, moderators, admins)",
        answer=A.Recordings,
    ),
    auth(
        "get",
        "/api/recordings/{id}/file",
        "A recording's file, video/mp4 or video/webm (Range requests work)",
        content="video/*",
    ),
    # buying
    auth(
        "post",
        "/api/streams/{id}/orders",
        "Buy during a show",
        body=orders.Buy,
        status=201,
        answer=A.Order,
    ),
    auth("get", "/api/streams/{id}/cart", "Your cart in the show", answer=A.Cart),
    auth(
        "put",
        "/api/streams/{id}/cart/items",
        "Put in or take out",
        body=orders.CartItem,
        answer=A.Cart,
    ),
    auth(
        "post",
        "/api/streams/{id}/cart/checkout",
        "Check the cart out as one order",
        body=orders.Checkout,
        status=201,
        answer=A.Order,
    ),
    auth(
        "post",
        "/api/streams/{id}/deals",
        "Start a flash deal",
        body=deals.NewDeal,
        status=201,
        answer=A.DealAnswer,
    ),
    get("/api/streams/{id}/deals", "The show's deals not ended", answer=A.Deals),
    auth("post", "/api/deals/{id}/end", "End a flash deal now", answer=A.DealAnswer),
    auth("get", "/api/orders", "Your orders", answer=A.Orders),
    auth("get", "/api/orders/{id}", "One of your orders (or your shop's)", answer=A.Order),
    auth(
        "post",
        "/api/orders/{id}/pay",
        "Pay a reserved order; 202 with next_action: the buyer's step",
        body=orders.Pay,
        answer=A.Order,
    ),
    auth("post", "/api/orders/{id}/cancel", "Cancel an unpaid order", answer=A.Order),
    auth("post", "/api/orders/{id}/refund", "Refund (its seller, admins)", answer=A.Order),
    auth("post", "/api/orders/{id}/fulfil", "Mark shipped (its seller)", answer=A.Order),
    auth("get", "/api/seller/orders", "Your shop's orders", answer=A.Orders, query=(STATUS,)),
    # buyers: profile, addresses, shipping, "My orders" (server/edge/http/buyers.py)
    get("/api/account/countries", "Where we ship and each country's rules", answer=ad.Countries),
    auth("get", "/api/account/profile", "Your language and country", answer=ad.ProfileAnswer),
    auth(
        "patch",
        "/api/account/profile",
        "Set your language and/or country",
        body=ad.ProfileChange,
        answer=ad.ProfileAnswer,
    ),
    auth("get", "/api/account/addresses", "Your shipping addresses", answer=ad.Addresses),
    auth(
        "post",
        "/api/account/addresses",
        "Save an address (in its country's format)",
        body=ad.NewAddress,
        status=201,
        answer=ad.AddressAnswer,
    ),
    auth(
        "put",
        "/api/account/addresses/{id}",
        "Change an address",
        body=ad.NewAddress,
        answer=ad.AddressAnswer,
    ),
    auth("delete", "/api/account/addresses/{id}", "Delete an address", answer=ad.Deleted),
    auth(
        "get",
        "/api/account/orders",
        "My orders: with their shipping and show",
        answer=shipping_api.MyOrders,
    ),
    auth("get", "/api/seller/shipping", "Where your shop ships", answer=shipping_api.Rates),
    auth(
        "put",
        "/api/seller/shipping",
        "Set where your shop ships, a fee per country",
        body=shipping_api.ShippingRates,
        answer=shipping_api.Rates,
    ),
    get(
        "/api/streams/{id}/shipping",
        "Whether each product of the show ships to a country, and for how much",
        answer=shipping_api.ShowShipping,
        query=(("country", {"type": "string", "pattern": "^[A-Za-z]{2}$"}),),
    ),
    get(
        "/api/payments/config",
        "The payment provider, its publishable key and script, for the page before paying",
        answer=A.PaymentSetup,
    ),
    post(
        "/api/payments/{gateway}/webhook",
        "A payment provider's signed event (the built-in one is `test`)",
        answer=A.WebhookAnswer,
    ),
    # coupons and the ledger
    auth(
        "post",
        "/api/coupons",
        "Create a coupon",
        body=coupons.NewCoupon,
        status=201,
        answer=A.Coupon,
    ),
    auth("get", "/api/coupons", "The coupons you created (admins: all)", answer=A.Coupons),
    auth("get", "/api/ledger", "Commission totals", answer=A.LedgerReport, query=LEDGER),
    # the marketplace: offers and commission statements
    auth(
        "post",
        "/api/offers",
        "Publish an offer (sellers)",
        body=offer_api.NewOfferBody,
        status=201,
        answer=offer_api.OfferAnswer,
    ),
    auth("get", "/api/offers", "Active offers, filtered", answer=offer_api.Offers, query=OFFERS),
    auth(
        "get",
        "/api/offers/mine",
        "A seller's offers and hosts; a host's memberships",
        answer=offer_api.Offers,
    ),
    auth(
        "patch",
        "/api/offers/{id}",
        "Close, reopen or re-rate an offer (its seller)",
        body=offer_api.OfferChangeBody,
        answer=offer_api.OfferAnswer,
    ),
    auth(
        "post",
        "/api/offers/{id}/join",
        "Join or apply to an offer (hosts)",
        body=offer_api.JoinBody,
        status=201,
        answer=offer_api.MemberAnswer,
    ),
    auth(
        "post",
        "/api/offers/{id}/members/{host_id}",
        "Approve or reject an applicant",
        body=offer_api.DecisionBody,
        answer=offer_api.MemberAnswer,
    ),
    auth(
        "get",
        "/api/statements",
        "Commission statements per host, shop and month",
        answer=offer_api.Statements,
        query=STATEMENTS,
    ),
    auth(
        "get",
        "/api/statements.csv",
        "Commission statements, CSV",
        content="text/csv",
        query=STATEMENTS,
    ),
    # show reports (its host and staff: all of it; a seller: their products' lines)
    auth("get", "/api/streams/{id}/report", "The show's report", answer=report_api.ShowReport),
    auth(
        "get",
        "/api/streams/{id}/report.csv",
        "The show's report per product and currency, CSV",
        content="text/csv",
    ),
    auth(
        "get",
        "/api/streams/{id}/report.svg",
        "A chart of the show's report, SVG",
        content="image/svg+xml",
        query=(("chart", {"enum": [str(c) for c in report_api.Chart]}), ("currency", STR)),
    ),
    # replays of ended shows (media through a signed link: no token needed)
    get(
        "/api/streams/{id}/replay",
        "The show's replay: chapters, deals as they ran, a signed media link",
        answer=replay_api.ReplayAnswer,
        query=(LANG,),
    ),
    get(
        "/api/streams/{id}/replay/chat",
        "The replay's chat lines of a window of its timeline",
        answer=replay_api.ReplayChat,
        query=(("from_ms", {"type": "integer", "minimum": 0}), ("to_ms", {"type": "integer"})),
    ),
    auth(
        "patch",
        "/api/streams/{id}/replay",
        "Turn the replay on, off or unlisted (its host); take it down (admins)",
        body=replay_api.ReplayPatch,
        answer=replay_api.ReplaySettingAnswer,
    ),
    get(
        "/api/streams/{id}/replay/media",
        "The replay's file through its signed link (Range requests work)",
        content="video/*",
        query=tuple((name, STR) for name in ("recording", "expires", "audience", "signature")),
    ),
    get("/api/replays", "Recent listed replays", answer=replay_api.Replays),
    # clip review (coaches and admins review; a show's host reads its reviews)
    auth(
        "get",
        "/api/streams/{id}/reviews",
        "The show's reviews (its host, coaches, admins)",
        answer=reviews.ReviewList,
    ),
    auth(
        "post",
        "/api/streams/{id}/reviews",
        "Open a review of the show's recording (coaches, admins)",
        body=reviews.NewReview,
        status=201,
        answer=reviews.ReviewAnswer,
    ),
    auth(
        "get",
        "/api/reviews",
        "Reviews across shows: a host's own; coaches and admins any host's (?host=me|<id>)",
        answer=reviews.ReviewList,
        query=(("host", STR),),
    ),
    auth("get", "/api/reviews/{id}", "One review", answer=reviews.ReviewAnswer),
    auth(
        "get",
        "/api/reviews/{id}/video",
        "The reviewed recording's file (Range requests work)",
        content="video/*",
    ),
    auth(
        "post",
        "/api/reviews/{id}/clips",
        "Mark a clip (coaches, admins)",
        body=reviews.NewClip,
        status=201,
        answer=reviews.ClipAnswer,
    ),
    auth(
        "post",
        "/api/reviews/{id}/comments",
        "Leave a timed comment (coaches, admins)",
        body=reviews.NewComment,
        status=201,
        answer=reviews.CommentAnswer,
    ),
    auth(
        "post",
        "/api/comments/{id}/replies",
        "Reply to a comment (the show's host, coaches, admins)",
        body=reviews.NewReply,
        status=201,
        answer=reviews.ReplyAnswer,
    ),
    auth(
        "post",
        "/api/comments/{id}/read",
        "Mark a comment read (the show's host)",
        answer=reviews.CommentAnswer,
    ),
    auth(
        "post",
        "/api/clips/{id}/export",
        "Cut the clip from the recording, no re-encoding, from a keyframe",
        status=201,
        answer=reviews.ClipExport,
    ),
    auth(
        "get",
        "/api/clips/{id}/export",
        "The clip's file as a download, cut first if need be (Range requests work)",
        content="video/*",
    ),
    # auctions (the room's events do the same over the open connection: docs/protocol.md)
    auth(
        "post",
        "/api/streams/{id}/auctions",
        "Start an auction on a line-up product (the host, stream staff)",
        body=auction_api.NewAuction,
        status=201,
    ),
    get("/api/streams/{id}/auctions", "A show's auctions"),
    get("/api/auctions/{id}", "One auction, its price, leader (masked) and end"),
    auth(
        "post",
        "/api/auctions/{id}/bids",
        "Bid (amount_minor or buy_now), or set a maximum (max_minor)",
        body=auction_api.BidBody,
    ),
    auth("get", "/api/auctions/{id}/bids", "The bid log, refused bids too (stream staff, seller)"),
    auth("post", "/api/auctions/{id}/stop", "Stop an auction now (the host, stream staff)"),
    # giveaways and polls (the room's events do the rest: docs/protocol.md)
    get("/api/streams/{id}/giveaways", "A show's giveaways, each with its commitment and proof"),
    get("/api/giveaways/{id}", "One giveaway"),
    get("/api/giveaways/{id}/entries", "A giveaway's counted entries and proof, to verify it"),
    get("/api/streams/{id}/polls", "A show's polls with their (final) results"),
    get("/api/polls/{id}", "One poll"),
    # the staff console (admins only; every change audited)
    auth(
        "get",
        "/api/staff/users",
        "Find accounts by email or name (?q=), of a role (?role=)",
        answer=staff_api.StaffUsers,
        query=(("q", STR), ("role", STR)),
    ),
    auth(
        "patch",
        "/api/staff/users/{id}",
        "Change an account's role (appoint hosts, coaches) or disable it, audited",
        body=accounts.AccountPatch,
        answer=staff_api.StaffAccount,
    ),
    auth("get", "/api/staff/shows", "Live shows with viewers; ended", answer=staff_api.StaffShows),
    auth(
        "post", "/api/staff/shows/{id}/end", "End a show, audited", answer=staff_api.StaffShowAnswer
    ),
    auth(
        "post",
        "/api/staff/shows/{id}/take-down",
        "Take a show's replay down or put it back, audited",
        body=staff_api.TakeDown,
        answer=staff_api.StaffShowAnswer,
    ),
    auth("get", "/api/staff/coupons", "Every coupon", answer=staff_api.StaffCoupons),
    auth(
        "post",
        "/api/staff/coupons",
        "Create a coupon of any scope, platform-wide included, audited",
        body=coupons.NewCoupon,
        status=201,
        answer=A.Coupon,
    ),
    auth("get", "/api/staff/audit", "Staff and platform-wide actions", answer=staff_api.StaffAudit),
    auth(
        "get",
        "/api/staff/health",
        "The nodes with their shows and viewers",
        answer=staff_api.StaffHealth,
    ),
    get("/staff", "The staff console", content="text/html"),
    get("/api/openapi.json", "This document"),
    get(
        "/api/ice-servers",
        "STUN/TURN servers for RTCPeerConnection, TURN with a time-limited credential",
        answer=turn_api.IceServers,
    ),
    # discovery, following, notifications, password reset (issue 18)
    get("/api/home", "Live now and upcoming shows", answer=follow_api.HomePage, query=(LANG,)),
    get("/api/hosts/{id}", "A host's public page", answer=follow_api.HostPage),
    auth("post", "/api/hosts/{id}/follow", "Follow a host", answer=follow_api.FollowState),
    auth("delete", "/api/hosts/{id}/follow", "Unfollow a host", answer=follow_api.FollowState),
    auth("get", "/api/me/follows", "The hosts and shows you follow", answer=follow_api.MyFollows),
    auth("post", "/api/streams/{id}/remind", "Remind me at its time", answer=follow_api.Reminded),
    auth("delete", "/api/streams/{id}/remind", "No reminder", answer=follow_api.Reminded),
    get(
        "/api/unsubscribe",
        "The emails' unsubscribe link (one click)",
        content="text/html",
        query=(("token", STR),),
    ),
    post(
        "/api/unsubscribe",
        "One-click unsubscribe (RFC 8058)",
        answer=follow_api.Unsubscribed,
        query=(("token", STR),),
    ),
    post(
        "/api/auth/password-reset",
        "Email a password reset link (the same answer for any address)",
        body=follow_api.ResetRequest,
        status=202,
        answer=follow_api.ResetSent,
    ),
    post(
        "/api/auth/password-reset/confirm",
        "Set a new password through the link (once, before it expires)",
        body=follow_api.ResetConfirm,
        answer=follow_api.ResetDone,
    ),
    get("/host/{id:\\d+}", "A host's public page", content="text/html"),
    get("/reset", "The password reset page", content="text/html"),
    # operations, media and pages
    get("/healthz", "Database and Redis reachability", answer=A.Health),
    get("/metrics", "Counters, Prometheus text", content="text/plain"),
    post(
        "/whip/{id}",
        "Publish a show (WHIP): an SDP offer, the stream key as bearer",
        status=201,
        content="application/sdp",
    ),
    post("/whep/{id}", "Watch a show (WHEP): an SDP offer", status=201, content="application/sdp"),
    Operation("delete", "/whip/{id}/{session}", "End a WHIP session", status=200),
    Operation("delete", "/whep/{id}/{session}", "End a WHEP session", status=200),
    get(
        "/hls/{id}/playlist.m3u8",
        "A live H.264 show's LL-HLS playlist; _HLS_msn/_HLS_part: a blocking reload",
        content="application/vnd.apple.mpegurl",
        query=(("_HLS_msn", STR), ("_HLS_part", STR)),
    ),
    get("/hls/{id}/{run}/{name}", "An LL-HLS init segment, segment or part", content="video/mp4"),
    post(
        "/whep/{id}/{session}/view",
        "A WHEP viewer's player size; answers its simulcast layer, or audio only",
        body=viewing_api.PlayerSize,  # answers viewing_api.ViewState (docs/protocol.md)
    ),
    *(
        Operation("options", path, "CORS preflight", status=204)
        for path in ("/whip/{id}", "/whep/{id}", "/whip/{id}/{session}", "/whep/{id}/{session}")
    ),
    get("/", "The home page", content="text/html"),
    get("/seller", "The seller's page", content="text/html"),
    get("/review", "The coaches' review workspace", content="text/html"),
    get("/offers", "The hosts' offers page (the marketplace)", content="text/html"),
    get("/report/{id:\\d+}", "The report page of a show", content="text/html"),
    *(
        get(f"/{page}", f"The buyer's {page} page", content="text/html")
        for page in ("signup", "signin", "account", "orders")
    ),
    *(
        get(f"/{page}/{{id:\\d+}}", f"The {page} page of a show", content="text/html")
        for page in ("studio", "watch", "moderate")
    ),
    get("/static/{filename}", "The pages' scripts, styles and images", content="*/*"),
    *(
        get(f"/static/vendor/{name}", "The Socket.IO client the pages load", content="*/*")
        for name in pages.VENDOR
    ),
    # the live room: Engine.IO's transport (events and payloads: docs/protocol.md)
    *(
        Operation(method, "/socket.io/", "The live room (Socket.IO)", content="*/*")
        for method in ("get", "post", "options")
    ),
)


def openapi_path(path: str) -> str:
    """`/api/products/{id}/variants/{sku:.+}` -> `/api/products/{id}/variants/{sku}`."""
    return PLACEHOLDER.sub(r"{\1}", path)


class _Generator(GenerateJsonSchema):
    """Fields carry no generated `title` (their name says it) and no `default: null`."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> dict[str, Any]:
        found = super().default_schema(schema)
        if schema.get("default", PydanticUndefined) is None:
            found.pop("default", None)
        return found


def models() -> list[type[BaseModel]]:
    found = {op.body for op in OPERATIONS} | {op.answer for op in OPERATIONS} | {A.Error}
    return sorted((m for m in found if m is not None), key=lambda m: m.__name__)


@cache
def document() -> dict[str, Any]:
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in models()]
    _, schemas = models_json_schema(pairs, ref_template=REF, schema_generator=_Generator)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.path), {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Shopcast API", "version": server.__version__},
        "paths": paths,
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _operation(op: Operation) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": "success"}
    if op.answer is not None:
        answer["content"] = {"application/json": {"schema": _ref(op.answer)}}
    elif op.content != "application/json" and op.method == "get":
        answer["content"] = {op.content: {}}
    found: dict[str, Any] = {
        "summary": op.summary,
        "responses": {
            str(op.status): answer,
            "4XX": {
                "description": "refused: the body names the problem",
                "content": {"application/json": {"schema": _ref(A.Error)}},
            },
        },
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS.get(name, STR)}
        for name in PLACEHOLDER.findall(op.path)
    ]
    parameters += [{"name": name, "in": "query", "schema": schema} for name, schema in op.query]
    if parameters:
        found["parameters"] = parameters
    if op.body is not None:
        found["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    elif op.content == "application/sdp":
        found["requestBody"] = {"required": True, "content": {op.content: {"schema": STR}}}
    if op.secured:
        found["security"] = [{"bearer": []}]
    return found


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
