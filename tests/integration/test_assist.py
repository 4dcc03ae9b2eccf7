"""Village assistants (村协办员): consent per task, filing on a resident's behalf, objections,
and monthly death reports that suspend and resume payment (第六条、第七条、第三十二条、
第三十三条)."""

import re
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from portal.extensions import db
from portal.models import (
    Application,
    AuditRecord,
    BenefitPayment,
    Consent,
    DeathReport,
    InsuranceRelation,
    OutboxMessage,
    Person,
    RegistryDeath,
)
from portal.operations import benefits
from portal.rules.benefits import months_between
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    VILLAGE,
    answer,
    assistant,
    become_beneficiary,
    csrf_token,
    make_claimant,
    record_death,
    registry_id,
    sign_in,
    staff_sign_in,
)
from tests.pages import Page


def consent_by_sms(client, app, person, flow):
    page = client.get(f"/assist/residents/{registry_id(app, person['id_number'])}")
    assert page.status_code == 200
    response = client.post(page.request.path, data={
        "csrf_token": csrf_token(page), "flow": flow, "method": "sms", "reason": "illness"})
    assert response.status_code == 302 and "/code" in response.location
    code_page = client.get(response.location)
    with app.app_context():
        sms = db.session.scalar(select(OutboxMessage.body).filter_by(
            kind="consent_code", recipient=person["phone"]).order_by(OutboxMessage.id.desc()))
        db.session.remove()
    wrong = client.post(response.location, data={"csrf_token": csrf_token(code_page),
                                                  "code": "000000"})
    assert wrong.status_code == 400
    done = client.post(response.location, data={"csrf_token": csrf_token(code_page),
                                                 "code": re.search(r"\d{6}", sms).group(0)})
    assert done.status_code == 302 and "/apply/assist/" in done.location
    return int(re.search(r"/assist/(\d+)/", done.location).group(1))


def test_dashboard_shows_only_the_village(app, demo):
    client = assistant(app)
    page = client.get("/assist/").get_data(as_text=True)
    assert demo["by_key"]["villager"]["name"] in page
    assert demo["by_key"]["turning_60"]["name"] in page
    assert demo["by_key"]["contributor"]["name"] not in page  # another village
    outside = registry_id(app, demo["by_key"]["contributor"]["id_number"])
    assert client.get(f"/assist/residents/{outside}").status_code == 404


def consent_by_signature(client, app, person, flow):
    import base64
    import io

    from PIL import Image

    drawn = io.BytesIO()
    Image.new("RGB", (120, 40), (255, 255, 255)).save(drawn, "PNG")
    page = client.get(f"/assist/residents/{registry_id(app, person['id_number'])}")
    # No phone registered: a code cannot be sent, and the page says what to do instead.
    refused = client.post(page.request.path, data={
        "csrf_token": csrf_token(page), "flow": flow, "method": "sms", "reason": "age"})
    assert refused.status_code == 400 and "签" in refused.get_data(as_text=True)
    response = client.post(page.request.path, data={
        "csrf_token": csrf_token(page), "flow": flow, "method": "signature", "reason": "age",
        "signature_png": "data:image/png;base64," + base64.b64encode(drawn.getvalue()).decode()})
    assert response.status_code == 302 and "/apply/assist/" in response.location
    return int(re.search(r"/assist/(\d+)/", response.location).group(1))


