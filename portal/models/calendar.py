"""The working-day calendar the agency keeps: days entered from the State Council's yearly
holiday notice, and per year whether a second person has confirmed the entry (maker–checker)."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class WorkdayOverride(Base):
    __tablename__ = "workday_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(120))  # e.g. the State Council notice it comes from
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarYear(Base):
    """A year's holiday notice (国务院办公厅关于…部分节假日安排的通知) as entered by one member
    of staff (status entered) and confirmed by a different one (status confirmed). Any later
    change to the year's days puts it back to entered. Deadlines in a year that is not confirmed
    say they may move (rules.workdays.year_is_confirmed)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    notice: Mapped[str] = mapped_column(String(120))  # the notice's title or document number
    status: Mapped[str] = mapped_column(String(12), default="entered")  # entered / confirmed
    entered_by: Mapped[str] = mapped_column(String(40))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by: Mapped[str | None] = mapped_column(String(40))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
