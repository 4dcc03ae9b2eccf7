"""Bad input of every kind gets a clear message and a 4xx, never a 500 (issue 17 items 5, 6, 9):
names a Chinese identity document can carry, CSV cells that cannot become formulas, photos
refused from their header, NUL bytes and huge fields, malformed terminal claims, and the exact
Bearer scheme on the tax interface."""

import base64
import io
import json
import secrets
import struct
import time
import zlib

import pytest
from sqlalchemy import select

from kiosk.agent import b64, sign_assertion
from portal.extensions import db
from portal.models import DeathReport
from portal.rules import contact, csvfiles
from tests.integration.helpers import (
    DEVICE,
    assistant,
    card,
    csrf_token,
    csv_batch,
    post_documents,
    sign_in,
)

# --- names (item 5) ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "安娜·施密特", "阿依古丽·买买提",
                                  "Anna Schmidt", "Jean-Pierre O'Neil", "李〇", "𠀋先生"])
def test_names_a_document_can_carry_are_accepted(name):
    assert contact.name_problem(name) is None


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2",
                                  "@SUM(A1)", "张三1", "<script>", "·张三", "张··三", "a" * 61])
def test_anything_else_is_refused(name):
    assert contact.name_problem(name) is not None


def test_the_middle_dot_as_typed_on_any_keyboard_is_one_dot():
    assert contact.normalize_name("阿依古丽•买买提") == "阿依古丽·买买提"
    assert contact.normalize_name("阿依古丽・买买提") == "阿依古丽·买买提"


def test_a_formula_as_new_name_is_refused_on_the_page(client, app, enrolled):
    from tests.integration.helpers import answer

    sign_in(client, app, enrolled)
    answer(client, "/apply/identity_change/step/detail", detail="name")
    response = answer(client, "/apply/identity_change/step/name",
                      name='=HYPERLINK("http://evil.example","点我")')
    assert response.status_code == 400
    assert "姓名只能包含汉字" in response.get_data(as_text=True)


# --- CSV written (item 5) ---------------------------------------------------------------------


def test_every_formula_start_is_neutralised():
    text = csvfiles.write(["name", "amount"], [
        ["=HYPERLINK(\"x\")", 5], ["+86", 6], ["-1", 7], ["@A1", 8], ["\tx", 9], ["\rx", 10],
        ["张三", -11]])
    cells = [line.split(",")[0] for line in text.strip("\n").split("\n")[1:]]
    assert all(cell.lstrip('"').startswith("'") for cell in cells[:6])
    assert cells[6] == "张三" and text.strip().endswith("-11")  # numbers stay numbers


def test_the_bank_file_writes_a_name_as_text(app):
    from datetime import date

    from portal.models import BenefitPayment, PaymentRun, Person
    from portal.operations.benefits import reissue_file

    with app.app_context():
        person = Person(id_type="resident_id", id_number="539901195001010016",
                        name="=HYPERLINK(\"http://evil.example\")", birth_date=date(1950, 1, 1))
        db.session.add(person)
        run = PaymentRun(month=date(2019, 1, 1), created_by="test", payments=1, people=1,
                         basic_fen=1, account_fen=1, bank_file="")
        db.session.add(run)
        db.session.flush()
        payment = BenefitPayment(run_id=run.id, person_id=person.id, month=date(2019, 1, 1),
                                 basic_fen=100, account_fen=50, bank_account="6222000000000000")
        db.session.add(payment)
        db.session.flush()
        text = reissue_file([payment])
        db.session.rollback()
        db.session.remove()
    assert ",'=HYPERLINK(" in text.replace('"\'=', "'=").replace('"', "")


# --- photos (item 6) --------------------------------------------------------------------------


