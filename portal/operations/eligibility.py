"""The yearly confirmation of eligibility (待遇领取资格认证, 第三十一条, 人社厅发〔2018〕107号)
and the suspension when it is missed (第三十三条).

Four ways to confirm, each one `EligibilityCheck` row with its method, channel, who or what
confirmed it and the evidence: the registries alone (静默认证, a scheduled job), the resident's own
face check (phone or kiosk), a registered relative's phone (亲情认证), and the village assistant's
home visit (photo and signature). Three scheduled jobs: the silent comparison, the reminders, and
the suspension of those who missed it; a later confirmation resumes payment at once and the next
run pays the suspended months back (the suspension's own back pay).
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import queries
from ..exchange import face
from ..exchange.registries import (
    compare_person,
    custody_on,
    latest_trace_of_life,
    relation_between,
)
from ..extensions import db
from ..jobs import job
from ..models import (
    BenefitSuspension,
    EligibilityCheck,
    FamilyHelper,
    InsuranceRelation,
    OutboxMessage,
    Person,
    RegistryPerson,
    StaffUser,
    utcnow,
)
from ..rules import eligibility as rules
from ..rules import ids
from ..rules.dates import china_today
from . import audit, benefits, notify, uploads
from .jobruns import once_a_day_when_scheduled

MISSED_REASON = "eligibility_missed"  # the suspension's reason (第三十三条)
SYSTEM_ACTOR = "system:eligibility"


class NotReceiving(LookupError):
    """Only a pensioner in payment has a yearly confirmation to make."""


class NotRelated(LookupError):
    """The household register links these two people as no relatives."""


class FaceMismatch(ValueError):
    """The face check of the elder did not match their identity card portrait."""


def _settings() -> tuple[int, int, int]:
    config = current_app.config
    return (config["ELIGIBILITY_REMINDER_DAYS"], config["ELIGIBILITY_GRACE_DAYS"],
            config["ELIGIBILITY_RECORD_DAYS"])


# Where a pensioner stands ------------------------------------------------------------------

@dataclass(frozen=True)
class Standing:
    """What the pension page, the kiosk, the assistant and the county see."""

    last: EligibilityCheck | None
    due: date
    reminder_from: date
    grace_until: date
    state: str  # rules.CONFIRMED / DUE_SOON / OVERDUE / MISSED
    suspended_from: date | None  # suspended for a missed confirmation, from this month

    @property
    def action_needed(self) -> bool:
        return self.state != rules.CONFIRMED


def due_date(person_id: int, relation: InsuranceRelation) -> date:
    """Twelve months after the last confirmation; for someone never confirmed, twelve months
    after payment started."""
    last = benefits.last_check(person_id)
    start = last.confirmed_on if last else (relation.benefit_from or relation.started_on)
    return rules.next_due(start)


def standing_of(person_id: int, today: date,
                relation: InsuranceRelation | None = None) -> Standing | None:
    """None for anybody not receiving a pension."""
    relation = relation or queries.relation_in(person_id, "receiving")
    if relation is None or relation.status != "receiving":
        return None
    reminder, grace, _record = _settings()
    last = benefits.last_check(person_id)
    due = rules.next_due(last.confirmed_on if last else (relation.benefit_from
                                                          or relation.started_on))
    state = rules.standing(today, due, reminder, grace)
    suspended = relation.suspended_from if relation.suspension_reason == MISSED_REASON \
        else None
    if suspended is not None:
        state = rules.MISSED
    return Standing(last=last, due=due, reminder_from=rules.reminder_opens(due, reminder),
                    grace_until=rules.grace_ends(due, grace), state=state,
                    suspended_from=suspended)


def history(person_id: int, limit: int = 5) -> list[tuple[EligibilityCheck, str | None]]:
    """The latest confirmations, newest first, each with the name of the relative or assistant
    who did it (None when the resident or the records did)."""
    checks = db.session.scalars(select(EligibilityCheck).filter_by(person_id=person_id)
                                .order_by(EligibilityCheck.confirmed_on.desc(),
                                          EligibilityCheck.id.desc()).limit(limit)).all()
    helpers = db.by_id(Person, (c.helper_person_id for c in checks if c.helper_person_id))
    staff = db.by_id(StaffUser, (c.staff_id for c in checks if c.staff_id))
    return [(check, helpers[check.helper_person_id].name if check.helper_person_id
             else staff[check.staff_id].name if check.staff_id else None) for check in checks]


def _receiving(county_code: str | None = None):
    query = (select(InsuranceRelation, Person)
             .join(Person, Person.id == InsuranceRelation.person_id)
             .filter(InsuranceRelation.status == "receiving")
             .order_by(Person.id))
    if county_code:
        query = query.filter(InsuranceRelation.region_code.startswith(county_code[:6]))
    return db.session.execute(query).all()


# Recording a confirmation (every way ends here) ----------------------------------------------

def confirm(person: Person, *, method: str, actor: str, channel: str, confirmed_on: date,
            helper: Person | None = None, staff: StaffUser | None = None,
            evidence: dict | None = None, commit: bool = True) -> EligibilityCheck:
    """Record one confirmation. A pension suspended because the confirmation was missed
    resumes at once, and the next payment run pays the suspended months (第三十三条). The same
    way twice on one day (a double tap) records it once."""
    relation = queries.relation_in(person.id, "receiving")
    if relation is None:
        raise NotReceiving()
    same = db.session.scalar(select(EligibilityCheck).filter_by(
        person_id=person.id, confirmed_on=confirmed_on, method=method).limit(1))
    if same is not None:
        return same
    check = EligibilityCheck(person_id=person.id, confirmed_on=confirmed_on, method=method,
                             actor=actor, channel=channel,
                             helper_person_id=helper.id if helper else None,
                             staff_id=staff.id if staff else None, evidence=evidence or {},
                             recorded_at=utcnow())
    db.session.add(check)
    audit.record("eligibility_confirmed", actor=actor, channel=channel,
                 on_behalf_of=person.get_id() if actor != person.get_id() else None,
                 object_type="person", object_id=person.id,
                 detail={"method": method, "confirmed_on": confirmed_on.isoformat()})
    next_due = rules.next_due(confirmed_on).isoformat()
    if relation.suspension_reason == MISSED_REASON:
        benefits.resume(person.id, actor, channel=channel, commit=False, back_pay=True)
        notify.tell(person, "eligibility_resumed", {"due": next_due})
    else:
        notify.tell(person, "eligibility_confirmed", {"due": next_due})
    if commit:
        try:
            db.session.commit()
        except IntegrityError:  # the same confirmation at the same moment: the winner's answer
            db.session.rollback()
            return db.session.scalar(select(EligibilityCheck).filter_by(
                person_id=person.id, confirmed_on=confirmed_on, method=method))
    return check


# 1. Silent confirmation from the registries (静默认证) -----------------------------------------

def registry_facts(person: Person, relation: InsuranceRelation,
                   today: date) -> rules.RegistryFacts:
    found = compare_person(person.id_type, person.id_number, person.name, today)
    custody = custody_on(person.id_number, today)
    in_custody = custody is not None and not custody.suspended_sentence and (
        custody.released_on is None or custody.released_on >= today)
    return rules.RegistryFacts(
        alive=found.population_found and found.alive,
        lives_here=(found.hukou_region_code or "")[:6] == relation.region_code[:6],
        in_custody=in_custody,
        last_record_on=latest_trace_of_life(person.id_number, today))


@job("eligibility.silent_confirmation")
@once_a_day_when_scheduled("eligibility.silent_confirmation")
def silent_confirmation(checked_on: str | None = None, actor: str = SYSTEM_ACTOR,
                        county_code: str | None = None) -> list[int]:
    """Compare every pensioner whose confirmation is coming due (or overdue, or missed) with
    the registries; where they alone confirm eligibility, record it (no one has to do
    anything). Returns the ids of the people confirmed."""
    today = date.fromisoformat(checked_on) if checked_on else china_today()
    _reminder, _grace, record_days = _settings()
    confirmed = []
    for relation, person in _receiving(county_code):
        standing = standing_of(person.id, today, relation)
        if standing is None or not standing.action_needed:
            continue
        if relation.suspended_from is not None and relation.suspension_reason != MISSED_REASON:
            continue  # a death or a sentence under investigation: a person must look
        facts = registry_facts(person, relation, today)
        if not rules.silent_confirms(facts, today, record_days):
            continue
        confirm(person, method="data_comparison", actor=actor, channel="system",
                confirmed_on=today, commit=False,
                evidence={"alive": facts.alive, "lives_here": facts.lives_here,
                          "last_record_on": facts.last_record_on.isoformat()})
        confirmed.append(person.id)
    audit.record("eligibility_silent_run", actor=actor, channel="system",
                 object_type="eligibility_check",
                 detail={"checked_on": today.isoformat(), "confirmed": confirmed})
    db.session.commit()
    return confirmed


# 2. Reminders before the due date ------------------------------------------------------------

def _reminded_since(person_id: int, kind: str, since: date) -> bool:
    from datetime import UTC, datetime, time

    start = datetime.combine(since, time.min, tzinfo=UTC)
    return db.session.scalar(select(OutboxMessage.id).filter(
        OutboxMessage.person_id == person_id, OutboxMessage.in_message_centre,
        OutboxMessage.kind == kind, OutboxMessage.created_at >= start).limit(1)) is not None


@job("eligibility.reminders")
@once_a_day_when_scheduled("eligibility.reminders")
def send_reminders(checked_on: str | None = None, actor: str = SYSTEM_ACTOR,
                   county_code: str | None = None) -> list[int]:
    """Once the reminder window opens: a message and an SMS with the due date and the ways to
    confirm; once more when the due date has passed, with the last day before the suspension.
    The village assistant sees the same people on their dashboard. Returns who was told."""
    today = date.fromisoformat(checked_on) if checked_on else china_today()
    told = []
    for relation, person in _receiving(county_code):
        standing = standing_of(person.id, today, relation)
        if standing is None or standing.suspended_from is not None or \
                relation.suspended_from is not None:
            continue
        if standing.state == rules.DUE_SOON:
            kind, since, params = "eligibility_reminder", standing.reminder_from, {
                "due": standing.due.isoformat()}
        elif standing.state == rules.OVERDUE:
            kind, since, params = "eligibility_overdue", standing.due, {
                "until": standing.grace_until.isoformat()}
        else:
            continue
        if _reminded_since(person.id, kind, since):
            continue
        notify.tell(person, kind, params)
        told.append(person.id)
    audit.record("eligibility_reminders_sent", actor=actor, channel="system",
                 object_type="eligibility_check",
                 detail={"checked_on": today.isoformat(), "told": told})
    db.session.commit()
    return told


# 3. Missed: suspended from the next month (第三十三条) ------------------------------------------

@job("eligibility.suspend_missed")
@once_a_day_when_scheduled("eligibility.suspend_missed")
def suspend_missed(checked_on: str | None = None, actor: str = SYSTEM_ACTOR,
                   county_code: str | None = None) -> list[int]:
    """Everyone past the grace period without a confirmation is suspended from the month after
    today, with back pay once confirmed (第三十三条); the county sees them listed. Returns the
    ids of the people suspended now."""
    today = date.fromisoformat(checked_on) if checked_on else china_today()
    suspended = []
    for relation, person in _receiving(county_code):
        if relation.suspended_from is not None:
            continue  # already suspended (this or another reason): nothing more to stop
        standing = standing_of(person.id, today, relation)
        if standing is None or standing.state != rules.MISSED:
            continue
        start = rules.suspension_month(today)
        benefits.suspend(person.id, start, MISSED_REASON, actor, channel="system",
                         commit=False, source="eligibility", note=standing.due.isoformat(),
                         back_pay=True)
        notify.tell(person, "eligibility_suspended", {"month": start.isoformat()})
        suspended.append(person.id)
    audit.record("eligibility_missed_suspended", actor=actor, channel="system",
                 object_type="eligibility_check",
                 detail={"checked_on": today.isoformat(), "suspended": suspended})
    db.session.commit()
    return suspended


def county_list(county_code: str, today: date) -> dict:
    """The county's list: pensioners suspended for a missed confirmation, and those past the
    due date who will be suspended when their grace period ends."""
    suspended, overdue = [], []
    for relation, person in _receiving(county_code):
        standing = standing_of(person.id, today, relation)
        if standing is None:
            continue
        if standing.suspended_from is not None:
            suspended.append((person, relation, standing))
        elif standing.state in (rules.OVERDUE, rules.MISSED) and relation.suspended_from is None:
            overdue.append((person, relation, standing))
    return {"suspended": suspended, "overdue": overdue}


def open_suspension(person_id: int) -> BenefitSuspension | None:
    return db.session.scalar(select(BenefitSuspension).filter_by(
        person_id=person_id, closed_at=None, reason=MISSED_REASON).limit(1))


# 4. The resident's own face check (phone or kiosk) ------------------------------------------

def confirm_by_face(person: Person, channel: str, today: date) -> EligibilityCheck:
    """The resident has just passed the identity platform's face check (the step-up): that is
    the confirmation."""
    return confirm(person, method="face", actor=person.get_id(), channel=channel,
                   confirmed_on=today, evidence={"face_check": "identity_platform"})


# 5. A relative's phone (亲情认证) -------------------------------------------------------------

def helpers_for(helper: Person) -> list[tuple[FamilyHelper, Person]]:
    """The elders this person helps (active registrations)."""
    return db.session.execute(
        select(FamilyHelper, Person).join(Person, Person.id == FamilyHelper.elder_person_id)
        .filter(FamilyHelper.helper_person_id == helper.id, FamilyHelper.ended_at.is_(None))
        .order_by(FamilyHelper.id)).all()


def helper_link(helper: Person, link_id: int) -> tuple[FamilyHelper, Person]:
    """One of this person's registrations; anybody else's does not exist (LookupError)."""
    link = db.session.get(FamilyHelper, link_id)
    if link is None or link.helper_person_id != helper.id or link.ended_at is not None:
        raise LookupError("not this helper's elder")
    return link, db.session.get(Person, link.elder_person_id)


def register_helper(helper: Person, elder_name: str, elder_id_number: str,
                    capture: str) -> FamilyHelper:
    """The relative names the elder; the household register must link them; the elder's face
    check on the relative's phone, with the elder agreeing in front of it, is the elder's
    consent. Raises NotRelated, NotReceiving or FaceMismatch."""
    check = ids.validate(ids.RESIDENT_ID, elder_id_number or "")
    row = db.session.scalar(select(RegistryPerson).filter_by(
        id_type=ids.RESIDENT_ID, id_number=check.number)) if check.ok else None
    if row is None or row.name != "".join((elder_name or "").split()) or \
            row.id_number == helper.id_number:
        raise NotRelated()
    relation = relation_between(helper.id_number, row.id_number) or \
        relation_between(row.id_number, helper.id_number)
    if relation is None:
        raise NotRelated()
    elder = db.session.scalar(Person.by_id_number(row.id_number, row.id_type))
    if elder is None or queries.relation_in(elder.id, "receiving") is None:
        raise NotReceiving()
    if not face.compare_portrait(elder.id_number, capture):
        raise FaceMismatch()
    link = db.session.scalar(select(FamilyHelper).filter_by(elder_person_id=elder.id,
                                                            helper_person_id=helper.id))
    if link is None:
        link = FamilyHelper(elder_person_id=elder.id, helper_person_id=helper.id,
                            relation=relation, consent_method="face")
        db.session.add(link)
    link.ended_at, link.consented_at, link.relation = None, utcnow(), relation
    db.session.flush()
    notify.tell(elder, "family_helper_registered", {"name": helper.name})
    audit.record("family_helper_registered", actor=helper.get_id(), channel="online",
                 on_behalf_of=elder.get_id(), object_type="family_helper", object_id=link.id,
                 detail={"relation": relation, "consent": "face"})
    db.session.commit()
    return link


def helpers_of(elder: Person) -> list[tuple[FamilyHelper, Person]]:
    """Who may confirm for this elder (active registrations), for the elder's own page."""
    return db.session.execute(
        select(FamilyHelper, Person).join(Person, Person.id == FamilyHelper.helper_person_id)
        .filter(FamilyHelper.elder_person_id == elder.id, FamilyHelper.ended_at.is_(None))
        .order_by(FamilyHelper.id)).all()


