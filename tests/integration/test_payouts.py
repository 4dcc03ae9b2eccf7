"""Two people on every payout (第六十二条: 经办、复核等不相容岗位相互分离).

For each kind of payout (a deregistration's settlement, a transfer's balance, a re-issue of
failed payments, a correction of account entries, a re-determined difference) the member of
staff who prepared it is refused, in the operation and over HTTP; a different one releases it;
both names are on the record; nothing is paid before the approval.
"""

import itertools
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.constants import PayoutKind
from portal.extensions import db
from portal.models import (
    Application,
    BenefitPayment,
    InsuranceRelation,
    LedgerEntry,
    OutboxMessage,
    PaymentRun,
    PayoutApproval,
    Person,
    PersonalAccount,
    Settlement,
    StaffUser,
    TransferCase,
)
from portal.operations import approvals, benefits, closure, ledger
from portal.rules import ids
from tests.integration.helpers import (
    beneficiary_paid_until,
    csrf_token,
    file_deregistration,
    staff_post,
    staff_sign_in,
)

_serial = itertools.count(1)
SCHEME_PROVINCE_COUNTY = "539901000000"


def staff_id(app, username: str) -> str:
    with app.app_context():
        found = db.session.scalar(select(StaffUser).filter_by(username=username))
        actor, name = found.get_id(), found.name
        db.session.remove()
    return actor, name


def signed_in(app, username):
    client = app.test_client()
    staff_sign_in(client, app, username)
    return client


def approval_version(app, approval_id) -> int:
    with app.app_context():
        version = db.session.get(PayoutApproval, approval_id).version
        db.session.remove()
    return version


def application_version(app, reference) -> int:
    with app.app_context():
        version = db.session.scalar(select(Application.version).filter_by(reference=reference))
        db.session.remove()
    return version


def approve_on_console(client, approval_id, version):
    page = client.get("/agency/approvals")
    return client.post(f"/agency/approvals/{approval_id}/approve",
                       data={"csrf_token": csrf_token(page), "version": version})


# Deregistration settlement (第三十九条) ----------------------------------------------------------

def test_a_settlement_is_paid_only_once_a_different_person_approves_it(client, app):
    deceased, heir, pid = beneficiary_paid_until(app, date(2031, 1, 1), date(2030, 12, 10))
    reference = file_deregistration(client, app, heir, deceased)
    admin = signed_in(app, "admin.qingshan")  # may both prepare and check, never the same one
    assert staff_post(admin, reference, "settlement").status_code == 302
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        settlement = closure.settlement_for(item)
        assert item.status == "prepared" and settlement.status == "awaiting_approval"
        # Nothing paid: no bank instruction, the balance still in the account.
        assert db.session.scalar(select(OutboxMessage).filter_by(
            channel="bank", kind="settlement", person_id=item.person_id)) is None
        assert ledger.balance_fen(ledger.account_of(pid).id) == settlement.balance_fen > 0
        payout = approvals.for_application(item.id)
        assert payout.kind == PayoutKind.DEREGISTRATION_SETTLEMENT and payout.status == "awaiting"
        # The operation refuses the preparer on its own, whatever the view does.
        with pytest.raises(approvals.SamePerson):
            approvals.approve(payout, actor=payout.prepared_by)
        db.session.rollback()
        db.session.remove()
    page = admin.get(f"/agency/applications/{reference}").get_data(as_text=True)
    assert "/settlement-check" not in page and "第六十二条" in page
    refused = admin.post(f"/agency/applications/{reference}/settlement-check", data={
        "csrf_token": csrf_token(admin.get("/agency/")),
        "version": application_version(app, reference), "verdict": "approve"})
    assert refused.status_code == 403 and "第六十二条" in refused.get_data(as_text=True)

    checker = signed_in(app, "checker.qingshan")
    review = checker.get(f"/agency/applications/{reference}").get_data(as_text=True)
    assert "马超" in review  # who prepared it
    assert staff_post(checker, reference, "settlement-check",
                      verdict="approve").status_code == 302
    admin_id, _ = staff_id(app, "admin.qingshan")
    checker_id, _ = staff_id(app, "checker.qingshan")
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        settlement = closure.settlement_for(item)
        payout = approvals.for_application(item.id)
        assert (payout.prepared_by, payout.approved_by) == (admin_id, checker_id)
        assert item.status == "approved" and settlement.status == "to_pay"
        sent = db.session.scalar(select(OutboxMessage).filter_by(
            channel="bank", kind="settlement", person_id=item.person_id))
        assert sent.params["amount_fen"] == settlement.payable_fen
        assert sent.params["approval_id"] == payout.id
        assert ledger.balance_fen(ledger.account_of(pid).id) == 0
        db.session.remove()
    done = checker.get(f"/agency/applications/{reference}").get_data(as_text=True)
    assert "马超" in done and "何敏" in done  # both names on the settlement page


