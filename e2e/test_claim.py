"""On a phone: a resident turning 60 reads the notice, claims with a face check, and confirms the
decision after the county computed it and a different person checked it (第二十二条至第二十六条)."""

from playwright.sync_api import expect

from e2e.conftest import KIOSK, PHONE
from e2e.test_sign_in import sign_in
from tests.integration.helpers import staff_post, staff_sign_in

BANK_ACCOUNT = "6217000010000000003"  # Luhn-valid, synthetic


def face_check(page, person):
    """Step-up of a resident already signed in: the identity provider knows who they are and asks
    only for the face check (issue 18), then the resident is back on the page they were on."""
    expect(page.get_by_role("heading", level=1)).to_have_text("人脸核验")
    expect(page.get_by_label("姓名")).to_have_count(0)  # no re-typing of name, ID and code
    page.get_by_role("button", name="开始人脸核验").click()


def staff_act(app, reference, username, action, **data):
    client = app.test_client()
    staff_sign_in(client, app, username)
    response = staff_post(client, reference, action, **data)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_claim_and_confirm_on_a_phone(page, live_url, app, demo, checks):
    person = demo["by_key"]["turning_60"]
    assert app.test_cli_runner().invoke(args=["pension-notices"]).exit_code == 0
    sign_in(page, live_url, person)
    expect(page.get_by_text("告知书").first).to_be_visible()
    page.get_by_role("link", name="查看养老金告知书").first.click()
    checks.page(page, "notice-phone")
    page.get_by_role("link", name="申领养老金").click()
    face_check(page, person)  # claiming needs a face check (security.md)

    expect(page.get_by_role("heading", level=1)).to_have_text("申领养老金（待遇申领）")
    checks.page(page, "claim-start-phone")
    page.get_by_role("link", name="开始办理").click()
    page.get_by_label("是，信息正确").check()
    page.get_by_role("button", name="继续").click()
    page.get_by_label("社会保障卡银行账号").fill("6217 0000 1000 0000 008")
    page.get_by_role("button", name="继续").click()
    expect(page.locator(".error-summary")).to_be_visible()
    checks.page(page, "claim-bank-error-phone")
    page.get_by_label("社会保障卡银行账号").fill(BANK_ACCOUNT)
    page.get_by_role("button", name="继续").click()
    page.get_by_label("否", exact=True).check()
    page.get_by_role("button", name="继续").click()
    checks.page(page, "claim-check-phone")
    page.locator("#declaration").check()
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
    reference = page.locator(".reference").inner_text().replace(" ", "")

    staff_act(app, reference, "reviewer.qingshan", "benefit")
    staff_act(app, reference, "checker.qingshan", "benefit-check", verdict="approve")

    page.goto(live_url + "/me/pension")
    expect(page.get_by_role("heading", name="您的养老金核定表")).to_be_visible()
    checks.page(page, "decision-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(KIOSK)
    checks.page(page, "decision-kiosk")
    page.set_viewport_size(PHONE)
    # Issue 18: a resident who skipped the face check at sign-in confirms the decision: the
    # face check comes first, then the same page with the button still to press (never a 405).
    page.get_by_role("button", name="退出").click()
    sign_in(page, live_url, person)
    page.goto(live_url + "/me/pension")
    page.get_by_role("button", name="我确认核定结果").click()
    face_check(page, person)
    page.wait_for_url("**/me/pension")
    expect(page.get_by_role("heading", name="您的养老金核定表")).to_be_visible()
    page.get_by_role("button", name="我确认核定结果").click()
    expect(page.get_by_text("2027年1月").first).to_be_visible()  # from the month after turning 60
    expect(page.get_by_text("2027年1月10日")).to_be_visible()  # so the first payment is then
    checks.page(page, "pension-receiving-phone")
