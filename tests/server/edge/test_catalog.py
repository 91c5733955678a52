"""The seller's catalogue through the HTTP API: variants, texts by language, commission rates,
and the stock hook. Against SQLite and against PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select, update

from server.core.domain.catalog import ProductChange, ProductInput, VariantChange
from server.core.services.catalog import CatalogService
from server.core.store.rows import ProductVariant
from server.edge.http.context import DATABASE, SERVICES
from tests import factory

TEE = {
    "title": {"fr": "T-shirt en coton", "en": "Cotton T-shirt", "uk": "Бавовняна футболка"},
    "description": {"fr": "Coton bio.", "en": "Organic cotton."},
    "language": "fr",
    "price_minor": 1999,
    "currency": "EUR",
    "options": [
        {"name": "size", "values": ["S", "M"]},
        {"name": "colour", "values": ["red", "blue"]},
    ],
    "variants": [
        {"sku": "TEE-S-RED", "options": {"size": "S", "colour": "red"}, "stock": 4},
        {
            "sku": "TEE-M-BLUE",
            "options": {"colour": "blue", "size": "M"},
            "stock": 2,
            "price_minor": 2499,
        },
        {"sku": "TEE/M/RED", "options": {"size": "M", "colour": "red"}, "stock": 0},
    ],
}
MUG = {"title": "Mug", "price_minor": 900, "currency": "PLN", "stock": 7}


async def shop(run: Any) -> tuple[str, int]:
    """A seller's token and shop id."""
    seller = await factory.account(run, "seller")
    status, body = await run.call(
        "POST", "/api/sellers", seller, json={"name": "Shop", "country": "FR"}
    )
    assert status == 201, body
    return seller, body["id"]


async def listed(run: Any, seller: str, payload: dict) -> dict:
    status, body = await run.call("POST", "/api/products", seller, json=payload)
    assert status == 201, body
    return body


async def test_a_product_with_variants_is_created_and_read_back(running) -> None:
    seller, seller_id = await shop(running)
    created = await listed(running, seller, TEE)
    assert created["options"] == [
        {"name": "size", "values": ["S", "M"]},
        {"name": "colour", "values": ["red", "blue"]},
    ]
    assert [
        (v["sku"], v["options"], v["stock"], v["price_minor"]) for v in created["variants"]
    ] == [
        ("TEE-S-RED", {"size": "S", "colour": "red"}, 4, 1999),
        ("TEE-M-BLUE", {"size": "M", "colour": "blue"}, 2, 2499),
        ("TEE/M/RED", {"size": "M", "colour": "red"}, 0, 1999),
    ]
    assert created["stock"] == 6 and created["language"] == "fr"
    assert created["title"] == "T-shirt en coton"  # no language asked: the product's own
    assert created["titles"] == TEE["title"] and created["descriptions"] == TEE["description"]
    assert (created["commission_bp"], created["effective_commission_bp"]) == (None, 0)
    status, again = await running.call("GET", f"/api/products/{created['id']}")
    assert (status, again) == (200, created)
    _, listing = await running.call("GET", f"/api/products?seller_id={seller_id}")
    assert listing["products"] == [created]


async def test_a_product_without_options_has_one_variant_named_after_its_id(running) -> None:
    seller, _ = await shop(running)
    mug = await listed(running, seller, MUG)
    assert mug["options"] == [] and mug["stock"] == 7
    assert [(v["sku"], v["options"], v["stock"], v["price_minor"]) for v in mug["variants"]] == [
        (f"P{mug['id']}", {}, 7, 900)
    ]
    assert (mug["language"], mug["titles"], mug["description"]) == ("en", {"en": "Mug"}, "")


