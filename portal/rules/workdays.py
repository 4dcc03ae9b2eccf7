"""Working days and legal deadlines: China's official holidays and make-up workdays (调休).

Sources, in order: an agency override for the date (stored in the database, passed in as data,
entered from the State Council's yearly notice); then the `holidays` package, which encodes the
statutory days of 全国年节及纪念日放假办法 (revised 2024) for every year, including the 补假 for a
statutory day on a weekend, and the published 调休 make-up workdays for the years whose notice it
carries (through 2026). For a later year the statutory days are certain, only the make-up weekends
are not: such a year is *unconfirmed* until staff enter the notice and a second person confirms
it, and every deadline that falls in or passes through it says it may move (可能调整).

Counting convention for "自收到申请之日起N个工作日内" (domain.md): the day of receipt is not
counted (民法典 第二百零一条); the deadline is the N-th working day after the day of receipt. An
application submitted on a non-working day is received on the next working day, and counting
starts the day after that.
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

ONE_DAY = timedelta(days=1)

# The last year whose State Council notice (with its make-up workdays) the `holidays` package
# carries; tests/unit/test_rules_workdays.py checks it against the package and, for the years
# chinesecalendar covers, against that library too. Later years need staff confirmation.
NOTICE_IN_LIBRARY_THROUGH = 2026


@lru_cache(maxsize=32)
def _china(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


def library_is_workday(day: date) -> bool:
    """The `holidays` package's answer: weekdays except holidays, plus make-up weekends."""
    return _china(day.year).is_working_day(day)


def library_holidays(year: int) -> dict[date, str]:
    """The statutory days off the package knows for `year` (names in English)."""
    return dict(_china(year).items())


def year_is_confirmed(day_or_year: date | int, confirmed_years: Collection[int]) -> bool:
    """Whether deadlines in this date's year rest on a confirmed holiday notice: a year whose
    notice the library carries, or one that staff entered and a second person confirmed."""
    year = day_or_year if isinstance(day_or_year, int) else day_or_year.year
    return year <= NOTICE_IN_LIBRARY_THROUGH or year in confirmed_years


@dataclass(frozen=True)
class Deadline:
    due: date
    received: date  # the working day on which the application counts as received
    uncertain_years: tuple[int, ...]  # years on the way whose notice is not confirmed yet

    @property
    def may_move(self) -> bool:
        return bool(self.uncertain_years)


class WorkdayCalendar:
    def __init__(self, overrides: Mapping[date, bool] | None = None,
                 confirmed_years: Collection[int] = ()):
        self.overrides = dict(overrides or {})
        self.confirmed_years = frozenset(confirmed_years)

    def year_is_confirmed(self, year: int) -> bool:
        return year_is_confirmed(year, self.confirmed_years)

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return library_is_workday(day)

    def next_workday_on_or_after(self, day: date) -> date:
        while not self.is_workday(day):
            day += ONE_DAY
        return day

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start` (n = 0 gives `start`)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += ONE_DAY
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end."""
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            count += self.is_workday(day)
        return count

    def nth_workday_of_month(self, year: int, month: int, n: int) -> date:
        """The n-th working day of a month (e.g. the 5th, for monthly reports)."""
        return self.add_workdays(date(year, month, 1) - ONE_DAY, n)

    def monthly_report_due(self, today: date, nth: int = 5) -> date:
        """第三十二条: last month's deaths are reported "at the start of each month"; we hold the
        villages to the 5th working day of the month."""
        return self.nth_workday_of_month(today.year, today.month, nth)

    def uncertain_years(self, start: date, end: date) -> tuple[int, ...]:
        return tuple(y for y in range(start.year, end.year + 1) if not self.year_is_confirmed(y))

    def deadline(self, submitted: date, n: int) -> Deadline:
        received = self.next_workday_on_or_after(submitted)
        due = self.add_workdays(received, n)
        return Deadline(due=due, received=received,
                        uncertain_years=self.uncertain_years(submitted, due))

    def recount(self, submitted: date, received: date, due: date,
                new: "WorkdayCalendar") -> Deadline:
        """The same deadline under a changed calendar: as many working days after receipt as
        this calendar counted, counted again in `new` (an application's own period, whatever
        it was, survives a change of the holiday notice)."""
        return new.deadline(submitted, self.workdays_between(received, due))


def add_workdays(start: date, n: int, calendar: WorkdayCalendar | None = None) -> date:
    return (calendar or WorkdayCalendar()).add_workdays(start, n)


def workdays_between(start: date, end: date, calendar: WorkdayCalendar | None = None) -> int:
    return (calendar or WorkdayCalendar()).workdays_between(start, end)


TYPED_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def parse_days(text: str) -> list[date]:
    """Dates typed one per line, a line with two dates meaning the days from the first to the
    second (2027-02-05 至 2027-02-11). Accepts 2027-2-5, 2027/02/05, 2027.02.05 and 2027年2月5日.
    Raises ValueError naming the line that is not understood."""
    days: list[date] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        found = TYPED_DATE.findall(line)
        if not found or len(found) > 2 or re.search(r"\d", TYPED_DATE.sub("", line)):
            raise ValueError(number)
        try:
            first, *last = [date(int(y), int(m), int(d)) for y, m, d in found]
        except ValueError:
            raise ValueError(number) from None
        end = last[0] if last else first
        if end < first or (end - first).days > 31:
            raise ValueError(number)
        while first <= end:
            days.append(first)
            first += ONE_DAY
    return days


def as_ranges(days: Collection[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped: the way a notice lists them and the form shows them back."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] + ONE_DAY == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


@dataclass(frozen=True)
class DayCell:
    day: date
    kind: str  # workday / weekend / day_off (a holiday on a weekday) / make_up (weekend worked)
    entered: bool  # from the agency's entry of the notice, not the holidays package


def month_grid(calendar: WorkdayCalendar, year: int, month: int) -> list[list[DayCell | None]]:
    """The month as weeks Monday to Sunday (None outside the month), each day with its kind."""
    first = date(year, month, 1)
    weeks: list[list[DayCell | None]] = [[None] * first.weekday()]
    day = first
    while day.month == month:
        weekend = day.weekday() >= 5
        working = calendar.is_workday(day)
        kind = ("make_up" if weekend and working else "weekend" if weekend
                else "workday" if working else "day_off")
        if len(weeks[-1]) == 7:
            weeks.append([])
        weeks[-1].append(DayCell(day, kind, day in calendar.overrides))
        day += ONE_DAY
    weeks[-1] += [None] * (7 - len(weeks[-1]))
    return weeks
