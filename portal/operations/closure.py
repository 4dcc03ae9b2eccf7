"""Deregistration (第三十六条至第三十九条) and transfers between counties (第四十条至第四十五条).

Called from operations.applications when a deregistration or transfer application is submitted
or approved, and by the county consoles for the later transfer stages. Every step writes its
audit record; money moves only as ledger entries and bank instructions in the outbox.
"""

import hashlib
import json
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import queries
from ..constants import EventKind, PayeeRole, PayoutKind
from ..exchange.registries import compare_person, other_pension_since, relation_between
from ..extensions import db
from ..models import (
    Application,
    BenefitAdjustment,
    BenefitPayment,
    Commitment,
    InsuranceRelation,
    LedgerEntry,
    OutboxMessage,
    PayoutApproval,
    Person,
    PersonalAccount,
    RecordInquiry,
    Settlement,
    StaffUser,
    TransferCase,
    utcnow,
)
from ..rules import commitment as commitment_texts
from ..rules import ids
from ..rules import settlement as rules
from . import approvals, audit, beneficiaries, ledger, notify
from .applications import china_today, record_event
from .calendar import workday_calendar
from .interest import credit_to_date
from .transitions import ConcurrentDecision, Invalid, NotOpen, commit_or_conflict

STAGE_WORKDAYS = {"old_county_settling": 15, "funds_in_transit": 15}  # domain.md: common practice


# Deregistration ----------------------------------------------------------------------------

def deregistration_submitted(application: Application, actor: str, channel: str) -> None:
    """Keep the signed commitment for good and point the application at the insured person and
    their county, with the death and relationship as the records show them."""
    answers = application.answers
    if answers.get("ground") == "death":
        subject = db.session.scalar(select(Person).filter_by(
            id_number=ids.normalize(answers["deceased_id_number"])))
    else:
        subject = db.session.get(Person, application.person_id)
    applicant = db.session.get(Person, application.person_id)
    relation = queries.current_relation(subject.id)
    application.subject_person_id = subject.id
    application.region_code = relation.region_code
    application.comparison = {
        **application.comparison,
        "subject": compare_person(subject.id_type, subject.id_number, subject.name,
                                  application.received_on).as_dict(),
        "relationship": "designated_beneficiary" if beneficiaries.is_named(
            beneficiaries.current_of(subject.id), applicant) and subject.id != applicant.id
        else relation_between(applicant.id_number, subject.id_number),
    }
    text = _(commitment_texts.TEXTS[commitment_texts.CURRENT_VERSION])
    db.session.add(Commitment(
        application_id=application.id, version=commitment_texts.CURRENT_VERSION, text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(), signer=actor,
        signer_name=applicant.name, channel=channel))
    audit.record("commitment_signed", actor=actor, channel=channel, object_type="application",
                 object_id=application.reference, on_behalf_of=subject.get_id(),
                 detail={"version": commitment_texts.CURRENT_VERSION})


def _event_date(application: Application, subject: Person) -> date:
    """第三十四条: the day of the event, not of the application. Death from the civil affairs or
    health records; another pension from the national enrolment registry; otherwise the day
    the applicant stated in their commitment (the application day only as a last resort)."""
    ground = application.answers.get("ground")
    found = application.comparison.get("subject") or {}
    if ground == "death" and found.get("death_recorded_on"):
        return date.fromisoformat(found["death_recorded_on"])
    if ground == "other_pension":
        since = other_pension_since(subject.id_number)
        if since is not None:
            return since
    if application.answers.get("event_on"):
        return date.fromisoformat(application.answers["event_on"])
    return application.received_on


def _return_overpaid_account_parts(account_id: int, overpaid: list[BenefitPayment],
                                   reference: str, actor: str, channel: str) -> None:
    """The account part of a month paid after the event already left the balance when the bank
    paid it. It goes back into the account here, so the settlement deducts each overpaid month
    once, whole, from balance + funeral subsidy (第三十六条): counting each fen once."""
    months = {f"pension:{p.person_id}:{p.month:%Y-%m}" for p in overpaid}
    for entry in db.session.scalars(select(LedgerEntry).filter(
            LedgerEntry.account_id == account_id, LedgerEntry.kind == "pension_paid",
            LedgerEntry.source_key.in_(months))):
        ledger.reverse_entry(entry, f"paid after the event, deducted in settlement {reference}",
                             actor=actor, channel=channel)


