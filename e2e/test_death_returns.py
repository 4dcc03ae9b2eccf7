"""Monthly death returns (第三十二条) on a phone: the village assistant says nobody died last
month (零报告); the township office sees which of its villages are late by the 5th working day,
at phone and kiosk size, with axe."""

from datetime import date

from playwright.sync_api import expect

from e2e.conftest import KIOSK
from e2e.test_calendar import staff_sign_in
from portal.agency import views as agency_views
from portal.assist import views as assist_views
from portal.extensions import db
from portal.models import DeathReturn
from portal.rules.dates import china_today


def test_assistant_files_nobody_died_and_the_township_sees_who_is_late(page, browser, live_url,
                                                                        app, checks,
                                                                        monkeypatch):
    today = china_today()
    judge = date(today.year, today.month, 28)  # after the 5th working day
    monkeypatch.setattr(agency_views, "china_today", lambda: judge)
    monkeypatch.setattr(assist_views, "china_today", lambda: judge)
    with app.app_context():
        db.session.query(DeathReturn).delete()
        db.session.commit()
        db.session.remove()

    clerk = browser.new_page(viewport={"width": 360, "height": 740}, locale="zh-CN")
    staff_sign_in(clerk, live_url, app, "clerk.shiqiao")
    clerk.goto(live_url + "/agency/death-reports")
    late = clerk.locator("#late-villages + p + ul")
    expect(late).to_contain_text("石桥村")
    checks.page(clerk, "death-returns-late-phone")

    staff_sign_in(page, live_url, app, "xieban.shiqiao")
    page.goto(live_url + "/assist/deaths")
    expect(page.locator(".notice-warning")).to_contain_text("月报须在")
    checks.page(page, "assist-deaths-return-due-phone")
    page.get_by_role("button", name="没有人去世（零报告）").click()
    expect(page.locator(".notice-info")).to_contain_text("已报送")
    checks.page(page, "assist-deaths-return-filed-phone")

    clerk.reload()
    expect(clerk.locator("#late-villages + p")).to_be_visible()
    expect(clerk.get_by_text("没有逾期的村。")).to_be_visible()
    clerk.set_viewport_size(KIOSK)
    checks.page(clerk, "death-returns-none-late-kiosk")
    clerk.close()
    with app.app_context():
        db.session.query(DeathReturn).delete()
        db.session.commit()
        db.session.remove()
