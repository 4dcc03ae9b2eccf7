"""Benefits (第二十二条至第三十三条): notices before 60, the decision with a separate checker,
the resident's confirmation, the monthly payment run and the bank's answer.

Every change writes its audit record in the same transaction; money leaves the personal account
only as ledger entries (security.md).
"""

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, distinct, exists, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from .. import queries
from ..constants import EventKind, PayoutKind
from ..exchange.registries import compare_person, custody_on, relatives_of
from ..extensions import db
from ..models import (
    Application,
    BenefitAdjustment,
    BenefitDecision,
    BenefitPayment,
    BenefitSuspension,
    EligibilityCheck,
    InsuranceRelation,
    LedgerEntry,
    PaymentRun,
    PayoutApproval,
    PensionNotice,
    Person,
    RegistryPerson,
    utcnow,
)
from ..rules import benefits as rules
from ..rules import csvfiles, redetermination
from ..rules.approval import may_approve
from ..schemes import scheme_for
from . import approvals, audit, beneficiaries, ledger, notify
from .applications import china_today, record_event
from .interest import accrued_for
from .transitions import Invalid, NotOpen, SameStaff


class WrongState(RuntimeError):
    """The decision or payment is not in the state this step needs."""


# The notice (告知书, 第二十二条) ---------------------------------------------------------------

def claim_facts(person: Person, relation, today: date) -> tuple[rules.ClaimFacts, dict, int]:
    """What data comparison and the account say about a would-be claimant."""
    comparison = compare_person(person.id_type, person.id_number, person.name, today).as_dict()
    account = ledger.account_of(person.id)
    years = len(ledger.contribution_years(account.id)) if account else 0
    facts = rules.ClaimFacts(
        birth_date=person.birth_date, today=today, years_paid=years,
        alive=comparison.get("alive", True),
        contributing=relation is not None and relation.status == "contributing",
        other_basic_pension=comparison.get("in_employee_scheme", False))
    return facts, comparison, ledger.balance_fen(account.id) if account else 0


def generate_notices(scheme: dict, today: date, months_ahead: int = 3,
                     actor: str = "system", person_id: int | None = None) -> list[PensionNotice]:
    """Find residents reaching pension age in the coming months who are alive, enrolled and
    paying, and give each their 告知书 once (SMS and message centre). Idempotent: run it as
    often as you like (the monthly job, or for one person when they open their home page)."""
    age = scheme.get("pension_age", 60)
    horizon = rules.notice_horizon(today, months_ahead)
    query = (
        select(Person, InsuranceRelation)
        .join(InsuranceRelation, InsuranceRelation.person_id == Person.id)
        .filter(InsuranceRelation.status == "contributing", Person.birth_date.is_not(None),
                Person.birth_date <= date(horizon.year - age, 12, 31),
                ~exists().where(PensionNotice.person_id == Person.id))
    )
    if person_id is not None:
        query = query.filter(Person.id == person_id)
    candidates = db.session.execute(query).all()
    made = []
    for person, relation in candidates:
        if not rules.notice_due(person.birth_date, today, age, months_ahead):
            continue
        eligible_on = rules.pension_age_date(person.birth_date, age)
        facts, comparison, balance = claim_facts(person, relation, today)
        if not facts.alive:
            continue
        basic, account_part = rules.monthly_benefit(scheme, eligible_on, relation.region_code,
                                                    balance)
        notice = PensionNotice(
            person_id=person.id, generated_on=today, eligible_on=eligible_on,
            years_paid=facts.years_paid,
            years_required=rules.required_years(person.birth_date,
                                                scheme.get("scheme_start_year", 2009),
                                                scheme.get("minimum_years", 15), age),
            balance_fen=balance, basic_fen=basic, account_fen=account_part,
            comparison=comparison)
        db.session.add(notice)
        notify.tell(person, "pension_notice", {"date": eligible_on.isoformat()})
        made.append(notice)
    if made or person_id is None:  # one person's view that changes nothing leaves no trace
        audit.record("pension_notices_generated", actor=actor, channel="system",
                     object_type="pension_notice", detail={"count": len(made),
                                                           "until": horizon.isoformat()})
    try:
        db.session.commit()
    except IntegrityError:  # the same notice made at the same moment elsewhere: keep that one
        db.session.rollback()
        return []
    return made


# The decision (核定, 第二十四条) and its check (复核, 第六十二条) --------------------------------

def decision_for(application: Application) -> BenefitDecision | None:
    return db.session.scalar(select(BenefitDecision).filter_by(application_id=application.id))


def eligibility_of(person: Person, account, scheme: dict):
    """第二十三条、第二十六条: the later of the 60th birthday and the day the required years were
    met (the day the money for the last needed year arrived); None while they are not met."""
    if person.birth_date is None or account is None:
        return None
    age = scheme.get("pension_age", 60)
    required = rules.required_years(person.birth_date, scheme.get("scheme_start_year", 2009),
                                    scheme.get("minimum_years", 15), age)
    arrivals = [(account.opened_on, year) for year in (account.carried_years or [])]
    arrivals += ledger.contribution_arrivals(account.id)
    eligible = rules.eligibility_date(person.birth_date, required, arrivals, age)
    # Nobody is entitled before they are insured: those already 60 when the scheme started
    # (no years required) are entitled from their enrolment.
    enrolled = db.session.scalar(select(func.min(InsuranceRelation.started_on)).filter_by(
        person_id=person.id))
    return max(eligible, enrolled) if eligible and enrolled else eligible


def balance_at(account_id: int, day: date, scheme: dict) -> int:
    """第二十四条: the balance at eligibility, with the interest earned to that day and not yet
    credited (the same interest-to-date function settlements and transfers use)."""
    accrued = sum(part.amount_fen for part in accrued_for(account_id, day, scheme))
    return ledger.balance_fen(account_id, day) + accrued


