"""Claiming the pension (第二十二条至第二十九条): notice, claim, prepared decision checked by a
different person, the resident's confirmation, monthly payments and the bank's answer."""

import re
from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Application,
    BenefitPayment,
    InsuranceRelation,
    LedgerEntry,
    OutboxMessage,
    PensionNotice,
)
from portal.operations import benefits
from portal.rules.benefits import first_payment_month, pension_age_date
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    BANK_ACCOUNT,
    become_beneficiary,
    csrf_token,
    file_claim,
    make_claimant,
    person_id,
    send_contributions,
    sign_in,
    staff_post,
    staff_sign_in,
)


def test_notice_claim_separate_check_confirmation_and_first_payment(client, app):
    person = make_claimant(app)
    result = app.test_cli_runner().invoke(args=["pension-notices"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        notice = db.session.scalar(select(PensionNotice).filter_by(
            person_id=person_id(app, person)))
        assert notice.years_paid == 16 and notice.years_required == 15
        assert notice.eligible_on == pension_age_date(person["born"])
        assert db.session.scalar(select(OutboxMessage).filter_by(
            kind="pension_notice", channel="sms", recipient=person["phone"]))
        db.session.remove()
    # A second run finds nobody new.
    assert app.test_cli_runner().invoke(args=["pension-notices"]).output.startswith("0 ")

    # Real-name sign-in is not enough to claim.
    sign_in(client, app, person)
    assert "level=face" in client.get("/apply/claim/").location
    assert "告知书" in client.get("/me/").get_data(as_text=True)
    reference = file_claim(client, app, person)
    with app.app_context():
        claim = db.session.scalar(select(Application).filter_by(reference=reference))
        assert claim.status == "submitted" and claim.answers["bank_account"] == BANK_ACCOUNT
        db.session.remove()

    admin, checker = app.test_client(), app.test_client()
    staff_sign_in(admin, app, "admin.qingshan")
    staff_sign_in(checker, app, "checker.qingshan")
    # Approving straight away is not possible: a claim goes through 核定 and 复核.
    assert staff_post(admin, reference, "decision", decision="approve").status_code == 409
    assert staff_post(admin, reference, "benefit").status_code == 302
    # The preparer is not even offered the check; posting it anyway is refused.
    own = staff_post(admin, reference, "benefit-check", verdict="approve", version="2")
    assert own.status_code == 403 and "第六十二条" in own.get_data(as_text=True)
    assert reference in checker.get("/agency/").get_data(as_text=True)
    assert staff_post(checker, reference, "benefit-check", verdict="approve").status_code == 302

    page = client.get("/me/pension").get_data(as_text=True)
    assert "核定表" in page and "÷ 139" in page
    confirm_page = client.get("/me/pension")
    response = client.post("/me/pension/confirm", data={"csrf_token": csrf_token(confirm_page)})
    assert response.status_code == 302
    first_month = first_payment_month(person["born"].replace(year=person["born"].year + 60))
    with app.app_context():
        relation = db.session.scalar(select(InsuranceRelation).filter_by(
            person_id=person_id(app, person)))
        assert relation.status == "receiving" and relation.benefit_from == first_month
        db.session.remove()

    # The payment run for the first month pays once, however often it runs.
    runner = app.test_cli_runner()
    month = first_month.strftime("%Y-%m")
    out = runner.invoke(args=["pay-pensions", month, str(app.instance_path)])
    assert out.exit_code == 0, out.output
    again = runner.invoke(args=["pay-pensions", month, str(app.instance_path)])
    assert again.exit_code == 0
    with app.app_context():
        paid = db.session.scalars(select(BenefitPayment).filter_by(
            person_id=person_id(app, person))).all()
        assert [p.month for p in paid] == [first_month]
        db.session.remove()
    shown = f"{first_month.year}年{first_month.month}月"
    assert shown in client.get("/me/pension").get_data(as_text=True)


def test_arrears_failed_payment_reissued_once_and_account_part_booked(client, app):
    person = make_claimant(app)
    pid = become_beneficiary(client, app, person)
    with app.app_context():
        first = db.session.scalar(select(InsuranceRelation.benefit_from).filter_by(
            person_id=pid))
        # Three months later the first run also pays the two months already due (arrears).
        later = first_payment_month(first_payment_month(first))
        run = benefits.run_month(later, actor="test")
        mine = [p for p in db.session.scalars(select(BenefitPayment).filter_by(
            run_id=run.id, person_id=pid))]
        assert sorted(p.month for p in mine) == [first, first_payment_month(first), later]
        ok, bad = mine[0], mine[1]
        content = (f"payment_id,status,note\n{ok.id},paid,\n{bad.id},failed,账户已冻结\n")
        assert benefits.import_bank_result(content, actor="test") == {
            "paid": 1, "failed": 1, "already_settled": 0}
        assert benefits.import_bank_result(content, actor="test")["already_settled"] == 2
        booked = db.session.scalars(select(LedgerEntry).filter_by(kind="pension_paid")).all()
        assert any(e.amount_fen == -ok.account_fen for e in booked)
        # 第六十二条: prepared by one member of staff, sent once a different one approves.
        reissued = benefits.reissue_failed("staff:1", "staff:2")
        assert [(p.month, p.attempt) for p in reissued if p.person_id == pid] == [
            (bad.month, 2)]
        failed_again = f"payment_id,status\n{reissued[-1].id},failed\n"
        benefits.import_bank_result(failed_again, actor="test")
        assert [p for p in benefits.reissue_failed("staff:1", "staff:2")
                if p.person_id == pid] == []
        db.session.remove()
    checker = app.test_client()
    staff_sign_in(checker, app, "checker.qingshan")
    checker_page = checker.get("/agency/payments").get_data(as_text=True)
    assert "待遇支付审批表" in checker_page and "账户已冻结" not in checker_page
    assert person["name"] in checker_page  # the re-issue that failed again, for staff to follow


def test_fourteen_years_is_refused_with_the_reason(client, app):
    person = make_claimant(app, years=14)
    sign_in(client, app, person, face=True, level="face")
    page = client.get("/apply/claim/").get_data(as_text=True)
    assert "补缴" in page and "/apply/claim/step/" not in page


def test_someone_drawing_the_employees_pension_is_refused(client, app):
    person = make_claimant(app, employee_scheme=True)
    sign_in(client, app, person, face=True, level="face")
    page = client.get("/apply/claim/").get_data(as_text=True)
    assert "职工" in page and "/apply/claim/step/" not in page


def test_suspension_then_resumption_pays_back_exactly_the_suspended_months(client, app):
    person = make_claimant(app)
    pid = become_beneficiary(client, app, person)
    with app.app_context():
        # Months no other test runs; the first run pays everything due until then.
        m1, m2, m3, m4 = (date(2029, month, 1) for month in (1, 2, 3, 4))

        def months_paid_in(month):
            run = benefits.run_month(month, actor="test")
            return sorted(p.month for p in db.session.scalars(select(BenefitPayment).filter_by(
                run_id=run.id, person_id=pid)))

        assert months_paid_in(m1)[-1] == m1
        benefits.suspend(pid, m2, "村协办员报告疑似死亡 (第三十三条)", actor="test")
        assert months_paid_in(m3) == []
        benefits.resume(pid, actor="test")
        assert months_paid_in(m4) == [m2, m3, m4]
        db.session.remove()


def test_a_demo_beneficiary_sees_amount_payments_and_eligibility(client, app, demo):
    sign_in(client, app, demo["by_key"]["receiving"])
    page = client.get("/me/pension").get_data(as_text=True)
    # Paid months, newest first (other tests' later runs may have paid further months).
    assert "已发放" in page or "已交银行发放" in page
    assert re.search(r">20\d\d年\d{1,2}月</td>", page)
    assert "数据比对" in page  # how eligibility was last confirmed (第三十一条)
    assert page.count("<tr>") <= 13  # a year's worth, not the whole history
