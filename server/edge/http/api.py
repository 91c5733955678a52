"""JSON API for accounts, shops, products and streams (shapes: docs/protocol.md).

Buying, carts, deals and payments are in server/edge/http/orders.py."""

from __future__ import annotations

from aiohttp import web

from server.contract.accounts import AccountPatch, Credentials, Guest, NewAccount
from server.contract.body import require_object
from server.contract.catalog import NewProduct, NewSeller, ProductPatch, ShopPatch, VariantPatch
from server.contract.serializers import product_view, stream_view, user_view
from server.contract.streams import Lineup, NewStream
from server.core.domain.accounts import AccountChange
from server.core.domain.catalog import ProductChange, ProductInput, SellerChange, VariantChange
from server.core.store.rows import Seller
from server.edge.http.context import CONFIG, SERVICES
from server.edge.http.errors import read_json
from server.edge.http.limits import MAX_SIGN_IN_BYTES
from server.edge.http.media import end_show
from server.edge.http.requests import bearer_principal, path_id, principal, query_int
from server.edge.http.security import LOGOUT_PATH, clear_session_cookies, set_session_cookies

routes = web.RouteTableDef()


# -- accounts ---------------------------------------------------------------------------------


# Signing in answers the token (API clients send it as a bearer) and sets it as the pages'
# HttpOnly session cookie (server/edge/http/security.py).


def signed_in(request: web.Request, user: dict, token: str, status: int = 200) -> web.Response:
    ttl = request.app[CONFIG].token_ttl_s
    response = web.json_response({"user": user, "token": token, "expires_in": ttl}, status=status)
    set_session_cookies(request, response, token)
    return response


@routes.post("/api/accounts")
async def register(request: web.Request) -> web.Response:
    raw = require_object(await read_json(request, MAX_SIGN_IN_BYTES))  # before the bearer
    granted_by = bearer_principal(request)
    body = NewAccount.parse(raw, granted_by)
    user, issued = await request.app[SERVICES].accounts.register(
        body.email, body.password, body.display_name, body.role, granted_by=granted_by
    )
    if granted_by is not None:  # an admin making someone's account stays signed in as admin
        return web.json_response({"user": user_view(user), "token": issued}, status=201)
    return signed_in(request, user_view(user), issued, status=201)


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    body = Credentials.parse(await read_json(request, MAX_SIGN_IN_BYTES))
    user, token = await request.app[SERVICES].accounts.login(body.email, body.password)
    return signed_in(request, user_view(user), token)


@routes.post("/api/auth/guest")
async def guest(request: web.Request) -> web.Response:
    body = Guest.parse(await read_json(request, MAX_SIGN_IN_BYTES))
    who, token = request.app[SERVICES].accounts.guest(body.display_name)
    user = {"id": None, "display_name": who.display_name, "role": who.role, "guest": True}
    return signed_in(request, user, token)


@routes.post(LOGOUT_PATH)
async def logout(request: web.Request) -> web.Response:
    """Forget the pages' session cookies (a bearer token stays valid until it expires)."""
    response = web.Response(status=204)
    clear_session_cookies(response)
    return response


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    who = principal(request)
    return web.json_response(
        {
            "subject": who.subject,
            "display_name": who.display_name,
            "role": who.role,
            "user_id": who.user_id,
            "guest": who.is_guest,
        }
    )


@routes.patch("/api/accounts/{id}")
async def change_account(request: web.Request) -> web.Response:
    """An admin changes an account's role or disables it (a ban); its tokens stop working."""
    raw = await read_json(request)
    who, account_id = principal(request), path_id(request)
    change = AccountPatch.parse(raw).checked(AccountChange)
    user = await request.app[SERVICES].accounts.change(who, account_id, change)
    return web.json_response({"user": user_view(user) | {"disabled": user.disabled}})


# -- shops and products -----------------------------------------------------------------------


@routes.post("/api/sellers")
async def create_seller(request: web.Request) -> web.Response:
    raw = require_object(await read_json(request))  # before who is asking, as ever
    who, catalog = principal(request), request.app[SERVICES].catalog
    catalog.authorize_new_seller(who)
    body = NewSeller.parse(raw)
    seller = await catalog.create_seller(who, body.name, body.country)
    return web.json_response(_seller_json(seller), status=201)


@routes.get("/api/sellers/me")
async def my_shop(request: web.Request) -> web.Response:
    seller = await request.app[SERVICES].catalog.seller_of(principal(request))
    return web.json_response(_seller_json(seller))


@routes.patch("/api/sellers/me")
async def update_my_shop(request: web.Request) -> web.Response:
    raw = await read_json(request)
    who = principal(request)
    change = ShopPatch.parse(raw).checked(SellerChange)
    seller = await request.app[SERVICES].catalog.update_seller(who, change)
    return web.json_response(_seller_json(seller))


