"""Registration data to the tax department (第十三条): a batch file the tax interface collects,
and its acknowledgement imported back."""

import itertools
import json
from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Application, InsuranceRelation, OutboxMessage, Person
from portal.operations import tax_export
from portal.rules import ids

_numbers = itertools.count(901)


def _headers(app, token=None):
    return {"Authorization": f"Bearer {token or app.config['TAX_API_TOKEN']}"}


@pytest.fixture
def registered(app):
    """Two approved enrolments waiting to be sent to tax."""
    references = []
    with app.app_context():
        for number in (next(_numbers), next(_numbers)):
            id_number = ids.compose_resident_id("539901", date(1975, 6, 1), number)
            person = Person(id_type=ids.RESIDENT_ID, id_number=id_number, name=f"登记{number}",
                            sex="F", birth_date=date(1975, 6, 1), phone=f"1390000{number:04d}")
            db.session.add(person)
            db.session.flush()
            application = Application(
                reference=f"TX{number}-{id_number[-4:]}", kind="enrolment", person_id=person.id,
                region_code="539901000000", filed_by=person.get_id(), filed_by_kind="resident",
                channel="online", submission_key=f"tax-{id_number}", received_on=date.today(),
                due_on=date.today(), status="approved", answers={"address": "白水镇1号"})
            db.session.add(application)
            db.session.flush()
            relation = InsuranceRelation(person_id=person.id, region_code="539901000000",
                                         status="contributing", started_on=date(2026, 11, 2),
                                         contribution_tier_fen=50000,
                                         application_id=application.id)
            db.session.add(relation)
            tax_export.queue_registration(person, relation, application, "白水镇1号")
            references.append(application.reference)
        db.session.commit()
        db.session.remove()
    return references


def _row(app, reference):
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).filter_by(channel="tax")
                                  .order_by(OutboxMessage.id)).all()
        row = next(r for r in rows if r.params and r.params.get("reference") == reference)
        db.session.expunge(row)
        db.session.remove()
    return row


def test_tax_collects_a_batch_and_acknowledges_it(client, app, registered):
    made = client.post("/exchange/tax/registrations/batches", headers=_headers(app))
    assert made.status_code == 201
    batch_no = made.json["batch_no"]
    listed = client.get("/exchange/tax/registrations/batches", headers=_headers(app)).json
    assert batch_no in [b["batch_no"] for b in listed["batches"]]

    collected = client.get(made.json["url"], headers=_headers(app))
    assert collected.status_code == 200
    content = collected.json
    assert content["batch_no"] == batch_no and content["kind"] == "registration"
    sent = {row["reference"]: row for row in content["rows"]}
    first, second = registered
    assert sent[first]["name"].startswith("登记") and sent[first]["tier_fen"] == 50000
    assert sent[first]["county_code"] == "539901000000"
    assert sent[first]["address"] == "白水镇1号"
    assert _row(app, first).status == "exported"
    # Nothing pending is left, so asking again makes no empty batch.
    assert client.post("/exchange/tax/registrations/batches",
                       headers=_headers(app)).status_code == 204

    others = [ref for ref in sent if ref not in registered]
    answer = {"batch_no": batch_no, "accepted": [first, *others],
              "rejected": [{"reference": second, "reason": "纳税人识别号不存在"}]}
    report = client.post("/exchange/tax/registrations/acknowledgements", json=answer,
                         headers=_headers(app))
    assert report.status_code == 200, report.json
    assert report.json["rejected"] == 1 and report.json["outstanding"] == []
    assert _row(app, first).status == "accepted"
    rejected = _row(app, second)
    assert rejected.status == "rejected" and rejected.receiver_note == "纳税人识别号不存在"
    # The same acknowledgement again changes nothing.
    again = client.post("/exchange/tax/registrations/acknowledgements", json=answer,
                        headers=_headers(app))
    assert again.status_code == 200 and again.json["rejected"] == 1
    with app.app_context():
        assert second in [r.params["reference"]
                          for r in tax_export.rejected_registrations("539901000000")]
        assert tax_export.rejected_registrations("539902000000") == [] or all(
            r.params["county_code"] == "539902000000"
            for r in tax_export.rejected_registrations("539902000000"))
        db.session.remove()


