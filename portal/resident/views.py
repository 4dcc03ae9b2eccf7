"""The resident's own pages; every route requires a signed-in resident and shows only their
own records (a reference that is not theirs is simply not found)."""

from datetime import timedelta

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
from flask_login import current_user
from markupsafe import Markup

from .. import queries
from ..agency.forms import ConfirmForm
from ..auth.resident import resident_required
from ..chrome import kept
from ..constants import ApplicationKind, RelationStatus
from ..extensions import db
from ..flows.engine import REGISTRY
from ..models import (
    Application,
    BenefitDecision,
    Consent,
    StaffUser,
    Upload,
)
from ..operations import assist, audit, benefits, closure, transitions
from ..operations.applications import shown_status
from ..operations.notify import message_text
from ..operations.uploads import send_upload
from ..presenters import current_language, qr_svg
from ..rules import benefits as benefit_rules
from ..rules import ids
from ..rules.dates import china_today
from ..schemes import scheme_for
from .forms import ObjectionForm

bp = Blueprint("resident", __name__, url_prefix="/me")


def own_application(reference: str) -> Application:
    application = queries.own_application(reference, current_user.id)
    if application is None:
        abort(404)
    return application


@bp.get("/")
@resident_required()
def home():
    """What this person needs now comes first, by life stage (not enrolled, contributing,
    within a year of pension age, receiving, an application open); then the services.
    Everyone signed in lands here, so it is one round trip for most (queries.home_facts) and a
    second only for someone who filed anything here."""
    today = china_today()
    scheme = scheme_for(current_app.config["SCHEME_PROVINCE"])
    relation = queries.home_facts(current_user.id, today.year)
    notice = relation is not None and relation.has_notice
    if relation is not None and relation.status == RelationStatus.CONTRIBUTING \
            and not notice and benefit_rules.notice_due(current_user.birth_date, today,
                                                        scheme.get("pension_age", 60)):
        # The 告知书 is due three months ahead (第二十二条): whoever looks first gets it made,
        # the monthly job or this page; it is made once either way. Outside those months the
        # birth date alone says none can be, so most visits skip the look-up.
        benefits.generate_notices(scheme, today, person_id=current_user.id,
                                  actor="system:home")
        notice = queries.pension_notice_of(current_user.id) is not None
    pension_age = near_pension_age(relation, scheme, today)
    this_year = this_years_contribution(relation, today)
    # Many residents (enrolled before this service, or at the counter) filed nothing here.
    recent, under_way = queries.recent_and_under_way(current_user.id, 3) \
        if relation is None or relation.has_applications else ([], [])
    # A level chosen this year shows 待缴费 until its money arrives: this_year knows.
    arrived = {this_year["year"]: this_year["arrived_on"] is not None} if this_year else {}
    return render_template(
        "resident/home.html",
        person=current_user,
        masked_id=ids.mask(current_user.id_number),
        assurance=session.get("acr"),
        applications=[(item, shown_status(item, arrived)) for item in recent],
        open_applications=[(item, shown_status(item, arrived)) for item in under_way],
        enrolling=any(item.kind == ApplicationKind.ENROLMENT for item in under_way),
        relation=relation,
        this_year=this_year,
        notice=notice,
        pension_age=pension_age,
        receiving=receiving_now(relation, today),
        today=today,
        services=None if g.get("kiosk") else service_cards(relation, on_home=True),
    )


@bp.get("/services")
@resident_required()
def services():
    """Every service, for the kiosk's 更多服务 (the home page shows the most used)."""
    return render_template("resident/services.html", services=service_cards(
        queries.current_relation(current_user.id), on_home=False))


def service_cards(relation, on_home: bool) -> Markup:
    """resident/_services.html, rendered once per language, insurance state and page and then
    kept: it holds only words and links, the same for everyone in that state, and rendering it
    on every visit was about a tenth of the home page's time (issue 19)."""
    key = (current_language(), relation.status if relation is not None else None, on_home,
           request.script_root)
    # Not kept where a link may differ by request (inside an assisted task the flows' links
    # carry its consent).
    return kept("resident_service_cards", key,
                lambda: Markup(render_template("resident/_services.html", relation=relation,
                                               on_home=on_home)),
                keep=lambda _cards: not g.get("consent_id"))


