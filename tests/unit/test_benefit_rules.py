"""The benefit formula and claim eligibility (第二十二条至第二十六条), with worked examples."""

from datetime import date

import pytest

from portal.rules import benefits

SCHEME = {"basic_pension_fen": {"2025": 14300, "2026": {"default": 16300, "539902": 17300}},
          "account_divisor": 139, "minimum_years": 15, "pension_age": 60,
          "scheme_start_year": 2009}


def test_monthly_benefit_is_basic_plus_balance_over_139():
    # 13 900.00 yuan ÷ 139 = 100.00 yuan; basic 163.00 in 2026 → 263.00 a month.
    assert benefits.monthly_benefit(SCHEME, date(2026, 12, 9), "539901000000", 1_390_000) == (
        16300, 10000)
    # 10 000.00 yuan ÷ 139 = 71.942… → 71.94 (half up to the fen); the county's top-up applies.
    assert benefits.monthly_benefit(SCHEME, date(2026, 3, 1), "539902000000", 1_000_000) == (
        17300, 7194)
    # 2025 eligibility uses the 2025 basic pension.
    assert benefits.monthly_benefit(SCHEME, date(2025, 6, 30), "539901000000", 0) == (14300, 0)


@pytest.mark.parametrize(("eligible", "first"), [
    (date(2026, 12, 9), date(2027, 1, 1)),
    (date(2026, 1, 1), date(2026, 2, 1)),
    (date(2026, 1, 31), date(2026, 2, 1)),
])
def test_payment_starts_the_month_after_eligibility(eligible, first):
    assert benefits.first_payment_month(eligible) == first


def test_months_between_counts_arrears():
    assert benefits.months_between(date(2026, 11, 1), date(2027, 2, 1)) == [
        date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    assert benefits.months_between(date(2027, 3, 1), date(2027, 2, 1)) == []


@pytest.mark.parametrize(("born", "needed"), [
    (date(1949, 3, 1), 0),  # already 60 when the scheme started in 2009
    (date(1950, 3, 1), 1),  # one year left: every remaining year
    (date(1958, 3, 1), 9),
    (date(1966, 12, 9), 15),  # more than 15 years left: the minimum
    (date(1990, 5, 1), 15),
])
def test_required_years_follow_the_transitional_rules(born, needed):
    assert benefits.required_years(born, 2009) == needed


def facts(**overrides):
    values = dict(birth_date=date(1966, 12, 9), today=date(2026, 11, 25), years_paid=17,
                  alive=True, contributing=True, other_basic_pension=False)
    values.update(overrides)
    return benefits.ClaimFacts(**values)


def test_a_claim_may_be_filed_in_the_month_before_sixty():
    assert benefits.claim_obstacles(facts(), SCHEME) == []
    assert benefits.claim_obstacles(facts(today=date(2026, 10, 1)), SCHEME) == ["not_yet_60"]


def test_ineligible_claims_say_why():
    assert benefits.claim_obstacles(facts(years_paid=14), SCHEME) == ["too_few_years"]
    assert benefits.claim_obstacles(facts(other_basic_pension=True), SCHEME) == ["other_pension"]
    assert "deceased" in benefits.claim_obstacles(facts(alive=False), SCHEME)
    # Born 1955: 60 in 2015, six years from 2009, so six years are enough.
    assert benefits.claim_obstacles(facts(birth_date=date(1955, 1, 1), years_paid=6,
                                          today=date(2026, 11, 25)), SCHEME) == []


@pytest.mark.parametrize(("birth", "due"), [
    (date(1966, 11, 26), True),  # 60 today
    (date(1967, 2, 26), True),  # 60 in 92 days: inside the three months (31 days each)
    (date(1967, 2, 27), True),  # the 93rd day, the last one
    (date(1967, 2, 28), False),  # one day too early to make it
    (date(1966, 11, 25), False),  # 60 yesterday: past pension age, no notice any more
    (date(1980, 5, 1), False),
    (None, False),  # no birth date, nothing to tell
])
def test_the_notice_is_due_only_in_the_three_months_before_pension_age(birth, due):
    """第二十二条: the home page skips every look-up when the birth date says no."""
    assert benefits.notice_due(birth, date(2026, 11, 26), 60, 3) is due
