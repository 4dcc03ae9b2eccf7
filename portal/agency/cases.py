"""Cases the county follows beyond one application: yearly eligibility (第三十一条),
transfers between counties (第四十三条至第四十五条), questions to an old county (第四十四条) and
village death reports (第三十二条、第三十三条)."""


from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user

from .. import queries
from ..auth.staff import staff_required
from ..extensions import db
from ..flows import declared  # noqa: F401  (every flow's lifecycle)
from ..models import (
    DeathReport,
    Person,
    RecordInquiry,
    Region,
    TransferCase,
)
from ..operations import (
    approvals,
    assist,
    calendar,
    closure,
    eligibility,
)
from ..rules import ids
from ..rules.dates import china_today
from ..schemes import scheme_for
from .forms import (
    InquiryAnswerForm,
)
from .views import (
    CHECKERS,
    CLERKS,
    REVIEWERS,
    bp,
)


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
