"""On a phone (360×740): a direct address change (第九条), this year's level with its payment QR
(第十一条), and a dispute started from the statement (第二十条)."""

from playwright.sync_api import expect

from e2e.conftest import KIOSK, PHONE
from e2e.test_sign_in import sign_in


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def confirm(page, checks, shot):
    expect(page.get_by_role("heading", level=1)).to_have_text("提交前请核对您的信息")
    checks.page(page, shot)
    declaration = page.locator("#declaration")
    if declaration.count():
        declaration.check()
    page.get_by_role("button", name="确认变更").or_(
        page.get_by_role("button", name="提交申请")).click()


def test_resident_changes_address_chooses_level_and_disputes(page, live_url, demo, checks):
    person = demo["by_key"]["contributor"]
    sign_in(page, live_url, person)

    # 1. Address: takes effect at once, no review.
    page.get_by_role("link", name="变更地址、民族或性别").click()
    checks.page(page, "change-start-phone")
    page.get_by_role("link", name="开始办理").click()
    page.get_by_label("我的住址").check()
    checks.page(page, "change-which-phone")
    page.get_by_role("button", name="继续").click()
    address = page.get_by_label("您现在住在哪里？")
    address.fill("青山县青山镇南街12号")
    checks.page(page, "change-address-phone")
    page.get_by_role("button", name="继续").click()
    confirm(page, checks, "change-check-phone")
    expect(page.get_by_role("heading", level=1)).to_have_text("已办结")
    checks.page(page, "change-done-phone")
    fits_the_phone(page)

    # 2. This year's level: each level with subsidy and estimated pension, then the QR to pay.
    page.goto(live_url + "/me/")
    expect(page.get_by_text("尚未到账")).to_be_visible()
    checks.page(page, "home-not-paid-phone")
    page.get_by_role("link", name="选择本年度缴费档次并缴费").click()
    checks.page(page, "tier-start-phone")
    page.get_by_role("link", name="开始办理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("您今年缴多少？")
    checks.page(page, "tier-choose-phone")
    fits_the_phone(page)
    page.set_viewport_size(KIOSK)
    checks.page(page, "tier-choose-kiosk")
    page.set_viewport_size(PHONE)
    page.locator("input[name=tier][value='50000']").check()
    page.get_by_role("button", name="继续").click()
    confirm(page, checks, "tier-check-phone")
    expect(page.locator(".qr svg").last).to_be_visible()
    expect(page.get_by_text("缴费编号", exact=True)).to_be_visible()
    checks.page(page, "tier-pay-phone")
    fits_the_phone(page)

    # 3. A dispute from the statement.
    page.goto(live_url + "/me/account/statement/all")
    page.get_by_role("link", name="申请核查记录（记录有误）").click()
    page.get_by_role("link", name="开始办理").click()
    page.get_by_label("我的个人账户记录（缴费、补贴、利息）").check()
    page.get_by_role("button", name="继续").click()
    page.get_by_label("请告诉我们哪里有误").fill("2025年的政府补贴少了，应为60元。")
    checks.page(page, "dispute-what-phone")
    page.get_by_role("button", name="继续").click()
    checks.page(page, "dispute-evidence-phone")
    page.get_by_role("button", name="继续").click()
    confirm(page, checks, "dispute-check-phone")
    expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
    checks.page(page, "dispute-submitted-phone")


def test_anyone_reports_fraud_anonymously_and_checks_the_outcome(page, live_url, checks):
    page.goto(live_url + "/")
    page.get_by_role("link", name="网上举报").click()
    checks.page(page, "report-phone")
    page.get_by_role("button", name="提交举报").click()
    expect(page.locator(".error-summary")).to_be_visible()
    checks.page(page, "report-error-phone")
    page.locator("input[name=subject][value='pension_after_death']").check()
    page.locator("textarea[name=details]").fill("村里有位老人去年已去世，家属仍在领取养老金。")
    page.get_by_role("button", name="提交举报").click()
    checks.page(page, "report-received-phone")
    reference, code = [t.strip() for t in page.locator(".reference").all_inner_texts()]
    page.get_by_role("link", name="查询举报处理结果").click()
    page.locator("input[name=reference]").fill(reference)
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text(reference)).to_be_visible()
    checks.page(page, "report-check-phone")
    fits_the_phone(page)
