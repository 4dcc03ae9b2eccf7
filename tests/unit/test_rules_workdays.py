"""Working days and deadlines (domain.md: working days; counting a deadline)."""

from datetime import date, timedelta

import holidays
import pytest

from portal.rules.workdays import (
    NOTICE_IN_LIBRARY_THROUGH,
    WorkdayCalendar,
    add_workdays,
    as_ranges,
    parse_days,
    workdays_between,
    year_is_confirmed,
)

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


def test_2027_statutory_days_are_days_off_before_any_notice():
    """全国年节及纪念日放假办法 (2024): New Year 1 day; Spring Festival the eve and three days, the
    weekend ones made up on the next working days (补假)."""
    for day in ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10",
                "2027-05-03", "2027-05-04", "2027-10-01", "2027-10-04", "2027-10-05"]:
        assert not CALENDAR.is_workday(date.fromisoformat(day)), day
    assert CALENDAR.is_workday(date(2027, 2, 11))


def test_deadline_across_new_year_2027_skips_new_years_day_and_may_move():
    """第二十四条 (5 working days): received Tue 2026-12-29 → 12-30, 12-31, (01-01 off), 01-04,
    01-05, 01-06; 2027 is not confirmed yet, so the date may move."""
    deadline = CALENDAR.deadline(date(2026, 12, 29), 5)
    assert deadline.due == date(2027, 1, 6)
    assert deadline.uncertain_years == (2027,) and deadline.may_move


def test_deadline_across_the_2027_spring_festival():
    """第四十二条 (5 working days): received Wed 2027-02-03 → 02-04, then 02-05…02-10 off,
    02-11, 02-12, 02-15, 02-16."""
    assert CALENDAR.deadline(date(2027, 2, 3), 5).due == date(2027, 2, 16)
    # submitted during the holiday: received on the first working day after it
    deadline = CALENDAR.deadline(date(2027, 2, 7), 3)
    assert deadline.received == date(2027, 2, 11) and deadline.due == date(2027, 2, 16)


def test_a_single_override_no_longer_confirms_a_year():
    calendar = WorkdayCalendar({date(2027, 1, 1): False})
    assert not calendar.year_is_confirmed(2027)
    assert calendar.deadline(date(2026, 12, 29), 5).uncertain_years == (2027,)


def test_staff_confirmation_makes_a_year_certain_and_overrides_win():
    """A notice's make-up Saturday counts as a working day once entered."""
    calendar = WorkdayCalendar({date(2027, 1, 2): True}, confirmed_years={2027})
    assert calendar.year_is_confirmed(2027)
    assert calendar.is_workday(date(2027, 1, 2))
    deadline = calendar.deadline(date(2026, 12, 29), 5)
    assert deadline.due == date(2027, 1, 5) and deadline.uncertain_years == ()


@pytest.mark.parametrize(("day", "confirmed", "expected"), [
    (date(2026, 12, 31), set(), True), (date(2025, 5, 1), set(), True),
    (date(2027, 1, 4), set(), False), (date(2027, 1, 4), {2027}, True),
    (date(2028, 1, 4), {2027}, False)])
def test_year_is_confirmed_rule(day, confirmed, expected):
    assert year_is_confirmed(day, confirmed) is expected


def test_override_can_turn_a_library_holiday_into_a_working_day():
    calendar = WorkdayCalendar({date(2026, 10, 5): True})
    assert calendar.is_workday(date(2026, 10, 5))
    assert not CALENDAR.is_workday(date(2026, 10, 5))


def test_uncertain_years_lists_every_unconfirmed_year_on_the_way():
    assert CALENDAR.uncertain_years(date(2026, 6, 1), date(2028, 1, 10)) == (2027, 2028)
    assert WorkdayCalendar(confirmed_years={2027}).uncertain_years(
        date(2026, 6, 1), date(2028, 1, 10)) == (2028,)


def test_fifth_working_day_of_a_month():
    assert CALENDAR.nth_workday_of_month(2026, 10, 5) == date(2026, 10, 13)  # 10-10 make-up Sat
    assert CALENDAR.nth_workday_of_month(2027, 2, 5) == date(2027, 2, 11)
    assert CALENDAR.nth_workday_of_month(2026, 12, 5) == date(2026, 12, 7)


def test_recount_keeps_the_number_of_working_days():
    before = WorkdayCalendar()
    after = WorkdayCalendar({date(2027, 1, 4): False})  # a day off more
    new = before.recount(date(2026, 12, 29), date(2026, 12, 29), date(2027, 1, 6), after)
    assert new.due == date(2027, 1, 7)


def test_the_library_carries_the_notices_through_the_last_confirmed_year():
    """NOTICE_IN_LIBRARY_THROUGH is true of the installed package: its last year has make-up
    workdays (调休) from a published notice, the next one none yet."""
    assert any(day.year == NOTICE_IN_LIBRARY_THROUGH
               for day in holidays.China(years=NOTICE_IN_LIBRARY_THROUGH).weekend_workdays)


@pytest.mark.parametrize("year", range(2020, NOTICE_IN_LIBRARY_THROUGH + 1))
def test_agrees_with_chinesecalendar_where_that_has_data(year):
    """Cross-check against the library used before, for the years it covers."""
    chinese_calendar = pytest.importorskip("chinese_calendar")
    day, end = date(year, 1, 1), date(year, 12, 31)
    while day <= end:
        assert CALENDAR.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_parse_days_reads_dates_and_ranges():
    assert parse_days("2027-02-05 至 2027-02-07\n\n2027年1月1日\n2027/5/1") == [
        date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 1, 1),
        date(2027, 5, 1)]
    assert as_ranges([date(2027, 2, 6), date(2027, 2, 5), date(2027, 5, 1)]) == [
        (date(2027, 2, 5), date(2027, 2, 6)), (date(2027, 5, 1), date(2027, 5, 1))]


@pytest.mark.parametrize("text", ["2027-02-31", "hello", "2027-01-05 至 2027-01-01",
                                  "2027-01-01 5", "2027-01-01 2027-03-30"])
def test_parse_days_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError):
        parse_days(text)
