"""The embedded provider behaves like a real platform (issue 16, item 8): its own session, prompt,
max_age, acr_values, auth_time, end_session_endpoint, prompt=none, POST userinfo, a second
client, and one code → one token under concurrent exchanges. And the portal uses all of it:
sign-in asks for a fresh login, step-up asks only for the face (issue 18, item 2), sign-out ends
the provider's session."""

import base64
import hashlib
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt

from conftest import local_path
from portal.extensions import db
from portal.models import IdpSession
from tests.integration.helpers import (
    choose_face_check,
    csrf_token,
    sign_in,
)

SECOND = {"client_id": "second-portal", "client_secret": "second-secret-0123456789abcdefghij",
          "redirect_uris": ["http://127.0.0.1:9/second/callback"],
          "post_logout_redirect_uris": ["http://127.0.0.1:9/second/bye"]}


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize(client, app, *, client_id=None, redirect_uri=None, **extra):
    """A direct authorization request, as any relying party would send it."""
    verifier, challenge = pkce()
    params = {"response_type": "code", "client_id": client_id or app.config["OIDC_CLIENT_ID"],
              "redirect_uri": redirect_uri or app.config["EXTERNAL_URL"] + "/auth/callback",
              "scope": "openid profile identity_document", "state": "st-1",
              "nonce": secrets.token_urlsafe(8), "code_challenge": challenge,
              "code_challenge_method": "S256", **extra}
    return client.get("/idp/authorize?" + urlencode(params)), verifier, params


def code_of(response):
    assert response.status_code == 302, response.get_data(as_text=True)
    return parse_qs(urlsplit(response.location).query)["code"][0]


def exchange(app, live_url, code, verifier, redirect_uri=None, auth=None):
    return requests.post(f"{live_url}/idp/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": redirect_uri or app.config["EXTERNAL_URL"] + "/auth/callback"},
        auth=auth or (app.config["OIDC_CLIENT_ID"], app.config["OIDC_CLIENT_SECRET"]), timeout=10)


def claims_of(id_token):
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def signed_in(client, app, demo):
    """A resident signed in through the embedded provider: both sessions live."""
    assert sign_in(client, app, demo["by_key"]["contributor"]).status_code == 302
    assert client.get_cookie("idp_session", path="/idp") is not None
    return client


def test_a_live_provider_session_signs_in_without_asking(signed_in, app, live_url):
    response, verifier, _ = authorize(signed_in, app)
    token = exchange(app, live_url, code_of(response), verifier).json()
    claims = claims_of(token["id_token"])
    assert claims["acr"] == "real-name" and isinstance(claims["auth_time"], int)


def test_prompt_login_and_max_age_ask_again(signed_in, app):
    response, _, _ = authorize(signed_in, app, prompt="login")
    assert response.location.endswith("/idp/identify")
    token = signed_in.get_cookie("idp_session", path="/idp").value
    with app.app_context():  # the authentication was 100 s ago
        db.session.get(IdpSession, hashlib.sha256(token.encode()).hexdigest()).auth_time -= 100
        db.session.commit()
        db.session.remove()
    assert authorize(signed_in, app, max_age="60")[0].location.endswith("/idp/identify")
    assert "code=" in authorize(signed_in, app, max_age="600")[0].location


def test_acr_values_face_asks_only_for_the_face(signed_in, app, live_url):
    response, verifier, _ = authorize(signed_in, app, acr_values="face")
    assert response.location.endswith("/idp/face")
    done = choose_face_check(signed_in, face=True)
    code = code_of(signed_in.get(local_path(done.location)))
    claims = claims_of(exchange(app, live_url, code, verifier).json()["id_token"])
    assert claims["acr"] == "face" and claims["amr"] == ["sms", "face"]


def test_prompt_none_without_a_session_answers_login_required(client, app):
    response, _, _ = authorize(client, app, prompt="none")
    query = parse_qs(urlsplit(response.location).query)
    assert response.location.startswith(app.config["EXTERNAL_URL"] + "/auth/callback")
    assert query == {"error": ["login_required"], "state": ["st-1"]}


def test_end_session_ends_the_provider_session(signed_in, app):
    target = app.config["EXTERNAL_URL"] + "/signed-out"
    response = signed_in.get("/idp/logout?" + urlencode({
        "client_id": app.config["OIDC_CLIENT_ID"], "post_logout_redirect_uri": target,
        "state": "bye"}))
    assert response.status_code == 302 and response.location == target + "?state=bye"
    assert "login_required" in authorize(signed_in, app, prompt="none")[0].location
    # an address the client did not register is never followed
    page = signed_in.get("/idp/logout?post_logout_redirect_uri=https://evil.example/")
    assert page.status_code == 200 and "evil" not in page.headers.get("Location", "")


def test_logout_ends_only_the_callers_own_provider_session(signed_in, app, demo):
    stranger = app.test_client()
    stranger.get("/idp/logout")
    assert "code=" in authorize(signed_in, app)[0].location


