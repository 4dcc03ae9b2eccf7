"""The pages every declared flow gets: start, one question per page, check answers, submit."""

from types import FunctionType

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
from sqlalchemy import select

from ..auth.resident import resident_required, step_up_redirect
from ..exchange.registries import compare_person
from ..extensions import db
from ..models import OPEN_STATUSES, Application, InsuranceRelation
from ..operations import applications
from ..operations.uploads import UploadRejected
from ..regions import county_of, region_path
from ..schemes import scheme_for, township_first_check
from . import changes, claim, closure, enrolment, requests  # noqa: F401  (registers flows)
from .engine import REGISTRY, Context, Flow

bp = Blueprint("flows", __name__, url_prefix="/apply")


def _flow(name: str) -> Flow:
    flow = REGISTRY.get(name)
    if flow is None:
        abort(404)
    return flow


def resident_context(flow: Flow) -> Context:
    person = current_user
    today = applications.china_today()
    comparison = compare_person(person.id_type, person.id_number, person.name, today).as_dict()
    relation = db.session.scalar(
        select(InsuranceRelation).filter(InsuranceRelation.person_id == person.id,
                                         InsuranceRelation.status != "terminated")
    )
    return Context(
        person=person,
        today=today,
        channel=session.get("channel", "online"),
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
        },
    )


def open_application(flow: Flow) -> Application | None:
    return db.session.scalar(
        select(Application).filter(Application.person_id == current_user.id,
                                   Application.kind == flow.name,
                                   Application.status.in_(OPEN_STATUSES))
    )


def hint_text(step, ctx):
    """A hint is text, or a function of the context (e.g. what the government pays for you)."""
    return step.hint(ctx) if isinstance(step.hint, FunctionType) else step.hint


@bp.get("/<flow_name>/")
@resident_required()
def start(flow_name):
    flow = _flow(flow_name)
    if (flow.step_up or flow.face) and (again := step_up_redirect(fresh=flow.step_up)):
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
    draft = applications.draft_for(current_user.id, flow.name)
    resume = flow.first_unanswered(draft.answers, ctx) if draft else None
    return render_template("flows/start.html", flow=flow, facts=flow.known_facts(ctx),
                           draft=draft, resume=resume)


@bp.route("/<flow_name>/step/<step_name>", methods=["GET", "POST"])
@resident_required()
def step(flow_name, step_name):
    flow = _flow(flow_name)
    if (flow.step_up or flow.face) and (again := step_up_redirect(fresh=flow.step_up)):
        return again
    ctx = resident_context(flow)
    if flow.obstacles(ctx) or open_application(flow):
        return redirect(url_for(".start", flow_name=flow.name))
    draft = applications.draft_for(current_user.id, flow.name)
    answers = dict(draft.answers) if draft else {}
    current = flow.step(step_name)
    if current is None or not current.condition(answers, ctx):
        abort(404)
    returning = request.args.get("return") == "check"
    form = current.form(data={k: answers[k] for k in current.fields() if k in answers})
    current.prepare(form, answers, ctx)
    if form.validate_on_submit():
        try:
            new = (current.to_answers(form, answers, ctx) if current.to_answers else
                   {name: form[name].data for name in current.fields()})
            problem = current.check(new, ctx)
        except UploadRejected as rejected:
            problem = _(str(rejected))
        if problem:
            db.session.rollback()  # nothing of a refused answer is kept (uploads included)
            form[current.fields()[0]].errors = [str(problem)]
            return render_template("flows/step.html", flow=flow, step=current, form=form,
                                   back=url_for(".start", flow_name=flow.name),
                                   hint=hint_text(current, ctx), returning=returning), 400
        keep = flow.relevant_answers({**answers, **new}, ctx)
        applications.save_answers(current_user.id, flow.name, current.name, new, keep)
        merged = {**keep, **new}
        reason = flow.stop_reason(merged, ctx)
        if reason:
            return render_template("flows/stopped.html", flow=flow, application=None,
                                   reasons=[flow.obstacle_text[reason]])
        following = flow.first_unanswered(merged, ctx) if returning else flow.next_step(
            current.name, merged, ctx)
        if following is None or (returning and flow.first_unanswered(merged, ctx) is None):
            return redirect(url_for(".check", flow_name=flow.name))
        return redirect(url_for(".step", flow_name=flow.name, step_name=following.name))
    previous = flow.previous_step(current.name, answers, ctx)
    back = (url_for(".check", flow_name=flow.name) if returning else
            url_for(".step", flow_name=flow.name, step_name=previous.name) if previous else
            url_for(".start", flow_name=flow.name))
    status = 400 if form.errors else 200
    return render_template("flows/step.html", flow=flow, step=current, form=form, back=back,
                           hint=hint_text(current, ctx), returning=returning), status


@bp.route("/<flow_name>/check", methods=["GET", "POST"])
@resident_required()
def check(flow_name):
    flow = _flow(flow_name)
    if (flow.step_up or flow.face) and (again := step_up_redirect(fresh=flow.step_up)):
        return again
    ctx = resident_context(flow)
    draft = applications.draft_for(current_user.id, flow.name)
    if draft is None:
        # Back button after submitting: show what was submitted instead of an empty form.
        key = request.form.get("submission_key")
        done = applications.by_submission_key(key) if key else None
        if done is not None and done.person_id == current_user.id:
            return redirect(url_for("resident.confirmation", reference=done.reference))
        return redirect(url_for(".start", flow_name=flow.name))
    missing = flow.first_unanswered(draft.answers, ctx)
    if missing is not None:
        return redirect(url_for(".step", flow_name=flow.name, step_name=missing.name))
    error = None
    if request.method == "POST":
        if flow.declaration is not None and request.form.get("declaration") != "yes":
            error = _("Confirm that the information is true to submit your application")
        elif flow.obstacles(ctx) or flow.stop_reason(draft.answers, ctx):
            return redirect(url_for(".start", flow_name=flow.name))
        else:
            hukou = ctx.comparison.get("hukou_region_code")
            application = applications.submit(
                flow=flow, draft=draft, ctx=ctx, county_code=ctx.extra[
                    "county_code" if flow.name in ("enrolment", "transfer_in")
                    else "service_county"],
                actor=current_user.get_id(), filed_by_kind="resident", channel=ctx.channel,
                township_code=hukou[:9] + "000" if hukou else None,
                township_check=flow.name == "enrolment" and township_first_check(
                    ctx.scheme, ctx.extra["county_code"]),
                deadline_workdays=current_app.config.get(flow.deadline_setting))
            return redirect(url_for("resident.confirmation", reference=application.reference))
    visible = flow.visible_steps(draft.answers, ctx)
    rows = [(s.title, s.summary(draft.answers, ctx),
             url_for(".step", flow_name=flow.name, step_name=s.name, **{"return": "check"}))
            for s in visible]
    back = url_for(".step", flow_name=flow.name, step_name=visible[-1].name)
    return render_template("flows/check.html", flow=flow, rows=rows, draft=draft, back=back,
                           facts=flow.known_facts(ctx), error=error), 400 if error else 200


@bp.post("/<flow_name>/discard")
@resident_required()
def discard(flow_name):
    flow = _flow(flow_name)
    applications.discard_draft(current_user.id, flow.name)
    return redirect(url_for(".start", flow_name=flow.name))
