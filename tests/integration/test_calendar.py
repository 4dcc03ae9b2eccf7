"""The agency's working-day calendar into 2027 (domain.md: working days): a year's holiday notice
entered by one member of staff and confirmed by another; open applications' decision dates
counted again on every change, and the residents whose date moved told. The periods are the
procedure's working days: 第八条 and 第十条 (registration and changes), 第二十四条 (the pension
decision), 第三十九条 (deregistration), 第四十二条 (the new county's transfer review)."""

import itertools
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Application,
    ApplicationEvent,
    AuditRecord,
    CalendarYear,
    OutboxMessage,
    Person,
    TransferCase,
    WorkdayOverride,
)
from portal.operations import calendar as calendar_ops
from portal.operations.calendar import (
    CalendarRefused,
    SamePerson,
    confirm_year,
    enter_year,
    set_override,
    workday_calendar,
)
from portal.rules.dates import CHINA

_serial = itertools.count(1)
MAKER, CHECKER = "staff:5", "staff:6"
# The 2027 notice as a demo (the real one is not out yet): the Spring Festival holiday runs
# 02-05…02-12 with two make-up Saturdays, and New Year's Day makes Saturday 01-02 no change.
DAYS_OFF = [date(2027, 1, 1)] + [date(2027, 2, d) for d in range(5, 13)]
MAKE_UP = [date(2027, 1, 30), date(2027, 2, 20)]


def clear_calendar():
    db.session.query(WorkdayOverride).delete()
    db.session.query(CalendarYear).delete()
    db.session.commit()


@pytest.fixture
def calendar_state(app_context):
    clear_calendar()
    made: list[int] = []
    yield made
    db.session.rollback()
    db.session.query(TransferCase).filter(TransferCase.application_id.in_(made)).delete()
    db.session.query(ApplicationEvent).filter(
        ApplicationEvent.application_id.in_(made)).delete()
    db.session.query(Application).filter(Application.id.in_(made)).delete()
    clear_calendar()


def open_application(made, submitted: date, workdays: int, kind="claim") -> Application:
    """An application as submit() leaves it, filed on `submitted` (China time)."""
    person = db.session.scalar(select(Person).filter(Person.phone.isnot(None)).limit(1))
    deadline = workday_calendar().deadline(submitted, workdays)
    serial = next(_serial)
    item = Application(
        reference=f"539901C{serial:09d}", kind=kind, person_id=person.id,
        region_code="539901000000", filed_by=person.get_id(), filed_by_kind="resident",
        channel="online", submission_key=f"cal-{serial}",
        submitted_at=datetime.combine(submitted, time(10), CHINA),
        received_on=deadline.received, due_on=deadline.due,
        deadline_uncertain=deadline.may_move, answers={})
    db.session.add(item)
    db.session.commit()
    made.append(item.id)
    return item


def test_2027_holidays_are_days_off_even_before_the_notice(calendar_state):
    """第二十四条: 5 working days from Tue 2026-12-29 skip New Year's Day 2027; the date may move
    until someone confirms 2027."""
    deadline = workday_calendar().deadline(date(2026, 12, 30), 5)
    assert deadline.due == date(2027, 1, 7)  # 12-31, (01-01 off), 01-04, 05, 06, 07
    assert deadline.uncertain_years == (2027,)
    # 第四十二条: across the Spring Festival (02-05…02-10 are statutory days off)
    assert workday_calendar().deadline(date(2027, 2, 4), 5).due == date(2027, 2, 17)