def _pending_differences(person_id: int, overpaid_months: set) -> list[BenefitAdjustment]:
    """第二十五条: differences of a re-decided pension no payment has carried yet, for months
    the person was entitled to (a month paid after the event is deducted whole instead)."""
    return [a for a in db.session.scalars(select(BenefitAdjustment).filter(
        BenefitAdjustment.person_id == person_id, BenefitAdjustment.payment_id.is_(None),
        BenefitAdjustment.settlement_id.is_(None)).order_by(BenefitAdjustment.month))
        if a.month not in overpaid_months]


def _book_differences_account_part(account_id: int, differences: list[BenefitAdjustment],
                                   reference: str) -> None:
    """The account part of those differences moves as if a payment had carried it: more paid
    leaves the account, an overpayment deducted goes back into it; the settlement then counts
    each fen once."""
    amount = sum(a.account_fen for a in differences)
    if amount > 0:  # once the account is empty the fund pays on (as for monthly payments)
        amount = min(amount, max(ledger.balance_fen(account_id), 0))
    if amount:
        db.session.add(LedgerEntry(
            account_id=account_id, kind="pension_paid", amount_fen=-amount,
            booked_on=china_today(), year=china_today().year, reason="补（扣）发 第二十五条",
            source_key=f"pension-adjustment:settlement:{reference}"))


def deregister(application: Application, actor: str, channel: str) -> Settlement:
    """On approval (第三十九条): end the relation, stop the pension from the month after the event
    (第三十四条), credit interest to date (结息), and settle the account (第三十六条)."""
    from flask import current_app

    from ..schemes import scheme_for

    scheme = scheme_for(current_app.config["SCHEME_PROVINCE"])
    subject = db.session.get(Person, application.subject_person_id)
    relation = queries.current_relation(subject.id)
    event_on = _event_date(application, subject)
    ground = application.answers["ground"]
    today = china_today()
    account = ledger.account_of(subject.id)
    paid = db.session.scalars(select(BenefitPayment).filter(
        BenefitPayment.person_id == subject.id, BenefitPayment.status.in_(("paid", "sent")))).all()
    overpaid_months = set(rules.overpaid_months(event_on, [p.month for p in paid]))
    overpaid_payments = [p for p in paid if p.month in overpaid_months]
    overpaid = sum(p.total_fen for p in overpaid_payments)
    interest = []
    differences = _pending_differences(subject.id, overpaid_months)
    if account:
        _return_overpaid_account_parts(account.id, overpaid_payments, application.reference,
                                       actor, channel)
        _book_differences_account_part(account.id, differences, application.reference)
        interest = credit_to_date(account.id, today, scheme, f"settlement:{application.reference}")
    balance = ledger.balance_fen(account.id) if account else 0
    government = int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).filter(
            LedgerEntry.account_id == account.id,
            LedgerEntry.kind.in_(("subsidy", "government_paid"))))) if account else 0
    result = rules.settle(
        ground=ground, balance_fen=balance, government_fen=government,
        funeral_fen=rules.funeral_subsidy_fen(scheme, relation.region_code,
                                              relation.status == "receiving"),
        overpaid_fen=overpaid, differences_fen=sum(a.total_fen for a in differences))
    settlement = Settlement(
        application_id=application.id, insured_person_id=subject.id,
        payee_person_id=application.person_id, ground=ground, event_on=event_on,
        balance_fen=balance, refundable_fen=result.refundable_fen,
        funeral_fen=result.funeral_fen, overpaid_fen=result.overpaid_fen,
        payable_fen=result.payable_fen, debt_fen=result.debt_fen, interest=interest,
        bank_account=application.answers["bank_account"], status="awaiting_approval",
        payee_role=payee_role(application),
        adjustment_fen=sum(a.total_fen for a in differences))
    db.session.add(settlement)
    db.session.flush()
    for adjustment in differences:
        adjustment.settlement_id = settlement.id
    # The deregistration itself (第三十九条): the relation ends now, so no pension is paid
    # for a later month; the money waits for a second person (第六十二条).
    relation.status, relation.ended_on, relation.end_reason = "terminated", event_on, ground
    db.session.flush()
    approvals.prepare(PayoutKind.DEREGISTRATION_SETTLEMENT, f"settlement:{settlement.id}",
                      actor=actor, channel=channel, county_code=relation.region_code,
                      amount_fen=result.payable_fen, person_id=subject.id,
                      application_id=application.id,
                      detail={"balance_fen": balance, "payable_fen": result.payable_fen,
                              "debt_fen": result.debt_fen, "reference": application.reference})
    audit.record("relation_deregistered", actor=actor, channel=channel, object_type="person",
                 object_id=subject.id, on_behalf_of=subject.get_id(),
                 detail={"ground": ground, "event_on": event_on.isoformat(),
                         "interest": interest, "overpaid_fen": overpaid,
                         "payable_fen": result.payable_fen, "debt_fen": result.debt_fen})
    return settlement


