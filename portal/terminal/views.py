"""Kiosk pages: the start (attract) screen, sign-in by a terminal's signed assertion, leaving,
receipts (受理回执) and the one-tap rating (好差评). The flows themselves are the same ones the
phone uses; only the layout differs (ux.md, kiosk)."""

import secrets
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user

from .. import queries
from ..auth.resident import resident_required, start_resident_session
from ..exchange.population import population_register
from ..extensions import csrf
from ..flows.engine import REGISTRY
from ..operations import kiosk
from ..operations.residents import record_sign_in
from ..presenters import qr_svg
from ..rules import ids
from .forms import AssertionForm, RatingForm

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
KIOSK_COOKIE_AGE = 10 * 365 * 24 * 3600


def init_app(app):
    csrf.exempt(assertion)  # authenticity comes from the terminal's signature and nonce
    # Leaving must work even when the session already ran out; a forged "leave" can only end
    # a session, which on a shared terminal is always safe.
    csrf.exempt(leave)
    app.register_blueprint(bp)


@bp.get("/")
def start():
    """The attract screen. It marks this browser as a terminal (a layout preference, nothing
    personal) so every page renders for the touch screen."""
    if current_user.is_authenticated and session.get("channel") == "kiosk":
        return redirect(url_for("resident.home"))
    g.kiosk = True  # this very page already in the terminal's layout
    response = current_app.make_response(render_template("kiosk/start.html"))
    response.set_cookie("kiosk", "1", max_age=KIOSK_COOKIE_AGE, samesite="Lax", httponly=True)
    return response


def _refuse(reason: str, device_id: str | None):
    kiosk.refused(reason, device_id)
    return render_template("kiosk/refused.html", reason=reason), (
        400 if reason in kiosk.MALFORMED else 403)


@bp.post("/assertion")
def assertion():
    """A terminal vouches for the person at it: ID card chip read, optional face match."""
    try:
        form = AssertionForm()
        terminal, claims = kiosk.verify_assertion(form.assertion.data or "",
                                                  form.signature.data or "")
    except kiosk.Refused as refusal:
        return _refuse(refusal.reason, None)
    try:
        card, level = _card_and_level(claims)
    except kiosk.Refused as refusal:
        return _refuse(refusal.reason, terminal.device_id)
    check = ids.validate(card.get("id_type", ""), card.get("id_number", ""))
    record = population_register().find(check.document_type, check.number) if check.ok else None
    if record is None or record.name != card.get("name") or not record.alive:
        return _refuse("not_in_register", terminal.device_id)
    person = record_sign_in(id_type=check.document_type, id_number=check.number,
                            name=record.name, phone=record.phone, birth_date=check.birth_date,
                            sex=check.sex, assurance=level, channel="kiosk")
    start_resident_session(person, level, "kiosk", int(time.time()),
                           kiosk_device=terminal.device_id, visit=secrets.token_hex(8))
    response = redirect(url_for("resident.home"))
    response.set_cookie("kiosk", "1", max_age=KIOSK_COOKIE_AGE, samesite="Lax", httponly=True)
    return response


def _card_and_level(claims: dict) -> tuple[dict, str]:
    """The identity card the terminal read and the assurance it gives: an electronic social
    security card (verified against its issuer) or the chip, with a face match or without."""
    if claims.get("essc"):
        return kiosk.verify_essc(claims["essc"], current_app.config["ESSC_ISSUER_PUBLIC_KEY"],
                                 current_app.config["ESSC_MAX_LIFETIME_SECONDS"]), "real-name"
    return claims.get("card") or {}, "face" if claims.get("face") == "match" else "real-name"


@bp.post("/exit")
def leave():
    """退出 or the idle countdown ran out: end the session on the server, clear what the browser
    kept, and show the start screen; Back finds nothing (every personal page is no-store)."""
    if current_user.is_authenticated:
        from ..operations import audit

        audit.log("sign_out", actor=current_user.get_id(), channel="kiosk",
                  detail={"device": session.get("kiosk_device")})
    session.end()
    response = redirect(url_for(".start"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/receipt/<reference>")
@resident_required()
def receipt(reference):
    """受理回执 for the 80 mm receipt printer, with a QR code to follow it on a phone."""
    item = queries.own_application(reference, current_user.id)
    if item is None:
        abort(404)
    url = current_app.config["EXTERNAL_URL"] + url_for("resident.application",
                                                       reference=reference)
    flow = REGISTRY.get(item.kind)
    return render_template("kiosk/receipt.html", application=item, flow=flow, qr=qr_svg(url))


@bp.post("/rating")
@resident_required()
def rating():
    form = RatingForm()
    if not form.validate_on_submit():
        abort(400)
    visit = session.setdefault("visit", secrets.token_hex(8))
    kiosk.rate(visit, form.rating.data, session.get("kiosk_device"),
               (form.reference.data or "")[:20] or None)
    session["rated"] = True
    return redirect(url_for("resident.home"))
