"""Deregistration under the commitment system (第三十六条至第三十九条) and transfer-in across
counties with stage tracking (第四十条至第四十五条)."""

import itertools
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
    Person,
    PersonalAccount,
    RegistryDeath,
    RegistryEnrolment,
    RegistryPerson,
    RegistryRelative,
    Settlement,
    TransferCase,
)
from portal.operations import benefits, ledger
from portal.rules import ids
from tests.integration.helpers import csrf_token, send_contributions, sign_in, staff_sign_in
from tests.integration.test_changes import answer, confirm
from tests.integration.test_claim import (
    BANK_ACCOUNT,
    become_beneficiary,
    make_claimant,
    person_id,
    staff_post,
)

_numbers = itertools.count(600)


def registry_person(app, county="539901", village="539901100201", born=date(1975, 3, 3)):
    number = next(_numbers)
    person = {"name": f"家属{number}", "id_type": ids.RESIDENT_ID,
              "id_number": ids.compose_resident_id(county, born, number), "nationality": "CHN",
              "phone": f"135{number:08d}"}
    with app.app_context():
        db.session.add(RegistryPerson(id_type=ids.RESIDENT_ID, id_number=person["id_number"],
                                      name=person["name"], sex="F", birth_date=born,
                                      phone=person["phone"], hukou_region_code=village,
                                      address="青山县青山镇东山村6组2号", alive=True))
        db.session.commit()
        db.session.remove()
    return person


def beneficiary_paid_until(app, paid_until: date, died_on: date):
    """A pensioner paid every month up to `paid_until` who died on `died_on`, and their child."""
    client = app.test_client()
    person = make_claimant(app)
    pid = become_beneficiary(client, app, person)
    heir = registry_person(app)
    with app.app_context():
        run = benefits.run_month(paid_until, actor="test")
        mine = [p for p in run_payments(run.id) if p.person_id == pid]
        benefits.import_bank_result("payment_id,status\n" + "\n".join(
            f"{p.id},paid" for p in mine), actor="test")
        db.session.add(RegistryDeath(id_number=person["id_number"], death_date=died_on,
                                     source="civil_affairs"))
        db.session.add(RegistryRelative(id_number=heir["id_number"],
                                        relative_id_number=person["id_number"],
                                        relation="child"))
        db.session.commit()
        db.session.remove()
    return person, heir, pid


def run_payments(run_id):
    from portal.models import BenefitPayment

    return db.session.scalars(select(BenefitPayment).filter_by(run_id=run_id)).all()


def file_deregistration(client, app, heir, deceased):
    sign_in(client, app, heir, face=True, level="face")
    assert client.get("/apply/deregistration/").status_code == 200
    assert answer(client, "/apply/deregistration/step/ground", ground="death").status_code == 302
    response = answer(client, "/apply/deregistration/step/deceased",
                      deceased_name=deceased["name"], deceased_id_number=deceased["id_number"])
    if response.status_code != 302:
        return response
    assert answer(client, "/apply/deregistration/step/bank_account",
                  bank_account=BANK_ACCOUNT).status_code == 302
    page = client.get("/apply/deregistration/check")
    assert "不需要" in page.get_data(as_text=True) or "死亡证明" in page.get_data(as_text=True)
    return confirm(client, "deregistration")


def approve(app, reference, username="reviewer.qingshan"):
    staff = app.test_client()
    staff_sign_in(staff, app, username)
    review = staff.get(f"/agency/applications/{reference}").get_data(as_text=True)
    response = staff_post(staff, reference, "decision", decision="approve")
    assert response.status_code == 302, response.get_data(as_text=True)
    return staff, review


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
    staff, review = approve(app, reference)
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
    staff, _review = approve(app, reference)
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


def enrolled_in(app, county: str, years=5):
    """A contributor insured in `county` whose household registration has just moved to
    青山县 (539901)."""
    person = registry_person(app, county=county[:6], village="539901100201")
    with app.app_context():
        db.session.add(RegistryEnrolment(id_number=person["id_number"], scheme="resident",
                                         region_code=county, status="contributing",
                                         since=date(2019, 1, 1)))
        resident = Person(id_type=ids.RESIDENT_ID, id_number=person["id_number"],
                          name=person["name"], birth_date=date(1975, 3, 3), phone=person["phone"])
        db.session.add(resident)
        db.session.flush()
        if county.startswith("5399"):
            relation = InsuranceRelation(person_id=resident.id, region_code=county,
                                         status="contributing", started_on=date(2019, 1, 1),
                                         contribution_tier_fen=50000)
            db.session.add(relation)
            db.session.flush()
            db.session.add(PersonalAccount(person_id=resident.id, relation_id=relation.id,
                                           opened_on=date(2019, 1, 1)))
        db.session.commit()
        db.session.remove()
    if county.startswith("5399"):
        rows = "\n".join(f"T{person['id_number']}{y},{person['id_number']},{y},50000,"
                         f"{y}-05-10,person" for y in range(2025 - years + 1, 2026))
        booked = send_contributions(app.test_client(), app,
                                    "tax_ref,id_number,year,amount_fen,paid_on,payer\n" + rows)
        assert booked.json["status"] == "booked", booked.json
    return person


def apply_transfer(client, app, person):
    sign_in(client, app, person, face=True, level="face")
    start = client.get("/apply/transfer_in/")
    assert start.status_code == 200, start.get_data(as_text=True)
    assert answer(client, "/apply/transfer_in/step/confirm_transfer",
                  confirm_transfer="yes").status_code == 302
    return confirm(client, "transfer_in")


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
    with app.app_context():
        case = db.session.get(TransferCase, case_id)
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
    from portal.operations import closure

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
