"""Agency overrides for years the holiday library does not cover (domain.md: working days)."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import AuditRecord, WorkdayOverride
from portal.operations.calendar import set_override, workday_calendar


@pytest.fixture
def clean_overrides(app_context):
    yield
    db.session.query(WorkdayOverride).delete()
    db.session.commit()


def test_without_overrides_2027_is_flagged_as_a_guess(clean_overrides):
    deadline = workday_calendar().deadline(date(2026, 12, 30), 5)
    assert deadline.due == date(2027, 1, 6)  # Mon–Fri assumed: Dec 31, Jan 1, 4, 5, 6
    assert deadline.uncertain_years == (2027,)


def test_stored_overrides_move_the_deadline_and_are_audited(clean_overrides):
    set_override(date(2027, 1, 1), False, "2027 holiday notice (demo)", "staff:5", "counter")
    calendar = workday_calendar()
    assert calendar.year_is_known(2027)
    deadline = calendar.deadline(date(2026, 12, 30), 5)
    assert deadline.due == date(2027, 1, 7) and deadline.uncertain_years == ()
    record = db.session.query(AuditRecord).filter_by(action="workday_override").all()[-1]
    assert record.object_id == "2027-01-01" and record.detail["after"] is False


def test_override_needs_its_source(clean_overrides):
    with pytest.raises(ValueError):
        set_override(date(2027, 1, 1), False, "  ", "staff:5", "counter")
    assert db.session.get(WorkdayOverride, date(2027, 1, 1)) is None


def test_cli_sets_and_reports(app, clean_overrides):
    runner = app.test_cli_runner()
    assert "NO holiday data" in runner.invoke(args=["workday-status", "2027"]).output
    result = runner.invoke(args=["workday-override", "2027-02-06", "holiday",
                                 "--note", "demo notice"])
    assert result.exit_code == 0, result.output
    assert "holidays known" in runner.invoke(args=["workday-status", "2027"]).output
    assert "248 working days" in runner.invoke(args=["workday-status", "2026"]).output