def compute_decision(application: Application, *, actor: str, scheme: dict | None = None,
                     **_kwargs) -> dict:
    """核定 (第二十四条): the basic pension for the area and year of eligibility, the account
    pension = balance at eligibility (with interest to that day) ÷ 139. Produces the 核定表
    for a different person to check (the lifecycle's hook for computing a claim)."""
    scheme = scheme or _scheme()
    person = db.session.get(Person, application.person_id)
    account = ledger.account_of(person.id)
    eligible_on = eligibility_of(person, account, scheme) or rules.pension_age_date(
        person.birth_date, scheme.get("pension_age", 60))
    balance = balance_at(account.id, eligible_on, scheme) if account else 0
    years_paid = len(ledger.contribution_years(account.id)) if account else 0
    basic, account_part = rules.monthly_benefit(scheme, eligible_on, application.region_code,
                                                balance, years_paid)
    decision = decision_for(application) or BenefitDecision(application_id=application.id,
                                                            person_id=person.id)
    decision.eligible_on, decision.first_month = eligible_on, rules.first_payment_month(
        eligible_on)
    decision.balance_fen, decision.basic_fen, decision.account_fen = balance, basic, account_part
    decision.years_paid = years_paid
    decision.bank_account = application.answers["bank_account"]
    decision.prepared_by, decision.prepared_at, decision.status = actor, utcnow(), "prepared"
    decision.checked_by = decision.checked_at = None
    db.session.add(decision)
    return {"basic_fen": basic, "account_fen": account_part, "balance_fen": balance,
            "first_month": decision.first_month.isoformat()}


def record_check(application: Application, *, actor: str, choice: str, **_kwargs) -> dict:
    """复核 (第六十二条): the 核定表 approved, or returned to be computed again. The lifecycle
    makes sure the checker is not the preparer."""
    decision = decision_for(application)
    if decision is None:
        raise NotOpen()
    if choice == "approve":
        decision.status, decision.checked_by, decision.checked_at = "checked", actor, utcnow()
    else:
        decision.status = "returned"
    return {"prepared_by": decision.prepared_by}


def confirm(decision: BenefitDecision, person: Person, channel: str = "online") -> None:
    """第二十四条、第二十六条: the resident accepts the 核定表; the relation moves to receiving
    and payment starts the month after eligibility (months already passed are paid as arrears
    by the next run)."""
    if decision.status != "checked" or decision.person_id != person.id:
        raise WrongState()
    relation = queries.relation_in(person.id, "contributing")
    if relation is None:
        raise WrongState()
    relation.status, relation.benefit_from = "receiving", decision.first_month
    decision.status, decision.confirmed_at = "confirmed", utcnow()
    application = db.session.get(Application, decision.application_id)
    record_event(application, EventKind.CONFIRMED, person.get_id())
    # The claim itself was a face-verified, data-compared confirmation of eligibility.
    db.session.add(EligibilityCheck(person_id=person.id, confirmed_on=application.received_on,
                                    method="face", actor=person.get_id(), channel=channel,
                                    evidence={"claim": application.reference}))
    audit.record("benefit_confirmed", actor=person.get_id(), channel=channel,
                 object_type="application", object_id=application.reference,
                 detail={"first_month": decision.first_month.isoformat(),
                         "monthly_fen": decision.monthly_fen})
    db.session.commit()


# Re-determination after a dispute found right (重新核定, 第二十五条) -------------------------

class NoPensionToRedecide(Invalid):
    """A benefit dispute of somebody with no confirmed pension: nothing to re-decide."""


def confirmed_decision(person_id: int) -> BenefitDecision | None:
    """The 核定表 the person is paid by now."""
    return db.session.scalar(select(BenefitDecision).filter_by(
        person_id=person_id, status="confirmed").order_by(BenefitDecision.id.desc()).limit(1))


def pending_redetermination(person_id: int) -> BenefitDecision | None:
    """A re-determination checked and waiting for the resident's confirmation."""
    return db.session.scalar(select(BenefitDecision).filter(
        BenefitDecision.person_id == person_id, BenefitDecision.status == "checked",
        BenefitDecision.replaces_id.is_not(None)).order_by(BenefitDecision.id.desc()).limit(1))


def claim_decision(person_id: int) -> BenefitDecision | None:
    """The claim's 核定表 checked and waiting for the resident's confirmation (第二十四条);
    not a re-determination, which is confirmed with its dispute (第二十五条)."""
    return db.session.scalar(select(BenefitDecision).filter_by(
        person_id=person_id, status="checked", replaces_id=None)
        .order_by(BenefitDecision.id.desc()).limit(1))


def decision_to_show(person_id: int) -> BenefitDecision | None:
    """The decision the pension page shows: the one paid now, or the claim's decision to
    confirm; a re-determination waiting for confirmation is only announced there."""
    return db.session.scalar(select(BenefitDecision).filter(
        BenefitDecision.person_id == person_id,
        or_(BenefitDecision.status == "confirmed",
            and_(BenefitDecision.status == "checked", BenefitDecision.replaces_id.is_(None))))
        .order_by(BenefitDecision.id.desc()).limit(1))


def _decision_to_replace(person_id: int):
    """The 核定表 a re-determination replaces, with the relation it pays on: the confirmed one
    of a pensioner, or a claim's checked decision the resident disputed instead of confirming
    (the pension page offers both)."""
    current = confirmed_decision(person_id)
    if current is not None:
        return current, queries.relation_in(person_id, "receiving")
    claim = claim_decision(person_id)
    return claim, queries.relation_in(person_id, "contributing") if claim else None


