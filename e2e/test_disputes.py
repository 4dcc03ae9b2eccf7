"""On a phone and at a kiosk: a pensioner whose pension was decided too low reads the re-decided
核定表, confirms it with a face check, and sees the difference for the months already paid
itemised on their pension page (第二十五条)."""

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from e2e.conftest import KIOSK, PHONE
from e2e.test_claim import face_check, staff_act
from e2e.test_sign_in import sign_in
from portal.extensions import db
from portal.models import Application, TransferCase
from portal.operations import benefits, closure
from tests.integration.helpers import (
    apply_transfer,
    approve,
    become_beneficiary,
    csrf_token,
    enrolled_in,
    fresh_totp_code,
    make_claimant,
    staff_sign_in,
)
from tests.integration.helpers import file_dispute_about as file_dispute

CONSOLE = {"width": 1280, "height": 900}


def console_for(browser, live_url, app, demo, username):
    """A staff member's own browser, signed in with password and authenticator code."""
    context = browser.new_context(viewport=CONSOLE, locale="zh-CN")
    console = context.new_page()
    console.goto(live_url + "/agency/sign-in")
    console.get_by_label("用户名").fill(username)
    console.get_by_label("密码").fill(demo["demo_staff_password"])
    console.get_by_role("button", name="继续").click()
    console.get_by_label("身份验证器中的动态码").fill(fresh_totp_code(app, username))
    console.get_by_role("button", name="登录").click()
    expect(console.get_by_role("heading", level=1)).to_have_text("待审核的申请")
    return context, console

# Months no other test runs: paid January to September 2027, then October with the difference.
FIRST_RUN, NEXT_RUN = date(2027, 9, 1), date(2027, 10, 1)


def test_resident_confirms_the_redetermined_pension_and_sees_the_difference(
        page, browser, live_url, app, demo, checks):
    person = make_claimant(app)
    client = app.test_client()
    pid = become_beneficiary(client, app, person)
    with app.app_context():
        benefits.run_month(FIRST_RUN, actor="test")
        balance = benefits.confirmed_decision(pid).balance_fen
        db.session.remove()
    reference = file_dispute(client, "benefit", "我的养老金算少了，2015年转入的钱没有计入")

    # The console: a reviewer re-decides (重新核定), a different person checks it (复核).
    context, console = console_for(browser, live_url, app, demo, "reviewer.qingshan")
    console.goto(f"{live_url}/agency/applications/{reference}")
    expect(console.get_by_role("heading", name="重新核定待遇（第二十五条）")).to_be_visible()
    console.get_by_label("哪里有误（参保人可见）").fill("")
    console.get_by_role("button", name="重新计算并提交复核").click()
    expect(console.locator(".error-summary")).to_be_visible()
    checks.page(console, "agency-redetermine-error")
    console.get_by_label("达到领取年龄时的个人账户余额（元）").fill(
        f"{(balance + 1_390_000) / 100:.2f}")
    console.get_by_label("哪里有误（参保人可见）").fill(
        "核定时漏计了2015年转入的13900元，个人账户养老金每月少算100元")
    console.get_by_role("button", name="重新计算并提交复核").click()
    expect(console.get_by_text("等待另一名工作人员复核（第六十二条）")).to_be_visible()
    checks.page(console, "agency-redetermination-prepared")
    context.close()
    context, console = console_for(browser, live_url, app, demo, "checker.qingshan")
    console.goto(f"{live_url}/agency/applications/{reference}")
    expect(console.get_by_text("原核定：每月")).to_be_visible()
    checks.page(console, "agency-redetermination-check")
    console.set_viewport_size(PHONE)
    checks.page(console, "agency-redetermination-check-phone")
    console.set_viewport_size(CONSOLE)
    console.get_by_role("button", name="复核通过，交参保人确认").click()
    expect(console.get_by_role("heading", level=1)).to_have_text("待审核的申请")
    context.close()

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


