"""Benefits (第二十二条至第三十三条): notices before 60, the decision with a separate checker,
the resident's confirmation, the monthly payment run and the bank's answer.

Every change writes its audit record in the same transaction; money leaves the personal account
only as ledger entries (security.md).
"""

import csv
import io
from datetime import date, timedelta

from sqlalchemy import exists, select

from ..exchange.registries import compare_person
from ..extensions import db
from ..models import (
    Application,
    BenefitDecision,
    BenefitPayment,
    EligibilityCheck,
    InsuranceRelation,
    LedgerEntry,
    PaymentRun,
    PensionNotice,
    Person,
    utcnow,
)
from ..rules import benefits as rules
from . import audit, ledger, notify
from .applications import (
    ConcurrentDecision,
    NotOpen,
    commit_or_conflict,
    notify_applicant,
    record_event,
)


class SameStaff(RuntimeError):
    """第六十二条: the person who prepared a decision cannot check it."""


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
                     actor: str = "system") -> list[PensionNotice]:
    """Find residents reaching pension age in the coming months who are alive, enrolled and
    paying, and give each their 告知书 once (SMS and message centre)."""
    age = scheme.get("pension_age", 60)
    horizon = today + timedelta(days=31 * months_ahead)
    candidates = db.session.execute(
        select(Person, InsuranceRelation)
        .join(InsuranceRelation, InsuranceRelation.person_id == Person.id)
        .filter(InsuranceRelation.status == "contributing", Person.birth_date.is_not(None),
                Person.birth_date <= date(horizon.year - age, 12, 31),
                ~exists().where(PensionNotice.person_id == Person.id))
    ).all()
    made = []
    for person, relation in candidates:
        eligible_on = rules.pension_age_date(person.birth_date, age)
        if not today <= eligible_on <= horizon:
            continue
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
    audit.record("pension_notices_generated", actor=actor, channel="system",
                 object_type="pension_notice", detail={"count": len(made),
                                                       "until": horizon.isoformat()})
    db.session.commit()
    return made


# The decision (核定, 第二十四条) and its check (复核, 第六十二条) --------------------------------

def decision_for(application: Application) -> BenefitDecision | None:
    return db.session.scalar(select(BenefitDecision).filter_by(application_id=application.id))


def prepare(application: Application, *, expected_version: int, scheme: dict,
            staff) -> BenefitDecision:
    """The reviewer computes the benefit: basic pension for the area and year of eligibility,
    account pension = balance ÷ 139. Produces the 核定表 for a different person to check."""
    if application.version != expected_version:
        raise ConcurrentDecision()
    if application.kind != "claim" or application.status != "submitted":
        raise NotOpen()
    person = db.session.get(Person, application.person_id)
    eligible_on = rules.pension_age_date(person.birth_date, scheme.get("pension_age", 60))
    account = ledger.account_of(person.id)
    balance = ledger.balance_fen(account.id) if account else 0
    basic, account_part = rules.monthly_benefit(scheme, eligible_on, application.region_code,
                                                balance)
    decision = decision_for(application) or BenefitDecision(application_id=application.id,
                                                            person_id=person.id)
    decision.eligible_on, decision.first_month = eligible_on, rules.first_payment_month(
        eligible_on)
    decision.balance_fen, decision.basic_fen, decision.account_fen = balance, basic, account_part
    decision.years_paid = len(ledger.contribution_years(account.id)) if account else 0
    decision.bank_account = application.answers["bank_account"]
    decision.prepared_by, decision.prepared_at, decision.status = staff.get_id(), utcnow(), \
        "prepared"
    decision.checked_by = decision.checked_at = None
    db.session.add(decision)
    application.status = "prepared"
    record_event(application, "prepared", staff.get_id())
    audit.record("benefit_prepared", actor=staff.get_id(), channel="counter",
                 object_type="application", object_id=application.reference,
                 on_behalf_of=person.get_id(),
                 detail={"basic_fen": basic, "account_fen": account_part,
                         "balance_fen": balance, "first_month": decision.first_month.isoformat()})
    commit_or_conflict()
    return decision


