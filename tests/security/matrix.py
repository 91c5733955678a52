"""Who gets what at every door: the documented answer of each route and event for each role.

A row names its most common answer and the roles that get another. The test
(test_authorization_matrix.py) knocks and compares; docs/security.md shows this table, made by
`python -m tests.security.matrix` (which rewrites the table between its markers there).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from tests.security.world import ROLES

Row = tuple[str, dict[str, str]]
START, END = "<!-- matrix:start -->", "<!-- matrix:end -->"


def row(default: str, **others: str) -> Row:
    return default, others


HTTP_MATRIX: dict[str, Row] = {
    # accounts: anyone may sign up as a viewer; only an admin's token grants staff roles
    "POST /api/accounts": row("ok", forged="401 bad_token"),
    "POST /api/accounts role=moderator": row("403 forbidden", forged="401 bad_token", admin="ok"),
    "POST /api/auth/login": row("ok"),
    "POST /api/auth/guest": row("ok"),
    "POST /api/auth/logout": row("ok"),  # forgets the pages' cookies: nothing to guard
    # roles and bans are an admin's to give (never one's own to raise)
    "PATCH /api/accounts/{id}": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", admin="ok"
    ),
    "PATCH /api/accounts/{id} self=admin": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", admin="403 own_account"
    ),
    "GET /api/me": row("ok", none="401 auth_required", forged="401 bad_token"),
    # shops and products: a seller's own shop only
    "POST /api/sellers": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        seller="409 seller_exists",
        other_seller="409 seller_exists",
    ),
    "GET /api/sellers/me": row(
        "404 no_seller",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="ok",
    ),
    "PATCH /api/sellers/me": row(
        "404 no_seller",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="ok",
    ),
    "GET /api/products": row("ok"),
    "POST /api/products": row(
        "404 no_seller",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="ok",
    ),
    "GET /api/products/{id}": row("ok"),
    "PATCH /api/products/{id}": row(
        "404 no_seller",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="403 forbidden",
    ),
    "PATCH /api/products/{id}/variants/{sku}": row(
        "404 no_seller",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="403 forbidden",
    ),
    # shows: their host (and admins) run them
    "GET /api/streams": row("ok"),
    "POST /api/streams": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        other_host="ok",
        admin="ok",
    ),
    "GET /api/streams/{id}": row("ok"),
    "GET /api/streams/{id}/key": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", host="ok", admin="ok"
    ),
    "PUT /api/streams/{id}/lineup": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", host="ok", admin="ok"
    ),
    "POST /api/streams/{id}/end": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", host="ok", admin="ok"
    ),
    # buying: any account, never a guest; an order is its buyer's (and its seller's to ship)
    "POST /api/streams/{id}/orders": row(
        "ok", none="401 auth_required", forged="401 bad_token", guest="403 account_required"
    ),
    "GET /api/streams/{id}/cart": row(
        "ok", none="401 auth_required", forged="401 bad_token", guest="403 account_required"
    ),
    "PUT /api/streams/{id}/cart/items": row(
        "ok", none="401 auth_required", forged="401 bad_token", guest="403 account_required"
    ),
    "POST /api/streams/{id}/cart/checkout": row(
        "ok", none="401 auth_required", forged="401 bad_token", guest="403 account_required"
    ),
    "GET /api/orders": row(
        "ok", none="401 auth_required", forged="401 bad_token", guest="403 account_required"
    ),
    "GET /api/orders/{id}": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        viewer="ok",
        seller="ok",
        admin="ok",
    ),
    "POST /api/orders/{id}/pay": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        guest="403 account_required",
        viewer="ok",
    ),
    "POST /api/orders/{id}/cancel": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", viewer="ok", admin="ok"
    ),
    "POST /api/orders/{id}/refund": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", seller="ok", admin="ok"
    ),
    "POST /api/orders/{id}/fulfil": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", seller="ok", admin="ok"
    ),
    "GET /api/seller/orders": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="ok",
    ),
    # flash deals over HTTP: the host, platform moderators and admins (the API does not know
    # the room's appointed moderators; the start_deal event lets them)
    "POST /api/streams/{id}/deals": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "GET /api/streams/{id}/deals": row("ok"),
    "POST /api/deals/{id}/end": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        platform_mod="ok",
        admin="ok",
    ),
    # the payment provider signs its webhooks; a token counts for nothing there
    "GET /api/payments/config": row("ok"),  # the provider's publishable key: public
    "POST /api/payments/{gateway}/webhook": row("403 bad_webhook_signature"),
    # coupons: a show's coupon is its host's (or an admin's); the platform's, an admin's
    "POST /api/coupons": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", host="ok", admin="ok"
    ),
    "POST /api/coupons scope=platform": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", admin="ok"
    ),
    "GET /api/coupons": row("ok", none="401 auth_required", forged="401 bad_token"),
    # the ledger: hosts and sellers see their own; the platform's view is an admin's
    "GET /api/ledger": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        other_host="ok",
        seller="ok",
        other_seller="ok",
        admin="ok",
    ),
    # naming a host narrows one's own view: another host's commission stays theirs
    "GET /api/ledger host_id=host": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        seller="ok",
        other_seller="ok",
        admin="ok",
    ),
    "GET /api/ledger as=admin": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", admin="ok"
    ),
    # media: WHIP takes the show's stream key (the host's column), WHEP is public
    "OPTIONS /whip/{id}": row("ok"),
    "OPTIONS /whip/{id}/{session}": row("ok"),
    "OPTIONS /whep/{id}": row("ok"),
    "OPTIONS /whep/{id}/{session}": row("ok"),
    "POST /whep/{id}": row("409 not_live"),
    "DELETE /whep/{id}/{session}": row("404 session_not_found"),
    "POST /whep/{id}/{session}/view": row("404 session_not_found"),
    "GET /hls/{id}/playlist.m3u8": row("404 not_live"),  # public: a CDN carries it
    "GET /hls/{id}/{run}/{name}": row("404 not_live"),
    "POST /whip/{id}": row("401 bad_stream_key", host="400 bad_sdp"),
    "DELETE /whip/{id}/{session}": row("401 bad_stream_key", host="404 session_not_found"),
    # recordings: the host, platform moderators and admins
    "GET /api/streams/{id}/recordings": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "GET /api/recordings/{id}/file": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        platform_mod="ok",
        admin="ok",
    ),
    # replays: public reads (this show is live, so it has none yet, but its host and staff get
    # its rewind); a public link to a live show finds nothing; the switch is its host's
    "GET /api/streams/{id}/replay": row(
        "409 replay_not_ended", host="ok", platform_mod="ok", coach="ok", admin="ok"
    ),
    "GET /api/streams/{id}/replay/chat": row(
        "409 replay_not_ended", host="ok", platform_mod="ok", coach="ok", admin="ok"
    ),
    "GET /api/streams/{id}/replay/media": row("409 replay_not_ended"),
    "GET /api/replays": row("ok"),
    # show reports: the show's host, sellers with products in it, staff (coaches, admins)
    "GET /api/streams/{id}/report": row(
        "403 report_forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        seller="ok",
        coach="ok",
        admin="ok",
    ),
    "GET /api/streams/{id}/report.csv": row(
        "403 report_forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        seller="ok",
        coach="ok",
        admin="ok",
    ),
    "GET /api/streams/{id}/report.svg": row(
        "403 report_forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        seller="ok",
        coach="ok",
        admin="ok",
    ),
    "PATCH /api/streams/{id}/replay": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", host="ok", admin="ok"
    ),
    # clip review: coaches and admins review any show; its host reads, replies, marks read
    "GET /api/streams/{id}/reviews": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        coach="ok",
        admin="ok",
    ),
    "POST /api/streams/{id}/reviews": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", coach="ok", admin="ok"
    ),
    # hosts list their own shows' reviews (another host's list holds only theirs)
    "GET /api/reviews": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        other_host="ok",
        coach="ok",
        admin="ok",
    ),
    "GET /api/reviews/{id}": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        coach="ok",
        admin="ok",
    ),
    "GET /api/reviews/{id}/video": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        coach="ok",
        admin="ok",
    ),
    "POST /api/reviews/{id}/clips": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", coach="ok", admin="ok"
    ),
    "POST /api/reviews/{id}/comments": row(
        "403 forbidden", none="401 auth_required", forged="401 bad_token", coach="ok", admin="ok"
    ),
    "POST /api/comments/{id}/replies": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        coach="ok",
        admin="ok",
    ),
    "POST /api/comments/{id}/read": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        coach="403 not_the_host",
        admin="403 not_the_host",
    ),
    "POST /api/clips/{id}/export": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        coach="ok",
        admin="ok",
    ),
    "GET /api/clips/{id}/export": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        coach="ok",
        admin="ok",
    ),
    "GET /review": row("ok"),
    # operations and pages
    "GET /healthz": row("ok"),
    "GET /metrics": row("ok"),
    "GET /api/openapi.json": row("ok"),
    "GET /": row("ok"),
    "GET /seller": row("ok"),
    "GET /offers": row("ok"),  # the page; its data are the offers routes'
    "GET /studio/{id}": row("ok"),
    "GET /watch/{id}": row("ok"),
    "GET /moderate/{id}": row("ok"),
    "GET /report/{id}": row("ok"),  # the page; its figures are the report route's
    "GET /static": row("ok"),
    "GET /static/vendor/socket.io.esm.min.js": row("ok"),
    "GET /static/vendor/socket.io.esm.min.js.map": row("ok"),
    # TURN: any page may ask for a credential (it expires; TURN relays only to media peers)
    "GET /api/ice-servers": row("ok"),
    # the staff console: admins only, every other role 403 admins_only
    **{
        door: row("403 admins_only", none="401 auth_required", forged="401 bad_token", admin="ok")
        for door in (
            "GET /api/staff/users",
            "PATCH /api/staff/users/{id}",
            "GET /api/staff/shows",
            "POST /api/staff/shows/{id}/end",
            "POST /api/staff/shows/{id}/take-down",
            "GET /api/staff/coupons",
            "POST /api/staff/coupons",
            "GET /api/staff/audit",
            "GET /api/staff/health",
        )
    },
    "GET /staff": row("ok"),  # the page; its data are the admin-only routes'
    # a buyer's profile and addresses: any account's own, never a guest's; another's is
    # not found (nobody learns it exists)
    "GET /api/account/countries": row("ok"),  # where shops ship: public
    **{
        door: row(
            "ok", none="401 auth_required", forged="401 bad_token", guest="403 account_required"
        )
        for door in (
            "GET /api/account/profile",
            "PATCH /api/account/profile",
            "GET /api/account/addresses",
            "POST /api/account/addresses",
            "GET /api/account/orders",
            "GET /api/me/follows",
            "POST /api/streams/{id}/remind",
            "DELETE /api/streams/{id}/remind",
        )
    },
    **{
        door: row(
            "404 address_not_found",
            none="401 auth_required",
            forged="401 bad_token",
            guest="403 account_required",
            viewer="ok",
        )
        for door in ("PUT /api/account/addresses/{id}", "DELETE /api/account/addresses/{id}")
    },
    # shipping fees: a seller's own table; what a show's products cost to ship is public
    "GET /api/seller/shipping": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="ok",
    ),
    "PUT /api/seller/shipping": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="ok",
    ),
    "GET /api/streams/{id}/shipping": row("ok"),
    # offers: sellers publish and answer their own; hosts join; any account browses
    "POST /api/offers": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="ok",
    ),
    "GET /api/offers": row(
        "ok", none="401 auth_required", forged="401 bad_token", guest="403 forbidden"
    ),
    "GET /api/offers/mine": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        other_host="ok",
        seller="ok",
        other_seller="ok",
    ),
    "PATCH /api/offers/{id}": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="404 offer_not_found",
    ),
    "POST /api/offers/{id}/join": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        other_host="ok",
    ),
    "POST /api/offers/{id}/members/{host_id}": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        seller="ok",
        other_seller="404 offer_not_found",
    ),
    # commission statements: hosts and sellers see their own; admins the platform's
    **{
        door: row(
            "403 forbidden",
            none="401 auth_required",
            forged="401 bad_token",
            host="ok",
            other_host="ok",
            seller="ok",
            other_seller="ok",
            admin="ok",
        )
        for door in ("GET /api/statements", "GET /api/statements.csv")
    },
    # auctions over HTTP: the host, platform moderators and admins run them (the API does not
    # know the room's appointed moderators; the room's events let them); any account but the
    # show's host and the product's seller bids; the bid history is the staff's and the
    # seller's (disputes)
    "POST /api/streams/{id}/auctions": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "POST /api/auctions/{id}/stop": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "GET /api/streams/{id}/auctions": row("ok"),
    "GET /api/auctions/{id}": row("ok"),
    "GET /api/auctions/{id}/bids": row(
        "403 forbidden",
        none="401 auth_required",
        forged="401 bad_token",
        host="ok",
        platform_mod="ok",
        seller="ok",
        admin="ok",
    ),
    "POST /api/auctions/{id}/bids": row(
        "ok",
        none="401 auth_required",
        forged="401 bad_token",
        guest="403 account_required",
        host="409 own_auction",
        seller="409 own_auction",
    ),
    # giveaways and polls are run from the room; over HTTP they are public reads (a
    # giveaway's entry list is public so that anyone can check the draw)
    "GET /api/streams/{id}/giveaways": row("ok"),
    "GET /api/giveaways/{id}": row("ok"),
    "GET /api/giveaways/{id}/entries": row("ok"),
    "GET /api/streams/{id}/polls": row("ok"),
    "GET /api/polls/{id}": row("ok"),
    # following: public reads; following is for accounts, never one's own
    "GET /api/home": row("ok"),
    "GET /api/hosts/{id}": row("ok"),
    "POST /api/hosts/{id}/follow": row(
        "ok",
        none="401 auth_required",
        forged="401 bad_token",
        guest="403 account_required",
        host="400 own_follow",
    ),
    "DELETE /api/hosts/{id}/follow": row(
        "ok", none="401 auth_required", forged="401 bad_token", guest="403 account_required"
    ),
    # the emails' links carry their own signature; a token counts for nothing there (and a
    # reset request answers alike whether the address has an account)
    "GET /api/unsubscribe": row("ok"),
    "POST /api/unsubscribe": row("ok"),
    "POST /api/auth/password-reset": row("ok"),
    "POST /api/auth/password-reset/confirm": row("400 reset_link_invalid"),
    # the new pages (their data are the routes above)
    **{
        door: row("ok")
        for door in (
            "GET /signup",
            "GET /signin",
            "GET /account",
            "GET /orders",
            "GET /reset",
            "GET /host/{id}",
            "GET /static/vendor/hls.min.mjs",
            "GET /static/vendor/hls.min.mjs.map",
        )
    },
}

EVENT_MATRIX: dict[str, Row] = {
    # anyone may watch; speaking, liking and buying need a token (buying, an account)
    "connect": row("ok", forged="refused bad_token"),
    "join": row("ok", forged="refused bad_token"),
    "leave": row("ok", forged="refused bad_token"),
    "send_message": row("ok", none="auth_required", forged="refused bad_token"),
    "like": row("ok", none="auth_required", forged="refused bad_token"),
    "product_seen": row("ok", forged="refused bad_token"),  # a card view: anyone who watches
    "buy": row("ok", none="auth_required", forged="refused bad_token", guest="account_required"),
    "checkout": row(
        "ok", none="auth_required", forged="refused bad_token", guest="account_required"
    ),
    # the stream's staff: its host, its appointed moderators, platform moderators, admins
    "set_modes": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "add_word": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "remove_word": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "word_list": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "held_messages": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "audit_log": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "unpin_message": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "unpin_product": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "pin_product": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "start_deal": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "end_deal": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "delete_message": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "pin_message": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "answer_question": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "approve_held": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "reject_held": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "mute": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "ban": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "shadow_ban": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "delete_user_messages": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        stream_mod="ok",
        platform_mod="ok",
        admin="ok",
    ),
    # lifting a sanction takes someone above whoever set it (here: the host)
    "unmute": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "unban": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        platform_mod="ok",
        admin="ok",
    ),
    "unshadow_ban": row(
        "forbidden",
        none="auth_required",
        forged="refused bad_token",
        host="ok",
        platform_mod="ok",
        admin="ok",
    ),
    # who moderates is the host's (or an admin's) choice
    "appoint_moderator": row(
        "forbidden", none="auth_required", forged="refused bad_token", host="ok", admin="ok"
    ),
    "dismiss_moderator": row(
        "forbidden", none="auth_required", forged="refused bad_token", host="ok", admin="ok"
    ),
    # platform-wide: platform moderators and admins
    "platform_ban": row(
        "forbidden", none="auth_required", forged="refused bad_token", platform_mod="ok", admin="ok"
    ),
    "platform_unban": row(
        "forbidden", none="auth_required", forged="refused bad_token", platform_mod="ok", admin="ok"
    ),
    "add_word platform": row(
        "forbidden", none="auth_required", forged="refused bad_token", platform_mod="ok", admin="ok"
    ),
    "remove_word platform": row(
        "forbidden", none="auth_required", forged="refused bad_token", platform_mod="ok", admin="ok"
    ),
    "word_list platform": row(
        "forbidden", none="auth_required", forged="refused bad_token", platform_mod="ok", admin="ok"
    ),
    "audit_log platform": row(
        "forbidden", none="auth_required", forged="refused bad_token", platform_mod="ok", admin="ok"
    ),
    # auctions, giveaways and polls are run by the stream's staff
    **{
        door: row(
            "forbidden",
            none="auth_required",
            forged="refused bad_token",
            host="ok",
            stream_mod="ok",
            platform_mod="ok",
            admin="ok",
        )
        for door in (
            "start_auction",
            "stop_auction",
            "auction_bids",
            "remove_bidder",
            "start_giveaway",
            "end_giveaway",
            "start_poll",
            "close_poll",
        )
    },
    # bidding: any account but the show's host and the product's seller
    **{
        door: row(
            "ok",
            none="auth_required",
            forged="refused bad_token",
            guest="account_required",
            host="own_auction",
            seller="own_auction",
        )
        for door in ("bid", "set_max_bid")
    },
    # entering takes an account (a guest is not eligible); a guest's vote counts once per device
    "enter_giveaway": row(
        "ok", none="auth_required", forged="refused bad_token", guest="not_eligible"
    ),
    "vote": row("ok", none="auth_required", forged="refused bad_token"),
    # what runs now: anyone who watches
    **{
        door: row("ok", forged="refused bad_token")
        for door in ("auction_state", "giveaway_state", "poll_state")
    },
}


def answers(door: str) -> dict[str, str]:
    default, others = HTTP_MATRIX.get(door) or EVENT_MATRIX[door]
    return {role: others.get(role, default) for role in ROLES}


def expected(door: str) -> dict[str, str]:
    """A door's answers, or none when it has no row (the other test names it)."""
    return answers(door) if door in HTTP_MATRIX or door in EVENT_MATRIX else {}


def render() -> str:
    """Both tables in Markdown, between the markers docs/security.md keeps them in."""
    lines = [START, ""]
    for title, table in (("HTTP route", HTTP_MATRIX), ("Socket.IO event", EVENT_MATRIX)):
        lines.append(f"| {title} | " + " | ".join(ROLES) + " |")
        lines.append("|---" * (len(ROLES) + 1) + "|")
        for door in table:
            cells = [_cell(answers(door)[role]) for role in ROLES]
            lines.append(f"| `{door}` | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def _cell(answer: str) -> str:
    return "**ok**" if answer == "ok" else answer


def as_source(seen: dict[str, dict[str, str]]) -> str:
    """Answers as seen, written as rows of this module (to review, never to paste blindly)."""
    out = []
    for door, by_role in seen.items():
        default = Counter(by_role.values()).most_common(1)[0][0]
        others = ", ".join(f"{r}={a!r}" for r, a in by_role.items() if a != default)
        out.append(f"    {door!r}: row({default!r}{', ' if others else ''}{others}),")
    return "\n".join(out)


def write_docs(path: Path) -> None:
    text = path.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(head + render() + tail)


if __name__ == "__main__":
    write_docs(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/security.md"))
