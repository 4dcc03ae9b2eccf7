"""The portal against an identity platform it cannot trust blindly (issue 16).

A small fake platform on 127.0.0.1 hands out whatever ID token a test wants: forged, expired, for
another audience, at a lower level, stale, or with the province's own claim names. Every failure
must end on a clear page (what happened, what to do, the helpline), with no session and an
audit record naming the reason.
"""

import base64
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, jsonify
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from portal.models import AuditRecord, Person

CLIENT_ID = "portal-at-province"
# The platform's own names and codes (as in the README's example).
PLATFORM_ENV = {
    "OIDC_CLIENT_ID": CLIENT_ID,
    "OIDC_CLIENT_SECRET": "platform-client-secret-0123456789abcdef",
    "OIDC_SCOPE": "openid profile idcard phone",
    "OIDC_CLAIMS": json.dumps({"name": "real_name", "document_type": "id_type",
                               "document_number": "id_number", "phone": "mobile"}),
    "OIDC_DOCUMENT_TYPES": json.dumps({"01": "resident_id", "06": "hmt_residence",
                                       "07": "foreign_permanent", "02": "social_security_card",
                                       "08": "foreign_passport"}),
    "OIDC_ACR_REAL_NAME": "loa2",
    "OIDC_ACR_FACE": "loa3",
}


class FakePlatform:
    """Discovery, JWKS, token and userinfo endpoints serving what the test put in."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "platform-1", "alg": "RS256"})
        self.claims, self.header, self.signer, self.userinfo = {}, {}, self.key, {}
        self.token_status = 200
        app = Flask("fake_platform")
        app.add_url_rule("/.well-known/openid-configuration", "meta", self.metadata)
        app.add_url_rule("/jwks", "jwks", lambda: KeySet([self.key]).as_dict(private=False))
        app.add_url_rule("/token", "token", self.token, methods=["POST"])
        app.add_url_rule("/userinfo", "userinfo", lambda: jsonify(self.userinfo))
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def metadata(self):
        base = self.base
        return jsonify(issuer=base, authorization_endpoint=base + "/authorize",
                       token_endpoint=base + "/token", userinfo_endpoint=base + "/userinfo",
                       jwks_uri=base + "/jwks", end_session_endpoint=base + "/logout",
                       # 5: a platform that lists "none": the portal must still refuse it
                       id_token_signing_alg_values_supported=["RS256", "none"])

    def token(self):
        if self.token_status != 200:
            error = "invalid_grant" if self.token_status == 400 else "server_error"
            return jsonify(error=error), self.token_status
        return jsonify(access_token="at-" + str(time.time()), token_type="Bearer",
                       expires_in=300, id_token=self.id_token())

    def id_token(self):
        header = {"alg": "RS256", "kid": self.signer.kid, **self.header}
        if header["alg"] == "none":
            encode = lambda part: base64.urlsafe_b64encode(  # noqa: E731
                json.dumps(part).encode()).rstrip(b"=").decode()
            return f"{encode(header)}.{encode(self.claims)}."
        if header["alg"] == "HS256":
            from joserfc.jwk import OctKey

            secret = OctKey.import_key(PLATFORM_ENV["OIDC_CLIENT_SECRET"])
            return jwt.encode({"alg": "HS256"}, self.claims, secret, algorithms=["HS256"])
        return jwt.encode(header, self.claims, self.signer)


@pytest.fixture(scope="module")
def platform():
    fake = FakePlatform()
    yield fake
    fake.server.shutdown()


def same_keys(app) -> dict:
    """A second portal on the same database must seal and look up with the same keys."""
    return {name: app.config[name] for name in ("DATA_ENCRYPTION_KEYS", "DATA_INDEX_KEY")}


@pytest.fixture(scope="module")
def portal(app, platform, tmp_path_factory):
    """A second portal on the same database, configured through environment variables only."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in {**PLATFORM_ENV, "OIDC_ISSUER": platform.base}.items():
            env.setenv(name, value)
        other = create_app({
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("platform-instance")),
            "DATABASE_URL": app.config["DATABASE_URL"], **same_keys(app),
            "EXTERNAL_URL": "http://127.0.0.1:9",
            "TESTING": True,
        })
    yield other
    other.extensions["portal_engine"].dispose()


