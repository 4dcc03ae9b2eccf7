"""Contribution details from the tax department (第十四条、第十七条), booked into accounts.

A batch is CSV (header: tax_ref,id_number,year,amount_fen,paid_on[,payer]) or JSON
({"rows": [{…same fields…}]}). All or nothing: a batch with any rejected row books nothing and
its report says which rows and why, for the tax department to correct and resend. The same batch
again returns the first report; a row booked before (same tax_ref) is reported, not booked again.
"""

import hashlib
import json
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import queries
from ..exchange.registries import compare_person
from ..extensions import db
from ..models import (
    ImportBatch,
    InsuranceRelation,
    LedgerEntry,
    Person,
    RefusedContribution,
)
from ..rules import csvfiles, intake
from ..rules.ids import N_
from . import audit, ledger

FIELDS = ("tax_ref", "id_number", "year", "amount_fen", "paid_on")
REASONS = {
    "bad_row": N_("The row is incomplete or a value has the wrong form"),
    "unknown_person": N_("No resident with this identity number"),
    "not_enrolled": N_("The resident has no personal account"),
    "bad_amount": N_("The amount is not a contribution level of that year"),
    "not_eligible_for_government_payment": N_("The government pays only the configured amount "
                                              "of the lowest level, and only for severely "
                                              "disabled residents"),
    "duplicate_in_batch": N_("The same tax reference appears twice in this batch"),
    "before_scheme_start": N_("The year is before the scheme started here"),
    "receiving_pension": N_("The resident already receives the pension: contributions have "
                            "ended"),
    "relation_terminated": N_("The resident's insurance here has ended"),
    "year_already_paid": N_("The government has already paid this year's contribution for "
                            "this resident (代缴 is once a year)"),
    "back_pay_not_allowed": N_("Back pay for this year is not allowed: neither the transitional "
                               "rule nor the province's policy covers it"),
}


class BadBatch(ValueError):
    """The file itself cannot be read (not the rows in it)."""


def parse(content: bytes, content_type: str) -> list[dict]:
    text = content.decode("utf-8-sig")
    if "json" in content_type:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:
            raise BadBatch("not valid JSON") from error
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise BadBatch('JSON must be {"rows": [...]}')
        return [r if isinstance(r, dict) else {} for r in rows]
    try:
        return csvfiles.read(text, FIELDS)
    except csvfiles.BadCsv as problem:
        raise BadBatch(f"{problem}: CSV without NUL bytes, fields of at most "
                       f"{csvfiles.MAX_FIELD} characters, header including "
                       + ",".join(FIELDS)) from None


def _clean(row: dict) -> dict | None:
    if any("\x00" in str(value) for value in row.values()):
        return None  # no text column can hold a NUL byte
    try:
        cleaned = {
            "tax_ref": str(row["tax_ref"]).strip(),
            "id_number": str(row["id_number"]).strip().upper(),
            "year": int(row["year"]),
            "amount_fen": int(row["amount_fen"]),
            "paid_on": date.fromisoformat(str(row["paid_on"]).strip()),
            "payer": (str(row.get("payer") or "person")).strip(),
        }
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if not 0 < len(cleaned["tax_ref"]) <= 40 or cleaned["payer"] not in ("person", "government"):
        return None
    if cleaned["year"] > cleaned["paid_on"].year:
        return None
    if not 1000 <= cleaned["year"] <= 9999 or abs(cleaned["amount_fen"]) >= 2**31:
        return None  # no column holds it; no real contribution looks like it
    return cleaned


def import_batch(content: bytes, content_type: str, scheme: dict, received_by: str) -> ImportBatch:
    """Book a batch once. The same batch sent again, even at the same moment, gets the first
    one's report: the loser of the race on the unique content digest (or on a tax_ref's ledger
    key) rolls back and answers with the winner's batch."""
    digest = hashlib.sha256(content).hexdigest()
    earlier = db.session.scalar(select(ImportBatch).filter_by(content_sha256=digest))
    if earlier is not None:
        return earlier
    try:
        return _import(content, content_type, scheme, received_by, digest)
    except IntegrityError:
        db.session.rollback()
        winner = db.session.scalar(select(ImportBatch).filter_by(content_sha256=digest))
        if winner is None:
            raise
        return winner


def _import(content: bytes, content_type: str, scheme: dict, received_by: str,
            digest: str) -> ImportBatch:
    rows = parse(content, content_type)
    report_rows, bookings, seen, refused = [], [], set(), []
    years = _YearsInBatch()
    for number, raw in enumerate(rows, start=1):
        row = _clean(raw)
        status, reason, person = "accepted", None, None
        if row is None:
            status, reason = "rejected", "bad_row"
        elif row["tax_ref"] in seen:
            status, reason = "rejected", "duplicate_in_batch"
        else:
            seen.add(row["tax_ref"])
            status, reason, plan, person = _plan(row, scheme, years)
            bookings.extend(plan)
        tax_ref = (row or {}).get("tax_ref") or str(raw.get("tax_ref", ""))[:40].replace(
            "\x00", "")
        report_rows.append({"row": number, "tax_ref": tax_ref, "status": status,
                            "reason": reason})
        if status == "rejected":
            refused.append((number, tax_ref, row or {}, person, reason))
    batch = ImportBatch(source="tax", content_sha256=digest, received_by=received_by,
                        status="rejected" if refused else "booked")
    if not refused:
        db.session.add_all(bookings)
    batch.report = {
        "rows": len(report_rows),
        "accepted": sum(r["status"] == "accepted" for r in report_rows),
        "already_booked": sum(r["status"] == "already_booked" for r in report_rows),
        "rejected": len(refused),
        "booked_entries": 0 if refused else len(bookings),
        "details": [r for r in report_rows if r["status"] != "accepted"],
    }
    db.session.add(batch)
    db.session.flush()
    # Refused rows are never dropped: the county sees each with its reason (the money was
    # collected, so it must be refunded or the record corrected) and the tax department's
    # acknowledgement lists them.
    for number, tax_ref, row, person, reason in refused:
        db.session.add(RefusedContribution(
            batch_id=batch.id, row_number=number, tax_ref=tax_ref[:80],
            id_number=(row.get("id_number") or None) and row["id_number"][:24],
            person_id=person.id if person else None,
            county_code=_county_of(person) if person else None,
            year=row.get("year"), amount_fen=row.get("amount_fen"), reason=reason))
    audit.record("tax_import", actor=received_by, channel="system", object_type="import_batch",
                 object_id=digest[:16], outcome="success" if not refused else "failure",
                 detail={k: v for k, v in batch.report.items() if k != "details"})
    db.session.commit()
    return batch


