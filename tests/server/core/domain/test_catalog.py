import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.catalog import (
    ProductChange,
    ProductInput,
    SellerChange,
    VariantChange,
    check_stock_change_allowed,
    edit_description,
    edit_title,
    parse_optional_description,
    read_options,
    read_texts,
    stored_options,
    stored_texts,
)
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.streams import LANGUAGES
from server.core.domain.variants import Localized, Option, Variant

MUG = {"title": "Mug", "price_minor": 900, "currency": "PLN", "stock": 7}
TEE = {
    "title": {"fr": "T-shirt", "en": "Tee"},
    "language": "fr",
    "price_minor": 1999,
    "currency": "EUR",
    "options": [{"name": "size", "values": ["S", "M"]}],
    "variants": [
        {"sku": "TEE-S", "options": {"size": "S"}, "stock": 4},
        {"sku": "TEE-M", "options": {"size": "M"}, "stock": 0, "price_minor": 2499},
    ],
}


def test_a_product_without_options_is_one_variant_named_after_its_id() -> None:
    mug = ProductInput.parse(MUG)
    found = mug.variants_for(42)
    assert found.options == () and found.variants == (Variant("P42", (), 7),)
    assert (mug.language, mug.title, mug.description) == (
        "en",
        Localized("en", {"en": "Mug"}),
        None,
    )
    in_french = ProductInput.parse(MUG | {"language": "fr"})  # a plain string is in `language`
    assert in_french.title == Localized("fr", {"fr": "Mug"})


def test_a_product_with_options_keeps_its_variants() -> None:
    tee = ProductInput.parse(TEE | {"commission_bp": 1500})
    assert tee.variants_for(42).variants == (
        Variant("TEE-S", ("S",), 4),
        Variant("TEE-M", ("M",), 0, 2499),
    )
    assert (tee.language, tee.title.pick("en"), tee.commission_bp) == ("fr", "Tee", 1500)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (TEE | {"stock": 1}, "stock_and_variants"),
        (MUG | {"options": []}, "stock_and_variants"),
        ({k: v for k, v in MUG.items() if k != "stock"}, "bad_stock"),
        (MUG | {"language": "de"}, "bad_language"),
        (TEE | {"language": "en", "title": {"fr": "T-shirt"}}, "bad_title"),  # nothing in en
        (MUG | {"sku": "X"}, "bad_field"),
        (MUG | {"commission_bp": 10_001}, "bad_commission_rate"),
        (MUG | {"commission_bp": False}, "bad_commission_rate"),
        (MUG | {"description": {"xx": "?"}}, "bad_language"),
        ([MUG], "invalid"),
    ],
)
def test_new_product_refusals_name_the_problem(payload: object, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ProductInput.parse(payload)
    assert caught.value.code == code


@pytest.mark.parametrize("empty", [None, "", "  ", {}, {"en": "", "fr": " "}])
def test_a_description_may_be_left_out(empty: object) -> None:
    assert parse_optional_description(empty, "en") is None


def test_a_string_change_is_the_default_language_and_an_object_sets_languages() -> None:
    current = Localized("fr", {"fr": "Robe", "en": "Dress"})
    assert edit_title(current, "fr", "Robe longue").texts == {"fr": "Robe longue", "en": "Dress"}
    assert edit_title(current, "fr", {"it": "Abito", "en": ""}).texts == {
        "fr": "Robe",
        "it": "Abito",
    }
    with pytest.raises(ValidationError) as caught:
        edit_title(current, "fr", {"fr": " "})
    assert caught.value.code == "bad_title"
    assert edit_description(current, "fr", {"fr": "", "en": ""}) is None
    assert edit_description(None, "fr", "Lin.") == Localized("fr", {"fr": "Lin."})
    with pytest.raises(ValidationError) as caught:
        edit_description(None, "fr", {"en": "Linen."})
    assert caught.value.code == "bad_description"


def test_product_change_says_which_fields_were_given() -> None:
    change = ProductChange.parse({"commission_bp": None, "title": {"pl": "Kubek"}})
    assert change.given == {"commission_bp", "title"}
    assert (change.commission_bp, change.title) == (None, {"pl": "Kubek"})


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "invalid"),
        ("stock", "invalid"),
        ({"currency": "EUR"}, "bad_field"),
        ({"title": {"de": "Becher"}}, "bad_language"),
        ({"title": {"fr": 3}}, "bad_title"),
        ({"title": None}, "bad_title"),
        ({"description": "x" * 5001}, "bad_description"),
        ({"stock": True}, "bad_stock"),
        ({"price_minor": None}, "bad_price"),
        ({"image_url": "ftp://x"}, "bad_image_url"),
        ({"commission_bp": 10_001}, "bad_commission_rate"),
    ],
)
def test_product_change_refusals_name_the_problem(payload: object, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ProductChange.parse(payload)
    assert caught.value.code == code


def test_variant_and_seller_changes() -> None:
    assert VariantChange.parse({"price_minor": None}).given == {"price_minor"}
    assert VariantChange.parse({"stock": 3}).stock == 3
    for bad, code in [({"sku": "X"}, "bad_field"), ({"stock": -1}, "bad_stock"), ({}, "invalid")]:
        with pytest.raises(ValidationError) as caught:
            VariantChange.parse(bad)
        assert caught.value.code == code
    shop = SellerChange.parse({"commission_bp": 1200, "name": " Atelier "})
    assert (shop.name, shop.commission_bp, shop.given) == (
        "Atelier",
        1200,
        {"name", "commission_bp"},
    )
    assert SellerChange.parse({"commission_bp": None}).given == {"commission_bp"}
    with pytest.raises(ValidationError) as caught:
        SellerChange.parse({"commission_bp": 10_001})
    assert caught.value.code == "bad_commission_rate"


def test_stock_is_set_through_the_product_only_with_one_variant() -> None:
    check_stock_change_allowed(1)
    for count in (0, 2):
        with pytest.raises(Conflict) as caught:
            check_stock_change_allowed(count)
        assert caught.value.code == "has_variants"


texts = st.text(min_size=1, max_size=20).filter(lambda t: t.strip() == t and t)


@given(st.sampled_from(LANGUAGES), st.dictionaries(st.sampled_from(LANGUAGES), texts, min_size=0))
def test_texts_survive_the_row(default: str, others: dict[str, str]) -> None:
    original = Localized(default, {**others, default: others.get(default, "x")})
    assert read_texts(default, *stored_texts(original)) == original


def test_no_description_is_stored_empty_and_options_survive_the_row() -> None:
    assert stored_texts(None) == ("", "{}") and read_texts("en", "", "{}") is None
    options = (Option("size", ("S", "M")), Option("couleur", ("écru",)))
    assert read_options(stored_options(options)) == options