def begin(client, level="real-name"):
    response = client.get(f"/auth/login?level={level}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return {k: v[0] for k, v in parse_qs(urlsplit(response.location).query).items()}


def good_claims(platform, asked, person, **changes):
    now = int(time.time())
    claims = {"iss": platform.base, "aud": CLIENT_ID, "exp": now + 300, "iat": now,
              "nonce": asked["nonce"], "auth_time": now, "acr": "loa2", "sub": "u-" + person["key"],
              "real_name": person["name"], "id_type": "01", "id_number": person["id_number"],
              "mobile": person["phone"]}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def finish(client, asked):
    return client.get(f"/auth/callback?code=c-{time.time()}&state={asked['state']}")


def last_sign_in_audit(portal):
    with portal.app_context():
        record = db.session.scalars(select(AuditRecord).filter_by(action="sign_in")
                                    .order_by(AuditRecord.id.desc())).first()
        result = (record.outcome, record.detail)
        db.session.remove()
    return result


@pytest.fixture
def person(demo):
    return demo["by_key"]["contributor"]


@pytest.fixture(autouse=True)
def honest_platform(platform):
    platform.header, platform.signer, platform.userinfo = {}, platform.key, {}
    platform.token_status = 200


def assert_refused(portal, client, response, reason, status=400):
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert "登录未成功" in page or "人脸核验未完成" in page
    assert "情况说明" in page and "怎么办" in page
    assert portal.config["HELPLINE"] in page and reason in page
    me = client.get("/me/")
    assert me.status_code == 302 and me.location.endswith("/sign-in")  # no session
    outcome, detail = last_sign_in_audit(portal)
    assert outcome == "failure" and detail["reason"] == reason


def test_the_provinces_claim_names_and_codes_sign_in(portal, platform, person):
    client = portal.test_client()
    asked = begin(client)
    # 1: a sign-in asks for a fresh authentication; 3: the level is named
    assert asked["prompt"] == "login" and asked["max_age"] == "0"
    assert asked["acr_values"] == "loa2" and asked["scope"] == "openid profile idcard phone"
    platform.claims = good_claims(platform, asked, person)
    response = finish(client, asked)
    assert response.status_code == 302 and response.location.endswith("/me/")
    assert person["name"] in client.get("/me/").get_data(as_text=True)
    assert last_sign_in_audit(portal)[0] == "success"


def test_identity_from_userinfo_when_the_token_has_none(portal, platform, person):
    client = portal.test_client()
    asked = begin(client)
    platform.claims = good_claims(platform, asked, person, real_name=None, id_type=None,
                                  id_number=None, mobile=None)
    # 4: userinfo adds the profile but cannot raise the level or move the clock
    platform.userinfo = {"sub": platform.claims["sub"], "real_name": person["name"],
                         "id_type": "01", "id_number": person["id_number"], "acr": "loa3",
                         "auth_time": int(time.time())}
    assert finish(client, asked).status_code == 302
    face = client.get("/apply/claim/")
    assert face.status_code == 302 and "level=face" in face.location


FORGERIES = [
    ("unknown_key", {}, lambda p: {"signer": RSAKey.generate_key(
        2048, parameters={"kid": "stranger"})}),
    ("wrong_issuer", {"iss": "http://127.0.0.1:1"}, None),
    ("wrong_audience", {"aud": "someone-else"}, None),
    ("expired", {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, None),
    ("nonce_mismatch", {"nonce": "replayed-nonce"}, None),
    ("algorithm_not_allowed", {}, lambda p: {"header": {"alg": "none"}}),
    ("algorithm_not_allowed", {}, lambda p: {"header": {"alg": "HS256"}}),
    ("missing_auth_time", {"auth_time": None}, None),
]


@pytest.mark.parametrize(("reason", "changes", "tamper"), FORGERIES,
                         ids=[f"{f[0]}-{i}" for i, f in enumerate(FORGERIES)])
def test_every_token_failure_ends_on_a_clear_page(portal, platform, person, reason, changes,
                                                  tamper):
    client = portal.test_client()
    asked = begin(client)
    platform.claims = good_claims(platform, asked, person, **changes)
    for attribute, value in (tamper(platform) if tamper else {}).items():
        setattr(platform, attribute, value)
    assert_refused(portal, client, finish(client, asked), reason)


def test_a_stale_face_check_is_refused(portal, platform, person):
    client = portal.test_client()
    asked = begin(client)
    platform.claims = good_claims(platform, asked, person)
    finish(client, asked)
    asked = begin(client, "face")
    assert asked["max_age"] == "300" and asked["acr_values"] == "loa3"  # 2
    assert asked.get("id_token_hint")  # issue 18: the platform knows who this is
    # 320 s old: the 300 s rule is measured from the token's auth_time, not the callback
    platform.claims = good_claims(platform, asked, person, acr="loa3",
                                  auth_time=int(time.time()) - 320)
    assert_refused(portal, client, finish(client, asked), "stale_authentication", 403)


def test_a_lower_level_than_asked_stops_without_a_loop(portal, platform, person):
    client = portal.test_client()
    asked = begin(client)
    platform.claims = good_claims(platform, asked, person)
    finish(client, asked)
    before = client.get("/apply/claim/")
    asked = begin(client, "face")
    platform.claims = good_claims(platform, asked, person, acr="loa2")
    response = finish(client, asked)
    page = response.get_data(as_text=True)
    assert before.status_code == 302
    assert response.status_code == 403 and "人脸核验未完成" in page  # 3: a page, not a redirect
    assert "自助服务终端" in page and "/auth/login?level=face" in page
    assert last_sign_in_audit(portal) == ("failure", {"reason": "acr_too_low", "acr": "loa2"})
    # still signed in at real-name level, and not elevated
    assert client.get("/me/").status_code == 200
    assert "level=face" in client.get("/apply/claim/").location


@pytest.mark.parametrize(("setting", "expected"), [("refuse", "missing_acr"),
                                                   ("real-name", None)])
def test_a_missing_acr_is_configurable(app, platform, person, tmp_path, setting, expected):
    with pytest.MonkeyPatch.context() as env:
        for name, value in {**PLATFORM_ENV, "OIDC_ISSUER": platform.base,
                            "OIDC_MISSING_ACR": setting}.items():
            env.setenv(name, value)
        other = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True,
                            "DATABASE_URL": app.config["DATABASE_URL"], **same_keys(app),
                            "EXTERNAL_URL": "http://127.0.0.1:9"})
    client = other.test_client()
    asked = begin(client)
    platform.claims = good_claims(platform, asked, person, acr=None)
    response = finish(client, asked)
    if expected:
        assert_refused(other, client, response, expected, 403)
    else:
        assert response.status_code == 302 and client.get("/me/").status_code == 200
    other.extensions["portal_engine"].dispose()


