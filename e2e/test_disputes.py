"""On a phone and at a kiosk: a pensioner whose pension was decided too low reads the re-decided
核定表, confirms it with a face check, and sees the difference for the months already paid
itemised on their pension page (第二十五条)."""

from datetime import date

from playwright.sync_api import expect

from e2e.conftest import KIOSK, PHONE
from e2e.test_claim import face_check, staff_act
from e2e.test_sign_in import sign_in
from portal.extensions import db
from portal.operations import benefits
from tests.integration.test_claim import become_beneficiary, make_claimant
from tests.integration.test_disputes_redecide import file_dispute

# Months no other test runs: paid January to September 2027, then October with the difference.
FIRST_RUN, NEXT_RUN = date(2027, 9, 1), date(2027, 10, 1)


def test_resident_confirms_the_redetermined_pension_and_sees_the_difference(
        page, live_url, app, checks):
    person = make_claimant(app)
    client = app.test_client()
    pid = become_beneficiary(client, app, person)
    with app.app_context():
        benefits.run_month(FIRST_RUN, actor="test")
        balance = benefits.confirmed_decision(pid).balance_fen
        db.session.remove()
    reference = file_dispute(client, "benefit", "我的养老金算少了，2015年转入的钱没有计入")
    staff_act(app, reference, "reviewer.qingshan", "redetermine",
              balance=f"{(balance + 1_390_000) / 100:.2f}",
              reason="核定时漏计了2015年转入的13900元，个人账户养老金每月少算100元")
    staff_act(app, reference, "checker.qingshan", "redetermination-check", verdict="approve")

    sign_in(page, live_url, person)
    page.goto(live_url + "/me/pension")
    checks.page(page)
    page.get_by_role("link", name="查看新的核定结果并确认").click()
    expect(page.get_by_role("heading", name="您重新核定的待遇（核定表）")).to_be_visible()
    expect(page.get_by_text("漏计了2015年")).to_be_visible()
    # January to September 2027 were paid 100.00 yuan too little each: 900.00 yuan in all.
    expect(page.get_by_text("共计补发¥900.00")).to_be_visible()
    checks.page(page, "redetermination-phone")
    page.set_viewport_size(KIOSK)
    checks.page(page, "redetermination-kiosk")
    page.set_viewport_size(PHONE)
    # Money changes: the face check first, then the same page with the button still to press.
    page.get_by_role("button", name="我确认重新核定的待遇").click()
    face_check(page, person)
    page.wait_for_url(f"**/me/applications/{reference}")
    page.get_by_role("button", name="我确认重新核定的待遇").click()
    expect(page.get_by_role("link", name="查看您的待遇和补（扣）发差额")).to_be_visible()
    checks.page(page, "redetermination-confirmed-phone")

    with app.app_context():
        benefits.run_month(NEXT_RUN, actor="test")
        db.session.remove()
    page.get_by_role("link", name="查看您的待遇和补（扣）发差额").click()
    expect(page.get_by_role("heading", name="已发放月份的差额（补发/扣发）")).to_be_visible()
    expect(page.get_by_text("随2027年10月待遇发放")).to_have_count(9)
    expect(page.get_by_text("以前月份差额¥900.00")).to_be_visible()
    checks.page(page, "pension-differences-phone")
    page.set_viewport_size(KIOSK)
    checks.page(page, "pension-differences-kiosk")