def check(application: Application, *, expected_version: int, approve: bool,
          note: str | None, staff) -> None:
    """The checker approves the 核定表 or returns it to be prepared again. Never the preparer."""
    if application.version != expected_version:
        raise ConcurrentDecision()
    decision = decision_for(application)
    if application.status != "prepared" or decision is None:
        raise NotOpen()
    if decision.prepared_by == staff.get_id():
        raise SameStaff()
    actor = staff.get_id()
    if approve:
        decision.status, decision.checked_by, decision.checked_at = "checked", actor, utcnow()
        application.status = "approved"
        application.decided_by, application.decided_at = actor, utcnow()
        record_event(application, "approved", actor, note=note)
        notify_applicant(application, "claim_approved")
    else:
        decision.status = "returned"
        application.status = "submitted"
        record_event(application, "returned", actor, note=note)
    audit.record("benefit_checked" if approve else "benefit_returned", actor=actor,
                 channel="counter", object_type="application", object_id=application.reference,
                 on_behalf_of=f"resident:{application.person_id}",
                 detail={"prepared_by": decision.prepared_by, "note": note})
    commit_or_conflict()


def confirm(decision: BenefitDecision, person: Person, channel: str = "online") -> None:
    """第二十四条、第二十六条: the resident accepts the 核定表; the relation moves to receiving
    and payment starts the month after eligibility (months already passed are paid as arrears
    by the next run)."""
    if decision.status != "checked" or decision.person_id != person.id:
        raise WrongState()
    relation = db.session.scalar(select(InsuranceRelation).filter(
        InsuranceRelation.person_id == person.id, InsuranceRelation.status == "contributing"))
    if relation is None:
        raise WrongState()
    relation.status, relation.benefit_from = "receiving", decision.first_month
    decision.status, decision.confirmed_at = "confirmed", utcnow()
    application = db.session.get(Application, decision.application_id)
    record_event(application, "confirmed", person.get_id())
    # The claim itself was a face-verified, data-compared confirmation of eligibility.
    db.session.add(EligibilityCheck(person_id=person.id, confirmed_on=application.received_on,
                                    method="face", actor=person.get_id()))
    audit.record("benefit_confirmed", actor=person.get_id(), channel=channel,
                 object_type="application", object_id=application.reference,
                 detail={"first_month": decision.first_month.isoformat(),
                         "monthly_fen": decision.monthly_fen})
    db.session.commit()


# The monthly payment run (第二十七条至第二十九条) ------------------------------------------------

def _due_months(relation: InsuranceRelation, month: date) -> list[date]:
    """Months from the first paid month to `month` that no payment covers yet, and that are
    not suspended (第三十三条)."""
    last = month
    if relation.suspended_from is not None:
        last = min(last, relation.suspended_from - timedelta(days=1))
    covered = set(db.session.scalars(select(BenefitPayment.month).filter_by(
        person_id=relation.person_id)))
    return [m for m in rules.months_between(relation.benefit_from, last) if m not in covered]


def _bank_file(rows: list[BenefitPayment]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["payment_id", "month", "id_number", "name", "bank_account", "amount_fen"])
    people = db.by_id(Person, (payment.person_id for payment in rows))
    for payment in rows:
        person = people[payment.person_id]
        writer.writerow([payment.id, payment.month.strftime("%Y-%m"), person.id_number,
                         person.name, payment.bank_account, payment.total_fen])
    return out.getvalue()


def run_month(month: date, actor: str) -> PaymentRun:
    """Build the month's payment list (arrears included), the approval totals and the bank file.
    Running a month twice returns the first run and pays nothing again."""
    month = date(month.year, month.month, 1)
    existing = db.session.scalar(select(PaymentRun).filter_by(month=month))
    if existing is not None:
        return existing
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
    for relation, decision in receiving:
        for due in _due_months(relation, month):
            rows.append(BenefitPayment(run_id=run.id, person_id=relation.person_id, month=due,
                                       basic_fen=decision.basic_fen,
                                       account_fen=decision.account_fen,
                                       bank_account=decision.bank_account))
    db.session.add_all(rows)
    db.session.flush()
    run.payments, run.people = len(rows), len({r.person_id for r in rows})
    run.basic_fen = sum(r.basic_fen for r in rows)
    run.account_fen = sum(r.account_fen for r in rows)
    run.bank_file = _bank_file(rows)
    audit.record("payment_run_built", actor=actor, channel="system", object_type="payment_run",
                 object_id=month.strftime("%Y-%m"),
                 detail={"payments": run.payments, "total_fen": run.basic_fen + run.account_fen})
    db.session.commit()
    return run


