"""The pages every declared flow gets: start, one question per page, check answers, submit.

The same pages serve a resident for themselves and a village assistant filing for a resident
under that resident's consent for the task (/apply/assist/<consent>/…): who is acting, for whom
and through which channel is decided once, in `acting_for`, and recorded on the application.
"""

from dataclasses import dataclass
from functools import partial, wraps
from types import FunctionType

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
from werkzeug.datastructures import MultiDict

from .. import queries
from ..auth.resident import resident_guard, step_up_redirect
from ..auth.staff import staff_refusal
from ..exchange.registries import compare_person
from ..extensions import db
from ..models import Application, Person
from ..operations import applications, assist
from ..operations.uploads import UploadRejected
from ..regions import county_of, region_path
from ..rules.dates import china_today
from ..schemes import scheme_for, township_first_check
from . import declared  # noqa: F401  (registers every flow)
from .engine import REGISTRY, Context, Flow
from .forms import SubmitForm

bp = Blueprint("flows", __name__, url_prefix="/apply")
ASSISTED = "/assist/<int:consent_id>"


@dataclass
class Acting:
    """Who files, for whom, through which channel."""

    person: Person
    actor: str
    filed_by_kind: str  # resident / assistant
    channel: str  # online / kiosk / assisted
    on_behalf_of: str | None = None
    consent: object = None
    assistant_name: str | None = None


@bp.url_defaults
def keep_consent(endpoint, values):
    """Inside an assisted task every flow link stays inside it."""
    if g.get("consent_id") and "consent_id" not in values and endpoint.startswith("flows."):
        values["consent_id"] = g.consent_id


def acting_for(view):
    """Deny by default: a signed-in resident for themselves, or a village assistant (two
    factors) under a valid consent of the resident for this very service."""

    @wraps(view)
    def wrapper(*args, consent_id=None, **kwargs):
        if consent_id is None:
            if not current_user.is_authenticated and session.get("timed_out_user"):
                return signed_out_for_safety(kwargs)
            refused = resident_guard()
            if refused is not None:
                return refused
            g.acting = Acting(current_user, current_user.get_id(), "resident",
                              session.get("channel", "online"))
            return view(*args, **kwargs)
        refused = staff_refusal("village_assistant")
        if refused is not None:
            return refused
        consent = assist.valid_consent(consent_id, current_user, china_today())
        if consent is None or consent.flow != kwargs.get("flow_name"):
            abort(404)
        g.consent_id = consent_id
        person = db.session.get(Person, consent.person_id)
        g.acting = Acting(person, current_user.get_id(), "assistant", "assisted",
                          person.get_id(), consent, current_user.name)
        flow = _flow(kwargs["flow_name"])
        if flow.face or flow.step_up:
            # The resident's own face check is needed: the assistant's device has no certified
            # face check here, so the resident is routed to a kiosk visit.
            return render_template("flows/needs_kiosk.html", flow=flow, person=person)
        return view(*args, **kwargs)

    return wrapper


def signed_out_for_safety(kwargs):
    """The session ended while the resident was on a flow's page (security.md: 15 minutes idle):
    say so plainly, keep what they had just typed in their draft, and send them back to the same
    page after signing in again (ux.md: nothing typed is lost)."""
    flow = REGISTRY.get(kwargs.get("flow_name"))
    step_name = kwargs.get("step_name")
    session["next"] = _back_after_sign_in(flow, step_name)
    kept = flow is not None and step_name is not None and _keep_typed(flow, step_name)
    return render_template("public/timed_out.html", kept=kept), 401


def _back_after_sign_in(flow: Flow | None, step_name: str | None) -> str:
    """The page the resident was on (a POST-only page's GET twin)."""
    if flow is None:
        return request.full_path if request.method == "GET" else url_for("resident.home")
    if step_name is not None:
        return url_for(".step", flow_name=flow.name, step_name=step_name)
    if request.endpoint == "flows.check":
        return url_for(".check", flow_name=flow.name)
    return url_for(".start", flow_name=flow.name)


def _keep_typed(flow: Flow, step_name: str) -> bool:
    """What a resident (not an assistant) had just sent on a question page, kept unsent in
    their draft; True when something was kept."""
    kind, _sep, number = session["timed_out_user"].partition(":")
    current = flow.step(step_name)
    if request.method != "POST" or kind != "resident" or not number.isdigit() or not current:
        return False
    typed = request.form.to_dict(flat=False)
    fields = {name: typed[name] for name in current.fields() if name in typed}
    if fields:
        applications.keep_unsent(int(number), flow.name, step_name, fields)
    return bool(fields)


def _flow(name: str) -> Flow:
    flow = REGISTRY.get(name)
    if flow is None:
        abort(404)
    return flow