def payee_role(application: Application) -> str:
    """第三十八条: who receives the settlement: the insured themself (nationality, another
    pension), the beneficiary the deceased named, or a legal heir."""
    if application.answers.get("ground") != "death":
        return PayeeRole.INSURED
    if application.comparison.get("relationship") == "designated_beneficiary":
        return PayeeRole.DESIGNATED_BENEFICIARY
    return PayeeRole.HEIR


def settlement_subject(application: Application) -> str | None:
    settlement = settlement_for(application)
    return f"settlement:{settlement.id}" if settlement is not None else None


def approve_settlement(application: Application, *, actor: str, channel: str = "counter",
                       **_kwargs) -> dict:
    """复核 of the settlement (the lifecycle's hook): a different member of staff releases it."""
    approval = approvals.of_subject(PayoutKind.DEREGISTRATION_SETTLEMENT,
                                    settlement_subject(application) or "")
    if approval is None:
        raise NotOpen()
    approvals.approve(approval, actor=actor, channel=channel)
    return {"prepared_by": approval.prepared_by, "payout": approval.id}


@approvals.releases(PayoutKind.DEREGISTRATION_SETTLEMENT)
def _pay_settlement(approval, actor: str, channel: str) -> None:
    """Approved: the account closes (what may be refunded leaves it for the payee; the rest,
    government money when another pension is drawn, returns to the fund: both as one settlement
    entry) and the bank is told to pay."""
    settlement = db.session.get(Settlement, int(approval.subject.split(":")[1]))
    application = db.session.get(Application, settlement.application_id)
    account = ledger.account_of(settlement.insured_person_id)
    today = china_today()
    if account and settlement.balance_fen:
        db.session.add(LedgerEntry(
            account_id=account.id, kind="settlement", amount_fen=-settlement.balance_fen,
            booked_on=today, year=today.year, source_key=f"settlement:{application.reference}",
            reason=settlement.ground))
    if settlement.payable_fen:
        db.session.add(OutboxMessage(
            channel="bank", kind="settlement", person_id=settlement.payee_person_id,
            recipient="bank", params={"settlement_id": settlement.id,
                                      "amount_fen": settlement.payable_fen,
                                      "bank_account": settlement.bank_account,
                                      "approval_id": approval.id},
            body=f"settlement {application.reference} {settlement.payable_fen}"))
    settlement.status = "to_pay"


def settlement_for(application: Application) -> Settlement | None:
    return db.session.scalar(select(Settlement).filter_by(application_id=application.id))


def commitment_for(application: Application) -> Commitment | None:
    return db.session.scalar(select(Commitment).filter_by(application_id=application.id))


