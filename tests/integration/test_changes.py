"""Changing registered information (第九条 directly, 第十条 reviewed) and choosing this year's
contribution level (第十一条)."""

import io

from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Application,
    AuditRecord,
    InsuranceRelation,
    OutboxMessage,
    Person,
    PersonChange,
    RegistryPerson,
)
from portal.operations.applications import china_today
from portal.presenters import grouped
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    answer,
    confirm,
    csrf_token,
    decide,
    send_contributions,
    sign_in,
    staff_sign_in,
)


def person_row(app, resident):
    with app.app_context():
        person = db.session.scalar(select(Person).filter_by(id_number=resident["id_number"]))
        db.session.expunge(person)
        db.session.remove()
    return person


def test_address_change_takes_effect_at_once_and_is_recorded(client, app, enrolled):
    sign_in(client, app, enrolled)
    before = person_row(app, enrolled).address
    assert answer(client, "/apply/details_change/step/detail", detail="address").status_code == 302
    same = answer(client, "/apply/details_change/step/address", address=before)
    assert same.status_code == 400 and "已登记" in same.get_data(as_text=True)
    moved = answer(client, "/apply/details_change/step/address", address="青山县青山镇西山村2组5号")
    assert moved.location.endswith("/apply/details_change/check")
    reference = confirm(client, "details_change")

    assert person_row(app, enrolled).address == "青山县青山镇西山村2组5号"
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        assert item.status == "completed" and item.kind == "details_change"
        assert [e.kind for e in item.events] == ["submitted", "completed"]
        change = db.session.scalar(select(PersonChange).filter_by(application_id=item.id))
        assert (change.field, change.old_value, change.new_value) == (
            "address", before, "青山县青山镇西山村2组5号")
        assert change.actor == f"resident:{item.person_id}" and change.channel == "online"
        assert db.session.scalar(select(AuditRecord).filter_by(
            action="person_details_changed", object_id=str(item.person_id)))
        # Moving within the county never starts a transfer (第四十条).
        assert db.session.scalar(select(Application).filter_by(
            person_id=item.person_id, kind="transfer_in")) is None
        db.session.remove()
    assert reference in client.get("/me/applications").get_data(as_text=True)
    assert "已办结" in client.get(f"/me/applications/{reference}/confirmation").get_data(
        as_text=True)


def test_ethnicity_must_be_one_of_the_56(client, app, enrolled):
    sign_in(client, app, enrolled)
    answer(client, "/apply/details_change/step/detail", detail="ethnicity")
    wrong = answer(client, "/apply/details_change/step/ethnicity", ethnicity="火星族")
    assert wrong.status_code == 400 and "56" in wrong.get_data(as_text=True)
    assert answer(client, "/apply/details_change/step/ethnicity",
                  ethnicity="彝").status_code == 302
    confirm(client, "details_change")
    assert person_row(app, enrolled).ethnicity == "彝族"


def test_phone_change_needs_a_fresh_face_check_and_tells_the_old_number(client, app, enrolled):
    sign_in(client, app, enrolled)  # real-name only
    response = client.get("/apply/phone_change/")
    assert response.status_code == 302 and "level=face" in response.location
    sign_in(client, app, enrolled, face=True, level="face")
    assert client.get("/apply/phone_change/").status_code == 200
    old = person_row(app, enrolled).phone
    assert answer(client, "/apply/phone_change/step/phone", phone="13712345678").status_code == 302
    confirm(client, "phone_change")
    assert person_row(app, enrolled).phone == "13712345678"
    with app.app_context():
        warning = db.session.scalar(select(OutboxMessage).filter_by(
            kind="phone_changed", recipient=old))
        assert warning is not None and "137****5678" in warning.body
        db.session.remove()


def test_name_change_confirmed_by_the_register_needs_no_upload(client, app, enrolled):
    with app.app_context():
        row = db.session.scalar(select(RegistryPerson).filter_by(
            id_number=enrolled["id_number"]))
        row.name = "新名字"  # the police changed it in the household register
        db.session.commit()
        db.session.remove()
    staff = app.test_client()
    staff_sign_in(staff, app, "reviewer.qingshan")
    resident = dict(enrolled, name="新名字")
    sign_in(client, app, resident)
    answer(client, "/apply/identity_change/step/detail", detail="name")
    # The portal already knows the register's name from sign-in; the change is still reviewed.
    response = answer(client, "/apply/identity_change/step/name", name="新名字二")
    assert response.location.endswith("/apply/identity_change/step/documents")
    with app.app_context():
        row = db.session.scalar(select(RegistryPerson).filter_by(
            id_number=enrolled["id_number"]))
        row.name = "新名字二"
        db.session.commit()
        db.session.remove()
    response = answer(client, "/apply/identity_change/step/name", name="新名字二")
    assert response.location.endswith("/apply/identity_change/check")
    reference = confirm(client, "identity_change")
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        assert item.status == "submitted"
        assert (item.due_on - item.received_on).days >= 3  # 3 working days (第十条)
        db.session.remove()
    assert decide(staff, reference, "approve").status_code == 302
    person = person_row(app, enrolled)
    assert person.name == "新名字二"
    with app.app_context():
        history = db.session.scalars(select(PersonChange).filter_by(
            person_id=person.id, field="name")).all()
        assert [(h.old_value, h.new_value) for h in history] == [("新名字", "新名字二")]
        assert history[0].actor.startswith("staff:")
        db.session.remove()


