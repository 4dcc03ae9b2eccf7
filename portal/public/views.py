"""Public pages and the two display preferences, stored in plain cookies (nothing personal)."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from .. import queries
from ..chrome import cached_for_visitors
from ..ratelimit import limiter, verification_rate
from ..rules.sign_in import local_path

bp = Blueprint("public", __name__)

PREFERENCE_COOKIE_AGE = 365 * 24 * 3600


@bp.get("/")
@cached_for_visitors
def start():
    if current_user.is_authenticated and current_user.kind == "resident":
        return redirect(url_for("resident.home"))
    return render_template("public/start.html", timed_out=session.pop("timed_out", False))


@bp.get("/favicon.ico")
def favicon():
    """Browsers and bookmarks ask the site root for it, whatever the page says: served here
    (cached for an hour), not redirected, so a first visit costs one request, not two."""
    return current_app.extensions["portal_assets"].response("favicon.ico")


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
@limiter.limit(verification_rate)
def verify(token):
    """Public check of a printed statement (第十九条): no sign-in; shows only what the token
    carries, and whether the ledger still agrees with it."""
    from ..documents import verification
    from ..documents.statements import period_label
    from ..operations import ledger

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

    from ..rules.benefits import estimates_for
    from ..rules.dates import china_today
    from ..schemes import scheme_for

    form = request.args
    values, errors = _estimate_inputs(form)
    rows = assumptions = None
    if "age" in values and "years" in values and not errors:
        rows, assumptions = estimates_for(
            scheme_for(current_app.config["SCHEME_PROVINCE"]), china_today(),
            balance_fen=values["balance"] * 100, years_paid=values["years"], age=values["age"],
            county=current_app.config["SERVICE_COUNTY_CODE"])
    status = 400 if errors else 200
    return render_template("public/estimate.html", rows=rows, assumptions=assumptions,
                           values=form, errors=errors), status


ESTIMATE_RANGES = (("age", 16, 59), ("years", 0, 44), ("balance", 0, 2_000_000))


def _estimate_inputs(form) -> tuple[dict, dict]:
    """Whole numbers within their range; an empty balance is 0, an empty age or years is not
    asked yet (the first visit), anything else is an error on that field."""
    errors, values = {}, {}
    for name, low, high in ESTIMATE_RANGES:
        raw = (form.get(name) or "").strip()
        if not raw and name == "balance":
            values[name] = 0
        elif raw.isdigit() and low <= int(raw) <= high:
            values[name] = int(raw)
        elif name in form:
            errors[name] = True
    return values, errors


class PreferencesForm(FlaskForm):
    """The header's buttons: language, 长辈版 and 语音播报 (portal/speech.py), one at a time;
    each is a cookie of the same name. A field not sent stays None (not changed)."""

    return_to = HiddenField()
    lang = StringField()
    elder = StringField()
    voice = StringField()
    allowed = {"voice": ("0", "1"), "lang": ("zh_Hans_CN", "en"), "elder": ("0", "1")}

    def chosen(self) -> dict[str, str] | None:
        """The cookies to set; None when nothing, or anything unknown, was sent."""
        sent = {name: self[name].raw_data[0] for name in self.allowed if self[name].raw_data}
        if not sent or any(value not in self.allowed[name] for name, value in sent.items()):
            return None
        return sent


@bp.post("/preferences")
def preferences():
    form = PreferencesForm()
    response = redirect(_safe_return_path(form.return_to.data))
    chosen = form.chosen()
    if chosen is None:
        abort(400)
    for name, value in chosen.items():
        response.set_cookie(name, value, max_age=PREFERENCE_COOKIE_AGE, samesite="Lax",
                            httponly=True)
    return response


def _safe_return_path(path: str | None) -> str:
    """Only paths on this site: an open redirect would make a convincing phishing link."""
    if path and any(ord(c) < 0x20 for c in path):
        abort(400)  # a header-splitting attempt, not a page of ours
    return local_path(path) or url_for("public.start")


class ReportForm(FlaskForm):
    county = SelectField(_l("Which county is it about?"))
    subject = RadioField(_l("What do you want to report?"), choices=[
        ("pension_after_death", _l("A pension still drawn for someone who has died")),
        ("false_documents", _l("False information or documents to get money")),
        ("staff_misconduct", _l("Misconduct by a member of staff")),
        ("other", _l("Something else"))],
        validators=[InputRequired(_l("Choose what you want to report"))])
    about_name = StringField(_l("Name of the person it is about (optional)"),
                             validators=[Optional(), Length(max=40)])
    staff_named = StringField(_l("Name of the member of staff involved (optional)"),
                              validators=[Optional(), Length(max=40)])
    details = TextAreaField(_l("What happened?"), validators=[
        InputRequired(_l("Describe what happened")),
        Length(min=10, max=2000, message=_l("Write between 10 and 2000 characters"))])
    anonymous = RadioField(_l("Do you want to give your name?"), choices=[
        ("yes", _l("No, report anonymously")), ("no", _l("Yes, the agency may contact me"))],
        default="yes")
    contact_phone = StringField(_l("Phone number to contact you (optional)"),
                                validators=[Optional(), Length(max=20)])


@bp.route("/report", methods=["GET", "POST"])
def report():
    """举报 (第六十六条): open to everyone, anonymous allowed."""
    from ..operations import reports

    form = ReportForm()
    form.county.choices = [(c.code, c.name) for c in queries.counties()]
    if not form.is_submitted():
        form.county.data = current_app.config["SERVICE_COUNTY_CODE"]
    if form.validate_on_submit():
        named = form.anonymous.data == "no"
        signed_in = current_user.is_authenticated and current_user.kind == "resident"
        item, code = reports.file_report(
            county_code=form.county.data, subject=form.subject.data, details=form.details.data,
            about_name=form.about_name.data, staff_named=form.staff_named.data,
            reporter=current_user.get_id() if named and signed_in else None,
            contact_phone=form.contact_phone.data if named else None)
        return render_template("public/report_received.html", report=item, code=code)
    return render_template("public/report.html", form=form), 400 if form.errors else 200


class ReportCheckForm(FlaskForm):
    reference = StringField(_l("Report reference"),
                            validators=[InputRequired(_l("Enter the reference"))])
    code = StringField(_l("Check code"), validators=[InputRequired(_l("Enter the check code"))])


@bp.route("/report/check", methods=["GET", "POST"])
@limiter.limit(verification_rate, methods=["POST"])
def report_check():
    """The reporter sees their own report's outcome with reference + code, nothing else."""
    from ..operations import reports

    form = ReportCheckForm()
    found = None
    if form.validate_on_submit():
        found = reports.find_for_reporter(form.reference.data, form.code.data)
        if found is None:
            form.code.errors = [_("No report has this reference and check code. Check both "
                                  "and try again.")]
    status = 400 if form.errors else 200
    return render_template("public/report_check.html", form=form, report=found), status
