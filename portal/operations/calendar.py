"""The working-day calendar with the agency's overrides (for years the holiday library lacks)."""

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import WorkdayOverride
from ..rules.workdays import WorkdayCalendar
from . import audit


def workday_calendar() -> WorkdayCalendar:
    overrides = db.session.execute(select(WorkdayOverride.day, WorkdayOverride.is_workday))
    return WorkdayCalendar(dict(overrides.all()))


def set_override(day: date, is_workday: bool, note: str, actor: str, channel: str) -> None:
    """Record one day of the State Council's holiday notice; replaces an earlier entry."""
    if not note.strip():
        raise ValueError("an override must name its source (the notice)")
    existing = db.session.get(WorkdayOverride, day)
    before = None if existing is None else existing.is_workday
    if existing is None:
        existing = WorkdayOverride(day=day)
        db.session.add(existing)
    existing.is_workday = is_workday
    existing.note = note.strip()
    existing.created_by = actor
    audit.record("workday_override", actor=actor, channel=channel, object_type="workday",
                 object_id=day.isoformat(),
                 detail={"before": before, "after": is_workday, "note": note.strip()})
    db.session.commit()