def resident_context(flow: Flow) -> Context:
    person = g.acting.person
    today = china_today()
    comparison = compare_person(person.id_type, person.id_number, person.name, today).as_dict()
    relation = queries.current_relation(person.id)
    return Context(
        person=person,
        today=today,
        channel=g.acting.channel,
        comparison=comparison,
        scheme=scheme_for(current_app.config["SCHEME_PROVINCE"]),
        extra={
            "county_code": county_of(comparison.get("hukou_region_code")),
            "hukou_name": region_path(comparison.get("hukou_region_code")),
            "local_relation_region": relation.region_code if relation else None,
            "relation": relation,
            # Where the resident is insured handles everything after enrolment.
            "service_county": relation.region_code if relation else county_of(
                comparison.get("hukou_region_code")),
            "actor": g.acting.actor,  # who stores uploads: the resident or the assistant
        },
    )


def open_application(flow: Flow) -> Application | None:
    return queries.open_application(g.acting.person.id, flow.name)


def _step_up(flow: Flow):
    """The redirect to a fresh face check when the flow needs one and the sign-in is not."""
    if flow.step_up or flow.face:
        return step_up_redirect(fresh=flow.step_up)
    return None


def hint_text(step, ctx):
    """A hint is text, or a function of the context (e.g. what the government pays for you)."""
    return step.hint(ctx) if isinstance(step.hint, FunctionType) else step.hint


@bp.get("/<flow_name>/")
@bp.get(ASSISTED + "/<flow_name>/")
@acting_for
def start(flow_name):
    flow = _flow(flow_name)
    if again := _step_up(flow):
        return again
    ctx = resident_context(flow)
    pending = open_application(flow)
    if pending is not None:
        return render_template("flows/stopped.html", flow=flow, application=pending,
                               reasons=[flow.obstacle_text["open_application"]])
    reasons = flow.obstacles(ctx)
    if reasons:
        return render_template("flows/stopped.html", flow=flow, application=None,
                               reasons=[flow.obstacle_text[r] for r in reasons])
    draft = applications.draft_for(g.acting.person.id, flow.name)
    resume = flow.first_unanswered(draft.answers, ctx) if draft else None
    return render_template("flows/start.html", flow=flow, facts=flow.known_facts(ctx),
                           draft=draft, resume=resume)


@bp.route("/<flow_name>/step/<step_name>", methods=["GET", "POST"])
@bp.route(ASSISTED + "/<flow_name>/step/<step_name>", methods=["GET", "POST"])
@acting_for
def step(flow_name, step_name):
    flow = _flow(flow_name)
    if again := _step_up(flow):
        return again
    ctx = resident_context(flow)
    if flow.obstacles(ctx) or open_application(flow):
        return redirect(url_for(".start", flow_name=flow.name))
    draft = applications.draft_for(g.acting.person.id, flow.name)
    answers = dict(draft.answers) if draft else {}
    current = flow.step(step_name)
    if current is None or not current.condition(answers, ctx):
        abort(404)
    returning = request.args.get("return") == "check"
    form = _step_form(current, answers)
    current.prepare(form, answers, ctx)
    page = partial(render_template, "flows/step.html", flow=flow, step=current, form=form,
                   hint=hint_text(current, ctx), returning=returning)
    if form.validate_on_submit():
        new, problem = _new_answers(current, form, answers, ctx)
        if problem:
            db.session.rollback()  # nothing of a refused answer is kept (uploads included)
            form[current.fields()[0]].errors = [str(problem)]
            return page(back=url_for(".start", flow_name=flow.name)), 400
        keep = flow.relevant_answers({**answers, **new}, ctx)
        applications.save_answers(g.acting.person.id, flow.name, current.name, new, keep)
        return _after_answer(flow, current, {**keep, **new}, ctx, returning)
    back = _back_from_step(flow, current, answers, ctx, returning)
    return page(back=back), 400 if form.errors else 200


def _step_form(current, answers: dict):
    """The question's form with the answer given before; or, once after a session ended, with
    what was typed then (shown as typed, checked when sent)."""
    unsent = answers.get(applications.UNSENT) or {}
    if request.method == "GET" and unsent.get("step") == current.name:
        return current.form(formdata=MultiDict(
            [(name, value) for name, values in unsent["fields"].items() for value in values]))
    return current.form(data={k: answers[k] for k in current.fields() if k in answers})


def _new_answers(current, form, answers: dict, ctx: Context) -> tuple[dict, str | None]:
    """The step's answers from its form, and the step's own objection to them, if any."""
    try:
        new = (current.to_answers(form, answers, ctx) if current.to_answers else
               {name: form[name].data for name in current.fields()})
        return new, current.check(new, ctx)
    except UploadRejected as rejected:
        return {}, _(str(rejected), **rejected.params)


