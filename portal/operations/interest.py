"""Crediting a year's interest on every account (第十八条), set-based and idempotent.

One INSERT … SELECT per batch of accounts computes each account's exact weighted sum in SQL, the
same integer formula as rules.interest, so a million accounts take seconds, not hours.
"""

from collections.abc import Callable
from datetime import date

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    extract,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.dialects import postgresql

from ..crypto import Encrypted, EncryptedJSON
from ..extensions import db
from ..jobs import job
from ..models import (
    InsuranceRelation,
    LedgerEntry,
    OutboxMessage,
    PersonalAccount,
    utcnow,
)
from ..models.base import UTCDateTime
from ..rules.interest import DENOMINATOR, AccruedInterest, accrued_interest
from . import audit, ledger_partitions, notify

BATCH_SIZE = 20_000


def _weighted_sums(year: int, low: int, high: int, ids: list[int] | None = None):
    """Per account: 12 × opening + Σ amount × (12 − month) for bookings in the year, and whether
    the year's interest is already booked. Both come from one pass over the batch's entries: a
    NOT EXISTS on "interest of this year" made PostgreSQL plan an anti-join against a sequential
    scan (the statistics say no such rows exist yet), which grew with every batch it credited.
    `ids` (PostgreSQL) narrows the range to those accounts: one county's (see _batches)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    month = cast(extract("month", LedgerEntry.booked_on), Integer)
    weighted = func.sum(case(
        (LedgerEntry.booked_on < start, 12 * LedgerEntry.amount_fen),
        (LedgerEntry.booked_on <= end, LedgerEntry.amount_fen * (12 - month)),
        else_=0,
    ))
    done = func.max(case(
        (and_(LedgerEntry.kind == "interest", LedgerEntry.year == year), 1), else_=0))
    sums = (
        select(LedgerEntry.account_id.label("account_id"),
               cast(weighted, BigInteger).label("weighted"), done.label("done"))
        .filter(LedgerEntry.account_id.between(low, high))
        .group_by(LedgerEntry.account_id)
    )
    if ids is not None:
        # The list behind a scalar subquery: given as a constant, PostgreSQL's planner estimated
        # every one of its 20 000 ids against every partition's statistics, 35–60 ms of planning
        # per batch; this way it plans in about 1 ms and the ids still bound the index scans.
        chosen = cast(select(bindparam("account_ids", ids, type_=postgresql.ARRAY(Integer)))
                      .scalar_subquery(), postgresql.ARRAY(Integer))
        sums = sums.filter(LedgerEntry.account_id == any_(chosen))
    return sums.subquery()


class CannotCredit(ValueError):
    """The year cannot be credited (yet): said in words for the person running it."""


def check_can_credit(year: int, scheme: dict, today: date) -> int:
    """第十八条: a year is credited after it has ended, at the province's published rate.
    Returns the rate."""
    if year >= today.year:
        raise CannotCredit(f"{year} has not ended yet: interest is credited after the year ends "
                           f"(第十八条); the earliest is {year + 1}-01-01")
    rate = scheme.get("interest_rates_bp", {}).get(str(year))
    if rate is None:
        raise CannotCredit(f"no interest rate is configured for {year}: add the province's "
                           f"published rate to interest_rates_bp in the scheme configuration")
    return int(rate)


def credit_year(year: int, rate_bp: int, actor: str = "system",
                progress: Callable[[int], None] | None = None, notify: bool = True) -> dict:
    """Credit interest for `year` on every open account not yet credited for it. Running it
    twice credits once; a closed (terminated) account is never touched: its interest was
    settled to date when it closed. Each batch of accounts is one transaction."""
    result = _credit(year, rate_bp, None, progress, notify)
    audit.record("interest_credited", actor=actor, channel="system", object_type="interest_year",
                 object_id=year, detail={"rate_bp": rate_bp, "accounts": result["accounts"],
                                         "interest_fen": result["interest_fen"]})
    db.session.commit()
    return result


def counties_to_credit() -> list[str]:
    """The counties whose accounts a year's crediting covers (the relations' region codes)."""
    return list(db.session.scalars(select(InsuranceRelation.region_code).distinct()
                                   .where(InsuranceRelation.status != "terminated")
                                   .order_by(InsuranceRelation.region_code)))


def credit_year_by_county(year: int, rate_bp: int, notify: bool = True) -> list[str]:
    """Ask for one job per county (`interest.credit_county`), so a province's crediting runs
    on several workers at once; returns the counties asked for. Each job is idempotent and
    holds a lock on its (year, county), so a job run twice, even at once, credits once."""
    from ..jobs import enqueue

    counties = counties_to_credit()
    for county in counties:
        enqueue("interest.credit_county", year, rate_bp, county, notify)
    return counties


@job("interest.credit_county")
def credit_county(year: int, rate_bp: int, county_code: str, notify: bool = True,
                  actor: str = "system") -> dict:
    """Credit `year` on the accounts whose relation is in `county_code` (第十八条): the same
    amounts as credit_year, for one county."""
    result = _credit(int(year), int(rate_bp), county_code, None, notify)
    audit.record("interest_credited", actor=actor, channel="system", object_type="interest_year",
                 object_id=year, detail={"rate_bp": rate_bp, "county": county_code,
                                         "accounts": result["accounts"],
                                         "interest_fen": result["interest_fen"]})
    db.session.commit()
    return result


def _credit(year: int, rate_bp: int, county: str | None,
            progress: Callable[[int], None] | None, notify: bool) -> dict:
    session = db.session
    session.commit()
    ledger_partitions.ensure([year])
    postgres = session.get_bind().dialect.name == "postgresql"
    credited = total = 0
    now = utcnow()  # one run, one timestamp: what it credited is found by it
    for low, high, ids in _batches(county, postgres):
        if postgres:
            # A batch is a short statement over ~20 000 accounts: compiling it (JIT, which its
            # cost estimate switches on) took longer than it saved, ~70 ms a batch.
            session.execute(text("SET LOCAL jit = off"))
        if postgres and county is not None:
            # Two workers on one county: the second waits here, then credits nothing twice.
            session.execute(select(func.pg_advisory_xact_lock(
                func.hashtext(f"interest:{year}:{county}"))))
        rows = _interest_rows(year, rate_bp, low, high, county, now, ids)
        columns = ["account_id", "kind", "amount_fen", "booked_on", "year", "source_key",
                   "created_at"]
        if postgres:
            # One statement per batch: credit, tell (第十九条) and count what was credited,
            # without reading the new rows back.
            credited_now = insert(LedgerEntry).from_select(columns, rows).returning(
                LedgerEntry.account_id, LedgerEntry.amount_fen).cte("credited_now")
            counts = [func.count(credited_now.c.account_id),
                      func.coalesce(func.sum(credited_now.c.amount_fen), 0)]
            if notify:
                # No Python-side defaults: inside a CTE SQLAlchemy renders `attempts` as a
                # parameter it never fills (NULL); the column's server default applies instead.
                told = insert(OutboxMessage).from_select(
                    OUTBOX_COLUMNS, _statement_ready_rows(
                        year, now, select(credited_now.c.account_id).subquery()),
                    include_defaults=False).returning(
                    OutboxMessage.id).cte("told")
                counts.append(select(func.count()).select_from(told).scalar_subquery())
            batch_count, batch_total, *_told = session.execute(select(*counts)).one()
        else:
            session.execute(insert(LedgerEntry).from_select(columns, rows))
            # Counted back from the table: SQLite's rowcount for INSERT … SELECT varies.
            this_batch = _credited_now(year, low, high, now, county)
            batch_count, batch_total = session.execute(
                select(func.count(), func.coalesce(func.sum(this_batch.c.amount_fen), 0))).one()
            if batch_count and notify:
                _notify_statement_ready(year, low, high, now, county)
        credited += batch_count
        total += int(batch_total)
        session.commit()
        if progress:
            progress(len(ids) if ids is not None else high - low + 1)
    return {"year": year, "accounts": credited, "interest_fen": total}


def _batches(county: str | None, postgres: bool):
    """(low, high, ids) per batch: ranges of BATCH_SIZE account ids or, for one county on
    PostgreSQL, its own accounts BATCH_SIZE at a time (`ids`). Counties' accounts interleave in
    id order (people enrol everywhere at once), so a county's id range holds every county's
    accounts: with ranges, each of a province's county jobs would read and sum the whole
    ledger, n counties n times over. Its ids come from one query up front."""
    session = db.session
    county_accounts = (select(PersonalAccount.id).join(
        InsuranceRelation, InsuranceRelation.id == PersonalAccount.relation_id)
        .where(InsuranceRelation.region_code == county))
    if postgres and county is not None:
        ids = list(session.scalars(county_accounts.where(
            InsuranceRelation.status != "terminated").order_by(PersonalAccount.id)))
        session.commit()
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start:start + BATCH_SIZE]
            yield chunk[0], chunk[-1], chunk
        return
    bounds = select(func.min(PersonalAccount.id), func.max(PersonalAccount.id))
    if county is not None:
        bounds = county_accounts.with_only_columns(*bounds.selected_columns)
    low_id, high_id = session.execute(bounds).one()
    session.commit()
    if low_id is None:
        return
    for low in range(low_id, high_id + 1, BATCH_SIZE):
        yield low, min(low + BATCH_SIZE - 1, high_id), None


def _interest_rows(year: int, rate_bp: int, low: int, high: int, county: str | None, now,
                   ids: list[int] | None = None):
    """The interest entries of the accounts with ids in [low, high] (and in `ids`, and in
    `county`, if given) not yet credited for `year`: the weighted sums rounded once, half up
    (rules.interest)."""
    sums = _weighted_sums(year, low, high, ids)
    numerator = sums.c.weighted * rate_bp
    half = DENOMINATOR // 2
    # `//` is integer division in SQL on both dialects (`/` would be true division here).
    amount = case(
        (numerator >= 0, (numerator + half) // DENOMINATOR),
        else_=-((-numerator + half) // DENOMINATOR),
    )
    rows = select(
        sums.c.account_id, literal("interest"), cast(amount, BigInteger),
        literal(date(year, 12, 31)), literal(year),
        literal(f"interest:{year}:") + cast(sums.c.account_id, String),
        literal(now, UTCDateTime()),
    ).select_from(sums).join(PersonalAccount, PersonalAccount.id == sums.c.account_id).join(
        InsuranceRelation, InsuranceRelation.id == PersonalAccount.relation_id,
    ).where(sums.c.weighted != 0, sums.c.done == 0,
            InsuranceRelation.status != "terminated")
    if county is not None:
        rows = rows.where(InsuranceRelation.region_code == county)
    return rows


OUTBOX_COLUMNS = ["kind", "person_id", "status", "created_at", "channel", "in_app", "recipient",
                  "recipient_hash", "body", "params"]


def _statement_ready_rows(year: int, now, credited):
    """第十九条: tell each resident credited now, once a year, that the statement is ready: one
    outbox row per account, shown in the message centre (rendered from `params` in the reader's
    language) and, where a phone is known, sent as SMS by the dispatcher (an SMS row marked
    `in_app`, models/notification.py). One row, not one per channel: a million accounts are a
    million rows. `credited` has the account ids; the phone is copied sealed as it is, with its
    look-up hash (portal/crypto.py)."""
    from ..models import Person

    text, sms = notify.chinese_texts("statement_ready", {"year": year})
    has_phone = Person.phone.is_not(None)
    return select(
        literal("statement_ready"), PersonalAccount.person_id, literal("pending"),
        literal(now, UTCDateTime()),
        case((has_phone, literal("sms")), else_=literal("in_app")), literal(True),
        Person.phone, Person.phone_hash,
        case((has_phone, literal(sms, Encrypted())), else_=literal(text, Encrypted())),
        literal({"year": year}, EncryptedJSON()),
    ).select_from(credited).join(PersonalAccount, PersonalAccount.id == credited.c.account_id
                                 ).join(Person, Person.id == PersonalAccount.person_id)


def _credited_now(year: int, low: int, high: int, now, county: str | None):
    """The SQLite path's interest lines of this run and batch (account id and amount), found by
    the run's timestamp and, for one county, that county's accounts: two county jobs started at
    the same moment may share a timestamp, and their id ranges overlap (counties interleave)."""
    found = (select(LedgerEntry.account_id.label("account_id"), LedgerEntry.amount_fen)
             .filter(LedgerEntry.kind == "interest", LedgerEntry.year == year,
                     LedgerEntry.created_at == now,
                     LedgerEntry.account_id.between(low, high)))
    if county is not None:
        found = found.join(PersonalAccount, PersonalAccount.id == LedgerEntry.account_id).join(
            InsuranceRelation, InsuranceRelation.id == PersonalAccount.relation_id).filter(
            InsuranceRelation.region_code == county)
    return found.subquery()


def _notify_statement_ready(year: int, low: int, high: int, now, county: str | None) -> None:
    """The SQLite path of the notification: the batch's accounts credited just now."""
    credited = _credited_now(year, low, high, now, county)
    db.session.execute(insert(OutboxMessage).from_select(
        OUTBOX_COLUMNS, _statement_ready_rows(year, now, credited)))


