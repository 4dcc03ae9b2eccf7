"""The working-day calendar the agency keeps: a year's holiday notice entered by one member of
staff and confirmed by a different one (maker–checker, in the spirit of 第六十二条), and on every
change the decision dates of open applications counted again, with the residents whose date
moved told (第八、十、二十四、三十九、四十二条 count their periods in working days)."""

from datetime import date

from sqlalchemy import select

from ..constants import EventKind
from ..extensions import db
from ..models import (
    Application,
    CalendarYear,
    Person,
    TransferCase,
    WorkdayOverride,
    utcnow,
)
from ..models.application import OPEN_STATUSES
from ..rules.dates import CHINA
from ..rules.workdays import WorkdayCalendar
from . import audit, notify


class CalendarRefused(Exception):
    """A calendar change the rules do not allow; `code` says which rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class SamePerson(CalendarRefused):
    """The person who entered (part of) a year's notice cannot also confirm it."""

    def __init__(self):
        super().__init__("same_person")


def confirmed_years() -> set[int]:
    return set(db.session.scalars(select(CalendarYear.year).filter_by(status="confirmed")))


def workday_calendar() -> WorkdayCalendar:
    overrides = db.session.execute(select(WorkdayOverride.day, WorkdayOverride.is_workday))
    return WorkdayCalendar(dict(overrides.all()), confirmed_years())


def year_of(year: int) -> CalendarYear | None:
    return db.session.get(CalendarYear, year)


def overrides_in(year: int) -> list[WorkdayOverride]:
    return list(db.session.scalars(select(WorkdayOverride).filter(
        WorkdayOverride.day >= date(year, 1, 1), WorkdayOverride.day <= date(year, 12, 31))
        .order_by(WorkdayOverride.day)))


def years_entered() -> list[CalendarYear]:
    return list(db.session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())))


def _unconfirm(year: int, actor: str, notice: str) -> CalendarYear:
    """A changed year needs a second person's confirmation again."""
    record = year_of(year)
    if record is None:
        record = CalendarYear(year=year, notice=notice)
        db.session.add(record)
    record.notice = notice or record.notice
    record.status, record.entered_by, record.entered_at = "entered", actor, utcnow()
    record.confirmed_by = record.confirmed_at = None
    return record


def enter_year(year: int, days_off: list[date], workdays: list[date], notice: str,
               actor: str, channel: str) -> list[Application]:
    """Record a year's notice as its full list of days off and make-up working days (they
    replace what was entered for the year before). The year waits for a different person's
    confirmation; deadlines already count with the new days. Returns the applications whose
    date moved."""
    notice = " ".join((notice or "").split())
    if not notice:
        raise CalendarRefused("notice")
    if len(notice) > 120:
        raise CalendarRefused("notice_long")
    wanted = {**{day: False for day in days_off}, **{day: True for day in workdays}}
    if set(days_off) & set(workdays):
        raise CalendarRefused("both")
    if any(day.year != year for day in wanted):
        raise CalendarRefused("other_year")
    before = workday_calendar()
    existing = {row.day: row for row in overrides_in(year)}
    record = year_of(year)
    if record is not None and record.notice == notice and {
            day: row.is_workday for day, row in existing.items()} == wanted:
        return []  # saved again unchanged: nothing to confirm anew, nobody becomes a maker
    for day, row in existing.items():
        if day not in wanted:
            db.session.delete(row)
    for day, is_workday in wanted.items():
        row = existing.get(day)
        if row is None:
            row = WorkdayOverride(day=day)
            db.session.add(row)
        elif row.is_workday == is_workday and row.note == notice:
            continue  # unchanged: its maker stays who entered it
        row.is_workday, row.note, row.created_by, row.created_at = (
            is_workday, notice, actor, utcnow())
    _unconfirm(year, actor, notice)
    db.session.flush()
    audit.record("calendar_year_entered", actor=actor, channel=channel,
                 object_type="calendar_year", object_id=year,
                 detail={"notice": notice,
                         "days_off": sorted(d.isoformat() for d in days_off),
                         "workdays": sorted(d.isoformat() for d in workdays),
                         "removed": sorted(d.isoformat() for d in existing
                                           if d not in wanted)})
    moved = recompute_due_dates(before, actor, channel)
    db.session.commit()
    return moved


def makers_of(year: int) -> set[str]:
    """Everyone whose entry is in the year as it stands: none of them may confirm it."""
    record = year_of(year)
    return {row.created_by for row in overrides_in(year)} | (
        {record.entered_by} if record else set())


