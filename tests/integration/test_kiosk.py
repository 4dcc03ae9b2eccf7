"""Terminal sign-in (kiosk): only a registered, active terminal's fresh, first-time, correctly
signed assertion signs a resident in, with the assurance the terminal vouches for."""

import json
import secrets
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from kiosk.agent import b64, load_key, public_key_b64, sign_assertion
from portal.extensions import db
from portal.models import Application, AuditRecord, KioskRating, KioskTerminal
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    DEVICE,
    answer,
    card,
    confirm,
    csrf_token,
    staff_sign_in,
)


def post(client, fields):
    return client.post("/kiosk/assertion", data=fields)


def test_a_valid_card_assertion_signs_in_with_face_assurance(client, app, demo, terminal_key):
    person = demo["by_key"]["limited_mobility"]
    response = post(client, sign_assertion(terminal_key, DEVICE, card=card(person),
                                           face="match"))
    assert response.status_code == 302 and response.location.endswith("/me/")
    home = client.get("/me/")
    assert person["name"] in home.get_data(as_text=True)
    with client.session_transaction() as session:
        assert session["acr"] == "face" and session["channel"] == "kiosk"
        assert session["kiosk_device"] == DEVICE
    # Without a face match the same card gives real-name assurance only.
    other = app.test_client()
    post(other, sign_assertion(terminal_key, DEVICE, card=card(person)))
    with other.session_transaction() as session:
        assert session["acr"] == "real-name"


def refusal(app, response, reason):
    # A request that cannot even be read is a bad request (400); one read and refused, 403.
    assert response.status_code == (400 if reason in ("malformed", "essc_malformed") else 403)
    assert "/me/" not in (response.location or "")
    with app.app_context():
        last = db.session.scalar(select(AuditRecord).filter_by(action="kiosk_sign_in")
                                 .order_by(AuditRecord.id.desc()))
        assert last.outcome == "failure" and last.detail["reason"] == reason
        db.session.remove()


def test_unknown_revoked_stale_replayed_and_forged_are_refused(client, app, demo,
                                                                terminal_key):
    person = card(demo["by_key"]["contributor"])
    stranger = Ed25519PrivateKey.generate()
    refusal(app, post(client, sign_assertion(stranger, "KIOSK-UNKNOWN", card=person)),
            "unknown_terminal")
    refusal(app, post(client, sign_assertion(stranger, DEVICE, card=person)), "bad_signature")
    refusal(app, post(client, sign_assertion(terminal_key, DEVICE, card=person,
                                             now=time.time() - 31)), "stale")
    fields = sign_assertion(terminal_key, DEVICE, card=person)
    assert post(client, fields).status_code == 302
    refusal(app, post(app.test_client(), fields), "replayed")
    # Altering the signed content breaks the signature.
    claims = json.loads(__import__("base64").urlsafe_b64decode(fields["assertion"] + "=="))
    claims["card"]["id_number"] = demo["by_key"]["receiving"]["id_number"]
    forged = dict(fields, assertion=b64(json.dumps(claims, sort_keys=True).encode()))
    refusal(app, post(app.test_client(), forged), "bad_signature")
    refusal(app, post(app.test_client(), {"assertion": "%%%", "signature": ""}), "malformed")

    # A terminal the county revoked is refused from then on.
    key = Ed25519PrivateKey.generate()
    admin = app.test_client()
    staff_sign_in(admin, app, "admin.qingshan")
    page = admin.get("/agency/terminals")
    assert admin.post("/agency/terminals", data={
        "csrf_token": csrf_token(page), "device_id": "KIOSK-TEST-REVOKE", "name": "测试终端",
        "public_key": public_key_b64(key)}).status_code == 302
    assert post(app.test_client(), sign_assertion(key, "KIOSK-TEST-REVOKE",
                                                  card=person)).status_code == 302
    with app.app_context():
        terminal_id = db.session.scalar(select(KioskTerminal.id).filter_by(
            device_id="KIOSK-TEST-REVOKE"))
        db.session.remove()
    page = admin.get("/agency/terminals")
    assert admin.post(f"/agency/terminals/{terminal_id}/revoke",
                      data={"csrf_token": csrf_token(page)}).status_code == 302
    refusal(app, post(app.test_client(), sign_assertion(key, "KIOSK-TEST-REVOKE", card=person)),
            "revoked_terminal")


