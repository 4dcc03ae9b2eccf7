"""Named look-ups, one place each, so views and operations never write the same query twice
(like notifications-api's dao modules)."""

from functools import cache, lru_cache

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)

from . import lifecycle
from .constants import ApplicationStatus, RelationStatus
from .extensions import db
from .models import (
    Application,
    DeathReport,
    DeathReturn,
    InsuranceRelation,
    IssuedStatement,
    KioskTerminal,
    LedgerEntry,
    OutboxMessage,
    PensionNotice,
    Person,
    PersonalAccount,
    Region,
    Upload,
)
from .models.ledger import CONTRIBUTION_KINDS


def current_relation(person_id: int) -> InsuranceRelation | None:
    """The person's insurance relation here that has not ended (contributing or receiving)."""
    return db.session.scalar(_current_relation(), {"person_id": person_id})


@cache
def _current_relation():
    # Built once: most signed-in pages ask, and building costs more than running it.
    return (select(InsuranceRelation)
            .filter(InsuranceRelation.person_id == bindparam("person_id"),
                    InsuranceRelation.status != RelationStatus.TERMINATED)
            .order_by(InsuranceRelation.id.desc()).limit(1))


def home_facts(person_id: int, year: int):
    """What the home page needs of the person's records, in one round trip: the current
    relation (as current_relation, a row of its columns) with what of `year`'s contributions
    reached the current account (as ledger.account_of and ledger.contributions_in):
    `arrived_on`, the first day one was booked (None when none was), and `arrived_fen`, their
    sum; and whether they have a 告知书 (`has_notice`) and any application at all
    (`has_applications`, so a page can skip listing none). None when there is no such
    relation."""
    return db.session.execute(_home_facts(int(year)), {"person_id": person_id}).first()


@lru_cache(maxsize=4)
def _home_facts(year: int):
    # Built once per year: every signed-in resident lands on the home page, and building a
    # statement costs more than running it. Plain table columns: rows, no ORM objects.
    relation, account, entry = (InsuranceRelation.__table__, PersonalAccount.__table__,
                                LedgerEntry.__table__)
    person_id = bindparam("person_id")
    account_id = (select(account.c.id).where(account.c.person_id == person_id)
                  .order_by(account.c.id.desc()).limit(1).scalar_subquery())
    # The year is written into the SQL, not bound: the ledger is partitioned by year, and with
    # a bound year PostgreSQL prefers a fresh plan for every execution of the prepared query
    # (the generic plan, which keeps every partition, looks dearer), planning it again each
    # time: 0.85 ms against 0.1 ms to run it. With the year in the text the generic plan is
    # the pruned one and is reused. A literal of its own per year (one statement, compiled
    # once, per year) rather than a bound value rendered as a literal, which SQLAlchemy
    # rewrote into the SQL text on every execution.
    # The kinds too are written in (fixed words of the code): a list bound to IN is expanded
    # into the SQL text on every execution as well.
    if not all(kind.isidentifier() for kind in CONTRIBUTION_KINDS):
        raise ValueError("ledger kinds are plain words")  # nothing to quote in them
    kinds = [literal_column(f"'{kind}'", String) for kind in CONTRIBUTION_KINDS]
    this_year = (entry.c.account_id == account_id, entry.c.kind.in_(kinds),
                 entry.c.year == literal_column(str(year), Integer))
    return (select(*relation.c,
                   select(func.min(entry.c.booked_on)).where(*this_year)
                   .scalar_subquery().label("arrived_on"),
                   # A whole number of fen (PostgreSQL sums bigints as numeric: a Decimal).
                   select(cast(func.coalesce(func.sum(entry.c.amount_fen), 0), BigInteger))
                   .where(*this_year).scalar_subquery().label("arrived_fen"),
                   exists().where(PensionNotice.__table__.c.person_id == person_id)
                   .label("has_notice"),
                   exists().where(Application.__table__.c.person_id == person_id)
                   .label("has_applications"))
            .where(relation.c.person_id == person_id,
                   relation.c.status != RelationStatus.TERMINATED)
            .order_by(relation.c.id.desc()).limit(1))


def relation_in(person_id: int, status: RelationStatus) -> InsuranceRelation | None:
    """The person's relation in one state: contributing or receiving."""
    return db.session.scalar(select(InsuranceRelation).filter_by(
        person_id=person_id, status=status).order_by(InsuranceRelation.id.desc()).limit(1))


