"""Resident sign-in over OpenID Connect (第六条: 互联网网上服务应进行实名验证).

Authorization code + PKCE S256 with state and nonce bound to the session; the ID token is verified
by Authlib (signature via JWKS, iss, aud, exp, nonce). Identity comes only from the verified token.
"""

import secrets
import time
from functools import wraps

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..extensions import db, login_manager
from ..models import Person, StaffUser
from ..operations import audit
from ..operations.residents import record_sign_in
from ..rules import ids

bp = Blueprint("auth", __name__, url_prefix="/auth")

ASSURANCE_ORDER = ("real-name", "face")  # higher index = stronger


def init_app(app):
    config = app.config
    issuer = config["OIDC_ISSUER"] or config["EXTERNAL_URL"] + "/idp"
    oauth = OAuth(app)
    app.extensions["portal_identity_client"] = oauth.register(
        "identity",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_kwargs={"scope": config["OIDC_SCOPE"], "code_challenge_method": "S256"},
    )
    app.register_blueprint(bp)
    login_manager.login_view = "auth.login"


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


def resident_guard(level: str = "real-name"):
    """None when a signed-in resident holds the assurance level; otherwise the response that
    sends them to sign in (or refuses anyone who is not a resident)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.kind != "resident":
        abort(403)
    held = session.get("acr")
    if held not in ASSURANCE_ORDER or ASSURANCE_ORDER.index(held) < ASSURANCE_ORDER.index(level):
        session["next"] = request.full_path
        return redirect(url_for("auth.login", level=level))
    return None


def resident_required(level: str = "real-name"):
    """Deny by default: only a signed-in resident at the given assurance level gets through."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            refused = resident_guard(level)
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
    session["next"] = request.full_path
    return redirect(url_for("auth.login", level="face"))


@bp.get("/login")
def login():
    level = request.args.get("level", "real-name")
    if level not in ASSURANCE_ORDER:
        abort(400)
    acr = current_app.config["OIDC_ACR_FACE" if level == "face" else "OIDC_ACR_REAL_NAME"]
    redirect_uri = current_app.config["EXTERNAL_URL"] + url_for("auth.callback")
    return identity_client().authorize_redirect(
        redirect_uri,
        nonce=secrets.token_urlsafe(32),
        state=secrets.token_urlsafe(32),
        acr_values=acr,
    )


@bp.get("/callback")
def callback():
    if request.args.get("error"):
        return _sign_in_failed(_("Sign-in was cancelled. Nothing has been saved."), 400)
    try:
        token = identity_client().authorize_access_token()
    except OAuthError as error:
        audit.record("sign_in", actor="anonymous", channel="online", outcome="failure",
                     detail={"reason": error.error})
        db.session.commit()
        return _sign_in_failed(_("Sign-in could not be completed. Please try again."), 400)
    claims = dict(token.get("userinfo") or {})
    config = current_app.config
    if not claims.get("id_document_number"):
        extra = identity_client().userinfo(token=token)
        if extra.get("sub") == claims.get("sub"):
            claims.update(extra)
    acr_map = {config["OIDC_ACR_REAL_NAME"]: "real-name", config["OIDC_ACR_FACE"]: "face"}
    level = acr_map.get(claims.get("acr"))
    check = ids.validate(claims.get("id_document_type", ""), claims.get("id_document_number", ""))
    if level is None or not check.ok or not claims.get("name"):
        audit.record("sign_in", actor="anonymous", channel="online", outcome="failure",
                     detail={"reason": "insufficient_claims", "acr": claims.get("acr")})
        db.session.commit()
        return _sign_in_failed(
            _("The identity platform did not confirm your real name. Please try again."), 403
        )

    person = record_sign_in(
        id_type=check.document_type,
        id_number=check.number,
        name=claims["name"],
        phone=claims.get("phone_number"),
        birth_date=check.birth_date,
        sex=check.sex,
        assurance=level,
        channel="kiosk" if g.get("kiosk") else "online",
    )
    next_url = session.get("next")
    start_resident_session(person, level, "kiosk" if g.get("kiosk") else "online",
                           int(claims.get("auth_time") or time.time()))
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect(url_for("resident.home"))


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
    if current_user.is_authenticated:
        audit.record("sign_out", actor=current_user.get_id(), channel="online")
        db.session.commit()
    session.end()
    response = redirect(url_for("public.signed_out"))
    return response


def _sign_in_failed(message, status):
    return render_template("public/sign_in_failed.html", message=message), status
