"""Pages and endpoints of the embedded OpenID provider, mounted at /idp."""

import hashlib
import hmac
import json
import secrets
import time

from authlib.common.urls import add_params_to_uri, url_decode
from authlib.oauth2 import OAuth2Error
from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..exchange.population import population_register
from ..extensions import csrf
from ..operations import audit, limits
from ..operations.notify import queue_sms
from ..rules import ids
from . import keys, provider_session
from .forms import CodeForm, FaceForm, IdentifyForm
from .server import (
    SignedInPerson,
    authorization,
    init_server,
    issuer,
    query_client,
    require_token,
    user_claims,
)

bp = Blueprint("idp", __name__, url_prefix="/idp")

CODE_LIFETIME = 300  # seconds an SMS code stays valid
AUTHENTICATION_LIFETIME = 600  # a completed authentication must be used within this time


def init_app(app):
    app.extensions["idp_signing_key"] = keys.load_or_create(app.config["IDP_SIGNING_KEY_FILE"])
    init_server(app)
    # Back-channel calls (client or bearer authenticated) and the logout a client's page may
    # post: none is a form of this site.
    for view in (token, userinfo, logout):
        csrf.exempt(view)
    app.register_blueprint(bp)


@bp.get("/.well-known/openid-configuration")
def discovery():
    base = issuer()
    return jsonify(
        issuer=base,
        authorization_endpoint=base + "/authorize",
        token_endpoint=base + "/token",
        userinfo_endpoint=base + "/userinfo",
        jwks_uri=base + "/jwks",
        end_session_endpoint=base + "/logout",
        response_types_supported=["code"],
        grant_types_supported=["authorization_code"],
        subject_types_supported=["public"],
        id_token_signing_alg_values_supported=["RS256"],
        scopes_supported=["openid", "profile", "phone", "identity_document"],
        token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        code_challenge_methods_supported=["S256"],
        acr_values_supported=["real-name", "face"],
        claims_supported=["sub", "name", "phone_number", "id_document_type",
                          "id_document_number", "acr", "amr", "auth_time", "nonce"],
        ui_locales_supported=["zh-CN", "en"],
        prompt_values_supported=["none", "login"],
        claims_parameter_supported=True,
    )


@bp.get("/jwks")
def jwks():
    return jsonify(keys.public_key_set(current_app.extensions["idp_signing_key"]))