def test_portal_sign_out_signs_out_at_the_provider(signed_in, app):
    home = signed_in.get("/me/")
    response = signed_in.post("/auth/logout", data={"csrf_token": csrf_token(home)})
    query = parse_qs(urlsplit(response.location).query)
    assert urlsplit(response.location).path == "/idp/logout"
    assert query["post_logout_redirect_uri"] == [app.config["EXTERNAL_URL"] + "/signed-out"]
    back = signed_in.get(local_path(response.location))
    assert back.location == app.config["EXTERNAL_URL"] + "/signed-out"
    assert signed_in.get_cookie("idp_session", path="/idp") is None
    # the next sign-in asks again
    again = signed_in.get(local_path(signed_in.get("/auth/login").location))
    assert again.location.endswith("/idp/identify")


def test_sign_in_always_asks_for_a_fresh_login(signed_in, app):
    """1: the provider's live session must not sign the next person in."""
    response = signed_in.get("/auth/login")
    query = parse_qs(urlsplit(response.location).query)
    assert query["prompt"] == ["login"] and query["max_age"] == ["0"]
    assert signed_in.get(local_path(response.location)).location.endswith("/idp/identify")


def test_step_up_asks_only_for_the_face(signed_in, app):
    """Issue 18, item 2: the provider knows who this is; also without its session (hint)."""
    response = signed_in.get("/auth/login?level=face")
    query = parse_qs(urlsplit(response.location).query)
    assert query["max_age"] == ["300"] and "prompt" not in query and query["id_token_hint"]
    assert json.loads(query["claims"][0]) == {
        "id_token": {"acr": {"essential": True, "values": ["face"]}}}
    signed_in.delete_cookie("idp_session", path="/idp")
    assert signed_in.get(local_path(response.location)).location.endswith("/idp/face")
    done = choose_face_check(signed_in, face=True)
    callback = signed_in.get(local_path(done.location))
    assert signed_in.get(local_path(callback.location)).status_code == 302
    claim = signed_in.get("/apply/claim/")
    assert claim.status_code in (200, 302) and "level=face" not in claim.headers.get(
        "Location", "")


def test_userinfo_answers_post_too(signed_in, app, live_url):
    response, verifier, _ = authorize(signed_in, app)
    access = exchange(app, live_url, code_of(response), verifier).json()["access_token"]
    answer = requests.post(f"{live_url}/idp/userinfo",
                           headers={"Authorization": f"Bearer {access}"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["id_document_number"]
    assert requests.post(f"{live_url}/idp/userinfo", timeout=10).status_code == 401


def test_a_second_client_from_configuration(signed_in, app, live_url, monkeypatch):
    monkeypatch.setitem(app.config, "IDP_EXTRA_CLIENTS", [SECOND])
    redirect = SECOND["redirect_uris"][0]
    response, verifier, _ = authorize(signed_in, app, client_id="second-portal",
                                      redirect_uri=redirect)
    assert response.location.startswith(redirect)
    token = exchange(app, live_url, code_of(response), verifier, redirect,
                     auth=("second-portal", SECOND["client_secret"])).json()
    assert claims_of(token["id_token"])["aud"] == ["second-portal"]
    # its redirect is its own, its code is its own, the portal's secret is not its secret
    wrong, _, _ = authorize(signed_in, app, client_id="second-portal")
    assert wrong.status_code == 400
    response, verifier, _ = authorize(signed_in, app, client_id="second-portal",
                                      redirect_uri=redirect)
    code = code_of(response)
    wrong_secret = exchange(app, live_url, code, verifier, redirect,
                            auth=("second-portal", app.config["OIDC_CLIENT_SECRET"]))
    assert wrong_secret.status_code == 401
    other_client = exchange(app, live_url, code, verifier, redirect)  # the portal's own login
    assert other_client.status_code == 400 and other_client.json()["error"] == "invalid_grant"


def test_one_code_gives_one_token_under_concurrent_exchanges(signed_in, app, live_url):
    response, verifier, _ = authorize(signed_in, app)
    code = code_of(response)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: exchange(app, live_url, code, verifier), range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [400] * 7, statuses
    assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code == 400)


def test_the_id_token_carries_auth_time_of_the_authentication(signed_in, app, live_url):
    token = signed_in.get_cookie("idp_session", path="/idp").value
    with app.app_context():
        auth_time = db.session.get(IdpSession, hashlib.sha256(token.encode()).hexdigest()
                                   ).auth_time
        db.session.remove()
    response, verifier, _ = authorize(signed_in, app)
    id_token = exchange(app, live_url, code_of(response), verifier).json()["id_token"]
    assert claims_of(id_token)["auth_time"] == auth_time
    key = app.extensions["idp_signing_key"]
    assert jwt.decode(id_token, key).claims["iss"] == app.config["EXTERNAL_URL"] + "/idp"