def test_id_number_change_not_in_the_register_asks_for_the_document(client, app, enrolled):
    from datetime import date

    from portal.rules import ids

    sign_in(client, app, enrolled)
    answer(client, "/apply/identity_change/step/detail", detail="id_number")
    bad = answer(client, "/apply/identity_change/step/id_number", id_number="539901199005019999")
    assert bad.status_code == 400 and "error" in bad.get_data(as_text=True)
    new_number = ids.compose_resident_id("539901", date(1990, 5, 1), 990)
    response = answer(client, "/apply/identity_change/step/id_number", id_number=new_number)
    assert response.location.endswith("/apply/identity_change/step/documents")
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(image, "PNG")
    page = client.get("/apply/identity_change/step/documents")
    response = client.post("/apply/identity_change/step/documents", data={
        "csrf_token": csrf_token(page), "documents": [(io.BytesIO(image.getvalue()), "id.png")]},
        content_type="multipart/form-data")
    assert response.location.endswith("/apply/identity_change/check")
    reference = confirm(client, "identity_change")
    staff = app.test_client()
    staff_sign_in(staff, app, "reviewer.qingshan")
    review = staff.get(f"/agency/applications/{reference}").get_data(as_text=True)
    assert "/agency/uploads/" in review
    assert decide(staff, reference, "approve").status_code == 302
    with app.app_context():
        person = db.session.scalar(select(Person).filter_by(id_number=new_number))
        assert person is not None
        change = db.session.scalar(select(PersonChange).filter_by(person_id=person.id,
                                                                  field="id_number"))
        assert change.old_value == enrolled["id_number"]
        db.session.remove()


def test_tier_choice_shows_subsidy_and_pension_then_how_to_pay(client, app, enrolled):
    sign_in(client, app, enrolled)
    home = client.get("/me/").get_data(as_text=True)
    assert "尚未到账" in home
    page = client.get("/apply/tier_choice/step/tier").get_data(as_text=True)
    assert "政府补贴" in page and "60" in page
    assert answer(client, "/apply/tier_choice/step/tier", tier="100000").status_code == 302
    reference = confirm(client, "tier_choice")
    done = client.get(f"/me/applications/{reference}/confirmation").get_data(as_text=True)
    assert grouped(reference) in done and f"ref={reference}" in done
    # On the phone itself: a button to pay; the code is for someone else who pays.
    assert "去缴费" in done and "用自己的手机扫码" in done and "用手机随时查看进度" not in done
    # Chosen but not paid: 待缴费 (not 已办结) until the money arrives.
    assert "待缴费" in done and "已办结" not in done
    track = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "待缴费" in track
    with app.app_context():
        person = db.session.scalar(select(Person).filter_by(id_number=enrolled["id_number"]))
        relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=person.id))
        assert relation.contribution_tier_fen == 100000
        sent = db.session.scalar(select(OutboxMessage).filter_by(channel="tax",
                                                                 kind="tier_choice",
                                                                 person_id=person.id))
        assert sent.params["tier_fen"] == 100000 and sent.params["reference"] == reference
        db.session.remove()
    # The tax department reports the payment: the home page shows it arrived.
    year = china_today().year
    body = (f"tax_ref,id_number,year,amount_fen,paid_on,payer\n"
            f"TC{reference},{enrolled['id_number']},{year},100000,{china_today()},person\n")
    booked = send_contributions(client, app, body)
    assert booked.json["status"] == "booked", booked.json
    assert "已到账" in client.get("/me/").get_data(as_text=True)
    assert "待缴费" not in client.get(f"/me/applications/{reference}").get_data(as_text=True)
    again = client.get("/apply/tier_choice/").get_data(as_text=True)
    assert "已经到账" in again or "已到账" in again


def test_severely_disabled_resident_sees_the_government_pays(client, app, enrolled):
    from portal.models import RegistryDisability

    with app.app_context():
        db.session.add(RegistryDisability(id_number=enrolled["id_number"], grade=1))
        db.session.commit()
        db.session.remove()
    sign_in(client, app, enrolled)
    page = client.get("/apply/tier_choice/step/tier").get_data(as_text=True)
    assert "100.00" in page  # the lowest level, which the government pays (代缴)
    assert page.count("残疾") >= 1