def _request_fingerprint(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def _pending_params() -> dict:
    return dict(url_decode(session.get("idp_pending", "")))


def _face_required(params: dict) -> bool:
    """Face asked through acr_values, or as the only essential acr in the claims parameter."""
    if "face" in (params.get("acr_values") or "").split():
        return True
    try:
        acr = json.loads(params.get("claims") or "{}")["id_token"]["acr"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(acr, dict) and bool(acr.get("essential")) and acr.get("values") == ["face"]


def _max_age(params: dict) -> int | None:
    value = params.get("max_age") or ""
    return int(value) if value.isdigit() else None


def _issue(user: SignedInPerson, params: dict, remember: bool):
    audit.log("idp_authorize", actor=f"registry:{user.registry_id}", channel="online",
              detail={"acr": user.acr, "client": params.get("client_id")})
    response = authorization().create_authorization_response(grant_user=user)
    if remember:
        provider_session.start(response, user.registry_id, user.acr, user.auth_time)
    return response


@bp.get("/authorize")
def authorize():
    query = request.query_string.decode()
    params = dict(url_decode(query))
    known = provider_session.current()
    try:
        grant = authorization().get_consent_grant(end_user=known)
    except OAuth2Error as error:
        if error.error == "login_required" and error.redirect_uri:
            # prompt=none and nobody signed in here: the (verified) client is told so.
            return _login_required(error.redirect_uri, params)
        # Never redirect to an unverified client: explain on our own page instead.
        return render_template("idp/error.html", detail=error.error), 400
    prompts = set((params.get("prompt") or "").split())
    done = _just_authenticated(query, params)
    if done is not None:
        return done
    # A live provider session signs in without asking, like any real platform, unless the
    # client asked for a fresh login, a more recent one (max_age), or names someone else.
    hinted = provider_session.hinted_subject(params.get("id_token_hint"), issuer())
    if _session_will_do(known, params, prompts, hinted):
        person = population_register().get(known.subject_id)
        return _issue(SignedInPerson(person, known.acr, known.auth_time), params, False)
    if "none" in prompts:
        return _login_required(grant.redirect_uri, params)
    return _ask_who(query, params, prompts, known, hinted)


def _just_authenticated(query: str, params: dict):
    """Back from this provider's own pages for this very request, recently enough, at the
    level asked for: the code is issued (and the provider's session started)."""
    done = session.get("idp_auth")
    if not (done and done["request"] == _request_fingerprint(query)
            and time.time() - done["auth_time"] < AUTHENTICATION_LIFETIME
            and (done["acr"] == "face" or not _face_required(params))):
        return None
    session.pop("idp_auth")
    session.pop("idp_pending", None)
    person = population_register().get(done["subject"])
    return _issue(SignedInPerson(person, done["acr"], done["auth_time"]), params, True)


def _session_will_do(known, params: dict, prompts: set, hinted) -> bool:
    if known is None or "login" in prompts or hinted not in (None, known.subject_id):
        return False
    max_age = _max_age(params)
    if max_age is not None and time.time() - known.auth_time > max_age:
        return False
    return known.acr == "face" or not _face_required(params)


def _ask_who(query: str, params: dict, prompts: set, known, hinted):
    """Nobody usable signed in here: identify (name, document, SMS code), or only the face
    check when the provider already knows who it is."""
    for key in ("idp_auth", "idp_challenge"):
        session.pop(key, None)
    session["idp_pending"] = query
    known_subject = hinted or (known.subject_id if known is not None
                               and hinted in (None, known.subject_id) else None)
    if known_subject and _face_required(params) and "login" not in prompts:
        # Issue 18: the provider knows who this is (its session, or the client's
        # id_token_hint); only the face check is asked, no re-typing of name, ID and code.
        session["idp_auth"] = {"subject": known_subject, "acr": "real-name",
                               "auth_time": int(time.time()),
                               "request": _request_fingerprint(query)}
        return redirect(url_for("idp.face"))
    return redirect(url_for("idp.identify"))


def _login_required(redirect_uri: str, params: dict):
    error = {"error": "login_required"}
    if params.get("state"):
        error["state"] = params["state"]
    return redirect(add_params_to_uri(redirect_uri, error))


@bp.route("/identify", methods=["GET", "POST"])
def identify():
    if "idp_pending" not in session:
        return render_template("idp/error.html", detail="no_request"), 400
    form = IdentifyForm()
    if not form.validate_on_submit():
        return render_template("idp/identify.html", form=form), 400 if form.errors else 200

    check = form.id_check
    lookup_type = ids.RESIDENT_ID if check.document_type == ids.SOCIAL_SECURITY_CARD else (
        check.document_type
    )
    # Counted per document number before the comparison (limits.py): a fresh cookie or
    # parallel requests get no extra tries.
    limits.check(f"identify:{check.number}", limits.IDENTIFY)
    person = population_register().find(lookup_type, check.number)
    name = "".join(form.name.data.split())
    if person is None or person.name != name or not person.alive:
        return _not_matched(form, person, name, check)
    limits.refund(f"identify:{check.number}")
    if not person.phone:
        return render_template("idp/no_phone.html"), 409
    _send_code(person)
    return redirect(url_for("idp.verify"))


def _not_matched(form: IdentifyForm, person, name: str, check):
    audit.log("idp_identify", actor="anonymous", channel="online", outcome="failure",
              detail={"id": ids.mask(check.number)})
    if person is not None and person.name == name and not person.alive:
        # The truth, not "does not match": the register records this person as deceased.
        form.id_number.errors.append(
            _("The household register records this person as deceased, so nobody can sign "
              "in with this identity. If this is wrong, contact the local police station "
              "(户籍). A relative can end the insurance and receive the balance by signing "
              "in with their own identity.")
        )
    else:
        form.id_number.errors.append(
            _("The name and document number do not match the household register. "
              "Check both and try again.")
        )
    return render_template("idp/identify.html", form=form), 400


def _send_code(person) -> None:
    """A one-time code by SMS to the phone the register holds (within its sending quota)."""
    limits.check(f"sms:{person.phone}", limits.SMS_SEND)
    code = f"{secrets.randbelow(10**6):06d}"
    session["idp_challenge"] = {
        "subject": person.registry_id,
        "digest": _code_digest(code, person.registry_id),
        "expires": time.time() + CODE_LIFETIME,
        "phone": ids.mask_phone(person.phone),
        "demo_code": code if current_app.config["DEMO_MODE"] else None,
    }
    queue_sms(
        phone=person.phone,
        kind="sign_in_code",
        body=_("[Residents' pension] Your sign-in code is %(code)s. It is valid for 5 minutes. "
               "Never tell it to anyone.", code=code),
    )
    audit.log("idp_code_sent", actor=f"registry:{person.registry_id}", channel="online")


def _code_digest(code: str, subject: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{subject}:{code}".encode(), hashlib.sha256).hexdigest()


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    challenge = session.get("idp_challenge")
    if not challenge or "idp_pending" not in session:
        return redirect(url_for("idp.identify")) if "idp_pending" in session else (
            render_template("idp/error.html", detail="no_request"), 400
        )
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("idp/verify.html", form=form, challenge=challenge), (
            400 if form.errors else 200
        )
    # Counted per person before the comparison, atomically in the database (limits.py).
    limits.check(f"idp_code:{challenge['subject']}", limits.IDP_CODE)
    if time.time() > challenge["expires"]:
        session.pop("idp_challenge")
        form.code.errors.append(_("The code has expired. Ask for a new code."))
        return render_template("idp/verify.html", form=form, challenge=None), 400
    if not hmac.compare_digest(
        _code_digest(form.code.data, challenge["subject"]), challenge["digest"]
    ):
        form.code.errors.append(_("The code is not correct. Check the text message and try again."))
        return render_template("idp/verify.html", form=form, challenge=challenge), 400
    session.pop("idp_challenge")
    limits.clear(f"idp_code:{challenge['subject']}")
    person = population_register().get(challenge["subject"])
    if person is not None and person.phone:
        limits.clear(f"sms:{person.phone}")  # the quota counts codes sent and not yet used
    session["idp_auth"] = {
        "subject": challenge["subject"],
        "acr": "real-name",
        "auth_time": int(time.time()),
        "request": _request_fingerprint(session["idp_pending"]),
    }
    return redirect(url_for("idp.face"))


@bp.route("/face", methods=["GET", "POST"])
def face():
    done = session.get("idp_auth")
    if not done or "idp_pending" not in session:
        return render_template("idp/error.html", detail="no_request"), 400
    required = _face_required(_pending_params())
    form = FaceForm()
    if form.validate_on_submit():
        choice = form.choice.data
        if choice == "face":
            # Simulated liveness + portrait comparison: the real platform does this on the device.
            done["acr"] = "face"
            done["auth_time"] = int(time.time())
            session["idp_auth"] = done
        elif choice != "skip" or required:
            return render_template("idp/face.html", required=required, invalid=True), 400
        return redirect(url_for("idp.authorize") + "?" + session["idp_pending"])
    return render_template("idp/face.html", required=required, invalid=False)


@bp.post("/cancel")
def cancel():
    params = _pending_params()
    client = query_client(params.get("client_id"))
    session.pop("idp_pending", None)
    session.pop("idp_auth", None)
    session.pop("idp_challenge", None)
    if client is None or not client.check_redirect_uri(params.get("redirect_uri")):
        return render_template("idp/error.html", detail="no_request"), 400
    error = {"error": "access_denied"}
    if params.get("state"):
        error["state"] = params["state"]
    return redirect(add_params_to_uri(params["redirect_uri"], error))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """RP-initiated logout (end_session_endpoint): ends the provider's session in this browser and
    returns to the client only at an address it registered."""
    params = request.values
    client = _logout_client(params)
    target = params.get("post_logout_redirect_uri")
    known = provider_session.current()
    if known is not None:
        audit.record("idp_sign_out", actor=f"registry:{known.subject_id}", channel="online")
    for key in ("idp_pending", "idp_auth", "idp_challenge"):
        session.pop(key, None)
    if client is not None and target and target in client.post_logout_redirect_uris:
        response = redirect(add_params_to_uri(target, {"state": params["state"]})
                            if params.get("state") else target)
    else:
        response = current_app.make_response(render_template("idp/signed_out.html"))
    provider_session.end(response)
    return response


def _logout_client(params):
    """The client named, or else the audience of the ID token it hinted with."""
    hint = provider_session.hint_claims(params.get("id_token_hint"), issuer()) or {}
    audience = hint.get("aud")
    return query_client(params.get("client_id") or (
        audience[0] if isinstance(audience, list) and audience else audience))


@bp.post("/token")
def token():
    return authorization().create_token_response()


@bp.route("/userinfo", methods=["GET", "POST"])
@require_token("openid")
def userinfo():
    from authlib.integrations.flask_oauth2 import current_token

    person = population_register().get(current_token.subject_id)
    return jsonify(user_claims(person, current_token.scope))
