"""Resident sign-in over OpenID Connect (第六条: 互联网网上服务应进行实名验证).

Authorization code + PKCE S256 with state and nonce bound to the session. The ID token is checked
here (signature against the platform's JWKS with an allow-list of algorithms, iss, aud, exp,
nonce, auth_time against max_age, acr against the level asked for); identity and assurance come
only from it, claim names and document-type codes mapped through configuration (issue 16).
"""

import json
import secrets
import time
from functools import wraps

import requests
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from ..extensions import db, login_manager
from ..idp import keys
from ..models import Person, StaffUser
from ..operations import audit
from ..operations.residents import record_sign_in
from ..rules import ids, sign_in
from .tokens import TokenRefused, verify_id_token

bp = Blueprint("auth", __name__, url_prefix="/auth")

def init_app(app):
    config = app.config
    issuer = config["OIDC_ISSUER"] or config["EXTERNAL_URL"] + "/idp"
    method = config["OIDC_TOKEN_AUTH_METHOD"]
    secret, auth_methods = config["OIDC_CLIENT_SECRET"], None
    if method == "private_key_jwt":
        # The portal proves itself with its own key; the platform reads the public half at
        # /auth/jwks (registered as the client's jwks_uri).
        secret = client_key(app)
        auth_methods = [PrivateKeyJWT(headers={"kid": secret.kid})]
    oauth = OAuth(app)
    app.extensions["portal_identity_client"] = oauth.register(
        "identity",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=secret,
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_auth_methods=auth_methods,
        client_kwargs={"scope": config["OIDC_SCOPE"], "code_challenge_method": "S256",
                       "token_endpoint_auth_method": method, "timeout": 10},
    )
    app.extensions["portal_identity_issuer"] = issuer
    app.register_blueprint(bp)
    login_manager.login_view = "auth.login"


def client_key(app):
    if "portal_client_key" not in app.extensions:
        app.extensions["portal_client_key"] = keys.load_or_create(
            app.config["OIDC_CLIENT_KEY_FILE"])
    return app.extensions["portal_client_key"]


def identity_client():
    """The OpenID Connect client of this app (one per app: each has its own issuer)."""
    return current_app.extensions["portal_identity_client"]


@login_manager.user_loader
def load_user(user_id: str):
    kind, _, number = user_id.partition(":")
    if not number.isdigit():
        return None
    model = {"resident": Person, "staff": StaffUser}.get(kind)
    return db.session.get(model, int(number)) if model else None


@login_manager.unauthorized_handler
def unauthorized():
    session["next"] = request.full_path if request.method == "GET" else None
    return redirect(url_for("public.sign_in"))


def assurance() -> str | None:
    return session.get("acr") if current_user.is_authenticated else None


def _return_here(back: str | None) -> str:
    """Where to come back after signing in: this page when it can be shown again (GET), or the
    page that offers the action (`back`), never a POST-only address (issue 18: the action is
    confirmed again after the face check, not replayed)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return url_for(back, **(request.view_args or {})) if back else request.path


def resident_guard(level: str = "real-name", back: str | None = None):
    """None when a signed-in resident holds the assurance level; otherwise the response that
    sends them to sign in (or refuses anyone who is not a resident)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.kind != "resident":
        abort(403)
    if not sign_in.at_least(session.get("acr"), level):
        session["next"] = _return_here(back)
        return redirect(url_for("auth.login", level=level))
    return None


def resident_required(level: str = "real-name", back: str | None = None):
    """Deny by default: only a signed-in resident at the given assurance level gets through.
    `back`: the page (a GET endpoint) to return to after a step-up that a POST needed."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            refused = resident_guard(level, back)
            return refused if refused is not None else view(*args, **kwargs)

        return wrapper

    return decorate


STEP_UP_SECONDS = 300


def step_up_redirect(fresh: bool = True):
    """security.md: claiming, deregistering, transferring need a face check; changing the phone
    (or bank account) needs one made just now (`fresh`). Returns the redirect to
    re-authenticate, or None when the session already has it."""
    recent = time.time() - session.get("auth_time", 0) <= STEP_UP_SECONDS
    if session.get("acr") == "face" and (recent or not fresh):
        return None
    session["next"] = _return_here(None)
    return redirect(url_for("auth.login", level="face"))


@bp.get("/login")
def login():
    level = request.args.get("level", "real-name")
    if level not in sign_in.LEVELS:
        abort(400)
    config = current_app.config
    try:
        metadata = identity_client().load_server_metadata()
    except (requests.RequestException, ValueError):
        return _refuse("provider_unreachable")
    codes = [config["OIDC_ACR_REAL_NAME"], config["OIDC_ACR_FACE"]]
    wanted = codes[sign_in.LEVELS.index(level):]
    params = dict(config["OIDC_AUTH_PARAMS"], acr_values=wanted[0])
    if metadata.get("claims_parameter_supported"):
        # 3: where the platform supports it, the level is essential, not a wish.
        params["claims"] = json.dumps(
            {"id_token": {"acr": {"essential": True, "values": wanted}}})
    signed_in = current_user.is_authenticated and current_user.kind == "resident"
    if signed_in and level == "face":
        # A step-up: the platform knows who this is (issue 18: only the face check is asked);
        # 2: the check must be recent, and the token must say when it happened.
        max_age = STEP_UP_SECONDS
        if session.get("id_token"):
            params["id_token_hint"] = session["id_token"]
    else:
        # 1: a sign-in always authenticates afresh: on a shared phone, a kiosk or an assisted
        # visit, a live session at the platform may belong to the previous person.
        max_age = 0
        params["prompt"] = "login"
    params["max_age"] = str(max_age)
    state = secrets.token_urlsafe(32)
    session["oidc_request"] = {"state": state, "level": level, "max_age": max_age,
                               "requested_at": time.time()}
    redirect_uri = config["EXTERNAL_URL"] + url_for("auth.callback")
    return identity_client().authorize_redirect(
        redirect_uri, nonce=secrets.token_urlsafe(32), state=state, **params)


class Refused(Exception):
    """A sign-in refused at one of the callback's checks: the reason (REFUSALS) and detail."""

    def __init__(self, reason: str, **detail):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