# Transfer out (第四十三条) ------------------------------------------------------------------------

def transfer_waiting_here(app) -> tuple[int, int]:
    """A contributor of 青山县 whose new county (白水县) has accepted: 青山县 settles."""
    with app.app_context():
        serial = next(_serial)
        person = Person(id_type=ids.RESIDENT_ID, name=f"转出{serial}", birth_date=date(1980, 1, 1),
                        id_number=ids.compose_resident_id("539901", date(1980, 1, 1),
                                                          800 + serial))
        db.session.add(person)
        db.session.flush()
        relation = InsuranceRelation(person_id=person.id, region_code=SCHEME_PROVINCE_COUNTY,
                                     status="contributing", started_on=date(2020, 1, 1))
        db.session.add(relation)
        db.session.flush()
        account = PersonalAccount(person_id=person.id, relation_id=relation.id,
                                  opened_on=date(2020, 1, 1))
        db.session.add(account)
        db.session.flush()
        db.session.add(LedgerEntry(account_id=account.id, kind="personal", amount_fen=300_000,
                                   booked_on=date(2024, 5, 10), year=2024,
                                   source_key=f"payout-test:{person.id}"))
        item = Application(reference=f"539902P{serial:09d}", kind="transfer_in",
                           person_id=person.id, region_code="539902000000",
                           filed_by=person.get_id(), filed_by_kind="resident", channel="online",
                           submission_key=f"payout-{serial}", received_on=date.today(),
                           due_on=date.today(), answers={}, status="approved")
        db.session.add(item)
        db.session.flush()
        case = TransferCase(application_id=item.id, person_id=person.id,
                            from_county=SCHEME_PROVINCE_COUNTY, to_county="539902000000",
                            stage="old_county_settling", stage_since=date.today(),
                            stage_due=date.today() + timedelta(days=21),
                            holder=SCHEME_PROVINCE_COUNTY, history=[])
        db.session.add(case)
        db.session.commit()
        made = case.id, account.id
        db.session.remove()
    return made


def test_a_transfer_balance_leaves_only_once_a_different_person_approves_it(app):
    case_id, account_id = transfer_waiting_here(app)
    admin = signed_in(app, "admin.qingshan")
    page = admin.get("/agency/transfers")
    assert admin.post(f"/agency/transfers/{case_id}/settle",
                      data={"csrf_token": csrf_token(page)}).status_code == 302
    # A second press prepares nothing more.
    assert admin.post(f"/agency/transfers/{case_id}/settle",
                      data={"csrf_token": csrf_token(page)}).status_code == 409
    with app.app_context():
        case = db.session.get(TransferCase, case_id)
        payout = closure.transfer_approval(case)
        assert case.stage == "old_county_settling"
        assert ledger.balance_fen(account_id) == case.amount_fen > 300_000  # interest to date
        with pytest.raises(approvals.SamePerson):
            approvals.approve(payout, actor=payout.prepared_by, commit=True)
        payout_id = payout.id
        db.session.remove()
    listed = admin.get("/agency/transfers").get_data(as_text=True)
    assert "审批表" in listed and "马超" in listed
    refused = approve_on_console(admin, payout_id, approval_version(app, payout_id))
    assert refused.status_code == 403 and "第六十二条" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TransferCase, case_id).stage == "old_county_settling"
        # The refusal is on the audit record.
        from portal.models import AuditRecord
        assert db.session.scalar(select(AuditRecord).filter_by(
            action="payout_approval_refused", object_id=str(payout_id)))
        db.session.remove()

    # A reviewer prepares (经办) but never approves (复核): the role is refused as well.
    reviewer = signed_in(app, "reviewer.qingshan")
    assert approve_on_console(reviewer, payout_id,
                              approval_version(app, payout_id)).status_code == 403
    checker = signed_in(app, "checker.qingshan")
    assert approve_on_console(checker, payout_id,
                              approval_version(app, payout_id)).status_code == 303
    admin_id, _ = staff_id(app, "admin.qingshan")
    checker_id, _ = staff_id(app, "checker.qingshan")
    with app.app_context():
        case = db.session.get(TransferCase, case_id)
        assert case.stage == "funds_in_transit"
        assert (case.approval_sheet["prepared_by"], case.approval_sheet["approved_by"]) == (
            admin_id, checker_id)
        assert ledger.balance_fen(account_id) == 0
        payout = db.session.get(PayoutApproval, payout_id)
        assert (payout.prepared_by, payout.approved_by) == (admin_id, checker_id)
        db.session.remove()
    # Approving again changes nothing: the winner's answer.
    assert approve_on_console(checker, payout_id, 1).status_code == 303


