"""Designated beneficiaries (指定受益人, 第三十八条): a resident names, changes and removes one on
their own pages (face check, every change audited, personal data sealed); after the resident's
death the beneficiary — who need not be a relative — deregisters under the commitment system
and the settlement, approved by two people (第六十二条), pays them."""

from datetime import date

from sqlalchemy import select, text

from portal.crypto import blind_index
from portal.extensions import db
from portal.models import (
    Application,
    AuditRecord,
    DesignatedBeneficiary,
    OutboxMessage,
    Person,
    Settlement,
)
from portal.operations import beneficiaries, benefits
from portal.rules import ids
from tests.integration.helpers import (
    BANK_ACCOUNT,
    beneficiary_paid_until,
    csrf_token,
    file_deregistration,
    person_id,
    registry_person,
    settle,
    sign_in,
)


def form_of(page, **answers):
    return {"csrf_token": csrf_token(page), "name": "", "id_type": "resident_id",
            "id_number": "", "relationship": "", "phone": "", **answers}


def someone(app, name):
    """A person of the records with a name as on an identity document (no digits)."""
    return {**registry_person(app), "name": name}


def name_beneficiary(client, person, **extra):
    page = client.get("/me/beneficiary/change")
    assert page.status_code == 200
    return client.post("/me/beneficiary/change", data=form_of(
        page, name=person["name"], id_number=person["id_number"],
        phone=person["phone"], **extra))


def audit_actions(app, pid):
    with app.app_context():
        rows = db.session.scalars(select(AuditRecord.action).filter(
            AuditRecord.object_type == "person", AuditRecord.object_id == str(pid),
            AuditRecord.action.like("beneficiary_%")).order_by(AuditRecord.id)).all()
        db.session.remove()
    return rows


def test_a_resident_names_changes_and_removes_a_beneficiary(client, app):
    resident, first, second = registry_person(app), someone(app, "赵晓红"), someone(app, "钱·阿依")
    sign_in(client, app, resident, face=True, level="face")
    page = client.get("/me/beneficiary").get_data(as_text=True)
    assert "指定受益人" in page and "第三十八条" in page and "/me/beneficiary/change" in page
    assert "/me/beneficiary" in client.get("/me/").get_data(as_text=True)  # on the home page

    saved = name_beneficiary(client, first, relationship="not_related")
    assert saved.status_code == 303
    shown = client.get(saved.location).get_data(as_text=True)
    assert first["name"] in shown and ids.mask(first["id_number"]) in shown
    assert first["id_number"] not in shown and first["phone"] not in shown  # masked
    assert "非亲属" in shown
    pid = person_id(app, resident)
    with app.app_context():
        row = beneficiaries.current_of(pid)
        assert row.id_number == first["id_number"]
        assert row.id_number_hash == blind_index(first["id_number"])
        stored = db.session.execute(text(
            "SELECT id_number, phone FROM designated_beneficiary WHERE id = :id"),
            {"id": row.id}).one()
        assert first["id_number"] not in stored[0] and first["phone"] not in stored[1]
        db.session.remove()

    # Changing keeps the earlier naming in the history; the form starts from what is saved.
    assert first["name"] in client.get("/me/beneficiary/change").get_data(as_text=True)
    assert name_beneficiary(client, second).status_code == 303
    with app.app_context():
        rows = db.session.scalars(select(DesignatedBeneficiary).filter_by(
            person_id=pid).order_by(DesignatedBeneficiary.id)).all()
        assert [(r.name, r.ended_at is not None) for r in rows] == [
            (first["name"], True), (second["name"], False)]
        db.session.remove()

    confirm = client.get("/me/beneficiary/remove")
    assert second["name"] in confirm.get_data(as_text=True)
    assert client.post("/me/beneficiary/remove", data={
        "csrf_token": csrf_token(confirm)}).status_code == 303
    assert "您尚未指定受益人" in client.get("/me/beneficiary").get_data(as_text=True)
    assert audit_actions(app, pid) == ["beneficiary_named", "beneficiary_changed",
                                       "beneficiary_removed"]
    with app.app_context():
        detail = db.session.scalar(select(AuditRecord.detail).filter_by(
            action="beneficiary_named", object_id=str(pid)))
        assert detail["after"]["id_number"] == ids.mask(first["id_number"])  # masked in logs
        db.session.remove()


