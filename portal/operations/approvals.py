"""Two people on every payout (第六十二条): `prepare` records what one member of staff made
ready to pay; `approve` lets a different one release it. Nothing leaves before approval: each
kind of payout registers, with `@releases(kind)`, the function that pays once approved (the
bank instruction, the ledger entries, the transfer's next stage).

Application-bound payouts (a deregistration's settlement, a dispute's correction, a
re-determination) are approved through the application's lifecycle: its check action names
`prepared_by_for(kind)` and calls `approve` in its hook (see flows/lifecycles.payout_check).
The others are approved on the console's approvals page.
"""

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..constants import PayoutKind
from ..extensions import db
from ..models import PayoutApproval, StaffUser, utcnow
from ..rules import approval as rules
from . import audit
from .transitions import ConcurrentDecision, NotOpen, SameStaff, commit_or_conflict

RELEASES: dict[str, Callable] = {}
RETURNS: dict[str, Callable] = {}


class SamePerson(SameStaff):
    """第六十二条: the member of staff who prepared a payout cannot approve it."""


class AlreadyPrepared(NotOpen):
    """This payout was already prepared (by someone else, or by a double tap)."""


def releases(kind: str):
    """Register what pays a kind of payout once approved: fn(approval, actor, channel)."""
    def register(fn):
        RELEASES[str(kind)] = fn
        return fn
    return register


def on_return(kind: str):
    """Register what undoes a prepared payout that is sent back: fn(approval, actor, channel)."""
    def register(fn):
        RETURNS[str(kind)] = fn
        return fn
    return register


def _load_releases() -> None:
    # Each module registers its own release when imported.
    from . import benefits, closure, ledger  # noqa: F401


def prepare(kind: PayoutKind | str, subject: str, *, actor: str, county_code: str,
            amount_fen: int, person_id: int | None = None, application_id: int | None = None,
            detail: dict | None = None, channel: str = "counter") -> PayoutApproval:
    """经办: record a payout ready for approval, in the caller's transaction."""
    if not rules.is_staff(actor):
        raise SamePerson()  # the system prepares nothing that pays out on its own
    if of_subject(kind, subject) is not None:
        raise AlreadyPrepared()
    approval = PayoutApproval(kind=str(kind), subject=subject, county_code=county_code,
                              amount_fen=amount_fen, person_id=person_id,
                              application_id=application_id, detail=detail or {},
                              status="awaiting", prepared_by=actor, prepared_at=utcnow())
    db.session.add(approval)
    try:
        db.session.flush()
    except IntegrityError:  # prepared at the same moment elsewhere: that one stands
        db.session.rollback()
        raise AlreadyPrepared() from None
    audit.record("payout_prepared", actor=actor, channel=channel, object_type="payout_approval",
                 object_id=approval.id, on_behalf_of=f"resident:{person_id}" if person_id
                 else None, detail={"kind": str(kind), "subject": subject,
                                    "amount_fen": amount_fen})
    return approval


def approve(approval: PayoutApproval, *, actor: str, channel: str = "counter",
            commit: bool = False) -> PayoutApproval:
    """复核: a different member of staff approves and the payout is released, in one
    transaction (committed here when `commit`, else by the caller: the lifecycle)."""
    if approval.status != "awaiting":
        raise NotOpen()
    if not rules.may_approve(approval.prepared_by, actor):
        audit.record("payout_approval_refused", actor=actor, channel=channel,
                     outcome="refused", object_type="payout_approval", object_id=approval.id,
                     detail={"kind": approval.kind, "reason": "same_person"})
        if commit:
            db.session.commit()
        raise SamePerson()
    approval.status, approval.approved_by, approval.approved_at = "approved", actor, utcnow()
    try:
        db.session.flush()  # the version check: of two approvers at once, one wins
    except StaleDataError as error:
        db.session.rollback()
        raise ConcurrentDecision() from error
    _load_releases()
    RELEASES[approval.kind](approval, actor, channel)
    audit.record("payout_approved", actor=actor, channel=channel, object_type="payout_approval",
                 object_id=approval.id,
                 on_behalf_of=f"resident:{approval.person_id}" if approval.person_id else None,
                 detail={"kind": approval.kind, "subject": approval.subject,
                         "amount_fen": approval.amount_fen,
                         "prepared_by": approval.prepared_by})
    if commit:
        commit_or_conflict()
    return approval


