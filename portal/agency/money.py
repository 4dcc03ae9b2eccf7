"""The county's money desk: registrations and contributions the tax department refused
(第十三条、第十七条), payment runs and re-issues (第二十七条、第二十九条), payouts approved by
a second person (第六十二条), and overpaid pensions to recover (第三十六条)."""


from flask import (
    abort,
    redirect,
    render_template,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from ..auth.staff import staff_required
from ..constants import PayoutKind
from ..extensions import db
from ..flows import declared  # noqa: F401  (every flow's lifecycle)
from ..models import (
    Application,
    OutboxMessage,
    Person,
    Region,
)
from ..operations import (
    approvals,
    benefits,
    closure,
    tax_export,
    tax_import,
    transitions,
)
from ..rules import ids
from .forms import (
    ApprovalForm,
    ReturnPayoutForm,
)
from .views import (
    CHECKERS,
    REVIEWERS,
    bp,
)


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


def render_approvals(notice=None, status=200, returning=None):
    county = current_user.region_code
    waiting, done = approvals.awaiting(county), approvals.recently_approved(county)
    returned = approvals.recently_returned(county)
    returning = returning or {}
    return render_template(
        "agency/approvals.html", waiting=waiting, done=done, notice=notice, returned=returned,
        return_forms={item.id: returning.get(item.id) or ReturnPayoutForm(
            formdata=None, prefix=f"p{item.id}", version=item.version) for item in waiting},
        error=next((f for f in returning.values() if f.errors), None),
        payout_names=approvals.names(waiting + done + returned),
        people=db.by_id(Person, (a.person_id for a in waiting + done if a.person_id)),
        applications=db.by_id(Application, (a.application_id for a in waiting + done
                                            if a.application_id)),
        mask=ids.mask, may_approve=current_user.role in CHECKERS,
        me=current_user.get_id()), status


SAME_PERSON = _l("You prepared this payout, so a different member of staff must approve it "
                 "(第六十二条).")


def standalone_payout(approval_id: int):
    """The payout not bound to an application, in this checker's county: none there is a 404;
    one bound to an application is approved or returned through the application's lifecycle,
    so the checker is sent to its review page."""
    item = approvals.in_county(approval_id, current_user.region_code)
    if item is None:
        abort(404)
    if item.application_id is not None:
        abort(redirect(url_for(".application", reference=db.session.get(
            Application, item.application_id).reference), 303))
    return item


@bp.post("/approvals/<int:approval_id>/approve")
@staff_required(*CHECKERS)
def approve_payout(approval_id):
    """复核 of a payout not bound to an application (a transfer's balance, a re-issue)."""
    item = standalone_payout(approval_id)
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


@bp.post("/approvals/<int:approval_id>/return")
@staff_required(*CHECKERS)
def return_payout(approval_id):
    """复核 finds a payout not bound to an application wrong: back to its preparer with the
    reason, nothing paid (第六十二条)."""
    item = standalone_payout(approval_id)
    form = ReturnPayoutForm(prefix=f"p{item.id}")
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return render_approvals(status=400, returning={item.id: form})
    try:
        if form.version.data == item.version:
            approvals.send_back(item, actor=current_user.get_id(), reason=form.reason.data)
    except (transitions.ConcurrentDecision, transitions.NotOpen):
        db.session.rollback()
    except approvals.SamePerson:
        db.session.rollback()
        return render_approvals(SAME_PERSON, 403)
    return redirect(url_for(".approvals_queue"), 303)


@bp.get("/debts")
@staff_required(*REVIEWERS)
def debts():
    """第三十六条: overpaid pension the settlement could not cover, to recover."""
    return render_template("agency/debts.html", rows=closure.debts(current_user.region_code),
                           mask=ids.mask)