def test_maker_enters_checker_confirms_and_open_dates_move(calendar_state):
    """第三十九条 (deregistration) and 第四十二条 (transfer): open applications are counted again
    with the notice's extra day off and make-up Saturday; the residents are told."""
    made = calendar_state
    across_festival = open_application(made, date(2027, 2, 3), 5, kind="deregistration")
    assert across_festival.due_on == date(2027, 2, 16) and across_festival.deadline_uncertain
    in_2026 = open_application(made, date(2026, 11, 23), 3, kind="details_change")
    due_2026 = in_2026.due_on
    outbox_before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0

    moved = enter_year(2027, DAYS_OFF, MAKE_UP, "国办发明电〔2026〕X号（演示）", MAKER, "console")
    # 02-04, (02-05…02-12 off), 02-15, 16, 17, 18
    assert [a.reference for a in moved] == [across_festival.reference]
    db.session.refresh(across_festival)
    assert across_festival.due_on == date(2027, 2, 18)
    assert across_festival.deadline_uncertain  # entered is not confirmed
    event = db.session.scalars(select(ApplicationEvent).filter_by(
        application_id=across_festival.id, kind="deadline_moved")).one()
    assert event.note == "2027-02-16 → 2027-02-18"
    sms = db.session.scalars(select(OutboxMessage).filter(
        OutboxMessage.id > outbox_before, OutboxMessage.channel == "sms")).all()
    assert len(sms) == 1 and "2027年2月18日" in sms[0].body and "可能" in sms[0].body
    assert in_2026.due_on == due_2026  # 2026 untouched
    assert workday_calendar().is_workday(date(2027, 1, 30))  # the make-up Saturday
    assert calendar_ops.year_of(2027).status == "entered"

    # The same person may not confirm what they entered: refused in the operation.
    with pytest.raises(SamePerson):
        confirm_year(2027, MAKER, "console")
    assert calendar_ops.year_of(2027).status == "entered"
    refused = db.session.scalars(select(AuditRecord).filter_by(
        action="calendar_year_confirmed", outcome="refused")).all()
    assert refused and refused[-1].actor == MAKER

    moved = confirm_year(2027, CHECKER, "console")
    assert moved == []  # confirming moves no date, it only removes the "may move"
    db.session.refresh(across_festival)
    assert not across_festival.deadline_uncertain
    assert workday_calendar().year_is_confirmed(2027)
    record = calendar_ops.year_of(2027)
    assert (record.status, record.entered_by, record.confirmed_by) == (
        "confirmed", MAKER, CHECKER)
    assert db.session.scalars(select(AuditRecord).filter_by(
        action="calendar_year_confirmed", outcome="success")).all()[-1].actor == CHECKER


def test_a_change_after_confirmation_needs_confirming_again(calendar_state):
    enter_year(2027, DAYS_OFF, MAKE_UP, "demo notice", MAKER, "console")
    confirm_year(2027, CHECKER, "console")
    set_override(date(2027, 2, 13), False, "demo correction", "system:cli", "system")
    assert calendar_ops.year_of(2027).status == "entered"
    assert not workday_calendar().year_is_confirmed(2027)
    # the checker did not enter anything and may confirm the correction
    confirm_year(2027, CHECKER, "console")
    # but a checker who also entered a day may not
    set_override(date(2027, 2, 14), False, "demo", CHECKER, "console")
    with pytest.raises(SamePerson):
        confirm_year(2027, CHECKER, "console")


def test_a_single_override_does_not_confirm_the_year(calendar_state):
    set_override(date(2027, 1, 1), False, "2027 holiday notice (demo)", "staff:5", "counter")
    calendar = workday_calendar()
    assert not calendar.year_is_confirmed(2027)
    assert calendar.deadline(date(2026, 12, 30), 5).uncertain_years == (2027,)
    record = db.session.query(AuditRecord).filter_by(action="workday_override").order_by(
        AuditRecord.id.desc()).first()
    assert record.object_id == "2027-01-01" and record.detail["after"] is False


@pytest.mark.parametrize(("days_off", "workdays", "notice", "code"), [
    ([date(2027, 1, 1)], [], " ", "notice"),
    ([date(2027, 1, 1)], [date(2027, 1, 1)], "n", "both"),
    ([date(2028, 1, 1)], [], "n", "other_year"),
])
def test_entries_that_make_no_sense_are_refused(calendar_state, days_off, workdays, notice,
                                                code):
    with pytest.raises(CalendarRefused) as refused:
        enter_year(2027, days_off, workdays, notice, MAKER, "console")
    assert refused.value.code == code
    db.session.rollback()
    assert calendar_ops.year_of(2027) is None


def test_confirming_a_year_nobody_entered_is_refused(calendar_state):
    with pytest.raises(CalendarRefused):
        confirm_year(2027, CHECKER, "console")