def _after_answer(flow: Flow, current, merged: dict, ctx: Context, returning: bool):
    """Stop (the answer rules the service out), or the next question, or check answers."""
    reason = flow.stop_reason(merged, ctx)
    if reason:
        return render_template("flows/stopped.html", flow=flow, application=None,
                               reasons=[flow.obstacle_text[reason]])
    following = flow.first_unanswered(merged, ctx) if returning else flow.next_step(
        current.name, merged, ctx)
    if following is None:
        return redirect(url_for(".check", flow_name=flow.name))
    return redirect(url_for(".step", flow_name=flow.name, step_name=following.name))


def _back_from_step(flow: Flow, current, answers: dict, ctx: Context, returning: bool) -> str:
    if returning:
        return url_for(".check", flow_name=flow.name)
    previous = flow.previous_step(current.name, answers, ctx)
    if previous:
        return url_for(".step", flow_name=flow.name, step_name=previous.name)
    return url_for(".start", flow_name=flow.name)


@bp.route("/<flow_name>/check", methods=["GET", "POST"])
@bp.route(ASSISTED + "/<flow_name>/check", methods=["GET", "POST"])
@acting_for
def check(flow_name):
    flow = _flow(flow_name)
    if again := _step_up(flow):
        return again
    ctx = resident_context(flow)
    draft = applications.draft_for(g.acting.person.id, flow.name)
    form = SubmitForm()
    if draft is None:
        return _already_submitted(flow, form.submission_key.data)
    missing = flow.first_unanswered(draft.answers, ctx)
    if missing is not None:
        return redirect(url_for(".step", flow_name=flow.name, step_name=missing.name))
    if form.validate_on_submit():
        if flow.declaration is not None and not form.declared():
            form.declaration.errors.append(
                _("Confirm that the information is true to submit your application"))
        elif flow.obstacles(ctx) or flow.stop_reason(draft.answers, ctx):
            return redirect(url_for(".start", flow_name=flow.name))
        else:
            return confirmation(_submit(flow, draft, ctx))
    return _check_page(flow, draft, ctx, form), 400 if form.errors else 200


def _check_page(flow: Flow, draft, ctx: Context, form: SubmitForm) -> str:
    """Every answer with a link to change it that comes back here (ux.md check answers)."""
    visible = flow.visible_steps(draft.answers, ctx)
    rows = [(s.title, s.summary(draft.answers, ctx),
             url_for(".step", flow_name=flow.name, step_name=s.name, **{"return": "check"}))
            for s in visible]
    back = url_for(".step", flow_name=flow.name, step_name=visible[-1].name)
    return render_template("flows/check.html", flow=flow, rows=rows, draft=draft, back=back,
                           facts=flow.known_facts(ctx), form=form)


def _already_submitted(flow: Flow, key: str | None):
    """Back button after submitting: show what was submitted instead of an empty form."""
    done = applications.by_submission_key(key) if key else None
    if done is not None and done.person_id == g.acting.person.id:
        return confirmation(done)
    return redirect(url_for(".start", flow_name=flow.name))


def _submit(flow: Flow, draft, ctx: Context) -> Application:
    """Filed where the flow is handled (the household's county or the insured one), checked
    first by the township where the county asks for it (初审, 第四条)."""
    hukou = ctx.comparison.get("hukou_region_code")
    consent = g.acting.consent
    return applications.submit(
        flow=flow, draft=draft, ctx=ctx,
        county_code=ctx.extra["county_code" if flow.handled_in == "hukou" else "service_county"],
        actor=g.acting.actor, filed_by_kind=g.acting.filed_by_kind, channel=ctx.channel,
        on_behalf_of=g.acting.on_behalf_of, consent_id=consent.id if consent else None,
        also=_tell_the_resident if consent else None,
        township_code=hukou[:9] + "000" if hukou else None,
        township_check=flow.township_first and township_first_check(
            ctx.scheme, ctx.extra["county_code"]),
        deadline_workdays=current_app.config.get(flow.deadline_setting))


@bp.post("/<flow_name>/discard")
@bp.post(ASSISTED + "/<flow_name>/discard")
@acting_for
def discard(flow_name):
    flow = _flow(flow_name)
    applications.discard_draft(g.acting.person.id, flow.name)
    return redirect(url_for(".start", flow_name=flow.name))


def confirmation(application: Application):
    """303 See Other: the answer to the submitting POST is the confirmation page, for the one
    request that created the application and for every duplicate alike."""
    if g.acting.consent is not None:
        return redirect(url_for("assist.application", reference=application.reference), 303)
    return redirect(url_for("resident.confirmation", reference=application.reference), 303)


def _tell_the_resident(application: Application) -> None:
    assist.notify_filing(application, current_user, g.acting.consent)
