"""Writing and checking the append-only, hash-chained audit log (security.md: who, on behalf of
whom, what, which object, when, channel, outcome)."""

from sqlalchemy import select, text

from ..extensions import db
from ..models import AuditRecord, utcnow

GENESIS = "0" * 64
_AUDIT_LOCK_KEY = 7_150_001  # any fixed number: serialises chain appends on PostgreSQL


def record(
    action: str,
    *,
    actor: str,
    channel: str,
    outcome: str = "success",
    on_behalf_of: str | None = None,
    object_type: str | None = None,
    object_id=None,
    detail: dict | None = None,
) -> AuditRecord:
    """Add one record to the current transaction; the caller's commit makes it durable with the
    change it describes, so a rolled-back change leaves no audit record claiming it happened."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    else:
        # SQLite: a write statement takes the database's write lock (waiting for it), so the
        # latest hash read next cannot change before this record is committed. Without it,
        # parallel requests read the same predecessor and fork the chain.
        session.execute(text("UPDATE audit_record SET id = id WHERE 0"))
    previous = session.scalar(select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1))
    entry = AuditRecord(
        at=utcnow(),
        actor=actor,
        on_behalf_of=on_behalf_of,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        channel=channel,
        outcome=outcome,
        detail=detail or {},
        prev_hash=previous or GENESIS,
    )
    entry.hash = entry.compute_hash()
    session.add(entry)
    session.flush()
    return entry


def first_broken_link() -> int | None:
    """Walk the chain; return the id of the first record that was altered or whose predecessor
    was removed, or None when the whole log is intact."""
    expected_previous = GENESIS
    for entry in db.session.scalars(select(AuditRecord).order_by(AuditRecord.id)):
        if entry.prev_hash != expected_previous or entry.hash != entry.compute_hash():
            return entry.id
        expected_previous = entry.hash
    return None
