"""Registration data for the tax department (第十三条): a batch file the tax interface collects,
and the acknowledgement it sends back.

Approving an enrolment queues one outbox row (channel "tax", status "pending") holding the record
as registered. `export_pending` gathers the pending rows into one numbered batch (a JSON file);
the tax interface collects it (HTTP or the file the CLI writes) and answers with an
acknowledgement naming each row accepted or rejected with a reason. Rejected rows are listed for
county staff; nothing is dropped silently.
"""

import hashlib
import json
from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import OutboxMessage, OutgoingBatch, utcnow
from . import audit

FORMAT_VERSION = 1


class BadAcknowledgement(ValueError):
    """The acknowledgement cannot be applied; nothing was changed."""


def registration_record(person, relation, application, address: str | None) -> dict:
    """The registration as sent: identity, hukou county, contact and the chosen level."""
    return {
        "reference": application.reference,
        "id_type": person.id_type,
        "id_number": person.id_number,
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "phone": person.phone,
        "address": address,
        "county_code": relation.region_code,
        "registered_on": relation.started_on.isoformat(),
        "tier_fen": relation.contribution_tier_fen,
    }


def queue_registration(person, relation, application, address: str | None) -> None:
    record = registration_record(person, relation, application, address)
    db.session.add(OutboxMessage(
        channel="tax", kind="registration", person_id=person.id, recipient="tax",
        body=json.dumps(record, ensure_ascii=False), params=record,
    ))


def _next_batch_no(today: date) -> str:
    prefix = f"REG-{today:%Y%m%d}-"
    count = db.session.scalar(select(func.count(OutgoingBatch.id))
                              .filter(OutgoingBatch.batch_no.like(prefix + "%")))
    return f"{prefix}{count + 1:04d}"


def export_pending(actor: str, today: date) -> OutgoingBatch | None:
    """Gather every pending registration into one batch; None when there is nothing to send."""
    rows = db.session.scalars(
        select(OutboxMessage).filter_by(channel="tax", kind="registration", status="pending")
        .order_by(OutboxMessage.id).with_for_update()
    ).all()
    if not rows:
        return None
    batch_no = _next_batch_no(today)
    content = json.dumps({
        "format": FORMAT_VERSION, "batch_no": batch_no, "kind": "registration",
        "created_on": today.isoformat(),
        "rows": [row.params or json.loads(row.body) for row in rows],
    }, ensure_ascii=False, indent=1)
    batch = OutgoingBatch(
        batch_no=batch_no, destination="tax", kind="registration", row_count=len(rows),
        content=content, content_sha256=hashlib.sha256(content.encode()).hexdigest(),
    )
    db.session.add(batch)
    db.session.flush()
    now = utcnow()
    for row in rows:
        row.batch_id, row.status, row.sent_at = batch.id, "exported", now
    audit.record("tax_registrations_exported", actor=actor, channel="system",
                 object_type="outgoing_batch", object_id=batch_no,
                 detail={"rows": len(rows), "sha256": batch.content_sha256})
    db.session.commit()
    return batch


def open_batches() -> list[OutgoingBatch]:
    return db.session.scalars(select(OutgoingBatch).filter(
        OutgoingBatch.status != "acknowledged").order_by(OutgoingBatch.id)).all()


def recent_batches(limit: int = 20) -> list[OutgoingBatch]:
    return db.session.scalars(select(OutgoingBatch).filter_by(destination="tax")
                              .order_by(OutgoingBatch.id.desc()).limit(limit)).all()


def collect(batch_no: str, actor: str) -> OutgoingBatch | None:
    """The tax interface fetches a batch; collecting again returns the same file."""
    batch = db.session.scalar(select(OutgoingBatch).filter_by(batch_no=batch_no))
    if batch is None:
        return None
    if batch.status == "ready":
        batch.status, batch.collected_at = "collected", utcnow()
    audit.record("tax_registrations_collected", actor=actor, channel="system",
                 object_type="outgoing_batch", object_id=batch_no)
    db.session.commit()
    return batch


