"""Reading and writing the personal account ledger; money moves only through entries here."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select

from ..constants import PayoutKind
from ..extensions import db
from ..models import LedgerEntry, PayoutApproval, PersonalAccount
from ..models.ledger import CONTRIBUTION_KINDS
from ..rules import statement as statement_rules
from . import approvals, audit

# Statements run on most resident pages are built once, with bound parameters: building a
# select and its cache key each time cost more client CPU (~150 µs) than sending and reading it.
_ACCOUNT_OF = (select(PersonalAccount).filter(PersonalAccount.person_id == bindparam("person_id"))
               .order_by(PersonalAccount.id.desc()).limit(1))
_entry = LedgerEntry.__table__.c  # plain columns: rows, not ORM objects, on the read path
_LINES = (select(_entry.id, _entry.kind, _entry.amount_fen, _entry.booked_on, _entry.year,
                 _entry.reverses_id)
          .where(_entry.account_id == bindparam("account_id"))
          .order_by(_entry.booked_on, _entry.id))


def account_of(person_id: int) -> PersonalAccount | None:
    """The person's current account: a transfer between counties opens a new one."""
    return db.session.scalar(_ACCOUNT_OF, {"person_id": person_id})


def balance_fen(account_id: int, until: date | None = None) -> int:
    """Sum of every entry booked up to and including `until` (all entries when None)."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).filter(
        LedgerEntry.account_id == account_id)
    if until is not None:
        query = query.filter(LedgerEntry.booked_on <= until)
    return int(db.session.scalar(query))


def contribution_years(account_id: int, until_year: int | None = None) -> list[int]:
    """Years with a contribution that still stands (a reversed contribution does not count),
    with the years a transfer brought in (第四十四条)."""
    reversed_ids = select(LedgerEntry.reverses_id).filter(
        LedgerEntry.account_id == account_id, LedgerEntry.reverses_id.is_not(None))
    query = select(LedgerEntry.year).distinct().filter(
        LedgerEntry.account_id == account_id, LedgerEntry.kind.in_(CONTRIBUTION_KINDS),
        LedgerEntry.amount_fen > 0, LedgerEntry.id.not_in(reversed_ids))
    if until_year is not None:
        query = query.filter(LedgerEntry.year <= until_year)
    carried = db.session.get(PersonalAccount, account_id).carried_years or []
    years = set(db.session.scalars(query)) | {y for y in carried
                                              if until_year is None or y <= until_year}
    return sorted(years)


def contribution_arrivals(account_id: int) -> list[tuple[date, int]]:
    """(day the money arrived, contribution year) of every contribution that still stands: when
    each year came to count (the eligibility date, 第二十六条)."""
    reversed_ids = select(LedgerEntry.reverses_id).filter(
        LedgerEntry.account_id == account_id, LedgerEntry.reverses_id.is_not(None))
    return [(day, year) for day, year in db.session.execute(
        select(LedgerEntry.booked_on, LedgerEntry.year).filter(
            LedgerEntry.account_id == account_id, LedgerEntry.kind.in_(CONTRIBUTION_KINDS),
            LedgerEntry.amount_fen > 0, LedgerEntry.id.not_in(reversed_ids)))]


def contributions_in(account_id: int, year: int) -> list[LedgerEntry]:
    """The year's contributions that have reached the account (tax import), earliest first."""
    return db.session.scalars(
        select(LedgerEntry).filter(LedgerEntry.account_id == account_id,
                                   LedgerEntry.kind.in_(CONTRIBUTION_KINDS),
                                   LedgerEntry.year == year)
        .order_by(LedgerEntry.booked_on)).all()


@dataclass(frozen=True)
class Statement:
    """对账单 (第十九条) for one year, or all years when `year` is None."""

    account_id: int
    year: int | None
    opening_fen: int
    entries: list
    closing_fen: int
    contribution_years: int

    def total(self, kind: str) -> int:
        return sum(e.amount_fen for e in self.entries if e.kind == kind)


def statement(account_id: int, year: int | None) -> Statement:
    """One query: every line of the account as plain rows (no ORM objects), summed and filtered by
    rules.statement. Each line has id, kind, amount_fen, booked_on, year and reverses_id."""
    if db.session.new:  # a plain select does not autoflush: lines added but not yet sent count
        db.session.flush()
    lines = db.session.execute(_LINES, {"account_id": account_id}).all()
    # No query when the account is already loaded (my_account): the identity map has it.
    carried = db.session.get(PersonalAccount, account_id).carried_years or []
    return _statement_of(account_id, year, lines, carried)


