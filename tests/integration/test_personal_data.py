"""Personal data at rest (issue 17 item 8; PIPL): identity numbers, phones, bank accounts and
application answers are sealed in the database, found through their keyed hash, re-sealed by
`rotate-keys`; SQL parameters never reach the log; every staff look at a person's full details or
documents is audited and shown to the resident (PIPL 第四十五条) and to the county admin."""

import logging

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from portal import create_app
from portal.crypto import blind_index, key_id_of, new_key_text
from portal.extensions import db
from portal.models import (
    Application,
    AuditRecord,
    BenefitDecision,
    DataAccess,
    DeathReport,
    OutboxMessage,
    Person,
    RegistryPerson,
    StaffUser,
)
from portal.operations import uploads
from tests.integration.helpers import decide, enrol, make_resident, sign_in, staff_sign_in


def raw(sql: str, **params) -> list:
    """Rows exactly as stored, read past the ORM."""
    return db.session.execute(text(sql), params).all()


def test_identity_numbers_phones_bank_accounts_and_answers_are_not_stored_in_clear(app, demo):
    receiving = demo["by_key"]["receiving"]
    sign_in(app.test_client(), app, receiving)  # a code by text message to the phone
    with app.app_context():
        person = db.session.scalar(Person.by_id_number(receiving["id_number"]))
        stored = raw("SELECT id_number, id_number_hash, phone FROM person WHERE id = :id",
                     id=person.id)[0]
        assert receiving["id_number"] not in stored.id_number
        assert key_id_of(stored.id_number) == app.extensions["portal_keyring"].current
        assert stored.id_number_hash == blind_index(receiving["id_number"])
        assert receiving["phone"] not in stored.phone
        everything = " ".join(str(value) for row in raw(
            "SELECT id_number, phone FROM person") for value in row)
        for someone in demo["people"]:
            assert someone["id_number"] not in everything
        decision = db.session.scalar(select(BenefitDecision).filter_by(person_id=person.id))
        (bank,) = raw("SELECT bank_account FROM benefit_decision WHERE id = :id",
                      id=decision.id)[0]
        assert decision.bank_account and decision.bank_account not in bank
        (payments,) = raw("SELECT count(*) FROM benefit_payment WHERE bank_account = :a",
                          a=decision.bank_account)[0]
        assert payments == 0
        bank_files = [f for (f,) in raw("SELECT bank_file FROM payment_run")]
        assert bank_files and not any(receiving["id_number"] in f or decision.bank_account in f
                                      for f in bank_files)
        (answers,) = raw("SELECT answers FROM application WHERE person_id = :id",
                         id=person.id)[0]
        assert decision.bank_account not in answers and "bank_account" not in answers
        recipients = [r for (r,) in raw("SELECT recipient FROM outbox_message "
                                        "WHERE channel = 'sms'")]
        assert recipients and not any(receiving["phone"] in r for r in recipients)
        db.session.remove()


def test_an_application_and_its_registration_for_the_tax_department_stay_sealed(app):
    resident = make_resident(app)
    reference = enrol(app.test_client(), app, resident)
    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    assert decide(reviewer, reference, "approve").status_code == 302
    with app.app_context():
        application = db.session.scalar(select(Application).filter_by(reference=reference))
        (answers,) = raw("SELECT answers FROM application WHERE id = :id",
                         id=application.id)[0]
        phone = application.answers["phone"]  # what fill_enrolment typed
        assert phone.isdigit() and phone not in answers and "tier" not in answers
        changes = raw("SELECT old_value, new_value FROM person_change")
        assert not any(phone in (v or "") for row in changes for v in row)
        registration = db.session.scalar(select(OutboxMessage).filter_by(
            channel="tax", kind="registration", person_id=application.person_id))
        assert resident["id_number"] in registration.body  # what the tax department gets
        stored = raw("SELECT body, params FROM outbox_message WHERE id = :id",
                     id=registration.id)[0]
        assert not any(resident["id_number"] in value for value in stored)
        db.session.remove()


def test_look_ups_still_find_people(app, demo):
    contributor = demo["by_key"]["contributor"]
    with app.app_context():
        by_helper = db.session.scalar(Person.by_id_number(contributor["id_number"],
                                                          contributor["id_type"]))
        assert by_helper.name == contributor["name"]
        assert by_helper.id_number == contributor["id_number"]
        assert db.session.scalar(select(Person).filter_by(
            id_number=contributor["id_number"])).id == by_helper.id
        several = db.session.scalars(select(Person).filter(Person.id_number.in_(
            [contributor["id_number"], demo["by_key"]["receiving"]["id_number"]]))).all()
        assert {p.name for p in several} == {contributor["name"],
                                            demo["by_key"]["receiving"]["name"]}
        # A join on the hash columns, as a set-based import does with its own staged hashes.
        joined = select(Person.name).join(DeathReport, DeathReport.id_number == Person.id_number)
        assert "death_report.id_number_hash = person.id_number_hash" in str(joined)
        db.session.execute(joined).all()
        assert db.session.scalar(select(Person).filter_by(
            id_number=contributor["id_number"][:-1] + "X")) is None
        assert db.session.scalar(select(OutboxMessage).filter_by(
            recipient=contributor["phone"])) is not None
        with pytest.raises(TypeError, match="encrypted"):
            select(Person).filter(Person.id_number.like("5399%"))
        with pytest.raises(TypeError, match="blind_index"):  # a plain column cannot be hashed
            select(Person).join(RegistryPerson, Person.id_number == RegistryPerson.id_number)
        db.session.remove()


