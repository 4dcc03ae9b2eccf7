"""Working days and deadlines (domain.md: working days; counting a deadline)."""

from datetime import date, timedelta

import pytest

from portal.rules.workdays import WorkdayCalendar, add_workdays, workdays_between

CALENDAR = WorkdayCalendar()


def test_domain_guide_example():
    """Received Friday 2026-02-13: Sat 02-14 (make-up day), Tue 02-24, Wed 02-25."""
    deadline = CALENDAR.deadline(date(2026, 2, 13), 3)
    assert deadline.received == date(2026, 2, 13)
    assert deadline.due == date(2026, 2, 25)
    assert deadline.uncertain_years == ()


def test_2026_has_248_working_days():
    assert workdays_between(date(2025, 12, 31), date(2026, 12, 31)) == 248


@pytest.mark.parametrize("day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
                                 "2026-09-20", "2026-10-10"])
def test_2026_make_up_weekend_days_are_working_days(day):
    moved = date.fromisoformat(day)
    assert moved.weekday() >= 5 and CALENDAR.is_workday(moved)


@pytest.mark.parametrize("offset", range(7))
def test_national_day_week_is_off(offset):
    assert not CALENDAR.is_workday(date(2026, 10, 1) + timedelta(days=offset))


def test_submission_on_a_holiday_counts_from_the_next_working_day():
    deadline = CALENDAR.deadline(date(2026, 10, 3), 5)  # Saturday in the National Day week
    assert deadline.received == date(2026, 10, 8)
    # 10-09 Fri, 10-10 Sat (make-up), 10-12 Mon, 10-13 Tue, 10-14 Wed
    assert deadline.due == date(2026, 10, 14)


def test_submission_on_an_ordinary_sunday():
    deadline = CALENDAR.deadline(date(2026, 11, 22), 3)
    assert deadline.received == date(2026, 11, 23)
    assert deadline.due == date(2026, 11, 26)


def test_spring_festival_deadline():
    # received Fri 2026-02-13; 5 days: 02-14 (Sat make-up), 02-24, 02-25, 02-26, 02-27
    assert CALENDAR.deadline(date(2026, 2, 13), 5).due == date(2026, 2, 27)


def test_zero_days_and_negative():
    assert CALENDAR.add_workdays(date(2026, 10, 3), 0) == date(2026, 10, 3)
    with pytest.raises(ValueError):
        CALENDAR.add_workdays(date(2026, 10, 3), -1)


def test_add_and_between_are_inverse():
    start = date(2026, 1, 1)
    for n in (1, 5, 15, 40, 120):
        due = add_workdays(start, n)
        assert workdays_between(start, due) == n
        assert CALENDAR.is_workday(due)


def test_between_is_zero_when_end_is_not_after_start():
    assert workdays_between(date(2026, 3, 3), date(2026, 3, 3)) == 0
    assert workdays_between(date(2026, 3, 3), date(2026, 3, 1)) == 0


def test_year_without_data_falls_back_to_monday_to_friday_and_is_flagged():
    assert not CALENDAR.year_is_known(2027)
    assert CALENDAR.is_workday(date(2027, 1, 1))  # a Friday; really New Year's Day, unknown yet
    assert not CALENDAR.is_workday(date(2027, 1, 2))
    deadline = CALENDAR.deadline(date(2026, 12, 29), 5)
    # 12-30, 12-31, then the 2027 guess: 01-01 (Fri), 01-04, 01-05
    assert deadline.due == date(2027, 1, 5)
    assert deadline.uncertain_years == (2027,)


def test_overrides_make_a_year_known_and_win():
    calendar = WorkdayCalendar({date(2027, 1, 1): False})
    assert calendar.year_is_known(2027)
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.deadline(date(2026, 12, 29), 5).due == date(2027, 1, 6)
    assert calendar.deadline(date(2026, 12, 29), 5).uncertain_years == ()


def test_override_can_turn_a_library_holiday_into_a_working_day():
    calendar = WorkdayCalendar({date(2026, 10, 5): True})
    assert calendar.is_workday(date(2026, 10, 5))
    assert not CALENDAR.is_workday(date(2026, 10, 5))


def test_uncertain_years_lists_every_unknown_year_on_the_way():
    assert CALENDAR.uncertain_years(date(2026, 6, 1), date(2028, 1, 10)) == (2027, 2028)