# Re-issue of failed payments (第二十九条) --------------------------------------------------------

def failed_payment(app) -> tuple[int, int]:
    with app.app_context():
        serial = next(_serial)
        month = date(1991, serial % 12 + 1, 1)
        person = Person(id_type=ids.RESIDENT_ID, name=f"重发{serial}", birth_date=date(1950, 1, 1),
                        id_number=ids.compose_resident_id("539901", date(1950, 1, 1),
                                                          850 + serial))
        db.session.add(person)
        db.session.flush()
        db.session.add(InsuranceRelation(person_id=person.id, region_code=SCHEME_PROVINCE_COUNTY,
                                         status="receiving", started_on=date(2009, 10, 1),
                                         benefit_from=date(2010, 1, 1)))
        run = db.session.scalar(select(PaymentRun).filter_by(month=month)) or PaymentRun(
            month=month, created_by="test", payments=1, people=1, basic_fen=16300,
            account_fen=0, bank_file="")
        db.session.add(run)
        db.session.flush()
        payment = BenefitPayment(run_id=run.id, person_id=person.id, month=month,
                                 basic_fen=16300, account_fen=0,
                                 bank_account="6222020200000000", status="failed")
        db.session.add(payment)
        db.session.commit()
        made = person.id, payment.id
        db.session.remove()
    return made


def test_a_reissue_is_sent_only_once_a_different_person_approves_it(app):
    person_id, payment_id = failed_payment(app)
    admin = signed_in(app, "admin.qingshan")
    page = admin.get("/agency/payments")
    assert admin.post("/agency/payments/reissue",
                      data={"csrf_token": csrf_token(page)}).status_code == 303
    with app.app_context():
        payment = db.session.get(BenefitPayment, payment_id)
        assert payment.status == "to_reissue"
        payout = db.session.scalar(select(PayoutApproval).filter(
            PayoutApproval.kind == "reissue", PayoutApproval.status == "awaiting")
            .order_by(PayoutApproval.id.desc()).limit(1))
        assert payment_id in payout.detail["payments"]
        payout_id = payout.id
        # Nothing sent before approval, and no payment run sends it either.
        assert db.session.scalars(select(BenefitPayment).filter_by(
            person_id=person_id, attempt=2)).all() == []
        with pytest.raises(approvals.SamePerson):
            approvals.approve(payout, actor=payout.prepared_by)
        db.session.rollback()
        db.session.remove()
    listed = admin.get("/agency/payments").get_data(as_text=True)
    assert "马超" in listed and "等待" in listed
    refused = approve_on_console(admin, payout_id, approval_version(app, payout_id))
    assert refused.status_code == 403

    checker = signed_in(app, "checker.qingshan")
    console = checker.get("/agency/approvals").get_data(as_text=True)
    assert f"/agency/approvals/{payout_id}/approve" in console
    assert approve_on_console(checker, payout_id,
                              approval_version(app, payout_id)).status_code == 303
    with app.app_context():
        attempts = sorted((p.attempt, p.status, p.approval_id) for p in db.session.scalars(
            select(BenefitPayment).filter_by(person_id=person_id)))
        assert attempts == [(1, "reissued", None), (2, "sent", payout_id)]
        db.session.remove()
    listed = checker.get("/agency/payments").get_data(as_text=True)
    assert "马超" in listed and "何敏" in listed  # both names on the payment list