def _statement_of(account_id: int, year: int | None, lines, carried_years) -> Statement:
    found = statement_rules.figures(lines, year, carried_years, CONTRIBUTION_KINDS)
    return Statement(account_id=account_id, year=year, opening_fen=found.opening_fen,
                     entries=found.entries, closing_fen=found.closing_fen,
                     contribution_years=len(found.contribution_years))


_account = PersonalAccount.__table__.c
# A person's current account and all its lines in one round trip (a statement page): the
# account's columns come with every line, and once, with no line columns, when it has none.
PERSON_LINES = (
    select(_account.id.label("account_id"), _account.carried_years, _entry.id, _entry.kind,
           _entry.amount_fen, _entry.booked_on, _entry.year, _entry.reverses_id)
    .select_from(PersonalAccount.__table__.outerjoin(
        LedgerEntry.__table__, _entry.account_id == _account.id))
    .where(_account.id == select(_account.id).where(_account.person_id == bindparam("person_id"))
           .order_by(_account.id.desc()).limit(1).scalar_subquery())
    .order_by(_entry.booked_on, _entry.id))


def statement_of_rows(rows, year: int | None) -> Statement | None:
    """The Statement of PERSON_LINES' rows (or of a query that adds columns to it: the
    statement page's, operations.statements.statement_with_newest), None when there are none
    (the person has no account)."""
    if not rows:
        return None
    return _statement_of(rows[0].account_id, year, [row for row in rows if row.id is not None],
                         rows[0].carried_years or [])


def reverse_entry(entry: LedgerEntry, reason: str, *, actor: str, channel: str,
                  source_key: str | None = None) -> LedgerEntry:
    """A correction never edits: it books the opposite amount, pointing at the original.
    The caller commits."""
    if not reason.strip():
        raise ValueError("a reversal needs its reason")
    reversal = LedgerEntry(account_id=entry.account_id, kind="reversal",
                           amount_fen=-entry.amount_fen, booked_on=entry.booked_on,
                           year=entry.year, source_key=source_key or f"reversal:{entry.id}",
                           reverses_id=entry.id, reason=reason.strip())
    db.session.add(reversal)
    audit.record("ledger_reversal", actor=actor, channel=channel, object_type="ledger_entry",
                 object_id=entry.id, detail={"amount_fen": -entry.amount_fen, "reason": reason,
                                             "source_key": reversal.source_key})
    return reversal


def reverse(entry: LedgerEntry, reason: str, actor: str, channel: str) -> LedgerEntry:
    reversal = reverse_entry(entry, reason, actor=actor, channel=channel)
    db.session.commit()
    return reversal


# Manual corrections: prepared by one member of staff, booked when another approves (第六十二条)

def prepare_corrections(account: PersonalAccount, corrections: list[tuple[int, int]],
                        reason: str, *, actor: str, source: str, county_code: str,
                        application_id: int | None = None,
                        channel: str = "counter") -> PayoutApproval:
    """经办 of a correction: each (entry, right amount) will reverse the entry and book the right
    amount, both with `source` (e.g. "dispute:<reference>") as their document, so the balance
    moves by exactly the difference, once a different member of staff approves. Nothing is
    booked now. The caller commits."""
    if not reason.strip():
        raise ValueError("a correction needs its reason")
    difference = 0
    for entry_id, right_fen in corrections:
        entry = db.session.get(LedgerEntry, entry_id)
        if entry is None or entry.account_id != account.id:
            raise ValueError("the entry is not on this account")
        difference += right_fen - entry.amount_fen
    return approvals.prepare(
        PayoutKind.LEDGER_CORRECTION, f"correction:{source}", actor=actor, channel=channel,
        county_code=county_code, amount_fen=difference, person_id=account.person_id,
        application_id=application_id,
        detail={"account_id": account.id, "corrections": [list(c) for c in corrections],
                "reason": reason.strip(), "source": source})


@approvals.releases(PayoutKind.LEDGER_CORRECTION)
def _book_corrections(approval, actor: str, channel: str) -> None:
    """复核 done: book each reversal and the right amount."""
    source, reason = approval.detail["source"], approval.detail["reason"]
    for number, (entry_id, right_fen) in enumerate(approval.detail["corrections"], start=1):
        entry = db.session.get(LedgerEntry, entry_id)
        reverse_entry(entry, reason, actor=actor, channel=channel,
                      source_key=f"{source}:{number}:reversal")
        db.session.add(LedgerEntry(
            account_id=entry.account_id, kind=entry.kind, amount_fen=right_fen,
            booked_on=entry.booked_on, year=entry.year, reason=reason,
            source_key=f"{source}:{number}"))
