"""JSON API for buying in a show: buy now, the cart, flash deals, orders and payment webhooks.

The rules are in server/core/services/orders.py (placing) and order_lifecycle.py (after); shapes in
docs/protocol.md. Every purchase carries the buyer's idempotency key: a retry answers 200 with
the first order instead of 201 with a second one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from server.contract.deals import NewDeal
from server.contract.orders import Buy, CartItem, Checkout, Pay
from server.contract.serializers import cart_view, deal_view, order_view
from server.core.domain.orders import Item
from server.core.domain.payments import PaymentAction, PaymentMethodRequired
from server.core.domain.roles import Principal
from server.core.services.checkout import check_out
from server.core.services.order_lifecycle import Payment
from server.core.services.orders import Purchase
from server.core.store.rows import utcnow
from server.edge.http.context import SERVICES
from server.edge.http.errors import read_json
from server.edge.http.limits import read_limited
from server.edge.http.requests import path_id, principal

routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.Response]]
MAX_WEBHOOK_BYTES = 64 * 1024


# -- buying ----------------------------------------------------------------------------------


@routes.post("/api/streams/{id}/orders")
async def buy(request: web.Request) -> web.Response:
    who = principal(request)
    body = Buy.parse(await read_json(request))
    req, stream_id = body.request(), path_id(request)
    return await _placed(
        request,
        who,
        stream_id,
        req.items,
        req.idempotency_key,
        req.coupon,
        req.pay,
        body.address_id,
    )


@routes.get("/api/streams/{id}/cart")
async def get_cart(request: web.Request) -> web.Response:
    items = await request.app[SERVICES].carts.items(principal(request), path_id(request))
    return web.json_response(cart_view(items))


@routes.put("/api/streams/{id}/cart/items")
async def put_cart_item(request: web.Request) -> web.Response:
    raw = await read_json(request)
    who, stream_id, carts = principal(request), path_id(request), request.app[SERVICES].carts
    carts.authorize(who)
    item = CartItem.parse(raw).item()
    items = await carts.put(who, stream_id, item)
    return web.json_response(cart_view(items))


@routes.post("/api/streams/{id}/cart/checkout")
async def checkout(request: web.Request) -> web.Response:
    who = principal(request)
    body = Checkout.parse(await read_json(request))
    req, services = body.request(), request.app[SERVICES]
    purchase = await check_out(
        services.carts,
        services.orders,
        who,
        path_id(request),
        req.idempotency_key,
        req.coupon,
        body.address_id,
    )
    return await _answer(request, who, purchase, req.pay)


async def _placed(
    request: web.Request,
    who: Principal,
    stream_id: int,
    items: tuple[Item, ...] | list[Item],
    key: str,
    coupon: str | None,
    pay: bool,
    address_id: int | None = None,
) -> web.Response:
    orders = request.app[SERVICES].orders
    purchase = await orders.place(who, stream_id, items, key, coupon, address_id)
    return await _answer(request, who, purchase, pay)


async def _answer(
    request: web.Request, who: Principal, purchase: Purchase, pay: bool
) -> web.Response:
    """The order as placed, paid when asked (202 with `next_action` when the buyer has a step)."""
    services = request.app[SERVICES]
    status = 201 if purchase.created else 200
    if not pay:
        return web.json_response(order_view(purchase.order), status=status)
    try:
        paid = await services.lifecycle.pay_with(who, purchase.order.id)
    except PaymentMethodRequired:  # the page pays it with the card (docs/protocol.md)
        return web.json_response(order_view(purchase.order), status=status)
    if paid.action is not None:
        return _paying(paid, paid.action)
    return web.json_response(order_view(paid.order), status=status)


# -- orders ----------------------------------------------------------------------------------


@routes.get("/api/orders")
async def my_orders(request: web.Request) -> web.Response:
    orders = await request.app[SERVICES].orders.mine(principal(request))
    return web.json_response({"orders": [order_view(o) for o in orders]})


@routes.get("/api/orders/{id}")
async def get_order(request: web.Request) -> web.Response:
    order = await request.app[SERVICES].orders.get(principal(request), path_id(request))
    return web.json_response(order_view(order))


def _lifecycle_step(step: str) -> Handler:
    """POST /api/orders/{id}/<step>: the order lifecycle's method of that name (who may, and
    what it does, are in server/core/services/order_lifecycle.py)."""

    async def handle(request: web.Request) -> web.Response:
        run = getattr(request.app[SERVICES].lifecycle, step)
        return web.json_response(order_view(await run(principal(request), path_id(request))))

    return handle


@routes.post("/api/orders/{id}/pay")
async def pay(request: web.Request) -> web.Response:
    """Pay: 200 with the order, or 202 with it and `next_action`, the provider's step the page
    must run before the order continues (docs/protocol.md, "Buying")."""
    method = Pay.parse(await read_json(request)).payment_method
    lifecycle = request.app[SERVICES].lifecycle
    paid = await lifecycle.pay_with(principal(request), path_id(request), method)
    if paid.action is not None:
        return _paying(paid, paid.action)
    return web.json_response(order_view(paid.order))


def _paying(paid: Payment, action: PaymentAction) -> web.Response:
    return web.json_response(
        {**order_view(paid.order), "next_action": action.to_payload()}, status=202
    )


for _step in ("cancel", "refund", "fulfil"):
    routes.post(f"/api/orders/{{id}}/{_step}")(_lifecycle_step(_step))


@routes.get("/api/seller/orders")
async def seller_orders(request: web.Request) -> web.Response:
    status = request.query.get("status")
    orders = await request.app[SERVICES].orders.of_seller(principal(request), status)
    return web.json_response({"orders": [order_view(o) for o in orders]})


# -- flash deals -----------------------------------------------------------------------------


@routes.post("/api/streams/{id}/deals")
async def start_deal(request: web.Request) -> web.Response:
    raw = await read_json(request)
    stream_id, who, deals = path_id(request), principal(request), request.app[SERVICES].deals
    await deals.authorize_start(who, stream_id)
    terms = NewDeal.parse(raw).terms()
    now = utcnow()
    deal = await deals.start(who, stream_id, terms, now)
    return web.json_response({"deal": deal_view(deal, now)}, status=201)


@routes.get("/api/streams/{id}/deals")
async def running_deals(request: web.Request) -> web.Response:
    now = utcnow()
    deals = await request.app[SERVICES].deals.running(path_id(request), now)
    return web.json_response(
        {"server_time": now.isoformat(), "deals": [deal_view(d, now) for d in deals]}
    )


@routes.post("/api/deals/{id}/end")
async def end_deal(request: web.Request) -> web.Response:
    now = utcnow()
    deal = await request.app[SERVICES].deals.end(principal(request), path_id(request), now)
    return web.json_response({"deal": deal_view(deal, now)})


# -- payment provider ------------------------------------------------------------------------


@routes.get("/api/payments/config")
async def payment_setup(request: web.Request) -> web.Response:
    """What the page needs before paying: the provider, its publishable key and script."""
    return web.json_response(request.app[SERVICES].lifecycle.gateway.client_setup.to_payload())


@routes.post("/api/payments/{gateway}/webhook")
async def webhook(request: web.Request) -> web.Response:
    lifecycle = request.app[SERVICES].lifecycle
    if request.match_info["gateway"] != lifecycle.gateway.name:
        raise web.HTTPNotFound(reason="no such payment gateway")
    body = await read_limited(request, MAX_WEBHOOK_BYTES, "the webhook")
    order = await lifecycle.apply_webhook(body, dict(request.headers))
    return web.json_response({"order_id": order.id if order else None})