def _has_nul(value) -> bool:
    """PostgreSQL text cannot hold a NUL byte: such an answer is refused before any query."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_nul(item) for item in value)


def _parse_acknowledgement(data) -> tuple[str, set[str], dict[str, str]]:
    if not isinstance(data, dict) or not isinstance(data.get("batch_no"), str):
        raise BadAcknowledgement('expected {"batch_no": …, "accepted": […], "rejected": […]}')
    if _has_nul(data):
        raise BadAcknowledgement("no text may contain NUL bytes")
    accepted = data.get("accepted", [])
    rejected = data.get("rejected", [])
    if not isinstance(accepted, list) or not isinstance(rejected, list):
        raise BadAcknowledgement("accepted and rejected must be lists")
    if not all(isinstance(ref, str) for ref in accepted):
        raise BadAcknowledgement("accepted must list references")
    reasons = {}
    for item in rejected:
        if not (isinstance(item, dict) and isinstance(item.get("reference"), str)
                and isinstance(item.get("reason"), str) and item["reason"].strip()):
            raise BadAcknowledgement("each rejected row needs a reference and a reason")
        reasons[item["reference"]] = item["reason"].strip()[:500]
    if set(accepted) & set(reasons):
        raise BadAcknowledgement("a reference cannot be both accepted and rejected")
    return data["batch_no"], set(accepted), reasons


def acknowledge(data, actor: str) -> dict:
    """Apply the tax department's answer. All or nothing: an answer naming a row that is not in
    the batch changes nothing. The same answer twice changes nothing the second time."""
    batch_no, accepted, reasons = _parse_acknowledgement(data)
    batch = db.session.scalar(select(OutgoingBatch).filter_by(batch_no=batch_no)
                              .with_for_update())
    if batch is None:
        raise BadAcknowledgement(f"unknown batch {batch_no}")
    rows = {row.params["reference"]: row for row in db.session.scalars(
        select(OutboxMessage).filter_by(batch_id=batch.id))}
    unknown = sorted((accepted | set(reasons)) - set(rows))
    if unknown:
        raise BadAcknowledgement("not in this batch: " + ", ".join(unknown))
    for reference in accepted:
        rows[reference].status, rows[reference].receiver_note = "accepted", None
    for reference, reason in reasons.items():
        rows[reference].status, rows[reference].receiver_note = "rejected", reason
    outstanding = sorted(ref for ref, row in rows.items() if row.status == "exported")
    if not outstanding:
        batch.status, batch.acknowledged_at = "acknowledged", utcnow()
    report = {"batch_no": batch_no, "accepted": len(accepted), "rejected": len(reasons),
              "outstanding": outstanding}
    batch.acknowledgement = report
    audit.record("tax_registrations_acknowledged", actor=actor, channel="system",
                 object_type="outgoing_batch", object_id=batch_no, detail=report)
    db.session.commit()
    return report


def rejected_registrations(county_code: str) -> list[OutboxMessage]:
    """For county staff: registrations the tax department refused, to correct and resend."""
    rows = db.session.scalars(
        select(OutboxMessage).filter_by(channel="tax", kind="registration", status="rejected")
        .order_by(OutboxMessage.id))
    return [row for row in rows if row.params.get("county_code") == county_code]


def resend(row: OutboxMessage, actor: str) -> None:
    """Queue the registration again with the person's current details (after a correction)."""
    from ..models import Application, InsuranceRelation, Person

    application = db.session.scalar(
        select(Application).filter_by(reference=row.params["reference"]))
    relation = db.session.scalar(
        select(InsuranceRelation).filter_by(application_id=application.id))
    queue_registration(db.session.get(Person, row.person_id), relation, application,
                       row.params.get("address"))
    row.status = "resent"
    audit.record("tax_registration_resent", actor=actor, channel="console",
                 object_type="application", object_id=application.reference,
                 detail={"rejected_because": row.receiver_note})
    db.session.commit()
