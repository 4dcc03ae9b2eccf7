"""Village assistants (村协办员): their residents and what each needs, consent per task before
filing on a resident's behalf, and the monthly death reports (第四条、第六条、第三十二条).

Every page requires an assistant signed in with both factors; a resident outside the assistant's
village does not exist here (404).
"""

import base64
import binascii
from datetime import date

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
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select

from .. import queries
from ..agency.forms import NoDeathsForm
from ..auth.staff import staff_required
from ..extensions import db
from ..flows.engine import REGISTRY
from ..models import (
    Application,
    Consent,
    DeathReport,
    PensionNotice,
    Person,
)
from ..operations import assist, eligibility, ledger, uploads
from ..operations.calendar import workday_calendar
from ..rules import ids
from ..rules.dates import china_today, last_month

bp = Blueprint("assist", __name__, url_prefix="/assist")
SERVICES = ("enrolment", "details_change", "tier_choice", "question", "dispute", "claim",
            "deregistration", "transfer_in")
REASON_LABELS = {"limited_mobility": "行动不便", "illness": "患病", "age": "年老",
                 "other": "其他原因"}


# Village assistants: the staff guard with their one role (security.md: their own village only,
# checked record by record in operations.assist).
assistant_required = staff_required("village_assistant")


def _needs(person: Person | None, today: date) -> list[str]:
    """What a resident of the village needs, from the records (no consent needed: nothing but
    the need is shown)."""
    if person is None:
        return ["not_enrolled"]
    needs = []
    relation = queries.current_relation(person.id)
    if relation is None:
        return ["not_enrolled"]
    if db.session.scalar(select(PensionNotice.id).filter_by(person_id=person.id)) and \
            relation.status == "contributing":
        needs.append("turning_60")
    if relation.status == "contributing":
        account = ledger.account_of(person.id)
        if account and today.year not in ledger.contribution_years(account.id):
            needs.append("contribution_missing")
    if relation.status == "receiving":
        standing = eligibility.standing_of(person.id, today, relation)
        if standing is not None and standing.action_needed:
            needs.append("eligibility_due")
    waiting = db.session.scalar(select(Application.id).filter(
        Application.person_id == person.id, Application.status == "rejected").limit(1))
    if waiting:
        needs.append("application_returned")
    return needs


@bp.get("/")
@assistant_required
def dashboard():
    today = china_today()
    residents = [(row, person, _needs(person, today))
                 for row, person in assist.residents_of(current_user)]
    filed = db.session.scalars(select(Application).filter_by(filed_by=current_user.get_id())
                               .order_by(Application.submitted_at.desc())).all()
    names = {pid: p.name for pid, p in db.by_id(Person, (a.person_id for a in filed)).items()}
    # 第三十一条: the village's pensioners whose yearly confirmation is due, overdue or missed,
    # soonest first: the ones a home visit may be needed for.
    due = sorted(((row, person, eligibility.standing_of(person.id, today))
                  for row, person, needs in residents if "eligibility_due" in needs),
                 key=lambda item: item[2].due)
    return render_template("assist/dashboard.html", residents=residents, filed=filed,
                           names=names, mask=ids.mask, due=due)


class HomeVisitForm(FlaskForm):
    """第三十一条: the home visit's record — a photo of the visit and the elder's signature or
    thumbprint on the visit form."""

    photo = FileField(_l("Photo of the visit"),
                      validators=[FileRequired(_l("Add a photo of the visit"))])
    signature = FileField(_l("The elder's signature or thumbprint on the visit form"),
                          validators=[FileRequired(_l("Add a photo of the signed visit form"))])


@bp.route("/residents/<int:registry_id>/home-visit", methods=["GET", "POST"])
@assistant_required
def home_visit(registry_id):
    """The village assistant confirms a pensioner's eligibility at home (人社厅发〔2018〕107号:
    上门认证 for those who cannot go out); only pensioners of their own village."""
    try:
        person = eligibility.pensioner_in_village(current_user, registry_id)
    except LookupError:
        abort(404)
    today = china_today()
    form = HomeVisitForm()
    if form.validate_on_submit():
        try:
            eligibility.home_visit(current_user, person, form.photo.data.read(),
                                   form.signature.data.read(), today)
            return redirect(url_for(".home_visit", registry_id=registry_id), 303)
        except uploads.UploadRejected as rejected:
            db.session.rollback()
            form.photo.errors.append(_(str(rejected), **rejected.params))
    return render_template("assist/home_visit.html", form=form, person=person,
                           registry_id=registry_id, mask=ids.mask, today=today,
                           standing=eligibility.standing_of(person.id, today)), \
        400 if form.errors else 200


