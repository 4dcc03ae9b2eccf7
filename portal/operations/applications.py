"""Drafts, submission and decisions of applications: every change writes its timeline event,
its audit record and the resident's notifications in the same transaction."""

import json
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import lifecycle, queries
from ..constants import ApplicationKind, ApplicationStatus, EventKind, RelationStatus
from ..extensions import db
from ..models import (
    Application,
    ApplicationEvent,
    Draft,
    InsuranceRelation,
    OutboxMessage,
    Person,
    PersonalAccount,
    Upload,
    utcnow,
)
from ..rules.dates import china_today  # noqa: F401  (operations and views take it from here)
from . import audit, notify, tax_export
from .calendar import workday_calendar
from .transitions import (  # noqa: F401  (the named refusals, re-exported for callers)
    ConcurrentDecision,
    Invalid,
    NotOpen,
    NotOwner,
    commit_or_conflict,
)


def draft_for(person_id: int, flow: str) -> Draft | None:
    return db.session.scalar(select(Draft).filter_by(person_id=person_id, flow=flow))


def save_answers(person_id: int, flow: str, step: str, new_answers: dict, keep: dict) -> Draft:
    """Merge one step's answers into the draft; `keep` is the flow's still-relevant answers."""
    draft = draft_for(person_id, flow)
    if draft is None:
        draft = Draft(person_id=person_id, flow=flow, answers={},
                      submission_key=secrets.token_hex(16))
        db.session.add(draft)
    draft.answers = {**keep, **new_answers}
    draft.step = step
    draft.updated_at = utcnow()
    db.session.commit()
    return draft


UNSENT = "_unsent"  # a page posted after the session ended, put back on it after sign-in


def keep_unsent(person_id: int, flow: str, step: str, fields: dict[str, list[str]]) -> None:
    """Keep what was typed on a page posted after the session ended, as typed (not checked:
    the page shows it again after sign-in and checks it then). The next saved step drops it
    (Flow.relevant_answers keeps only step fields)."""
    draft = draft_for(person_id, flow)
    if draft is None:
        draft = Draft(person_id=person_id, flow=flow, answers={},
                      submission_key=secrets.token_hex(16))
        db.session.add(draft)
    draft.answers = {**draft.answers, UNSENT: {"step": step, "fields": fields}}
    draft.updated_at = utcnow()
    db.session.commit()


def set_draft_answers(draft: Draft, answers: dict) -> None:
    draft.answers = answers
    draft.updated_at = utcnow()
    db.session.commit()


def discard_draft(person_id: int, flow: str) -> None:
    draft = draft_for(person_id, flow)
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()


def by_submission_key(key: str) -> Application | None:
    return db.session.scalar(select(Application).filter_by(submission_key=key))


def _new_reference(county_code: str, day) -> str:
    return f"{county_code[:6]}{day:%y%m%d}{secrets.randbelow(10**5):05d}"


def submit(*, flow, draft: Draft, ctx, county_code: str, actor: str, filed_by_kind: str,
           channel: str, township_code: str | None = None, township_check: bool = False,
           on_behalf_of: str | None = None, deadline_workdays: int | None = None,
           consent_id: int | None = None, also=None) -> Application:
    """Turn a complete draft into an application exactly once (double tap, retry, back button,
    eight parallel requests): whoever loses the race on the draft's unique submission key gets
    the winner's application, never an error. A flow that needs no review (第九条) takes effect
    in the same transaction."""
    key = draft.submission_key
    existing = by_submission_key(key)
    if existing is not None:
        return existing
    try:
        return _submit(flow=flow, draft=draft, ctx=ctx, county_code=county_code, actor=actor,
                       filed_by_kind=filed_by_kind, channel=channel,
                       township_code=township_code, township_check=township_check,
                       on_behalf_of=on_behalf_of, deadline_workdays=deadline_workdays,
                       consent_id=consent_id, also=also)
    except (IntegrityError, StaleDataError):
        # A simultaneous identical submit won (its application holds the key, or it already
        # deleted the draft): nothing of this attempt was kept; show the winner's.
        db.session.rollback()
        winner = by_submission_key(key)
        if winner is None:
            raise
        return winner