# Interest to date (结息) when an account is settled or a pension decided -----------------------

def accrued_for(account_id: int, on: date, scheme: dict) -> list[AccruedInterest]:
    """Interest the account has earned up to `on` and not yet been credited (every earlier
    year not credited, and this year's full months): the same function for deregistration,
    transfer out and the balance at pension eligibility (第二十四条、第三十九条、第四十三条)."""
    rows = db.session.execute(select(LedgerEntry.booked_on, LedgerEntry.amount_fen,
                                     LedgerEntry.kind, LedgerEntry.year)
                              .filter(LedgerEntry.account_id == account_id)).all()
    credited = {year for _day, _amount, kind, year in rows if kind == "interest"}
    return accrued_interest([(day, amount) for day, amount, _k, _y in rows], credited, on,
                            scheme)


def credit_to_date(account_id: int, on: date, scheme: dict, source: str) -> list[dict]:
    """Book the interest to date before an account closes; earlier years on their last day,
    this year's on `on`. Returns what was booked, to show on the 审批表. The caller commits."""
    parts = accrued_for(account_id, on, scheme)
    for part in parts:
        db.session.add(LedgerEntry(
            account_id=account_id, kind="interest", amount_fen=part.amount_fen,
            booked_on=on if part.year == on.year else date(part.year, 12, 31), year=part.year,
            source_key=f"{source}:interest:{part.year}"))
    db.session.flush()
    return [part.as_dict() for part in parts]
