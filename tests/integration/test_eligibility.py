"""The yearly eligibility confirmation (待遇领取资格认证, 第三十一条, 人社厅发〔2018〕107号) and the
suspension when it is missed (第三十三条): the four ways to confirm, the reminders, the suspension
from the next month, the resumption with back pay, and who may see and do what.

The scheduled jobs look at every pensioner of a county, so these pensioners live in a county of
their own (539903, 测试县) that no other test uses; the jobs are run for that county only.
"""

import io
from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher
from PIL import Image
from sqlalchemy import select

from conftest import local_path
from portal.extensions import db
from portal.jobs import registered
from portal.models import (
    Application,
    AuditRecord,
    BenefitDecision,
    BenefitSuspension,
    EligibilityCheck,
    FamilyHelper,
    InsuranceRelation,
    OutboxMessage,
    Person,
    Region,
    RegistryActivity,
    RegistryPerson,
    RegistryRelative,
    StaffUser,
    Upload,
)
from portal.operations import benefits
from portal.operations import eligibility as ops
from portal.rules import eligibility as rules
from portal.rules import ids
from portal.rules.dates import china_today
from tests.integration.helpers import choose_face_check, csrf_token, sign_in, staff_sign_in

COUNTY, TOWNSHIP, VILLAGE = "539903000000", "539903100000", "539903100201"
TODAY = china_today()
_serial = iter(range(1, 900))


