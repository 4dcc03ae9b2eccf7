"""The working-day calendar in the console (one admin enters the 2027 notice, another confirms
it) at phone and kiosk size, and a resident reading "可能调整" next to a decision date in 2027 on
a 360 px phone (第八条: enrolment decided within 3 working days)."""

import re
from datetime import date

from playwright.sync_api import expect

from e2e.conftest import KIOSK, PHONE
from e2e.test_sign_in import sign_in
from portal.extensions import db
from portal.models import CalendarYear, WorkdayOverride
from portal.operations import applications as application_ops
from tests.integration.helpers import enrol, fresh_totp_code, make_resident


def clear_calendar(app):
    with app.app_context():
        db.session.query(WorkdayOverride).delete()
        db.session.query(CalendarYear).delete()
        db.session.commit()
        db.session.remove()


def staff_sign_in(page, live_url, app, username):
    page.goto(live_url + "/agency/sign-in")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Demo-2026-pension")
    page.get_by_role("button", name="继续").click()
    page.get_by_label("身份验证器中的动态码").fill(fresh_totp_code(app, username))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_one_admin_enters_the_notice_another_confirms(page, browser, live_url, app, checks):
    clear_calendar(app)
    try:
        staff_sign_in(page, live_url, app, "admin.qingshan")
        page.get_by_role("link", name="工作日日历").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("工作日日历")
        checks.page(page, "calendar-years-phone")
        page.get_by_role("link", name="2027", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("2027年工作日日历")
        expect(page.locator(".notice-warning")).to_contain_text("可能调整")

        # A weekday as a make-up day: the page says what is wrong, in Chinese, and keeps it all.
        page.get_by_label("通知", exact=True).fill("国办发明电〔2026〕X号（演示）")
        page.get_by_label("放假日期").fill("2027-01-01\n2027-02-05 至 2027-02-12")
        page.get_by_label("调休上班日（周末上班，调休）").fill("2027-01-04")
        page.get_by_role("button", name="保存2027年的通知").click()
        expect(page).to_have_title(re.compile(r"^错误：\s*2027年工作日日历"))
        expect(page.locator(".error-summary")).to_contain_text("2027-01-04是工作日")
        checks.page(page, "calendar-year-error-phone")

        page.get_by_label("调休上班日（周末上班，调休）").fill("2027-01-30\n2027-02-20")
        page.get_by_role("button", name="保存2027年的通知").click()
        expect(page.locator(".summary-list")).to_contain_text("已录入，等待另一名工作人员确认")
        expect(page.get_by_text("您录入了本年度通知中的日期，须由另一名工作人员确认。")).to_be_visible()
        expect(page.get_by_role("button", name="确认：日期与通知一致")).to_have_count(0)
        february = page.locator("table.month").nth(1)
        expect(february.locator("caption")).to_have_text("2027年2月")
        expect(february.locator("td.day-make_up")).to_have_text("20班上班（来自通知）")
        checks.page(page, "calendar-year-entered-phone")
        page.set_viewport_size(KIOSK)
        checks.page(page, "calendar-year-entered-kiosk")

        checker = browser.new_page(viewport=PHONE, locale="zh-CN")
        staff_sign_in(checker, live_url, app, "admin2.qingshan")
        checker.goto(live_url + "/agency/calendar/2027")
        checker.get_by_role("button", name="确认：日期与通知一致").click()
        expect(checker.locator(".summary-list")).to_contain_text("孙丽华")
        expect(checker.locator(".notice-warning")).to_have_count(0)
        checks.page(checker, "calendar-year-confirmed-phone")
        checker.close()
    finally:
        clear_calendar(app)


def test_resident_reads_that_a_2027_date_may_move(page, live_url, app, checks, monkeypatch):
    clear_calendar(app)
    monkeypatch.setattr(application_ops, "china_today", lambda: date(2026, 12, 29))
    resident = make_resident(app)
    reference = enrol(app.test_client(), app, resident)
    sign_in(page, live_url, resident)
    page.goto(live_url + f"/me/applications/{reference}")
    lead = page.locator("p.lead")
    expect(lead).to_contain_text("2027年1月4日")
    expect(lead.locator(".tag-may-move")).to_have_text("可能调整")
    expect(page.get_by_text("明年的法定节假日安排尚未确认")).to_be_visible()
    checks.page(page, "application-may-move-phone")
    page.goto(live_url + f"/me/applications/{reference}/confirmation")
    expect(page.locator(".tag-may-move")).to_have_text("可能调整")
    checks.page(page, "confirmation-may-move-phone")
