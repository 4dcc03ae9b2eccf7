"""When scheduled work runs (the task engine's beat), and how long a failed SMS waits before the
next try. Pure: no Flask, no Celery, no database.

Times are China time (Asia/Shanghai). A schedule entry is a crontab line of five fields
(minute hour day-of-month month day-of-week), a number of seconds for work that runs all day
(the outbox), or "off".
"""

import re
from dataclasses import dataclass

# entry → (job name, default when). The jobs are registered with portal.jobs.job; an entry whose
# job is not registered where the beat starts is logged and skipped.
DEFAULT_SCHEDULE: dict[str, tuple[str, str | int]] = {
    # 第二十七条: the month's payment list and bank file, early in the month so the bank pays by
    # PENSION_PAYMENT_DAY; the run compares beneficiaries with the registries first (第三十条).
    "payment_run": ("benefits.run_month", "0 6 1 * *"),
    # 第六条、第三十条、第三十四条: death and prison records, every night on its own too.
    "registry_comparison": ("benefits.compare_beneficiaries", "0 2 * * *"),
    # 第二十二条: the 告知书 for residents reaching pension age in the coming months.
    "pension_notices": ("benefits.pension_notices", "30 2 * * *"),
    # 第十八条: the previous year's interest, tried every night in January until the province's
    # rate is configured and the year is credited (then the other nights do nothing).
    "interest_crediting": ("interest.credit_year", "0 3 * 1 *"),
    # The yearly confirmation of the right to a pension (资格确认, 第三十一条、第三十三条).
    "eligibility_silent_confirmation": ("eligibility.silent_confirmation", "0 4 * * *"),
    "eligibility_reminders": ("eligibility.reminders", "0 9 * * *"),
    "eligibility_suspend_missed": ("eligibility.suspend_missed", "30 4 * * *"),
    # 第三十二条: villages that have not filed last month's death return by the 5th working day
    # are flagged to their township (every morning; a village is flagged once a month).
    "late_death_returns": ("reports.flag_late_villages", "0 8 * * *"),
    # Tax department batches stored but not booked (a worker lost on the way): booked again.
    "tax_imports": ("tax.book_pending", "*/15 * * * *"),
    # Web sessions past their idle limit and attempt counters long ended.
    "session_purge": ("sessions.purge", "17 * * * *"),
    # SMS from the outbox to the gateway, all day.
    "outbox": ("outbox.dispatch", 15),
}

_FIELD = re.compile(r"^(\*|\d{1,2}(-\d{1,2})?)(/\d{1,2})?(,(\*|\d{1,2}(-\d{1,2})?)(/\d{1,2})?)*$")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


@dataclass(frozen=True)
class When:
    """One entry's timing: a crontab (five fields) or every `seconds`."""

    crontab: tuple[str, str, str, str, str] | None = None
    seconds: int | None = None


def parse_when(value) -> When | None:
    """A schedule value as configured: "m h dom mon dow", a whole number of seconds, or "off"
    (None). Raises ValueError with the reason for anything else, so a typo stops the start."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r}: a crontab line, a number of seconds or \"off\"")
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        seconds = int(value)
        if seconds < 1:
            raise ValueError(f"{value!r}: at least one second")
        return When(seconds=seconds)
    if not isinstance(value, str):
        raise ValueError(f"{value!r}: a crontab line, a number of seconds or \"off\"")
    if value.strip().lower() == "off":
        return None
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"{value!r}: five fields (minute hour day month weekday)")
    for field, (low, high) in zip(fields, _RANGES, strict=True):
        if not _FIELD.match(field) or any(
                not low <= int(number) <= high for number in re.findall(r"(?<!/)\b\d+", field)):
            raise ValueError(f"{value!r}: {field!r} is not a crontab field between {low} and "
                             f"{high}")
    return When(crontab=tuple(fields))


def schedule_setting(value) -> dict[str, When | None]:
    """TASK_SCHEDULE: a JSON object {entry: when} that changes the defaults it names."""
    if not isinstance(value, dict):
        raise ValueError("a JSON object of entry → crontab line, seconds or \"off\"")
    unknown = set(value) - set(DEFAULT_SCHEDULE)
    if unknown:
        raise ValueError(f"unknown entries {sorted(unknown)}; known: {sorted(DEFAULT_SCHEDULE)}")
    return {entry: parse_when(when) for entry, when in value.items()}


def effective_schedule(changes: dict[str, When | None]) -> dict[str, tuple[str, When]]:
    """entry → (job name, when) after the configured changes, without the entries turned off."""
    result = {}
    for entry, (job_name, default) in DEFAULT_SCHEDULE.items():
        when = changes[entry] if entry in changes else parse_when(default)
        if when is not None:
            result[entry] = (job_name, when)
    return result


def retry_delay_seconds(attempts: int, base_seconds: int, cap_seconds: int) -> int:
    """Exponential backoff after the `attempts`-th failed try: base, 2×base, 4×base … at most
    cap."""
    if attempts < 1:
        raise ValueError("the delay follows a failed attempt")
    return min(cap_seconds, base_seconds * 2 ** (attempts - 1))