class BadBankFile(ValueError):
    pass


def import_bank_result(content: str, actor: str) -> dict:
    """第二十九条: the bank's answer, one row per payment: payment_id,status(paid|failed),note.
    All or nothing; a payment already settled is reported, not changed."""
    reader = csv.DictReader(io.StringIO(content))
    if not reader.fieldnames or not {"payment_id", "status"} <= set(reader.fieldnames):
        raise BadBankFile("header must include payment_id,status")
    report = {"paid": 0, "failed": 0, "already_settled": 0}
    for row in reader:
        payment = db.session.get(BenefitPayment, int(row["payment_id"])) if (
            row.get("payment_id") or "").isdigit() else None
        if payment is None or row.get("status") not in ("paid", "failed"):
            db.session.rollback()
            raise BadBankFile(f"unknown payment or status in row {reader.line_num}")
        if payment.status != "sent":
            report["already_settled"] += 1
            continue
        payment.status, payment.settled_at = row["status"], utcnow()
        payment.bank_note = (row.get("note") or "")[:200] or None
        report[row["status"]] += 1
        if row["status"] == "paid":
            _book_account_part(payment)
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
    amount = min(payment.account_fen, max(ledger.balance_fen(account.id), 0))
    if amount:
        db.session.add(LedgerEntry(
            account_id=account.id, kind="pension_paid", amount_fen=-amount,
            booked_on=payment.settled_at.date(), year=payment.month.year,
            source_key=f"pension:{payment.person_id}:{payment.month:%Y-%m}"))


def reissue_failed(actor: str) -> list[BenefitPayment]:
    """Re-issue each failed first attempt once (第二十九条); a failed re-issue stays listed for
    staff instead of looping."""
    failed = db.session.scalars(select(BenefitPayment).filter_by(status="failed", attempt=1)
                                .order_by(BenefitPayment.id)).all()
    again = []
    for payment in failed:
        decision = db.session.scalar(select(BenefitDecision).filter_by(
            person_id=payment.person_id, status="confirmed"))
        payment.status = "reissued"
        again.append(BenefitPayment(
            run_id=payment.run_id, person_id=payment.person_id, month=payment.month, attempt=2,
            basic_fen=payment.basic_fen, account_fen=payment.account_fen,
            bank_account=decision.bank_account if decision else payment.bank_account))
    db.session.add_all(again)
    db.session.flush()
    audit.record("payments_reissued", actor=actor, channel="system", object_type="payment_run",
                 detail={"payments": [p.id for p in again]})
    db.session.commit()
    return again


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

def suspend(person_id: int, from_month: date, reason: str, actor: str,
            channel: str = "counter", commit: bool = True) -> None:
    """Stop paying from a month on while a doubt is investigated (e.g. a reported death)."""
    relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=person_id,
                                                                     status="receiving"))
    if relation is None:
        raise WrongState()
    relation.suspended_from = date(from_month.year, from_month.month, 1)
    relation.suspension_reason = reason
    audit.record("benefit_suspended", actor=actor, channel=channel, object_type="person",
                 object_id=person_id, detail={"from": relation.suspended_from.isoformat(),
                                              "reason": reason})
    if commit:
        db.session.commit()


def resume(person_id: int, actor: str, channel: str = "counter", commit: bool = True) -> None:
    """Still entitled: payment resumes, and the next run pays back every suspended month
    (they were never covered by a payment)."""
    relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=person_id,
                                                                     status="receiving"))
    if relation is None or relation.suspended_from is None:
        raise WrongState()
    audit.record("benefit_resumed", actor=actor, channel=channel, object_type="person",
                 object_id=person_id, detail={"suspended_from":
                                              relation.suspended_from.isoformat()})
    relation.suspended_from = relation.suspension_reason = None
    if commit:
        db.session.commit()


def recent_runs(limit: int = 12) -> list[PaymentRun]:
    return db.session.scalars(select(PaymentRun).order_by(PaymentRun.month.desc())
                              .limit(limit)).all()


def failed_payments() -> list[BenefitPayment]:
    return db.session.scalars(select(BenefitPayment).filter_by(status="failed")
                              .order_by(BenefitPayment.month)).all()
