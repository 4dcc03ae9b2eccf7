"""Disputes about a record (第二十条), questions with first-contact responsibility (第六十五条)
and fraud reports open to anyone (第六十六条)."""

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Application, FraudReport, LedgerEntry, OutboxMessage
from portal.operations.applications import china_today
from portal.presenters import grouped
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    account_state,
    answer,
    book_contribution,
    confirm,
    csrf_token,
    file_dispute,
    send_contributions,
    sign_in,
    staff_sign_in,
    version_of,
)


def test_dispute_correction_moves_the_balance_by_exactly_the_difference(client, app, enrolled):
    book_contribution(client, app, enrolled, amount=40000)
    before, entries = account_state(app, enrolled)
    personal = next(e for e in entries if e[1] == "personal")
    sign_in(client, app, enrolled)
    assert "/apply/dispute/" in client.get("/me/account/statement/all").get_data(as_text=True)
    reference = file_dispute(client)
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        assert item.status == "submitted"
        workdays = app.config["DISPUTE_DEADLINE_WORKDAYS"]
        assert (item.due_on - item.received_on).days >= workdays
        db.session.remove()

    staff = app.test_client()
    staff_sign_in(staff, app, "reviewer.qingshan")
    queue = staff.get("/agency/").get_data(as_text=True)
    first = re.search(r"/agency/applications/(\d+)", queue).group(1)
    assert first == reference  # 立即核查: disputes sit at the top of the queue
    page = staff.get(f"/agency/applications/{reference}")
    bad = staff.post(f"/agency/applications/{reference}/resolution", data={
        "csrf_token": csrf_token(page), "version": version_of(page), "entry": personal[0],
        "right_amount": "五百", "explanation": "核对税务缴费记录，应为500元"})
    assert bad.status_code == 400 and "元" in bad.get_data(as_text=True)
    assert account_state(app, enrolled)[0] == before
    done = staff.post(f"/agency/applications/{reference}/resolution", data={
        "csrf_token": csrf_token(page), "version": version_of(page), "entry": personal[0],
        "right_amount": "500", "explanation": "核对税务缴费记录，应为500元，已更正"})
    assert done.status_code == 302
    # 第六十二条: nothing is booked until a different member of staff approves the correction;
    # the one who prepared it is refused.
    assert account_state(app, enrolled)[0] == before
    page = staff.get(f"/agency/applications/{reference}")
    assert "/correction-check" not in page.get_data(as_text=True)  # no button for them …
    with app.app_context():
        version = db.session.scalar(select(Application.version).filter_by(reference=reference))
        db.session.remove()
    refused = staff.post(f"/agency/applications/{reference}/correction-check", data={
        "csrf_token": csrf_token(page), "version": version, "verdict": "approve"})  # … nor way
    assert refused.status_code == 403
    assert account_state(app, enrolled)[0] == before
    checker = app.test_client()
    staff_sign_in(checker, app, "checker.qingshan")
    page = checker.get(f"/agency/applications/{reference}")
    assert "黄志明" in page.get_data(as_text=True)  # who prepared it, on the page
    approved = checker.post(f"/agency/applications/{reference}/correction-check", data={
        "csrf_token": csrf_token(page), "version": version_of(page), "verdict": "approve"})
    assert approved.status_code == 302
    after, entries = account_state(app, enrolled)
    assert after - before == 50000 - 40000
    with app.app_context():
        corrected = db.session.scalars(select(LedgerEntry).filter(
            LedgerEntry.source_key.like(f"dispute:{reference}:%"))).all()
        assert sorted(e.amount_fen for e in corrected) == [-40000, 50000]
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        assert item.status == "corrected"
        assert db.session.scalar(select(OutboxMessage).filter_by(
            person_id=item.person_id, kind="application_corrected", channel="sms"))
        db.session.remove()
    resident_page = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "已更正" in resident_page


def test_dispute_explained_and_private_to_its_resident(client, app, enrolled, demo):
    sign_in(client, app, enrolled)
    reference = file_dispute(client, "我觉得2024年的利息算少了")
    staff = app.test_client()
    staff_sign_in(staff, app, "reviewer.qingshan")
    page = staff.get(f"/agency/applications/{reference}")
    response = staff.post(f"/agency/applications/{reference}/resolution", data={
        "csrf_token": csrf_token(page), "version": version_of(page), "entry": "",
        "right_amount": "", "explanation": "利息按当年记账利率计算，记录无误"})
    assert response.status_code == 302
    assert "记录无误" in client.get(f"/me/applications/{reference}").get_data(as_text=True)
    messages = client.get("/me/messages").get_data(as_text=True)
    assert grouped(reference) in messages

    other = app.test_client()
    sign_in(other, app, demo["by_key"]["contributor"])
    assert other.get(f"/me/applications/{reference}").status_code == 404
    # A reviewer cannot "approve" a dispute past its own resolution path.
    assert staff.post(f"/agency/applications/{reference}/decision", data={
        "csrf_token": csrf_token(page), "decision": "approve",
        "version": "1"}).status_code in (400, 409)