def test_assistant_files_a_change_with_signed_consent_and_the_resident_is_told(app, demo):
    client = assistant(app)
    person = demo["by_key"]["limited_mobility"]
    consent_id = consent_by_signature(client, app, person, "details_change")
    base = f"/apply/assist/{consent_id}/details_change"
    start = client.get(base + "/").get_data(as_text=True)
    assert "代办" in start
    assert answer(client, base + "/step/detail", detail="address").status_code == 302
    assert answer(client, base + "/step/address",
                  address="青山县石桥乡石桥村3组15号").status_code == 302
    check = client.get(base + "/check")
    key = re.search(r'name="submission_key" value="([^"]+)"', check.get_data(as_text=True))
    done = client.post(base + "/check", data={"csrf_token": csrf_token(check),
                                              "declaration": "yes",
                                              "submission_key": key.group(1)})
    assert done.status_code == 303 and "/assist/applications/" in done.location
    reference = done.location.rsplit("/", 1)[-1]
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        assert (item.filed_by_kind, item.channel, item.consent_id) == (
            "assistant", "assisted", consent_id)
        assert item.filed_by.startswith("staff:")
        submitted = db.session.scalar(select(AuditRecord).filter_by(
            action="application_submitted", object_id=reference))
        assert submitted.actor.startswith("staff:")
        assert submitted.on_behalf_of == f"resident:{item.person_id}"
        assert db.session.scalar(select(OutboxMessage).filter_by(
            kind="proxy_filed", channel="in_app", person_id=item.person_id))
        consent = db.session.get(Consent, consent_id)
        assert consent.method == "signature" and consent.evidence_upload_id
        assert db.session.get(Person, item.person_id).address == "青山县石桥乡石桥村3组15号"
        db.session.remove()
    assert reference in client.get("/assist/").get_data(as_text=True)
    # The consent is for that service only.
    assert client.get(f"/apply/assist/{consent_id}/question/").status_code == 404


def test_no_consent_expired_or_objected_means_nothing(app, demo):
    client = assistant(app)
    person = demo["by_key"]["severely_disabled"]
    consent_id = consent_by_sms(client, app, person, "question")
    path = f"/apply/assist/{consent_id}/question/"
    assert client.get(path).status_code == 200
    assert client.get("/apply/assist/999999/question/").status_code == 404
    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    assert reviewer.get(path).status_code == 403  # not an assistant
    with app.app_context():
        consent = db.session.get(Consent, consent_id)
        consent.expires_on = date.today() - timedelta(days=1)
        db.session.commit()
        db.session.remove()
    assert client.get(path).status_code == 404

    # A fresh consent, a filing under it, then the resident objects: all frozen.
    consent_id = consent_by_sms(client, app, person, "question")
    base = f"/apply/assist/{consent_id}/question"
    answer(client, base + "/step/question", question="我想问问今年的缴费档次怎么选。")
    check = client.get(base + "/check")
    key = re.search(r'name="submission_key" value="([^"]+)"', check.get_data(as_text=True))
    done = client.post(base + "/check", data={"csrf_token": csrf_token(check),
                                              "submission_key": key.group(1)})
    reference = done.location.rsplit("/", 1)[-1]
    resident = app.test_client()
    sign_in(resident, app, person)
    page = resident.get("/me/consents")
    assert page.status_code == 200
    assert resident.post(f"/me/consents/{consent_id}/object", data={
        "csrf_token": csrf_token(page), "reason": "我没有让人代办"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Application.status).filter_by(
            reference=reference)) == "frozen"
        assert db.session.scalar(select(OutboxMessage).filter_by(
            kind="proxy_objection", recipient="539901101000"))
        db.session.remove()
    # The resident's timeline says what happened in words, never the code "frozen".
    timeline = Page(resident.get(f"/me/applications/{reference}")).main
    assert "已暂停：您对代办提出了异议" in timeline.text
    assert "frozen" not in timeline.text
    assert client.get(base + "/").status_code == 404
    clerk = app.test_client()
    staff_sign_in(clerk, app, "clerk.shiqiao")
    assert reference in clerk.get("/agency/death-reports").get_data(as_text=True)
    # Nobody else's consent can be objected to.
    other = app.test_client()
    sign_in(other, app, demo["by_key"]["contributor"])
    page = other.get("/me/consents")
    assert other.post(f"/me/consents/{consent_id}/object",
                      data={"csrf_token": csrf_token(page)}).status_code == 404


def test_a_claim_needs_the_residents_own_face_check(app, demo):
    client = assistant(app)
    consent_id = consent_by_sms(client, app, demo["by_key"]["turning_60"], "claim")
    page = client.get(f"/apply/assist/{consent_id}/claim/").get_data(as_text=True)
    assert "人脸核验" in page and "自助服务终端" in page


