"""Demo data for `shopcast demo`: a shop, products in several currencies, a host, a show."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from sqlalchemy import func, select

from server.core.domain.catalog import ProductInput, SellerChange
from server.core.domain.offers import JoinPolicy
from server.core.domain.roles import Principal, Role
from server.core.services import Services
from server.core.services.accounts import principal_of
from server.core.services.offers import NewOffer
from server.core.store.rows import Stream, User, utcnow
from server.edge.http.context import DATABASE, SERVICES

logger = logging.getLogger(__name__)

PASSWORD = "shopcast-demo"
ACCOUNTS = {
    "seller": "seller@demo.shopcast.test",
    "host": "host@demo.shopcast.test",
    "moderator": "moderator@demo.shopcast.test",
    "viewer": "viewer@demo.shopcast.test",
    "coach": "coach@demo.shopcast.test",
}
DRESS_SIZES = ["S", "M", "L"]
DRESS_COLOURS = {"sand": "SND", "sage": "SGE", "navy": "NVY"}
# The dress, sold by size and colour, comes last: the watch page's Buy button takes the
# pinned product's only variant, and the first product is the one pinned in the page test.
PRODUCTS: list[dict[str, object]] = [
    {
        "title": {
            "pl": "Zestaw ceramiczny do parzenia przelewowego",
            "en": "Ceramic pour-over set",
            "ru": "Керамический набор для пуровера",
        },
        "description": {
            "pl": "Ręcznie szkliwiony drip i dwie filiżanki.",
            "en": "Hand-glazed dripper and two cups.",
        },
        "price_minor": 18900,
        "currency": "PLN",
        "stock": 25,
    },
    {
        "title": {
            "uk": "Вишиванка з ручною вишивкою",
            "en": "Embroidered vyshyvanka shirt",
            "pl": "Haftowana koszula wyszywanka",
        },
        "description": {
            "uk": "Бавовняна сорочка з ручною вишивкою.",
            "en": "Cotton shirt with hand embroidery.",
        },
        "price_minor": 249000,
        "currency": "UAH",
        "stock": 12,
    },
    {
        "title": {
            "en": "Wireless earbuds",
            "es": "Auriculares inalámbricos",
            "it": "Auricolari wireless",
            "pt": "Fones de ouvido sem fio",
        },
        "description": "Noise-cancelling, 30 h battery.",
        "price_minor": 4999,
        "currency": "USD",
        "stock": 100,
    },
    {
        "title": {
            "en": "Linen summer dress",
            "fr": "Robe d'été en lin",
            "pl": "Lniana letnia sukienka",
            "uk": "Лляна літня сукня",
        },
        "description": {
            "en": "Light linen dress, three colours.",
            "fr": "Robe légère en lin, trois couleurs.",
        },
        "price_minor": 5990,
        "currency": "EUR",
        "commission_bp": 1500,  # this one pays hosts more than the shop's default
        "options": [
            {"name": "size", "values": DRESS_SIZES},
            {"name": "colour", "values": list(DRESS_COLOURS)},
        ],
        "variants": [
            {
                "sku": f"DRESS-{code}-{size}",
                "options": {"size": size, "colour": colour},
                "stock": 3 + 2 * i,
                **({"price_minor": 6490} if size == "L" else {}),
            }
            for colour, code in DRESS_COLOURS.items()
            for i, size in enumerate(DRESS_SIZES)
        ],
    },
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
    seller, _ = await accounts.register(
        ACCOUNTS["seller"], PASSWORD, "Atelier Lumière", Role.SELLER
    )
    host, _ = await accounts.register(ACCOUNTS["host"], PASSWORD, "Mila Live", Role.HOST)
    await accounts.register(
        ACCOUNTS["moderator"], PASSWORD, "Mod Kasia", Role.MODERATOR, granted_by=SYSTEM
    )
    await accounts.register(ACCOUNTS["viewer"], PASSWORD, "Viewer Ana", Role.VIEWER)
    await accounts.register(
        ACCOUNTS["coach"], PASSWORD, "Coach Rita", Role.COACH, granted_by=SYSTEM
    )
    await services.catalog.create_seller(principal_of(seller), "Atelier Lumière", "FR")
    await services.catalog.update_seller(
        principal_of(seller), SellerChange.parse({"commission_bp": 1000})
    )
    product_ids = []
    for listing in PRODUCTS:
        product = await services.catalog.create_product(
            principal_of(seller), ProductInput.parse(listing)
        )
        product_ids.append(product.id)
    await _marketplace(services, principal_of(seller), principal_of(host), product_ids)
    stream = await services.streams.create(
        principal_of(host),
        "Summer picks, live",
        language="en",
        product_ids=product_ids,
        scheduled_at=utcnow() + timedelta(hours=1),
    )
    return DemoShow(stream_id=stream.id)


async def _marketplace(
    services: Services, seller: Principal, host: Principal, product_ids: list[int]
) -> None:
    """The shop's offers: the whole shop at its default rate, the dress at its own (both open,
    so the line-up's commissions are as before the marketplace), and the earbuds at 20 % for
    approved hosts only, left for the host to apply to. The demo host joins the first two."""
    offers = services.offers
    everyone = frozenset[str]()
    whole = await offers.create(
        seller, NewOffer(None, 1000, "fashion", everyone, everyone, JoinPolicy.OPEN)
    )
    dress = await offers.create(
        seller, NewOffer(product_ids[-1], 1500, "fashion", everyone, everyone, JoinPolicy.OPEN)
    )
    earbuds = NewOffer(product_ids[2], 2000, "electronics", everyone, everyone, JoinPolicy.APPROVAL)
    await offers.create(seller, earbuds)
    for offer in (whole, dress):
        await offers.join(host, offer.id, None)


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
        "  payments    : the built-in TEST gateway: no money moves, every payment is fake",
        f"  host studio : {base_url}/studio/{stream_id}   (sign in as {ACCOUNTS['host']})",
        f"  viewer page : {base_url}/watch/{stream_id}    (a guest name, or {ACCOUNTS['viewer']})",
        f"  moderator   : {base_url}/moderate/{stream_id} (sign in as {ACCOUNTS['moderator']})",
        f"  all shows   : {base_url}/",
        f"  seller desk : {base_url}/seller          (sign in as {ACCOUNTS['seller']})",
        f"  coach       : {base_url}/review          (sign in as {ACCOUNTS['coach']})",
        f"  password for every demo account: {PASSWORD}",
        f"  API document: {base_url}/api/openapi.json",
        "",
    ]
    return "\n".join(lines)