def near_pension_age(relation, scheme: dict, today) -> dict | None:
    """Within a year of pension age and still paying: the day, and from when to claim."""
    if relation is None or relation.status != RelationStatus.CONTRIBUTING \
            or not current_user.birth_date:
        return None
    eligible_on = benefit_rules.pension_age_date(current_user.birth_date,
                                                 scheme.get("pension_age", 60))
    if (eligible_on - today).days > 366:
        return None
    advance = current_app.config.get("CLAIM_ADVANCE_DAYS", 31)
    return {"eligible_on": eligible_on,
            "claim_from": eligible_on - timedelta(days=advance)}


def receiving_now(relation, today) -> dict | None:
    """Receiving a pension: this month's payment and when eligibility is next confirmed."""
    if relation is None or relation.status != RelationStatus.RECEIVING:
        return None
    from .pension import next_payment_date

    payments = benefits.payments_of(current_user.id, limit=1)
    this_month = payments[0] if payments and (payments[0].month.year, payments[0].month.month) \
        == (today.year, today.month) else None
    from ..operations import eligibility

    return {"payment": this_month,
            "next_payment": next_payment_date(today, current_app.config["PENSION_PAYMENT_DAY"]),
            "eligibility": eligibility.standing_of(current_user.id, today, relation)}


def this_years_contribution(relation, today) -> dict | None:
    """Whether this year's contribution has reached the account (from the tax import); the
    relation row carries the year's sum (queries.home_facts)."""
    if relation is None or relation.status != RelationStatus.CONTRIBUTING:
        return None
    return {"year": today.year, "arrived_on": relation.arrived_on,
            "amount_fen": relation.arrived_fen, "tier_fen": relation.contribution_tier_fen}


@bp.get("/applications")
@resident_required()
def applications():
    return render_template("resident/applications.html",
                           applications=queries.applications_of(current_user.id),
                           flows=REGISTRY)


@bp.get("/applications/<reference>")
@resident_required()
def application(reference):
    item = own_application(reference)
    return render_application(item)


def render_application(item: Application, status: int = 200, form=None, notice=None):
    return render_template(
        "resident/application.html", application=item, flow=REGISTRY.get(item.kind),
        settlement=closure.settlement_for(item)
        if item.kind == ApplicationKind.DEREGISTRATION else None,
        case=closure.transfer_case_for(item) if item.kind == ApplicationKind.TRANSFER_IN else None,
        today=china_today(), notice=notice, **_redetermination(item, form)), status


def _redetermination(item: Application, form=None) -> dict:
    """第二十五条: a dispute about the pension shows the re-decided 核定表 beside the one paid
    now, what confirming it pays or deducts for the months already paid, and (while it is
    the resident's turn) the confirmation form. 第四十四条: a dispute about a transferred
    record shows the question to the old county and its answer."""
    subject = item.answers.get("subject") if item.kind == ApplicationKind.DISPUTE else None
    if subject == "transfer":
        return {"inquiry": closure.inquiry_for(item)}
    decision = benefits.decision_for(item) if subject == "benefit" else None
    if decision is None or decision.status not in ("checked", "confirmed"):
        return {}
    shown = {"decision": decision,
             "replaced": db.session.get(BenefitDecision, decision.replaces_id),
             "adjustments": _adjustments(item, decision),
             "differences": None, "confirm_form": None}
    if decision.status == "checked" and _resident_may_confirm(item):
        shown.update(differences=benefits.redetermination_preview(decision),
                     confirm_form=form or _confirm_form(item))
    return shown


def _adjustments(item: Application, decision) -> list:
    """What the re-decided pension pays or deducts for the months already paid."""
    return [row for row in benefits.adjustments_of(item.person_id)
            if row[0].decision_id == decision.id]


