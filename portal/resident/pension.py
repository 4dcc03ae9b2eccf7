"""The resident's pension: the notice before 60 (第二十二条), the decision to confirm
(第二十四条), and, once receiving, the monthly amount, payments and eligibility confirmation
(第二十六条至第三十一条)."""

from flask import abort, current_app, redirect, render_template, url_for
from flask_login import current_user

from .. import queries
from ..auth.resident import resident_required
from ..extensions import db
from ..models import Application
from ..operations import benefits, eligibility
from ..rules import contact
from ..rules.benefits import next_payment_date, payment_day_in
from ..rules.dates import china_today
from .views import bp


@bp.get("/pension")
@resident_required()
def pension():
    notice = queries.pension_notice_of(current_user.id)
    # The claim's decision to confirm, or the one paid now; a re-determination waiting for
    # confirmation is confirmed with its dispute (第二十五条) and only announced here.
    decision = benefits.decision_to_show(current_user.id)
    pending = benefits.pending_redetermination(current_user.id)
    relation = queries.current_relation(current_user.id)
    today, day = china_today(), current_app.config["PENSION_PAYMENT_DAY"]
    standing = eligibility.standing_of(current_user.id, today, relation) if relation else None
    claim = db.session.get(Application, decision.application_id) if decision else None
    receiving = relation is not None and relation.status == "receiving"
    return render_template(
        "resident/pension.html", notice=notice, decision=decision, relation=relation,
        claim=claim, payments=benefits.payments_of(current_user.id), standing=standing,
        confirmations=eligibility.history(current_user.id) if standing else [],
        helpers=eligibility.helpers_of(current_user) if standing else [],
        # 第二十七条: this month's amount at this year's basic pension, not the decided one.
        current=benefits.current_amount(current_user.id, today) if receiving else None,
        next_payment=max(next_payment_date(today, day),
                         payment_day_in(relation.benefit_from, day))
        if receiving and relation.benefit_from else None,
        bank=contact.mask_bank_account(decision.bank_account) if decision else None,
        redetermination=db.session.get(Application, pending.application_id) if pending
        else None,
        adjustments=benefits.adjustments_of(current_user.id))


@bp.post("/pension/confirm")
@resident_required("face", back="resident.pension")
def confirm_pension():
    """第二十四条: the resident accepts the 核定表 they have read."""
    decision = benefits.claim_decision(current_user.id)
    if decision is None:
        abort(404)
    try:
        benefits.confirm(decision, current_user)
    except benefits.WrongState:
        db.session.rollback()
        abort(409)
    return redirect(url_for(".pension"))


@bp.get("/pension/notice")
@resident_required()
def pension_notice():
    notice = queries.pension_notice_of(current_user.id)
    if notice is None:
        abort(404)
    return render_template("resident/pension_notice.html", notice=notice)