def prepare_redetermination(application: Application, *, actor: str, data: dict | None = None,
                            scheme: dict | None = None, **_kwargs) -> dict:
    """重新核定 (第二十五条): a reviewer re-computes the 核定表 of a resident whose dispute about
    the pension was found right: from the records as they stand now (a contribution booked
    since, a correction), or with the balance at eligibility or the contribution years the
    evidence shows, entered by hand. The eligibility date, first month and bank account stay
    as decided. A different person then checks it (the lifecycle's hook)."""
    data = data or {}
    current, relation = _decision_to_replace(application.person_id)
    if current is None or relation is None:
        raise NoPensionToRedecide()
    scheme = scheme or _scheme()
    account = ledger.account_of(application.person_id)
    balance = data.get("balance_fen")
    if balance is None:
        balance = balance_at(account.id, current.eligible_on, scheme) if account else 0
    years = data.get("years_paid")
    if years is None:
        years = len(ledger.contribution_years(account.id)) if account else current.years_paid
    basic, account_part = rules.monthly_benefit(scheme, current.eligible_on,
                                                relation.region_code, balance, years)
    decision = decision_for(application) or BenefitDecision(
        application_id=application.id, person_id=application.person_id)
    decision.replaces_id = current.id
    decision.eligible_on, decision.first_month = current.eligible_on, current.first_month
    decision.balance_fen, decision.basic_fen, decision.account_fen = balance, basic, account_part
    decision.years_paid, decision.bank_account = years, current.bank_account
    decision.prepared_by, decision.prepared_at, decision.status = actor, utcnow(), "prepared"
    decision.checked_by = decision.checked_at = None
    db.session.add(decision)
    # What was wrong, in the words the resident reads with the new decision.
    application.decision_reason = data.get("reason") or application.decision_reason
    return {"replaces": current.id, "balance_fen": balance, "years_paid": years,
            "monthly_fen_before": current.monthly_fen, "monthly_fen": basic + account_part}


def check_redetermination(application: Application, *, actor: str, choice: str,
                          **_kwargs) -> dict:
    """复核 of a re-determination (第六十二条): approved for the resident to confirm, or
    returned to be computed again. Refused here, whatever the page offered, when the checker
    is the one who prepared it (rules.approval.may_approve, one rule for every second check)."""
    decision = decision_for(application)
    if decision is None or decision.status != "prepared":
        raise NotOpen()
    if not may_approve(decision.prepared_by, actor):
        raise SameStaff()
    if choice == "approve":
        decision.status, decision.checked_by, decision.checked_at = "checked", actor, utcnow()
    else:
        decision.status = "returned"
    return {"prepared_by": decision.prepared_by, "checked_by": actor}


def paid_by_month(person_id: int) -> dict[date, tuple[int, int]]:
    """(basic, account) the person has been paid for each month so far: the payment that
    stands for it (a re-issue, not the failed attempt) with any difference already set for it
    by an earlier re-determination."""
    paid = {payment.month: (payment.basic_fen, payment.account_fen)
            for payment in db.session.scalars(select(BenefitPayment).filter(
                BenefitPayment.person_id == person_id, BenefitPayment.status != "reissued")
                .order_by(BenefitPayment.attempt))}
    for adjustment in db.session.scalars(select(BenefitAdjustment).filter_by(
            person_id=person_id).order_by(BenefitAdjustment.id)):
        if adjustment.month in paid:
            paid[adjustment.month] = (adjustment.due_basic_fen, adjustment.due_account_fen)
    return paid


def _differences(decision: BenefitDecision, relation: InsuranceRelation,
                 scheme: dict) -> list[redetermination.MonthDifference]:
    """Each month already paid against the new decision, at that month's basic pension."""
    paid = paid_by_month(decision.person_id)
    due = {month: (basic_for_month(scheme, month, relation, decision), decision.account_fen)
           for month in paid if month >= decision.first_month}
    return redetermination.differences(paid, due)


def redetermination_preview(decision: BenefitDecision) -> list[redetermination.MonthDifference]:
    """What confirming a re-determination would pay or deduct, for the resident to read first."""
    relation = queries.relation_in(decision.person_id, "receiving")
    return _differences(decision, relation, _scheme()) if relation is not None else []


def confirm_redetermination(application: Application, *, actor: str, scheme: dict | None = None,
                            **_kwargs) -> dict:
    """第二十五条 经参保人员确认后按新待遇标准发放待遇，并补（扣）发相应的历史待遇: the resident
    confirms; from now on every run pays by the new 核定表, and each month already paid gets
    its difference (at that month's basic pension) for the next run to pay or deduct (the
    lifecycle's hook for the resident's confirmation)."""
    decision = decision_for(application)
    if decision is None or decision.status != "checked" or decision.replaces_id is None:
        raise NotOpen()
    replaced = db.session.get(BenefitDecision, decision.replaces_id)
    current, relation = _decision_to_replace(application.person_id)
    if replaced is None or current is None or current.id != replaced.id or relation is None:
        raise NotOpen()  # re-decided meanwhile, or no longer paid
    if relation.status == "contributing":
        # The claim's decision was disputed before it was confirmed: this one starts the
        # pension (第二十四条、第二十六条); nothing was paid, so there is no difference.
        relation.status = "receiving"
        claim = db.session.get(Application, replaced.application_id)
        record_event(claim, EventKind.CONFIRMED, actor)
        db.session.add(EligibilityCheck(person_id=application.person_id,
                                        confirmed_on=claim.received_on, method="face",
                                        actor=actor))
    differences = _differences(decision, relation, scheme or _scheme())
    db.session.add_all(BenefitAdjustment(
        person_id=application.person_id, decision_id=decision.id, month=row.month,
        paid_basic_fen=row.paid_basic_fen, paid_account_fen=row.paid_account_fen,
        due_basic_fen=row.due_basic_fen, due_account_fen=row.due_account_fen)
        for row in differences)
    replaced.status = "superseded"
    decision.status, decision.confirmed_at = "confirmed", utcnow()
    relation.benefit_from = decision.first_month
    return {"months": len(differences),
            "difference_fen": sum(row.total_fen for row in differences),
            "monthly_fen": decision.monthly_fen}