def debts(county_code: str) -> list[tuple[Settlement, Person]]:
    """Overpaid pension the settlement could not cover (第三十六条): for staff to recover."""
    rows = db.session.execute(
        select(Settlement, Person, Application)
        .join(Person, Person.id == Settlement.insured_person_id)
        .join(Application, Application.id == Settlement.application_id)
        .filter(Settlement.debt_fen > 0, Application.region_code.startswith(county_code[:6]))
        .order_by(Settlement.id)).all()
    return [(s, p) for s, p, _a in rows]


# Transfers ------------------------------------------------------------------------------------

def _stage(case: TransferCase, stage: str, holder: str, workdays: int | None = None,
           due: date | None = None) -> None:
    today = china_today()
    history = list(case.history or [])
    if history:
        history[-1] = {**history[-1], "done": today.isoformat()}
    due = due or workday_calendar().deadline(today, workdays).due
    history.append({"stage": stage, "holder": holder, "since": today.isoformat(),
                    "due": due.isoformat(), "done": None})
    case.stage, case.holder, case.stage_since, case.stage_due, case.history = (
        stage, holder, today, due, history)


def on_this_system(county_code: str) -> bool:
    """Counties with staff here exchange documents in-process; others through the interface."""
    return db.session.scalar(select(StaffUser.id).filter(
        StaffUser.region_code.startswith(county_code[:6])).limit(1)) is not None


def transfer_submitted(application: Application, actor: str, channel: str) -> None:
    found = application.comparison
    person_id = application.person_id
    relation = queries.current_relation(person_id)
    old = found.get("resident_scheme_region") or relation.region_code
    case = TransferCase(application_id=application.id, person_id=person_id, from_county=old,
                        to_county=application.region_code, history=[])
    _stage(case, "new_county_review", application.region_code, due=application.due_on)
    db.session.add(case)


def transfer_case_for(application: Application) -> TransferCase | None:
    return db.session.scalar(select(TransferCase).filter_by(application_id=application.id))


def transfer_accepted(application: Application, actor: str, channel: str) -> None:
    """第四十二条、第四十三条: the new county accepts and sends the 接收函 to the old county."""
    case = transfer_case_for(application)
    person = db.session.get(Person, application.person_id)
    case.letter = {"reference": application.reference, "name": person.name,
                   "id_number": person.id_number, "from_county": case.from_county,
                   "to_county": case.to_county, "accepted_on": china_today().isoformat()}
    _stage(case, "old_county_settling", case.from_county, STAGE_WORKDAYS["old_county_settling"])
    if not on_this_system(case.from_county):
        # An outside county: the letter leaves through the transfer interface.
        db.session.add(OutboxMessage(channel="transfer", kind="acceptance_letter",
                                     person_id=person.id, recipient=case.from_county,
                                     params=case.letter, body=str(case.letter)))
    audit.record("transfer_letter_sent", actor=actor, channel=channel,
                 object_type="transfer_case", object_id=application.reference,
                 detail={"from": case.from_county, "to": case.to_county})


def transfer_refused(application: Application) -> None:
    case = transfer_case_for(application)
    if case is not None:
        _stage(case, "refused", case.to_county, due=china_today())


def settle_transfer_out(case: TransferCase, actor: str, scheme: dict,
                        channel: str = "counter") -> PayoutApproval:
    """经办 at the old county (on this system): interest to date (结息, 第四十三条: every year not
    yet credited, at its rate or the latest published one) and the 审批表 with the whole
    balance. Nothing leaves until a different member of staff approves it (第六十二条)."""
    if case.stage != "old_county_settling":
        raise NotOpen()
    if approvals.of_subject(PayoutKind.TRANSFER_SETTLEMENT, f"transfer:{case.id}"):
        raise approvals.AlreadyPrepared()
    account = _old_account(case)
    today = china_today()
    parts = credit_to_date(account.id, today, scheme, f"transfer:{case.id}")
    interest = sum(part["amount_fen"] for part in parts)
    amount = ledger.balance_fen(account.id)
    years = ledger.contribution_years(account.id)
    case.amount_fen, case.years = amount, years
    case.approval_sheet = {"balance_fen": amount, "interest_to_date_fen": interest,
                           "interest": parts, "years": years, "settled_on": today.isoformat(),
                           "prepared_by": actor}
    approval = approvals.prepare(PayoutKind.TRANSFER_SETTLEMENT, f"transfer:{case.id}",
                                 actor=actor, channel=channel, county_code=case.from_county,
                                 amount_fen=amount, person_id=case.person_id,
                                 detail={"interest_fen": interest, "years": len(years)})
    audit.record("transfer_settlement_prepared", actor=actor, channel=channel,
                 object_type="transfer_case", object_id=case.id,
                 detail={"amount_fen": amount, "interest_fen": interest, "years": len(years)})
    db.session.commit()
    return approval


