"""County staff: sign in with password + TOTP, see the queue of their area, decide applications."""

import time
from functools import wraps

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from ..extensions import db
from ..flows.engine import REGISTRY
from ..models import Application, OutboxMessage, Person, Region, Upload
from ..operations import applications, tax_export
from ..operations import staff as staff_ops
from ..operations.uploads import send_upload
from ..regions import region_path
from ..rules import ids

bp = Blueprint("agency", __name__, url_prefix="/agency")

REVIEWERS = ("county_reviewer", "admin")
CLERKS = ("township_clerk",)
PENDING_LIFETIME = 300  # seconds between password and code


class PasswordForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(_l("Enter your username"))])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password"))])


class CodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app"),
                       validators=[InputRequired(_l("Enter the 6-digit code"))])


def staff_required(*roles):
    """Deny by default: a staff member who passed both factors, in one of `roles`."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("agency.sign_in"))
            if current_user.kind != "staff" or session.get("acr") != "staff-mfa":
                abort(403)
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def in_my_area(application: Application) -> bool:
    """County staff see their county; a township clerk only applications checked first there."""
    area = db.session.get(Region, current_user.region_code)
    if area is None:
        return False
    if current_user.role in CLERKS:
        return application.township_check and area.contains(application.township_code or "")
    return area.contains(application.region_code)


def my_turn(application: Application) -> bool:
    """Whether the signed-in staff member is the one to act on it now."""
    if current_user.role in CLERKS:
        return application.township_check and application.status == "submitted"
    return application.status == ("township_checked" if application.township_check
                                  else "submitted")


def application_in_my_area(reference: str) -> Application:
    """Record-level check: outside the staff member's area an application does not exist."""
    item = db.session.scalar(select(Application).filter_by(reference=reference))
    if item is None or not in_my_area(item):
        abort(404)
    return item


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            staff = staff_ops.check_password(form.username.data, form.password.data)
        except staff_ops.Locked:
            return render_template("agency/locked.html"), 429
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
        try:
            staff = staff_ops.check_second_factor(pending["id"], form.code.data)
        except staff_ops.Locked:
            return render_template("agency/locked.html"), 429
        if staff is None:
            form.code.errors.append(_("The code is not right. Use the newest code in the app."))
            return render_template("agency/code.html", form=form), 400
        session.rotate()
        login_user(staff)
        session["acr"] = "staff-mfa"
        return redirect(url_for(".queue"))
    return render_template("agency/code.html", form=form), 400 if form.errors else 200


@bp.get("/")
@staff_required(*REVIEWERS, *CLERKS)
def queue():
    area = db.session.get(Region, current_user.region_code)
    if current_user.role in CLERKS:
        waiting = (Application.township_code == area.code) & Application.township_check & (
            Application.status == "submitted")
    else:
        waiting = Application.region_code.startswith(area.code[:6]) & (
            ((Application.status == "submitted") & ~Application.township_check)
            | (Application.status == "township_checked"))
    rows = db.session.execute(
        select(Application, Person).join(Person, Person.id == Application.person_id)
        .filter(waiting).order_by(Application.due_on, Application.submitted_at)
    ).all()
    today = applications.china_today()
    return render_template("agency/queue.html", rows=rows, today=today, area=area,
                           flows=REGISTRY, mask=ids.mask)


def render_review(item: Application, error, status, reason=None):
    """The review page: answers as the resident saw them, comparison results beside them."""
    flow = REGISTRY.get(item.kind)
    answers = [(step.title, step.summary(item.answers, None)) for step in flow.steps
               if any(name in item.answers for name in step.fields())] if flow else []
    return render_template(
        "agency/application.html", application=item, flow=flow, answers=answers,
        person=db.session.get(Person, item.person_id), error=error, reason=reason,
        hukou_name=region_path(item.comparison.get("hukou_region_code")),
        uploads=db.session.scalars(select(Upload).filter_by(application_id=item.id)).all(),
        today=applications.china_today(), my_turn=my_turn(item),
        clerk=current_user.role in CLERKS,
    ), status


@bp.get("/uploads/<int:upload_id>")
@staff_required(*REVIEWERS, *CLERKS)
def upload(upload_id):
    item = db.session.get(Upload, upload_id)
    application = db.session.get(Application, item.application_id) if item and (
        item.application_id) else None
    if application is None or not in_my_area(application):
        abort(404)
    return send_upload(item)


@bp.get("/applications/<reference>")
@staff_required(*REVIEWERS, *CLERKS)
def application(reference):
    return render_review(application_in_my_area(reference), None, 200)


@bp.post("/applications/<reference>/decision")
@staff_required(*REVIEWERS)
def decide(reference):
    item = application_in_my_area(reference)
    decision = request.form.get("decision")
    reason = (request.form.get("reason") or "").strip()
    error = None
    if decision not in ("approve", "reject"):
        error = _("Choose approve or reject")
    elif decision == "reject" and len(reason) < 4:
        error = _("Write the reason the resident will read (at least 4 characters)")
    if error:
        return render_review(item, error, 400, reason=reason)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    try:
        applications.decide(item, expected_version=version, approve=decision == "approve",
                            reason=reason or None, staff=current_user)
    except (applications.ConcurrentDecision, applications.NotOpen):
        db.session.rollback()
        fresh = db.session.scalar(select(Application).filter_by(reference=reference))
        return render_review(fresh, _("Someone else has already dealt with this application. "
                                      "Here it is as it stands now."), 409)
    return redirect(url_for(".queue"))


@bp.post("/applications/<reference>/township-check")
@staff_required(*CLERKS)
def township_check(reference):
    item = application_in_my_area(reference)
    note = (request.form.get("note") or "").strip()[:500] or None
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    try:
        applications.township_checked(item, expected_version=version, note=note,
                                      staff=current_user)
    except (applications.ConcurrentDecision, applications.NotOpen):
        db.session.rollback()
        fresh = db.session.scalar(select(Application).filter_by(reference=reference))
        return render_review(fresh, _("Someone else has already dealt with this application. "
                                      "Here it is as it stands now."), 409)
    return redirect(url_for(".queue"))


@bp.get("/tax-registrations")
@staff_required(*REVIEWERS)
def tax_registrations():
    """第十三条: registrations the tax department refused, and the batches sent lately."""
    area = db.session.get(Region, current_user.region_code)
    return render_template("agency/tax_registrations.html", area=area,
                           rejected=tax_export.rejected_registrations(area.code),
                           batches=tax_export.recent_batches(), mask=ids.mask)


@bp.post("/tax-registrations/<int:row_id>/resend")
@staff_required(*REVIEWERS)
def resend_tax_registration(row_id):
    row = db.session.get(OutboxMessage, row_id)
    if (row is None or row.channel != "tax" or row.status != "rejected"
            or row.params.get("county_code") != current_user.region_code):
        abort(404)
    tax_export.resend(row, actor=current_user.get_id())
    return redirect(url_for(".tax_registrations"))