def test_a_card_not_in_the_register_is_refused(client, app, terminal_key):
    fake = {"name": "不存在", "id_type": "resident_id", "id_number": "539901199001010011"}
    refusal(app, post(client, sign_assertion(terminal_key, DEVICE, card=fake)),
            "not_in_register")


def test_electronic_social_security_card_is_verified_not_trusted(client, app, demo,
                                                                  terminal_key):
    issuer = load_key(Path(app.instance_path) / "essc_issuer.key")
    person = card(demo["by_key"]["contributor"])

    def essc(payload, key=issuer):
        body = b64(json.dumps(payload).encode())
        return f"ESSC1.{body}.{b64(key.sign(body.encode()))}"

    def fresh(**extra):
        now = time.time()
        return {**person, "iat": now, "exp": now + 60, "nonce": secrets.token_hex(16), **extra}

    good = essc(fresh())
    assert post(client, sign_assertion(terminal_key, DEVICE, essc=good)).status_code == 302
    refusal(app, post(app.test_client(), sign_assertion(
        terminal_key, DEVICE, essc=essc(fresh(), Ed25519PrivateKey.generate()))),
        "essc_bad_signature")
    refusal(app, post(app.test_client(), sign_assertion(
        terminal_key, DEVICE, essc=essc(fresh(exp=time.time() - 1)))), "essc_expired")
    # Single use: the same code a second time (a photo of the phone's screen) is refused.
    refusal(app, post(app.test_client(), sign_assertion(terminal_key, DEVICE, essc=good)),
            "essc_replayed")
    # A short lifetime: a code issued for a day is refused even while it has not expired.
    refusal(app, post(app.test_client(), sign_assertion(
        terminal_key, DEVICE, essc=essc(fresh(exp=time.time() + 86400)))), "essc_expired")
    # No nonce: malformed, 400 with a message.
    unsigned = fresh()
    del unsigned["nonce"]
    response = post(app.test_client(), sign_assertion(terminal_key, DEVICE,
                                                      essc=essc(unsigned)))
    assert response.status_code == 400 and "无法读取" in response.get_data(as_text=True)


def test_kiosk_session_leaves_no_trace_and_records_the_channel(client, app, demo,
                                                                terminal_key):
    person = demo["by_key"]["contributor"]
    post(client, sign_assertion(terminal_key, DEVICE, card=card(person), face="match"))
    assert answer(client, "/apply/question/step/question",
                  question="在自助机上能打印对账单吗？").status_code == 302
    reference = confirm(client, "question", declaration=False)
    with app.app_context():
        assert db.session.scalar(select(Application.channel).filter_by(
            reference=reference)) == "kiosk"
        db.session.remove()
    receipt = client.get(f"/kiosk/receipt/{reference}")
    assert receipt.status_code == 200 and reference in receipt.get_data(as_text=True)
    assert "80mm" in client.get("/static/css/receipt.css").get_data(as_text=True)
    page = client.get(f"/me/applications/{reference}/confirmation")
    assert client.post("/kiosk/rating", data={"csrf_token": csrf_token(page), "rating": "5",
                                              "reference": reference}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(KioskRating.rating).filter_by(reference=reference)) == 5
        db.session.remove()
    left = client.post("/kiosk/exit", data={"csrf_token": csrf_token(page)})
    assert left.status_code == 302 and left.location.endswith("/kiosk/")
    assert "cache" in left.headers["Clear-Site-Data"]
    assert client.get("/me/").status_code == 302  # nothing personal after leaving


def test_kiosk_sessions_end_after_the_short_idle_limit(client, app, demo, terminal_key):
    from datetime import timedelta

    from portal.models import WebSession

    post(client, sign_assertion(terminal_key, DEVICE, card=card(demo["by_key"]["contributor"])))
    with app.app_context():
        for row in db.session.scalars(select(WebSession)):
            if (row.data or {}).get("channel") == "kiosk":
                row.last_seen_at = row.last_seen_at - timedelta(
                    seconds=app.config["KIOSK_IDLE_SECONDS"] +
                    app.config["KIOSK_COUNTDOWN_SECONDS"] + 31)
        db.session.commit()
        db.session.remove()
    assert client.get("/me/").status_code == 302