def _old_account(case: TransferCase) -> PersonalAccount:
    relation = db.session.scalar(select(InsuranceRelation).filter(
        InsuranceRelation.person_id == case.person_id,
        InsuranceRelation.region_code.startswith(case.from_county[:6]),
        InsuranceRelation.status != "terminated"))
    return db.session.scalar(select(PersonalAccount).filter_by(relation_id=relation.id))


@approvals.releases(PayoutKind.TRANSFER_SETTLEMENT)
def _send_transfer(approval, actor: str, channel: str) -> None:
    """复核 done: the whole balance leaves in one payment, the relation ends here with its records
    kept, and the case waits for the new county to confirm the funds (第四十三条)."""
    case = db.session.get(TransferCase, int(approval.subject.split(":")[1]))
    if case.stage != "old_county_settling":
        raise NotOpen()
    account = _old_account(case)
    relation = db.session.get(InsuranceRelation, account.relation_id)
    today = china_today()
    db.session.add(LedgerEntry(account_id=account.id, kind="transfer_out",
                               amount_fen=-case.amount_fen, booked_on=today, year=today.year,
                               source_key=f"transfer-out:{case.id}"))
    relation.status, relation.ended_on, relation.end_reason = "terminated", today, \
        "transferred_out"
    case.approval_sheet = {**case.approval_sheet, "approved_by": actor,
                           "approved_on": today.isoformat()}
    _stage(case, "funds_in_transit", case.to_county, STAGE_WORKDAYS["funds_in_transit"])
    audit.record("transfer_settled_out", actor=actor, channel=channel,
                 object_type="transfer_case", object_id=case.id,
                 detail={"amount_fen": case.amount_fen, "prepared_by": approval.prepared_by})


def transfer_approval(case: TransferCase) -> PayoutApproval | None:
    return approvals.of_subject(PayoutKind.TRANSFER_SETTLEMENT, f"transfer:{case.id}")


def receive_from_outside(case: TransferCase, amount_fen: int, years: list[int],
                         actor: str = "system:transfer") -> None:
    """An outside county's approval sheet and funds arrive through the transfer interface."""
    if case.stage != "old_county_settling" or on_this_system(case.from_county):
        raise ValueError("not waiting for an outside county")
    case.amount_fen, case.years = amount_fen, sorted(years)
    case.approval_sheet = {"balance_fen": amount_fen, "years": sorted(years),
                           "settled_on": china_today().isoformat()}
    _stage(case, "funds_in_transit", case.to_county, STAGE_WORKDAYS["funds_in_transit"])
    audit.record("transfer_received_from_outside", actor=actor, channel="system",
                 object_type="transfer_case", object_id=case.id,
                 detail={"amount_fen": amount_fen, "years": len(years)})
    db.session.commit()


