"""Working days and legal deadlines: China's official holidays and make-up workdays (调休).

Sources, in order: an agency override for the date (stored in the database, passed in as data);
the `chinese_calendar` library for the years it covers; otherwise Monday–Friday, and the year is
reported as uncertain so staff can see the deadline may move once the State Council notice is out.

Counting convention for "自收到申请之日起N个工作日内" (domain.md): the day of receipt is not
counted (民法典 第二百零一条); the deadline is the N-th working day after the day of receipt. An
application submitted on a non-working day is received on the next working day, and counting
starts the day after that.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    due: date
    received: date  # the working day on which the application counts as received
    uncertain_years: tuple[int, ...]  # years on the way that used the Monday–Friday fallback


@lru_cache(maxsize=64)
def _library_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:  # chinesecalendar's way of saying it has no data for that year
        return False
    return True


class WorkdayCalendar:
    def __init__(self, overrides: Mapping[date, bool] | None = None):
        self.overrides = dict(overrides or {})
        self._override_years = {day.year for day in self.overrides}

    def year_is_known(self, year: int) -> bool:
        return year in self._override_years or _library_covers(year)

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if _library_covers(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

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

    def uncertain_years(self, start: date, end: date) -> tuple[int, ...]:
        return tuple(y for y in range(start.year, end.year + 1) if not self.year_is_known(y))

    def deadline(self, submitted: date, n: int) -> Deadline:
        received = self.next_workday_on_or_after(submitted)
        due = self.add_workdays(received, n)
        return Deadline(due=due, received=received,
                        uncertain_years=self.uncertain_years(submitted, due))


def add_workdays(start: date, n: int, calendar: WorkdayCalendar | None = None) -> date:
    return (calendar or WorkdayCalendar()).add_workdays(start, n)


def workdays_between(start: date, end: date, calendar: WorkdayCalendar | None = None) -> int:
    return (calendar or WorkdayCalendar()).workdays_between(start, end)