def test_an_acknowledgement_naming_a_stranger_changes_nothing(client, app, registered):
    batch_no = client.post("/exchange/tax/registrations/batches",
                           headers=_headers(app)).json["batch_no"]
    answer = {"batch_no": batch_no, "accepted": [registered[0], "NOT-IN-BATCH"]}
    response = client.post("/exchange/tax/registrations/acknowledgements", json=answer,
                           headers=_headers(app))
    assert response.status_code == 400 and "NOT-IN-BATCH" in response.json["error"]
    assert _row(app, registered[0]).status == "exported"
    bad = client.post("/exchange/tax/registrations/acknowledgements", json={"accepted": []},
                      headers=_headers(app))
    assert bad.status_code == 400


def test_registration_exchange_needs_the_tax_token(client, app):
    for method, path in (("post", "/exchange/tax/registrations/batches"),
                         ("get", "/exchange/tax/registrations/batches"),
                         ("get", "/exchange/tax/registrations/batches/REG-20261125-0001"),
                         ("post", "/exchange/tax/registrations/acknowledgements")):
        assert getattr(client, method)(path).status_code == 401
        assert getattr(client, method)(path, headers=_headers(app, "wrong")).status_code == 401


def test_cli_writes_the_file_and_imports_the_acknowledgement(app, registered, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export-registrations", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [written] = tmp_path.glob("REG-*.json")
    content = json.loads(written.read_text(encoding="utf-8"))
    assert set(registered) <= {row["reference"] for row in content["rows"]}
    ack = tmp_path / "ack.json"
    ack.write_text(json.dumps({"batch_no": content["batch_no"],
                               "accepted": [r["reference"] for r in content["rows"]]}))
    result = runner.invoke(args=["import-registration-ack", str(ack)])
    assert result.exit_code == 0, result.output
    assert _row(app, registered[0]).status == "accepted"
    assert runner.invoke(args=["export-registrations", str(tmp_path)]).output.strip() == \
        "nothing to send"


def test_county_staff_see_refusals_and_send_again(client, app, registered):
    from tests.integration.helpers import csrf_token, staff_sign_in

    batch_no = client.post("/exchange/tax/registrations/batches",
                           headers=_headers(app)).json["batch_no"]
    refused = registered[1]
    client.post("/exchange/tax/registrations/acknowledgements", headers=_headers(app),
                json={"batch_no": batch_no,
                      "rejected": [{"reference": refused, "reason": "证件号码校验不通过"}]})
    row_id = _row(app, refused).id

    other_county = app.test_client()
    staff_sign_in(other_county, app, "reviewer.baishui")
    assert refused not in other_county.get("/agency/tax-registrations").get_data(as_text=True)
    page = other_county.get("/agency/tax-registrations")
    assert other_county.post(f"/agency/tax-registrations/{row_id}/resend",
                             data={"csrf_token": csrf_token(page)}).status_code == 404

    staff = app.test_client()
    staff_sign_in(staff, app, "reviewer.qingshan")
    page = staff.get("/agency/tax-registrations")
    html = page.get_data(as_text=True)
    assert refused in html and "证件号码校验不通过" in html
    response = staff.post(f"/agency/tax-registrations/{row_id}/resend",
                          data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert _row(app, refused).status == "resent"
    with app.app_context():
        pending = db.session.scalars(select(OutboxMessage).filter_by(
            channel="tax", status="pending")).all()
        assert refused in [row.params["reference"] for row in pending]
        db.session.remove()
    assert refused not in staff.get("/agency/tax-registrations").get_data(as_text=True)