def confirm_funds(case: TransferCase, actor: str, channel: str = "counter") -> None:
    """第四十四条: the new county confirms the funds arrived in full, books them with the history
    into a new account (contribution years carried over), closes the case, tells the resident."""
    if case.stage != "funds_in_transit":
        raise ValueError("no funds on the way")
    today = china_today()
    relation = InsuranceRelation(person_id=case.person_id, region_code=case.to_county,
                                 status="contributing", started_on=today,
                                 application_id=case.application_id)
    db.session.add(relation)
    db.session.flush()
    previous = ledger.account_of(case.person_id)
    account = PersonalAccount(person_id=case.person_id, relation_id=relation.id, opened_on=today,
                              carried_years=case.years or [])
    if previous is not None:
        relation.contribution_tier_fen = db.session.get(
            InsuranceRelation, previous.relation_id).contribution_tier_fen
    db.session.add(account)
    db.session.flush()
    db.session.add(LedgerEntry(account_id=account.id, kind="transfer_in",
                               amount_fen=case.amount_fen, booked_on=today, year=today.year,
                               source_key=f"transfer-in:{case.id}"))
    _stage(case, "completed", case.to_county, due=today)
    application = db.session.get(Application, case.application_id)
    record_event(application, EventKind.TRANSFER_COMPLETED, actor)
    notify.tell(db.session.get(Person, case.person_id), "transfer_completed",
                {"reference": application.reference})
    audit.record("transfer_completed", actor=actor, channel=channel,
                 object_type="transfer_case", object_id=case.id,
                 detail={"amount_fen": case.amount_fen, "years": len(case.years or [])})
    db.session.commit()


def transfers_held_by(county_code: str) -> list[TransferCase]:
    return db.session.scalars(select(TransferCase).filter(
        TransferCase.holder.startswith(county_code[:6]),
        TransferCase.stage.in_(("old_county_settling", "funds_in_transit")))
        .order_by(TransferCase.stage_due)).all()


# Disputes about a transferred record (第四十四条) ------------------------------------------

class NoTransferredRecord(Invalid):
    """The resident's record here did not come by a transfer: there is no old county to ask."""


class NoCorrection(Invalid):
    """The old county's answer names no amount to correct."""


def transfer_behind(application: Application) -> TransferCase | None:
    """The completed transfer that brought the resident's record to this county."""
    return db.session.scalar(select(TransferCase).filter(
        TransferCase.person_id == application.person_id, TransferCase.stage == "completed",
        TransferCase.to_county.startswith(application.region_code[:6]))
        .order_by(TransferCase.id.desc()).limit(1))


def inquiry_for(application: Application) -> RecordInquiry | None:
    return db.session.scalar(select(RecordInquiry).filter_by(application_id=application.id))


def ask_old_county(application: Application, *, actor: str, data: dict | None = None,
                   **_kwargs) -> dict:
    """第四十四条 转入地县社保机构应及时联系转出地县社保机构: the question goes to the county the
    record came from, in-process where that county works on this system (its console lists
    it), otherwise through the transfer interface with the transfer it concerns (the
    lifecycle's hook)."""
    case = transfer_behind(application)
    if case is None:
        raise NoTransferredRecord()
    question = (data or {}).get("question") or ""
    route = "in_process" if on_this_system(case.from_county) else "exchange"
    inquiry = RecordInquiry(application_id=application.id, case_id=case.id,
                            person_id=application.person_id,
                            asking_county=application.region_code, old_county=case.from_county,
                            route=route, question=question, asked_by=actor, status="asked")
    db.session.add(inquiry)
    if route == "exchange":
        person = db.session.get(Person, application.person_id)
        transfer = db.session.get(Application, case.application_id)
        letter = {"reference": application.reference, "transfer_reference": transfer.reference,
                  "name": person.name, "id_number": person.id_number,
                  "from_county": case.from_county, "to_county": case.to_county,
                  "amount_fen": case.amount_fen, "years": case.years or [],
                  "question": question,
                  "resident_says": application.answers.get("what_is_wrong", "")}
        db.session.add(OutboxMessage(channel="transfer", kind="record_inquiry",
                                     person_id=person.id, recipient=case.from_county,
                                     params=letter,
                                     body=json.dumps(letter, ensure_ascii=False)))
    return {"route": route, "old_county": case.from_county, "case": case.id}


class AlreadyAnswered(ConcurrentDecision):
    """The inquiry was answered first by somebody else (or the same answer arrived twice)."""