def test_override_needs_its_source(calendar_state):
    with pytest.raises(ValueError):
        set_override(date(2027, 1, 1), False, "  ", "staff:5", "counter")
    assert db.session.get(WorkdayOverride, date(2027, 1, 1)) is None


def test_cli_sets_and_reports(app, calendar_state):
    runner = app.test_cli_runner()
    assert "NOT confirmed" in runner.invoke(args=["workday-status", "2027"]).output
    result = runner.invoke(args=["workday-override", "2027-02-06", "holiday",
                                 "--note", "demo notice"])
    assert result.exit_code == 0, result.output
    assert "NOT confirmed" in runner.invoke(args=["workday-status", "2027"]).output
    assert "248 working days; holidays confirmed" in runner.invoke(
        args=["workday-status", "2026"]).output


@pytest.mark.parametrize(("kind", "article", "across_new_year", "across_festival"), [
    ("enrolment", "第八条", date(2027, 1, 6), date(2027, 2, 15)),
    ("identity_change", "第十条", date(2027, 1, 6), date(2027, 2, 15)),
    ("claim", "第二十四条", date(2027, 1, 8), date(2027, 2, 17)),
    ("deregistration", "第三十九条", date(2027, 1, 8), date(2027, 2, 17)),
    ("transfer_in", "第四十二条", date(2027, 1, 8), date(2027, 2, 17)),
])
def test_each_articles_period_skips_2027s_statutory_days(calendar_state, kind, article,
                                                        across_new_year, across_festival):
    """Each service's own period (its flow declares it with the article), counted from Thu
    2026-12-31 over New Year's Day and from Thu 2027-02-04 over the Spring Festival
    (02-05…02-10 off): never due on a day off, and saying it may move until 2027 is
    confirmed."""
    from portal.flows import views  # noqa: F401  (registers every flow)
    from portal.flows.engine import REGISTRY

    flow = REGISTRY[kind]
    assert flow.deadline_article == article
    calendar = workday_calendar()
    for submitted, due in ((date(2026, 12, 31), across_new_year),
                           (date(2027, 2, 4), across_festival)):
        deadline = calendar.deadline(submitted, flow.deadline_workdays)
        assert deadline.due == due and calendar.is_workday(deadline.due)
        assert deadline.may_move


def test_a_transfers_first_stage_moves_with_its_application(calendar_state):
    """第四十二条: the new county's review is the transfer's first stage, due with the
    application; the tracker the resident reads moves with it."""
    item = open_application(calendar_state, date(2027, 2, 4), 5, kind="transfer_in")
    case = TransferCase(application_id=item.id, person_id=item.person_id,
                        from_county="519901000000", to_county="539901000000",
                        stage="new_county_review", holder="539901000000",
                        stage_since=date(2027, 2, 4), stage_due=item.due_on,
                        history=[{"stage": "new_county_review", "holder": "539901000000",
                                  "since": "2027-02-04", "due": item.due_on.isoformat(),
                                  "done": None}])
    db.session.add(case)
    db.session.commit()
    assert case.stage_due == date(2027, 2, 17)  # 02-11, 12, 15, 16, 17
    enter_year(2027, DAYS_OFF, MAKE_UP, "demo notice", MAKER, "console")
    db.session.refresh(case)
    # 02-11 and 02-12 off too: 02-15, 16, 17, 18, 19
    assert case.stage_due == date(2027, 2, 19) == db.session.get(Application, item.id).due_on
    assert case.history[-1]["due"] == "2027-02-19"


def test_saving_the_same_notice_again_changes_nothing(calendar_state):
    """Another admin opening the form and saving it unchanged does not become a maker (so they
    can still confirm) and does not undo a confirmation."""
    enter_year(2027, DAYS_OFF, MAKE_UP, "demo notice", MAKER, "console")
    assert enter_year(2027, DAYS_OFF, MAKE_UP, "demo notice", CHECKER, "console") == []
    assert calendar_ops.makers_of(2027) == {MAKER}
    confirm_year(2027, CHECKER, "console")
    enter_year(2027, DAYS_OFF, MAKE_UP, "demo notice", MAKER, "console")
    assert calendar_ops.year_of(2027).status == "confirmed"
