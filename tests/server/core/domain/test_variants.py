import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.errors import DomainError, NotFound, ValidationError
from server.core.domain.money import Money
from server.core.domain.streams import LANGUAGES
from server.core.domain.variants import (
    MAX_OPTIONS,
    MAX_VARIANTS,
    Localized,
    Option,
    Variant,
    VariantSet,
    check_variants,
    parse_description,
    parse_title,
)

SIZE = Option("size", ("S", "M"))
COLOUR = Option("colour", ("red", "blue"))
PAYLOAD = {
    "options": [{"name": "size", "values": ["S", "M"]}, {"name": "colour", "values": ["red"]}],
    "variants": [
        {"sku": "TEE-S-RED", "options": {"size": "S", "colour": "red"}, "stock": 4},
        {
            "sku": "TEE-M-RED",
            "options": {"size": "M", "colour": "red"},
            "stock": 0,
            "price_minor": 2499,
        },
    ],
}


def test_parse_reads_options_and_variants_in_option_order() -> None:
    found = VariantSet.parse(PAYLOAD)
    assert found.options == (Option("size", ("S", "M")), Option("colour", ("red",)))
    assert found.variants == (
        Variant("TEE-S-RED", ("S", "red"), 4),
        Variant("TEE-M-RED", ("M", "red"), 0, 2499),
    )
    assert found.total_stock == 4


def test_variant_price_overrides_the_product_price() -> None:
    found = VariantSet.parse(PAYLOAD)
    base = Money(1999, "PLN")
    assert found.by_sku("tee-s-red").price(base) == base
    assert found.by_values({"size": "M", "colour": "red"}).price(base) == Money(2499, "PLN")


def test_unknown_variant_is_not_found() -> None:
    found = VariantSet.parse(PAYLOAD)
    with pytest.raises(NotFound) as caught:
        found.by_values({"size": "L", "colour": "red"})
    assert caught.value.code == "variant_not_found"
    with pytest.raises(NotFound):
        found.by_sku("TEE-XL")


def test_a_product_without_options_has_one_plain_variant() -> None:
    found = check_variants([], [Variant("MUG-1", (), 12)])
    assert found.by_values({}).sku == "MUG-1"


