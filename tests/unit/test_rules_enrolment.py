"""Who may enrol (国发〔2014〕8号; 第七条) and contribution tiers (第十一条)."""

from datetime import date

import pytest

from portal.rules import contact, contributions
from portal.rules.enrolment import EnrolmentFacts, age_on, obstacles
from portal.schemes import scheme_for

COUNTY = "539901000000"
TODAY = date(2026, 11, 24)


def facts(**changes):
    base = dict(birth_date=date(1990, 1, 1), alive=True, hukou_region_code="539901100201",
                in_employee_scheme=False, resident_scheme_region=None)
    return EnrolmentFacts(**{**base, **changes})


def test_eligible_resident_has_no_obstacles():
    assert obstacles(facts(), COUNTY, TODAY) == []


@pytest.mark.parametrize(("changes", "reason"), [
    ({"alive": False}, "deceased"),
    ({"resident_scheme_region": "539901000000"}, "already_enrolled_here"),
    ({"resident_scheme_region": "519901000000"}, "already_enrolled_elsewhere"),
    ({"in_employee_scheme": True}, "employee_scheme"),
    ({"birth_date": date(2010, 11, 25)}, "too_young"),  # 16 tomorrow
    ({"hukou_region_code": "539902100201"}, "hukou_elsewhere"),
])
def test_each_obstacle(changes, reason):
    assert obstacles(facts(**changes), COUNTY, TODAY) == [reason]


def test_unknown_hukou_is_left_to_documents():
    assert obstacles(facts(hukou_region_code=None), COUNTY, TODAY) == []


def test_sixteenth_birthday_is_enough():
    assert obstacles(facts(birth_date=date(2010, 11, 24)), COUNTY, TODAY) == []


def test_students_are_stopped_and_several_reasons_add_up():
    assert obstacles(facts(in_employee_scheme=True), COUNTY, TODAY, is_student=True) == [
        "employee_scheme", "student"]


@pytest.mark.parametrize(("born", "age"), [
    (date(1966, 12, 9), 59), (date(1966, 11, 24), 60), (date(2000, 2, 29), 26)])
def test_age(born, age):
    assert age_on(born, TODAY) == age


def test_tiers_and_subsidies_come_from_configuration():
    scheme = scheme_for("530000")
    tiers = contributions.tiers(scheme, 2026)
    assert tiers[0] == contributions.Tier(10000, 3000)
    assert all(t.subsidy_fen >= 3000 for t in tiers)  # at least 30 yuan (domain.md)
    assert all(t.subsidy_fen >= 6000 for t in tiers if t.amount_fen >= 50000)
    amounts = [t.amount_fen for t in tiers]
    subsidies = [t.subsidy_fen for t in tiers]
    assert amounts == sorted(amounts) and subsidies == sorted(subsidies)  # more pays more
    assert contributions.tier_for(scheme, 2026, 50000).subsidy_fen == 6000
    assert contributions.tier_for(scheme, 2026, 12345) is None


def test_a_later_year_uses_the_latest_configuration_and_earlier_years_fail():
    scheme = scheme_for("530000")
    assert contributions.tiers(scheme, 2027) == contributions.tiers(scheme, 2026)
    with pytest.raises(contributions.NoSchemeForYear):
        contributions.tiers(scheme, 2008)


def test_government_pays_the_lowest_tier_for_severely_disabled():
    scheme = scheme_for("530000")
    assert contributions.government_pays_fen(scheme, 2026, True) == 10000
    assert contributions.government_pays_fen(scheme, 2026, False) == 0


@pytest.mark.parametrize(("typed", "problem"), [
    ("13812345678", None), ("138 1234 5678", None), ("+86 138-1234-5678", None),
    ("0871-63123456", None), ("", "reach"), ("1381234567", "11-digit"),
    ("12812345678", "11-digit"), ("138abc45678", "digits only"),
])
def test_phone_numbers(typed, problem):
    found = contact.phone_problem(typed)
    assert (found is None) if problem is None else (problem in found)


def test_addresses():
    assert contact.address_problem("青山县青山镇东山村3组8号") is None
    assert "full address" in contact.address_problem("东山村")
    assert "120" in contact.address_problem("村" * 121)