def test_keys_rotate_and_older_keys_decrypt_until_rotated(app, demo):
    """A second key is added (it seals new values, the first still opens old ones); rotate-keys
    re-seals everything under it; rotating back restores the suite's own key."""
    original = app.config["DATA_ENCRYPTION_KEYS"]
    new_key = new_key_text("rot2")
    common = {"INSTANCE_PATH": app.instance_path, "DATABASE_URL": app.config["DATABASE_URL"],
              "EXTERNAL_URL": app.config["EXTERNAL_URL"], "TESTING": True}
    rotated = create_app({**common, "DATA_ENCRYPTION_KEYS": original + "," + new_key})
    back = create_app({**common, "DATA_ENCRYPTION_KEYS": new_key + "," + original})
    old_id = app.extensions["portal_keyring"].current
    heir = demo["by_key"]["receiving"]
    try:
        with rotated.app_context():
            person = db.session.scalar(Person.by_id_number(heir["id_number"]))
            assert person.phone == heir["phone"]  # sealed with the old key, still opens
            person.phone = "13912345678"
            db.session.commit()
            (phone,) = raw("SELECT phone FROM person WHERE id = :id", id=person.id)[0]
            assert key_id_of(phone) == "rot2"  # new values use the newest key
            person.phone = heir["phone"]
            db.session.commit()
            db.session.remove()
            result = rotated.test_cli_runner().invoke(args=["rotate-keys"])
            assert result.exit_code == 0, result.output
            assert "rot2" in result.output
            for table, column in (("person", "id_number"), ("application", "answers"),
                                  ("benefit_decision", "bank_account")):
                keys = {key_id_of(v) for (v,) in raw(f"SELECT {column} FROM {table}")}
                assert keys == {"rot2"}, (table, keys)
            assert db.session.scalar(Person.by_id_number(heir["id_number"])).name == heir["name"]
            assert db.session.scalar(select(AuditRecord.action).order_by(
                AuditRecord.id.desc()).limit(1)) == "data_keys_rotated"
            db.session.remove()
        with app.app_context():  # the old key alone no longer opens what was re-sealed
            with pytest.raises(ValueError, match="rot2"):
                db.session.scalar(Person.by_id_number(heir["id_number"])).name  # noqa: B018
            db.session.remove()
    finally:
        with back.app_context():
            result = back.test_cli_runner().invoke(args=["rotate-keys"])
            assert result.exit_code == 0, result.output
        rotated.extensions["portal_engine"].dispose()
        back.extensions["portal_engine"].dispose()
    with app.app_context():
        assert {key_id_of(v) for (v,) in raw("SELECT id_number FROM person")} == {old_id}
        assert db.session.scalar(Person.by_id_number(heir["id_number"])).name == heir["name"]
        db.session.remove()


def test_a_failing_statement_does_not_log_the_identity_number(app, demo, caplog):
    number = demo["by_key"]["contributor"]["id_number"]
    with app.app_context(), caplog.at_level(logging.DEBUG):
        with pytest.raises(SQLAlchemyError) as failure:
            # a duplicate in the (plain) embedded register: the statement fails with the number
            # among its parameters
            db.session.execute(text(
                "INSERT INTO registry_person (id, id_type, id_number, nationality, name, alive) "
                "SELECT id, id_type, :number, 'CHN', 'x', :alive FROM registry_person LIMIT 1"),
                {"number": number, "alive": True})
        db.session.rollback()
        logging.getLogger("portal").exception("database error: %s", failure.value)
        db.session.remove()
    assert "hide_parameters" in str(failure.value)
    assert number not in str(failure.value)
    assert number not in caplog.text


# ---------------------------------------------------------------------------------------------
# Staff views of personal data (PIPL 第四十五条)


@pytest.fixture(scope="module")
def reviewed(app):
    """A fresh resident's enrolment with one document, seen once by the reviewer."""
    resident = make_resident(app)
    resident_client = app.test_client()
    reference = enrol(resident_client, app, resident)
    with app.app_context():
        application = db.session.scalar(select(Application).filter_by(reference=reference))
        upload = uploads.store(application.person_id, "identity_document",
                               b"%PDF-1.4\n%%EOF\n", actor="test")
        upload.application_id = application.id
        db.session.commit()
        upload_id, person_id = upload.id, application.person_id
        db.session.remove()
    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    return {"resident": resident, "resident_client": resident_client, "reference": reference,
            "upload_id": upload_id, "person_id": person_id, "reviewer": reviewer}