def test_the_old_county_answers_a_question_about_a_record_it_transferred(
        browser, live_url, app, demo, checks):
    """第四十四条: 白水县 (on this system) finds 青山县's question in its console and answers."""
    person = enrolled_in(app, "539902000000")
    client = app.test_client()
    reference = apply_transfer(client, app, person)
    approve(app, reference)
    old_county, new_county = app.test_client(), app.test_client()
    staff_sign_in(old_county, app, "reviewer.baishui")
    staff_sign_in(new_county, app, "reviewer.qingshan")
    listing = old_county.get("/agency/transfers")
    with app.app_context():  # this transfer's case (the listing holds other tests' cases too)
        case_id = db.session.scalar(select(TransferCase.id).join(
            Application, Application.id == TransferCase.application_id).filter(
            Application.reference == reference))
        db.session.remove()
    old_county.post(f"/agency/transfers/{case_id}/settle",
                    data={"csrf_token": csrf_token(listing)})
    with app.app_context():  # 第六十二条: a different member of the old county approves it
        approval_id = closure.transfer_approval(db.session.get(TransferCase, int(case_id))).id
        db.session.remove()
    checker = app.test_client()
    staff_sign_in(checker, app, "checker.baishui")
    approvals = checker.get("/agency/approvals")
    assert checker.post(f"/agency/approvals/{approval_id}/approve", data={
        "csrf_token": csrf_token(approvals), "version": 1}).status_code == 303
    listing = new_county.get("/agency/transfers")
    new_county.post(f"/agency/transfers/{case_id}/funds-arrived",
                    data={"csrf_token": csrf_token(listing)})
    dispute = file_dispute(client, "transfer", "2021年我在白水县交了500元，转过来的记录里没有")
    staff_act(app, dispute, "reviewer.qingshan", "ask-old-county",
              question="请核对2021年个人缴费500元是否已随转移划转")

    context, console = console_for(browser, live_url, app, demo, "reviewer.baishui")
    console.get_by_role("link", name="其他县对转移记录的核查").click()
    expect(console.get_by_role("heading", name=person["name"])).to_be_visible()
    checks.page(console, "agency-inquiries")
    section = console.locator("section", has=console.get_by_role("heading", name=person["name"]))
    section.get_by_label("转移时少划转的金额（元）").fill("五百")
    section.get_by_role("button", name="发送答复").click()
    expect(console.locator(".error-summary")).to_be_visible()
    checks.page(console, "agency-inquiries-error")
    section = console.locator("section", has=console.get_by_role("heading", name=person["name"]))
    section.get_by_label("答复（转入地和参保人可见）").fill("漏划转2021年缴费500元")
    section.get_by_label("转移时少划转的金额（元）").fill("500")
    section.get_by_label("涉及的缴费年度").fill("2021")
    section.get_by_role("button", name="发送答复").click()
    expect(console.get_by_role("heading", name=person["name"])).to_have_count(0)
    context.close()

    context, console = console_for(browser, live_url, app, demo, "reviewer.qingshan")
    console.goto(f"{live_url}/agency/applications/{dispute}")
    expect(console.get_by_text("漏划转2021年缴费500元").first).to_be_visible()
    checks.page(console, "agency-transfer-resolution")
    console.get_by_label("核查情况（居民可查看）").fill("转出地确认漏划转2021年缴费500元，已补记")
    console.get_by_role("button", name="提交转出地和转入地的更正（待复核）").click()
    expect(console.get_by_role("heading", level=1)).to_have_text("待审核的申请")
    context.close()
    # 第六十二条: booked on both sides only once a different member of staff approves it.
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=dispute))
        assert item.status == "prepared"
        version = str(item.version)
        db.session.remove()
    staff_act(app, dispute, "checker.qingshan", "transfer-correction-check",
              verdict="approve", version=version)
    with app.app_context():
        assert db.session.scalar(select(Application.status).filter_by(
            reference=dispute)) == "corrected"
        db.session.remove()