def _seller_json(seller: Seller) -> dict:
    return {
        "id": seller.id,
        "name": seller.name,
        "country": seller.country,
        "commission_bp": seller.commission_bp,
    }


def _language(request: web.Request) -> str | None:
    """`?lang=`, else the first language of Accept-Language ("fr-CA,fr;q=0.8" reads "fr-CA")."""
    asked = request.query.get("lang")
    if asked is None:
        header = request.headers.get("Accept-Language", "")
        asked = header.split(",", 1)[0].split(";", 1)[0].strip()
    return asked or None


@routes.get("/api/products")
async def list_products(request: web.Request) -> web.Response:
    products = await request.app[SERVICES].catalog.find(query_int(request, "seller_id"))
    language = _language(request)
    return web.json_response({"products": [product_view(p, language) for p in products]})


@routes.post("/api/products")
async def create_product(request: web.Request) -> web.Response:
    raw = await read_json(request)
    who = principal(request)
    listing = NewProduct.parse(raw).checked(ProductInput)
    product = await request.app[SERVICES].catalog.create_product(who, listing)
    return web.json_response(product_view(product, _language(request)), status=201)


@routes.get("/api/products/{id}")
async def get_product(request: web.Request) -> web.Response:
    product = await request.app[SERVICES].catalog.get(path_id(request))
    return web.json_response(product_view(product, _language(request)))


@routes.patch("/api/products/{id}")
async def update_product(request: web.Request) -> web.Response:
    raw = await read_json(request)
    who, product_id = principal(request), path_id(request)
    change = ProductPatch.parse(raw).checked(ProductChange)
    product = await request.app[SERVICES].catalog.update_product(who, product_id, change)
    return web.json_response(product_view(product, _language(request)))


@routes.patch("/api/products/{id}/variants/{sku:.+}")
async def update_variant(request: web.Request) -> web.Response:
    raw = await read_json(request)
    who, product_id = principal(request), path_id(request)
    change = VariantPatch.parse(raw).checked(VariantChange)
    product = await request.app[SERVICES].catalog.update_variant(
        who, product_id, request.match_info["sku"], change
    )
    return web.json_response(product_view(product, _language(request)))


# -- streams ----------------------------------------------------------------------------------


async def stream_json(request: web.Request, stream_id: int) -> dict:
    streams = request.app[SERVICES].streams
    return stream_view(await streams.get(stream_id), await streams.lineup(stream_id))


@routes.get("/api/streams")
async def list_streams(request: web.Request) -> web.Response:
    streams = request.app[SERVICES].streams
    found = await streams.find(request.query.get("status"))
    lineups = await streams.lineups([s.id for s in found])
    return web.json_response({"streams": [stream_view(s, lineups[s.id]) for s in found]})


@routes.post("/api/streams")
async def create_stream(request: web.Request) -> web.Response:
    raw = await read_json(request)
    who, streams = principal(request), request.app[SERVICES].streams
    streams.authorize_schedule(who)
    body = NewStream.parse(raw)
    stream = await streams.create(
        who,
        body.title,
        language=body.language,
        scheduled_at=body.scheduled_at,
        product_ids=body.product_ids,
        replay=body.replay,
    )
    payload = await stream_json(request, stream.id)
    payload["stream_key"] = stream.stream_key
    return web.json_response(payload, status=201)


@routes.get("/api/streams/{id}")
async def get_stream(request: web.Request) -> web.Response:
    return web.json_response(await stream_json(request, path_id(request)))


@routes.put("/api/streams/{id}/lineup")
async def set_lineup(request: web.Request) -> web.Response:
    raw = require_object(await read_json(request))  # before the path and who is asking
    stream_id, who = path_id(request), principal(request)
    body = Lineup.parse(raw)  # before the show is looked up, as ever
    await request.app[SERVICES].streams.set_lineup(who, stream_id, body.product_ids)
    return web.json_response(await stream_json(request, stream_id))


@routes.get("/api/streams/{id}/key")
async def stream_key(request: web.Request) -> web.Response:
    stream_id = path_id(request)
    key = await request.app[SERVICES].streams.stream_key(principal(request), stream_id)
    whip_url = str(request.url.with_path(f"/whip/{stream_id}").with_query(None))
    return web.json_response({"stream_key": key, "whip_url": whip_url})


@routes.post("/api/streams/{id}/end")
async def end_stream(request: web.Request) -> web.Response:
    stream_id = path_id(request)
    await end_show(request.app, principal(request), stream_id)
    return web.json_response(await stream_json(request, stream_id))