def accesses(app, person_id):
    with app.app_context():
        rows = [(a.purpose, a.object_ref, a.staff_role, a.audit_record_id)
                for a in db.session.scalars(select(DataAccess).filter_by(person_id=person_id)
                                            .order_by(DataAccess.id))]
        records = {r.id: r for r in db.session.scalars(select(AuditRecord).filter(
            AuditRecord.id.in_([row[3] for row in rows])))}
        db.session.remove()
    return rows, records


def test_each_staff_view_of_the_review_page_is_audited(app, reviewed):
    before, _records = accesses(app, reviewed["person_id"])
    page = reviewed["reviewer"].get(f"/agency/applications/{reviewed['reference']}")
    assert page.status_code == 200
    assert reviewed["resident"]["id_number"] in page.get_data(as_text=True)  # the full number
    reviewed["reviewer"].get(f"/agency/applications/{reviewed['reference']}")
    after, records = accesses(app, reviewed["person_id"])
    new = after[len(before):]
    assert [(p, ref, role) for p, ref, role, _ in new] == [
        ("review_application", reviewed["reference"], "county_reviewer")] * 2
    for *_rest, record_id in new:
        record = records[record_id]
        assert record.action == "personal_data_viewed" and record.actor.startswith("staff:")
        assert record.object_id == reviewed["reference"]
        assert record.detail["person_id"] == reviewed["person_id"]


def test_each_document_download_is_audited(app, reviewed):
    before, _records = accesses(app, reviewed["person_id"])
    download = reviewed["reviewer"].get(f"/agency/uploads/{reviewed['upload_id']}")
    assert download.status_code == 200
    after, records = accesses(app, reviewed["person_id"])
    (purpose, ref, role, record_id), = after[len(before):]
    assert (purpose, ref, role) == ("download_document", str(reviewed["upload_id"]),
                                    "county_reviewer")
    assert records[record_id].object_type == "upload"


def test_a_refused_look_is_not_recorded_as_a_view(app, reviewed):
    before, _records = accesses(app, reviewed["person_id"])
    outsider = app.test_client()
    staff_sign_in(outsider, app, "reviewer.baishui")
    assert outsider.get(f"/agency/applications/{reviewed['reference']}").status_code == 404
    assert outsider.get(f"/agency/uploads/{reviewed['upload_id']}").status_code == 404
    assert accesses(app, reviewed["person_id"])[0] == before


def test_the_resident_sees_who_looked_at_their_data(app, reviewed):
    reviewed["reviewer"].get(f"/agency/applications/{reviewed['reference']}")
    page = reviewed["resident_client"].get("/me/data-access")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "谁查看了我的信息" in body
    assert "审核您的申请" in body and "县社保机构经办人员" in body and "青山县" in body
    assert reviewed["reference"] in body
    assert "黄志明" not in body  # role and agency, not the staff member's name
    home = reviewed["resident_client"].get("/me/").get_data(as_text=True)
    assert "/me/data-access" in home


def test_another_resident_does_not_see_those_views(app, demo, reviewed):
    other = app.test_client()
    sign_in(other, app, demo["by_key"]["contributor"])
    body = other.get("/me/data-access").get_data(as_text=True)
    assert reviewed["reference"] not in body


def test_the_county_admin_sees_views_in_their_county(app, reviewed):
    reviewed["reviewer"].get(f"/agency/uploads/{reviewed['upload_id']}")
    admin = app.test_client()
    staff_sign_in(admin, app, "admin.qingshan")
    page = admin.get("/agency/data-access")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "reviewer.qingshan" in body and reviewed["resident"]["name"] in body
    assert reviewed["reference"] in body and str(reviewed["upload_id"]) in body
    assert reviewed["resident"]["id_number"] not in body  # masked here
    assert "/agency/data-access" in admin.get("/agency/").get_data(as_text=True)


def test_another_countys_admin_sees_none_of_them(app, reviewed):
    with app.app_context():
        if db.session.scalar(select(StaffUser).filter_by(username="admin.baishui")) is None:
            db.session.add(StaffUser(
                username="admin.baishui", name="测试管理员", role="admin",
                region_code="539902000000", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                password_hash=PasswordHasher().hash("Demo-2026-pension")))
            db.session.commit()
        db.session.remove()
    admin = app.test_client()
    staff_sign_in(admin, app, "admin.baishui")
    body = admin.get("/agency/data-access").get_data(as_text=True)
    assert reviewed["reference"] not in body and reviewed["resident"]["name"] not in body


@pytest.mark.parametrize("username", ["reviewer.qingshan", "checker.qingshan", "clerk.shiqiao",
                                      "xieban.shiqiao"])
def test_only_the_admin_reads_the_county_overview(app, username):
    client = app.test_client()
    staff_sign_in(client, app, username)
    assert client.get("/agency/data-access").status_code == 403