def confirm_year(year: int, actor: str, channel: str) -> list[Application]:
    """A second person checked the entered days against the notice: deadlines in the year stop
    saying they may move. Refused for anyone who entered any of it (enforced here, not only by
    hiding the button)."""
    record = year_of(year)
    if record is None or record.status != "entered":
        raise CalendarRefused("not_entered")
    if actor in makers_of(year):
        audit.record("calendar_year_confirmed", actor=actor, channel=channel,
                     outcome="refused", object_type="calendar_year", object_id=year,
                     detail={"reason": "same_person"})
        db.session.commit()
        raise SamePerson()
    before = workday_calendar()
    record.status, record.confirmed_by, record.confirmed_at = "confirmed", actor, utcnow()
    db.session.flush()
    audit.record("calendar_year_confirmed", actor=actor, channel=channel,
                 object_type="calendar_year", object_id=year,
                 detail={"notice": record.notice, "entered_by": record.entered_by})
    moved = recompute_due_dates(before, actor, channel)
    db.session.commit()
    return moved


def set_override(day: date, is_workday: bool, note: str, actor: str, channel: str) -> None:
    """Record one day of the State Council's holiday notice (the CLI); replaces an earlier
    entry. The year then waits for a second person's confirmation like any entry."""
    if not note.strip():
        raise ValueError("an override must name its source (the notice)")
    before = workday_calendar()
    existing = db.session.get(WorkdayOverride, day)
    was = None if existing is None else existing.is_workday
    if existing is None:
        existing = WorkdayOverride(day=day)
        db.session.add(existing)
    existing.is_workday = is_workday
    existing.note = note.strip()
    existing.created_by = actor
    existing.created_at = utcnow()
    _unconfirm(day.year, actor, note.strip())
    db.session.flush()
    audit.record("workday_override", actor=actor, channel=channel, object_type="workday",
                 object_id=day.isoformat(),
                 detail={"before": was, "after": is_workday, "note": note.strip()})
    recompute_due_dates(before, actor, channel)
    db.session.commit()


def recompute_due_dates(before: WorkdayCalendar, actor: str, channel: str) -> list[Application]:
    """Count every open application's deadline again under the calendar as it now stands: the
    same number of working days after receipt as `before` counted. A moved date writes a
    timeline event and an audit record and tells the resident (in-app and SMS); a date that
    only stops (or starts) being uncertain changes its flag silently. In the caller's
    transaction."""
    after = workday_calendar()
    moved = []
    open_ones = db.session.scalars(select(Application).filter(
        Application.status.in_(OPEN_STATUSES)).order_by(Application.id)).all()
    for application in open_ones:
        # Received on the submission day or the first working day after it; a record whose
        # receipt predates its timestamp (set by hand or imported) counts from the receipt.
        submitted = min(application.submitted_at.astimezone(CHINA).date(),
                        application.received_on)
        new = before.recount(submitted, application.received_on, application.due_on, after)
        if new.due == application.due_on and new.received == application.received_on:
            if application.deadline_uncertain != new.may_move:
                application.deadline_uncertain = new.may_move
            continue
        old_due = application.due_on
        application.received_on, application.due_on = new.received, new.due
        application.deadline_uncertain = new.may_move
        _move_transfer_stage(application, old_due)
        from .applications import record_event

        record_event(application, EventKind.DEADLINE_MOVED, actor,
                     note=f"{old_due.isoformat()} → {new.due.isoformat()}")
        audit.record("deadline_moved", actor=actor, channel=channel,
                     object_type="application", object_id=application.reference,
                     detail={"from": old_due.isoformat(), "to": new.due.isoformat()})
        notify.tell(db.session.get(Person, application.person_id),
                    "deadline_moved_may_move" if new.may_move else "deadline_moved",
                    {"reference": application.reference, "due": new.due.isoformat()})
        moved.append(application)
    return moved


def _move_transfer_stage(application: Application, old_due: date) -> None:
    """A transfer's first stage (the new county's review, 第四十二条) is due with the
    application."""
    case = db.session.scalar(select(TransferCase).filter_by(application_id=application.id))
    if case is None or case.stage != "new_county_review" or case.stage_due != old_due:
        return
    case.stage_due = application.due_on
    history = list(case.history or [])
    if history:
        history[-1] = {**history[-1], "due": application.due_on.isoformat()}
    case.history = history