def test_prepared_reissues_are_not_paid_by_the_next_payment_run(app):
    """A failed month waiting for its re-issue's approval counts as covered: the monthly run
    (第二十七条) does not pay it a second way round the approval."""
    with app.app_context():
        from tests.integration.helpers import pensioner

        person = pensioner(date(2012, 1, 1))
        run = benefits.run_month(date(2012, 1, 1), actor="test", checked_on=date(2012, 1, 2))
        payment = db.session.scalar(select(BenefitPayment).filter_by(run_id=run.id,
                                                                     person_id=person.id))
        benefits.import_bank_result(f"payment_id,status\n{payment.id},failed\n", actor="bank")
        prepared = benefits.prepare_reissue("staff:1", SCHEME_PROVINCE_COUNTY)
        assert prepared is not None and payment.id in prepared.detail["payments"]
        later = benefits.run_month(date(2012, 2, 1), actor="test", checked_on=date(2012, 2, 2))
        months = [p.month for p in db.session.scalars(select(BenefitPayment).filter_by(
            run_id=later.id, person_id=person.id))]
        assert months == [date(2012, 2, 1)]
        db.session.remove()


def test_a_checker_sends_a_reissue_back_with_a_reason_and_nothing_is_paid(app):
    """第六十二条: the second person may find a payout not bound to an application wrong. They send
    it back with the reason (not its preparer: refused); nothing is paid, the payments go back
    to the failed list, it can be prepared again, the preparer reads why, and it is audited."""
    from portal.models import AuditRecord

    person_id, payment_id = failed_payment(app)
    admin = signed_in(app, "admin.qingshan")
    page = admin.get("/agency/payments")
    assert admin.post("/agency/payments/reissue",
                      data={"csrf_token": csrf_token(page)}).status_code == 303
    with app.app_context():
        payout = next(a for a in db.session.scalars(select(PayoutApproval).filter_by(
            kind="reissue", status="awaiting")) if payment_id in a.detail["payments"])
        payout_id, version = payout.id, payout.version
        db.session.remove()

    def send_back(client, reason, version=version):
        page = client.get("/agency/approvals")
        return client.post(f"/agency/approvals/{payout_id}/return", data={
            "csrf_token": csrf_token(page), f"p{payout_id}-version": version,
            f"p{payout_id}-reason": reason})

    refused = send_back(admin, "金额有误，请重新核对")  # its preparer cannot send it back
    assert refused.status_code == 403 and "第六十二条" in refused.get_data(as_text=True)
    checker = signed_in(app, "checker.qingshan")
    assert f"/agency/approvals/{payout_id}/return" in checker.get(
        "/agency/approvals").get_data(as_text=True)
    bad = send_back(checker, " ")
    assert bad.status_code == 400 and "请填写退回原因" in bad.get_data(as_text=True)
    assert approval_version(app, payout_id) == version  # nothing changed
    assert send_back(checker, "银行账号未更正，请核对后再发放").status_code == 303
    with app.app_context():
        payout = db.session.get(PayoutApproval, payout_id)
        assert payout.status == "returned" and payout.approved_by is None
        assert payout.detail["return_reason"] == "银行账号未更正，请核对后再发放"
        assert payout.detail["returned_by"] != payout.prepared_by
        assert db.session.get(BenefitPayment, payment_id).status == "failed"
        assert db.session.scalars(select(BenefitPayment).filter_by(
            person_id=person_id, attempt=2)).all() == []  # nothing paid
        assert db.session.scalar(select(AuditRecord).filter_by(
            action="payout_returned", object_id=str(payout_id))) is not None
        with pytest.raises(approvals.NotOpen):  # sent back: it can no longer be approved
            approvals.approve(payout, actor="staff:999")
        db.session.rollback()
        db.session.remove()
    # The preparer reads why, with both names; the payments can be prepared again.
    listed = admin.get("/agency/approvals").get_data(as_text=True)
    assert "银行账号未更正" in listed and "已退回给您" in listed
    page = admin.get("/agency/payments")
    assert admin.post("/agency/payments/reissue",
                      data={"csrf_token": csrf_token(page)}).status_code == 303
    with app.app_context():
        assert db.session.get(BenefitPayment, payment_id).status == "to_reissue"
        db.session.remove()