def test_question_is_owned_by_whoever_takes_it_up(client, app, enrolled, demo):
    sign_in(client, app, enrolled)
    assert answer(client, "/apply/question/step/question",
                  question="我明年满60岁，需要准备什么材料？").status_code == 302
    reference = confirm(client, "question", declaration=False)

    first, second = app.test_client(), app.test_client()
    staff_sign_in(first, app, "reviewer.qingshan")
    staff_sign_in(second, app, "admin.qingshan")
    page = first.get(f"/agency/applications/{reference}")
    assert first.post(f"/agency/applications/{reference}/take", data={
        "csrf_token": csrf_token(page), "version": version_of(page)}).status_code == 302
    # The other member of staff no longer has it in their queue and cannot answer it.
    assert reference not in second.get("/agency/").get_data(as_text=True)
    page2 = second.get(f"/agency/applications/{reference}")
    assert "黄志明" in page2.get_data(as_text=True)
    refused = second.post(f"/agency/applications/{reference}/answer", data={
        "csrf_token": csrf_token(page2), "version": "2", "answer": "不需要材料"})
    assert refused.status_code == 403
    page = first.get(f"/agency/applications/{reference}")
    assert first.post(f"/agency/applications/{reference}/answer", data={
        "csrf_token": csrf_token(page), "version": version_of(page),
        "answer": "不需要准备材料，系统会提前发告知书。"}).status_code == 302
    assert "不需要准备材料" in client.get("/me/messages").get_data(as_text=True)
    other = app.test_client()
    sign_in(other, app, demo["by_key"]["contributor"])
    assert other.get(f"/me/applications/{reference}").status_code == 404


def file_report(client, **fields):
    page = client.get("/report")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page), "county": "539901000000",
            "subject": "pension_after_death", "details": "邻居去世两年了，家人还在领养老金。",
            "anonymous": "yes", **fields}
    response = client.post("/report", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    reference = re.search(r'class="reference">(JB[0-9A-F ]+)<', html).group(1).replace(" ", "")
    code = re.search(r'class="reference">(\d{8})<', html).group(1)
    return reference, code


def check_report(client, reference, code):
    page = client.get("/report/check")
    return client.post("/report/check", data={"csrf_token": csrf_token(page),
                                              "reference": reference, "code": code})


def test_anonymous_report_gets_a_reference_that_reveals_only_itself(client, app):
    reference, code = file_report(client)
    other_reference, other_code = file_report(client, details="有人冒领他人的养老金，情况属实。")
    with app.app_context():
        item = db.session.scalar(select(FraudReport).filter_by(reference=reference))
        assert item.reporter is None and item.contact_phone is None
        assert code not in item.check_code_hash
        db.session.remove()
    mine = check_report(client, reference, code)
    assert mine.status_code == 200 and grouped(reference) in mine.get_data(as_text=True)
    assert "邻居" not in mine.get_data(as_text=True)  # not even its own details come back
    crossed = check_report(client, reference, other_code)
    assert crossed.status_code == 400 and other_reference not in crossed.get_data(as_text=True)

    admin = app.test_client()
    staff_sign_in(admin, app, "admin.qingshan")
    page = admin.get(f"/agency/reports/{reference}")
    assert page.status_code == 200 and "邻居" in page.get_data(as_text=True)
    closed = admin.post(f"/agency/reports/{reference}", data={
        "csrf_token": csrf_token(page), "outcome": "经核查属实，已暂停发放并追回。"})
    assert closed.status_code == 302
    assert "已暂停发放" in check_report(client, reference, code).get_data(as_text=True)


def test_a_report_never_reaches_the_staff_member_it_names(client, app):
    reference, _code = file_report(client, subject="staff_misconduct", staff_named="马超",
                                   details="经办人员马超收取好处费后才给办理。")
    admin = app.test_client()
    staff_sign_in(admin, app, "admin.qingshan")  # 马超
    assert reference not in admin.get("/agency/reports").get_data(as_text=True)
    assert admin.get(f"/agency/reports/{reference}").status_code == 404
    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    assert reviewer.get("/agency/reports").status_code == 403  # not the supervision role


def test_a_report_without_details_is_refused_with_a_message(client):
    page = client.get("/report")
    response = client.post("/report", data={"csrf_token": csrf_token(page),
                                            "county": "539901000000", "subject": "other",
                                            "details": "", "anonymous": "yes"})
    assert response.status_code == 400 and "error-summary" in response.get_data(as_text=True)


def test_footer_shows_reporting_and_supervision_phones(client, app):
    html = client.get("/").get_data(as_text=True)
    assert app.config["REPORTING_PHONE"] in html and app.config["SUPERVISION_PHONE"] in html
    assert china_today()  # the portal's calendar day exists
