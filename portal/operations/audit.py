"""Writing and checking the append-only, hash-chained audit log (security.md: who, on behalf of
whom, what, which object, when, channel, outcome)."""

from sqlalchemy import select, text

from ..extensions import db
from ..models import AuditRecord, DataAccess, StaffUser, utcnow

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



def log(action: str, **fields) -> AuditRecord:
    """Something that happened and changes nothing else (a sign-in, a sign-out, a refusal),
    recorded and committed on its own: views call this rather than commit themselves."""
    entry = record(action, **fields)
    db.session.commit()
    return entry

def data_viewed(staff: StaffUser, person_id: int, *, purpose: str, county_code: str,
                object_type: str, object_ref) -> DataAccess:
    """A staff member saw a person's full details or opened their document: an audit record,
    and the row the resident and the county admin read (PIPL 第四十五条). Committed at once: the
    page is shown whatever happens next, so the record of it must not depend on a later step."""
    entry = record("personal_data_viewed", actor=staff.get_id(), channel="counter",
                   object_type=object_type, object_id=object_ref,
                   detail={"person_id": person_id, "purpose": purpose})
    access = DataAccess(at=entry.at, person_id=person_id, staff_id=staff.id,
                        staff_role=staff.role, staff_region_code=staff.region_code,
                        county_code=_county(county_code), purpose=purpose,
                        object_type=object_type, object_ref=str(object_ref),
                        audit_record_id=entry.id)
    db.session.add(access)
    db.session.commit()
    return access


def data_access_of(person_id: int) -> list[DataAccess]:
    """Every staff view of one person's data, newest first (the resident's 查询记录)."""
    return db.session.scalars(select(DataAccess).filter_by(person_id=person_id)
                              .order_by(DataAccess.id.desc())).all()


def data_access_in(county_code: str, before: int | None = None,
                   limit: int = 100) -> list[DataAccess]:
    """Staff views of the county's residents' data, newest first, a page at a time."""
    query = select(DataAccess).filter(DataAccess.county_code == _county(county_code))
    if before:
        query = query.filter(DataAccess.id < before)
    return db.session.scalars(query.order_by(DataAccess.id.desc()).limit(limit)).all()


def _county(region_code: str) -> str:
    """The 12-digit code of the county a region lies in (codes are hierarchical prefixes)."""
    return region_code[:6].ljust(12, "0")


def first_broken_link() -> int | None:
    """Walk the chain; return the id of the first record that was altered or whose predecessor
    was removed, or None when the whole log is intact."""
    expected_previous = GENESIS
    for entry in db.session.scalars(select(AuditRecord).order_by(AuditRecord.id)):
        if entry.prev_hash != expected_previous or entry.hash != entry.compute_hash():
            return entry.id
        expected_previous = entry.hash
    return None