def adjustments_of(person_id: int) -> list[tuple[BenefitAdjustment, BenefitPayment | None]]:
    """Each month corrected by a re-determination, with the payment that carried it (None:
    the next one will), newest first: the resident's itemised list."""
    return db.session.execute(
        select(BenefitAdjustment, BenefitPayment)
        .outerjoin(BenefitPayment, BenefitPayment.id == BenefitAdjustment.payment_id)
        .filter(BenefitAdjustment.person_id == person_id)
        .order_by(BenefitAdjustment.id.desc())).all()


# The monthly payment run (第二十七条至第二十九条) ------------------------------------------------

def _forfeited(person_id: int) -> set[date]:
    """Months of closed suspensions without back pay (serving a sentence, 第三十条)."""
    months = set()
    for row in db.session.scalars(select(BenefitSuspension).filter(
            BenefitSuspension.person_id == person_id, BenefitSuspension.back_pay.is_(False),
            BenefitSuspension.until_month.is_not(None))):
        months.update(rules.months_between(row.from_month, row.until_month))
    return months


def _due_months(relation: InsuranceRelation, month: date, covered: set[date]) -> list[date]:
    """Months from the first paid month to `month` that no payment covers yet, and that are
    neither suspended (第三十三条) nor forfeited (第三十条)."""
    last = month
    if relation.suspended_from is not None:
        last = min(last, relation.suspended_from - timedelta(days=1))
    forfeited = _forfeited(relation.person_id)
    return [m for m in rules.months_between(relation.benefit_from, last)
            if m not in covered and m not in forfeited]


def _bank_file(rows: list[BenefitPayment]) -> str:
    people = db.by_id(Person, (payment.person_id for payment in rows))
    return csvfiles.write(
        ["payment_id", "month", "id_number", "name", "bank_account", "amount_fen"],
        ([payment.id, payment.month.strftime("%Y-%m"), people[payment.person_id].id_number,
          people[payment.person_id].name, payment.bank_account, payment.amount_fen]
         for payment in rows))


def _scheme() -> dict:
    return scheme_for(current_app.config["SCHEME_PROVINCE"])


def basic_for_month(scheme: dict, month: date, relation: InsuranceRelation,
                    decision: BenefitDecision) -> int:
    """第二十七条: the basic pension in force for the month paid (arrears at each month's own
    rate), with any long-contribution extra for the decided years."""
    return rules.basic_pension_fen(scheme, month.year, relation.region_code,
                                   decision.years_paid)


def current_amount(person_id: int, today: date) -> tuple[int, int] | None:
    """(basic, account) a receiving resident is paid for this month: what the pension page and
    the kiosk show."""
    row = db.session.execute(
        select(InsuranceRelation, BenefitDecision)
        .join(BenefitDecision, BenefitDecision.person_id == InsuranceRelation.person_id)
        .filter(InsuranceRelation.person_id == person_id,
                InsuranceRelation.status == "receiving",
                BenefitDecision.status == "confirmed")
        .order_by(BenefitDecision.id.desc()).limit(1)).first()
    if row is None:
        return None
    relation, decision = row
    month = max(date(today.year, today.month, 1), relation.benefit_from or today)
    return basic_for_month(_scheme(), month, relation, decision), decision.account_fen


def run_month(month: date, actor: str, checked_on: date | None = None) -> PaymentRun:
    """Build the month's payment list (arrears included, each month at its own basic pension),
    the approval totals and the bank file. The registries are compared first, so nobody
    recorded dead or in prison by `checked_on` (today by default) is paid for a month after
    it. Running a month twice returns the first run and pays nothing again."""
    month = date(month.year, month.month, 1)
    existing = db.session.scalar(select(PaymentRun).filter_by(month=month))
    if existing is not None:
        return existing
    compare_beneficiaries(checked_on or china_today(), actor=actor, commit=False)
    scheme = _scheme()
    run = PaymentRun(month=month, created_by=actor, payments=0, people=0, basic_fen=0,
                     account_fen=0, bank_file="")
    db.session.add(run)
    db.session.flush()
    rows = []
    receiving = db.session.execute(
        select(InsuranceRelation, BenefitDecision)
        .join(BenefitDecision, BenefitDecision.person_id == InsuranceRelation.person_id)
        .filter(InsuranceRelation.status == "receiving",
                InsuranceRelation.benefit_from.is_not(None),
                InsuranceRelation.benefit_from <= month,
                BenefitDecision.status == "confirmed")).all()
    covered: dict[int, dict[date, int]] = {}
    for person_id, paid_month, basic in db.session.execute(
            select(BenefitPayment.person_id, BenefitPayment.month, BenefitPayment.basic_fen)
            .filter(BenefitPayment.status != "reissued")):
        covered.setdefault(person_id, {})[paid_month] = basic
    people = db.by_id(Person, (relation.person_id for relation, _d in receiving))
    for relation, decision in receiving:
        earlier = covered.get(relation.person_id, {})
        due = _due_months(relation, month, set(earlier))
        for due_month in due:
            rows.append(BenefitPayment(run_id=run.id, person_id=relation.person_id,
                                       month=due_month,
                                       basic_fen=basic_for_month(scheme, due_month, relation,
                                                                 decision),
                                       account_fen=decision.account_fen,
                                       bank_account=decision.bank_account))
        if due and due[-1] == month and earlier:
            _tell_if_amount_changed(people[relation.person_id], earlier, rows[-1])
    db.session.add_all(rows)
    db.session.flush()
    carried = _carry_adjustments(rows)
    run.payments, run.people = len(rows), len({r.person_id for r in rows})
    run.basic_fen = sum(r.basic_fen for r in rows) + sum(a.basic_fen for a in carried)
    run.account_fen = sum(r.account_fen for r in rows) + sum(a.account_fen for a in carried)
    run.bank_file = _bank_file(rows)
    audit.record("payment_run_built", actor=actor, channel="system", object_type="payment_run",
                 object_id=month.strftime("%Y-%m"),
                 detail={"payments": run.payments, "total_fen": run.basic_fen + run.account_fen})
    db.session.commit()
    return run


