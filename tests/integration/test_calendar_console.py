"""The working-day calendar in the console (admin role, maker–checker), and the "may move"
(可能调整) a resident and staff read on every decision date in an unconfirmed year. Periods in
working days: 第八条 (enrolment, 3 days here), 第十条, 第二十四条, 第三十九条, 第四十二条."""

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Application, CalendarYear, WorkdayOverride
from portal.operations import applications as application_ops
from portal.operations import calendar as calendar_ops
from portal.rules.dates import CHINA
from tests.integration.helpers import (
    csrf_token,
    enrol,
    latest_sms,
    make_resident,
    sign_in,
    staff_sign_in,
)

NOTICE = "国办发明电〔2026〕X号（演示）"


def clear_calendar(app):
    with app.app_context():
        db.session.query(WorkdayOverride).delete()
        db.session.query(CalendarYear).delete()
        db.session.commit()
        db.session.remove()


@pytest.fixture
def clean_calendar(app):
    clear_calendar(app)
    yield
    clear_calendar(app)


def staff(app, username):
    client = app.test_client()
    staff_sign_in(client, app, username)
    return client


def post_notice(client, year, days_off, workdays, notice=NOTICE):
    page = client.get(f"/agency/calendar/{year}")
    assert page.status_code == 200
    return client.post(f"/agency/calendar/{year}", data={
        "csrf_token": csrf_token(page), "notice": notice, "days_off": days_off,
        "workdays": workdays})


def confirm(client, year):
    page = client.get(f"/agency/calendar/{year}")
    return client.post(f"/agency/calendar/{year}/confirm",
                       data={"csrf_token": csrf_token(page)})


def test_one_admin_enters_another_confirms_the_same_one_is_refused(app, clean_calendar):
    maker, checker = staff(app, "admin.qingshan"), staff(app, "admin2.qingshan")
    response = post_notice(maker, 2027, "2027-01-01\n2027-02-05 至 2027-02-12",
                           "2027-01-30\n2027/2/20")
    assert response.status_code == 303
    page = maker.get("/agency/calendar/2027").get_data(as_text=True)
    assert "已录入，等待另一名工作人员确认" in page and NOTICE in page
    assert "马超" in page  # entered by
    assert 'class="month"' in page and "<caption>2027年2月</caption>" in page
    assert "2027-02-05 至 2027-02-12" in page  # the form shows what was entered, as ranges
    assert "确认：日期与通知一致" not in page  # no button for the maker ...

    refused = confirm(maker, 2027)  # ... and the operation refuses the maker anyway
    assert refused.status_code == 403
    assert "另一名工作人员" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CalendarYear, 2027).status == "entered"
        db.session.remove()

    assert "确认：日期与通知一致" in checker.get("/agency/calendar/2027").get_data(as_text=True)
    assert confirm(checker, 2027).status_code == 303
    page = checker.get("/agency/calendar/2027").get_data(as_text=True)
    assert "孙丽华" in page and "已确认" in page
    with app.app_context():
        record = db.session.get(CalendarYear, 2027)
        assert record.status == "confirmed" and record.confirmed_by != record.entered_by
        assert calendar_ops.workday_calendar().is_workday(date(2027, 1, 30))
        assert not calendar_ops.workday_calendar().is_workday(date(2027, 2, 12))
        db.session.remove()
    assert confirm(checker, 2027).status_code == 409  # nothing left to confirm


@pytest.mark.parametrize(("days_off", "workdays", "notice", "message"), [
    ("2027-02-31", "", NOTICE, "第1行不是日期"),
    ("2027-01-01", "2027-01-04", NOTICE, "是工作日"),  # a Monday cannot be a make-up day
    ("2028-01-01", "", NOTICE, "不在2027年"),
    ("2027-01-01", "", "", "请填写通知"),
    ("", "", NOTICE, "请填写通知列出的放假日期"),
])
def test_bad_entries_are_explained_in_chinese(app, clean_calendar, days_off, workdays, notice,
                                              message):
    response = post_notice(staff(app, "admin.qingshan"), 2027, days_off, workdays, notice)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>错误：" in text and message in text
    with app.app_context():
        assert db.session.get(CalendarYear, 2027) is None
        db.session.remove()


