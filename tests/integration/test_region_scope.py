"""Every staff query is scoped to the staff member's region (issue 17 item 4; security.md).

Objects of the other county, 白水县 (539902), are made here; then every staff of 青山县
(539901) walks every staff route with those ids: an object route finds nothing (403/404), a list
shows none of them, and an action over a list leaves them unchanged. A new staff route that is
not walked here fails `test_every_staff_route_is_walked`, like the resident routes in
test_access.py. Assistants are walked the same way with another village's ids.
"""

import itertools
import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Application,
    BenefitPayment,
    Consent,
    DeathReport,
    FraudReport,
    ImportBatch,
    InsuranceRelation,
    KioskTerminal,
    OutboxMessage,
    PaymentRun,
    PayoutApproval,
    Person,
    RecordInquiry,
    RefusedContribution,
    RegistryPerson,
    Settlement,
    StaffUser,
    TransferCase,
    Upload,
)
from portal.rules import ids
from tests.integration.helpers import csrf_token, staff_sign_in
from tests.integration.test_access import ASSISTANT_ONLY, STAFF_ONLY

COUNTY, TOWNSHIP, VILLAGE = "539902000000", "539902100000", "539902100201"
NAME = "外县甲某"  # appears on no page of 青山县's staff
STAFF = ("reviewer.qingshan", "checker.qingshan", "admin.qingshan", "clerk.shiqiao")
_numbers = itertools.count(1)


def _application(person, kind: str, **extra) -> Application:
    today = date.today()
    fields = {"township_check": True, "status": "submitted", **extra}
    item = Application(reference=f"539902{today:%y%m%d}{next(_numbers):05d}", kind=kind,
                       person_id=person.id, region_code=COUNTY, township_code=TOWNSHIP,
                       filed_by=person.get_id(), filed_by_kind="resident", channel="online",
                       submission_key=secrets.token_hex(16), received_on=today,
                       due_on=today + timedelta(days=5), answers={}, comparison={}, **fields)
    db.session.add(item)
    db.session.flush()
    return item


