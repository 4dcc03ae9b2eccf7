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
from flask_login import current_user

from .. import queries
from ..auth.staff import staff_required
from ..constants import RelationStatus
from ..extensions import db
from ..flows.engine import REGISTRY
from ..models import (
    Consent,
    Person,
)
from ..operations import assist, ledger, uploads
from ..rules import ids
from ..rules.dates import china_today

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
    if relation.status == RelationStatus.CONTRIBUTING and queries.pension_notice_of(person.id):
        needs.append("turning_60")
    if relation.status == RelationStatus.CONTRIBUTING:
        account = ledger.account_of(person.id)
        if account and today.year not in ledger.contribution_years(account.id):
            needs.append("contribution_missing")
    if relation.status == RelationStatus.RECEIVING:
        from ..operations import benefits

        check = benefits.last_check(person.id)
        if check is None or (today - check.confirmed_on).days > 335:
            needs.append("eligibility_due")
    if queries.has_rejected_application(person.id):
        needs.append("application_returned")
    return needs


@bp.get("/")
@assistant_required
def dashboard():
    today = china_today()
    residents = [(row, person, _needs(person, today))
                 for row, person in assist.residents_of(current_user)]
    filed = queries.filed_by(current_user.get_id())
    names = {pid: p.name for pid, p in db.by_id(Person, (a.person_id for a in filed)).items()}
    return render_template("assist/dashboard.html", residents=residents, filed=filed,
                           names=names, mask=ids.mask)


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
    item = queries.filed_application(reference, current_user.get_id())
    if item is None:
        abort(404)
    return render_template("assist/application.html", application=item,
                           flow=REGISTRY.get(item.kind),
                           person=db.session.get(Person, item.person_id))


@bp.route("/deaths", methods=["GET", "POST"])
@assistant_required
def deaths():
    """第三十二条: at the start of each month, last month's deaths in the village."""
    today = china_today()
    month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
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
    mine = queries.death_reports_by(current_user.id)
    return render_template("assist/deaths.html", reports=mine, month=month, error=error,
                           form=request.form, mask=ids.mask), 400 if error else 200


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
