"""Contribution details from the tax department (第十四条、第十七条), booked into accounts.

A batch is CSV (header: tax_ref,id_number,year,amount_fen,paid_on[,payer]) or JSON
({"rows": [{…same fields…}]}). All or nothing: a batch with any rejected row books nothing and
its report says which rows and why, for the tax department to correct and resend. The same batch
again returns the first report; a row booked before (same tax_ref) is reported, not booked again.
"""

import csv
import hashlib
import io
import json
from datetime import date

from sqlalchemy import select

from ..exchange.registries import compare_person
from ..extensions import db
from ..models import ImportBatch, LedgerEntry, Person
from ..rules import contributions
from ..rules.ids import N_
from . import audit, ledger

FIELDS = ("tax_ref", "id_number", "year", "amount_fen", "paid_on")
REASONS = {
    "bad_row": N_("The row is incomplete or a value has the wrong form"),
    "unknown_person": N_("No resident with this identity number"),
    "not_enrolled": N_("The resident has no personal account"),
    "bad_amount": N_("The amount is not a contribution level of that year"),
    "not_eligible_for_government_payment": N_("The government pays only the lowest level, and "
                                              "only for severely disabled residents"),
    "duplicate_in_batch": N_("The same tax reference appears twice in this batch"),
}


class BadBatch(ValueError):
    """The file itself cannot be read (not the rows in it)."""


def parse(content: bytes, content_type: str) -> list[dict]:
    text = content.decode("utf-8-sig")
    if "json" in content_type:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise BadBatch("not valid JSON") from error
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise BadBatch('JSON must be {"rows": [...]}')
        return [r if isinstance(r, dict) else {} for r in rows]
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not set(FIELDS) <= set(reader.fieldnames):
        raise BadBatch("CSV header must include " + ",".join(FIELDS))
    return list(reader)


def _clean(row: dict) -> dict | None:
    try:
        cleaned = {
            "tax_ref": str(row["tax_ref"]).strip(),
            "id_number": str(row["id_number"]).strip().upper(),
            "year": int(row["year"]),
            "amount_fen": int(row["amount_fen"]),
            "paid_on": date.fromisoformat(str(row["paid_on"]).strip()),
            "payer": (str(row.get("payer") or "person")).strip(),
        }
    except (KeyError, TypeError, ValueError):
        return None
    if not cleaned["tax_ref"] or cleaned["payer"] not in ("person", "government"):
        return None
    if not 2009 <= cleaned["year"] <= cleaned["paid_on"].year:
        return None
    return cleaned


def import_batch(content: bytes, content_type: str, scheme: dict, received_by: str) -> ImportBatch:
    digest = hashlib.sha256(content).hexdigest()
    earlier = db.session.scalar(select(ImportBatch).filter_by(content_sha256=digest))
    if earlier is not None:
        return earlier
    rows = parse(content, content_type)
    report_rows, bookings, seen = [], [], set()
    for number, raw in enumerate(rows, start=1):
        row = _clean(raw)
        status, reason = "accepted", None
        if row is None:
            status, reason = "rejected", "bad_row"
        elif row["tax_ref"] in seen:
            status, reason = "rejected", "duplicate_in_batch"
        else:
            seen.add(row["tax_ref"])
            status, reason, plan = _plan(row, scheme)
            if plan:
                bookings.extend(plan)
        report_rows.append({"row": number, "tax_ref": (row or {}).get("tax_ref")
                            or str(raw.get("tax_ref", "")), "status": status, "reason": reason})
    rejected = [r for r in report_rows if r["status"] == "rejected"]
    batch = ImportBatch(source="tax", content_sha256=digest, received_by=received_by,
                        status="rejected" if rejected else "booked")
    if not rejected:
        db.session.add_all(bookings)
    batch.report = {
        "rows": len(report_rows),
        "accepted": sum(r["status"] == "accepted" for r in report_rows),
        "already_booked": sum(r["status"] == "already_booked" for r in report_rows),
        "rejected": len(rejected),
        "booked_entries": 0 if rejected else len(bookings),
        "details": [r for r in report_rows if r["status"] != "accepted"],
    }
    db.session.add(batch)
    audit.record("tax_import", actor=received_by, channel="system", object_type="import_batch",
                 object_id=digest[:16], outcome="success" if not rejected else "failure",
                 detail={k: v for k, v in batch.report.items() if k != "details"})
    db.session.commit()
    return batch


def _plan(row: dict, scheme: dict):
    """The entries one tax row books: the contribution and the subsidy its tier earns."""
    existing = db.session.scalar(select(LedgerEntry.id).filter_by(
        source_key=f"tax:{row['tax_ref']}"))
    if existing is not None:
        return "already_booked", None, []
    person = db.session.scalar(select(Person).filter_by(id_number=row["id_number"]))
    if person is None:
        return "rejected", "unknown_person", []
    account = ledger.account_of(person.id)
    if account is None:
        return "rejected", "not_enrolled", []
    try:
        tier = contributions.tier_for(scheme, row["year"], row["amount_fen"])
    except contributions.NoSchemeForYear:
        tier = None
    if tier is None:
        return "rejected", "bad_amount", []
    kind = "personal"
    if row["payer"] == "government":
        lowest = contributions.tiers(scheme, row["year"])[0]
        grade = compare_person(person.id_type, person.id_number, person.name,
                               row["paid_on"]).disability_grade
        if tier != lowest or grade is None or grade > 2:
            return "rejected", "not_eligible_for_government_payment", []
        kind = "government_paid"
    back_pay = row["year"] < row["paid_on"].year
    subsidised = not back_pay or contributions.year_config(scheme, row["year"]).get(
        "subsidy_for_back_pay", False)
    common = {"account_id": account.id, "booked_on": row["paid_on"], "year": row["year"]}
    plan = [LedgerEntry(kind=kind, amount_fen=tier.amount_fen,
                        source_key=f"tax:{row['tax_ref']}", **common)]
    if subsidised:
        plan.append(LedgerEntry(kind="subsidy", amount_fen=tier.subsidy_fen,
                                source_key=f"tax:{row['tax_ref']}:subsidy", **common))
    return "accepted", None, plan