def _submit(*, flow, draft, ctx, county_code, actor, filed_by_kind, channel, township_code,
            township_check, on_behalf_of, deadline_workdays, consent_id, also) -> Application:
    workdays = flow.deadline_workdays if deadline_workdays is None else deadline_workdays
    deadline = workday_calendar().deadline(china_today(), workdays)
    application = Application(
        reference=_new_reference(county_code, china_today()),
        kind=flow.name,
        person_id=draft.person_id,
        region_code=county_code,
        township_code=township_code,
        township_check=township_check and township_code is not None,
        filed_by=actor,
        filed_by_kind=filed_by_kind,
        channel=channel,
        submission_key=draft.submission_key,
        received_on=deadline.received,
        due_on=deadline.due,
        deadline_uncertain=deadline.may_move,
        status=ApplicationStatus.SUBMITTED,
        answers=flow.relevant_answers(draft.answers, ctx),
        comparison=ctx.comparison,
        consent_id=consent_id,
    )
    db.session.add(application)
    db.session.flush()
    document_ids = application.answers.get("documents") or []
    if document_ids:
        db.session.execute(
            update(Upload).where(Upload.id.in_(document_ids),
                                 Upload.person_id == draft.person_id)
            .values(application_id=application.id))
    record_event(application, EventKind.SUBMITTED, actor)
    steps = lifecycle.of(flow.name)
    if steps.on_submit is not None:
        steps.on_submit(application, actor, channel)
    audit.record("application_submitted", actor=actor, on_behalf_of=on_behalf_of,
                 channel=channel, object_type="application", object_id=application.reference,
                 detail={"kind": flow.name, "due_on": deadline.due.isoformat()})
    if steps.at_once is None:
        notify_applicant(application, "submitted")
    else:
        steps.at_once(application, actor, channel)
        application.status = ApplicationStatus.COMPLETED
        application.decided_by, application.decided_at = actor, utcnow()
        record_event(application, EventKind.COMPLETED, actor)
        audit.record("application_completed", actor=actor, on_behalf_of=on_behalf_of,
                     channel=channel, object_type="application",
                     object_id=application.reference)
        notify_applicant(application, "completed")
    if also is not None:
        also(application)  # e.g. telling the resident an assistant filed it, in this transaction
    db.session.delete(draft)
    db.session.commit()
    return application


def open_insurance(application: Application, actor: str, channel: str) -> None:
    """Approval creates the relation and opens the personal account (第八条、第十六条), and
    queues the registration record for the tax department (第十三条)."""
    today = china_today()
    relation = InsuranceRelation(
        person_id=application.person_id, region_code=application.region_code,
        status=RelationStatus.CONTRIBUTING, started_on=today, application_id=application.id,
        contribution_tier_fen=int(application.answers["tier"]),
    )
    db.session.add(relation)
    db.session.flush()
    db.session.add(PersonalAccount(person_id=application.person_id, relation_id=relation.id,
                                   opened_on=today))
    person = db.session.get(Person, application.person_id)
    if application.answers.get("address") and not person.address:
        person.address = application.answers["address"]
    tax_export.queue_registration(db.session.get(Person, application.person_id), relation,
                                  application, application.answers.get("address"))


def shown_status(application: Application, arrived: dict[int, bool] | None = None) -> str:
    """The status a person reads. A level choice takes effect at once (第十一条) but nothing is
    done until the money arrives from the tax department: until then it is 待缴费. `arrived`:
    whether a year's contributions reached the current account, where the caller knows already
    (the home page has this year's); other years are looked up."""
    if (application.kind == ApplicationKind.TIER_CHOICE
            and application.status == ApplicationStatus.COMPLETED):
        year = application.received_on.year
        if arrived is not None and year in arrived:
            paid = arrived[year]
        else:
            from . import ledger

            account = ledger.account_of(application.person_id)
            paid = account is not None and bool(ledger.contributions_in(account.id, year))
        if not paid:
            return ApplicationStatus.AWAITING_PAYMENT
    return application.status


