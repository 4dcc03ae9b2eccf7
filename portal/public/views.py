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
