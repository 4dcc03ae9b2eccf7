"""On a phone and at a kiosk: a resident names, changes and removes their designated
beneficiary (指定受益人, 第三十八条). In the console: the second member of staff approves a payout
another prepared (第六十二条). axe-core and the width check run on every page; screenshots at
phone and kiosk size."""

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from e2e.conftest import KIOSK, PHONE
from e2e.test_claim import face_check
from e2e.test_sign_in import sign_in
from portal.extensions import db
from portal.models import BenefitPayment, InsuranceRelation, PaymentRun, Person, StaffUser
from portal.operations import benefits
from portal.rules import ids
from tests.integration.helpers import fresh_totp_code


def test_a_resident_names_a_beneficiary_on_a_phone(page, live_url, demo, checks):
    person = demo["by_key"]["severely_disabled"]
    sign_in(page, live_url, person)
    page.goto(live_url + "/me/")
    page.get_by_role("link", name="我的指定受益人").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的指定受益人")
    checks.page(page, "beneficiary-none-phone")
    page.get_by_role("link", name="指定受益人", exact=True).click()
    face_check(page, person)  # it decides where money goes: a face check first
    expect(page.get_by_role("heading", level=1)).to_have_text("指定受益人")
    checks.page(page, "beneficiary-form-phone")

    page.get_by_role("button", name="保存指定受益人").click()  # nothing filled in
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.title().startswith("错误")
    checks.page(page, "beneficiary-error-phone")

    page.get_by_label("受益人姓名").fill("赵晓红")
    page.get_by_label("受益人证件号码").fill(
        ids.compose_resident_id("539901", date(1988, 4, 4), 321))
    page.get_by_label("与您的关系（选填）").select_option("sibling")
    page.get_by_label("受益人手机号码").fill("138 0000 1234")
    page.set_viewport_size(KIOSK)
    checks.page(page, "beneficiary-form-kiosk")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="保存指定受益人").click()
    expect(page.get_by_text("已保存。赵晓红是您的指定受益人。")).to_be_visible()
    expect(page.get_by_text("138****1234")).to_be_visible()
    checks.page(page, "beneficiary-named-phone")
    page.set_viewport_size(KIOSK)
    checks.page(page, "beneficiary-named-kiosk")
    page.set_viewport_size(PHONE)

    page.get_by_role("link", name="取消指定受益人").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("取消赵晓红的指定受益人资格？")
    checks.page(page, "beneficiary-remove-phone")
    page.get_by_role("button", name="是，取消指定").click()
    expect(page.get_by_text("您尚未指定受益人。")).to_be_visible()


def reissue_prepared_by(app, username, month=date(1993, 3, 1), serial=931,
                        basic_fen=16300) -> str:
    """A failed payment of 青山县 whose re-issue `username` prepared."""
    with app.app_context():
        person = Person(id_type=ids.RESIDENT_ID, name="重发测试",
                        id_number=ids.compose_resident_id("539901", date(1950, 2, 2), serial),
                        birth_date=date(1950, 2, 2))
        db.session.add(person)
        db.session.flush()
        db.session.add(InsuranceRelation(person_id=person.id, region_code="539901000000",
                                         status="receiving", started_on=date(2009, 10, 1),
                                         benefit_from=date(2010, 1, 1)))
        run = PaymentRun(month=month, created_by="test", payments=1, people=1,
                         basic_fen=basic_fen, account_fen=0, bank_file="")
        db.session.add(run)
        db.session.flush()
        payment = BenefitPayment(run_id=run.id, person_id=person.id, month=month,
                                 basic_fen=basic_fen, account_fen=0,
                                 bank_account="6222020200000000", status="failed")
        db.session.add(payment)
        db.session.commit()
        preparer = db.session.scalar(select(StaffUser).filter_by(username=username))
        benefits.prepare_reissue(preparer.get_id(), "539901000000")
        payment_id = payment.id
        db.session.remove()
    return payment_id


def staff_page(browser, live_url, app, demo, username):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    console = context.new_page()
    console.goto(live_url + "/agency/sign-in")
    console.get_by_label("用户名").fill(username)
    console.get_by_label("密码").fill(demo["demo_staff_password"])
    console.get_by_role("button", name="继续").click()
    console.get_by_label("身份验证器中的动态码").fill(fresh_totp_code(app, username))
    console.get_by_role("button", name="登录").click()
    return context, console


def test_a_second_member_of_staff_approves_a_payout(browser, live_url, app, demo, checks):
    payment_id = reissue_prepared_by(app, "reviewer.qingshan")
    context, console = staff_page(browser, live_url, app, demo, "checker.qingshan")
    console.goto(live_url + "/agency/approvals")
    expect(console.get_by_role("heading", level=1)).to_have_text("待复核的支付")
    expect(console.get_by_text("黄志明").first).to_be_visible()  # who prepared it
    checks.page(console, "agency-approvals")
    console.set_viewport_size(PHONE)
    checks.page(console, "agency-approvals-phone")
    console.set_viewport_size({"width": 1280, "height": 900})
    # Its own re-issue (¥163.00): other tests may leave theirs waiting in the same county.
    console.locator("section", has_text="发放失败的养老金再次发放").filter(
        has_text="¥163.00").get_by_role("button", name="核对无误，复核通过并支付").click()
    expect(console.get_by_role("heading", name="最近复核的支付")).to_be_visible()
    checks.page(console, "agency-approvals-done")
    context.close()
    with app.app_context():
        assert db.session.get(BenefitPayment, payment_id).status == "reissued"
        db.session.remove()


def test_a_second_member_of_staff_sends_a_payout_back(browser, live_url, app, demo, checks):
    """第六十二条: the checker sends a re-issue back with the reason; nothing is paid."""
    payment_id = reissue_prepared_by(app, "reviewer.qingshan", month=date(1993, 4, 1),
                                     serial=932, basic_fen=16400)
    context, console = staff_page(browser, live_url, app, demo, "checker.qingshan")
    console.goto(live_url + "/agency/approvals")
    section = console.locator("section", has_text="发放失败的养老金再次发放").filter(
        has_text="¥164.00")
    section.get_by_role("button", name="退回经办人").click()
    expect(console.locator(".error-summary")).to_be_visible()
    checks.page(console, "agency-approvals-return-error")
    section = console.locator("section", has_text="发放失败的养老金再次发放").filter(
        has_text="¥164.00")
    section.get_by_label("退回原因（经办人可查看）").fill("银行账号未更正，请核对后再发放")
    section.get_by_role("button", name="退回经办人").click()
    expect(console.get_by_role("heading", name="最近退回的支付")).to_be_visible()
    expect(console.get_by_text("银行账号未更正，请核对后再发放")).to_be_visible()
    checks.page(console, "agency-approvals-returned")
    console.set_viewport_size(PHONE)
    checks.page(console, "agency-approvals-returned-phone")
    context.close()
    with app.app_context():
        assert db.session.get(BenefitPayment, payment_id).status == "failed"
        db.session.remove()