def latest_relation(person_id: int) -> InsuranceRelation | None:
    """The newest relation, ended or not (where the person was insured last)."""
    return db.session.scalar(select(InsuranceRelation).filter_by(person_id=person_id)
                             .order_by(InsuranceRelation.id.desc()).limit(1))


def application(reference: str) -> Application | None:
    return db.session.scalar(select(Application).filter_by(reference=reference))


def own_application(reference: str, person_id: int) -> Application | None:
    """An application of this resident; another's reference is simply not found."""
    found = application(reference)
    return found if found is not None and found.person_id == person_id else None


def filed_application(reference: str, actor: str) -> Application | None:
    """An application this assistant (or anybody, by actor id) filed; others are not found."""
    found = application(reference)
    return found if found is not None and found.filed_by == actor else None


def applications_of(person_id: int, limit: int | None = None) -> list[Application]:
    """The resident's applications, newest first."""
    return db.session.scalars(select(Application).filter_by(person_id=person_id)
                              .order_by(Application.submitted_at.desc()).limit(limit)).all()


# Under way: waiting for somebody, or on hold after the resident objected to it.
UNDER_WAY = lifecycle.OPEN + (ApplicationStatus.FROZEN,)


def recent_and_under_way(person_id: int, recent: int = 3) -> tuple[list, list]:
    """The `recent` newest applications (as applications_of) and those under way: open, or on
    hold after an objection, the earliest deadline first; in one round trip, as rows of the
    columns a list shows (reference, kind, status, dates; shown_status works on them)."""
    rows = db.session.execute(_recent_and_under_way(recent), {"person_id": person_id}).all()
    # The `recent` newest all came back, and in their own order nothing else comes before them.
    return (rows[:recent],
            sorted((row for row in rows if row.status in UNDER_WAY), key=lambda row: row.due_on))


@cache
def _recent_and_under_way(recent: int):
    table = Application.__table__
    person_id = bindparam("person_id")
    newest = (select(table.c.id).where(table.c.person_id == person_id)
              .order_by(table.c.submitted_at.desc(), table.c.id.desc()).limit(recent))
    return (select(table.c.id, table.c.reference, table.c.kind, table.c.status,
                   table.c.person_id, table.c.submitted_at, table.c.received_on, table.c.due_on,
                   table.c.deadline_uncertain)
            .where(table.c.person_id == person_id,
                   or_(table.c.id.in_(newest), table.c.status.in_(UNDER_WAY)))
            .order_by(table.c.submitted_at.desc(), table.c.id.desc()))


def open_application(person_id: int, kind: str) -> Application | None:
    """The person's application of this kind still waiting for somebody (one at a time)."""
    return db.session.scalar(select(Application).filter(
        Application.person_id == person_id, Application.kind == kind,
        Application.status.in_(lifecycle.OPEN)).limit(1))


def has_rejected_application(person_id: int) -> bool:
    return db.session.scalar(select(Application.id).filter(
        Application.person_id == person_id,
        Application.status == ApplicationStatus.REJECTED).limit(1)) is not None


def filed_by(actor: str) -> list[Application]:
    """What this assistant (actor id "staff:<id>") filed for residents, newest first."""
    return db.session.scalars(select(Application).filter_by(filed_by=actor)
                              .order_by(Application.submitted_at.desc())).all()


def pension_notice_of(person_id: int) -> PensionNotice | None:
    """The 告知书 sent three months before pension age (第二十二条), if any."""
    return db.session.scalar(select(PensionNotice).filter_by(person_id=person_id).limit(1))


def in_app_messages(person_id: int) -> list[OutboxMessage]:
    """The resident's message centre, newest first: in-app rows and the SMS shown there too
    (models/notification.py)."""
    return db.session.scalars(select(OutboxMessage).filter(
        OutboxMessage.person_id == person_id, OutboxMessage.in_message_centre)
        .order_by(OutboxMessage.id.desc())).all()


def counties() -> list[Region]:
    return db.session.scalars(select(Region).filter_by(level="county")
                              .order_by(Region.code)).all()


def uploads_of(application_id: int) -> list[Upload]:
    return db.session.scalars(select(Upload).filter_by(application_id=application_id)).all()


