"""Enrolment end to end (第七条、第八条): apply, review within 3 working days, track."""

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Application,
    AuditRecord,
    Draft,
    InsuranceRelation,
    OutboxMessage,
    Person,
    PersonalAccount,
)
from portal.rules import ids
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    answer,
    csrf_token,
    decide,
    enrol,
    fill_enrolment,
    make_resident,
    sign_in,
    staff_sign_in,
    submit,
)

VILLAGE = "539901100201"


@pytest.fixture
def new_resident(app):
    return make_resident(app)


def applications_of(app, person) -> int:
    with app.app_context():
        count = len(db.session.scalars(
            select(Application).join(Person, Person.id == Application.person_id)
            .filter(Person.id_number == person["id_number"])).all())
        db.session.remove()
    return count


def test_eligible_resident_enrols_and_is_approved(client, app, new_resident):
    sign_in(client, app, new_resident)
    start = client.get("/apply/enrolment/").get_data(as_text=True)
    assert new_resident["name"] in start and "户籍" in start  # known, not asked
    assert ids.mask(new_resident["id_number"]) in start
    check_page = fill_enrolment(client)
    html = check_page.get_data(as_text=True)
    assert "13900001234" in html and "¥500.00" in html and "修改" in html
    response = submit(client, check_page)
    confirmation = client.get(response.location)
    text = confirmation.get_data(as_text=True)
    grouped = re.search(r'class="reference">([\d ]+)<', text).group(1)
    assert re.fullmatch(r"(\d{4} )+\d{1,4}", grouped)  # in groups of four
    reference = grouped.replace(" ", "")
    assert "3个工作日" in text  # the legal deadline
    # On the phone: no code asking to be scanned by the same phone (kept for paper only).
    assert "用手机随时查看进度" not in text and 'class="print-only"' in text
    client.set_cookie("kiosk", "1")
    assert "用手机随时查看进度" in client.get(response.location).get_data(as_text=True)
    client.delete_cookie("kiosk")
    assert client.get(response.location).status_code == 200  # survives reload and bookmarking

    with app.app_context():
        application = db.session.scalar(select(Application).filter_by(reference=reference))
        assert application.status == "submitted" and application.channel == "online"
        assert application.answers == {"student": "no", "phone": "13900001234",
                                       "address": "青山县青山镇东山村3组8号", "tier": "50000"}
        assert application.comparison["population_found"] is True
        assert application.due_on > application.received_on
        assert db.session.scalar(select(Draft).filter_by(person_id=application.person_id)) is None
        db.session.remove()

    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    assert reference in reviewer.get("/agency/").get_data(as_text=True)
    detail = reviewer.get(f"/agency/applications/{reference}").get_data(as_text=True)
    assert "数据比对" in detail and new_resident["id_number"] in detail
    assert decide(reviewer, reference, "approve").status_code == 302
    assert reference not in reviewer.get("/agency/").get_data(as_text=True)

    tracking = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "已通过" in tracking and "申请已受理" in tracking
    with app.app_context():
        application = db.session.scalar(select(Application).filter_by(reference=reference))
        relation = db.session.scalar(
            select(InsuranceRelation).filter_by(person_id=application.person_id))
        assert relation.status == "contributing" and relation.contribution_tier_fen == 50000
        assert db.session.scalar(
            select(PersonalAccount).filter_by(person_id=application.person_id)) is not None
        kinds = {(m.channel, m.kind) for m in db.session.scalars(
            select(OutboxMessage).filter_by(person_id=application.person_id))}
        assert {("tax", "registration"), ("sms", "application_approved"),
                ("in_app", "application_submitted"), ("in_app", "application_approved")} <= kinds
        actions = db.session.scalars(select(AuditRecord.action).filter_by(
            object_id=reference).order_by(AuditRecord.id)).all()
        # the review page was opened twice (look, then decide): each look is recorded too
        assert actions == ["application_submitted", "personal_data_viewed",
                           "personal_data_viewed", "application_approved"]
        assert [e.kind for e in application.events] == ["submitted", "approved"]
        db.session.remove()
    assert "审核通过" in client.get("/me/messages").get_data(as_text=True)
    # enrolled now: the service says so instead of offering a second enrolment
    assert "已在本县参保" in client.get("/apply/enrolment/").get_data(as_text=True)


def test_rejection_with_reason_reaches_the_resident(client, app, new_resident):
    reference = enrol(client, app, new_resident)
    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    too_short = decide(reviewer, reference, "reject", "no")
    assert too_short.status_code == 400 and "原因" in too_short.get_data(as_text=True)
    reason = "户籍地址与登记不符，请到派出所核实"
    assert decide(reviewer, reference, "reject", reason).status_code == 302
    html = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "未通过" in html and "户籍地址与登记不符" in html
    # a rejected resident may apply again
    assert client.get("/apply/enrolment/").status_code == 200
    assert "开始办理" in client.get("/apply/enrolment/").get_data(as_text=True)


