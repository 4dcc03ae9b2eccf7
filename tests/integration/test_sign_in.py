"""Real-name sign-in over OpenID Connect with the embedded provider (第六条; security.md)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from conftest import local_path
from portal.extensions import db
from portal.models import AuditRecord, Person, WebSession
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    age_sessions,
    authorization_redirect,
    choose_face_check,
    csrf_token,
    enter_code,
    identify,
    latest_sms,
    sign_in,
    start_sign_in,
)


def session_cookie(client, app):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def test_resident_signs_in_and_sees_name_and_masked_id(client, app, demo):
    person = demo["by_key"]["contributor"]
    response = sign_in(client, app, person)
    assert response.status_code == 302 and response.location.endswith("/me/")
    home = client.get("/me/")
    html = home.get_data(as_text=True)
    assert home.status_code == 200
    assert person["name"] in html
    assert person["id_number"][:6] + "********" + person["id_number"][-4:] in html
    assert person["id_number"] not in html
    assert home.headers["Cache-Control"] == "no-store"
    assert "退出" in html  # sign-out on every page


def test_first_sign_in_creates_the_person_and_audits_it(client, app, demo):
    person = demo["by_key"]["not_enrolled"]
    sign_in(client, app, person)
    with app.app_context():
        stored = db.session.scalar(select(Person).filter_by(id_number=person["id_number"]))
        assert stored is not None and stored.name == person["name"]
        assert str(stored.birth_date) == person["birth_date"] and stored.sex == person["sex"]
        audit = db.session.scalar(
            select(AuditRecord).filter_by(action="sign_in", actor=stored.get_id())
        )
        assert audit.outcome == "success" and audit.detail["assurance"] == "real-name"
        db.session.remove()


def test_sign_in_starts_a_new_session(client, app, demo):
    start_sign_in(client)
    before = session_cookie(client, app)
    assert before
    sign_in(client, app, demo["by_key"]["receiving"])
    after = session_cookie(client, app)
    assert after and after != before
    with app.app_context():
        from portal.auth.sessions import _hash

        assert db.session.get(WebSession, _hash(before)) is None
        db.session.remove()


def test_face_check_raises_assurance(client, app, demo):
    sign_in(client, app, demo["by_key"]["turning_60"], face=True)
    html = client.get("/me/").get_data(as_text=True)
    assert "人脸" in html


def test_face_level_request_cannot_skip_the_face_check(client, app, demo):
    person = demo["by_key"]["heir"]
    identify(client, person, level="face")
    enter_code(client, app, person)
    assert "暂不核验" not in client.get("/idp/face").get_data(as_text=True)
    assert choose_face_check(client, face=False).status_code == 400


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "请输入"),
        ("id_number", "", "请输入证件号码"),
        ("id_number", "53990119940308011", "18"),
        ("id_number", "539901199403080113", "校验"),
    ],
)
def test_identify_rejects_bad_input_with_a_chinese_message(client, app, demo, field, value,
                                                           message):
    person = demo["by_key"]["not_enrolled"]
    page = start_sign_in(client)
    data = {"csrf_token": csrf_token(page), "name": person["name"], "id_type": "resident_id",
            "id_number": person["id_number"]}
    data[field] = value
    response = client.post("/idp/identify", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>错误：" in html
    assert message in html
    assert 'value="' + person["name"] + '"' in html or field == "name"  # answers are kept


def test_identify_with_wrong_name_gives_one_message_for_both(client, demo):
    response = identify(client, demo["by_key"]["not_enrolled"], name="王五")
    assert response.status_code == 400
    assert "不一致" in response.get_data(as_text=True)


def test_deceased_person_cannot_sign_in(client, demo):
    refused = identify(client, demo["by_key"]["deceased"])
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    # The truth: recorded as deceased, not "the name and number do not match".
    assert "已死亡" in html or "已去世" in html
    assert "不一致" not in html


def test_person_without_phone_is_sent_to_the_kiosk_or_assistant(client, demo):
    response = identify(client, demo["by_key"]["limited_mobility"])
    assert response.status_code == 409
    assert "协办员" in response.get_data(as_text=True)


def test_wrong_code_is_refused_and_nothing_signs_in(client, app, demo):
    person = demo["by_key"]["contributor"]
    identify(client, person)
    real = re.search(r"\d{6}", latest_sms(app, person["phone"])).group(0)
    response = enter_code(client, app, person, code=f"{(int(real) + 1) % 1_000_000:06d}")
    assert response.status_code == 400
    assert "不正确" in response.get_data(as_text=True)
    assert client.get("/me/").status_code == 302


def test_callback_with_forged_state_is_refused(client, app, demo):
    client.get("/auth/login")
    response = client.get("/auth/callback?code=abc&state=forged")
    assert response.status_code == 400
    assert client.get("/me/").status_code == 302


def test_cancel_returns_to_the_portal_signed_out(client, app):
    page = start_sign_in(client)
    response = client.post("/idp/cancel", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and "error=access_denied" in response.location
    back = client.get(local_path(response.location))
    assert back.status_code == 400
    assert "取消" in back.get_data(as_text=True)


def test_authorization_without_pkce_is_refused_on_the_providers_own_page(client, app, live_url):
    response = client.get("/idp/authorize?response_type=code&client_id=pension-portal"
                          f"&redirect_uri={live_url}/auth/callback&scope=openid&state=x&nonce=y")
    assert response.status_code == 400
    assert "location" not in response.headers


def test_unknown_redirect_uri_is_never_followed(client, app):
    response = client.get("/idp/authorize?response_type=code&client_id=pension-portal"
                          "&redirect_uri=https://evil.example/cb&scope=openid&state=x&nonce=y"
                          "&code_challenge=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq"
                          "&code_challenge_method=S256")
    assert response.status_code == 400
    assert "location" not in response.headers


def _authorization_code(client, app, demo):
    """Run the browser part and capture the code the provider hands back."""
    authorize = authorization_redirect(client, app, demo["by_key"]["severely_disabled"])
    return parse_qs(urlsplit(authorize.location).query)["code"][0]


def test_token_endpoint_requires_client_secret_and_pkce_verifier(client, app, demo, live_url):
    code = _authorization_code(client, app, demo)
    token_url = f"{live_url}/idp/token"
    redirect = f"{live_url}/auth/callback"
    client_id = app.config["OIDC_CLIENT_ID"]
    wrong_secret = requests.post(token_url, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "code_verifier": "x" * 50}, auth=(client_id, "wrong"), timeout=10)
    assert wrong_secret.status_code == 401
    wrong_verifier = requests.post(token_url, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "code_verifier": "x" * 50}, auth=(client_id, app.config["OIDC_CLIENT_SECRET"]),
        timeout=10)
    assert wrong_verifier.status_code == 400
    assert wrong_verifier.json()["error"] == "invalid_grant"


def test_discovery_and_jwks_are_published(live_url):
    metadata = requests.get(f"{live_url}/idp/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == f"{live_url}/idp"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    keys = requests.get(metadata["jwks_uri"], timeout=10).json()["keys"]
    assert keys and all("d" not in key for key in keys)  # no private parts published


def test_id_token_from_another_key_is_rejected(app):
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    from portal.auth.resident import identity_client

    forger = RSAKey.generate_key(2048)
    forger.ensure_kid()
    with app.test_request_context():
        claims = {"iss": app.config["EXTERNAL_URL"] + "/idp", "aud": "pension-portal",
                  "exp": 9_999_999_999, "iat": 1, "nonce": "n", "sub": "p1"}
        forged = jwt.encode({"alg": "RS256", "kid": forger.kid}, claims, forger)
        with pytest.raises(Exception):  # noqa: B017 - any verification failure is a refusal
            identity_client().parse_id_token({"id_token": forged}, nonce="n")


def test_idle_session_expires_and_says_so(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    assert client.get("/me/").status_code == 200
    with app.app_context():
        age_sessions(last_seen=timedelta(minutes=16))
    response = client.get("/me/")
    assert response.status_code == 302
    notice = client.get(local_path(response.location)).get_data(as_text=True)
    assert "长时间未操作" in notice


def test_absolute_session_limit(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    with app.app_context():
        age_sessions(created=timedelta(hours=8, minutes=1))
    assert client.get("/me/").status_code == 302


def test_sign_out_ends_the_server_session(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    cookie = session_cookie(client, app)
    home = client.get("/me/")
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(home)})
    assert response.status_code == 302
    assert client.get("/me/").status_code == 302
    # the old cookie is worthless now
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    assert client.get("/me/").status_code == 302


def test_sign_out_requires_csrf(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert client.get("/me/").status_code == 200


def test_keep_alive_extends_an_idle_session(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    home = client.get("/me/")
    assert 'data-idle-seconds="900"' in home.get_data(as_text=True)
    with app.app_context():
        age_sessions(last_seen=timedelta(minutes=14))
    assert client.post("/session/keep-alive",
                       headers={"X-CSRFToken": csrf_token(home)}).status_code == 204
    with app.app_context():
        age_sessions(last_seen=timedelta(minutes=2))  # 16 minutes since sign-in, 2 since the tap
    assert client.get("/me/").status_code == 200
    assert client.post("/session/keep-alive").status_code == 400  # CSRF still required


def test_sign_out_deletes_the_host_cookie_with_secure(app, tmp_path):
    """Issue 17, item 9: a __Host- cookie is only replaced by a Secure one with path "/"; a bare
    deletion is ignored by the browser, which stays signed in."""
    from portal import create_app

    production_like = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True,
                                  "DATABASE_URL": app.config["DATABASE_URL"],
                                  "DATA_ENCRYPTION_KEYS": app.config["DATA_ENCRYPTION_KEYS"],
                                  "DATA_INDEX_KEY": app.config["DATA_INDEX_KEY"],
                                  "SESSION_COOKIE_NAME": "__Host-session",
                                  "SESSION_COOKIE_SECURE": True})
    client = production_like.test_client()
    client.set_cookie("__Host-session", "an-old-token")
    page = client.get("/help/wrong-details")
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(page)})
    # An anonymous page already drops the stale cookie (issue 19: no row for anonymous views).
    deletion = [h for h in page.headers.getlist("Set-Cookie") + response.headers.getlist(
        "Set-Cookie") if h.startswith("__Host-session=")]
    assert deletion, response.headers
    attributes = deletion[0].split("; ")
    assert "Secure" in attributes and "Path=/" in attributes and "HttpOnly" in attributes
    assert "Max-Age=0" in attributes
    production_like.extensions["portal_engine"].dispose()


@pytest.mark.parametrize(("return_to", "status", "location"), [
    ("/me/", 302, "/me/"),
    ("/\t/evil.example", 400, None),  # would become //evil.example in a browser
    ("//evil.example", 302, "/"),
    ("/x\r\nSet-Cookie: a=b", 400, None),
    ("/x\n", 400, None),
])
def test_return_to_is_only_a_path_on_this_site(client, return_to, status, location):
    page = client.get("/help/wrong-details")
    response = client.post("/preferences", data={"csrf_token": csrf_token(page), "lang": "en",
                                                 "return_to": return_to})
    assert response.status_code == status
    if location:
        assert response.location == location


def test_a_next_address_after_sign_in_is_only_a_path_on_this_site(client, app, demo):
    with client.session_transaction() as stored:
        stored["next"] = "/\t/evil.example"
    response = sign_in(client, app, demo["by_key"]["contributor"])
    assert response.status_code == 302 and response.location == "/me/"