def _carry_adjustments(rows: list[BenefitPayment]) -> list[BenefitAdjustment]:
    """第二十五条 补（扣）发: the differences still owed after a re-determination ride with each
    person's latest payment of this run; a deduction larger than that payment waits for the
    next run (rules.redetermination.settle_now)."""
    latest: dict[int, BenefitPayment] = {}
    for row in rows:
        if row.person_id not in latest or row.month > latest[row.person_id].month:
            latest[row.person_id] = row
    if not latest:
        return []
    pending: dict[int, list[BenefitAdjustment]] = {}
    for adjustment in db.session.scalars(select(BenefitAdjustment).filter(
            BenefitAdjustment.payment_id.is_(None), BenefitAdjustment.settlement_id.is_(None),
            BenefitAdjustment.person_id.in_(list(latest)))
            .order_by(BenefitAdjustment.month, BenefitAdjustment.id)):
        pending.setdefault(adjustment.person_id, []).append(adjustment)
    carried = []
    for person_id, waiting in pending.items():
        payment = latest[person_id]
        chosen = [waiting[i] for i in redetermination.settle_now(
            [a.total_fen for a in waiting], payment.total_fen)]
        for adjustment in chosen:
            adjustment.payment_id = payment.id
        payment.adjustment_fen = sum(a.total_fen for a in chosen)
        carried.extend(chosen)
    return carried


def _tell_if_amount_changed(person: Person, earlier: dict[date, int],
                            payment: BenefitPayment) -> None:
    """第二十七条: when the basic pension rises (调待), each pensioner is told the new amount."""
    last_month = max(earlier)
    if earlier[last_month] == payment.basic_fen:
        return
    notify.tell(person, "pension_amount_changed", {
        "month": f"{payment.month.year}-{payment.month.month:02d}",
        "total": f"{payment.total_fen / 100:.2f}", "basic": f"{payment.basic_fen / 100:.2f}",
        "account": f"{payment.account_fen / 100:.2f}"})


class BadBankFile(ValueError):
    pass


def import_bank_result(content: str, actor: str) -> dict:
    """第二十九条: the bank's answer, one row per payment: payment_id,status(paid|failed),note.
    All or nothing; a payment already settled is reported, not changed."""
    try:
        rows = csvfiles.read(content, ("payment_id", "status"))
    except csvfiles.BadCsv as problem:
        raise BadBankFile(f"{problem}: the header must include payment_id,status") from None
    report = {"paid": 0, "failed": 0, "already_settled": 0}
    for line, row in enumerate(rows, start=2):
        payment = db.session.get(BenefitPayment, int(row["payment_id"])) if (
            row.get("payment_id") or "").isdigit() else None
        if payment is None or row.get("status") not in ("paid", "failed"):
            db.session.rollback()
            raise BadBankFile(f"unknown payment or status in row {line}")
        if payment.status != "sent":
            report["already_settled"] += 1
            continue
        payment.status, payment.settled_at = row["status"], utcnow()
        payment.bank_note = (row.get("note") or "")[:200] or None
        report[row["status"]] += 1
        if row["status"] == "paid":
            _book_account_part(payment)
            _book_adjusted_account_part(payment)
    audit.record("bank_result_imported", actor=actor, channel="system",
                 object_type="payment_run", detail=report)
    db.session.commit()
    return report


def _book_account_part(payment: BenefitPayment) -> None:
    """The account part of a paid pension leaves the personal account (第二十一条); once the
    account is empty the fund pays it on, and nothing more is booked."""
    account = ledger.account_of(payment.person_id)
    if account is None or payment.account_fen <= 0:
        return
    relation = db.session.get(InsuranceRelation, account.relation_id)
    if relation is not None and relation.status == "terminated":
        return  # the settlement counted this month as overpaid, account part included
    amount = min(payment.account_fen, max(ledger.balance_fen(account.id), 0))
    if amount:
        db.session.add(LedgerEntry(
            account_id=account.id, kind="pension_paid", amount_fen=-amount,
            booked_on=payment.settled_at.date(), year=payment.month.year,
            source_key=f"pension:{payment.person_id}:{payment.month:%Y-%m}"))


def _book_adjusted_account_part(payment: BenefitPayment) -> None:
    """The account part of the differences a payment carried (第二十五条): more paid leaves the
    personal account, an overpayment deducted goes back into it; one entry per payment."""
    if not payment.adjustment_fen:
        return
    amount = sum(a.account_fen for a in db.session.scalars(
        select(BenefitAdjustment).filter_by(payment_id=payment.id)))
    account = ledger.account_of(payment.person_id)
    if account is None or not amount:
        return
    relation = db.session.get(InsuranceRelation, account.relation_id)
    if relation is not None and relation.status == "terminated":
        return
    if amount > 0:
        amount = min(amount, max(ledger.balance_fen(account.id), 0))
    if amount:
        db.session.add(LedgerEntry(
            account_id=account.id, kind="pension_paid", amount_fen=-amount,
            booked_on=payment.settled_at.date(), year=payment.month.year,
            reason="补（扣）发 第二十五条",
            source_key=f"pension-adjustment:{payment.id}"))


