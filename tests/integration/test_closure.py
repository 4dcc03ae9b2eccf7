"""Deregistration under the commitment system (第三十六条至第三十九条) and transfer-in across
counties with stage tracking (第四十条至第四十五条)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Application,
    Commitment,
    ImmutableRecord,
    InsuranceRelation,
    LedgerEntry,
    OutboxMessage,
    Settlement,
    TransferCase,
)
from portal.operations import benefits, closure, ledger
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    BANK_ACCOUNT,
    answer,
    apply_transfer,
    approve,
    become_beneficiary,
    beneficiary_paid_until,
    confirm,
    csrf_token,
    enrolled_in,
    file_deregistration,
    make_claimant,
    person_id,
    registry_person,
    run_payments,
    settle,
    sign_in,
    staff_post,
    staff_sign_in,
)


def test_heir_deregisters_without_certificate_and_gets_exact_settlement(client, app):
    deceased, heir, pid = beneficiary_paid_until(app, date(2030, 1, 1), date(2029, 12, 15))
    reference = file_deregistration(client, app, heir, deceased)
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        assert item.subject_person_id == pid and item.status == "submitted"
        assert (item.due_on - item.received_on).days >= 5  # 5 working days (第三十九条)
        signed = db.session.scalar(select(Commitment).filter_by(application_id=item.id))
        assert signed.version == "DEREG-2026-1" and signed.signer_name == heir["name"]
        assert "死亡证明" in signed.text or "承诺" in signed.text
        balance = ledger.balance_fen(ledger.account_of(pid).id)
        decision = benefits.decision_for(db.session.scalar(select(Application).filter_by(
            person_id=pid, kind="claim")))
        monthly, account_part = decision.monthly_fen, decision.account_fen
        db.session.remove()
    staff, review = settle(app, reference)
    assert "承诺" in review and deceased["id_number"] in review and "2029年12月15日" in review
    with app.app_context():
        settlement = db.session.scalar(select(Settlement).join(
            Application, Application.id == Settlement.application_id).filter(
            Application.reference == reference))
        # 第三十六条: balance (with January's account part, which left it when the bank paid it,
        # back in: each fen is counted once) + interest to date (结息, 第三十九条) + 500.00
        # funeral subsidy − January 2030, paid after the December death.
        interest = sum(part["amount_fen"] for part in settlement.interest)
        assert settlement.overpaid_fen == monthly
        assert settlement.payable_fen == balance + account_part + interest + 50_000 - monthly
        assert settlement.debt_fen == 0
        settlement_payable = settlement.payable_fen
        relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=pid))
        assert relation.status == "terminated" and relation.ended_on == date(2029, 12, 15)
        assert ledger.balance_fen(ledger.account_of(pid).id) == 0
        assert db.session.scalar(select(OutboxMessage).filter_by(
            channel="bank", kind="settlement", person_id=person_id(app, heir)))
        # No more pension after the relation ends.
        later = benefits.run_month(date(2030, 5, 1), actor="test")
        assert [p for p in run_payments(later.id) if p.person_id == pid] == []
        db.session.remove()
    mine = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert f"¥{settlement_payable / 100:,.2f}" in mine


def test_overpayment_larger_than_balance_and_funeral_is_listed_as_debt(client, app):
    # Seven years paid after the death: more than the balance with its interest to date
    # (these test accounts were never credited, so settlement credits every year since 2009).
    deceased, heir, pid = beneficiary_paid_until(app, date(2034, 2, 1), date(2027, 2, 10))
    reference = file_deregistration(client, app, heir, deceased)
    staff, _review = settle(app, reference)
    with app.app_context():
        settlement = db.session.scalar(select(Settlement).filter_by(insured_person_id=pid))
        assert settlement.payable_fen == 0
        assert settlement.debt_fen == (settlement.overpaid_fen - settlement.balance_fen
                                       - settlement.funeral_fen) > 0
        db.session.remove()
    debts = staff.get("/agency/debts").get_data(as_text=True)
    assert deceased["name"] in debts


def test_a_signed_commitment_cannot_be_changed_or_deleted(client, app):
    deceased, heir, _pid = beneficiary_paid_until(app, date(2030, 3, 1), date(2030, 2, 20))
    reference = file_deregistration(client, app, heir, deceased)
    with app.app_context():
        signed = db.session.scalar(select(Commitment).join(
            Application, Application.id == Commitment.application_id).filter(
            Application.reference == reference))
        signed.text = "我什么也没承诺"
        with pytest.raises(ImmutableRecord):
            db.session.commit()
        db.session.rollback()
        signed = db.session.scalar(select(Commitment).filter_by(id=signed.id))
        db.session.delete(signed)
        with pytest.raises(ImmutableRecord):
            db.session.commit()
        db.session.rollback()
        db.session.remove()


def test_a_stranger_cannot_deregister_someone_else(client, app):
    deceased, _heir, pid = beneficiary_paid_until(app, date(2030, 4, 1), date(2030, 3, 20))
    stranger = registry_person(app)
    refused = file_deregistration(client, app, stranger, deceased)
    assert refused.status_code == 400
    assert "亲属" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(InsuranceRelation.status).filter_by(
            person_id=pid)) == "receiving"
        db.session.remove()


def test_transfer_from_another_county_here_moves_everything(client, app):
    person = enrolled_in(app, "539902000000")
    pid = person_id(app, person)
    with app.app_context():
        old_account = ledger.account_of(pid)
        old_years = ledger.contribution_years(old_account.id)
        old_balance = ledger.balance_fen(old_account.id)
        db.session.remove()
    reference = apply_transfer(client, app, person)
    tracker = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "新参保地" in tracker or "新" in tracker
    approve(app, reference)  # 青山县, the new county, accepts within 5 working days

    old_county = app.test_client()
    staff_sign_in(old_county, app, "reviewer.baishui")
    with app.app_context():
        case = db.session.scalar(select(TransferCase).filter_by(person_id=pid))
        case_id = case.id
        assert case.stage == "old_county_settling" and case.holder == "539902000000"
        assert case.letter["to_county"] == "539901000000"
        db.session.remove()
    page = old_county.get("/agency/transfers")
    assert person["name"] in page.get_data(as_text=True)
    # The new county cannot act for the old one.
    new_county = app.test_client()
    staff_sign_in(new_county, app, "reviewer.qingshan")
    assert new_county.post(f"/agency/transfers/{case_id}/settle", data={
        "csrf_token": csrf_token(new_county.get("/agency/transfers"))}).status_code == 404
    assert old_county.post(f"/agency/transfers/{case_id}/settle",
                           data={"csrf_token": csrf_token(page)}).status_code == 302
    # 第六十二条: nothing leaves before a different member of staff of the old county approves.
    with app.app_context():
        assert db.session.get(TransferCase, case_id).stage == "old_county_settling"
        assert ledger.balance_fen(old_account.id) > 0
        approval_id = closure.transfer_approval(db.session.get(TransferCase, case_id)).id
        db.session.remove()
    checker = app.test_client()
    staff_sign_in(checker, app, "checker.baishui")
    approvals_page = checker.get("/agency/approvals")
    assert person["name"] in approvals_page.get_data(as_text=True)
    assert checker.post(f"/agency/approvals/{approval_id}/approve", data={
        "csrf_token": csrf_token(approvals_page), "version": 1}).status_code == 303
    with app.app_context():
        case = db.session.get(TransferCase, case_id)
        assert case.approval_sheet["prepared_by"] != case.approval_sheet["approved_by"]
        interest = case.approval_sheet["interest_to_date_fen"]
        assert case.amount_fen == old_balance + interest
        assert ledger.balance_fen(old_account.id) == 0
        old_relation = db.session.get(InsuranceRelation, old_account.relation_id)
        assert old_relation.status == "terminated" and old_relation.end_reason == \
            "transferred_out"
        db.session.remove()
    page = new_county.get("/agency/transfers")
    assert new_county.post(f"/agency/transfers/{case_id}/funds-arrived",
                           data={"csrf_token": csrf_token(page)}).status_code == 302
    with app.app_context():
        account = ledger.account_of(pid)
        assert account.id != old_account.id
        assert ledger.balance_fen(account.id) == old_balance + interest
        assert ledger.contribution_years(account.id) == old_years  # years carried over
        relation = db.session.get(InsuranceRelation, account.relation_id)
        assert relation.region_code == "539901000000" and relation.status == "contributing"
        assert db.session.get(TransferCase, case_id).stage == "completed"
        db.session.remove()
    tracker = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert tracker.count("timeline-item") >= 4
    assert "在您这里" in tracker or "已转入" in tracker or "完成" in tracker


def test_an_overdue_stage_is_flagged_to_resident_and_county(client, app):
    person = enrolled_in(app, "539902000000")
    reference = apply_transfer(client, app, person)
    approve(app, reference)
    pid = person_id(app, person)
    with app.app_context():
        case = db.session.scalar(select(TransferCase).filter_by(person_id=pid))
        history = [dict(h) for h in case.history]
        history[-1]["due"] = (date.today() - timedelta(days=3)).isoformat()
        case.history, case.stage_due = history, date.today() - timedelta(days=3)
        db.session.commit()
        db.session.remove()
    assert "tag-overdue" in client.get(f"/me/applications/{reference}").get_data(as_text=True)
    old_county = app.test_client()
    staff_sign_in(old_county, app, "reviewer.baishui")
    assert "tag-overdue" in old_county.get("/agency/transfers").get_data(as_text=True)


def test_no_transfer_while_receiving_or_within_the_county(client, app, demo):
    sign_in(client, app, demo["by_key"]["receiving"], face=True, level="face")
    assert "/apply/transfer_in/step/" not in client.get("/apply/transfer_in/").get_data(
        as_text=True)
    other = app.test_client()
    sign_in(other, app, demo["by_key"]["contributor"], face=True, level="face")
    page = other.get("/apply/transfer_in/").get_data(as_text=True)
    assert "/apply/transfer_in/step/" not in page and "地址" in page


def test_transfer_from_an_outside_county_goes_through_the_interface(client, app):
    person = enrolled_in(app, "519901000000")  # another province: not on this system
    reference = apply_transfer(client, app, person)
    approve(app, reference)
    pid = person_id(app, person)
    with app.app_context():
        letter = db.session.scalar(select(OutboxMessage).filter_by(
            channel="transfer", kind="acceptance_letter", person_id=pid))
        assert letter.recipient == "519901000000" and letter.params["reference"] == reference
        case = db.session.scalar(select(TransferCase).filter_by(person_id=pid))
        closure.receive_from_outside(case, 1_234_500, [2020, 2021, 2022])
        closure.confirm_funds(db.session.get(TransferCase, case.id), actor="test")
        account = ledger.account_of(pid)
        assert ledger.balance_fen(account.id) == 1_234_500
        assert ledger.contribution_years(account.id) == [2020, 2021, 2022]
        assert db.session.scalars(select(LedgerEntry).filter_by(account_id=account.id)).all()[
            0].kind == "transfer_in"
        db.session.remove()