async def test_texts_are_picked_by_language_with_a_fallback(running) -> None:
    seller, seller_id = await shop(running)
    tee = await listed(running, seller, TEE | {"title": TEE["title"] | {"pt": "Camiseta"}})
    path = f"/api/products/{tee['id']}"
    for query, headers, title, description in [
        ("?lang=en", {}, "Cotton T-shirt", "Organic cotton."),
        ("?lang=uk", {}, "Бавовняна футболка", "Coton bio."),  # no Ukrainian description
        ("?lang=pt-BR", {}, "Camiseta", "Coton bio."),
        ("?lang=de", {}, "T-shirt en coton", "Coton bio."),
        ("", {"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}, "Cotton T-shirt", "Organic cotton."),
        ("?lang=fr", {"Accept-Language": "en"}, "T-shirt en coton", "Coton bio."),
        ("", {}, "T-shirt en coton", "Coton bio."),
    ]:
        status, body = await running.call("GET", path + query, headers=headers)
        assert (status, body["title"], body["description"]) == (200, title, description), query
        assert body["titles"]["fr"] == "T-shirt en coton"
    _, listing = await running.call("GET", f"/api/products?seller_id={seller_id}&lang=en")
    assert [p["title"] for p in listing["products"]] == ["Cotton T-shirt"]


BAD_NEW_PRODUCTS: list[tuple[dict, str]] = [
    (TEE | {"stock": 3}, "stock_and_variants"),
    (MUG | {"variants": TEE["variants"]}, "stock_and_variants"),
    ({k: v for k, v in MUG.items() if k != "stock"}, "bad_stock"),
    (MUG | {"language": "de"}, "bad_language"),
    (MUG | {"title": {"en": "Mug", "de": "Becher"}}, "bad_language"),
    (MUG | {"title": {"fr": "Tasse"}}, "bad_title"),  # nothing in the default language (en)
    (MUG | {"title": "   "}, "bad_title"),
    (MUG | {"title": 5}, "bad_title"),
    (MUG | {"description": "x" * 5001}, "bad_description"),
    (MUG | {"colour": "red"}, "bad_field"),
    (MUG | {"commission_bp": 10_001}, "bad_commission_rate"),
    (MUG | {"commission_bp": -1}, "bad_commission_rate"),
    (MUG | {"commission_bp": "500"}, "bad_commission_rate"),
    (MUG | {"commission_bp": True}, "bad_commission_rate"),
    (
        TEE | {"variants": TEE["variants"] + [TEE["variants"][0] | {"sku": "tee-s-red"}]},
        "duplicate_sku",
    ),
    (
        TEE | {"variants": [{"sku": "X", "options": {"size": "XL", "colour": "red"}, "stock": 1}]},
        "bad_option_value",
    ),
    (TEE | {"variants": [{"sku": "X", "options": {"size": "S"}, "stock": 1}]}, "bad_option_value"),
    (TEE | {"variants": [TEE["variants"][0] | {"sku": "has space"}]}, "bad_sku"),
    (TEE | {"variants": [TEE["variants"][0] | {"price_minor": -1}]}, "bad_price"),
    (TEE | {"variants": [TEE["variants"][0] | {"stock": -1}]}, "bad_stock"),
    (TEE | {"variants": []}, "bad_variants"),
    ({k: v for k, v in TEE.items() if k != "variants"}, "bad_variants"),
    (
        TEE
        | {
            "options": [{"name": "size", "values": []}],
            "variants": [{"sku": "X", "options": {"size": "S"}, "stock": 1}],
        },
        "bad_options",
    ),
]


async def test_bad_new_products_are_refused_and_list_nothing(running) -> None:
    seller, seller_id = await shop(running)
    for payload, code in BAD_NEW_PRODUCTS:
        status, body = await running.call("POST", "/api/products", seller, json=payload)
        assert (status, body["error"]["code"]) == (400, code), payload
        assert body["error"]["message"]
    _, listing = await running.call("GET", f"/api/products?seller_id={seller_id}")
    assert listing["products"] == []
    host = await factory.account(running, "host")
    status, body = await running.call("POST", "/api/products", host, json=MUG)
    assert (status, body["error"]["code"]) == (404, "no_seller")


async def test_seller_changes_a_product(running) -> None:
    seller, _ = await shop(running)
    tee = await listed(running, seller, TEE)
    path = f"/api/products/{tee['id']}"

    async def patch(change: dict) -> dict:
        status, body = await running.call("PATCH", path, seller, json=change)
        assert status == 200, body
        return body

    # A string is the default language's text; an object sets the languages it names.
    body = await patch({"title": "Tee en coton"})
    assert body["titles"] == TEE["title"] | {"fr": "Tee en coton"}
    body = await patch({"title": {"it": "Maglietta", "uk": ""}})
    assert body["titles"] == {"fr": "Tee en coton", "en": "Cotton T-shirt", "it": "Maglietta"}
    body = await patch({"description": {"fr": "", "en": ""}})
    assert (body["description"], body["descriptions"]) == ("", {})
    body = await patch({"description": "Coton."})
    assert body["descriptions"] == {"fr": "Coton."}
    body = await patch(
        {"price_minor": 1500, "image_url": "https://cdn.example/tee.jpg", "commission_bp": 800}
    )
    assert [v["price_minor"] for v in body["variants"]] == [1500, 2499, 1500]
    assert (body["image_url"], body["commission_bp"]) == ("https://cdn.example/tee.jpg", 800)
    assert body["effective_commission_bp"] == 800
    body = await patch({"commission_bp": None})
    assert (body["commission_bp"], body["effective_commission_bp"]) == (None, 0)


async def test_bad_product_changes_are_refused_and_change_nothing(running) -> None:
    seller, _ = await shop(running)
    tee = await listed(running, seller, TEE)
    mug = await listed(running, seller, MUG)
    cases: list[tuple[dict, dict, int, str]] = [
        (tee, {"stock": 9}, 409, "has_variants"),
        (tee, {"price_minor": 1, "stock": 9}, 409, "has_variants"),
        (tee, {"currency": "USD"}, 400, "bad_field"),
        (tee, {"language": "en"}, 400, "bad_field"),
        (tee, {}, 400, "invalid"),
        (tee, {"title": {"de": "T-Shirt"}}, 400, "bad_language"),
        (tee, {"title": ""}, 400, "bad_title"),  # the default language's text cannot go
        (tee, {"title": {"fr": ""}}, 400, "bad_title"),
        (tee, {"title": ["x"]}, 400, "bad_title"),
        (tee, {"description": {"en": "only English"} | {"fr": ""}}, 400, "bad_description"),
        (tee, {"image_url": "javascript:alert(1)"}, 400, "bad_image_url"),
        (tee, {"price_minor": -5}, 400, "bad_price"),
        (tee, {"commission_bp": 10_001}, 400, "bad_commission_rate"),
        (mug, {"stock": -1}, 400, "bad_stock"),
        (mug, {"stock": 1.5}, 400, "bad_stock"),
    ]
    for product, change, status, code in cases:
        got, body = await running.call(
            "PATCH", f"/api/products/{product['id']}", seller, json=change
        )
        assert (got, body["error"]["code"]) == (status, code), change
    for product in (tee, mug):
        _, now = await running.call("GET", f"/api/products/{product['id']}")
        assert now == product
    other, _ = await shop(running)
    status, body = await running.call(
        "PATCH", f"/api/products/{mug['id']}", other, json={"stock": 1}
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await running.call("PATCH", "/api/products/99999", seller, json={"stock": 1})
    assert (status, body["error"]["code"]) == (404, "not_found")


async def test_stock_of_a_one_variant_product_is_set_through_the_product(running) -> None:
    seller, _ = await shop(running)
    mug = await listed(running, seller, MUG)
    status, body = await running.call(
        "PATCH", f"/api/products/{mug['id']}", seller, json={"stock": 11}
    )
    assert (status, body["stock"], body["variants"][0]["stock"]) == (200, 11, 11)


async def test_each_variant_has_its_own_stock_and_price(running) -> None:
    seller, _ = await shop(running)
    tee = await listed(running, seller, TEE)
    base = f"/api/products/{tee['id']}/variants"
    status, body = await running.call(
        "PATCH", f"{base}/tee-s-red", seller, json={"stock": 9, "price_minor": 2100}
    )
    assert status == 200, body
    by_sku = {v["sku"]: v for v in body["variants"]}
    assert (by_sku["TEE-S-RED"]["stock"], by_sku["TEE-S-RED"]["price_minor"]) == (9, 2100)
    assert by_sku["TEE-M-BLUE"] == tee["variants"][1]  # the others are untouched
    assert body["stock"] == 11
    status, body = await running.call(
        "PATCH", f"{base}/TEE-M-BLUE", seller, json={"price_minor": None}
    )
    assert {v["sku"]: v["price_minor"] for v in body["variants"]}["TEE-M-BLUE"] == 1999
    status, body = await running.call("PATCH", f"{base}/TEE%2FM%2FRED", seller, json={"stock": 5})
    assert status == 200, body
    assert {v["sku"]: v["stock"] for v in body["variants"]}["TEE/M/RED"] == 5

    _, before = await running.call("GET", f"/api/products/{tee['id']}")
    other, _ = await shop(running)
    for token, sku, change, status, code in [
        (seller, "TEE-XL", {"stock": 1}, 404, "variant_not_found"),
        (seller, "no%20such", {"stock": 1}, 404, "variant_not_found"),
        (seller, "TEE-S-RED", {"stock": -1}, 400, "bad_stock"),
        (seller, "TEE-S-RED", {"price_minor": "20"}, 400, "bad_price"),
        (seller, "TEE-S-RED", {"sku": "NEW"}, 400, "bad_field"),
        (seller, "TEE-S-RED", {}, 400, "invalid"),
        (other, "TEE-S-RED", {"stock": 1}, 403, "forbidden"),
    ]:
        got, body = await running.call("PATCH", f"{base}/{sku}", token, json=change)
        assert (got, body["error"]["code"]) == (status, code), (sku, change)
    _, after = await running.call("GET", f"/api/products/{tee['id']}")
    assert after == before
    status, body = await running.call(
        "PATCH", "/api/products/99999/variants/TEE-S-RED", seller, json={"stock": 1}
    )
    assert (status, body["error"]["code"]) == (404, "not_found")


async def test_commission_rates_of_the_shop_and_the_product(running) -> None:
    seller, seller_id = await shop(running)
    status, me = await running.call("GET", "/api/sellers/me", seller)
    assert (status, me) == (
        200,
        {"id": seller_id, "name": "Shop", "country": "FR", "commission_bp": None},
    )
    for change, code in [
        ({"commission_bp": 10_001}, "bad_commission_rate"),
        ({"commission_bp": -1}, "bad_commission_rate"),
        ({"commission_bp": 2.5}, "bad_commission_rate"),
        ({"name": ""}, "bad_title"),
        ({"country": "PL"}, "bad_field"),
        ({}, "invalid"),
    ]:
        status, body = await running.call("PATCH", "/api/sellers/me", seller, json=change)
        assert (status, body["error"]["code"]) == (400, code), change
    status, me = await running.call(
        "PATCH", "/api/sellers/me", seller, json={"commission_bp": 1200, "name": "Atelier"}
    )
    assert (status, me["commission_bp"], me["name"]) == (200, 1200, "Atelier")
    mug = await listed(running, seller, MUG)
    assert (mug["commission_bp"], mug["effective_commission_bp"]) == (None, 1200)
    own = await listed(running, seller, MUG | {"commission_bp": 0})
    assert (own["commission_bp"], own["effective_commission_bp"]) == (0, 0)
    status, me = await running.call(
        "PATCH", "/api/sellers/me", seller, json={"commission_bp": None}
    )
    assert (status, me["commission_bp"]) == (200, None)
    _, again = await running.call("GET", "/api/sellers/me", seller)
    assert again == me | {"name": "Atelier"}
    viewer = await factory.account(running)
    status, body = await running.call("GET", "/api/sellers/me", viewer)
    assert (status, body["error"]["code"]) == (404, "no_seller")
    status, body = await running.call("PATCH", "/api/sellers/me", json={"commission_bp": 1})
    assert (status, body["error"]["code"]) == (401, "auth_required")


async def test_stock_changes_reach_the_hook_with_exact_deltas(running) -> None:
    """The hook runs after the commit (it sees the new stock in the database) with new - old,
    also while buyers take units off the same row at the same time."""
    db = running.app[DATABASE]
    seen: list[tuple[int, int, int]] = []

    async def stock_changed(variant_id: int, delta: int) -> None:
        async with db.reading() as session:
            stored = await session.scalar(
                select(ProductVariant.stock).where(ProductVariant.id == variant_id)
            )
        seen.append((variant_id, delta, stored))

    catalog = CatalogService(db, stock_changed)
    seller, _ = await shop(running)
    who = running.app[SERVICES].tokens.verify(seller)

    tee = await catalog.create_product(who, ProductInput.parse(TEE))
    ids = {v.sku: v.id for v in tee.variants}
    assert seen == [(ids["TEE-S-RED"], 4, 4), (ids["TEE-M-BLUE"], 2, 2)]  # 0 units: no call
    seen.clear()
    await catalog.update_variant(who, tee.id, "tee-s-red", VariantChange.parse({"stock": 1}))
    await catalog.update_variant(
        who, tee.id, "TEE-S-RED", VariantChange.parse({"stock": 1})
    )  # no change, no call
    await catalog.update_variant(
        who, tee.id, "TEE/M/RED", VariantChange.parse({"price_minor": 100})
    )
    await catalog.update_variant(who, tee.id, "TEE/M/RED", VariantChange.parse({"stock": 6}))
    assert seen == [(ids["TEE-S-RED"], -3, 1), (ids["TEE/M/RED"], 6, 6)]

    mug = await catalog.create_product(who, ProductInput.parse(MUG))
    (mug_variant,) = mug.variants
    seen.clear()
    await catalog.update_product(who, mug.id, ProductChange.parse({"stock": 2, "title": "Big mug"}))
    assert seen == [(mug_variant.id, -5, 2)]

    # Sellers set the stock while buyers take units: every unit is accounted for.
    seen.clear()
    variant_id = ids["TEE-M-BLUE"]

    async def buy_one() -> int:
        async with db.writing() as session:
            result = await session.execute(
                update(ProductVariant)
                .where(ProductVariant.id == variant_id, ProductVariant.stock >= 1)
                .values(stock=ProductVariant.stock - 1)
            )
            return result.rowcount

    done = asyncio.Event()

    async def buyer() -> int:
        sold = 0
        while not done.is_set():
            sold += await buy_one()
        return sold

    async def restocks() -> int:
        try:
            for units in (30, 5, 17, 40, 8, 25, 12, 33):
                await catalog.update_variant(
                    who, tee.id, "TEE-M-BLUE", VariantChange.parse({"stock": units})
                )
        finally:
            done.set()
        return 0

    sold = sum(await asyncio.gather(*(buyer() for _ in range(4)), restocks()))
    async with db.reading() as session:
        final = await session.scalar(
            select(ProductVariant.stock).where(ProductVariant.id == variant_id)
        )
    assert 2 + sum(delta for _, delta, _ in seen) - sold == final
    assert {v for v, _, _ in seen} == {variant_id}