def in_county(county_code: str | None):
    """Payments of people insured in the county (all of them for the portal's own commands)."""
    if county_code is None:
        return true()
    return exists().where(InsuranceRelation.person_id == BenefitPayment.person_id,
                          InsuranceRelation.region_code.startswith(county_code[:6]))


def prepare_reissue(actor: str, county_code: str | None = None,
                    channel: str = "counter") -> PayoutApproval | None:
    """经办 of a re-issue (第二十九条): the failed first attempts of the county (each once; a
    failed re-issue stays listed for staff instead of looping) are put together for a different
    member of staff to approve (第六十二条); nothing is sent before that. Each payment is claimed
    with one conditional update, so two preparations at once (a double tap, two colleagues)
    put it in one batch: the second finds nothing left and prepares nothing."""
    failed = db.session.scalars(select(BenefitPayment).filter(
        BenefitPayment.status == "failed", BenefitPayment.attempt == 1,
        in_county(county_code)).order_by(BenefitPayment.id)).all()
    claimed = []
    for payment in failed:
        if not _still_payable(payment.person_id, payment.month):
            continue
        if db.session.execute(
                update(BenefitPayment).where(BenefitPayment.id == payment.id,
                                             BenefitPayment.status == "failed")
                .values(status="to_reissue").execution_options(synchronize_session=False)
        ).rowcount:
            payment.status = "to_reissue"
            claimed.append(payment)
    if not claimed:
        db.session.rollback()
        return None
    county = county_code or _county_of(claimed[0].person_id)
    batch = db.session.scalar(select(func.count(PayoutApproval.id)).filter(
        PayoutApproval.kind == PayoutKind.REISSUE)) + 1
    approval = approvals.prepare(
        PayoutKind.REISSUE, f"reissue:{county[:6]}:{batch}", actor=actor, channel=channel,
        county_code=county, amount_fen=sum(p.amount_fen for p in claimed),
        detail={"payments": [p.id for p in claimed]})
    db.session.commit()
    return approval


def _county_of(person_id: int) -> str:
    relation = queries.relation_in(person_id, "receiving")
    return relation.region_code if relation is not None else "000000000000"


@approvals.on_return(PayoutKind.REISSUE)
def _reissue_sent_back(approval, actor: str, channel: str) -> None:
    """Sent back: the payments it held go back to the failed list, to be prepared again."""
    for payment_id in approval.detail["payments"]:
        payment = db.session.get(BenefitPayment, payment_id)
        if payment is not None and payment.status == "to_reissue":
            payment.status = "failed"


@approvals.releases(PayoutKind.REISSUE)
def _send_reissue(approval, actor: str, channel: str) -> None:
    """复核 done: each payment is sent again once, to the account on the decision now (the
    resident may have corrected it), unless the pension stopped or was suspended meanwhile: then
    it goes back to the failed list."""
    again, replaced = [], {}
    for payment_id in approval.detail["payments"]:
        payment = db.session.get(BenefitPayment, payment_id)
        if payment is None or payment.status != "to_reissue":
            continue
        if not _still_payable(payment.person_id, payment.month):
            payment.status = "failed"
            continue
        payment.status = "reissued"
        decision = db.session.scalar(select(BenefitDecision).filter_by(
            person_id=payment.person_id, status="confirmed"))
        again.append(BenefitPayment(
            run_id=payment.run_id, person_id=payment.person_id, month=payment.month, attempt=2,
            basic_fen=payment.basic_fen, account_fen=payment.account_fen,
            adjustment_fen=payment.adjustment_fen or 0,
            bank_account=decision.bank_account if decision else payment.bank_account,
            approval_id=approval.id))
        replaced[id(again[-1])] = payment.id
    db.session.add_all(again)
    db.session.flush()
    for payment in again:  # the differences a failed payment carried go with its re-issue
        if payment.adjustment_fen:
            db.session.execute(update(BenefitAdjustment).where(
                BenefitAdjustment.payment_id == replaced[id(payment)])
                .values(payment_id=payment.id).execution_options(synchronize_session=False))
    audit.record("payments_reissued", actor=actor, channel=channel, object_type="payment_run",
                 detail={"payments": [p.id for p in again], "approval": approval.id,
                         "prepared_by": approval.prepared_by})


def reissued_by(approval: PayoutApproval) -> list[BenefitPayment]:
    """The payments an approved re-issue sent (its supplementary bank file)."""
    return db.session.scalars(select(BenefitPayment).filter_by(approval_id=approval.id)
                              .order_by(BenefitPayment.id)).all()


def reissue_failed(preparer: str, approver: str,
                   county_code: str | None = None) -> list[BenefitPayment]:
    """Both steps one after the other, by two members of staff (the command line and tests):
    prepare, then approve; the payments sent again."""
    approval = prepare_reissue(preparer, county_code)
    if approval is None:
        return []
    approvals.approve(approval, actor=approver, commit=True)
    return reissued_by(approval)


def _still_payable(person_id: int, month: date) -> bool:
    """A month may be paid (again) only while the pension runs and the month is not suspended."""
    relation = queries.relation_in(person_id, "receiving")
    return relation is not None and (relation.suspended_from is None
                                     or month < relation.suspended_from)


def reissue_file(payments: list[BenefitPayment]) -> str:
    return _bank_file(payments)


def payments_of(person_id: int, limit: int = 12) -> list[BenefitPayment]:
    """The latest payments, newest first (a year's worth on the resident's page)."""
    return db.session.scalars(select(BenefitPayment).filter_by(person_id=person_id)
                              .order_by(BenefitPayment.month.desc(),
                                        BenefitPayment.attempt.desc()).limit(limit)).all()