def answer_inquiry(inquiry: RecordInquiry, *, answer: str, correction_fen: int | None,
                   correction_year: int | None, actor: str, channel: str = "counter") -> None:
    """The old county's answer (第四十四条), from its console or through the transfer interface:
    recorded once, put on the dispute's timeline for the new county to close it, and the
    resident is told it arrived."""
    application = db.session.get(Application, inquiry.application_id)
    if application.status != "asked":
        raise AlreadyAnswered()
    _record_answer(inquiry, answer=answer, correction_fen=correction_fen,
                   correction_year=correction_year, actor=actor)
    application.status = "old_county_answered"
    record_event(application, EventKind.OLD_COUNTY_ANSWERED, actor)
    audit.record("record_inquiry_answered", actor=actor, channel=channel,
                 object_type="application", object_id=application.reference,
                 on_behalf_of=f"resident:{application.person_id}",
                 detail={"route": inquiry.route, "old_county": inquiry.old_county,
                         "correction_fen": inquiry.correction_fen,
                         "correction_year": inquiry.correction_year})
    notify.tell(db.session.get(Person, application.person_id),
                "application_old_county_answered", {"reference": application.reference})
    try:
        commit_or_conflict()
    except ConcurrentDecision:
        raise AlreadyAnswered() from None


def _record_answer(inquiry: RecordInquiry, *, answer: str, correction_fen: int | None,
                   correction_year: int | None, actor: str) -> None:
    if inquiry.status != "asked":
        raise AlreadyAnswered()
    inquiry.status, inquiry.answer = "answered", answer
    inquiry.correction_fen = correction_fen or None
    inquiry.correction_year = correction_year if correction_fen else None
    inquiry.answered_by, inquiry.answered_at = actor, utcnow()


def record_outside_answer(application: Application, *, actor: str, data: dict | None = None,
                          **_kwargs) -> dict:
    """The answer of a county outside this system, as it arrived (through the transfer
    interface, or on paper), entered by the new county's staff (the lifecycle's hook; the
    action's outcome moves the dispute on, writes its timeline and tells the resident)."""
    data = data or {}
    inquiry = inquiry_for(application)
    if inquiry is None or inquiry.route != "exchange":
        raise NotOpen()
    _record_answer(inquiry, answer=data.get("answer") or "",
                   correction_fen=data.get("correction_fen"),
                   correction_year=data.get("correction_year"), actor=actor)
    return {"route": inquiry.route, "old_county": inquiry.old_county,
            "correction_fen": inquiry.correction_fen,
            "correction_year": inquiry.correction_year}


def on_exchange(application: Application) -> bool:
    """Whether the dispute's question went to a county outside this system."""
    inquiry = inquiry_for(application)
    return inquiry is not None and inquiry.route == "exchange"


def receive_inquiry_answer(inquiry: RecordInquiry, *, answer: str, correction_fen: int | None,
                           correction_year: int | None,
                           actor: str = "system:transfer") -> None:
    """An outside county's answer arriving through the transfer interface."""
    if inquiry.route != "exchange":
        raise NotOpen()
    answer_inquiry(inquiry, answer=answer, correction_fen=correction_fen,
                   correction_year=correction_year, actor=actor, channel="system")


def inquiries_to(county_code: str) -> list[RecordInquiry]:
    """Questions other counties on this system asked this county about records it transferred
    out, still to answer, oldest first."""
    return db.session.scalars(select(RecordInquiry).filter(
        RecordInquiry.old_county.startswith(county_code[:6]),
        RecordInquiry.route == "in_process", RecordInquiry.status == "asked")
        .order_by(RecordInquiry.asked_at)).all()


def _account_in_old_county(inquiry: RecordInquiry) -> PersonalAccount | None:
    return db.session.scalar(
        select(PersonalAccount).join(InsuranceRelation,
                                     InsuranceRelation.id == PersonalAccount.relation_id)
        .filter(InsuranceRelation.person_id == inquiry.person_id,
                InsuranceRelation.region_code.startswith(inquiry.old_county[:6]))
        .order_by(PersonalAccount.id.desc()).limit(1))