@bp.get("/callback")
def callback():
    """The platform's answer: state, code exchange, the signed ID token's claims, the assurance
    level, the identity; each check refuses with its own reason (Refused → _refuse)."""
    pending = session.pop("oidc_request", None)
    try:
        client, state_data = identity_client(), _state_data(pending)
        token = _exchange_code(client, state_data)
        claims = _verified_claims(client, token, pending, state_data)
        level = _assurance(claims, pending["level"])
        check, values = _identity(client, token, claims)
    except Refused as refused:
        return _refuse(refused.reason, **refused.detail)
    channel = "kiosk" if g.get("kiosk") else "online"
    phone = values.get("phone")
    person = record_sign_in(
        id_type=check.document_type, id_number=check.number, name=values["name"],
        phone=phone if isinstance(phone, str) else None, birth_date=check.birth_date,
        sex=check.sex, assurance=level, channel=channel)
    next_url = sign_in.local_path(session.get("next"))
    start_resident_session(person, level, channel, int(claims.get("auth_time") or time.time()),
                           id_token=token["id_token"])
    return redirect(next_url or url_for("resident.home"))


def _state_data(pending: dict | None) -> dict:
    """The request this answer belongs to (state), used once."""
    state = request.args.get("state")
    if request.args.get("error") == "access_denied":
        raise Refused("cancelled")
    if pending is None or not state or state != pending["state"]:
        raise Refused("state_mismatch")
    framework = identity_client().framework
    state_data = framework.get_state_data(session, state)
    framework.clear_state_data(session, state)
    if request.args.get("error"):
        raise Refused("provider_error", error=request.args["error"][:60])
    if not state_data or not request.args.get("code"):
        raise Refused("state_mismatch")
    return state_data


def _exchange_code(client, state_data: dict) -> dict:
    try:
        return client.fetch_access_token(
            code=request.args["code"], redirect_uri=state_data.get("redirect_uri"),
            code_verifier=state_data.get("code_verifier"))
    except requests.RequestException:
        raise Refused("provider_unreachable") from None
    except (OAuthError, ValueError, KeyError) as error:
        raise Refused("token_exchange_failed",
                      error=str(getattr(error, "error", ""))[:60]) from None


def _verified_claims(client, token: dict, pending: dict, state_data: dict) -> dict:
    """The ID token's signature, then its issuer, audience, nonce, times (rules.sign_in)."""
    config = current_app.config
    try:
        claims = verify_id_token(token.get("id_token") or "", _platform_keys,
                                 config["OIDC_ALGORITHMS"])
    except TokenRefused as refused:
        raise Refused(refused.reason) from None
    except (requests.RequestException, ValueError):  # its JWKS unreachable or not JSON
        raise Refused("provider_unreachable") from None
    reason = sign_in.check_claims(
        claims, issuer=client.load_server_metadata().get("issuer"),
        client_id=config["OIDC_CLIENT_ID"], nonce=state_data.get("nonce"), now=time.time(),
        skew=config["OIDC_CLOCK_SKEW_SECONDS"], max_age=pending["max_age"],
        requested_at=pending["requested_at"])
    if reason:
        raise Refused(reason)
    return claims


def _assurance(claims: dict, wanted: str) -> str:
    """4: assurance comes from the signed ID token only."""
    config = current_app.config
    acr = claims.get("acr")
    acr_codes = {config["OIDC_ACR_REAL_NAME"]: "real-name", config["OIDC_ACR_FACE"]: "face"}
    level = sign_in.assurance(acr, acr_codes, config["OIDC_MISSING_ACR"])
    if level is None:
        raise Refused("missing_acr" if not acr else "unknown_acr", acr=str(acr)[:40])
    if not sign_in.at_least(level, wanted):
        raise Refused("acr_too_low", acr=str(acr)[:40])
    return level


