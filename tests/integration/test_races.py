"""The loser of a race gets the winner's answer, never a 500 (issue 17 item 7): parallel final
submits, parallel re-issues of failed payments, the same tax batch posted several times at once.
Each test fires its requests from threads at the live server."""

import itertools
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import requests
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Application,
    BenefitPayment,
    ImportBatch,
    InsuranceRelation,
    LedgerEntry,
    PaymentRun,
    PayoutApproval,
    Person,
)
from portal.rules import ids
from tests.integration.helpers import (
    csrf_token,
    csv_batch,
    fill_enrolment,
    make_resident,
    sign_in,
    staff_sign_in,
)

PARALLEL = 8
_months = itertools.count(1)


def cookie_of(client, app) -> dict:
    name = app.config["SESSION_COOKIE_NAME"]
    return {name: client.get_cookie(name).value}


def at_once(send, count=PARALLEL):
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _n: send(), range(count)))


def test_parallel_final_submits_all_get_the_confirmation(client, app, live_url):
    person = make_resident(app)
    sign_in(client, app, person)
    check_page = fill_enrolment(client)
    key = re.search(r'name="submission_key" value="([^"]+)"',
                    check_page.get_data(as_text=True)).group(1)
    form = {"csrf_token": csrf_token(check_page), "declaration": "yes", "submission_key": key}
    cookies = cookie_of(client, app)
    answers = at_once(lambda: requests.post(live_url + "/apply/enrolment/check", data=form,
                                            cookies=cookies, allow_redirects=False, timeout=60))
    assert [r.status_code for r in answers] == [303] * PARALLEL
    locations = {r.headers["Location"] for r in answers}
    assert len(locations) == 1 and locations.pop().endswith("/confirmation")
    with app.app_context():
        count = db.session.scalar(select(func.count(Application.id)).join(
            Person, Person.id == Application.person_id).filter(
            Person.id_number == person["id_number"]))
        db.session.remove()
    assert count == 1


def failed_payment(app) -> tuple[int, date]:
    """A beneficiary of 青山县 whose payment the bank could not make."""
    number = next(_months)
    month = date(1990, number, 1)
    with app.app_context():
        person = Person(id_type=ids.RESIDENT_ID, name=f"重发{number}",
                        id_number=ids.compose_resident_id("539901", date(1950, 1, 1),
                                                          700 + number),
                        birth_date=date(1950, 1, 1))
        db.session.add(person)
        db.session.flush()
        db.session.add(InsuranceRelation(person_id=person.id, region_code="539901000000",
                                         status="receiving", started_on=date(2009, 10, 1),
                                         benefit_from=date(2010, 1, 1)))
        run = PaymentRun(month=month, created_by="test", payments=1, people=1,
                         basic_fen=16300, account_fen=0, bank_file="")
        db.session.add(run)
        db.session.flush()
        db.session.add(BenefitPayment(run_id=run.id, person_id=person.id, month=month,
                                      basic_fen=16300, account_fen=0,
                                      bank_account="6222020200000000", status="failed"))
        db.session.commit()
        person_id = person.id
        db.session.remove()
    return person_id, month


def test_parallel_reissues_reissue_once(app, live_url):
    """Prepared at once by several taps (one batch), then approved at once by a different
    member of staff (第六十二条): the payment is sent again exactly once."""
    person_id, month = failed_payment(app)
    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    page = reviewer.get("/agency/payments")
    form, cookies = {"csrf_token": csrf_token(page)}, cookie_of(reviewer, app)
    answers = at_once(lambda: requests.post(live_url + "/agency/payments/reissue", data=form,
                                            cookies=cookies, allow_redirects=False, timeout=60))
    assert [r.status_code for r in answers] == [303] * PARALLEL
    assert {r.headers["Location"] for r in answers} == {"/agency/payments"}
    with app.app_context():
        payment = db.session.scalar(select(BenefitPayment).filter_by(person_id=person_id,
                                                                     month=month))
        assert payment.status == "to_reissue"
        # Exactly one batch holds the payment, however many taps prepared at once.
        holding = [a for a in db.session.scalars(select(PayoutApproval).filter_by(
            kind="reissue")) if payment.id in a.detail["payments"]]
        assert len(holding) == 1 and holding[0].status == "awaiting"
        approval_id = holding[0].id
        db.session.remove()
    checker = app.test_client()
    staff_sign_in(checker, app, "checker.qingshan")
    page = checker.get("/agency/approvals")
    form = {"csrf_token": csrf_token(page), "version": "1"}
    cookies = cookie_of(checker, app)
    answers = at_once(lambda: requests.post(
        live_url + f"/agency/approvals/{approval_id}/approve", data=form, cookies=cookies,
        allow_redirects=False, timeout=60))
    assert [r.status_code for r in answers] == [303] * PARALLEL  # the winner's answer
    with app.app_context():
        attempts = sorted((p.attempt, p.status) for p in db.session.scalars(
            select(BenefitPayment).filter_by(person_id=person_id, month=month)))
        db.session.remove()
    assert attempts == [(1, "reissued"), (2, "sent")]


def test_the_same_tax_batch_at_once_books_once_and_answers_alike(app, live_url,
                                                                 account_holder):  # noqa: F811
    who = account_holder["id_number"]
    body = csv_batch((f"R{who}-24", who, 2024, 50000, "2024-05-10", "person"),
                     (f"R{who}-25", who, 2025, 30000, "2025-03-01", "person"))
    headers = {"Authorization": "Bearer " + app.config["TAX_API_TOKEN"],
               "Content-Type": "text/csv"}
    answers = at_once(lambda: requests.post(live_url + "/exchange/tax/contributions",
                                            data=body, headers=headers, timeout=60))
    # 202 for every one, all naming the same batch; its status says booked, once.
    assert [r.status_code for r in answers] == [202] * PARALLEL
    assert len({r.json()["batch_id"] for r in answers}) == 1
    status = requests.get(live_url + answers[0].json()["status_url"], headers=headers,
                          timeout=60).json()
    assert status["status"] == "booked" and status["booked_entries"] == 4
    with app.app_context():
        booked = db.session.scalar(select(func.count(LedgerEntry.id)).filter_by(
            account_id=account_holder["account_id"]))
        batches = db.session.scalar(select(func.count(ImportBatch.id)).filter(
            ImportBatch.report["rows"].as_integer() == 2, ImportBatch.received_by == "system:tax",
            ImportBatch.status == "booked"))
        db.session.remove()
    assert booked == 4 and batches >= 1
