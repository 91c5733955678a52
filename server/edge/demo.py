"""Demo data for `shopcast demo`: a shop (its products in several currencies, its offers to
hosts, where it ships), a host with a scheduled show and a few followers, a viewer with a saved
address, a moderator, a coach and a staff (admin) account."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from sqlalchemy import func, select

from server.core.domain.addresses import check_address
from server.core.domain.catalog import ProductInput, SellerChange
from server.core.domain.offers import JoinPolicy
from server.core.domain.roles import Principal, Role
from server.core.domain.shipping import check_rates
from server.core.services import Services
from server.core.services.accounts import principal_of
from server.core.services.offers import NewOffer
from server.core.store.rows import Stream, User, utcnow
from server.edge.http.addresses import ADDRESSES
from server.edge.http.context import DATABASE, SERVICES
from server.edge.http.shipping import SHIPPING

logger = logging.getLogger(__name__)

PASSWORD = "shopcast-demo"
ACCOUNTS = {
    "seller": "seller@demo.shopcast.test",
    "host": "host@demo.shopcast.test",
    "moderator": "moderator@demo.shopcast.test",
    "viewer": "viewer@demo.shopcast.test",
    "coach": "coach@demo.shopcast.test",
    "admin": "admin@demo.shopcast.test",
}
# The demo viewer follows the host too, so going live shows them the toast.
FANS = {"fan1@demo.shopcast.test": "Fan Olek", "fan2@demo.shopcast.test": "Fan Chiara"}
VIEWER_ADDRESS = {
    "name": "Ana Viewer",
    "line1": "12 rue de la Roquette",
    "city": "Paris",
    "postal_code": "75011",
    "country": "FR",
    "phone": "+33 1 23 45 67 89",
}
# Where the shop (in France) ships, in its one shipping currency; not to the US or Russia, so
# the viewer page's "does not ship to" shows for those addresses.
SHIPPING_EUR = {"FR": 490, "ES": 690, "IT": 690, "PT": 690, "IE": 890, "PL": 990, "UA": 1490}
SHIPPING_EUR |= {"GB": 1290}
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
    viewer, _ = await accounts.register(ACCOUNTS["viewer"], PASSWORD, "Viewer Ana", Role.VIEWER)
    await accounts.register(
        ACCOUNTS["coach"], PASSWORD, "Coach Rita", Role.COACH, granted_by=SYSTEM
    )
    await accounts.register(ACCOUNTS["admin"], PASSWORD, "Staff Sam", Role.ADMIN, granted_by=SYSTEM)
    await _audience(app, principal_of(viewer), host.id)
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
    rates = [{"country": c, "fee_minor": fee, "currency": "EUR"} for c, fee in SHIPPING_EUR.items()]
    await app[SHIPPING].set_rates(principal_of(seller), check_rates(rates))
    stream = await services.streams.create(
        principal_of(host),
        "Summer picks, live",
        language="en",
        product_ids=product_ids,
        scheduled_at=utcnow() + timedelta(hours=1),
    )
    return DemoShow(stream_id=stream.id)


async def _audience(app: web.Application, viewer: Principal, host_id: int) -> None:
    """The demo viewer's saved address (their default) and the host's followers: the viewer
    and two fans."""
    services = app[SERVICES]
    await app[ADDRESSES].add(viewer, check_address(VIEWER_ADDRESS))
    fans = [viewer]
    for email, name in FANS.items():
        user, _ = await services.accounts.register(email, PASSWORD, name, Role.VIEWER)
        fans.append(principal_of(user))
    for fan in fans:
        await services.following.follow(fan, host_id)


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
        f"  staff       : {base_url}/staff           (sign in as {ACCOUNTS['admin']})",
        f"  password for every demo account: {PASSWORD}",
        f"  API document: {base_url}/api/openapi.json",
        "",
    ]
    return "\n".join(lines)
