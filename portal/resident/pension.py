"""The resident's pension: the notice before 60 (第二十二条), the decision to confirm
(第二十四条), and, once receiving, the monthly amount, payments and eligibility confirmation
(第二十六条至第三十一条)."""

from datetime import date

from flask import abort, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..auth.resident import resident_required
from ..extensions import db
from ..models import Application, BenefitDecision, InsuranceRelation, PensionNotice
from ..operations import benefits
from ..operations.applications import china_today
from ..rules import contact
from ..rules.benefits import first_payment_month
from .views import bp


def next_payment_date(today: date, payment_day: int) -> date:
    """Pensions reach the bank on a fixed day of the month (configuration)."""
    this_month = today.replace(day=payment_day)
    return this_month if today <= this_month else first_payment_month(today).replace(
        day=payment_day)


@bp.get("/pension")
@resident_required()
def pension():
    notice = db.session.scalar(select(PensionNotice).filter_by(person_id=current_user.id))
    decision = db.session.scalar(
        select(BenefitDecision).filter(BenefitDecision.person_id == current_user.id,
                                       BenefitDecision.status.in_(("checked", "confirmed")))
        .order_by(BenefitDecision.id.desc()))
    relation = db.session.scalar(
        select(InsuranceRelation).filter(InsuranceRelation.person_id == current_user.id,
                                         InsuranceRelation.status != "terminated"))
    today, day = china_today(), current_app.config["PENSION_PAYMENT_DAY"]
    check = benefits.last_check(current_user.id)
    claim = db.session.get(Application, decision.application_id) if decision else None
    return render_template(
        "resident/pension.html", notice=notice, decision=decision, relation=relation,
        claim=claim, payments=benefits.payments_of(current_user.id), check=check,
        next_check=check.confirmed_on.replace(year=check.confirmed_on.year + 1) if check
        else None,
        next_payment=max(next_payment_date(today, day),
                         relation.benefit_from.replace(day=day))
        if relation and relation.status == "receiving" and relation.benefit_from else None,
        bank=contact.mask_bank_account(decision.bank_account) if decision else None)


@bp.post("/pension/confirm")
@resident_required("face")
def confirm_pension():
    """第二十四条: the resident accepts the 核定表 they have read."""
    decision = db.session.scalar(select(BenefitDecision).filter_by(
        person_id=current_user.id, status="checked"))
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
    notice = db.session.scalar(select(PensionNotice).filter_by(person_id=current_user.id))
    if notice is None:
        abort(404)
    return render_template("resident/pension_notice.html", notice=notice)