def last_check(person_id: int) -> EligibilityCheck | None:
    return db.session.scalar(select(EligibilityCheck).filter_by(person_id=person_id)
                             .order_by(EligibilityCheck.confirmed_on.desc()).limit(1))


# Suspension and resumption (第三十三条) -----------------------------------------------------

def _open_suspension(person_id: int) -> BenefitSuspension | None:
    return db.session.scalar(select(BenefitSuspension).filter_by(
        person_id=person_id, closed_at=None).order_by(BenefitSuspension.id.desc()).limit(1))


def suspend(person_id: int, from_month: date, reason: str, actor: str,
            channel: str = "counter", commit: bool = True, *, source: str = "counter",
            note: str | None = None, back_pay: bool = True) -> None:
    """Stop paying from a month on (第三十三条): while a doubt is investigated (a reported death),
    or for good reason found by data comparison (a recorded death, a prison sentence). An
    earlier month found later moves the start back; the months from it on are not paid."""
    relation = queries.relation_in(person_id, "receiving")
    if relation is None:
        raise WrongState()
    start = date(from_month.year, from_month.month, 1)
    if relation.suspended_from is not None and relation.suspended_from <= start \
            and relation.suspension_reason == reason:
        return
    if relation.suspended_from is None or start < relation.suspended_from:
        relation.suspended_from = start
    relation.suspension_reason = reason
    row = _open_suspension(person_id)
    if row is None:
        row = BenefitSuspension(person_id=person_id, from_month=start, reason=reason,
                                source=source, opened_by=actor)
        db.session.add(row)
    row.from_month, row.reason, row.source = relation.suspended_from, reason, source
    row.note, row.back_pay = note, back_pay
    audit.record("benefit_suspended", actor=actor, channel=channel, object_type="person",
                 object_id=person_id, detail={"from": relation.suspended_from.isoformat(),
                                              "reason": reason, "source": source,
                                              "back_pay": back_pay})
    if commit:
        db.session.commit()


def resume(person_id: int, actor: str, channel: str = "counter", commit: bool = True, *,
           back_pay: bool = True, last_unpaid: date | None = None) -> None:
    """Still entitled: payment resumes. With back pay the next run pays every suspended month
    (none was covered by a payment); without (after a prison sentence, 劳社厅函〔2001〕44号)
    the months up to `last_unpaid` are forfeited and payment resumes after them."""
    relation = queries.relation_in(person_id, "receiving")
    if relation is None or relation.suspended_from is None:
        raise WrongState()
    row = _open_suspension(person_id)
    if row is not None:
        row.closed_by, row.closed_at, row.back_pay = actor, utcnow(), back_pay
        row.until_month = None if back_pay else date(last_unpaid.year, last_unpaid.month, 1)
    audit.record("benefit_resumed", actor=actor, channel=channel, object_type="person",
                 object_id=person_id, detail={"suspended_from":
                                              relation.suspended_from.isoformat(),
                                              "back_pay": back_pay,
                                              "forfeited_until": last_unpaid.isoformat()
                                              if last_unpaid and not back_pay else None})
    relation.suspended_from = relation.suspension_reason = None
    if commit:
        db.session.commit()


# Data comparison before every run and on its own schedule (第六条、第三十条、第三十一条) -------

def invite_heirs(person: Person) -> int:
    """The relatives the household and civil records know are told by SMS, where a phone is
    registered to them, that they can deregister under the commitment system (第三十八条).
    Returns how many relatives the records know."""
    relatives = relatives_of(person.id_number)
    designation = beneficiaries.current_of(person.id)
    if designation is not None:
        # 第三十八条: the beneficiary the person named is the one to apply; only they are told.
        notify.queue_sms(phone=designation.phone, kind="beneficiary_invited",
                         body=notify.chinese_texts("beneficiary_invited",
                                                   {"name": person.name})[1])
        return len(relatives)
    body = notify.chinese_texts("heir_invited", {"name": person.name})[1]
    for number in relatives:
        row = db.session.scalar(select(RegistryPerson).filter_by(id_number=number))
        if row and row.phone:
            notify.queue_sms(phone=row.phone, kind="heir_invited", body=body)
    return len(relatives)


def _death_of(person: Person, checked_on: date) -> date | None:
    """The death the records show by `checked_on`: civil affairs or health (dated, and only
    once registered); the population register's flag only where no such record exists."""
    found = compare_person(person.id_type, person.id_number, person.name, checked_on)
    if found.death_recorded_on:
        return date.fromisoformat(found.death_recorded_on)
    if found.alive:
        return None
    from ..models import RegistryDeath

    if db.session.scalar(select(RegistryDeath.id).filter_by(id_number=person.id_number)
                         .limit(1)) is not None:
        return None  # a death record exists but was not yet registered on `checked_on`
    return checked_on