def _resident_may_confirm(item: Application) -> bool:
    """The lifecycle says it is the resident's turn to confirm the re-decided pension."""
    return any(action.name == "confirm-redetermination"
               for action in transitions.allowed_actions(item, current_user))


def _confirm_form(item: Application) -> ConfirmForm:
    form = ConfirmForm(formdata=None)
    form.version.data = item.version
    return form


@bp.post("/applications/<reference>/confirm")
@resident_required("face", back="resident.application")
def confirm_redetermination(reference):
    """第二十五条 经参保人员确认: the resident confirms the re-decided pension they have read."""
    item = own_application(reference)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    try:
        transitions.transition(item, "confirm-redetermination", current_user,
                               expected_version=form.version.data,
                               channel=session.get("channel", "online"))
    except transitions.TransitionError:
        db.session.rollback()
        item = own_application(reference)
        if item.status == "corrected":  # confirmed already (a double tap): the same page
            return redirect(url_for(".application", reference=reference), 303)
        return render_application(item, 409, notice=_(
            "This decision can no longer be confirmed. Here is your request as it stands now."))
    return redirect(url_for(".application", reference=reference), 303)


@bp.get("/applications/<reference>/confirmation")
@resident_required()
def confirmation(reference):
    item = own_application(reference)
    tracking_url = current_app.config["EXTERNAL_URL"] + url_for(".application",
                                                                reference=reference)
    payment = payment_details(item) if item.kind == ApplicationKind.TIER_CHOICE else None
    flow = REGISTRY.get(item.kind)
    workdays = current_app.config.get(flow.deadline_setting) or flow.deadline_workdays
    return render_template("resident/confirmation.html", application=item, flow=flow,
                           qr=qr_svg(tracking_url), tracking_url=tracking_url, payment=payment,
                           workdays=workdays)


def payment_details(item: Application) -> dict:
    """第十一条: how to pay the chosen level through the tax department's channel (outside
    this portal): a QR code and a reference the channel recognises."""
    amount = int(item.answers["tier"])
    url = (f'{current_app.config["TAX_PAYMENT_URL"]}?ref={item.reference}'
           f"&year={item.received_on.year}&amount_fen={amount}")
    return {"amount_fen": amount, "reference": item.reference, "url": url, "qr": qr_svg(url),
            "year": item.received_on.year}


@bp.get("/uploads/<int:upload_id>")
@resident_required()
def upload(upload_id):
    item = db.session.get(Upload, upload_id)
    if item is None or item.person_id != current_user.id:
        abort(404)
    return send_upload(item)


@bp.get("/messages")
@resident_required()
def messages():
    texts = [(m, message_text(m.kind, m.params) if m.params else m.body)
             for m in queries.in_app_messages(current_user.id)]
    return render_template("resident/messages.html", messages=texts)


@bp.get("/data-access")
@resident_required()
def data_access():
    """谁查看了我的信息: every time staff saw my full details or opened my documents
    (PIPL 第四十五条 right of access) — their role and agency, when, and why."""
    return render_template("resident/data_access.html",
                           rows=audit.data_access_of(current_user.id))


@bp.get("/consents")
@resident_required()
def consents():
    """Who may file for me, for what, until when; and a way to object (村协办员代办)."""
    rows = assist.consents_of(current_user.id)
    staff = db.by_id(StaffUser, (c.staff_id for c in rows))
    return render_template("resident/consents.html", consents=rows, staff=staff,
                           flows=REGISTRY,
                           forms={c.id: ObjectionForm.for_consent(c.id) for c in rows})


@bp.post("/consents/<int:consent_id>/object")
@resident_required()
def object_to_consent(consent_id):
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.person_id != current_user.id:
        abort(404)
    form = ObjectionForm()
    if not form.validate_on_submit():
        abort(400)
    assist.object_to(consent, current_user, form.reason.data)
    return redirect(url_for(".consents"))