def _county_of(person: Person) -> str | None:
    relation = queries.latest_relation(person.id)
    return relation.region_code if relation else None


class _YearsInBatch:
    """What the ledger and the rows accepted so far in this batch hold per account and year,
    so two rows for one year in one batch are judged like two batches."""

    def __init__(self):
        self.so_far: dict[tuple[int, int], intake.YearSoFar] = {}
        self.years: dict[int, set[int]] = {}

    def of(self, account_id: int, year: int) -> intake.YearSoFar:
        key = (account_id, year)
        if key not in self.so_far:
            sums = dict(db.session.execute(
                select(LedgerEntry.kind, func.sum(LedgerEntry.amount_fen))
                .filter(LedgerEntry.account_id == account_id, LedgerEntry.year == year,
                        LedgerEntry.kind.in_(("personal", "government_paid", "subsidy")),
                        LedgerEntry.id.not_in(_reversed(account_id)))
                .group_by(LedgerEntry.kind)).all())
            self.so_far[key] = intake.YearSoFar(int(sums.get("personal") or 0),
                                                int(sums.get("government_paid") or 0),
                                                int(sums.get("subsidy") or 0))
        return self.so_far[key]

    def years_paid(self, account_id: int) -> set[int]:
        if account_id not in self.years:
            self.years[account_id] = set(ledger.contribution_years(account_id))
        return self.years[account_id]

    def add(self, account_id: int, year: int, kind: str, amount: int, subsidy: int) -> None:
        now = self.of(account_id, year)
        self.so_far[(account_id, year)] = intake.YearSoFar(
            now.personal_fen + (amount if kind == "personal" else 0),
            now.government_fen + (amount if kind == "government_paid" else 0),
            now.subsidy_fen + subsidy)
        self.years_paid(account_id).add(year)


def _reversed(account_id: int):
    return select(LedgerEntry.reverses_id).filter(LedgerEntry.account_id == account_id,
                                                  LedgerEntry.reverses_id.is_not(None))


def _plan(row: dict, scheme: dict, years: _YearsInBatch):
    """The entries one tax row books, after the scheme's intake rules (rules.intake): the
    contribution, and the subsidy the year's total earns, once."""
    existing = db.session.scalar(select(LedgerEntry.id).filter_by(
        source_key=f"tax:{row['tax_ref']}"))
    if existing is not None:
        return "already_booked", None, [], None
    person = db.session.scalar(select(Person).filter_by(id_number=row["id_number"]))
    if person is None:
        return "rejected", "unknown_person", [], None
    relations = db.session.scalars(select(InsuranceRelation).filter_by(person_id=person.id)
                                   .order_by(InsuranceRelation.id)).all()
    current = next((r for r in reversed(relations) if r.status != "terminated"),
                   relations[-1] if relations else None)
    account = ledger.account_of(person.id)
    if account is None or current is None:
        return "rejected", "not_enrolled", [], person
    grade = None
    if row["payer"] == "government":
        grade = compare_person(person.id_type, person.id_number, person.name,
                               row["paid_on"]).disability_grade
    decided = intake.intake(
        scheme, year=row["year"], paid_on=row["paid_on"], amount_fen=row["amount_fen"],
        payer=row["payer"], relation_status=current.status, birth_date=person.birth_date,
        enrolled_year=min(r.started_on.year for r in relations),
        years_paid=len(years.years_paid(account.id) - {row["year"]}),
        so_far=years.of(account.id, row["year"]),
        severely_disabled=grade is not None and grade <= 2)
    if decided.refusal:
        return "rejected", decided.refusal, [], person
    years.add(account.id, row["year"], decided.kind, row["amount_fen"], decided.subsidy_fen)
    common = {"account_id": account.id, "booked_on": row["paid_on"], "year": row["year"]}
    plan = [LedgerEntry(kind=decided.kind, amount_fen=row["amount_fen"],
                        source_key=f"tax:{row['tax_ref']}", **common)]
    if decided.subsidy_fen:
        plan.append(LedgerEntry(kind="subsidy", amount_fen=decided.subsidy_fen,
                                source_key=f"tax:{row['tax_ref']}:subsidy", **common))
    return "accepted", None, plan, person


def refused_rows(county_code: str, limit: int = 200) -> list[RefusedContribution]:
    """Rows the scheme refused for the county's residents (and rows naming nobody known here,
    which the service county sorts out with the tax department), newest first."""
    from flask import current_app

    mine = RefusedContribution.county_code.startswith(county_code[:6])
    if county_code[:6] == current_app.config["SERVICE_COUNTY_CODE"][:6]:
        mine = mine | RefusedContribution.county_code.is_(None)
    return db.session.scalars(select(RefusedContribution).filter(mine)
                              .order_by(RefusedContribution.id.desc()).limit(limit)).all()
