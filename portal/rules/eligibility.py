"""The yearly confirmation of eligibility (待遇领取资格认证, 第三十一条, 人社厅发〔2018〕107号) and
the suspension when it is missed (第三十三条): pure date and data rules, no Flask, no database.

A beneficiary is confirmed once every twelve months, rolling from the last confirmation. Before
the due date they are reminded; after it a grace period runs; when that has passed without a
confirmation the pension is suspended from the next month, and a later confirmation resumes it
with the suspended months paid back (第三十三条).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from .benefits import first_payment_month, same_day_next_year

# Where a pensioner stands; the pages and the jobs read the same words.
CONFIRMED = "confirmed"  # nothing to do until the reminder window opens
DUE_SOON = "due_soon"  # inside the reminder window, before the due date
OVERDUE = "overdue"  # past the due date, inside the grace period: still paid
MISSED = "missed"  # past the grace period: suspended from the next month (第三十三条)


def next_due(last_confirmed: date) -> date:
    """Twelve months after the last confirmation (29 February → 28 February next year)."""
    return same_day_next_year(last_confirmed)


def reminder_opens(due: date, reminder_days: int) -> date:
    return due - timedelta(days=reminder_days)


def grace_ends(due: date, grace_days: int) -> date:
    """The last day a confirmation still prevents a suspension."""
    return due + timedelta(days=grace_days)


def standing(today: date, due: date, reminder_days: int, grace_days: int) -> str:
    if today < reminder_opens(due, reminder_days):
        return CONFIRMED
    if today <= due:
        return DUE_SOON
    if today <= grace_ends(due, grace_days):
        return OVERDUE
    return MISSED


def suspension_month(found_on: date) -> date:
    """第三十三条: a missed confirmation suspends payment from the month after it was found
    (the month in progress is still paid)."""
    return first_payment_month(found_on)


@dataclass(frozen=True)
class RegistryFacts:
    """What the registries say about one pensioner on the day of a silent check."""

    alive: bool
    lives_here: bool  # household register in the county where they are insured
    in_custody: bool  # serving a sentence (第三十条): a person must look
    last_record_on: date | None  # the latest medical or civil-affairs record


def silent_confirms(facts: RegistryFacts, today: date, record_days: int) -> bool:
    """静默认证 (人社厅发〔2018〕107号): the data alone confirm eligibility when the person is
    alive by every register, still lives in the county, is not in custody, and has left a
    trace of life recently (a hospital or pharmacy visit, a civil-affairs record) within
    `record_days` days."""
    recent = facts.last_record_on is not None and \
        today - timedelta(days=record_days) <= facts.last_record_on <= today
    return facts.alive and facts.lives_here and not facts.in_custody and recent