@pytest.mark.parametrize(("key", "reason"), [
    ("employee_scheme", "职工基本养老保险"),
    ("moving_in", "转入申请"),
    ("receiving", "已在本县参保"),
])
def test_ineligible_resident_is_told_why_before_filling_anything(client, app, demo, key, reason):
    sign_in(client, app, demo["by_key"][key])
    page = client.get("/apply/enrolment/")
    assert reason in page.get_data(as_text=True)
    assert "开始办理" not in page.get_data(as_text=True)
    step = client.get("/apply/enrolment/step/phone")
    assert step.status_code == 302 and step.location.endswith("/apply/enrolment/")


def test_full_time_student_is_stopped(client, app, new_resident):
    sign_in(client, app, new_resident)
    response = answer(client, "/apply/enrolment/step/student", student="yes")
    assert response.status_code == 200
    assert "全日制在校学生" in response.get_data(as_text=True)


def test_bad_answers_get_a_chinese_message_and_nothing_is_lost(client, app, new_resident):
    sign_in(client, app, new_resident)
    answer(client, "/apply/enrolment/step/student", student="no")
    response = answer(client, "/apply/enrolment/step/phone", phone="12345")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<title>错误：" in html
    assert "11位手机号码" in html and 'value="12345"' in html
    missing = answer(client, "/apply/enrolment/step/tier")
    assert missing.status_code in (302, 400)
    bad_tier = answer(client, "/apply/enrolment/step/phone", phone="13900001111")
    assert bad_tier.status_code == 302
    answer(client, "/apply/enrolment/step/address", address="青山县青山镇东山村3组8号")
    not_a_tier = answer(client, "/apply/enrolment/step/tier", tier="12345")
    assert not_a_tier.status_code == 400


def test_declaration_is_required(client, app, new_resident):
    sign_in(client, app, new_resident)
    check_page = fill_enrolment(client)
    response = client.post("/apply/enrolment/check", data={"csrf_token": csrf_token(check_page)})
    assert response.status_code == 400 and "属实" in response.get_data(as_text=True)
    assert applications_of(app, new_resident) == 0
    assert submit(client, check_page).status_code == 303  # nothing was lost: the draft is intact
    assert applications_of(app, new_resident) == 1


def test_resume_a_draft_on_another_device(client, app, new_resident):
    sign_in(client, app, new_resident)
    answer(client, "/apply/enrolment/step/student", student="no")
    answer(client, "/apply/enrolment/step/phone", phone="13900002222")
    other_device = app.test_client()
    sign_in(other_device, app, new_resident)
    start = other_device.get("/apply/enrolment/").get_data(as_text=True)
    assert "继续填写" in start and "/apply/enrolment/step/address" in start
    phone_page = other_device.get("/apply/enrolment/step/phone").get_data(as_text=True)
    assert 'value="13900002222"' in phone_page
    page = other_device.get("/apply/enrolment/")
    other_device.post("/apply/enrolment/discard", data={"csrf_token": csrf_token(page)})
    assert "开始办理" in other_device.get("/apply/enrolment/").get_data(as_text=True)


def test_double_submit_creates_one_application(client, app, new_resident):
    sign_in(client, app, new_resident)
    check_page = fill_enrolment(client)
    first = submit(client, check_page)
    second = submit(client, check_page)  # double tap / back + resubmit with the same page
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert applications_of(app, new_resident) == 1


def test_another_resident_cannot_see_or_track_it(client, app, new_resident, demo):
    reference = enrol(client, app, new_resident)
    stranger = app.test_client()
    sign_in(stranger, app, demo["by_key"]["contributor"])
    for path in (f"/me/applications/{reference}", f"/me/applications/{reference}/confirmation"):
        response = stranger.get(path)
        assert response.status_code == 404
        assert new_resident["name"] not in response.get_data(as_text=True)
    assert reference not in stranger.get("/me/applications").get_data(as_text=True)


def test_staff_of_another_county_cannot_see_it(client, app, new_resident):
    reference = enrol(client, app, new_resident)
    outsider = app.test_client()
    staff_sign_in(outsider, app, "reviewer.baishui")
    assert reference not in outsider.get("/agency/").get_data(as_text=True)
    assert outsider.get(f"/agency/applications/{reference}").status_code == 404
    page = outsider.get("/agency/")
    response = outsider.post(f"/agency/applications/{reference}/decision", data={
        "csrf_token": csrf_token(page), "decision": "approve", "version": "1"})
    assert response.status_code == 404


def test_two_reviewers_at_once_one_wins(client, app, new_resident):
    reference = enrol(client, app, new_resident)
    first, second = app.test_client(), app.test_client()
    staff_sign_in(first, app, "reviewer.qingshan")
    staff_sign_in(second, app, "admin.qingshan")
    page_one = first.get(f"/agency/applications/{reference}")
    page_two = second.get(f"/agency/applications/{reference}")
    assert decide(first, reference, "approve").status_code == 302
    late = second.post(f"/agency/applications/{reference}/decision", data={
        "csrf_token": csrf_token(page_two), "decision": "reject", "reason": "资料不全，请补充",
        "version": re.search(r'name="version" value="(\d+)"',
                             page_one.get_data(as_text=True)).group(1)})
    assert late.status_code == 409
    assert "其他人处理" in late.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Application.status).filter_by(
            reference=reference)) == "approved"
        db.session.remove()
