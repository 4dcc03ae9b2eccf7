"""The audit log is append-only and tamper-evident (security.md)."""

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import AuditRecord
from portal.operations import audit


def test_chain_is_intact_and_detects_an_edit(app_context):
    audit.record("test_event", actor="system", channel="system", detail={"n": 1})
    db.session.commit()
    assert audit.first_broken_link() is None
    last = db.session.scalar(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1))
    original = last.outcome
    db.session.execute(update(AuditRecord).where(AuditRecord.id == last.id)
                       .values(outcome="failure"))
    db.session.commit()
    try:
        assert audit.first_broken_link() == last.id
    finally:
        db.session.execute(update(AuditRecord).where(AuditRecord.id == last.id)
                           .values(outcome=original))
        db.session.commit()
    assert audit.first_broken_link() is None


def test_rolled_back_change_leaves_no_audit_record(app_context):
    before = db.session.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1))
    audit.record("never_happened", actor="system", channel="system")
    db.session.rollback()
    after = db.session.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1))
    assert after == before