def png_bomb(width: int, height: int) -> bytes:
    """A real PNG of black pixels: tiny on disk, gigantic once decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" * (1 + width * 3)
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def test_a_decompression_bomb_is_refused_from_its_header(client, app, demo):
    from tests.integration.helpers import answer

    sign_in(client, app, demo["by_key"]["taiwan_resident"])
    answer(client, "/apply/enrolment/step/student", student="no")
    bomb = png_bomb(8900, 8900)
    assert len(bomb) < 400_000
    started = time.monotonic()
    response = post_documents(client, [(bomb, "photo.png")])
    assert time.monotonic() - started < 3  # never decoded (decoding takes seconds)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "像素过多" in text and "25" in text


def test_the_pixel_limit_is_configured(client, app, demo, monkeypatch):
    from tests.integration.helpers import answer

    monkeypatch.setitem(app.config, "UPLOAD_MAX_PIXELS", 1000)
    sign_in(client, app, demo["by_key"]["taiwan_resident"])
    answer(client, "/apply/enrolment/step/student", student="no")
    response = post_documents(client, [(png_bomb(40, 30), "small.png")])
    assert response.status_code == 400 and "像素" in response.get_data(as_text=True)


# --- uploaded CSVs and NUL bytes (item 9) -----------------------------------------------------


def deaths_csv(client, content: bytes):
    page = client.get("/assist/deaths")
    return client.post("/assist/deaths", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "csv": (io.BytesIO(content), "deaths.csv")})


@pytest.mark.parametrize(("content", "words"), [
    (b"name,id_number,death_date\n\xe7\x94\xb2\x00,539901194001010012,2026-10-01\n", "NUL"),
    ("name,id_number,death_date\n{},539901194001010012,2026-10-01\n".format(
        "甲" * 100_000).encode(), "200"),
    (b"name,id_number,death_date\n\"unterminated,1,2\n" + b"x" * 200_000, "读取"),
])
def test_bad_death_report_files_answer_400_with_a_message(app, content, words):
    client = assistant(app)
    response = deaths_csv(client, content)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "未上报" in text and words in text


def test_a_nul_byte_in_any_form_field_answers_400(client, app):
    page = client.get("/report")
    response = client.post("/report", data={"csrf_token": csrf_token(page), "kind": "other",
                                            "details": "有人冒领\x00养老金，请核查。"})
    assert response.status_code == 400
    assert "控制字符" in response.get_data(as_text=True)


def test_tax_batches_with_nul_bytes_or_huge_fields_answer_400(client, app):
    from tests.integration.helpers import post_contributions as post
    from tests.integration.helpers import send_contributions

    nul = csv_batch(("T-NUL-1", "539901198106170221", 2026, 20000, "2026-03-01")).replace(
        b"T-NUL-1", b"T-NUL\x00-1")
    response = post(client, app, nul)
    assert response.status_code == 400 and "NUL" in response.get_json()["error"]
    huge = csv_batch(("T" * 100_000, "539901198106170221", 2026, 20000, "2026-03-01"))
    response = post(client, app, huge)
    assert response.status_code == 400 and "200" in response.get_json()["error"]
    rows = {"rows": [{"tax_ref": "T" * 100_000, "id_number": "539901198106170221",
                      "year": 2026, "amount_fen": 1e308, "paid_on": "2026-03-01"},
                     {"tax_ref": "T-J\u0000", "id_number": "539901198106170221",
                      "year": 2026, "amount_fen": 20000, "paid_on": "2026-03-01"}]}
    # Read (202), then each row refused with its reason in the batch's status.
    status = send_contributions(client, app, json.dumps(rows).encode(), "application/json")
    assert status.get_json()["status"] == "rejected"
    assert [d["reason"] for d in status.get_json()["details"]] == ["bad_row", "bad_row"]


# --- terminal claims (item 9) -----------------------------------------------------------------


@pytest.mark.parametrize("claims", [
    {"card": "not an object"},
    {"card": {"name": 1, "id_type": [], "id_number": None}},
    {"card": None},
    {"essc": 12345},
    {"essc": {"nested": True}},
    {"time": float("nan")},
    {"time": "yesterday"},
    {"nonce": 42},
])
def test_malformed_kiosk_claims_answer_400(client, terminal_key, demo, claims):  # noqa: F811
    fields = dict(device_id=DEVICE, face="none", time=int(time.time()),
                  nonce=secrets.token_hex(16), card=card(demo["by_key"]["contributor"]))
    fields.update(claims)
    if "essc" in claims:
        del fields["card"]
    message = json.dumps(fields).encode()
    response = client.post("/kiosk/assertion", data={
        "assertion": b64(message), "signature": b64(terminal_key.sign(message))})
    assert response.status_code == 400
    assert "无法读取" in response.get_data(as_text=True)


@pytest.mark.parametrize("fields", [{}, {"assertion": "%%%", "signature": "!!"},
                                    {"assertion": b64(b"[1,2]"), "signature": ""},
                                    {"assertion": base64.b64encode(b"\xff\xfe").decode()}])
def test_unreadable_assertions_answer_400(client, fields):
    response = client.post("/kiosk/assertion", data=fields)
    assert response.status_code == 400 and "无法读取" in response.get_data(as_text=True)


@pytest.mark.parametrize(("payload", "status"), [
    ("ESSC1.x.y", 400), ("ESSC1", 400), ("a.b.c.d", 400), ("", 400),
    ("ESSC1.e30.", 403),  # readable, but not signed by the issuer
])
def test_malformed_essc_codes_answer_400(client, terminal_key, payload, status):  # noqa: F811
    response = client.post("/kiosk/assertion", data=sign_assertion(terminal_key, DEVICE,
                                                                   essc=payload))
    assert response.status_code == status


# --- the tax interface's scheme (item 9) ------------------------------------------------------


@pytest.mark.parametrize("header", ["{token}", "bearer {token}", "Token {token}",
                                    "Basic {token}", "Bearer  {token}", "Bearer {token} x",
                                    "Bearer", "Bearer {token}-not"])
def test_the_tax_api_wants_exactly_bearer(client, app, header):
    value = header.format(token=app.config["TAX_API_TOKEN"])
    response = client.get("/exchange/tax/registrations/batches",
                          headers={"Authorization": value})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_tax_api_accepts_the_exact_scheme(client, app):
    response = client.get("/exchange/tax/registrations/batches", headers={
        "Authorization": "Bearer " + app.config["TAX_API_TOKEN"]})
    assert response.status_code == 200


def test_no_death_report_was_stored_by_the_refused_files(app):
    with app.app_context():
        assert db.session.scalar(select(DeathReport).filter(
            DeathReport.name.like("甲甲甲%"))) is None
        db.session.remove()


def test_nul_bytes_reach_no_query_of_the_tax_interface(client, app):
    auth = {"Authorization": "Bearer " + app.config["TAX_API_TOKEN"]}
    response = client.post("/exchange/tax/registrations/acknowledgements", headers=auth,
                           json={"batch_no": "REG-\u0000", "accepted": ["\u0000"]})
    assert response.status_code == 400 and "NUL" in response.get_json()["error"]
    response = client.get("/exchange/tax/registrations/batches/REG-%00", headers=auth)
    assert response.status_code == 400 and "NUL" in response.get_json()["error"]
