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
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import queries
from ..agency.forms import NoDeathsForm
from ..auth.staff import staff_required
from ..constants import ConsentStatus, RelationStatus
from ..extensions import db
from ..flows.engine import REGISTRY
from ..models import (
    Consent,
    Person,
)
from ..operations import assist, eligibility, ledger, uploads
from ..operations.calendar import workday_calendar
from ..rules import ids
from ..rules.dates import china_today, last_month
from .forms import ConsentCodeForm, ConsentForm, DeathReportForm, HomeVisitForm

bp = Blueprint("assist", __name__, url_prefix="/assist")
SERVICES = ("enrolment", "details_change", "tier_choice", "question", "dispute", "claim",
            "deregistration", "transfer_in")


# Village assistants: the staff guard with their one role (security.md: their own village only,
# checked record by record in operations.assist).
assistant_required = staff_required("village_assistant")


def _needs(person: Person | None, today: date) -> list[str]:
    """What a resident of the village needs, from the records (no consent needed: nothing but
    the need is shown)."""
    relation = queries.current_relation(person.id) if person is not None else None
    if relation is None:
        return ["not_enrolled"]
    needs = []
    if relation.status == RelationStatus.CONTRIBUTING:
        needs += _contributor_needs(person, today)
    if relation.status == RelationStatus.RECEIVING:
        needs += _pensioner_needs(person, today, relation)
    if queries.has_rejected_application(person.id):
        needs.append("application_returned")
    return needs


def _contributor_needs(person: Person, today: date) -> list[str]:
    needs = ["turning_60"] if queries.pension_notice_of(person.id) else []
    account = ledger.account_of(person.id)
    if account and today.year not in ledger.contribution_years(account.id):
        needs.append("contribution_missing")
    return needs


def _pensioner_needs(person: Person, today: date, relation) -> list[str]:
    """第三十一条: the yearly confirmation due, overdue or missed."""
    standing = eligibility.standing_of(person.id, today, relation)
    return ["eligibility_due"] if standing is not None and standing.action_needed else []


@bp.get("/")
@assistant_required
def dashboard():
    today = china_today()
    residents = [(row, person, _needs(person, today))
                 for row, person in assist.residents_of(current_user)]
    filed = queries.filed_by(current_user.get_id())
    names = {pid: p.name for pid, p in db.by_id(Person, (a.person_id for a in filed)).items()}
    # 第三十一条: the village's pensioners whose yearly confirmation is due, overdue or missed,
    # soonest first: the ones a home visit may be needed for.
    due = sorted(((row, person, eligibility.standing_of(person.id, today))
                  for row, person, needs in residents if "eligibility_due" in needs),
                 key=lambda item: item[2].due)
    return render_template("assist/dashboard.html", residents=residents, filed=filed,
                           names=names, mask=ids.mask, due=due)


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
    form = ConsentForm()
    form.flow.choices = [(name, REGISTRY[name].title) for name in SERVICES]
    form.method_choices(ids.mask_phone(row.phone or ""))
    if not form.is_submitted():
        form.method.data = "sms"
    if form.validate_on_submit():
        evidence = _evidence(form, row)
        if not form.errors:
            return _consent_recorded(*assist.start_consent(
                current_user, row, form.flow.data, form.method.data, form.reason.data,
                evidence, china_today()))
    return render_template("assist/resident.html", row=row, form=form,
                           mask=ids.mask), 400 if form.errors else 200


def _evidence(form: ConsentForm, row) -> int | None:
    """The signature or signed paper kept with the consent; the form's errors say what is
    missing (SMS needs a phone registered to the resident's name)."""
    method = form.method.data
    if method == "sms":
        if not row.phone:
            form.method.errors.append(_("No phone is registered to this resident's name: let "
                                        "them sign on the screen, or photograph a signed "
                                        "authorisation"))
        return None
    data = _evidence_bytes(form)
    if data is None:
        form.evidence.errors.append(_("Add the resident's signature or a photo of the signed "
                                      "authorisation"))
        return None
    try:
        return assist.store_evidence(current_user, row, method, data)
    except uploads.UploadRejected as rejected:
        form.evidence.errors.append(_(str(rejected), **rejected.params))
        return None


def _evidence_bytes(form: ConsentForm) -> bytes | None:
    drawn = form.signature_png.data or ""
    if form.method.data == "signature" and drawn.startswith("data:image/png;base64,"):
        try:
            return base64.b64decode(drawn.split(",", 1)[1])
        except (binascii.Error, ValueError):
            return None
    upload = form.evidence.data
    return upload.read() if upload and getattr(upload, "filename", None) else None


def _consent_recorded(consent, code):
    if code and current_app.config["DEMO_MODE"]:
        # Demo only, as the README says: the code is shown on the next page too.
        session["demo_consent_code"] = {"consent": consent.id, "code": code}
    if consent.status == ConsentStatus.PENDING:
        return redirect(url_for(".consent_code", consent_id=consent.id))
    return redirect(url_for("flows.start", flow_name=consent.flow, consent_id=consent.id))


@bp.route("/consents/<int:consent_id>/code", methods=["GET", "POST"])
@assistant_required
def consent_code(consent_id):
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.staff_id != current_user.id \
            or consent.status != ConsentStatus.PENDING:
        abort(404)
    form = ConsentCodeForm()
    if form.validate_on_submit():
        if assist.confirm_sms(consent, form.code.data or ""):
            return redirect(url_for("flows.start", flow_name=consent.flow,
                                    consent_id=consent.id))
        form.code.errors.append(_("The code is not right. Ask the resident to read out the "
                                  "newest message."))
    person = db.session.get(Person, consent.person_id)
    return render_template("assist/code.html", consent=consent, person=person, form=form,
                           demo_code=_demo_code(consent),
                           masked_phone=ids.mask_phone(person.phone or "")), \
        400 if form.errors else 200


def _demo_code(consent) -> str | None:
    demo = session.get("demo_consent_code") or {}
    return demo.get("code") if current_app.config["DEMO_MODE"] and \
        demo.get("consent") == consent.id else None


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
    month = last_month(today)
    form = DeathReportForm()
    error = None
    if form.validate_on_submit():
        try:
            assist.report_deaths(current_user, _reported_rows(form), month, today)
            return redirect(url_for(".deaths"))
        except (assist.BadReport, UnicodeDecodeError) as problem:
            db.session.rollback()
            error = _death_report_problem(str(problem))
    return render_template("assist/deaths.html", reports=queries.death_reports_by(current_user.id),
                           month=month, error=error, form=form, mask=ids.mask,
                           no_deaths_form=NoDeathsForm(),
                           filed=queries.death_return(current_user.region_code, month),
                           due=workday_calendar().monthly_report_due(today)), \
        400 if error else 200


def _reported_rows(form: DeathReportForm) -> list[dict]:
    """The CSV file's rows when one came, else the one death typed in."""
    upload = form.csv.data
    if upload and getattr(upload, "filename", None):
        return assist.parse_csv(upload.read().decode("utf-8-sig"))
    return [form.typed_row()]


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
