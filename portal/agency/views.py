"""County staff: sign in with password + TOTP, see the queue of their area, decide applications."""

import time

from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from .. import lifecycle, presenters, queries
from ..auth.staff import staff_required
from ..extensions import db
from ..flows import declared  # noqa: F401  (every flow's lifecycle)
from ..flows.engine import REGISTRY
from ..models import (
    Application,
    Person,
    Region,
    StaffUser,
    Upload,
)
from ..operations import (
    approvals,
    audit,
    benefits,
    closure,
    ledger,
    residents,
    transitions,
)
from ..operations import staff as staff_ops
from ..operations.uploads import send_upload
from ..regions import region_path
from ..rules import ids
from ..rules.dates import china_today
from ..web import ERROR_PAGES, render_error
from .forms import (
    CodeForm,
    PasswordForm,
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


_register_actions()
