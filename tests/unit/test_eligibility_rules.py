"""The yearly eligibility confirmation's dates (第三十一条) and the silent check
(人社厅发〔2018〕107号), with 29 February and the grace period before a suspension (第三十三条)."""

from datetime import date

import pytest

from portal.rules import eligibility as rules


@pytest.mark.parametrize(("last", "due"), [
    (date(2025, 12, 1), date(2026, 12, 1)),
    (date(2024, 2, 29), date(2025, 2, 28)),  # no 29 February next year: the day before
    (date(2027, 2, 28), date(2028, 2, 28)),  # a leap year after: still the same date
    (date(2026, 12, 31), date(2027, 12, 31)),
])
def test_due_twelve_months_after_the_last_confirmation(last, due):
    assert rules.next_due(last) == due


def test_standing_moves_from_confirmed_to_missed():
    due = date(2026, 12, 1)
    reminder, grace = 30, 60
    assert rules.standing(date(2026, 10, 31), due, reminder, grace) == rules.CONFIRMED
    assert rules.standing(date(2026, 11, 1), due, reminder, grace) == rules.DUE_SOON
    assert rules.standing(due, due, reminder, grace) == rules.DUE_SOON
    assert rules.standing(date(2026, 12, 2), due, reminder, grace) == rules.OVERDUE
    assert rules.grace_ends(due, grace) == date(2027, 1, 30)
    assert rules.standing(date(2027, 1, 30), due, reminder, grace) == rules.OVERDUE
    assert rules.standing(date(2027, 1, 31), due, reminder, grace) == rules.MISSED


def test_a_grace_period_of_nothing_suspends_the_day_after():
    assert rules.standing(date(2026, 12, 2), date(2026, 12, 1), 30, 0) == rules.MISSED


@pytest.mark.parametrize(("found", "first_unpaid"), [
    (date(2027, 1, 31), date(2027, 2, 1)),  # 第三十三条: the month in progress is still paid
    (date(2027, 12, 5), date(2028, 1, 1)),
    (date(2028, 2, 29), date(2028, 3, 1)),
])
def test_a_missed_confirmation_suspends_from_the_next_month(found, first_unpaid):
    assert rules.suspension_month(found) == first_unpaid


TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(("facts", "confirms"), [
    (rules.RegistryFacts(True, True, False, date(2026, 10, 8)), True),
    (rules.RegistryFacts(True, True, False, date(2026, 5, 29)), True),  # exactly 180 days
    (rules.RegistryFacts(True, True, False, date(2026, 5, 28)), False),  # too old
    (rules.RegistryFacts(True, True, False, None), False),  # no trace of life at all
    (rules.RegistryFacts(False, True, False, date(2026, 10, 8)), False),  # a death recorded
    (rules.RegistryFacts(True, False, False, date(2026, 10, 8)), False),  # moved away
    (rules.RegistryFacts(True, True, True, date(2026, 10, 8)), False),  # in custody (第三十条)
    (rules.RegistryFacts(True, True, False, date(2026, 11, 26)), False),  # not yet happened
])
def test_silent_confirmation_needs_every_register_and_a_recent_trace(facts, confirms):
    assert rules.silent_confirms(facts, TODAY, 180) is confirms