def book_transfer_correction(application: Application, *, actor: str, choice: str,
                             data: dict | None = None, channel: str = "counter",
                             **_kwargs) -> dict:
    """第四十四条: the new county closes the dispute with the old county's answer (the
    lifecycle's hook). "corrected" only prepares the correction (经办): nothing is booked until a
    different member of staff approves it (第六十二条, `approve_transfer_correction`), which
    books it on both sides in one transaction."""
    inquiry = inquiry_for(application)
    if inquiry is None or inquiry.status != "answered":
        raise NotOpen()
    if choice != "corrected":
        return {"inquiry": inquiry.id}
    amount, year = inquiry.correction_fen, inquiry.correction_year
    if not amount:
        raise NoCorrection()
    old_id = None
    if inquiry.route == "in_process":
        old = _account_in_old_county(inquiry)
        if old is None:
            raise NoTransferredRecord()
        old_id = old.id
    account = ledger.account_of(application.person_id)
    if account is None:
        raise NoTransferredRecord()
    approval = approvals.prepare(
        PayoutKind.TRANSFER_CORRECTION, transfer_correction_subject(application), actor=actor,
        channel=channel, county_code=application.region_code, amount_fen=amount,
        person_id=application.person_id, application_id=application.id,
        detail={"inquiry_id": inquiry.id, "old_account_id": old_id, "account_id": account.id,
                "year": year, "reference": application.reference,
                "explanation": (data or {}).get("explanation") or ""})
    return {"inquiry": inquiry.id, "correction_fen": amount, "correction_year": year,
            "both_sides": old_id is not None, "payout": approval.id}


def transfer_correction_subject(application: Application) -> str:
    return f"transfer-correction:dispute:{application.reference}"


def approve_transfer_correction(application: Application, *, actor: str,
                                channel: str = "counter", **_kwargs) -> dict:
    """复核 of a transferred record's correction (the lifecycle's hook): a different member of
    staff approves and it is booked on both sides; the resident reads the explanation given
    when it was prepared."""
    approval = approvals.of_subject(PayoutKind.TRANSFER_CORRECTION,
                                    transfer_correction_subject(application))
    if approval is None:
        raise NotOpen()
    approvals.approve(approval, actor=actor, channel=channel)
    if approval.detail.get("explanation"):
        application.decision_reason = approval.detail["explanation"]
    return {"prepared_by": approval.prepared_by, "payout": approval.id}


@approvals.releases(PayoutKind.TRANSFER_CORRECTION)
def _book_transfer_correction(approval, actor: str, channel: str) -> None:
    """Approved: in the old county's closed account (on this system) the corrected amount and
    the same amount transferred out (it stays at zero and its history shows the correction),
    and in the account here the amount transferred in, with the contribution year carried over
    where the answer names one. An old county outside this system books its own side."""
    detail = approval.detail
    inquiry = db.session.get(RecordInquiry, detail["inquiry_id"])
    amount, year = approval.amount_fen, detail.get("year")
    today, reason = china_today(), inquiry.answer
    key = f"dispute:{detail['reference']}"
    booked = []
    if detail.get("old_account_id"):
        old_id = detail["old_account_id"]
        booked += [LedgerEntry(account_id=old_id, kind="reversal", amount_fen=amount,
                               booked_on=today, year=year or today.year, reason=reason,
                               source_key=f"{key}:old"),
                   LedgerEntry(account_id=old_id, kind="transfer_out", amount_fen=-amount,
                               booked_on=today, year=today.year, reason=reason,
                               source_key=f"{key}:old-out")]
    account = db.session.get(PersonalAccount, detail["account_id"])
    booked.append(LedgerEntry(account_id=account.id, kind="transfer_in", amount_fen=amount,
                              booked_on=today, year=today.year, reason=reason,
                              source_key=f"{key}:in"))
    if year and amount > 0 and year not in (account.carried_years or []):
        account.carried_years = sorted({*(account.carried_years or []), year})
    db.session.add_all(booked)