@bp.route("/residents/<int:registry_id>", methods=["GET", "POST"])
@assistant_required
def resident(registry_id):
    """Choose the service and record the resident's consent before anything else is shown."""
    try:
        row = assist.registry_row(current_user, registry_id)
    except LookupError:
        abort(404)
    errors = {}
    form = request.form
    if request.method == "POST":
        flow, method, reason = form.get("flow"), form.get("method"), form.get("reason")
        if flow not in SERVICES:
            errors["flow"] = _("Choose the service")
        if method not in assist.METHODS:
            errors["method"] = _("Choose how the resident consents")
        if reason not in assist.REASONS:
            errors["reason"] = _("Choose why you file for the resident")
        evidence = None
        if not errors and method in ("signature", "paper"):
            data = _evidence_bytes(method)
            if data is None:
                errors["evidence"] = _("Add the resident's signature or a photo of the signed "
                                       "authorisation")
            else:
                person = assist.ensure_person(row)
                try:
                    evidence = uploads.store(person.id, f"consent_{method}", data,
                                             actor=current_user.get_id()).id
                except uploads.UploadRejected as rejected:
                    db.session.rollback()
                    errors["evidence"] = _(str(rejected), **rejected.params)
        if not errors and method == "sms" and not row.phone:
            errors["method"] = _("No phone is registered to this resident's name: let them "
                                 "sign on the screen, or photograph a signed authorisation")
        if not errors:
            consent, code = assist.start_consent(current_user, row, flow, method, reason,
                                                 evidence, china_today())
            if code and current_app.config["DEMO_MODE"]:
                # Demo only, as the README says: the code is shown on the next page too.
                session["demo_consent_code"] = {"consent": consent.id, "code": code}
            if consent.status == "pending":
                return redirect(url_for(".consent_code", consent_id=consent.id))
            return redirect(url_for("flows.start", flow_name=flow, consent_id=consent.id))
    services = [(name, REGISTRY[name].title) for name in SERVICES]
    return render_template("assist/resident.html", row=row, services=services, errors=errors,
                           form=form, mask=ids.mask, reasons=REASON_LABELS,
                           masked_phone=ids.mask_phone(row.phone or "")), 400 if errors else 200


def _evidence_bytes(method: str) -> bytes | None:
    if method == "signature" and request.form.get("signature_png", "").startswith(
            "data:image/png;base64,"):
        try:
            return base64.b64decode(request.form["signature_png"].split(",", 1)[1])
        except (binascii.Error, ValueError):
            return None
    upload = request.files.get("evidence")
    return upload.read() if upload and upload.filename else None


@bp.route("/consents/<int:consent_id>/code", methods=["GET", "POST"])
@assistant_required
def consent_code(consent_id):
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.staff_id != current_user.id or consent.status != "pending":
        abort(404)
    error = None
    if request.method == "POST":
        if assist.confirm_sms(consent, request.form.get("code", "")):
            return redirect(url_for("flows.start", flow_name=consent.flow,
                                    consent_id=consent.id))
        error = _("The code is not right. Ask the resident to read out the newest message.")
    person = db.session.get(Person, consent.person_id)
    demo = session.get("demo_consent_code") or {}
    demo_code = demo.get("code") if current_app.config["DEMO_MODE"] and \
        demo.get("consent") == consent.id else None
    return render_template("assist/code.html", consent=consent, person=person, error=error,
                           demo_code=demo_code,
                           masked_phone=ids.mask_phone(person.phone or "")), \
        400 if error else 200


@bp.get("/applications/<reference>")
@assistant_required
def application(reference):
    item = db.session.scalar(select(Application).filter_by(reference=reference))
    if item is None or item.filed_by != current_user.get_id():
        abort(404)
    return render_template("assist/application.html", application=item,
                           flow=REGISTRY.get(item.kind),
                           person=db.session.get(Person, item.person_id))


@bp.route("/deaths", methods=["GET", "POST"])
@assistant_required
def deaths():
    """第三十二条: at the start of each month, last month's deaths in the village."""
    today = china_today()
    month = last_month(today)
    error = None
    if request.method == "POST":
        try:
            upload = request.files.get("csv")
            if upload and upload.filename:
                rows = assist.parse_csv(upload.read().decode("utf-8-sig"))
            else:
                rows = [{k: request.form.get(k, "") for k in ("name", "id_number",
                                                                "death_date")}]
            assist.report_deaths(current_user, rows, month, today)
            return redirect(url_for(".deaths"))
        except (assist.BadReport, UnicodeDecodeError) as problem:
            db.session.rollback()
            error = _death_report_problem(str(problem))
    mine = db.session.scalars(select(DeathReport).filter_by(reported_by=current_user.id)
                              .order_by(DeathReport.id.desc())).all()
    return render_template("assist/deaths.html", reports=mine, month=month, error=error,
                           form=request.form, mask=ids.mask, no_deaths_form=NoDeathsForm(),
                           filed=queries.death_return(current_user.region_code, month),
                           due=workday_calendar().monthly_report_due(today)), \
        400 if error else 200


@bp.post("/deaths/none")
@assistant_required
def no_deaths():
    """零报告 (第三十二条): nobody died in the village last month — said all the same."""
    if not NoDeathsForm().validate():
        abort(400)
    assist.report_no_deaths(current_user, last_month(china_today()))
    return redirect(url_for(".deaths"), 303)


def _death_report_problem(code: str) -> str:
    row, _sep, field = code.rpartition(":")
    what = {"id_number": _("the identity card number is not valid"),
            "death_date": _("the date of death must be a past date like 2026-10-05"),
            "name": _("the name is missing or longer than 60 characters"),
            "not_in_village": _("the person is not registered in your village; you can "
                                "only report deaths in your own village"),
            "header": _("the CSV needs the columns name,id_number,death_date"),
            "nul": _("the file contains NUL bytes; save it as a text CSV file"),
            "too_long": _("a field is longer than %(limit)s characters", limit=200),
            "unreadable": _("the file is not a readable CSV file")}.get(
        field, _("the file could not be read"))
    return _("Nothing was reported: %(what)s (row %(row)s).", what=what, row=row or "–") \
        if row else _("Nothing was reported: %(what)s.", what=what)
