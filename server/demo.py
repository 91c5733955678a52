"""Demo data for `shopcast demo`: a shop, products in several currencies, a host, a show."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from sqlalchemy import func, select

from server.domain.roles import Principal, Role
from server.http.context import DATABASE, SERVICES
from server.models import Stream, User, utcnow
from server.services.accounts import principal_of

logger = logging.getLogger(__name__)

PASSWORD = "shopcast-demo"
ACCOUNTS = {
    "seller": "seller@demo.shopcast.test",
    "host": "host@demo.shopcast.test",
    "moderator": "moderator@demo.shopcast.test",
    "viewer": "viewer@demo.shopcast.test",
}
PRODUCTS = [
    ("Linen summer dress", "Light linen dress, three colours.", 5990, "EUR", 40),
    ("Ceramic pour-over set", "Hand-glazed dripper and two cups.", 18900, "PLN", 25),
    ("Embroidered vyshyvanka shirt", "Cotton shirt with hand embroidery.", 249000, "UAH", 12),
    ("Wireless earbuds", "Noise-cancelling, 30 h battery.", 4999, "USD", 100),
]
SYSTEM = Principal(subject="u:0", display_name="demo", role=Role.ADMIN, user_id=0)


@dataclass
class DemoShow:
    stream_id: int = 0


async def seed(app: web.Application) -> DemoShow:
    """Create the demo data on first start; later starts find it and reuse the newest show."""
    async with app[DATABASE].reading() as session:
        users = await session.scalar(select(func.count()).select_from(User))
        if users:
            stream_id = await session.scalar(select(func.max(Stream.id)))
            return DemoShow(stream_id=stream_id or 0)
    services = app[SERVICES]
    accounts = services.accounts
    seller, _ = await accounts.register(ACCOUNTS["seller"], PASSWORD, "Atelier Lumière", "seller")
    host, _ = await accounts.register(ACCOUNTS["host"], PASSWORD, "Mila Live", "host")
    await accounts.register(
        ACCOUNTS["moderator"], PASSWORD, "Mod Kasia", "moderator", granted_by=SYSTEM
    )
    await accounts.register(ACCOUNTS["viewer"], PASSWORD, "Viewer Ana", "viewer")
    await services.catalog.create_seller(principal_of(seller), "Atelier Lumière", "FR")
    product_ids = []
    for title, description, price, currency, stock in PRODUCTS:
        product = await services.catalog.create_product(
            principal_of(seller),
            {
                "title": title,
                "description": description,
                "price_minor": price,
                "currency": currency,
                "stock": stock,
            },
        )
        product_ids.append(product.id)
    stream = await services.streams.create(
        principal_of(host),
        {
            "title": "Summer picks, live",
            "language": "en",
            "product_ids": product_ids,
            "scheduled_at": (utcnow() + timedelta(hours=1)).isoformat(),
        },
    )
    return DemoShow(stream_id=stream.id)


def seeding(show: DemoShow) -> object:
    """A cleanup_ctx step: seed after migrations; `show` learns which show to point people at."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        show.stream_id = (await seed(app)).stream_id
        yield

    return ctx


def banner(base_url: str, stream_id: int) -> str:
    lines = [
        "",
        "Shopcast demo is running.",
        f"  host studio : {base_url}/studio/{stream_id}   (sign in as {ACCOUNTS['host']})",
        f"  viewer page : {base_url}/watch/{stream_id}    (a guest name, or {ACCOUNTS['viewer']})",
        f"  moderator   : {base_url}/moderate/{stream_id} (sign in as {ACCOUNTS['moderator']})",
        f"  all shows   : {base_url}/",
        f"  seller      : {ACCOUNTS['seller']}",
        f"  password for every demo account: {PASSWORD}",
        f"  API document: {base_url}/api/openapi.json",
        "",
    ]
    return "\n".join(lines)
