"""County staff: sign in with password + TOTP, see the queue of their area, decide applications."""

import time
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
from flask_login import current_user, login_user
from flask_wtf import FlaskForm

from .. import lifecycle, presenters, queries
from ..auth.staff import staff_required
from ..constants import PayoutKind
from ..extensions import db
from ..flows import declared  # noqa: F401  (every flow's lifecycle)
from ..flows.engine import REGISTRY
from ..models import (
    Application,
    DeathReport,
    FraudReport,
    KioskTerminal,
    OutboxMessage,
    Person,
    RecordInquiry,
    Region,
    StaffUser,
    TransferCase,
    Upload,
)
from ..operations import (
    approvals,
    assist,
    audit,
    benefits,
    calendar,
    closure,
    eligibility,
    kiosk,
    ledger,
    reports,
    residents,
    tax_export,
    tax_import,
    transitions,
)
from ..operations import staff as staff_ops
from ..operations.uploads import send_upload
from ..regions import region_path
from ..rules import ids
from ..rules import workdays as grid
from ..rules.dates import china_today
from ..schemes import scheme_for
from ..web import ERROR_PAGES, render_error
from .forms import (
    ApprovalForm,
    CalendarYearForm,
    CodeForm,
    ConfirmYearForm,
    InquiryAnswerForm,
    PasswordForm,
    ReportOutcomeForm,
    TerminalForm,
)

bp = Blueprint("agency", __name__, url_prefix="/agency")

CLERKS, REVIEWERS, CHECKERS = lifecycle.TOWNSHIP_CLERKS, lifecycle.REVIEWERS, lifecycle.CHECKERS
PENDING_LIFETIME = 300  # seconds between password and code


def in_my_area(application: Application) -> bool:
    """County staff see their county; a township clerk only applications checked first there."""
    area = db.session.get(Region, current_user.region_code)
    if area is None:
        return False
    if current_user.role in CLERKS:
        return application.township_check and area.contains(application.township_code or "")
    return area.contains(application.region_code)


def my_turn(application: Application) -> bool:
    """Whether the signed-in staff member is the one to act on it now (from its lifecycle)."""
    return transitions.waiting_for(application, current_user)


def application_in_my_area(reference: str, kind: str | None = None) -> Application:
    """Record-level check: outside the staff member's area (or of another kind than the action
    is for) an application does not exist."""
    item = queries.application(reference)
    if item is None or not in_my_area(item) or (kind and item.kind != kind):
        abort(404)
    return item


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = PasswordForm()
    if form.validate_on_submit():
        # Over the limit, staff_ops raises limits.TooMany: the shared 429 page (web.py).
        staff = staff_ops.check_password(form.username.data, form.password.data)
        if staff is None:
            form.password.errors.append(_("The username or password is not right"))
            return render_template("agency/sign_in.html", form=form), 400
        session["staff_pending"] = {"id": staff.id, "at": time.time()}
        return redirect(url_for(".second_factor"))
    return render_template("agency/sign_in.html", form=form), 400 if form.errors else 200