def test_bad_answers_are_kept_and_explained_in_chinese(client, app):
    resident = registry_person(app)
    sign_in(client, app, resident, face=True, level="face")
    page = client.get("/me/beneficiary/change")
    response = client.post("/me/beneficiary/change", data=form_of(
        page, name="张三", id_number="110105194912310021", phone="12345"))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>错误" in body and "error-summary" in body
    assert "张三" in body and "110105194912310021" in body  # every answer kept
    assert "手机号" in body or "电话" in body
    myself = client.post("/me/beneficiary/change", data=form_of(
        page, name="某人", id_number=resident["id_number"], phone="13800000000"))
    assert myself.status_code == 400
    assert "其他人" in myself.get_data(as_text=True)
    empty = client.post("/me/beneficiary/change", data=form_of(page))
    assert empty.status_code == 400
    with app.app_context():
        assert beneficiaries.current_of(person_id(app, resident)) is None
        db.session.remove()


def test_naming_a_beneficiary_needs_a_face_check(client, app):
    resident = registry_person(app)
    sign_in(client, app, resident)  # real name only
    assert client.get("/me/beneficiary").status_code == 200
    for path in ("/me/beneficiary/change", "/me/beneficiary/remove"):
        response = client.get(path)
        assert response.status_code == 302 and "level=face" in response.location
    page = client.get("/me/beneficiary")
    response = client.post("/me/beneficiary/change", data=form_of(
        page, name="某人", id_number=ids.compose_resident_id("539901", date(1980, 1, 1), 1),
        phone="13800000000"))
    assert response.status_code == 302 and "level=face" in response.location
    with app.app_context():
        assert beneficiaries.current_of(person_id(app, resident)) is None
        db.session.remove()


def test_another_resident_sees_nothing_of_my_beneficiary(client, app):
    resident, other, named = registry_person(app), registry_person(app), someone(app, "孙丽")
    sign_in(client, app, resident, face=True, level="face")
    assert name_beneficiary(client, named).status_code == 303
    stranger = app.test_client()
    sign_in(stranger, app, other, face=True, level="face")
    page = stranger.get("/me/beneficiary").get_data(as_text=True)
    assert named["name"] not in page and "您尚未指定受益人" in page


# 第三十八条: the beneficiary deregisters and is paid ----------------------------------------

def designate(app, pid, person, relationship=None):
    with app.app_context():
        beneficiaries.name(db.session.get(Person, pid), name=person["name"],
                           id_type=ids.RESIDENT_ID, id_number=person["id_number"],
                           phone=person["phone"], relationship=relationship,
                           actor=f"resident:{pid}", channel="online")
        db.session.remove()


def test_the_designated_beneficiary_deregisters_and_is_paid(client, app):
    deceased, heir, pid = beneficiary_paid_until(app, date(2032, 1, 1), date(2031, 12, 10))
    friend = registry_person(app)  # not a relative in any record
    designate(app, pid, friend, relationship="not_related")
    # The heir is told the deceased chose someone else …
    refused = file_deregistration(client, app, heir, deceased)
    assert refused.status_code == 400 and "指定受益人" in refused.get_data(as_text=True)
    # … and the beneficiary applies, with no proof of any relationship.
    beneficiary_client = app.test_client()
    reference = file_deregistration(beneficiary_client, app, friend, deceased)
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        assert item.comparison["relationship"] == "designated_beneficiary"
        db.session.remove()
    staff, review = settle(app, reference)
    assert "指定受益人" in review
    friend_id = person_id(app, friend)
    with app.app_context():
        settlement = db.session.scalar(select(Settlement).join(
            Application, Application.id == Settlement.application_id).filter(
            Application.reference == reference))
        assert settlement.payee_role == "designated_beneficiary"
        assert settlement.payee_person_id == friend_id and settlement.payable_fen > 0
        sent = db.session.scalar(select(OutboxMessage).filter_by(
            channel="bank", kind="settlement", person_id=friend_id))
        assert sent.params["bank_account"] == BANK_ACCOUNT
        db.session.remove()
    mine = beneficiary_client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "指定受益人" in mine and "已复核" in mine


def test_a_recorded_death_tells_the_beneficiary(app):
    with app.app_context():
        from tests.integration.helpers import pensioner

        person = pensioner(date(2020, 1, 1))
        db.session.remove()
    named = registry_person(app)
    designate(app, person.id, named)
    with app.app_context():
        person = db.session.get(Person, person.id)
        benefits.invite_heirs(person)
        db.session.commit()
        told = db.session.scalar(select(OutboxMessage).filter_by(
            channel="sms", kind="beneficiary_invited", recipient=named["phone"]))
        assert told is not None and "指定受益人" in told.body
        db.session.remove()
