"""The one way an application changes state at the county or township: `transition()`.

It reads the action from the application's declared lifecycle (portal.lifecycle), checks the
staff member's role, whose turn it is and the version they saw, runs the action's hook, and
writes the new status, the timeline event, the audit record and the applicant's message in one
commit. Every refusal is one of the named `TransitionError`s below.
"""

from sqlalchemy.orm.exc import StaleDataError

from .. import lifecycle
from ..constants import Channel
from ..extensions import db
from ..models import Application, utcnow
from . import audit


class TransitionError(RuntimeError):
    """An action that cannot happen; views turn each kind into its page."""


class ConcurrentDecision(TransitionError):
    """Somebody else changed the application first."""


class NotOpen(TransitionError):
    """The application is not in a state this action starts from (already decided)."""


class NotAllowed(TransitionError):
    """This staff member's role may not take this action."""


class NotOwner(TransitionError):
    """Only the staff member who took up a question answers it (首问负责制)."""


class SameStaff(TransitionError):
    """第六十二条: the person who prepared a decision cannot check it."""


class Invalid(TransitionError):
    """The action's data does not fit the records (e.g. an entry not on this account)."""


def commit_or_conflict() -> None:
    """Commit; a concurrent change of the same application (its version) is a conflict."""
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise ConcurrentDecision() from error


def _its_turn(action: lifecycle.Action, application: Application, actor: str) -> bool:
    return application.status in action.sources and action.applies_to(application) \
        and lifecycle.turn_holds(
            action.turn, status=application.status, township_check=application.township_check,
            owner=application.owner, actor=actor,
            applicant=f"resident:{application.person_id}")


def role_of(user) -> str:
    """A staff member's role; a resident acts in the role "resident" (lifecycle.APPLICANT)."""
    return getattr(user, "role", None) or getattr(user, "kind", "")


def allowed_actions(application: Application, staff) -> list[lifecycle.Action]:
    """What this staff member (or the applicant) may do with the application now: the review
    page's forms, or the resident's own step."""
    actor = staff.get_id()
    return [action for action in lifecycle.of(application.kind).actions
            if action.allows(role_of(staff)) and _its_turn(action, application, actor)
            and not (action.prepared_by and action.prepared_by(application) == actor)]


def waiting_for(application: Application, staff) -> bool:
    """Whether it is this staff member's turn ("my turn")."""
    return bool(allowed_actions(application, staff))


def transition(application: Application, action_name: str, staff, *, expected_version: int,
               choice: str = "", data: dict | None = None,
               channel: str = Channel.COUNTER) -> Application:
    """Apply one action of the application's lifecycle: checks, hook, new status, timeline
    event, audit record and the applicant's message, in one commit."""
    data = data or {}
    action = lifecycle.of(application.kind).action(action_name)
    outcome = _checked(action, application, staff, expected_version, choice)
    actor = staff.get_id()
    detail = {}
    if action.hook is not None:
        detail = action.hook(application, actor=actor, choice=choice, data=data,
                             channel=channel) or {}
    note = data.get(action.note_field) if action.note_field else None
    _move(application, action, outcome, actor, note)
    audit.record(outcome.audit or f"application_{outcome.status}", actor=actor,
                 channel=channel, object_type="application", object_id=application.reference,
                 on_behalf_of=f"resident:{application.person_id}",
                 detail={"action": action.name, "choice": choice or None, "note": note,
                         "version": expected_version, **detail})
    if outcome.notify:
        _tell_applicant(application, action, outcome, note)
    commit_or_conflict()
    return application


def _checked(action: lifecycle.Action | None, application: Application, staff,
             expected_version: int, choice: str) -> lifecycle.Outcome:
    """The outcome of this choice, or the named refusal: role, version seen, status, whose
    turn, and (第六十二条) not the person who prepared it."""
    if action is None or not action.allows(role_of(staff)):
        raise NotAllowed()
    actor = staff.get_id()
    if application.version != expected_version:
        raise ConcurrentDecision()
    _check_turn(action, application, actor)
    outcome = action.outcome(choice)
    if outcome is None:
        raise NotOpen()
    if action.prepared_by and action.prepared_by(application) == actor:
        raise SameStaff()
    return outcome


def _check_turn(action: lifecycle.Action, application: Application, actor: str) -> None:
    """Its status is one the action starts from, the action applies to it, and it is this
    actor's turn (only the owner answers a question taken up, 首问负责制)."""
    if application.status not in action.sources or not action.applies_to(application):
        raise NotOpen()
    if not _its_turn(action, application, actor):
        raise NotOwner() if action.turn == lifecycle.Turn.OWNER else NotOpen()


def _move(application: Application, action: lifecycle.Action, outcome: lifecycle.Outcome,
          actor: str, note: str | None) -> None:
    """The new status and its timeline event; a final one records who decided, when, why."""
    from .applications import record_event

    application.status = outcome.status
    if outcome.status in lifecycle.FINAL:
        # The county decides; a resident's confirmation closes it without becoming its decider.
        if action.for_staff or application.decided_by is None:
            application.decided_by = actor
        application.decided_at = utcnow()
        if note:
            application.decision_reason = note
    record_event(application, outcome.event, actor, note=note)


def _tell_applicant(application: Application, action: lifecycle.Action,
                    outcome: lifecycle.Outcome, note: str | None) -> None:
    from .applications import notify_applicant

    extra = {"answer": note} if action.note_field == "answer" else {}
    if outcome.with_note:
        extra["note"] = note or application.decision_reason or ""
    notify_applicant(application, outcome.notify, **extra)