def test_only_admins_keep_the_calendar(app, demo):
    for username in ("reviewer.qingshan", "checker.qingshan", "clerk.shiqiao"):
        client = staff(app, username)
        assert client.get("/agency/calendar").status_code == 403
        assert client.get("/agency/calendar/2027").status_code == 403
        page = client.get("/agency/")
        assert client.post("/agency/calendar/2027", data={
            "csrf_token": csrf_token(page), "notice": "x", "days_off": "2027-01-01"}
        ).status_code == 403
        assert client.post("/agency/calendar/2027/confirm",
                           data={"csrf_token": csrf_token(page)}).status_code == 403
    resident = app.test_client()
    sign_in(resident, app, demo["by_key"]["contributor"])
    assert resident.get("/agency/calendar/2027").status_code == 403


def test_years_outside_reach_do_not_exist(app):
    admin = staff(app, "admin.qingshan")
    assert admin.get("/agency/calendar/1999").status_code == 404
    assert admin.get("/agency/calendar/2099").status_code == 404
    overview = admin.get("/agency/calendar").get_data(as_text=True)
    assert "/agency/calendar/2027" in overview and "可能调整" in overview


def test_resident_and_staff_read_may_move_until_the_year_is_confirmed(app, clean_calendar,
                                                                      monkeypatch):
    """第八条: an enrolment filed on Tue 2026-12-29 is decided within 3 working days: 12-30,
    12-31, (New Year's Day off) 2027-01-04 — a date in 2027, which nobody confirmed yet."""
    monkeypatch.setattr(application_ops, "china_today", lambda: date(2026, 12, 29))
    resident = make_resident(app)
    client = app.test_client()
    reference = enrol(client, app, resident)
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        assert item.due_on == date(2027, 1, 4) and item.deadline_uncertain
        item.submitted_at = datetime.combine(date(2026, 12, 29), time(10), CHINA)
        db.session.commit()
        db.session.remove()
    assert "可能调整" in latest_sms(app, resident["phone"])
    confirmation = client.get(f"/me/applications/{reference}/confirmation")
    assert "2027年1月4日" in confirmation.get_data(as_text=True)
    assert "可能调整" in confirmation.get_data(as_text=True)
    tracking = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "可能调整" in tracking and "明年的法定节假日安排尚未确认" in tracking
    reviewer = staff(app, "reviewer.qingshan")
    queue = reviewer.get("/agency/").get_data(as_text=True)
    row = queue[queue.index(reference[:4]):]
    assert "可能调整" in row[:row.index("</tr>")]

    # The notice makes Saturday 2027-01-02 a working day: the date moves one day earlier.
    maker, checker = staff(app, "admin.qingshan"), staff(app, "admin2.qingshan")
    assert post_notice(maker, 2027, "2027-01-01", "2027-01-02").status_code == 303
    assert "2027年1月2日" in latest_sms(app, resident["phone"])
    tracking = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "2027年1月2日" in tracking and "可能调整" in tracking
    assert "因国家节假日安排调整" in tracking  # the timeline says why

    assert confirm(checker, 2027).status_code == 303
    tracking = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "2027年1月2日" in tracking and "可能调整" not in tracking
    queue = reviewer.get("/agency/").get_data(as_text=True)
    row = queue[queue.index(reference[:4]):]
    assert "可能调整" not in row[:row.index("</tr>")]


def test_a_post_without_its_token_changes_nothing(app, clean_calendar):
    admin = staff(app, "admin.qingshan")
    assert admin.post("/agency/calendar/2027", data={
        "notice": NOTICE, "days_off": "2027-01-01", "workdays": ""}).status_code == 400
    assert admin.post("/agency/calendar/2027/confirm").status_code == 400
    with app.app_context():
        assert db.session.get(CalendarYear, 2027) is None
        db.session.remove()