def test_a_missing_claim_is_named_in_the_audit(portal, platform, person):
    client = portal.test_client()
    asked = begin(client)
    platform.claims = good_claims(platform, asked, person, id_number=None)
    platform.userinfo = {"sub": platform.claims["sub"]}
    assert_refused(portal, client, finish(client, asked), "missing_claim", 403)
    assert last_sign_in_audit(portal)[1] == {"reason": "missing_claim", "claim": "id_number"}


def test_an_unknown_document_code_is_refused(portal, platform, person):
    client = portal.test_client()
    asked = begin(client)
    platform.claims = good_claims(platform, asked, person, id_type="99")
    platform.userinfo = {"sub": platform.claims["sub"]}
    assert_refused(portal, client, finish(client, asked), "missing_claim", 403)
    assert last_sign_in_audit(portal)[1]["claim"] == "id_type"


def test_userinfo_of_another_subject_is_refused(portal, platform, person):
    client = portal.test_client()
    asked = begin(client)
    platform.claims = good_claims(platform, asked, person, real_name=None)
    platform.userinfo = {"sub": "someone-else", "real_name": person["name"]}
    assert_refused(portal, client, finish(client, asked), "userinfo_sub_mismatch")


def test_a_failing_token_endpoint_and_a_forged_state(portal, platform, person):
    client = portal.test_client()
    asked = begin(client)
    platform.token_status = 400  # e.g. a code already used
    assert_refused(portal, client, finish(client, asked), "token_exchange_failed")
    client = portal.test_client()
    asked = begin(client)
    platform.token_status = 500
    assert_refused(portal, client, finish(client, asked), "provider_unreachable", 502)
    client = portal.test_client()
    asked = begin(client)
    assert_refused(portal, client, finish(client, {**asked, "state": "forged"}), "state_mismatch")


def test_an_unreachable_platform_is_a_page_not_a_500(app, tmp_path):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OIDC_ISSUER", "http://127.0.0.1:9")  # nothing listens there
        other = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True,
                            "DATABASE_URL": app.config["DATABASE_URL"], **same_keys(app),
                            "EXTERNAL_URL": "http://127.0.0.1:9"})
    client = other.test_client()
    response = client.get("/auth/login")
    assert_refused(other, client, response, "provider_unreachable", 502)
    other.extensions["portal_engine"].dispose()


def test_sign_out_ends_the_platform_session_too(portal, platform, person):
    client = portal.test_client()
    asked = begin(client)
    platform.claims = good_claims(platform, asked, person)
    finish(client, asked)
    home = client.get("/me/")
    from tests.integration.helpers import csrf_token

    response = client.post("/auth/logout", data={"csrf_token": csrf_token(home)})
    target = urlsplit(response.location)
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == platform.base + "/logout"
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:9/signed-out"]
    assert query["id_token_hint"][0].count(".") == 2 and query["client_id"] == [CLIENT_ID]
    assert client.get("/me/").status_code == 302


def test_private_key_jwt_publishes_only_the_public_key(app, tmp_path):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OIDC_TOKEN_AUTH_METHOD", "private_key_jwt")
        other = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True,
                            "DATABASE_URL": app.config["DATABASE_URL"]})
    keys = other.test_client().get("/auth/jwks").get_json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and "d" not in keys[0]
    assert oct((tmp_path / "oidc_client_key.json").stat().st_mode & 0o777) == "0o600"
    other.extensions["portal_engine"].dispose()
    # with a client secret there is no key to publish
    assert app.test_client().get("/auth/jwks").status_code == 404


def test_the_person_signed_in_is_the_one_the_platform_named(portal, platform, person):
    with portal.app_context():
        assert db.session.scalar(select(Person.name).filter_by(
            id_number=person["id_number"])) == person["name"]
        db.session.remove()
