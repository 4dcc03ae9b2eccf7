"""Public pages and the two display preferences, stored in plain cookies (nothing personal)."""

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user

bp = Blueprint("public", __name__)

PREFERENCE_COOKIE_AGE = 365 * 24 * 3600


@bp.get("/")
def start():
    if current_user.is_authenticated and current_user.kind == "resident":
        return redirect(url_for("resident.home"))
    return render_template("public/start.html", timed_out=session.pop("timed_out", False))


@bp.get("/sign-in")
def sign_in():
    return render_template("public/sign_in.html", timed_out=session.pop("timed_out", False))


@bp.get("/signed-out")
def signed_out():
    return render_template("public/signed_out.html")


@bp.get("/help/wrong-details")
def wrong_details():
    return render_template("public/wrong_details.html")


@bp.post("/session/keep-alive")
def keep_alive():
    """The "还在使用吗？" dialog's answer: any request refreshes the idle timer (WCAG 2.2.1)."""
    session.modified = True
    return "", 204


@bp.get("/verify/<token>")
def verify(token):
    """Public check of a printed statement (第十九条): no sign-in; shows only what the token
    carries, and whether the ledger still agrees with it."""
    from flask import current_app

    from ..documents import verification
    from ..documents.statements import period_label
    from ..operations import ledger
    from ..ratelimit import verification_limiter

    if not verification_limiter.allow(request.remote_addr or "?",
                                      current_app.config["VERIFY_RATE_PER_MINUTE"]):
        abort(429)
    try:
        claims = verification.read(token)
    except verification.Expired:
        return render_template("public/verify.html", outcome="expired"), 410
    except verification.Forged:
        return render_template("public/verify.html", outcome="forged"), 400
    year = None if claims["p"] == "all" else int(claims["p"])
    current = ledger.statement(claims["a"], year).closing_fen
    return render_template("public/verify.html", outcome="genuine", claims=claims,
                           period=period_label(year), still_current=current == claims["c"])


@bp.get("/estimate")
def estimate():
    """The public pension estimator: age, years paid and balance in, every tier out."""
    from flask import current_app

    from ..resident.account import estimates_for

    form = request.args
    errors, values = {}, {}
    for name, low, high in (("age", 16, 59), ("years", 0, 44), ("balance", 0, 2_000_000)):
        raw = (form.get(name) or "").strip()
        if not raw and name == "balance":
            values[name] = 0
        elif raw.isdigit() and low <= int(raw) <= high:
            values[name] = int(raw)
        elif name in form:
            errors[name] = True
    rows = assumptions = None
    if "age" in values and "years" in values and not errors:
        rows, assumptions = estimates_for(values["balance"] * 100, values["years"],
                                          values["age"], current_app.config["SERVICE_COUNTY_CODE"])
    status = 400 if errors else 200
    return render_template("public/estimate.html", rows=rows, assumptions=assumptions,
                           values=form, errors=errors), status


@bp.post("/preferences")
def preferences():
    response = redirect(_safe_return_path(request.form.get("return_to")))
    language = request.form.get("lang")
    elder = request.form.get("elder")
    if language is None and elder is None:
        abort(400)
    if language is not None:
        if language not in ("zh_Hans_CN", "en"):
            abort(400)
        response.set_cookie("lang", language, max_age=PREFERENCE_COOKIE_AGE, samesite="Lax",
                            httponly=True)
    if elder is not None:
        if elder not in ("0", "1"):
            abort(400)
        response.set_cookie("elder", elder, max_age=PREFERENCE_COOKIE_AGE, samesite="Lax",
                            httponly=True)
    return response


def _safe_return_path(path: str | None) -> str:
    """Only paths on this site: an open redirect would make a convincing phishing link."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return url_for("public.start")