@bp.route("/sign-in/code", methods=["GET", "POST"])
def second_factor():
    pending = session.get("staff_pending")
    if not pending or time.time() - pending["at"] > PENDING_LIFETIME:
        session.pop("staff_pending", None)
        return redirect(url_for(".sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        staff = staff_ops.check_second_factor(pending["id"], form.code.data)
        if staff is None:
            form.code.errors.append(_("The code is not right. Use the newest code in the app."))
            return render_template("agency/code.html", form=form), 400
        session.rotate()
        login_user(staff)
        session["acr"] = "staff-mfa"
        if staff.role == "village_assistant":
            return redirect(url_for("assist.dashboard"))
        return redirect(url_for(".queue"))
    return render_template("agency/code.html", form=form), 400 if form.errors else 200


@bp.get("/")
@staff_required(*REVIEWERS, *CLERKS, *CHECKERS)
def queue():
    area = db.session.get(Region, current_user.region_code)
    rows = queries.queue_for(current_user, area,
                             [flow.name for flow in REGISTRY.values() if flow.urgent])
    today = china_today()
    return render_template("agency/queue.html", rows=rows, today=today, area=area,
                           flows=REGISTRY, mask=ids.mask)


def render_review(item: Application, status=200, forms=None, notice=None):
    """The review page: answers as the resident saw them, comparison results beside them, and
    a form for each action its lifecycle allows this staff member now. It shows the full
    identity number (and a deceased's, and a bank account), so every showing is recorded for
    the resident to see (PIPL 第四十五条); error paths reach here only before a change or after
    its rollback, so the record's commit carries nothing half-done."""
    for person_id in {item.person_id, item.subject_person_id} - {None}:
        audit.data_viewed(current_user, person_id, purpose="review_application",
                          county_code=item.region_code, object_type="application",
                          object_ref=item.reference)
    flow = REGISTRY.get(item.kind)
    payout = approvals.for_application(item.id)
    actions = transitions.allowed_actions(item, current_user)
    forms = {action.name: (forms or {}).get(action.name) or _form_for(action, item)
             for action in actions}
    return render_template(
        "agency/application.html", application=item, flow=flow, answers=_answers(flow, item),
        person=db.session.get(Person, item.person_id), actions=actions, forms=forms,
        error=next((f for f in forms.values() if f.errors), None), notice=notice,
        hukou_name=region_path(item.comparison.get("hukou_region_code")),
        uploads=queries.uploads_of(item.id),
        today=china_today(), my_turn=my_turn(item),
        clerk=current_user.role in CLERKS,
        changes=residents.history(item.person_id),

        owner=_owner(item), decision=benefits.decision_for(item),
        subject=db.session.get(Person, item.subject_person_id or 0),
        commitment=closure.commitment_for(item), settlement=closure.settlement_for(item),
        case=closure.transfer_case_for(item), payout=payout, payout_names=approvals.names(
            [payout] if payout else []),
        **_dispute_context(item),
    ), status


def _answers(flow, item: Application) -> list[tuple]:
    """The resident's answers as the check-answers page showed them, step by step."""
    if flow is None:
        return []
    return [(step.title, step.summary(item.answers, None)) for step in flow.steps
            if any(name in item.answers for name in step.fields())]


def _owner(item: Application) -> StaffUser | None:
    """The staff member who took up a question (首问负责制)."""
    return db.session.get(StaffUser, int(item.owner.split(":")[1])) if item.owner else None


def _dispute_context(item: Application) -> dict:
    """What a dispute about the pension (第二十五条) or a transferred record (第四十四条) shows
    beside its actions: the decision paid now, the transfer behind the record, the question
    to the old county and its answer."""
    if item.kind != "dispute":
        return {}
    subject = item.answers.get("subject")
    if subject == "benefit":
        return {"replaced": benefits.confirmed_decision(item.person_id)}
    if subject == "transfer":
        transfer = closure.transfer_behind(item)
        return {"transfer": transfer, "inquiry": closure.inquiry_for(item),
                "old_on_system": transfer is not None
                and closure.on_this_system(transfer.from_county)}
    return {}


def _ledger_entries(item: Application):
    account = ledger.account_of(item.person_id)
    return ledger.statement(account.id, None).entries if account else []


@bp.get("/uploads/<int:upload_id>")
@staff_required(*REVIEWERS, *CLERKS, *CHECKERS)
def upload(upload_id):
    item = db.session.get(Upload, upload_id)
    application = db.session.get(Application, item.application_id) if item and (
        item.application_id) else None
    if application is None or not in_my_area(application):
        abort(404)
    audit.data_viewed(current_user, item.person_id, purpose="download_document",
                      county_code=application.region_code, object_type="upload",
                      object_ref=item.id)
    return send_upload(item)


@bp.get("/applications/<reference>")
@staff_required(*REVIEWERS, *CLERKS, *CHECKERS)
def application(reference):
    return render_review(application_in_my_area(reference))


def _form_for(action: lifecycle.Action, item: Application, formdata=None):
    form = action.form(formdata=formdata, meta={"csrf": formdata is not None})
    if formdata is None:
        form.version.data = item.version
    if hasattr(form, "entry"):
        form.entry.choices = [("", _("No correction"))] + [
            (str(entry.id), f"{presenters.day(entry.booked_on)} · "
                            f"{presenters.ledger_kind(entry.kind)} · "
                            f"{presenters.yuan(entry.amount_fen)} · {entry.year}")
            for entry in _ledger_entries(item)]
    return form


def act(reference, action_name):
    """One route per lifecycle action (/applications/<reference>/<action>): validate its form,
    then `transition()`; refusals are handled once, by the blueprint's error handlers."""
    item = application_in_my_area(reference)
    action = lifecycle.of(item.kind).action(action_name)
    if action is None:
        raise transitions.NotOpen()  # not something this kind of application goes through
    if not action.allows(current_user.role):
        abort(403)
    form = _form_for(action, item, formdata=request.form)
    if not form.validate():
        if form.version.errors:
            abort(400)
        return render_review(item, 400, forms={action.name: form})
    transitions.transition(item, action.name, current_user, expected_version=form.version.data,
                           choice=form.choice, data=form.hook_data())
    if action.then == "application":
        return redirect(url_for(".application", reference=reference))
    return redirect(url_for(".queue"))


def _register_actions():
    """Each action declared in any lifecycle gets its URL, all served by `act`."""
    roles: dict[str, set] = {}
    for steps in lifecycle.LIFECYCLES.values():
        for action in steps.actions:
            if action.for_staff:  # the applicant's own steps are on the resident's pages
                roles.setdefault(action.name, set()).update(action.roles)
    for name, allowed in sorted(roles.items()):
        bp.add_url_rule(f"/applications/<reference>/{name}", endpoint=name.replace("-", "_"),
                        view_func=staff_required(*sorted(allowed))(act),
                        methods=["POST"], defaults={"action_name": name})


# A refused action shows the application again, as it stands now, with what went wrong.
DEALT_WITH = (409, _l("Someone else has already dealt with this application. Here it is as "
                      "it stands now."))
REFUSALS = {
    transitions.ConcurrentDecision: DEALT_WITH,
    transitions.NotOpen: DEALT_WITH,
    transitions.SameStaff: (403, _l("You prepared this decision, so a different member of "
                                    "staff must check it (第六十二条).")),
    transitions.Invalid: (400, _l("That entry is not on this resident's account")),
    benefits.NoPensionToRedecide: (409, _l("This resident has no confirmed pension to "
                                           "re-decide. Explain instead.")),
    closure.NoTransferredRecord: (409, _l("No completed transfer into this county is "
                                          "recorded for this resident. Answer under "
                                          "第二十条 instead.")),
    closure.NoCorrection: (400, _l("The old county's answer names no amount to correct: "
                                   "send the explanation instead.")),
}


@bp.errorhandler(transitions.TransitionError)
def _refused(error):
    db.session.rollback()
    if type(error) not in REFUSALS:  # NotOwner, NotAllowed: nothing to show this person
        return render_error(403, ERROR_PAGES[403])
    status, notice = REFUSALS[type(error)]
    return render_review(queries.application(request.view_args["reference"]), status,
                         notice=notice)


@bp.get("/tax-registrations")
@staff_required(*REVIEWERS)
def tax_registrations():
    """第十三条: registrations the tax department refused, and the batches sent lately."""
    area = db.session.get(Region, current_user.region_code)
    return render_template("agency/tax_registrations.html", area=area,
                           rejected=tax_export.rejected_registrations(area.code),
                           batches=tax_export.recent_batches(), mask=ids.mask)


@bp.get("/refused-contributions")
@staff_required(*REVIEWERS)
def refused_contributions():
    """第十一条、第十七条: contribution rows from the tax department the scheme refused, with the
    reason, for the county to have refunded or corrected."""
    rows = tax_import.refused_rows(current_user.region_code)
    return render_template("agency/refused_contributions.html", rows=rows, mask=ids.mask,
                           reasons=tax_import.REASONS)


@bp.post("/tax-registrations/<int:row_id>/resend")
@staff_required(*REVIEWERS)
def resend_tax_registration(row_id):
    row = db.session.get(OutboxMessage, row_id)
    if (row is None or row.channel != "tax" or row.status != "rejected"
            or row.params.get("county_code") != current_user.region_code):
        abort(404)
    tax_export.resend(row, actor=current_user.get_id())
    return redirect(url_for(".tax_registrations"))



SUPERVISORS = ("admin",)


def _report_for_me(reference: str):

    item = db.session.scalar(reports.visible_to(current_user).filter_by(reference=reference))
    if item is None:
        abort(404)
    return item


@bp.get("/reports")
@staff_required(*SUPERVISORS)
def reports_queue():
    """举报 (第六十六条): the county's supervision queue, without reports naming the viewer."""

    rows = db.session.scalars(reports.visible_to(current_user)
                              .order_by(FraudReport.status.desc(), FraudReport.id)).all()
    return render_template("agency/reports.html", reports=rows)


@bp.route("/reports/<reference>", methods=["GET", "POST"])
@staff_required(*SUPERVISORS)
def report(reference):

    item = _report_for_me(reference)
    form = ReportOutcomeForm()
    if form.is_submitted():
        if item.status == "closed":
            abort(409)
        if form.validate():
            reports.close(item, form.outcome.data, current_user)
            return redirect(url_for(".reports_queue"))
    return render_template("agency/report.html", report=item, form=form), \
        400 if form.errors else 200



@bp.get("/payments")
@staff_required(*REVIEWERS, *CHECKERS)
def payments():
    """待遇支付审批表 (第二十七条) per month, payments the bank could not make (第二十九条) and
    their re-issues with who prepared and who approved each (第六十二条)."""
    county = current_user.region_code
    failed = benefits.failed_payments(county)
    people = db.by_id(Person, (f.person_id for f in failed))
    reissues = [a for a in approvals.awaiting(county) if a.kind == PayoutKind.REISSUE] + [
        a for a in approvals.recently_approved(county) if a.kind == PayoutKind.REISSUE]
    return render_template("agency/payments.html", runs=benefits.recent_runs(county),
                           failed=failed, people=people, mask=ids.mask,
                           suspended=benefits.suspensions_in(county), reissues=reissues,
                           payout_names=approvals.names(reissues), form=FlaskForm())


@bp.post("/payments/reissue")
@staff_required(*REVIEWERS, *CHECKERS)
def reissue_payments():
    """经办 of the re-issue: the failed payments are put together for a different member of
    staff to approve on the approvals page (第六十二条). A second press (or a colleague at the
    same time) finds nothing left: the same page."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        benefits.prepare_reissue(actor=current_user.get_id(), county_code=current_user.region_code)
    except approvals.AlreadyPrepared:
        db.session.rollback()
    return redirect(url_for(".payments"), 303)


# Two people on every payout (第六十二条) -------------------------------------------------------

@bp.get("/approvals")
@staff_required(*REVIEWERS, *CHECKERS)
def approvals_queue():
    """What waits for a second person in the county: settlements, transfers, re-issues,
    corrections. Each shows who prepared it; nobody may approve their own."""
    return render_approvals()


def render_approvals(notice=None, status=200):
    county = current_user.region_code
    waiting, done = approvals.awaiting(county), approvals.recently_approved(county)
    return render_template(
        "agency/approvals.html", waiting=waiting, done=done, notice=notice,
        payout_names=approvals.names(waiting + done),
        people=db.by_id(Person, (a.person_id for a in waiting + done if a.person_id)),
        applications=db.by_id(Application, (a.application_id for a in waiting + done
                                            if a.application_id)),
        mask=ids.mask, may_approve=current_user.role in CHECKERS,
        me=current_user.get_id()), status


SAME_PERSON = _l("You prepared this payout, so a different member of staff must approve it "
                 "(第六十二条).")


@bp.post("/approvals/<int:approval_id>/approve")
@staff_required(*CHECKERS)
def approve_payout(approval_id):
    """复核 of a payout not bound to an application (a transfer's balance, a re-issue)."""
    item = approvals.in_county(approval_id, current_user.region_code)
    if item is None:
        abort(404)
    if item.application_id is not None:
        # Approved through the application's lifecycle, on its review page.
        return redirect(url_for(".application", reference=db.session.get(
            Application, item.application_id).reference), 303)
    form = ApprovalForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if form.version.data == item.version:
            approvals.approve(item, actor=current_user.get_id(), commit=True)
        # Otherwise someone else approved it first: the loser sees the winner's answer.
    except (transitions.ConcurrentDecision, transitions.NotOpen):
        db.session.rollback()
    except approvals.SamePerson:
        db.session.rollback()
        return render_approvals(SAME_PERSON, 403)
    return redirect(url_for(".approvals_queue"), 303)


@bp.get("/eligibility")
@staff_required(*REVIEWERS, *CHECKERS)
def eligibility_missed():
    """第三十一条、第三十三条: the county's pensioners suspended because the yearly confirmation
    was missed, and those past the due date who will be when their grace period ends."""
    rows = eligibility.county_list(current_user.region_code, china_today())
    return render_template("agency/eligibility.html", mask=ids.mask, **rows)


@bp.get("/transfers")
@staff_required(*REVIEWERS)
def transfers():
    """Transfer stages this county must act on (第四十三条、第四十四条), overdue ones flagged
    (第四十五条), with the 审批表's two names (第六十二条)."""
    cases = closure.transfers_held_by(current_user.region_code)
    people = db.by_id(Person, (c.person_id for c in cases))
    payouts = {c.id: closure.transfer_approval(c) for c in cases}
    return render_template("agency/transfers.html", cases=cases, people=people, mask=ids.mask,
                           today=china_today(), payouts=payouts,
                           payout_names=approvals.names([p for p in payouts.values() if p]))


def _case_held_by_me(case_id: int):
    case = db.session.get(TransferCase, case_id)
    if case is None or case.holder[:6] != current_user.region_code[:6]:
        abort(404)
    return case


@bp.post("/transfers/<int:case_id>/settle")
@staff_required(*REVIEWERS)
def settle_transfer(case_id):
    """The old county (经办): interest to date and the 审批表; the balance leaves once a
    different member of staff approves it on the approvals page (第六十二条)."""
    case = _case_held_by_me(case_id)
    if case.stage != "old_county_settling" or closure.transfer_approval(case) is not None:
        abort(409)
    closure.settle_transfer_out(case, actor=current_user.get_id(),
                                scheme=scheme_for(current_app.config["SCHEME_PROVINCE"]))
    return redirect(url_for(".transfers"))


@bp.post("/transfers/<int:case_id>/funds-arrived")
@staff_required(*REVIEWERS)
def confirm_transfer_funds(case_id):
    """The new county: the money arrived in full; book it with the years, close the case."""
    case = _case_held_by_me(case_id)
    if case.stage != "funds_in_transit":
        abort(409)
    closure.confirm_funds(case, actor=current_user.get_id())
    return redirect(url_for(".transfers"))


@bp.get("/inquiries")
@staff_required(*REVIEWERS)
def inquiries():
    """第四十四条: questions counties on this system asked about records this county
    transferred out, for this county to answer."""
    rows = closure.inquiries_to(current_user.region_code)
    return render_template("agency/inquiries.html", **_inquiry_page(rows))


def _inquiry_page(rows, forms=None) -> dict:
    people = db.by_id(Person, (row.person_id for row in rows))
    cases = db.by_id(TransferCase, (row.case_id for row in rows))
    return {"rows": rows, "people": people, "cases": cases, "mask": ids.mask,
            "forms": {row.id: (forms or {}).get(row.id) or InquiryAnswerForm(
                formdata=None, prefix=f"q{row.id}") for row in rows},
            "error": next((f for f in (forms or {}).values() if f.errors), None)}


@bp.post("/inquiries/<int:inquiry_id>/answer")
@staff_required(*REVIEWERS)
def answer_inquiry(inquiry_id):
    """The old county's answer, recorded once; the new county and the resident are told."""
    inquiry = db.session.get(RecordInquiry, inquiry_id)
    if (inquiry is None or inquiry.route != "in_process"
            or inquiry.old_county[:6] != current_user.region_code[:6]):
        abort(404)
    if inquiry.status != "asked":
        return redirect(url_for(".inquiries"), 303)  # answered already: the list as it is
    form = InquiryAnswerForm(prefix=f"q{inquiry.id}")
    if not form.validate():
        rows = closure.inquiries_to(current_user.region_code)
        return render_template("agency/inquiries.html",
                               **_inquiry_page(rows, {inquiry.id: form})), 400
    try:
        closure.answer_inquiry(inquiry, answer=form.answer.data,
                               correction_fen=form.correction_fen,
                               correction_year=form.correction_year,
                               actor=current_user.get_id())
    except closure.AlreadyAnswered:
        db.session.rollback()
    return redirect(url_for(".inquiries"), 303)


@bp.get("/debts")
@staff_required(*REVIEWERS)
def debts():
    """第三十六条: overpaid pension the settlement could not cover, to recover."""
    return render_template("agency/debts.html", rows=closure.debts(current_user.region_code),
                           mask=ids.mask)


@bp.get("/data-access")
@staff_required("admin")
def data_access():
    """Who looked at residents' personal data in this county (PIPL 第四十五条, 第五十七条):
    staff views of full details and documents, newest first, 100 a page."""
    rows = audit.data_access_in(current_user.region_code,
                                before=request.args.get("before", type=int))
    return render_template("agency/data_access.html", rows=rows,
                           people=db.by_id(Person, (row.person_id for row in rows)),
                           staff=db.by_id(StaffUser, (row.staff_id for row in rows)),
                           mask=ids.mask, more=len(rows) == 100)


@bp.route("/terminals", methods=["GET", "POST"])
@staff_required("admin")
def terminals():
    """County admins register self-service terminals (their public keys) and revoke them."""

    form = TerminalForm()
    if form.validate_on_submit():
        if queries.terminal_with_device(form.device_id.data):
            form.device_id.errors.append(_("A terminal with this device id is already "
                                           "registered"))
        else:
            try:
                kiosk.register(form.device_id.data, form.name.data, current_user.region_code,
                               (form.public_key.data or "").strip(),
                               actor=current_user.get_id())
                return redirect(url_for(".terminals"))
            except kiosk.BadKey:
                db.session.rollback()
                form.public_key.errors.append(_("The public key must be a 32-byte Ed25519 key "
                                                "in base64"))
    rows = queries.terminals_in(current_user.region_code)
    return render_template("agency/terminals.html", terminals=rows, form=form), \
        400 if form.errors else 200


@bp.post("/terminals/<int:terminal_id>/revoke")
@staff_required("admin")
def revoke_terminal(terminal_id):

    terminal = db.session.get(KioskTerminal, terminal_id)
    if terminal is None or not terminal.region_code.startswith(current_user.region_code[:6]):
        abort(404)
    kiosk.revoke(terminal, actor=current_user.get_id())
    return redirect(url_for(".terminals"))


# The working-day calendar (第八、十、二十四、三十九、四十二条 count in working days) -----------

CALENDAR_KEEPERS = ("admin",)


def _calendar_year_in_range(year: int) -> None:
    """Last year to two years ahead: what a notice can still be entered for."""
    this_year = china_today().year
    if not this_year - 1 <= year <= this_year + 2:
        abort(404)


@bp.get("/calendar")
@staff_required(*CALENDAR_KEEPERS)
def calendar_years():
    """The years a deadline can fall in, and whether each rests on a confirmed notice."""
    this_year = china_today().year
    cal = calendar.workday_calendar()
    entered = {row.year: row for row in calendar.years_entered()}
    years = [(year, entered.get(year), cal.year_is_confirmed(year),
              cal.workdays_between(date(year - 1, 12, 31), date(year, 12, 31)))
             for year in range(this_year - 1, this_year + 3)]
    return render_template("agency/calendar_years.html", years=years)


def render_calendar_year(year: int, form=None, status=200, problem=None):
    cal = calendar.workday_calendar()
    record = calendar.year_of(year)
    if form is None:
        form = CalendarYearForm(year=year, meta={"csrf": False})
        entries = calendar.overrides_in(year)
        form.notice.data = record.notice if record else ""
        form.days_off.data = _as_lines(d.day for d in entries if not d.is_workday)
        form.workdays.data = _as_lines(d.day for d in entries if d.is_workday)
    makers = calendar.makers_of(year)
    actors = makers | ({record.confirmed_by} if record and record.confirmed_by else set())
    people = db.by_id(StaffUser, (int(actor.split(":")[1]) for actor in actors
                                  if actor.startswith("staff:")))
    months = [(date(year, month, 1), grid.month_grid(cal, year, month))
              for month in range(1, 13)]
    return render_template(
        "agency/calendar_year.html", year=year, record=record, form=form,
        confirm_form=ConfirmYearForm(), months=months, problem=problem,
        confirmed=cal.year_is_confirmed(year), in_library=year <= grid.NOTICE_IN_LIBRARY_THROUGH,
        i_entered=current_user.get_id() in makers,
        who={person.get_id(): person.name for person in people.values()},
        workdays=cal.workdays_between(date(year - 1, 12, 31), date(year, 12, 31)),
        library_days_off=grid.as_ranges(grid.library_holidays(year))), status


def _as_lines(days) -> str:
    return "\n".join(first.isoformat() if first == last else
                     f"{first.isoformat()} 至 {last.isoformat()}"
                     for first, last in grid.as_ranges(list(days)))


@bp.route("/calendar/<int:year>", methods=["GET", "POST"])
@staff_required(*CALENDAR_KEEPERS)
def calendar_year(year):
    """Maker: enter a year's notice (days off and make-up working days); everyone sees the year
    as a calendar. Open applications' dates are counted again at once."""
    _calendar_year_in_range(year)
    if request.method == "GET":
        return render_calendar_year(year)
    form = CalendarYearForm(year=year)
    if not form.validate():
        return render_calendar_year(year, form, 400)
    calendar.enter_year(year, form.parsed["days_off"], form.parsed["workdays"],
                        form.notice.data, actor=current_user.get_id(), channel="console")
    return redirect(url_for(".calendar_year", year=year), 303)


@bp.post("/calendar/<int:year>/confirm")
@staff_required(*CALENDAR_KEEPERS)
def confirm_calendar_year(year):
    """Checker: a different member of staff confirms the days match the notice (refused in the
    operation for anyone who entered any of them)."""
    _calendar_year_in_range(year)
    if not ConfirmYearForm().validate():
        abort(400)
    try:
        calendar.confirm_year(year, actor=current_user.get_id(), channel="console")
    except calendar.SamePerson:
        return render_calendar_year(year, status=403, problem=_(
            "You entered days of this year's notice, so a different member of staff must "
            "confirm it."))
    except calendar.CalendarRefused:
        db.session.rollback()
        return render_calendar_year(year, status=409, problem=_(
            "There is nothing to confirm: the year is not entered, or someone has already "
            "confirmed it."))
    return redirect(url_for(".calendar_year", year=year), 303)


@bp.get("/death-reports")
@staff_required(*CLERKS, *REVIEWERS)
def death_reports():
    """第三十二条、第三十三条: the township forwards its villages' reports; the county decides on
    each beneficiary whose payment the match suspended."""

    area = db.session.get(Region, current_user.region_code)
    today = china_today()
    clerk = current_user.role in CLERKS
    rows = queries.death_reports(area.code[:9] if clerk else area.code[:6],
                                 ("reported",) if clerk else ("matched", "contested"))
    # What the forward will find: the clerk sees the registries' answer before sending.
    results = {report.id: assist.registry_result(report, today) if clerk
               else report.registry_result for report in rows}
    objections = assist.objections_for(area.code) if clerk else []
    # 第三十二条: villages late with last month's return, and what the daily job flagged.
    month, due, late = assist.late_villages(area.code[:9] if clerk else area.code[:6], today,
                                            calendar.workday_calendar())
    return render_template("agency/death_reports.html", reports=rows, mask=ids.mask,
                           clerk=current_user.role in CLERKS, objections=objections,
                           results=results, late=late, return_month=month, return_due=due,
                           flags=assist.late_flags_for(area.code) if clerk else [])


@bp.post("/death-reports/forward")
@staff_required(*CLERKS)
def forward_death_reports():

    assist.forward(current_user, china_today())
    return redirect(url_for(".death_reports"))


@bp.post("/death-reports/<int:report_id>/<verdict>")
@staff_required(*REVIEWERS)
def decide_death_report(report_id, verdict):

    report = db.session.get(DeathReport, report_id)
    if (report is None or report.status not in ("matched", "contested")
            or verdict not in ("confirmed", "alive")
            or not report.village_code.startswith(current_user.region_code[:6])):
        abort(404)
    if verdict == "confirmed":
        assist.confirm_death(report, current_user)
    else:
        assist.still_alive(report, current_user)
    return redirect(url_for(".death_reports"))


_register_actions()
