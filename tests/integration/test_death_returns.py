"""Monthly death returns (第三十二条): each village reports last month's deaths — or that nobody
died (零报告) — at the start of the month; a village without a return by the 5th working day is
flagged to its township, on the township's console page and as a staff message, once."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.agency import views as agency_views
from portal.assist import views as assist_views
from portal.extensions import db
from portal.jobs import enqueue, registered
from portal.models import AuditRecord, DeathReturn, OutboxMessage
from portal.operations import assist as assist_ops
from portal.operations.calendar import workday_calendar
from portal.rules.dates import china_today, last_month
from tests.integration.helpers import VILLAGE, assistant, csrf_token, make_resident, staff_sign_in
from tests.integration.helpers import report_death as report

TOWNSHIP = "539901101000"  # 石桥乡, clerk.shiqiao's office


def clear(app):
    with app.app_context():
        db.session.query(DeathReturn).delete()
        for message in db.session.scalars(select(OutboxMessage).filter_by(
                channel="staff", kind="late_death_return")):
            db.session.delete(message)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def judge(app, monkeypatch):
    """A day well after the 5th working day of this month; the pages judge by it."""
    today = china_today()
    day = date(today.year, today.month, 28)
    monkeypatch.setattr(agency_views, "china_today", lambda: day)
    monkeypatch.setattr(assist_views, "china_today", lambda: day)
    clear(app)
    yield day
    clear(app)


def late_section(client) -> str:
    page = client.get("/agency/death-reports")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    start = text.index('id="late-villages"')
    return text[start:text.index("<h2", start + 1)]


def test_a_village_without_its_return_is_flagged_once(app, judge):
    month = last_month(judge)
    with app.app_context():
        due = workday_calendar().monthly_report_due(judge)
        assert enqueue("reports.flag_late_villages", due.isoformat()) == []  # not late yet
        flagged = enqueue("reports.flag_late_villages", judge.isoformat())
        assert VILLAGE in flagged and "539901100201" in flagged  # 石桥村, 东山村
        assert enqueue("reports.flag_late_villages", judge.isoformat()) == []  # once
        message = db.session.scalars(select(OutboxMessage).filter_by(
            channel="staff", kind="late_death_return", recipient=TOWNSHIP)).one()
        assert message.params == {"village_code": VILLAGE, "village": "石桥村",
                                  "month": month.isoformat(), "due": due.isoformat()}
        audit = db.session.scalars(select(AuditRecord).filter_by(
            action="late_death_returns_flagged")).all()[-1]
        assert VILLAGE in audit.detail["villages"]
        db.session.remove()
    clerk = app.test_client()
    staff_sign_in(clerk, app, "clerk.shiqiao")
    section = late_section(clerk)
    assert "石桥村" in section and "东山村" not in section  # another township's village
    assert "石桥村：" in section  # the flag sent to this office


def test_nobody_died_is_a_return_too(app, judge):
    client = assistant(app)
    page = client.get("/assist/deaths")
    assert "没有人去世" in page.get_data(as_text=True)
    response = client.post("/assist/deaths/none", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert client.post("/assist/deaths/none", data={
        "csrf_token": csrf_token(page)}).status_code == 303  # twice is once
    with app.app_context():
        filed = db.session.scalars(select(DeathReturn).filter_by(village_code=VILLAGE)).one()
        assert (filed.month, filed.deaths) == (last_month(judge), 0)
        assert VILLAGE not in assist_ops.flag_late_villages(judge.isoformat())
        db.session.remove()
    assert "已报送" in client.get("/assist/deaths").get_data(as_text=True)
    clerk = app.test_client()
    staff_sign_in(clerk, app, "clerk.shiqiao")
    assert "石桥村" not in late_section(clerk)


def test_reporting_a_death_files_the_return(app, judge):
    client = assistant(app)
    person = make_resident(app, village=VILLAGE)
    assert report(client, person, died=last_month(judge).isoformat()).status_code == 302
    with app.app_context():
        filed = db.session.scalars(select(DeathReturn).filter_by(village_code=VILLAGE)).one()
        assert filed.deaths == 1
        db.session.remove()


def test_the_job_is_registered_and_the_cli_runs_it(app, judge):
    assert "reports.flag_late_villages" in registered()
    result = app.test_cli_runner().invoke(args=["flag-late-death-returns", "--today",
                                                judge.isoformat()])
    assert result.exit_code == 0, result.output
    assert "villages flagged" in result.output and VILLAGE in result.output


def test_a_bad_nothing_to_report_post_changes_nothing(app, judge):
    client = assistant(app)
    assert client.post("/assist/deaths/none", data={}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(DeathReturn).filter_by(village_code=VILLAGE)) is None
        db.session.remove()