@pytest.fixture(scope="module")
def county(app):
    """测试县 with one village, its county reviewer and its village assistant."""
    with app.app_context():
        if db.session.get(Region, COUNTY) is None:
            db.session.add_all([
                Region(code=COUNTY, name="测试县", name_en="Test County", level="county",
                       parent_code="539900000000"),
                Region(code=TOWNSHIP, name="测试镇", name_en="Test Town", level="township",
                       parent_code=COUNTY),
                Region(code=VILLAGE, name="测试村", name_en="Test Village", level="village",
                       parent_code=TOWNSHIP)])
            password = PasswordHasher().hash("Demo-2026-pension")
            db.session.add_all([
                StaffUser(username="reviewer.ceshi", name="测试审核员", role="county_reviewer",
                          region_code=COUNTY, password_hash=password,
                          totp_secret="MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"),
                StaffUser(username="xieban.ceshi", name="测试协办员", role="village_assistant",
                          region_code=VILLAGE, password_hash=password,
                          totp_secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")])
            db.session.commit()
        db.session.remove()
    return COUNTY


def pensioner(app, confirmed_on: date | None, *, phone="13900000000", traces=(),
              hukou=VILLAGE, name=None) -> dict:
    """Somebody in payment since 2020 in 测试县, last confirmed on `confirmed_on`."""
    serial = next(_serial)
    birth = date(1950, 1, 1) + timedelta(days=serial)
    number = ids.compose_resident_id("539903", birth, 500 + serial)
    name = name or ("测试" + "甲乙丙丁戊己庚辛壬癸"[serial % 10]
                    + "一二三四五六七八九十"[serial // 10 % 10])
    phone = phone and f"139{serial:08d}"
    with app.app_context():
        db.session.add(RegistryPerson(id_type=ids.RESIDENT_ID, id_number=number, name=name,
                                      birth_date=birth, alive=True, phone=phone,
                                      hukou_region_code=hukou))
        for kind, day in traces:
            db.session.add(RegistryActivity(id_number=number, kind=kind, occurred_on=day,
                                            region_code=VILLAGE))
        person = Person(id_type=ids.RESIDENT_ID, id_number=number, name=name, birth_date=birth,
                        phone=phone, hukou_region_code=VILLAGE)
        db.session.add(person)
        db.session.flush()
        relation = InsuranceRelation(person_id=person.id, region_code=COUNTY, status="receiving",
                                     started_on=date(2010, 1, 1), benefit_from=date(2020, 1, 1))
        db.session.add(relation)
        claim = Application(reference=f"539903E{serial:09d}", kind="claim", person_id=person.id,
                            region_code=COUNTY, filed_by="staff:test", filed_by_kind="staff",
                            channel="counter", submission_key=f"elig-{serial}",
                            received_on=date(2019, 12, 1), due_on=date(2019, 12, 1),
                            status="approved", answers={"bank_account": "6217000010000000003"})
        db.session.add(claim)
        db.session.flush()
        db.session.add(BenefitDecision(
            application_id=claim.id, person_id=person.id, eligible_on=date(2019, 12, 1),
            first_month=date(2020, 1, 1), balance_fen=0, basic_fen=16300, account_fen=0,
            years_paid=15, bank_account="6217000010000000003", prepared_by="staff:1",
            checked_by="staff:2", status="confirmed"))
        if confirmed_on:
            db.session.add(EligibilityCheck(person_id=person.id, confirmed_on=confirmed_on,
                                            method="data_comparison", actor="test"))
        db.session.commit()
        person_id = person.id
        db.session.remove()
    return {"id": person_id, "name": name, "id_type": ids.RESIDENT_ID, "id_number": number,
            "phone": phone, "nationality": "CHN"}


def due_in(days: int) -> date:
    """The last confirmation that makes the next one due `days` from today."""
    due = TODAY + timedelta(days=days)
    return due.replace(year=due.year - 1) if (due.month, due.day) != (2, 29) else \
        date(due.year - 1, 2, 28)


def checks_of(app, person_id):
    with app.app_context():
        rows = db.session.scalars(select(EligibilityCheck).filter_by(person_id=person_id)
                                  .order_by(EligibilityCheck.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def relation_of(app, person_id):
    with app.app_context():
        row = db.session.scalar(select(InsuranceRelation).filter_by(person_id=person_id))
        db.session.expunge_all()
        db.session.remove()
    return row


def messages(app, person_id, kind):
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).filter_by(person_id=person_id,
                                                                  kind=kind)).all()
        found = [(m.channel, m.body) for m in rows]
        db.session.remove()
    return found


def run(app, name, day: date):
    with app.app_context():
        result = registered()[name](day.isoformat(), county_code=COUNTY)
        db.session.remove()
    return result


# 1. Silent confirmation (静默认证) -------------------------------------------------------------

def test_the_registries_alone_confirm_those_with_a_recent_trace_of_life(app, county):
    """第三十一条, 人社厅发〔2018〕107号: alive, still living in the county, and a recent medical or
    civil-affairs record → confirmed without anybody doing anything; otherwise not."""
    recent = pensioner(app, due_in(10), traces=[("medical", TODAY - timedelta(days=30))])
    stale = pensioner(app, due_in(10), traces=[("civil", TODAY - timedelta(days=400))])
    moved = pensioner(app, due_in(10), traces=[("medical", TODAY - timedelta(days=5))],
                      hukou="539901100201")
    not_yet_due = pensioner(app, due_in(200), traces=[("medical", TODAY - timedelta(days=5))])

    confirmed = run(app, "eligibility.silent_confirmation", TODAY)

    assert recent["id"] in confirmed
    assert {stale["id"], moved["id"], not_yet_due["id"]}.isdisjoint(confirmed)
    check = checks_of(app, recent["id"])[-1]
    assert (check.method, check.channel, check.confirmed_on) == ("data_comparison", "system",
                                                                 TODAY)
    assert check.evidence["last_record_on"] == (TODAY - timedelta(days=30)).isoformat()
    assert len(checks_of(app, stale["id"])) == 1  # only the old one
    # Told, with the next due date a year on.
    assert any(channel == "sms" and "资格" in body
               for channel, body in messages(app, recent["id"], "eligibility_confirmed"))
    # Running it again the same day records nothing twice.
    run(app, "eligibility.silent_confirmation", TODAY)
    assert len(checks_of(app, recent["id"])) == 2


# 2. Reminders --------------------------------------------------------------------------------

def test_reminders_go_once_before_the_due_date_and_once_after_it(app, county):
    """Reminders by message and SMS through the outbox: once when the window opens, once more
    when the due date has passed, with the last day before the suspension."""
    soon = pensioner(app, due_in(10))
    late = pensioner(app, due_in(-5))
    far = pensioner(app, due_in(100))

    told = run(app, "eligibility.reminders", TODAY)
    assert soon["id"] in told and late["id"] in told and far["id"] not in told
    reminder = messages(app, soon["id"], "eligibility_reminder")
    assert {channel for channel, _body in reminder} == {"in_app", "sms"}
    due_text = f"{(TODAY + timedelta(days=10)).year}年"
    assert any(due_text in body for _channel, body in reminder)
    assert messages(app, late["id"], "eligibility_overdue")
    assert not messages(app, far["id"], "eligibility_reminder")
    # The next day's run does not repeat them.
    again = run(app, "eligibility.reminders", TODAY + timedelta(days=1))
    assert soon["id"] not in again and late["id"] not in again


# 3. Missed → suspended from the next month; confirmed → resumed with back pay ---------------

def test_missed_after_the_grace_period_suspends_from_the_next_month(app, county):
    """第三十三条: past the due date and the grace period without a confirmation, payment is
    suspended from the month after; inside the grace period it is still paid."""
    grace = app.config["ELIGIBILITY_GRACE_DAYS"]
    missed = pensioner(app, due_in(-grace - 1))
    in_grace = pensioner(app, due_in(-grace))

    suspended = run(app, "eligibility.suspend_missed", TODAY)

    assert missed["id"] in suspended and in_grace["id"] not in suspended
    relation = relation_of(app, missed["id"])
    assert relation.suspended_from == rules.suspension_month(TODAY)
    assert relation.suspension_reason == "eligibility_missed"
    with app.app_context():
        row = db.session.scalar(select(BenefitSuspension).filter_by(person_id=missed["id"]))
        assert (row.back_pay, row.source, row.closed_at) == (True, "eligibility", None)
        db.session.remove()
    assert messages(app, missed["id"], "eligibility_suspended")
    assert relation_of(app, in_grace["id"]).suspended_from is None
    # A second run suspends nobody twice.
    assert missed["id"] not in run(app, "eligibility.suspend_missed", TODAY)

    # Listed for the county (staff side), the other county's reviewer sees nobody of ours.
    staff = app.test_client()
    staff_sign_in(staff, app, "reviewer.ceshi")
    page = staff.get("/agency/eligibility")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and missed["name"] in text and in_grace["name"] in text
    other = app.test_client()
    staff_sign_in(other, app, "reviewer.qingshan")
    assert missed["name"] not in other.get("/agency/eligibility").get_data(as_text=True)


def test_a_later_confirmation_resumes_at_once_with_the_suspended_months_paid(app, county):
    """第三十三条: still entitled → payment resumes at once and the suspended months are paid
    back (the existing suspension's back pay: the next run pays every month not covered)."""
    grace = app.config["ELIGIBILITY_GRACE_DAYS"]
    person = pensioner(app, due_in(-grace - 80))
    found_on = TODAY - timedelta(days=70)  # suspended some months ago
    run(app, "eligibility.suspend_missed", found_on)
    first_unpaid = rules.suspension_month(found_on)
    assert relation_of(app, person["id"]).suspended_from == first_unpaid

    with app.app_context():
        elder = db.session.get(Person, person["id"])
        ops.confirm_by_face(elder, "kiosk", TODAY)
        relation = db.session.scalar(select(InsuranceRelation).filter_by(
            person_id=person["id"]))
        assert relation.suspended_from is None and relation.suspension_reason is None
        row = db.session.scalar(select(BenefitSuspension).filter_by(person_id=person["id"]))
        assert row.closed_at is not None and row.back_pay is True
        # The suspended months are due again: the next run pays them as arrears.
        this_month = date(TODAY.year, TODAY.month, 1)
        due = benefits._due_months(relation, this_month, covered=set())
        assert first_unpaid in due and this_month in due
        assert db.session.scalar(select(AuditRecord).filter_by(
            action="benefit_resumed", object_id=str(person["id"]))) is not None
        db.session.remove()
    assert messages(app, person["id"], "eligibility_resumed")
    assert checks_of(app, person["id"])[-1].channel == "kiosk"


# 4. The resident's own face check ------------------------------------------------------------

def _step_up(client, response):
    """Follow a redirect to the face step-up through the provider and back to the portal."""
    assert response.status_code == 302 and "level=face" in response.location
    authorize = client.get(local_path(client.get(response.location).location))
    if "/idp/face" in (authorize.location or ""):
        authorize = choose_face_check(client, face=True)
        authorize = client.get(local_path(authorize.location))
    callback = client.get(local_path(authorize.location))
    return callback


def test_the_resident_confirms_with_a_face_check_on_the_phone(app, county):
    """第三十一条: the short service 资格认证, offered when due; the identity platform's fresh
    face check is the confirmation. The pension page shows the last confirmation, the method,
    the next due date and the one thing to do now."""
    person = pensioner(app, due_in(12))
    client = app.test_client()
    sign_in(client, app, person)  # real name only
    page = client.get("/me/pension").get_data(as_text=True)
    assert "资格认证" in page and "即将到期" in page and "/me/eligibility" in page
    assert client.get("/me/").get_data(as_text=True).count("/me/eligibility") >= 1

    form = client.get("/me/eligibility")
    assert form.status_code == 200
    response = client.post("/me/eligibility", data={"csrf_token": csrf_token(form)})
    back = _step_up(client, response)
    assert back.status_code == 302 and back.location.endswith("/me/eligibility")
    assert len(checks_of(app, person["id"])) == 1  # nothing recorded before the face check
    form = client.get("/me/eligibility")
    done = client.post("/me/eligibility", data={"csrf_token": csrf_token(form)})
    assert done.status_code == 303
    check = checks_of(app, person["id"])[-1]
    assert (check.method, check.confirmed_on, check.actor) == ("face", TODAY,
                                                              f"resident:{person['id']}")
    page = client.get("/me/pension").get_data(as_text=True)
    next_due = rules.next_due(TODAY)
    assert f"{next_due.year}年{next_due.month}月{next_due.day}日" in page
    assert 'href="/me/eligibility"' not in page  # nothing left to do
    # Every confirmation so far, not only the last one.
    history = page.split("历次认证")[1]
    assert "人脸识别" in history and "数据比对" in history
    # A second press (double tap) after it is done records nothing more.
    done = client.post("/me/eligibility", data={"csrf_token": csrf_token(form)})
    assert len(checks_of(app, person["id"])) == 2


def test_only_pensioners_have_a_confirmation_to_make(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    assert client.get("/me/eligibility").status_code == 404


# 5. 亲情认证: a relative's phone ---------------------------------------------------------------

def test_a_relative_registers_with_the_elders_face_and_confirms_for_them(app, county):
    """人社厅发〔2018〕107号: a relative the household register links to the elder registers as
    their helper (the elder's face check in front of the phone is their consent), then does
    the elder's yearly face check on their own phone."""
    elder = pensioner(app, due_in(5), phone=None)
    child = pensioner(app, due_in(300))  # any signed-in resident; here also a pensioner
    stranger = pensioner(app, due_in(300))
    with app.app_context():
        db.session.add(RegistryRelative(id_number=child["id_number"],
                                        relative_id_number=elder["id_number"],
                                        relation="child"))
        db.session.commit()
        db.session.remove()

    intruder = app.test_client()
    sign_in(intruder, app, stranger)
    page = intruder.get("/me/family")
    refused = intruder.post("/me/family", data={
        "csrf_token": csrf_token(page), "elder_name": elder["name"],
        "elder_id_number": elder["id_number"], "consent": "y", "capture": "match"})
    assert refused.status_code == 400 and "户籍" in refused.get_data(as_text=True)

    helper = app.test_client()
    sign_in(helper, app, child)
    page = helper.get("/me/family")
    no_consent = helper.post("/me/family", data={
        "csrf_token": csrf_token(page), "elder_name": elder["name"],
        "elder_id_number": elder["id_number"], "capture": "match"})
    assert no_consent.status_code == 400 and "错误" in no_consent.get_data(as_text=True)
    registered_ = helper.post("/me/family", data={
        "csrf_token": csrf_token(page), "elder_name": elder["name"],
        "elder_id_number": elder["id_number"], "consent": "y", "capture": "match"})
    assert registered_.status_code == 303
    with app.app_context():
        link = db.session.scalar(select(FamilyHelper).filter_by(helper_person_id=child["id"]))
        link_id = link.id
        assert (link.elder_person_id, link.relation, link.consent_method) == (
            elder["id"], "child", "face")
        db.session.remove()
    # The elder hears of it, with a way to object.
    assert any("12333" in body for _c, body in messages(app, elder["id"],
                                                       "family_helper_registered"))
    listing = helper.get("/me/family").get_data(as_text=True)
    assert elder["name"] in listing and f"/me/family/{link_id}" in listing

    # Somebody else's helper registration does not exist for the stranger.
    assert intruder.get(f"/me/family/{link_id}").status_code == 404
    page = helper.get(f"/me/family/{link_id}")
    assert page.status_code == 200
    done = helper.post(f"/me/family/{link_id}", data={"csrf_token": csrf_token(page),
                                                      "capture": "match"})
    assert done.status_code == 303
    check = checks_of(app, elder["id"])[-1]
    assert (check.method, check.helper_person_id, check.actor, check.confirmed_on) == (
        "family", child["id"], f"resident:{child['id']}", TODAY)
    assert "亲情认证" in helper.get(f"/me/family/{link_id}").get_data(as_text=True)


def _registered_helper(app, elder, relative) -> int:
    """The relative registered as the elder's helper (the household register links them)."""
    with app.app_context():
        db.session.add(RegistryRelative(id_number=relative["id_number"],
                                        relative_id_number=elder["id_number"],
                                        relation="child"))
        db.session.commit()
        link = ops.register_helper(db.session.get(Person, relative["id"]), elder["name"],
                                   elder["id_number"], "match")
        link_id = link.id
        db.session.remove()
    return link_id


def test_the_elder_or_the_relative_ends_a_registration_and_the_relative_can_no_longer_confirm(
        app, county):
    """第三十一条 (亲情认证): the elder sees who may confirm for them, masked, and ends it; the
    relative is told and can no longer do the face check. The relative may stop by themselves;
    the elder is told. Nobody else can end it."""
    elder = pensioner(app, due_in(5))
    child = pensioner(app, due_in(300), name="测试小明")
    other_child = pensioner(app, due_in(300), name="测试小红")
    stranger = pensioner(app, due_in(300))
    link_id = _registered_helper(app, elder, child)
    other_link = _registered_helper(app, elder, other_child)

    own = app.test_client()
    sign_in(own, app, elder)
    assert "/me/eligibility#helpers" in own.get("/me/pension").get_data(as_text=True)
    page = own.get("/me/eligibility")
    text = page.get_data(as_text=True)
    assert "谁可以为我做资格认证" in text and "测**明" in text and "测试小明" not in text
    assert f"/me/eligibility/helpers/{link_id}/end" in text

    # Nobody else ends it: a stranger, nor the relative through the elder's button.
    intruder = app.test_client()
    sign_in(intruder, app, stranger)
    token = csrf_token(intruder.get("/me/eligibility"))
    assert intruder.post(f"/me/eligibility/helpers/{link_id}/end",
                         data={"csrf_token": token}).status_code == 404
    assert intruder.post(f"/me/family/{link_id}/end",
                         data={"csrf_token": token}).status_code == 404
    helper = app.test_client()
    sign_in(helper, app, child)
    family = helper.get("/me/family")
    assert f"/me/family/{link_id}/end" in family.get_data(as_text=True)
    assert helper.post(f"/me/eligibility/helpers/{link_id}/end",
                       data={"csrf_token": csrf_token(family)}).status_code == 404
    assert own.post(f"/me/eligibility/helpers/{link_id}/end").status_code == 400  # no CSRF

    ended = own.post(f"/me/eligibility/helpers/{link_id}/end",
                     data={"csrf_token": csrf_token(page)})
    assert ended.status_code == 303 and ended.location.endswith("/me/eligibility#helpers")
    with app.app_context():
        link = db.session.get(FamilyHelper, link_id)
        assert link.ended_at is not None
        record = db.session.scalar(select(AuditRecord).filter_by(
            action="family_helper_ended", object_id=str(link_id)))
        assert record.actor == f"resident:{elder['id']}" and record.detail == {"by": "elder"}
        with pytest.raises(LookupError):
            ops.confirm_by_helper(db.session.get(Person, child["id"]), link_id, "match",
                                  "online", TODAY)
        db.session.remove()
    assert any("测试" in body and "不能" in body
               for _c, body in messages(app, child["id"], "family_helper_ended_by_elder"))
    text = own.get("/me/eligibility").get_data(as_text=True)
    assert "测**明" not in text and "测**红" in text
    assert helper.get(f"/me/family/{link_id}").status_code == 404
    assert f"/me/family/{link_id}" not in helper.get("/me/family").get_data(as_text=True)
    assert own.post(f"/me/eligibility/helpers/{link_id}/end",
                    data={"csrf_token": csrf_token(page)}).status_code == 404

    # The other relative stops by themselves; the elder is told.
    second = app.test_client()
    sign_in(second, app, other_child)
    stopped = second.post(f"/me/family/{other_link}/end",
                          data={"csrf_token": csrf_token(second.get("/me/family"))})
    assert stopped.status_code == 303
    assert messages(app, elder["id"], "family_helper_ended_by_helper")
    assert second.get(f"/me/family/{other_link}").status_code == 404
    assert "谁可以为我做资格认证" not in own.get("/me/eligibility").get_data(as_text=True)


# 6. The village assistant's home visit -------------------------------------------------------

def _png(colour=(200, 100, 50)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="PNG")
    return out.getvalue()


def test_the_village_assistant_records_a_home_visit_with_photo_and_signature(app, county):
    """第三十一条: for the elder who cannot go out, the assistant's visit with a photo and the
    elder's signature confirms it; the assistant sees the village's due list first. An
    assistant of another village finds nobody."""
    elder = pensioner(app, due_in(3), phone=None)
    with app.app_context():
        registry_id = db.session.scalar(select(RegistryPerson.id).filter_by(
            id_number=elder["id_number"]))
        db.session.remove()

    other = app.test_client()
    staff_sign_in(other, app, "xieban.shiqiao")
    assert other.get(f"/assist/residents/{registry_id}/home-visit").status_code == 404
    assert elder["name"] not in other.get("/assist/").get_data(as_text=True)

    assistant = app.test_client()
    staff_sign_in(assistant, app, "xieban.ceshi")
    dashboard = assistant.get("/assist/").get_data(as_text=True)
    assert elder["name"] in dashboard and f"/assist/residents/{registry_id}/home-visit" in \
        dashboard
    page = assistant.get(f"/assist/residents/{registry_id}/home-visit")
    assert page.status_code == 200
    missing = assistant.post(f"/assist/residents/{registry_id}/home-visit",
                             data={"csrf_token": csrf_token(page),
                                   "photo": (io.BytesIO(_png()), "visit.png")},
                             content_type="multipart/form-data")
    assert missing.status_code == 400 and "签" in missing.get_data(as_text=True)
    bad = assistant.post(f"/assist/residents/{registry_id}/home-visit",
                         data={"csrf_token": csrf_token(page),
                               "photo": (io.BytesIO(b"not an image"), "visit.png"),
                               "signature": (io.BytesIO(_png()), "sign.png")},
                         content_type="multipart/form-data")
    assert bad.status_code == 400 and len(checks_of(app, elder["id"])) == 1
    done = assistant.post(f"/assist/residents/{registry_id}/home-visit",
                          data={"csrf_token": csrf_token(page),
                                "photo": (io.BytesIO(_png()), "visit.png"),
                                "signature": (io.BytesIO(_png((0, 0, 0))), "sign.png")},
                          content_type="multipart/form-data")
    assert done.status_code == 303
    shown = assistant.get(done.location).get_data(as_text=True)
    assert "已登记" in shown and "数据不足时会发送消息提醒" in shown  # words for a third person
    check = checks_of(app, elder["id"])[-1]
    assert (check.method, check.channel) == ("home_visit", "assisted")
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).filter_by(username="xieban.ceshi"))
        assert check.staff_id == staff.id and check.actor == staff.get_id()
        photo = db.session.get(Upload, check.evidence["photo"])
        signature = db.session.get(Upload, check.evidence["signature"])
        assert (photo.purpose, signature.purpose) == ("eligibility_visit_photo",
                                                      "eligibility_visit_signature")
        assert photo.person_id == signature.person_id == elder["id"]
        db.session.remove()
    assert f"/assist/residents/{registry_id}/home-visit" not in assistant.get(
        "/assist/").get_data(as_text=True)


# 7. Jobs and commands ------------------------------------------------------------------------

def test_the_three_operations_are_named_jobs_and_commands(app, county):
    assert {"eligibility.silent_confirmation", "eligibility.reminders",
            "eligibility.suspend_missed"} <= set(registered())
    runner = app.test_cli_runner()
    for command in ("eligibility-silent", "eligibility-reminders",
                    "eligibility-suspend-missed"):
        result = runner.invoke(args=[command, "--day", "1990-01-01"])
        assert result.exit_code == 0, result.output