def _identity(client, token: dict, claims: dict):
    """Name and document from the token; userinfo may add profile claims, never replace the
    token's, and only for the same subject."""
    names, types = current_app.config["OIDC_CLAIMS"], current_app.config["OIDC_DOCUMENT_TYPES"]
    values, missing = sign_in.identity(claims, names, types)
    if missing:
        try:
            extra = dict(client.userinfo(token=token))
        except (requests.RequestException, OAuthError, ValueError):
            raise Refused("provider_unreachable") from None
        if extra.get("sub") != claims.get("sub"):
            raise Refused("userinfo_sub_mismatch")
        values, missing = sign_in.identity({**extra, **claims}, names, types)
    if missing:
        raise Refused("missing_claim", claim=missing)
    check = ids.validate(values["document_type"], values["document_number"])
    if not check.ok:
        raise Refused("invalid_document")
    return check, values


def _platform_keys(force: bool) -> dict:
    return identity_client().fetch_jwk_set(force=force)


def start_resident_session(person, level: str, channel: str, auth_time: int, **extra) -> None:
    """Sign a resident in: a fresh session id (nothing from before carries over), the assurance
    level, when it was verified, and the channel (kiosk sessions get the kiosk layout, a short
    idle limit and their channel on every record)."""
    session.rotate()
    login_user(person)
    session.update({"acr": level, "auth_time": auth_time, **extra})
    if channel != "online":
        session["channel"] = channel


@bp.post("/logout")
def logout():
    id_token = session.get("id_token")
    if current_user.is_authenticated:
        audit.log("sign_out", actor=current_user.get_id(), channel="online")
    session.end()
    signed_out = current_app.config["EXTERNAL_URL"] + url_for("public.signed_out")
    end_session = _end_session_endpoint() if id_token else None
    if end_session:
        # 1: sign out at the platform too, or the next person at this device walks in.
        return redirect(add_params_to_uri(end_session, {
            "id_token_hint": id_token, "post_logout_redirect_uri": signed_out,
            "client_id": current_app.config["OIDC_CLIENT_ID"]}))
    return redirect(signed_out)


def _end_session_endpoint() -> str | None:
    try:
        return identity_client().load_server_metadata().get("end_session_endpoint")
    except (requests.RequestException, ValueError):
        return None


@bp.get("/jwks")
def jwks():
    """The public half of the portal's own key (private_key_jwt client authentication)."""
    if current_app.config["OIDC_TOKEN_AUTH_METHOD"] != "private_key_jwt":
        abort(404)
    return jsonify(keys.public_key_set(client_key(current_app)))


# What happened and what to do, by reason (6); the reason code itself names the audit record.
UNTRUSTED = (_l("The answer from the identity platform could not be checked, so you have not "
                "been signed in. Nothing has been saved."),
             _l("Start again from the sign-in page. If it happens again, call the helpline."))
REFUSALS = {
    "cancelled": (400, _l("Sign-in was cancelled. Nothing has been saved."),
                  _l("You can sign in again whenever you are ready.")),
    "provider_unreachable": (502, _l("The identity platform cannot be reached at the moment. "
                                     "Nothing has been saved."),
                             _l("Please try again in a few minutes.")),
    "expired": (400, _l("The sign-in took too long and has run out. Nothing has been saved."),
                _l("Start again from the sign-in page.")),
    "stale_authentication": (403, _l("Your identity was checked too long ago for this service. "
                                     "Nothing has been saved."),
                             _l("Sign in again and do the check again now.")),
    "acr_too_low": (403, _l("The face check did not happen, so this service cannot be opened "
                            "yet. Nothing has been saved."),
                    _l("Try the face check again. If it does not work on your phone, use a "
                       "self-service kiosk or ask your village assistant.")),
    "missing_acr": (403, _l("The identity platform did not confirm your real name. Nothing has "
                            "been saved."), _l("Start again from the sign-in page.")),
    "missing_claim": (403, _l("The identity platform did not send your name and identity "
                              "document. Nothing has been saved."),
                      _l("Start again from the sign-in page. If it happens again, call the "
                         "helpline.")),
    "invalid_document": (403, _l("The identity document the platform sent is not valid. Nothing "
                                 "has been saved."),
                         _l("Call the helpline so that we can look into it.")),
}
REFUSALS["unknown_acr"] = REFUSALS["missing_acr"]


def _refuse(reason: str, **detail):
    """6: a clear page, no session (unless the resident only cancelled or the face check did
    not happen, which leaves an existing sign-in as it was), and an audit record naming why."""
    status, happened, todo = REFUSALS.get(reason, (400, *UNTRUSTED))
    signed_in = current_user.is_authenticated
    audit.log("sign_in", actor=current_user.get_id() if signed_in else "anonymous",
              channel="kiosk" if g.get("kiosk") else "online", outcome="failure",
              detail={"reason": reason, **detail})
    if reason not in ("cancelled", "acr_too_low"):
        logout_user()  # this very page already shows no signed-in resident
        session.end()
        signed_in = False
    retry = url_for("auth.login", level="face") if reason == "acr_too_low" and signed_in else (
        url_for("public.sign_in"))
    return render_template("public/sign_in_failed.html", happened=happened, todo=todo,
                           reason=reason, retry=retry, face=reason == "acr_too_low"), status
