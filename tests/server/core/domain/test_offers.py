"""Offer eligibility as plain rules: who joins how, and which host may line up which product."""

from __future__ import annotations

import pytest

from server.core.domain.errors import Conflict, Forbidden, ValidationError
from server.core.domain.offers import (
    Candidate,
    Filters,
    JoinPolicy,
    MemberStatus,
    OfferStatus,
    OfferTerms,
    check_countries,
    check_languages,
    check_lineup,
    decide,
    join_status,
    offer_rate,
)

SHOP, OTHER = 1, 2
WHOLE = OfferTerms(seller_id=SHOP, product_id=None, rate_bp=1000)
ONE = OfferTerms(seller_id=SHOP, product_id=10, rate_bp=500, languages=frozenset({"pl"}))


def test_joining_an_open_offer_makes_a_member_and_one_asking_approval_an_applicant() -> None:
    assert join_status(WHOLE, None, None) == MemberStatus.APPROVED
    asking = OfferTerms(SHOP, None, 1000, policy=JoinPolicy.APPROVAL)
    assert join_status(asking, "PL", None) == MemberStatus.PENDING


@pytest.mark.parametrize("already", list(MemberStatus))
def test_joining_twice_is_refused_whatever_the_first_answer(already) -> None:
    with pytest.raises(Conflict) as refused:
        join_status(WHOLE, None, already)
    assert refused.value.code == "offer_already_joined"


def test_a_closed_offer_or_another_country_refuses_the_join() -> None:
    closed = OfferTerms(SHOP, None, 1000, status=OfferStatus.CLOSED)
    with pytest.raises(Conflict) as refused:
        join_status(closed, None, None)
    assert refused.value.code == "offer_closed"
    polish = OfferTerms(SHOP, None, 1000, countries=frozenset({"PL"}))
    for country in (None, "DE"):
        with pytest.raises(Forbidden) as refused:
            join_status(polish, country, None)
        assert refused.value.code == "offer_not_in_country"
    assert join_status(polish, "PL", None) == MemberStatus.APPROVED


def test_only_an_application_is_decided_and_only_once() -> None:
    assert decide(MemberStatus.PENDING, True) == MemberStatus.APPROVED
    assert decide(MemberStatus.PENDING, False) == MemberStatus.REJECTED
    for done in (MemberStatus.APPROVED, MemberStatus.REJECTED):
        with pytest.raises(Conflict):
            decide(done, True)


def test_a_shop_outside_the_marketplace_lines_up_freely() -> None:
    check_lineup(
        [Candidate(99, OTHER)], marketplace_sellers=frozenset({SHOP}), joined=[], language="en"
    )


def test_a_marketplace_shop_needs_a_covering_offer_in_the_show_language() -> None:
    rules = {"marketplace_sellers": frozenset({SHOP})}
    with pytest.raises(Forbidden) as refused:
        check_lineup([Candidate(10, SHOP)], joined=[], language="pl", **rules)
    assert refused.value.code == "product_not_joined"
    check_lineup([Candidate(10, SHOP)], joined=[ONE], language="pl", **rules)
    with pytest.raises(Forbidden) as refused:
        check_lineup([Candidate(11, SHOP)], joined=[ONE], language="pl", **rules)
    assert refused.value.code == "product_not_joined"  # ONE is product 10's only
    with pytest.raises(Forbidden) as refused:
        check_lineup([Candidate(10, SHOP)], joined=[ONE], language="en", **rules)
    assert refused.value.code == "offer_not_in_language"
    check_lineup(
        [Candidate(10, SHOP), Candidate(11, SHOP)], joined=[ONE, WHOLE], language="en", **rules
    )
    closed = OfferTerms(SHOP, None, 1000, status=OfferStatus.CLOSED)
    with pytest.raises(Forbidden):
        check_lineup([Candidate(11, SHOP)], joined=[closed], language="en", **rules)


def test_the_products_own_offer_sets_the_rate_before_the_whole_shops() -> None:
    assert offer_rate(10, SHOP, [WHOLE, ONE]) == 500
    assert offer_rate(11, SHOP, [WHOLE, ONE]) == 1000
    assert offer_rate(10, OTHER, [WHOLE, ONE]) is None
    richer = OfferTerms(SHOP, 10, 700)
    assert offer_rate(10, SHOP, [ONE, richer, WHOLE]) == 700
    assert offer_rate(10, SHOP, []) is None


def test_filters_match_what_a_host_browses_by() -> None:
    offer = OfferTerms(
        SHOP, None, 1200, frozenset({"PL"}), frozenset({"pl", "uk"}), category="beauty"
    )
    assert Filters().match(offer)
    assert Filters(category="beauty", language="uk", country="PL", min_rate_bp=1200).match(offer)
    for miss in (
        Filters(category="home"),
        Filters(language="en"),
        Filters(country="FR"),
        Filters(min_rate_bp=1201),
    ):
        assert not miss.match(offer)
    assert Filters(country="FR").match(WHOLE)  # no countries named: every country


def test_countries_and_languages_are_checked() -> None:
    assert check_countries(["PL", "FR"]) == {"PL", "FR"}
    assert check_languages([]) == frozenset()
    for bad in ("PL", ["pl"], ["POL"], [1]):
        with pytest.raises(ValidationError):
            check_countries(bad)
    for bad in ("pl", ["de"]):
        with pytest.raises(ValidationError):
            check_languages(bad)
