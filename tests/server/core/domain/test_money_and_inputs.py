import pytest

from server.core.domain.accounts import check_display_name, check_email, check_password
from server.core.domain.catalog import ProductInput, check_image_url
from server.core.domain.errors import ValidationError
from server.core.domain.money import Money, check_currency
from server.core.domain.roles import Principal, Role, can_moderate, can_pin, can_run_stream
from server.core.domain.streams import check_language, check_lineup


def test_money_formats_minor_units() -> None:
    assert str(Money(5990, "EUR")) == "59.90 EUR"
    assert str(Money(5, "PLN")) == "0.05 PLN"


def test_money_refuses_floats_and_unknown_currencies() -> None:
    with pytest.raises(ValidationError):
        Money(59.9, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        check_currency("XYZ")


@pytest.mark.parametrize("lang", ["en", "fr", "es", "pt", "it", "pl", "ru", "uk"])
def test_the_eight_show_languages(lang: str) -> None:
    assert check_language(lang) == lang


def test_other_languages_are_refused() -> None:
    with pytest.raises(ValidationError):
        check_language("de")


def test_display_names_are_trimmed_and_printable() -> None:
    assert check_display_name("  Ana   Maria ") == "Ana Maria"
    for bad in ("", "   ", "a" * 41, "bell\x07", 42):
        with pytest.raises(ValidationError):
            check_display_name(bad)


def test_email_and_password() -> None:
    assert check_email(" Ana@Example.test ") == "ana@example.test"
    with pytest.raises(ValidationError):
        check_email("not-an-email")
    with pytest.raises(ValidationError):
        check_password("short")


def test_image_urls_are_http_only() -> None:
    assert check_image_url("https://cdn.example/x.jpg")
    with pytest.raises(ValidationError):
        check_image_url("javascript:alert(1)")


def test_product_input_names_the_bad_field() -> None:
    good = {"title": "Mug", "price_minor": 1500, "currency": "UAH", "stock": 3}
    assert ProductInput.parse(good).price_minor == 1500
    with pytest.raises(ValidationError) as caught:
        ProductInput.parse(good | {"stock": -1})
    assert caught.value.code == "bad_stock"


def test_lineup_refuses_duplicates() -> None:
    with pytest.raises(ValidationError):
        check_lineup([1, 1])


def test_roles() -> None:
    host = Principal("u:1", "h", Role.HOST, 1)
    other_host = Principal("u:2", "h2", Role.HOST, 2)
    mod = Principal("u:3", "m", Role.MODERATOR, 3)
    viewer = Principal("u:4", "v", Role.VIEWER, 4)
    assert can_pin(host, 1) and can_pin(mod, 1)
    assert not can_pin(other_host, 1) and not can_pin(viewer, 1)
    assert can_moderate(mod, 1) and not can_moderate(viewer, 1)
    assert can_run_stream(host, 1) and not can_run_stream(mod, 1)