@pytest.mark.parametrize(
    ("options", "variants", "code"),
    [
        ([SIZE], [Variant("A", ("S",), 1), Variant("a", ("M",), 1)], "duplicate_sku"),
        ([SIZE], [Variant("A", ("S",), 1), Variant("B", ("S",), 1)], "duplicate_variant"),
        ([SIZE], [Variant("A", ("XL",), 1)], "bad_option_value"),
        ([SIZE, COLOUR], [Variant("A", ("S",), 1)], "bad_option_value"),
        ([SIZE], [Variant("has space", ("S",), 1)], "bad_sku"),
        ([SIZE], [Variant("-A", ("S",), 1)], "bad_sku"),
        ([SIZE], [Variant("A", ("S",), -1)], "bad_stock"),
        ([SIZE], [Variant("A", ("S",), 1, -5)], "bad_price"),
        ([SIZE], [], "bad_variants"),
        ([SIZE, Option("Size", ("X",))], [Variant("A", ("S", "X"), 1)], "bad_options"),
        ([Option("size", ("S", "s"))], [Variant("A", ("S",), 1)], "bad_options"),
        ([Option("size", ())], [Variant("A", (), 1)], "bad_options"),
        ([Option("", ("S",))], [Variant("A", ("S",), 1)], "bad_options"),
        (
            [Option(f"o{i}", ("x",)) for i in range(MAX_OPTIONS + 1)],
            [Variant("A", ("x",) * (MAX_OPTIONS + 1), 1)],
            "bad_options",
        ),
    ],
)
def test_bad_definitions_name_the_problem(
    options: list[Option], variants: list[Variant], code: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        check_variants(options, variants)
    assert caught.value.code == code


def test_variant_count_is_limited() -> None:
    option = Option("n", tuple(str(i) for i in range(30)))
    many = [Variant(f"S{i}", (str(i % 30),), 1) for i in range(MAX_VARIANTS + 1)]
    with pytest.raises(ValidationError) as caught:
        check_variants([option], many)
    assert caught.value.code == "bad_variants"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"variants": None}, "bad_variants"),
        ({"options": "size"}, "bad_options"),
        ({"variants": [{"sku": "X", "options": {"size": "S"}, "stock": 1}]}, "bad_option_value"),
        ({"variants": ["TEE"]}, "bad_variants"),
    ],
)
def test_parse_refuses_malformed_payloads(change: dict, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        VariantSet.parse(PAYLOAD | change)
    assert caught.value.code == code


@given(
    skus=st.lists(st.from_regex(r"[A-Z0-9]{1,6}", fullmatch=True), min_size=1, max_size=12),
    stock=st.integers(0, 1000),
)
def test_any_case_insensitively_repeated_sku_is_refused(skus: list[str], stock: int) -> None:
    option = Option("n", tuple(str(i) for i in range(len(skus))))
    variants = [
        Variant(sku.lower() if i % 2 else sku, (str(i),), stock) for i, sku in enumerate(skus)
    ]
    if len(set(skus)) == len(skus):
        assert check_variants([option], variants).total_stock == stock * len(skus)
    else:
        with pytest.raises(ValidationError, match="used twice"):
            check_variants([option], variants)


TITLE = Localized("pl", {"pl": "Koszulka", "en": "T-shirt", "uk": "Футболка"})


@pytest.mark.parametrize(
    ("asked", "shown"),
    [
        ("en", "T-shirt"),
        ("uk", "Футболка"),
        ("fr", "Koszulka"),
        ("EN", "T-shirt"),
        ("en-GB", "T-shirt"),
        (None, "Koszulka"),
        ("", "Koszulka"),
        ("xx", "Koszulka"),
    ],
)
def test_pick_falls_back_to_the_default_language(asked: str | None, shown: str) -> None:
    assert TITLE.pick(asked) == shown


@given(st.sampled_from(LANGUAGES), st.sampled_from(LANGUAGES), st.text(min_size=1))
def test_pick_always_finds_a_text(default: str, asked: str, text: str) -> None:
    assert Localized(default, {default: text}).pick(asked) == text


def test_localized_parse_accepts_a_string_or_texts_by_language() -> None:
    assert parse_title("  Mug ", "en") == Localized("en", {"en": "Mug"})
    parsed = parse_description({"fr": "Tasse", "en": "A mug", "ru": "  "}, "fr")
    assert parsed.texts == {"fr": "Tasse", "en": "A mug"}  # blank texts fall back, not show


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"en": "Mug"}, "bad_title"),  # nothing in the default language
        ({"de": "Becher", "fr": "Tasse"}, "bad_language"),
        ({"fr": 3}, "bad_title"),
        ({"fr": "x" * 201}, "bad_title"),
        (7, "bad_title"),
        ("   ", "bad_title"),
    ],
)
def test_localized_parse_refuses(payload: object, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_title(payload, "fr")
    assert caught.value.code == code


def test_localized_needs_a_default_text_and_known_languages() -> None:
    with pytest.raises(ValidationError):
        Localized("en", {"fr": "x"})
    with pytest.raises(ValidationError):
        Localized("de", {"de": "x"})


def test_a_buyer_names_a_variant_by_sku_in_any_case_or_none_for_the_only_one() -> None:
    from types import SimpleNamespace

    from server.core.domain.variants import pick_by_sku

    one = [SimpleNamespace(sku="P1")]
    two = [SimpleNamespace(sku="M-RED"), SimpleNamespace(sku="L-RED")]
    assert pick_by_sku(one, None) is one[0]
    assert pick_by_sku(two, "l-red") is two[1]
    for variants, sku, code in [
        (two, None, "variant_required"),
        (two, "XL", "variant_not_found"),
        ([], None, "not_found"),
    ]:
        with pytest.raises(DomainError) as caught:
            pick_by_sku(variants, sku)
        assert caught.value.code == code
