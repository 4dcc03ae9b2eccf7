"""On a phone: a resident reads who looked at their data (谁查看了我的信息, PIPL 第四十五条)
after a county reviewer opened their application; the county admin reads the same overview."""

import time

from playwright.sync_api import expect
from sqlalchemy import select

from e2e.conftest import KIOSK, PHONE
from e2e.test_sign_in import sign_in
from portal.auth import totp
from portal.extensions import db
from portal.models import StaffUser
from tests.integration.helpers import enrol, make_resident, staff_sign_in


def fits_the_phone(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide"


def test_resident_and_admin_see_who_looked(page, live_url, app, checks):
    resident = make_resident(app)
    reference = enrol(app.test_client(), app, resident)
    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    assert reviewer.get(f"/agency/applications/{reference}").status_code == 200

    sign_in(page, live_url, resident)
    page.get_by_role("link", name="谁查看了我的信息（查询记录）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("谁查看了我的信息")
    entry = page.locator(".message").first
    expect(entry).to_contain_text("审核您的申请")
    expect(entry).to_contain_text("县社保机构经办人员")
    expect(entry).to_contain_text(reference)
    fits_the_phone(page)
    checks.page(page, "data-access-resident-phone")
    page.set_viewport_size(KIOSK)
    checks.page(page, "data-access-resident-kiosk")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="退出", exact=True).click()

    page.goto(live_url + "/agency/sign-in")
    page.get_by_label("用户名").fill("admin.qingshan")
    page.get_by_label("密码").fill("Demo-2026-pension")
    page.get_by_role("button", name="继续").click()
    with app.app_context():
        secret = db.session.scalar(select(StaffUser.totp_secret).filter_by(
            username="admin.qingshan"))
        db.session.remove()
    page.get_by_label("身份验证器中的动态码").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="个人信息查询记录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("个人信息查询记录")
    expect(page.locator("tbody tr").first).to_contain_text(resident["name"])
    expect(page.locator("tbody tr").first).to_contain_text("reviewer.qingshan")
    checks.page(page, "data-access-admin-phone")
