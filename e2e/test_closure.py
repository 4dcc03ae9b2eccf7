"""On a phone: an heir ends a deceased relative's insurance with a signed commitment and no
certificate (第三十八条), and a resident applies to move their insurance here and follows the
stages (第四十一条、第四十五条)."""

import re

from playwright.sync_api import expect

from e2e.conftest import PHONE
from e2e.test_claim import face_check, staff_act
from e2e.test_sign_in import sign_in

BANK_ACCOUNT = "6217000010000000003"  # Luhn-valid, synthetic


def approve(app, reference):
    """Deregistered and settled by one member of staff, approved by another (第六十二条)."""
    staff_act(app, reference, "reviewer.qingshan", "settlement")
    staff_act(app, reference, "checker.qingshan", "settlement-check", verdict="approve")


def test_heir_deregisters_with_a_commitment(page, live_url, app, demo, checks):
    heir, deceased = demo["by_key"]["heir"], demo["by_key"]["deceased"]
    sign_in(page, live_url, heir)
    page.get_by_role("link", name="注销登记").click()
    face_check(page, heir)
    checks.page(page, "dereg-start-phone")
    page.get_by_role("link", name="开始办理").click()
    page.locator("input[name=ground][value=death]").check()
    page.get_by_role("button", name="继续").click()
    page.locator("input[name=deceased_name]").fill(deceased["name"])
    page.locator("input[name=deceased_id_number]").fill(deceased["id_number"])
    checks.page(page, "dereg-deceased-phone")
    page.get_by_role("button", name="继续").click()
    page.locator("input[name=bank_account]").fill(BANK_ACCOUNT)
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_text("死亡证明")).to_be_visible()
    checks.page(page, "dereg-commitment-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#declaration").check()
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
    reference = page.locator(".reference").inner_text().replace(" ", "")
    approve(app, reference)
    page.goto(live_url + f"/me/applications/{reference}")
    expect(page.get_by_role("heading", name="结算")).to_be_visible()
    checks.page(page, "dereg-settlement-phone")


def test_transfer_in_and_tracker(page, live_url, demo, checks):
    person = demo["by_key"]["moving_in"]
    sign_in(page, live_url, person)
    page.get_by_role("link", name=re.compile("转入申请")).click()
    face_check(page, person)
    checks.page(page, "transfer-start-phone")
    page.get_by_role("link", name="开始办理").click()
    page.locator("input[name=confirm_transfer][value=yes]").check()
    page.get_by_role("button", name="继续").click()
    page.locator("#declaration").check()
    checks.page(page, "transfer-check-phone")
    page.get_by_role("button", name="提交申请").click()
    page.get_by_role("link", name="查看办理进度").click()
    expect(page.locator(".timeline-item").first).to_be_visible()
    checks.page(page, "transfer-tracker-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