def test_a_transfer_balance_sent_back_leaves_nothing_and_can_be_prepared_again(app):
    """第六十二条 and 第四十三条: a transfer's balance sent back by the checker moves nothing; the
    case still waits at the old county and the balance can be prepared again, once."""
    case_id, account_id = transfer_waiting_here(app)
    admin, checker = signed_in(app, "admin.qingshan"), signed_in(app, "checker.qingshan")
    page = admin.get("/agency/transfers")
    assert admin.post(f"/agency/transfers/{case_id}/settle",
                      data={"csrf_token": csrf_token(page)}).status_code == 302
    with app.app_context():
        payout = closure.transfer_approval(db.session.get(TransferCase, case_id))
        payout_id, version = payout.id, payout.version
        balance = ledger.balance_fen(account_id)
        db.session.remove()
    page = checker.get("/agency/approvals")
    assert checker.post(f"/agency/approvals/{payout_id}/return", data={
        "csrf_token": csrf_token(page), f"p{payout_id}-version": version,
        f"p{payout_id}-reason": "缴费年限与档案不符，请核对"}).status_code == 303
    with app.app_context():
        case = db.session.get(TransferCase, case_id)
        assert case.stage == "old_county_settling" and closure.transfer_approval(case) is None
        assert db.session.get(PayoutApproval, payout_id).status == "returned"
        assert ledger.balance_fen(account_id) == balance  # nothing left the account
        db.session.remove()
    assert approve_on_console(checker, payout_id, version + 1).status_code == 303
    with app.app_context():
        assert db.session.get(PayoutApproval, payout_id).status == "returned"  # not approved
        db.session.remove()
    page = admin.get("/agency/transfers")
    assert admin.post(f"/agency/transfers/{case_id}/settle",
                      data={"csrf_token": csrf_token(page)}).status_code == 302
    with app.app_context():
        again = closure.transfer_approval(db.session.get(TransferCase, case_id))
        assert again.id != payout_id and again.status == "awaiting"
        assert again.amount_fen == balance == ledger.balance_fen(account_id)  # interest once
        db.session.remove()


def test_the_command_line_reissue_needs_two_members_of_staff(app, tmp_path):
    _person_id, payment_id = failed_payment(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reissue-payments", str(tmp_path), "--staff",
                                 "checker.qingshan"])
    assert result.exit_code == 0 and "prepared" in result.output, result.output
    payout_id = int(re.search(r"number (\d+)", result.output).group(1))
    with app.app_context():
        assert payment_id in db.session.get(PayoutApproval, payout_id).detail["payments"]
        db.session.remove()
    same = runner.invoke(args=["reissue-payments", str(tmp_path), "--staff", "checker.qingshan",
                               "--approve", str(payout_id)])
    assert same.exit_code != 0 and "第六十二条" in same.output
    assert not list(tmp_path.glob("*.csv"))
    other = runner.invoke(args=["reissue-payments", str(tmp_path), "--staff", "admin.qingshan",
                                "--approve", str(payout_id)])
    assert other.exit_code == 0, other.output
    assert len(list(tmp_path.glob("*.csv"))) == 1
    with app.app_context():
        assert db.session.get(BenefitPayment, payment_id).status == "reissued"
        db.session.remove()


# Corrections of account entries (第二十条) --------------------------------------------------------

