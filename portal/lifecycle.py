"""What may happen to an application next, declared as data next to each flow.

A `Lifecycle` is a table of `Action`s: from which statuses, to which status, by which roles,
whether a different person must do it than the one who prepared it (第六十二条), whose turn it
is (the township's first check, 初审, 第四条; the county; the owner of a question, 首问负责制),
and the hook that does the work. `operations.transitions.transition()` applies one action; the
review page's buttons, "my turn", the queue and the township/county routing are all read from
the same table, never written again. Pure data: no Flask, no database.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .constants import ApplicationKind, ApplicationStatus, EventKind

TOWNSHIP_CLERKS = ("township_clerk",)
REVIEWERS = ("county_reviewer", "admin")
CHECKERS = ("county_checker", "admin")  # 复核 (第六十二条): never the one who prepared it
STAFF_ROLES = TOWNSHIP_CLERKS + ("county_reviewer", "county_checker", "admin")
# The applicant themself, for the few steps that are theirs (confirming a re-determined
# pension, 第二十五条): a signed-in resident's role is their kind.
APPLICANT = ("resident",)



class Turn(StrEnum):
    """Whose turn an action is, beyond its statuses: the township's first check only where the
    county asks for it; the county after that check (or at once); the staff member who took up
    a question; anybody allowed; the person who applied. Never shown to a person, so no label."""

    TOWNSHIP = "township"
    COUNTY = "county"
    OWNER = "owner"
    ANY = "any"
    APPLICANT = "applicant"


TOWNSHIP_TURN, COUNTY_TURN, OWNER_TURN, ANY_TURN = Turn.TOWNSHIP, Turn.COUNTY, Turn.OWNER, Turn.ANY
APPLICANT_TURN = Turn.APPLICANT


@dataclass(frozen=True)
class Outcome:
    """Where an action leads for one of its choices (e.g. approve → approved)."""

    status: ApplicationStatus
    event: EventKind
    notify: str | None = None  # the applicant's message kind, application_<notify>
    audit: str | None = None  # the audit action; default application_<status>
    with_note: bool = False  # the message carries the note (an explanation the resident reads)

    def __post_init__(self):
        # A code outside the enums would reach a person unlabelled: refuse it when declared.
        object.__setattr__(self, "status", ApplicationStatus(self.status))
        object.__setattr__(self, "event", EventKind(self.event))


@dataclass(frozen=True)
class Action:
    name: str  # also the last part of its URL: /agency/applications/<reference>/<name>
    label: Any  # heading of its part of the review page
    sources: tuple[ApplicationStatus, ...]  # statuses it may start from
    roles: tuple[str, ...]
    outcomes: dict[str, Outcome]  # choice → outcome; one key "" when there is no choice
    form: Any = None  # the WTForms class for its fields (choice field named `choice`)
    template: str = ""  # the partial that renders its form on the review page
    turn: Turn = Turn.COUNTY
    # The hook that does the work in the same transaction: (application, actor, choice,
    # data, channel) → None. Raises a TransitionError subclass to refuse.
    hook: Callable | None = None
    # 第六十二条: who prepared what this action checks; a different person must act.
    prepared_by: Callable | None = None
    # Whether the action concerns this application at all now (application → bool), where its
    # statuses alone do not tell: e.g. two second checks from `prepared`, each for its own
    # kind of payout (flows.lifecycles.payout_check), or a dispute's subject (第二十条 the
    # account, 第二十五条 the pension, 第四十四条 a transferred record). None: all.
    applies: Callable | None = None
    # The form field whose text becomes the timeline note and, when final, the reason the
    # resident reads.
    note_field: str | None = None
    # Where staff go afterwards: back to the queue, or the application again (more to do).
    then: str = "queue"

    def __post_init__(self):
        object.__setattr__(self, "sources", tuple(ApplicationStatus(s) for s in self.sources))
        object.__setattr__(self, "turn", Turn(self.turn))

    def outcome(self, choice: str) -> Outcome | None:
        return self.outcomes.get(choice or "")

    def allows(self, role: str) -> bool:
        return role in self.roles

    def applies_to(self, application) -> bool:
        return self.applies is None or bool(self.applies(application))

    @property
    def for_staff(self) -> bool:
        return any(role in STAFF_ROLES for role in self.roles)


S = ApplicationStatus
# Decided: the decision's author, time and reason are recorded (transitions.transition).
FINAL = (S.APPROVED, S.REJECTED, S.COMPLETED, S.CORRECTED, S.EXPLAINED, S.ANSWERED)
# Somebody still has to act: the township or county, the resident confirming a re-determined
# pension (第二十五条), or the old county of a transferred record (第四十四条). A frozen one
# waits for nobody.
OPEN = (S.SUBMITTED, S.TOWNSHIP_CHECKED, S.IN_HAND, S.PREPARED, S.AWAITING_RESIDENT, S.ASKED,
        S.OLD_COUNTY_ANSWERED)


@dataclass(frozen=True)
class Lifecycle:
    actions: tuple[Action, ...] = field(default_factory=tuple)
    # What happens at submission (e.g. the commitment kept, the transfer case opened).
    on_submit: Callable | None = None
    # Not reviewed (第九条): takes effect at once, with this hook.
    at_once: Callable | None = None

    def action(self, name: str) -> Action | None:
        return next((a for a in self.actions if a.name == name), None)

    def statuses(self) -> set[ApplicationStatus]:
        found = {S.SUBMITTED}
        for action in self.actions:
            found.update(action.sources)
            found.update(o.status for o in action.outcomes.values())
        return found


def turn_holds(turn: Turn, *, status: str, township_check: bool, owner: str | None,
               actor: str, applicant: str | None = None) -> bool:
    """Whether it is this actor's turn in the sense of `turn` (statuses aside)."""
    if turn == Turn.APPLICANT:
        return applicant is not None and applicant == actor
    if turn == Turn.TOWNSHIP:
        return township_check and status == S.SUBMITTED
    if turn == Turn.COUNTY:
        # Where the township checks first, the county's turn comes after that check.
        return not (township_check and status == S.SUBMITTED)
    if turn == Turn.OWNER:
        return owner == actor
    return True


LIFECYCLES: dict[ApplicationKind, Lifecycle] = {}


def register(kind: str, lifecycle: Lifecycle) -> None:
    LIFECYCLES[ApplicationKind(kind)] = lifecycle


def of(kind: str) -> Lifecycle:
    return LIFECYCLES.get(kind) or Lifecycle()
