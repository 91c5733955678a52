import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.orders import (
    MAX_QUANTITY_PER_ORDER,
    BuyRequest,
    CheckoutRequest,
    Item,
    check_buyable,
    check_same_request,
)

GOOD = {"product_id": 3, "quantity": 2, "idempotency_key": "abcd1234"}


def test_parse_valid_request() -> None:
    assert BuyRequest.parse(GOOD) == BuyRequest(3, 2, "abcd1234")


def test_quantity_defaults_to_one() -> None:
    assert BuyRequest.parse({"product_id": 3, "idempotency_key": "abcd1234"}).quantity == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"product_id": 0}, "bad_product"),
        ({"product_id": "3"}, "bad_product"),
        ({"product_id": True}, "bad_product"),
        ({"product_id": 2**31}, "bad_product"),
        ({"quantity": 0}, "bad_quantity"),
        ({"quantity": MAX_QUANTITY_PER_ORDER + 1}, "bad_quantity"),
        ({"quantity": 1.5}, "bad_quantity"),
        ({"idempotency_key": "short"}, "bad_idempotency_key"),
        ({"idempotency_key": "has space in it"}, "bad_idempotency_key"),
        ({"idempotency_key": None}, "bad_idempotency_key"),
    ],
)
def test_bad_requests_name_the_field(change: dict, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BuyRequest.parse(GOOD | change)
    assert caught.value.code == code


@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers())))
def test_non_objects_are_refused(payload: object) -> None:
    with pytest.raises(ValidationError):
        BuyRequest.parse(payload)


def test_only_live_shows_sell_from_their_lineup() -> None:
    check_buyable("live", True)
    with pytest.raises(Conflict) as not_live:
        check_buyable("scheduled", True)
    assert not_live.value.code == "not_live"
    with pytest.raises(ValidationError) as outside:
        check_buyable("live", False)
    assert outside.value.code == "not_in_lineup"


def test_a_reused_key_must_repeat_the_same_purchase() -> None:
    check_same_request([(3, "P3", 2)], BuyRequest(3, 2, "abcd1234").items)
    check_same_request([(3, "M-RED", 2)], BuyRequest(3, 2, "abcd1234", sku="m-red").items)
    cart = (Item(4, None, 1), Item(3, None, 2))
    check_same_request([(3, "P3", 2), (4, "P4", 1)], cart)  # lines in any order
    for earlier, asked in [
        ([(3, "P3", 1)], BuyRequest(3, 2, "abcd1234").items),  # another quantity
        ([(3, "P3", 2)], BuyRequest(4, 2, "abcd1234").items),  # another product
        ([(3, "S", 2)], BuyRequest(3, 2, "abcd1234", sku="M").items),  # another variant
        ([(3, "P3", 2), (4, "P4", 1)], BuyRequest(3, 2, "abcd1234").items),  # fewer lines
    ]:
        with pytest.raises(Conflict) as caught:
            check_same_request(earlier, asked)
        assert caught.value.code == "idempotency_reused"


def test_buy_requests_read_the_variant_coupon_and_one_tap_pay() -> None:
    parsed = BuyRequest.parse(GOOD | {"sku": "M-RED", "coupon": "LIVE10", "pay": True})
    assert (parsed.sku, parsed.coupon, parsed.pay) == ("M-RED", "LIVE10", True)
    assert parsed.items == (Item(3, "M-RED", 2),)
    assert CheckoutRequest.parse({"idempotency_key": "abcd1234"}) == CheckoutRequest("abcd1234")
    for bad, code in [
        ({"pay": 1}, "bad_pay"),
        ({"sku": ""}, "bad_sku"),
        ({"coupon": 5}, "bad_coupon_code"),
    ]:
        with pytest.raises(ValidationError) as caught:
            BuyRequest.parse(GOOD | bad)
        assert caught.value.code == code
    with pytest.raises(ValidationError):
        CheckoutRequest.parse({"idempotency_key": "x"})
