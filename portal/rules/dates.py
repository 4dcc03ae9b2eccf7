"""Business dates are China's (Asia/Shanghai, UTC+8, no daylight saving): the day a resident
submits, the day a deadline counts from, the month a pension is paid for."""

from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def china_today() -> date:
    return datetime.now(UTC).astimezone(CHINA).date()


def last_month(today: date) -> date:
    """The first day of the month before `today`'s (what a monthly report is about)."""
    return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