def send_back(approval: PayoutApproval, *, actor: str, reason: str,
              channel: str = "counter") -> PayoutApproval:
    """复核 finds it wrong: a different member of staff sends a payout not bound to an
    application (a re-issue, a transfer's balance) back to its preparer with the reason.
    Nothing is paid; what the preparation set aside is released (the failed payments go back to
    the failed list) and the same payout may be prepared again. Committed here."""
    reason = (reason or "").strip()
    if approval.status != "awaiting" or approval.application_id is not None:
        raise NotOpen()
    if not reason:
        raise ValueError("sending back needs its reason")
    if not rules.may_approve(approval.prepared_by, actor):
        audit.record("payout_return_refused", actor=actor, channel=channel,
                     outcome="refused", object_type="payout_approval", object_id=approval.id,
                     detail={"kind": approval.kind, "reason": "same_person"})
        db.session.commit()
        raise SamePerson()
    approval.status = "returned"
    # The (kind, subject) slot is freed so that the payout can be prepared again.
    approval.subject = f"{approval.subject}:returned:{approval.id}"
    approval.detail = {**approval.detail, "returned_by": actor,
                       "returned_at": utcnow().isoformat(), "return_reason": reason}
    try:
        db.session.flush()  # the version check: approved or sent back by someone else first
    except StaleDataError as error:
        db.session.rollback()
        raise ConcurrentDecision() from error
    _load_releases()
    if approval.kind in RETURNS:
        RETURNS[approval.kind](approval, actor, channel)
    audit.record("payout_returned", actor=actor, channel=channel, object_type="payout_approval",
                 object_id=approval.id,
                 on_behalf_of=f"resident:{approval.person_id}" if approval.person_id else None,
                 detail={"kind": approval.kind, "amount_fen": approval.amount_fen,
                         "prepared_by": approval.prepared_by, "reason": reason})
    commit_or_conflict()
    return approval


def recently_returned(county_code: str, limit: int = 20) -> list[PayoutApproval]:
    """Payouts sent back to their preparers, newest first: the preparer reads why."""
    return db.session.scalars(select(PayoutApproval).filter(
        PayoutApproval.status == "returned",
        PayoutApproval.county_code.startswith(county_code[:6]))
        .order_by(PayoutApproval.id.desc()).limit(limit)).all()


def of_subject(kind: PayoutKind | str, subject: str) -> PayoutApproval | None:
    return db.session.scalar(select(PayoutApproval).filter_by(kind=str(kind), subject=subject))


def for_application(application_id: int) -> PayoutApproval | None:
    """The latest payout of an application (its settlement, its correction)."""
    return db.session.scalar(select(PayoutApproval).filter_by(application_id=application_id)
                             .order_by(PayoutApproval.id.desc()).limit(1))


def prepared_by_for(kind: PayoutKind | str, subject_of: Callable):
    """For a lifecycle check action (`Action.prepared_by`): who prepared the application's
    payout of this kind; `subject_of(application)` names it."""
    def prepared_by(application):
        subject = subject_of(application)
        found = of_subject(kind, subject) if subject else None
        return found.prepared_by if found is not None else None
    return prepared_by


def awaits(kind: PayoutKind | str, subject_of: Callable):
    """For a lifecycle check action (`Action.applies`): whether the application has a payout of
    this kind waiting for its second person."""
    def applies(application) -> bool:
        subject = subject_of(application)
        found = of_subject(kind, subject) if subject else None
        return found is not None and found.status == "awaiting"
    return applies


def awaiting(county_code: str) -> list[PayoutApproval]:
    """What waits for a second person in the county, oldest first: the approvals page."""
    return db.session.scalars(select(PayoutApproval).filter(
        PayoutApproval.status == "awaiting",
        PayoutApproval.county_code.startswith(county_code[:6]))
        .order_by(PayoutApproval.prepared_at, PayoutApproval.id)).all()


def recently_approved(county_code: str, limit: int = 20) -> list[PayoutApproval]:
    return db.session.scalars(select(PayoutApproval).filter(
        PayoutApproval.status == "approved",
        PayoutApproval.county_code.startswith(county_code[:6]))
        .order_by(PayoutApproval.approved_at.desc()).limit(limit)).all()


def in_county(approval_id: int, county_code: str) -> PayoutApproval | None:
    """Record-level check: another county's payout does not exist for this staff member."""
    approval = db.session.get(PayoutApproval, approval_id)
    if approval is None or not approval.county_code.startswith(county_code[:6]):
        return None
    return approval


def names(approvals) -> dict[str, str]:
    """Actor id → staff member's name, for showing both names on a record."""
    ids = {int(actor.split(":")[1]) for a in approvals
           for actor in (a.prepared_by, a.approved_by, (a.detail or {}).get("returned_by"))
           if actor and actor.startswith("staff:") and actor.split(":")[1].isdigit()}
    if not ids:
        return {}
    return {f"staff:{s.id}": s.name for s in db.session.scalars(
        select(StaffUser).filter(StaffUser.id.in_(ids)))}