def end_helper(person: Person, link_id: int, *, as_elder: bool, channel: str) -> FamilyHelper:
    """亲情认证 ends: the elder withdraws the consent they gave (第三十一条), or the relative
    stops helping. The other one is told; the ended helper can no longer confirm for the elder
    (helper_link finds nothing). Anybody else's registration does not exist (LookupError)."""
    link = db.session.get(FamilyHelper, link_id)
    own = link is not None and (link.elder_person_id if as_elder else
                                link.helper_person_id) == person.id
    if not own or link.ended_at is not None:
        raise LookupError("not this person's registration")
    elder = db.session.get(Person, link.elder_person_id)
    helper = db.session.get(Person, link.helper_person_id)
    link.ended_at = utcnow()
    if as_elder:
        notify.tell(helper, "family_helper_ended_by_elder", {"name": elder.name})
    else:
        notify.tell(elder, "family_helper_ended_by_helper", {"name": helper.name})
    audit.record("family_helper_ended", actor=person.get_id(), channel=channel,
                 on_behalf_of=None if as_elder else elder.get_id(),
                 object_type="family_helper", object_id=link.id,
                 detail={"by": "elder" if as_elder else "helper"})
    db.session.commit()
    return link


def confirm_by_helper(helper: Person, link_id: int, capture: str, channel: str,
                      today: date) -> EligibilityCheck:
    """亲情认证: the registered relative does the elder's face check on their own phone."""
    link, elder = helper_link(helper, link_id)
    if not face.compare_portrait(elder.id_number, capture):
        audit.record("eligibility_face_failed", actor=helper.get_id(), channel=channel,
                     outcome="failure", on_behalf_of=elder.get_id(), object_type="person",
                     object_id=elder.id)
        db.session.commit()
        raise FaceMismatch()
    return confirm(elder, method="family", actor=helper.get_id(), channel=channel,
                   confirmed_on=today, helper=helper,
                   evidence={"face_check": "portrait_comparison", "helper": link.id})