def compare_beneficiaries(checked_on: date, actor: str = "system:comparison",
                          commit: bool = True) -> list[dict]:
    """Compare everyone receiving a pension with the population, civil affairs and prison
    records. A recorded death suspends from the month after it (第三十四条) and invites the
    heirs; a prison sentence suspends from the month after it began, without back pay
    (第三十条); a release resumes payment from the month after it. Returns what it found, for
    the county's list; each finding is audited."""
    found = []
    rows = db.session.execute(
        select(InsuranceRelation, Person).join(Person, Person.id == InsuranceRelation.person_id)
        .filter(InsuranceRelation.status == "receiving")).all()
    for relation, person in rows:
        died = _death_of(person, checked_on)
        if died is not None:
            stop = rules.first_payment_month(died)
            if relation.suspension_reason != "death_recorded" or relation.suspended_from > stop:
                first_time = relation.suspension_reason != "death_recorded"
                suspend(person.id, stop, "death_recorded", actor, channel="system",
                        commit=False, source="data_comparison", note=died.isoformat())
                if first_time:
                    invite_heirs(person)
                found.append({"person_id": person.id, "reason": "death_recorded",
                              "event_on": died.isoformat(), "from": stop.isoformat()})
            continue
        custody = custody_on(person.id_number, checked_on)
        serving = custody is not None and not custody.suspended_sentence and (
            custody.released_on is None or custody.released_on >= checked_on)
        if serving and relation.suspension_reason != "imprisonment":
            stop = rules.first_payment_month(custody.started_on)
            suspend(person.id, stop, "imprisonment", actor, channel="system", commit=False,
                    source="data_comparison", note=custody.started_on.isoformat(),
                    back_pay=False)
            found.append({"person_id": person.id, "reason": "imprisonment",
                          "event_on": custody.started_on.isoformat(), "from": stop.isoformat()})
        elif (not serving and custody is not None and not custody.suspended_sentence
              and custody.released_on is not None):
            if relation.suspension_reason == "imprisonment":
                resume(person.id, actor, channel="system", commit=False, back_pay=False,
                       last_unpaid=custody.released_on)
            elif not _sentence_recorded(person.id, custody.started_on):
                # Served entirely between two comparisons: those months are still forfeited.
                _forfeit_sentence(person.id, custody, actor)
            else:
                continue
            found.append({"person_id": person.id, "reason": "released",
                          "event_on": custody.released_on.isoformat(),
                          "from": rules.first_payment_month(custody.released_on).isoformat()})
    audit.record("beneficiaries_compared", actor=actor, channel="system",
                 object_type="payment_run", detail={"checked_on": checked_on.isoformat(),
                                                    "people": len(rows), "found": found})
    if commit:
        db.session.commit()
    return found


def _sentence_recorded(person_id: int, started_on: date) -> bool:
    return db.session.scalar(select(BenefitSuspension.id).filter_by(
        person_id=person_id, reason="imprisonment", note=started_on.isoformat()).limit(1)) \
        is not None


def _forfeit_sentence(person_id: int, custody, actor: str) -> None:
    """第三十条: a sentence found only after release forfeits its months all the same."""
    row = BenefitSuspension(
        person_id=person_id, reason="imprisonment", note=custody.started_on.isoformat(),
        from_month=rules.first_payment_month(custody.started_on),
        until_month=date(custody.released_on.year, custody.released_on.month, 1),
        back_pay=False, source="data_comparison", opened_by=actor, closed_by=actor,
        closed_at=utcnow())
    db.session.add(row)
    audit.record("benefit_forfeited", actor=actor, channel="system", object_type="person",
                 object_id=person_id, detail={"from": row.from_month.isoformat(),
                                              "until": row.until_month.isoformat(),
                                              "reason": "imprisonment"})


def suspensions_in(county_code: str) -> list[tuple[BenefitSuspension, Person]]:
    """Open suspensions of the county's pensioners, newest first: the county's list to act on
    (heirs to hear from, releases to confirm, reports to check)."""
    return db.session.execute(
        select(BenefitSuspension, Person)
        .join(Person, Person.id == BenefitSuspension.person_id)
        .join(InsuranceRelation, InsuranceRelation.person_id == Person.id)
        .filter(BenefitSuspension.closed_at.is_(None),
                InsuranceRelation.status == "receiving",
                InsuranceRelation.region_code.startswith(county_code[:6]))
        .order_by(BenefitSuspension.opened_at.desc())).all()


def recent_runs(county_code: str | None = None, limit: int = 12) -> list[dict]:
    """The monthly approval sheets (第二十七条), with the figures of one county's residents
    only when a county is given."""
    runs = db.session.scalars(select(PaymentRun).order_by(PaymentRun.month.desc())
                              .limit(limit)).all()
    if county_code is None:
        return [{"month": r.month, "people": r.people, "payments": r.payments,
                 "basic_fen": r.basic_fen, "account_fen": r.account_fen} for r in runs]
    sheets = []
    for run in runs:
        basic, account, payments, people = db.session.execute(
            select(func.coalesce(func.sum(BenefitPayment.basic_fen), 0),
                   func.coalesce(func.sum(BenefitPayment.account_fen), 0),
                   func.count(BenefitPayment.id),
                   func.count(distinct(BenefitPayment.person_id)))
            .filter(BenefitPayment.run_id == run.id, BenefitPayment.attempt == 1,
                    in_county(county_code))).one()
        # Differences for earlier months the run carries (第二十五条), like the run's totals.
        more_basic, more_account = db.session.execute(
            select(func.coalesce(func.sum(BenefitAdjustment.due_basic_fen
                                          - BenefitAdjustment.paid_basic_fen), 0),
                   func.coalesce(func.sum(BenefitAdjustment.due_account_fen
                                          - BenefitAdjustment.paid_account_fen), 0))
            .join(BenefitPayment, BenefitPayment.id == BenefitAdjustment.payment_id)
            .filter(BenefitPayment.run_id == run.id, in_county(county_code))).one()
        sheets.append({"month": run.month, "people": people, "payments": payments,
                       "basic_fen": basic + more_basic, "account_fen": account + more_account})
    return sheets


def failed_payments(county_code: str | None = None) -> list[BenefitPayment]:
    """Payments the bank could not make, with those whose re-issue waits for approval."""
    return db.session.scalars(select(BenefitPayment).filter(
        BenefitPayment.status.in_(("failed", "to_reissue")), in_county(county_code))
        .order_by(BenefitPayment.month)).all()