def record_event(application: Application, kind: EventKind, actor: str,
                 note: str | None = None) -> None:
    """One step on the application's timeline, as the resident reads it: only a labelled
    kind (EventKind(kind) refuses any other), so no code reaches the resident's timeline."""
    db.session.add(ApplicationEvent(application=application, kind=EventKind(kind), actor=actor,
                                    note=note))


def notify_applicant(application: Application, status: str, **extra) -> None:
    """In the message centre and by SMS; the SMS goes out in Chinese. A decision date in a year
    whose holidays are not confirmed says it may move (可能调整)."""
    if status == "submitted" and application.deadline_uncertain:
        status = "submitted_may_move"
    notify.tell(db.session.get(Person, application.person_id), f"application_{status}",
                {"reference": application.reference, "due": application.due_on.isoformat(),
                 **extra})


# What an application does to the records. Changes that need no review (第九条) happen at
# submission; the others when the county approves.

def change_details(application: Application, actor: str, channel: str) -> None:
    from . import residents

    person = db.session.get(Person, application.person_id)
    fields = residents.DIRECT_FIELDS + residents.IDENTITY_FIELDS
    changes = {field: value for field, value in application.answers.items() if field in fields}
    residents.change_details(person, changes, actor=actor,
                             channel=channel, application_id=application.id,
                             on_behalf_of=person.get_id())


def choose_tier(application: Application, actor: str, channel: str) -> None:
    """第十一条: this year's level; the tax department learns it to collect the payment."""
    relation = queries.current_relation(application.person_id)
    relation.contribution_tier_fen = int(application.answers["tier"])
    record = {"reference": application.reference, "year": application.received_on.year,
              "tier_fen": relation.contribution_tier_fen,
              "id_number": db.session.get(Person, application.person_id).id_number}
    db.session.add(OutboxMessage(channel="tax", kind="tier_choice", recipient="tax",
                                 person_id=application.person_id, params=record,
                                 body=json.dumps(record, ensure_ascii=False)))


def book_corrections(application: Application, *, actor: str, choice: str, data: dict,
                     channel: str = "counter") -> dict:
    """第二十条: a dispute found right prepares the correction of each disputed ledger entry
    (its reversal and the right amount, with the dispute as their source document); a
    different member of staff approves it before anything is booked (第六十二条,
    `approve_corrections`). (The lifecycle's hook for a dispute's resolution.)"""
    from . import ledger

    corrections = data.get("corrections") or []
    if not corrections:
        return {"corrections": []}
    account = ledger.account_of(application.person_id)
    if account is None:
        raise Invalid("the resident has no account")
    try:
        approval = ledger.prepare_corrections(
            account, corrections, data.get("explanation") or "", actor=actor,
            source=f"dispute:{application.reference}", county_code=application.region_code,
            application_id=application.id, channel=channel)
    except ValueError as error:
        raise Invalid(str(error)) from error
    return {"corrections": corrections, "payout": approval.id}


def correction_subject(application: Application) -> str:
    return f"correction:dispute:{application.reference}"


def approve_corrections(application: Application, *, actor: str, channel: str = "counter",
                        **_kwargs) -> dict:
    """复核 of a dispute's correction (the lifecycle's hook): a different member of staff approves
    and the entries are booked; the resident reads the explanation given when it was prepared."""
    from ..constants import PayoutKind
    from . import approvals

    approval = approvals.of_subject(PayoutKind.LEDGER_CORRECTION, correction_subject(application))
    if approval is None:
        raise NotOpen()
    approvals.approve(approval, actor=actor, channel=channel)
    application.decision_reason = approval.detail["reason"]
    return {"prepared_by": approval.prepared_by, "payout": approval.id}


def take_up(application: Application, *, actor: str, **_kwargs) -> None:
    """首问负责制: the first staff member to open a question owns it until it is answered."""
    application.owner = actor
