"""Staff sign-in: argon2 password, TOTP second factor, lockout, every attempt logged."""

import time

from sqlalchemy import select

from portal.auth import totp
from portal.extensions import db
from portal.models import AuditRecord, StaffUser
from portal.operations import limits
from tests.integration.helpers import csrf_token


def post_password(client, username, password):
    page = client.get("/agency/sign-in")
    return client.post("/agency/sign-in", data={"csrf_token": csrf_token(page),
                                                 "username": username, "password": password})


def test_wrong_password_is_refused_with_one_message(client):
    response = post_password(client, "reviewer.qingshan", "wrong-password")
    assert response.status_code == 400
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    unknown = post_password(client, "nobody", "wrong-password")
    assert unknown.status_code == 400
    assert "用户名或密码不正确" in unknown.get_data(as_text=True)


def test_wrong_code_is_refused(client):
    assert post_password(client, "checker.qingshan", "Demo-2026-pension").status_code == 302
    page = client.get("/agency/sign-in/code")
    response = client.post("/agency/sign-in/code", data={"csrf_token": csrf_token(page),
                                                         "code": "000000"})
    # "000000" is the current code about once in 300,000 runs; a 302 then is still correct
    assert response.status_code == 400
    assert "动态码不正确" in response.get_data(as_text=True)


def test_five_failures_lock_the_account(app, client):
    with app.app_context():
        limits.clear("staff:admin.qingshan")
    for _attempt in range(5):
        assert post_password(client, "admin.qingshan", "wrong-password").status_code == 400
    locked = post_password(client, "admin.qingshan", "Demo-2026-pension")
    assert locked.status_code == 429 and "尝试次数过多" in locked.get_data(as_text=True)
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).filter_by(username="admin.qingshan"))
        outcomes = db.session.scalars(select(AuditRecord.outcome).filter_by(
            actor=staff.get_id(), action="staff_sign_in")).all()
        assert outcomes.count("failure") >= 5 and "denied" in outcomes
        db.session.remove()
        limits.clear("staff:admin.qingshan")  # unlock for the other tests


def test_totp_matches_rfc_6238_reference_values():
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890", RFC 6238 appendix B
    assert totp.code_at(secret, 59, digits=8) == "94287082"
    assert totp.code_at(secret, 1111111109, digits=8) == "07081804"
    assert totp.verify(secret, totp.code_at(secret, time.time()), time.time())
    assert not totp.verify(secret, totp.code_at(secret, time.time() - 300), time.time())