def test_a_death_report_suspends_and_resumption_pays_back_exactly(app):
    resident = app.test_client()
    person = make_claimant(app, village=VILLAGE)
    pid = become_beneficiary(resident, app, person)

    client = assistant(app)
    page = client.get("/assist/deaths")
    report = client.post("/assist/deaths", data={
        "csrf_token": csrf_token(page), "name": person["name"],
        "id_number": person["id_number"], "death_date": "2031-03-05"})
    assert report.status_code == 400  # a date in the future: nothing is reported
    report = client.post("/assist/deaths", data={
        "csrf_token": csrf_token(page), "name": person["name"],
        "id_number": person["id_number"], "death_date": "2026-10-20"})
    assert report.status_code == 302
    record_death(app, person, date(2026, 10, 20))  # the civil affairs record agrees
    clerk = app.test_client()
    staff_sign_in(clerk, app, "clerk.shiqiao")
    page = clerk.get("/agency/death-reports")
    assert person["name"] in page.get_data(as_text=True)
    assert clerk.post("/agency/death-reports/forward",
                      data={"csrf_token": csrf_token(page)}).status_code == 302
    with app.app_context():
        relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=pid))
        assert relation.suspended_from == date(2026, 11, 1)
        report_id = db.session.scalar(select(DeathReport.id).filter_by(
            id_number=person["id_number"]))
        # The civil affairs record was someone else's and is withdrawn: the person is alive.
        db.session.execute(delete(RegistryDeath).filter_by(id_number=person["id_number"]))
        db.session.commit()
        suspended_run = benefits.run_month(date(2031, 1, 1), actor="test")
        assert [p for p in db.session.scalars(select(BenefitPayment).filter_by(
            run_id=suspended_run.id, person_id=pid))] == []
        covered = set(db.session.scalars(select(BenefitPayment.month).filter_by(
            person_id=pid)))
        db.session.remove()

    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    page = reviewer.get("/agency/death-reports")
    assert person["name"] in page.get_data(as_text=True)
    assert reviewer.post(f"/agency/death-reports/{report_id}/alive",
                         data={"csrf_token": csrf_token(page)}).status_code == 302
    with app.app_context():
        resumed = benefits.run_month(date(2031, 2, 1), actor="test")
        paid = sorted(p.month for p in db.session.scalars(select(BenefitPayment).filter_by(
            run_id=resumed.id, person_id=pid)))
        expected = [m for m in months_between(date(2027, 1, 1), date(2031, 2, 1))
                    if m not in covered]
        assert paid == expected and date(2031, 1, 1) in paid
        db.session.remove()


def test_a_csv_of_deaths_is_all_or_nothing(app):
    client = assistant(app)
    page = client.get("/assist/deaths")
    import io

    bad = "name,id_number,death_date\n甲,539901194001010012,2026-10-01\n乙,123,2026-10-02\n"
    response = client.post("/assist/deaths", data={
        "csrf_token": csrf_token(page), "csv": (io.BytesIO(bad.encode()), "deaths.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "2" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(DeathReport).filter_by(name="甲")) is None
        db.session.remove()


def test_the_consent_form_says_what_is_missing_next_to_each_question(app, demo, url,
                                                                      assistant_client):
    """WTForms and the shared macros: every radio group with an error is described by it, the
    summary links to it, the answers given are kept, and nothing is recorded (第六条)."""
    client = assistant_client
    person = demo["by_key"]["villager"]
    path = url("assist.resident", registry_id=registry_id(app, person["id_number"]))
    page = client.get(path)
    assert Page(page).one("input", id="method-sms").get("checked") is not None
    with app.app_context():
        consents = db.session.scalar(select(func.count(Consent.id)))
    refused = client.post(path, data={"csrf_token": csrf_token(page), "reason": "age",
                                      "flow": "teleport"})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Consent.id))) == consents
        db.session.remove()
    page = Page(refused)
    assert page.title.startswith("错误")
    assert page.error_summary() == ["请选择业务", "请选择村民的授权方式"]
    assert {a["href"] for a in page.one(class_="error-summary").all("a")} == {"#flow", "#method"}
    for name in ("flow", "method"):
        group = page.one("fieldset", id=name)
        assert f"{name}-error" in group["aria-describedby"].split()
        assert page.one(id=f"{name}-error").text.endswith(page.error_summary()[
            0 if name == "flow" else 1])
    assert "aria-describedby" not in page.one("fieldset", id="reason").attrs
    assert page.one("input", id="reason-age").get("checked") is not None
    # The reasons are words in the page's language, not codes.
    assert [label.text for label in page.one("fieldset", id="reason").all("label")] == [
        "行动不便", "患病", "年老", "其他原因"]