@pytest.fixture(scope="module")
def foreign(app):
    """One of everything staff can see or act on, all in 白水县."""
    with app.app_context():
        number = ids.compose_resident_id("539902", date(1950, 6, 1), 901)
        person = Person(id_type=ids.RESIDENT_ID, id_number=number, name=NAME,
                        birth_date=date(1950, 6, 1), hukou_region_code=VILLAGE)
        db.session.add(person)
        db.session.flush()
        enrolment = _application(person, "enrolment")
        dispute = _application(person, "dispute")
        question = _application(person, "question")
        claim = _application(person, "claim", township_check=False)
        transfer = _application(person, "transfer_in", status="approved")
        deregistration = _application(person, "deregistration", status="approved")
        stored = secrets.token_hex(16) + ".pdf"
        folder = Path(app.config["UPLOAD_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / stored).write_bytes(b"%PDF-1.4\n%%EOF\n")
        upload = Upload(person_id=person.id, application_id=enrolment.id, purpose="identity",
                        stored_name=stored, content_type="application/pdf", size=15,
                        sha256="0" * 64, uploaded_by=person.get_id())
        db.session.add(InsuranceRelation(person_id=person.id, region_code=COUNTY,
                                         status="receiving", started_on=date(2009, 10, 1),
                                         benefit_from=date(2010, 7, 1)))
        run = PaymentRun(month=date(1989, 1, 1), created_by="test", payments=1, people=1,
                         basic_fen=16300, account_fen=0, bank_file="")
        db.session.add(run)
        db.session.flush()
        payment = BenefitPayment(run_id=run.id, person_id=person.id, month=date(1989, 1, 1),
                                 basic_fen=16300, account_fen=0, bank_account="6222",
                                 status="failed")
        registration = OutboxMessage(
            channel="tax", kind="registration", status="rejected", person_id=person.id,
            recipient="tax", body="{}", params={"county_code": COUNTY, "name": NAME,
                                                "id_number": number, "reference": "R-FOREIGN"})
        report = FraudReport(reference="JB" + secrets.token_hex(5).upper(), check_code_hash="0",
                             county_code=COUNTY, subject="other", about_name=NAME,
                             details="外县的举报，青山县看不到。")
        assistant = StaffUser(username="xieban.baishui", name="外县协办员",
                              role="village_assistant", region_code=COUNTY,
                              password_hash="x", totp_secret="JBSWY3DPEHPK3PXP")
        terminal = KioskTerminal(device_id="KIOSK-539902-FOREIGN", name="白水镇 1号机",
                                 region_code=TOWNSHIP, public_key="A" * 43,
                                 registered_by="staff:0")
        registry_row = RegistryPerson(id_type=ids.RESIDENT_ID, id_number=number, name=NAME,
                                      hukou_region_code=VILLAGE, alive=True)
        db.session.add_all([upload, payment, registration, report, assistant, terminal,
                            registry_row])
        db.session.flush()
        deaths = [DeathReport(reported_by=assistant.id, village_code=VILLAGE,
                              month=date(2026, 10, 1), name=NAME, id_number=number,
                              death_date=date(2026, 10, 5), status=status, person_id=person.id)
                  for status in ("reported", "matched")]
        consent = Consent(staff_id=assistant.id, person_id=person.id, flow="enrolment",
                          method="sms", reason="illness", sms_code_hash="0" * 64,
                          status="pending", expires_on=date.today() + timedelta(days=30))
        case = TransferCase(application_id=transfer.id, person_id=person.id,
                            from_county=COUNTY, to_county="519901000000",
                            stage="old_county_settling", stage_since=date.today(),
                            stage_due=date.today() + timedelta(days=15), holder=COUNTY,
                            history=[])
        settlement = Settlement(application_id=deregistration.id, insured_person_id=person.id,
                                payee_person_id=person.id, ground="death",
                                event_on=date(2026, 1, 1), balance_fen=0, refundable_fen=0,
                                funeral_fen=0, overpaid_fen=5000, payable_fen=0,
                                debt_fen=5000, bank_account="6222")
        batch = ImportBatch(source="tax", content_sha256=secrets.token_hex(32),
                            received_by="test", status="rejected", report={})
        db.session.add(batch)
        db.session.flush()
        refused = RefusedContribution(batch_id=batch.id, row_number=1,
                                      tax_ref="T-FOREIGN-REFUSED", id_number=number,
                                      person_id=person.id, county_code=COUNTY, year=2026,
                                      amount_fen=20000, reason="bad_amount")
        db.session.add_all([*deaths, consent, case, settlement, refused])
        db.session.flush()
        payout = PayoutApproval(kind="transfer_settlement", subject=f"transfer:{case.id}",
                                county_code=COUNTY, person_id=person.id, amount_fen=123_400,
                                detail={}, status="awaiting", prepared_by="staff:999999")
        db.session.add(payout)
        # 第四十四条: a question to 白水县 about a record it transferred out.
        inquiry = RecordInquiry(application_id=dispute.id, case_id=case.id,
                                person_id=person.id, asking_county="519901000000",
                                old_county=COUNTY, route="in_process",
                                question="外县的核查", asked_by="staff:0", status="asked")
        db.session.add(inquiry)
        db.session.commit()
        made = {"enrolment": enrolment.reference, "dispute": dispute.reference,
                "question": question.reference, "claim": claim.reference,
                "upload": upload.id, "payment": payment.id, "registration": registration.id,
                "report": report.reference, "terminal": terminal.id,
                "reported_death": deaths[0].id, "matched_death": deaths[1].id,
                "consent": consent.id, "case": case.id, "registry": registry_row.id,
                "enrolment_id": enrolment.id, "device": terminal.device_id,
                "payout": payout.id, "deregistration": deregistration.reference,
                "inquiry": inquiry.id}
        db.session.remove()
    return made


def walk(f):
    """endpoint -> (method, path, what to check): "none" (403/404), or "absent" (a list
    without the foreign objects), or "unchanged" (an action over a list that leaves them)."""
    return {
        "agency.queue": ("GET", "/agency/", "absent"),
        "agency.application": ("GET", f"/agency/applications/{f['enrolment']}", "none"),
        "agency.decision": ("POST", f"/agency/applications/{f['enrolment']}/decision", "none"),
        "agency.upload": ("GET", f"/agency/uploads/{f['upload']}", "none"),
        "agency.township_check": (
            "POST", f"/agency/applications/{f['enrolment']}/township-check", "none"),
        "agency.tax_registrations": ("GET", "/agency/tax-registrations", "absent"),
        "agency.refused_contributions": ("GET", "/agency/refused-contributions", "absent"),
        "agency.resend_tax_registration": (
            "POST", f"/agency/tax-registrations/{f['registration']}/resend", "none"),
        "agency.resolution": ("POST", f"/agency/applications/{f['dispute']}/resolution", "none"),
        "agency.take": ("POST", f"/agency/applications/{f['question']}/take", "none"),
        "agency.answer": (
            "POST", f"/agency/applications/{f['question']}/answer", "none"),
        "agency.reports_queue": ("GET", "/agency/reports", "absent"),
        "agency.report": ("GET", f"/agency/reports/{f['report']}", "none"),
        "agency.payments": ("GET", "/agency/payments", "absent"),
        "agency.reissue_payments": ("POST", "/agency/payments/reissue", "unchanged"),
        "agency.death_reports": ("GET", "/agency/death-reports", "absent"),
        "agency.forward_death_reports": ("POST", "/agency/death-reports/forward", "unchanged"),
        "agency.decide_death_report": (
            "POST", f"/agency/death-reports/{f['matched_death']}/confirmed", "none"),
        "agency.terminals": ("GET", "/agency/terminals", "absent"),
        "agency.revoke_terminal": ("POST", f"/agency/terminals/{f['terminal']}/revoke", "none"),
        "agency.transfers": ("GET", "/agency/transfers", "absent"),
        "agency.settle_transfer": ("POST", f"/agency/transfers/{f['case']}/settle", "none"),
        "agency.confirm_transfer_funds": (
            "POST", f"/agency/transfers/{f['case']}/funds-arrived", "none"),
        "agency.debts": ("GET", "/agency/debts", "absent"),
        # the foreign pensioner has never confirmed: overdue there, never listed here
        "agency.eligibility_missed": ("GET", "/agency/eligibility", "absent"),
        "agency.data_access": ("GET", "/agency/data-access", "absent"),
        "agency.benefit": ("POST", f"/agency/applications/{f['claim']}/benefit", "none"),
        "agency.benefit_check": (
            "POST", f"/agency/applications/{f['claim']}/benefit-check", "none"),
        # One calendar for the whole country (the State Council's notice): nothing of a
        # county in it; a stray post changes no county's data.
        "agency.calendar_years": ("GET", "/agency/calendar", "absent"),
        "agency.calendar_year": ("GET", "/agency/calendar/2027", "absent"),
        "agency.confirm_calendar_year": ("POST", "/agency/calendar/2027/confirm", "national"),
        "agency.settlement": (
            "POST", f"/agency/applications/{f['deregistration']}/settlement", "none"),
        "agency.settlement_check": (
            "POST", f"/agency/applications/{f['deregistration']}/settlement-check", "none"),
        "agency.correction_check": (
            "POST", f"/agency/applications/{f['dispute']}/correction-check", "none"),
        "agency.approvals_queue": ("GET", "/agency/approvals", "absent"),
        "agency.approve_payout": ("POST", f"/agency/approvals/{f['payout']}/approve", "none"),
        "agency.return_payout": ("POST", f"/agency/approvals/{f['payout']}/return", "none"),
        "agency.redetermine": ("POST", f"/agency/applications/{f['dispute']}/redetermine",
                               "none"),
        "agency.redetermination_check": (
            "POST", f"/agency/applications/{f['dispute']}/redetermination-check", "none"),
        "agency.explanation": ("POST", f"/agency/applications/{f['dispute']}/explanation",
                               "none"),
        "agency.ask_old_county": (
            "POST", f"/agency/applications/{f['dispute']}/ask-old-county", "none"),
        "agency.transfer_resolution": (
            "POST", f"/agency/applications/{f['dispute']}/transfer-resolution", "none"),
        "agency.transfer_correction_check": (
            "POST", f"/agency/applications/{f['dispute']}/transfer-correction-check", "none"),
        "agency.old_county_answer": (
            "POST", f"/agency/applications/{f['dispute']}/old-county-answer", "none"),
        "agency.inquiries": ("GET", "/agency/inquiries", "absent"),
        "agency.answer_inquiry": ("POST", f"/agency/inquiries/{f['inquiry']}/answer", "none"),
    }


def test_every_staff_route_is_walked(foreign):
    assert set(walk(foreign)) == set(STAFF_ONLY)


def foreign_state(app, f) -> tuple:
    with app.app_context():
        state = (db.session.get(BenefitPayment, f["payment"]).status,
                 db.session.get(DeathReport, f["reported_death"]).status,
                 db.session.get(DeathReport, f["matched_death"]).status,
                 db.session.get(KioskTerminal, f["terminal"]).status,
                 db.session.get(TransferCase, f["case"]).stage,
                 db.session.scalar(select(Application.status).filter_by(
                     reference=f["enrolment"])),
                 db.session.get(OutboxMessage, f["registration"]).status,
                 db.session.get(PayoutApproval, f["payout"]).status,
                 db.session.get(RecordInquiry, f["inquiry"]).status)
        db.session.remove()
    return state


@pytest.mark.parametrize("username", STAFF)
def test_staff_of_one_county_get_nothing_of_another(app, foreign, username):
    client = app.test_client()
    staff_sign_in(client, app, username)
    before = foreign_state(app, foreign)
    for endpoint, (method, path, check) in walk(foreign).items():
        if method == "GET":
            response = client.get(path)
        else:
            page = client.get("/agency/sign-in")
            response = client.post(path, data={
                "csrf_token": csrf_token(page), "version": "1", "decision": "approve",
                "reason": "外县的申请", "verdict": "approve", "explanation": "外县的申请",
                "answer": "外县的申请", "outcome": "外县的举报",
                f"q{foreign['inquiry']}-answer": "外县的核查答复", "question": "外县的申请"})
        text = response.get_data(as_text=True).replace(path, "")  # the page links to itself
        where = f"{username} {method} {path} ({endpoint})"
        if check == "none":
            assert response.status_code in (403, 404), where
        elif check == "absent":
            assert response.status_code in (200, 403), where
        elif check == "national":
            assert response.status_code in (303, 403, 409), where
        else:
            assert response.status_code in (302, 303, 403), where
        for marker in (NAME, foreign["enrolment"], foreign["device"], foreign["report"],
                       "R-FOREIGN", "外县的举报", "T-FOREIGN-REFUSED", "外县的核查"):
            assert marker not in text, f"{where} shows {marker}"
        assert foreign_state(app, foreign) == before, f"{where} changed another county's data"


def test_assistants_get_nothing_of_another_village(app, foreign):
    client = app.test_client()
    staff_sign_in(client, app, "xieban.shiqiao")
    paths = {
        "assist.dashboard": ("/assist/", "absent"),
        "assist.resident": (f"/assist/residents/{foreign['registry']}", "none"),
        "assist.consent_code": (f"/assist/consents/{foreign['consent']}/code", "none"),
        "assist.application": (f"/assist/applications/{foreign['enrolment']}", "none"),
        "assist.deaths": ("/assist/deaths", "absent"),
        # names no village: files the assistant's own (test_death_returns.py)
        "assist.no_deaths": ("/assist/deaths/none", "own"),
        "assist.home_visit": (f"/assist/residents/{foreign['registry']}/home-visit", "none"),
    }
    assert set(paths) == set(ASSISTANT_ONLY)
    for endpoint, (path, check) in paths.items():
        if check == "own":
            continue
        response = client.get(path)
        assert response.status_code in ((404,) if check == "none" else (200,)), endpoint
        assert NAME not in response.get_data(as_text=True), endpoint
    page = client.get(f"/assist/consents/{foreign['consent']}/code")
    assert client.post(f"/assist/consents/{foreign['consent']}/code", data={
        "csrf_token": csrf_token(client.get("/assist/")), "code": "000000"}).status_code == 404
    assert page.status_code == 404
