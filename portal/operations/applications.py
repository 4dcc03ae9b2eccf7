"""Drafts, submission and decisions of applications: every change writes its timeline event,
its audit record and the resident's notifications in the same transaction."""

import secrets
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

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
from . import audit, notify, tax_export
from .calendar import workday_calendar

CHINA = timezone(timedelta(hours=8))


def china_today():
    return datetime.now(UTC).astimezone(CHINA).date()


class ConcurrentDecision(RuntimeError):
    """Somebody else changed the application first."""


class NotOpen(RuntimeError):
    """The application was already decided."""


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
           on_behalf_of: str | None = None) -> Application:
    """Turn a complete draft into an application exactly once (double tap, retry, back button)."""
    existing = by_submission_key(draft.submission_key)
    if existing is not None:
        return existing
    deadline = workday_calendar().deadline(china_today(), flow.deadline_workdays)
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
        deadline_uncertain=bool(deadline.uncertain_years),
        status="submitted",
        answers=flow.relevant_answers(draft.answers, ctx),
        comparison=ctx.comparison,
    )
    db.session.add(application)
    db.session.flush()
    document_ids = application.answers.get("documents") or []
    if document_ids:
        db.session.execute(
            update(Upload).where(Upload.id.in_(document_ids),
                                 Upload.person_id == draft.person_id)
            .values(application_id=application.id))
    _event(application, "submitted", actor)
    audit.record("application_submitted", actor=actor, on_behalf_of=on_behalf_of,
                 channel=channel, object_type="application", object_id=application.reference,
                 detail={"kind": flow.name, "due_on": deadline.due.isoformat()})
    _notify(application, "submitted")
    db.session.delete(draft)
    try:
        db.session.commit()
    except IntegrityError:
        # A simultaneous identical submit won the race; show the one it created.
        db.session.rollback()
        winner = by_submission_key(draft.submission_key)
        if winner is None:
            raise
        return winner
    return application


def decide(application: Application, *, expected_version: int, approve: bool,
           reason: str | None, staff, channel: str = "counter") -> Application:
    """Approve or reject (第八条). Optimistic locking: the version the reviewer saw must still be
    current, otherwise ConcurrentDecision and nothing changes."""
    if application.version != expected_version:
        raise ConcurrentDecision()
    if application.status != ("township_checked" if application.township_check else "submitted"):
        raise NotOpen()
    actor = staff.get_id()
    application.status = "approved" if approve else "rejected"
    application.decision_reason = reason
    application.decided_by = actor
    application.decided_at = utcnow()
    _event(application, application.status, actor, note=reason)
    if approve and application.kind == "enrolment":
        _open_insurance(application)
    audit.record("application_" + application.status, actor=actor, channel=channel,
                 object_type="application", object_id=application.reference,
                 on_behalf_of=f"resident:{application.person_id}",
                 detail={"reason": reason, "version": expected_version})
    _notify(application, application.status)
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise ConcurrentDecision() from error
    return application


def township_checked(application: Application, *, expected_version: int, note: str | None,
                     staff, channel: str = "counter") -> Application:
    """The township office's first check (初审, 第四条): passes the application to the county
    with the clerk's note; the county still decides within the same deadline."""
    if application.version != expected_version:
        raise ConcurrentDecision()
    if not application.township_check or application.status != "submitted":
        raise NotOpen()
    actor = staff.get_id()
    application.status = "township_checked"
    _event(application, "township_checked", actor, note=note)
    audit.record("application_township_checked", actor=actor, channel=channel,
                 object_type="application", object_id=application.reference,
                 on_behalf_of=f"resident:{application.person_id}", detail={"note": note})
    _notify(application, "township_checked")
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise ConcurrentDecision() from error
    return application


def _open_insurance(application: Application) -> None:
    """Approval creates the relation and opens the personal account (第八条、第十六条), and
    queues the registration record for the tax department (第十三条)."""
    today = china_today()
    relation = InsuranceRelation(
        person_id=application.person_id, region_code=application.region_code,
        status="contributing", started_on=today, application_id=application.id,
        contribution_tier_fen=int(application.answers["tier"]),
    )
    db.session.add(relation)
    db.session.flush()
    db.session.add(PersonalAccount(person_id=application.person_id, relation_id=relation.id,
                                   opened_on=today))
    tax_export.queue_registration(db.session.get(Person, application.person_id), relation,
                                  application, application.answers.get("address"))


def _event(application: Application, kind: str, actor: str, note: str | None = None) -> None:
    db.session.add(ApplicationEvent(application=application, kind=kind, actor=actor, note=note))


def _notify(application: Application, status: str) -> None:
    """In the message centre and by SMS; the SMS goes out in Chinese."""
    person = db.session.get(Person, application.person_id)
    kind = f"application_{status}"
    params = {"reference": application.reference, "due": application.due_on.isoformat()}
    text, sms = notify.chinese_texts(kind, params)
    db.session.add(OutboxMessage(channel="in_app", kind=kind, person_id=person.id, body=text,
                                 params=params))
    if person.phone:
        db.session.add(OutboxMessage(channel="sms", kind=kind, person_id=person.id,
                                     recipient=person.phone, body=sms))
