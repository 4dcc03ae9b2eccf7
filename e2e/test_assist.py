"""On a phone: a village assistant signs in with a password and TOTP, records a resident's
consent by SMS code, files an enrolment with document photos for her; the resident then sees it
and the notice (第七条（二）)."""

import io
import re

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from e2e.conftest import ARTIFACTS, PHONE
from e2e.test_sign_in import sign_in
from portal.extensions import db
from portal.models import OutboxMessage
from portal.presenters import grouped
from tests.integration.helpers import fresh_totp_code


def photo(color) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), color).save(out, "JPEG")
    return {"name": "page.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def latest_sms(app, phone, kind):
    with app.app_context():
        body = db.session.scalar(select(OutboxMessage.body).filter_by(
            recipient=phone, kind=kind).order_by(OutboxMessage.id.desc()))
        db.session.remove()
    return body


def test_assistant_files_an_enrolment_with_photos(page, live_url, app, demo, checks):
    villager = demo["by_key"]["villager"]
    page.goto(live_url + "/agency/sign-in")
    page.get_by_label("用户名").fill("xieban.shiqiao")
    page.get_by_label("密码").fill("Demo-2026-pension")
    checks.page(page, "assist-sign-in-phone")
    page.get_by_role("button", name="继续").click()
    page.get_by_label("身份验证器中的动态码").fill(fresh_totp_code(app, "xieban.shiqiao"))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("link", name=f"为该村民代办 {villager['name']}")).to_be_visible()
    checks.page(page, "assist-dashboard-phone")

    page.get_by_role("link", name=f"为该村民代办 {villager['name']}").click()
    page.get_by_label("参加城乡居民养老保险").check()
    page.locator("#reason-illness").check()
    # Only the chosen method's inputs show.
    page.locator("#method-paper").check()
    expect(page.locator("#evidence")).to_be_visible()
    expect(page.locator("canvas")).to_be_hidden()
    page.locator("#method-signature").check()
    expect(page.locator("canvas")).to_be_visible()
    expect(page.locator("#evidence")).to_be_hidden()
    page.locator("#method-sms").check()
    expect(page.locator("#evidence")).to_be_hidden()
    expect(page.locator("canvas")).to_be_hidden()
    checks.page(page, "assist-consent-phone")
    page.get_by_role("button", name="记录授权并继续").click()
    code = re.search(r"\d{6}", latest_sms(app, villager["phone"], "consent_code")).group(0)
    expect(page.get_by_text(code)).to_be_visible()  # demo mode shows the code, as README says
    page.get_by_label("验证码").fill(code)
    checks.page(page, "assist-code-phone")
    page.get_by_role("button", name="确认授权").click()

    expect(page.locator(".assisted-banner")).to_be_visible()
    checks.page(page, "assist-enrol-start-phone")
    page.get_by_role("link", name="开始办理").click()
    page.locator("input[name=student][value=no]").check()
    page.get_by_role("button", name="继续").click()
    # 第七条（二）: the assistant photographs the identity card and household register pages.
    page.locator("input[name=documents]").set_input_files(
        [photo((200, 30, 30)), photo((30, 120, 200)), photo((30, 160, 60))])
    checks.page(page, "assist-photos-phone")
    page.get_by_role("button", name="继续").click()
    page.get_by_label("联系电话").fill(villager["phone"])
    page.get_by_role("button", name="继续").click()
    page.get_by_role("button", name="继续").click()  # address prefilled from the register
    page.locator("input[name=tier]").first.check()
    page.get_by_role("button", name="继续").click()
    page.locator("#declaration").check()
    checks.page(page, "assist-check-phone")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("办件")
    checks.page(page, "assist-filed-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    heading = page.get_by_role("heading", level=1).inner_text()
    assert re.search(r"\d{4} \d{4} \d{4} \d{4}", heading)  # grouped to read and to wrap
    reference = re.sub(r"\D", "", heading)

    # The resident sees the filing and the notice, with a way to object.
    resident = page.context.browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    sign_in(resident, live_url, villager)
    resident.goto(live_url + "/me/messages")
    expect(resident.get_by_text(grouped(reference)).first).to_be_visible()
    checks.page(resident, "assist-resident-messages-phone")
    resident.goto(live_url + "/me/consents")
    expect(resident.get_by_role("button", name="我没有同意，立即停止")).to_be_visible()
    checks.page(resident, "assist-resident-consents-phone")
    resident.context.close()


def test_the_consent_form_without_javascript_shows_only_the_chosen_method(browser, live_url,
                                                                         app, demo):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto(live_url + "/agency/sign-in")
    page.get_by_label("用户名").fill("xieban.shiqiao")
    page.get_by_label("密码").fill(demo["demo_staff_password"])
    page.get_by_role("button", name="继续").click()
    page.get_by_label("身份验证器中的动态码").fill(fresh_totp_code(app, "xieban.shiqiao"))
    page.get_by_role("button", name="登录").click()
    villager = demo["by_key"]["villager"]
    page.get_by_role("link", name=f"为该村民代办 {villager['name']}").click()
    page.locator("#method-sms").check()
    expect(page.locator("#evidence")).to_be_hidden()
    page.locator("#method-signature").check()  # no pad without JS: a photo of the signature
    expect(page.locator("#evidence")).to_be_visible()
    expect(page.locator("canvas")).to_be_hidden()
    page.locator("#method-paper").check()
    expect(page.locator("#evidence")).to_be_visible()
    # axe needs JavaScript; the same page with it is checked in the test above.
    page.screenshot(path=str(ARTIFACTS / "assist-consent-nojs-phone.png"), full_page=True)
    context.close()
