"""The guided-flow engine: a flow is declared (steps, conditions, answers, submit), not hand-coded.

Every flow gets the same pages from portal/flows/views.py: a start page (eligibility and what we
already know), one question per page, a check-answers page with a declaration, idempotent submit
and a confirmation page. Answers live in a server-side draft after every step.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import FileField, ValidationError

from .. import lifecycle
from ..lifecycle import TOWNSHIP_TURN, Lifecycle


def past_date(field, earliest: date, too_early: str) -> None:
    """A year-month-day answer on or before today and not before `earliest`; normalised."""
    try:
        value = date.fromisoformat((field.data or "").strip())
    except ValueError:
        raise ValidationError(_("Enter the date as year-month-day, for example "
                                "1965-03-08")) from None
    if not earliest <= value <= date.today():
        raise ValidationError(too_early)
    field.data = value.isoformat()


@dataclass
class Context:
    """What a flow may look at while deciding: who, when, and what data comparison found."""

    person: Any
    today: date
    comparison: dict
    scheme: dict
    channel: str = "online"
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class KnownFact:
    """Prefilled from real-name identity or data comparison: shown read-only, never asked."""

    label: Any
    value: str
    source: Any


@dataclass
class Step:
    name: str
    form: type[FlaskForm]
    title: Any  # the page's <h1>: the question itself
    # How the answer reads on the check-answers page.
    summary: Callable[[dict, Context], str]
    condition: Callable[[dict, Context], bool] = lambda answers, ctx: True
    # Fills choices or defaults that depend on the context (e.g. tiers of this year).
    prepare: Callable[[FlaskForm, dict, Context], None] = lambda form, answers, ctx: None
    hint: Any = None
    # A step whose answer ends the flow (e.g. "I am a full-time student") names the reason.
    stops: Callable[[dict], str | None] = lambda answers: None
    # Turns a valid form into answers; the default takes each field's data (uploads store files
    # and keep only their ids).
    to_answers: Callable[[FlaskForm, dict, Context], dict] | None = None
    # A check of the new answers against what we know (e.g. "that is the number we already
    # have"); returns a message for the step's first field, or None.
    check: Callable[[dict, Context], Any] = lambda new, ctx: None

    def takes_files(self) -> bool:
        return any(issubclass(getattr(self.form, name).field_class, FileField)
                   for name in self.fields())

    def fields(self) -> list[str]:
        return [name for name in self.form.__dict__ if not name.startswith("_")
                and hasattr(getattr(self.form, name), "field_class")]


@dataclass
class Flow:
    name: str
    title: Any
    intro: Any
    steps: list[Step]
    declaration: Any  # None: nothing to declare (a question)
    deadline_workdays: int
    deadline_article: str  # the article that sets the deadline, e.g. "第八条"
    obstacle_text: dict  # reason code -> plain words for the resident
    next_steps: Any  # what happens after submission, in plain words
    # Why this person cannot use the flow now (reason codes); none by default.
    obstacles: Callable[[Context], list[str]] = lambda ctx: []
    # What we already know and show read-only; nothing by default.
    known_facts: Callable[[Context], list[KnownFact]] = lambda ctx: []
    # What the township and county do with it, and what it does to the records: the back
    # office's declaration (portal/flows/lifecycles.py). Reviewed by the county by default.
    lifecycle: Lifecycle = field(default_factory=lambda: _default_lifecycle())
    # The resident must have re-authenticated with a face check just now (security.md step-up).
    step_up: bool = False
    # The resident must have signed in with a face check (claims, deregistration, transfers).
    face: bool = False
    # Sits at the top of the county's queue (第二十条: 立即核查).
    urgent: bool = False
    # A configuration key that overrides deadline_workdays (e.g. DISPUTE_DEADLINE_WORKDAYS).
    deadline_setting: str | None = None
    # Which county handles it: where the household is registered ("hukou": enrolment, moving
    # the insurance in) or where the person is insured now ("insured": everything else).
    handled_in: str = "insured"
    # Shown in the services list on the home page when this returns True.
    offered: Callable[[Context], bool] = lambda ctx: True

    @property
    def reviewed(self) -> bool:
        """False: the change takes effect at submission, nobody reviews it (第九条)."""
        return self.lifecycle.at_once is None

    @property
    def township_first(self) -> bool:
        """The township office checks first where the county asks for it (初审, 第四条)."""
        return any(action.turn == TOWNSHIP_TURN for action in self.lifecycle.actions)

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def visible_steps(self, answers: dict, ctx: Context) -> list[Step]:
        return [s for s in self.steps if s.condition(answers, ctx)]

    def next_step(self, current: str | None, answers: dict, ctx: Context) -> Step | None:
        """The step after `current` that applies; None when only checking answers remains."""
        visible = self.visible_steps(answers, ctx)
        names = [s.name for s in visible]
        start = names.index(current) + 1 if current in names else 0
        return visible[start] if start < len(visible) else None

    def previous_step(self, current: str, answers: dict, ctx: Context) -> Step | None:
        visible = self.visible_steps(answers, ctx)
        names = [s.name for s in visible]
        index = names.index(current) if current in names else 0
        return visible[index - 1] if index > 0 else None

    def first_unanswered(self, answers: dict, ctx: Context) -> Step | None:
        for step in self.visible_steps(answers, ctx):
            if any(name not in answers for name in step.fields()):
                return step
        return None

    def relevant_answers(self, answers: dict, ctx: Context) -> dict:
        """Only answers of steps that still apply: a changed earlier answer can hide a step."""
        keep = {name for step in self.visible_steps(answers, ctx) for name in step.fields()}
        return {k: v for k, v in answers.items() if k in keep}

    def stop_reason(self, answers: dict, ctx: Context) -> str | None:
        for step in self.visible_steps(answers, ctx):
            reason = step.stops(answers)
            if reason:
                return reason
        return None


REGISTRY: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    REGISTRY[flow.name] = flow
    lifecycle.register(flow.name, flow.lifecycle)
    return flow


def _default_lifecycle() -> Lifecycle:
    from .lifecycles import reviewed

    return reviewed()