def test_a_correction_is_booked_only_once_a_different_person_approves_it(client, app, enrolled):
    from tests.integration.helpers import account_state, book_contribution, file_dispute, sign_in

    book_contribution(client, app, enrolled, amount=40000)
    before, entries = account_state(app, enrolled)
    personal = next(e for e in entries if e[1] == "personal")
    sign_in(client, app, enrolled)
    reference = file_dispute(client)
    admin = signed_in(app, "admin.qingshan")
    assert staff_post(admin, reference, "resolution", entry=personal[0], right_amount="500",
                      explanation="核对税务缴费记录，应为500元").status_code == 302
    assert account_state(app, enrolled)[0] == before
    refused = admin.post(f"/agency/applications/{reference}/correction-check", data={
        "csrf_token": csrf_token(admin.get("/agency/")),
        "version": application_version(app, reference), "verdict": "approve"})
    assert refused.status_code == 403 and "第六十二条" in refused.get_data(as_text=True)
    with app.app_context():
        payout = approvals.of_subject(PayoutKind.LEDGER_CORRECTION,
                                      f"correction:dispute:{reference}")
        assert payout.amount_fen == 10000 and payout.status == "awaiting"
        with pytest.raises(approvals.SamePerson):
            approvals.approve(payout, actor=payout.prepared_by)
        db.session.rollback()
        db.session.remove()
    # The console lists it and sends the checker to the application to approve it there.
    checker = signed_in(app, "checker.qingshan")
    console = checker.get("/agency/approvals").get_data(as_text=True)
    assert f"/agency/applications/{reference}" in console
    assert staff_post(checker, reference, "correction-check",
                      verdict="approve").status_code == 302
    assert account_state(app, enrolled)[0] == before + 10000
    with app.app_context():
        payout = approvals.of_subject(PayoutKind.LEDGER_CORRECTION,
                                      f"correction:dispute:{reference}")
        assert payout.approved_by and payout.approved_by != payout.prepared_by
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        assert item.status == "corrected" and "500元" in item.decision_reason
        db.session.remove()


# Re-determinations (第二十五条): the same mechanism, for whoever builds them ----------------------

def test_any_payout_kind_reuses_prepare_and_approve(app):
    released = []

    @approvals.releases(PayoutKind.REDETERMINATION)
    def pay_difference(approval, actor, channel):
        released.append((approval.subject, actor))

    try:
        with app.app_context():
            payout = approvals.prepare(PayoutKind.REDETERMINATION, "redetermination:test",
                                       actor="staff:1", county_code=SCHEME_PROVINCE_COUNTY,
                                       amount_fen=1234)
            with pytest.raises(approvals.AlreadyPrepared):
                approvals.prepare(PayoutKind.REDETERMINATION, "redetermination:test",
                                  actor="staff:3", county_code=SCHEME_PROVINCE_COUNTY,
                                  amount_fen=1234)
            payout = approvals.of_subject(PayoutKind.REDETERMINATION, "redetermination:test")
            with pytest.raises(approvals.SamePerson):
                approvals.approve(payout, actor="staff:1")
            with pytest.raises(approvals.SamePerson):
                approvals.approve(payout, actor="system:run")
            assert released == []
            approvals.approve(payout, actor="staff:2", commit=True)
            assert released == [("redetermination:test", "staff:2")]
            with pytest.raises(approvals.NotOpen):
                approvals.approve(payout, actor="staff:3")
            db.session.remove()
    finally:
        approvals.RELEASES.pop(str(PayoutKind.REDETERMINATION), None)


def test_the_system_prepares_no_payout(app):
    with app.app_context(), pytest.raises(approvals.SamePerson):
        approvals.prepare(PayoutKind.REISSUE, "reissue:system", actor="system:cli",
                          county_code=SCHEME_PROVINCE_COUNTY, amount_fen=1)


def test_a_settlement_waits_in_the_approvals_list_and_links_to_its_application(client, app):
    deceased, heir, _pid = beneficiary_paid_until(app, date(2031, 6, 1), date(2031, 5, 10))
    reference = file_deregistration(client, app, heir, deceased)
    reviewer = signed_in(app, "reviewer.qingshan")
    assert staff_post(reviewer, reference, "settlement").status_code == 302
    listed = reviewer.get("/agency/approvals").get_data(as_text=True)
    assert f"/agency/applications/{reference}" in listed and "黄志明" in listed
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        payout_id = approvals.for_application(item.id).id
        assert db.session.scalar(select(Settlement.status).filter_by(
            application_id=item.id)) == "awaiting_approval"
        db.session.remove()
    # Application-bound payouts are approved through the application, not around it.
    checker = signed_in(app, "checker.qingshan")
    response = approve_on_console(checker, payout_id, approval_version(app, payout_id))
    assert response.status_code == 303 and response.location.endswith(reference)
    with app.app_context():
        assert db.session.get(PayoutApproval, payout_id).status == "awaiting"
        db.session.remove()