# 6. The village assistant's home visit -------------------------------------------------------

def pensioner_in_village(staff: StaffUser, registry_id: int) -> Person:
    """A pensioner registered in the assistant's own village (LookupError otherwise)."""
    from .assist import registry_row

    row = registry_row(staff, registry_id)
    person = db.session.scalar(Person.by_id_number(row.id_number, row.id_type))
    if person is None or queries.relation_in(person.id, "receiving") is None:
        raise LookupError("not a pensioner of this village")
    return person


def home_visit(staff: StaffUser, person: Person, photo: bytes, signature: bytes,
               visited_on: date) -> EligibilityCheck:
    """The assistant visited the elder at home: a photo of the visit and the elder's signature
    (or thumbprint) on the visit record, both kept. Raises uploads.UploadRejected."""
    done = db.session.scalar(select(EligibilityCheck).filter_by(
        person_id=person.id, confirmed_on=visited_on, method="home_visit"))
    if done is not None:  # the form sent twice: one visit, one set of files
        return done
    stored_photo = uploads.store(person.id, "eligibility_visit_photo", photo,
                                 actor=staff.get_id())
    stored_signature = uploads.store(person.id, "eligibility_visit_signature", signature,
                                     actor=staff.get_id())
    return confirm(person, method="home_visit", actor=staff.get_id(), channel="assisted",
                   confirmed_on=visited_on, staff=staff,
                   evidence={"photo": stored_photo.id, "signature": stored_signature.id})