def queue_for(staff, area: Region, urgent_kinds) -> list[tuple[Application, Person]]:
    """The staff member's queue: applications of their area that some action of their lifecycle
    waits on this staff member for (the same tables `transition()` applies). Disputes first
    (第二十条 立即核查), then the earliest deadline."""
    if staff.role in lifecycle.TOWNSHIP_CLERKS:
        where = (Application.township_code == area.code) & Application.township_check
    else:
        where = Application.region_code.startswith(area.code[:6])
    waiting = _waiting_on(staff)
    rows = db.session.execute(
        select(Application, Person).join(Person, Person.id == Application.person_id)
        .filter(where & waiting)
        .order_by(case((Application.kind.in_(list(urgent_kinds)), 0), else_=1),
                  Application.due_on, Application.submitted_at)).all()
    # Actions that hang on more than the status (a dispute's subject, where its question to
    # the old county went) are checked row by row, with the same rule `transition()` uses.
    from .operations.transitions import waiting_for

    conditional = {kind for kind, steps in lifecycle.LIFECYCLES.items()
                   if any(action.applies for action in steps.actions)}
    return [row for row in rows if row[0].kind not in conditional or waiting_for(row[0], staff)]


def _waiting_on(staff):
    """SQL for "some action of its lifecycle waits on this staff member" (the statuses and
    lifecycle.turn_holds, as SQL)."""
    township_first = Application.township_check & (
        Application.status == ApplicationStatus.SUBMITTED)
    turns = {
        lifecycle.Turn.TOWNSHIP: township_first,
        lifecycle.Turn.COUNTY: ~township_first,
        lifecycle.Turn.OWNER: Application.owner == staff.get_id(),
        lifecycle.Turn.ANY: true(),
        lifecycle.Turn.APPLICANT: false(),  # the resident's own step: never in a staff queue
    }
    return or_(false(), *[
        (Application.kind == kind) & Application.status.in_(action.sources) & turns[action.turn]
        for kind, steps in lifecycle.LIFECYCLES.items() for action in steps.actions
        if action.allows(staff.role)])


def terminal_with_device(device_id: str) -> KioskTerminal | None:
    return db.session.scalar(select(KioskTerminal).filter_by(device_id=device_id))


def terminals_in(county_code: str) -> list[KioskTerminal]:
    return db.session.scalars(select(KioskTerminal).filter(
        KioskTerminal.region_code.startswith(county_code[:6])).order_by(KioskTerminal.id)).all()


def death_reports_by(staff_id: int) -> list[DeathReport]:
    """The reports a village assistant made, newest first."""
    return db.session.scalars(select(DeathReport).filter_by(reported_by=staff_id)
                              .order_by(DeathReport.id.desc())).all()


def death_reports(area_prefix: str, statuses: tuple[str, ...]) -> list[DeathReport]:
    """Village death reports (第三十二条) of an area in some states: "reported" for the township
    to forward; "matched" and "contested" for the county to decide."""
    return db.session.scalars(select(DeathReport).filter(
        DeathReport.village_code.startswith(area_prefix), DeathReport.status.in_(statuses))
        .order_by(DeathReport.id)).all()


def villages_without_death_return(area_prefix: str, month) -> list[Region]:
    """Villages of an area (a township, or all) with no monthly death return (第三十二条) for
    `month` yet."""
    filed = select(DeathReturn.village_code).filter(DeathReturn.month == month)
    return db.session.scalars(select(Region).filter(
        Region.level == "village", Region.code.startswith(area_prefix),
        Region.code.not_in(filed)).order_by(Region.code)).all()


def death_return(village_code: str, month) -> DeathReturn | None:
    return db.session.scalar(select(DeathReturn).filter_by(village_code=village_code,
                                                           month=month))


def issued_statements(account_id: int, period: str) -> list:
    """The account's issued statements of one period, newest first (operations.statements), as
    read-only rows (id, closing_fen, masked_name, issued_on, qr_url, qr_svg): a statement page
    reads them on every view and changes them almost never, so no ORM objects to build."""
    return db.session.execute(_ISSUED_STATEMENTS,
                              {"account_id": account_id, "period": period}).all()


_issued = IssuedStatement.__table__.c
# Built once (bound parameters): building it per view cost more than running it.
_ISSUED_STATEMENTS = (
    select(_issued.id, _issued.closing_fen, _issued.masked_name, _issued.issued_on,
           _issued.qr_url, _issued.qr_svg)
    .where(_issued.account_id == bindparam("account_id"), _issued.period == bindparam("period"))
    .order_by(_issued.id.desc()).limit(5))
