"""Append-only audit log, hash-chained so that an edited or deleted record is detectable."""

import hashlib
import json
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

CHANNELS = ("online", "kiosk", "assisted", "counter", "system")


class AuditRecord(Base):
    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(40))  # "resident:12", "staff:3", "system"
    on_behalf_of: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(20))  # "success", "failure", "denied"
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def canonical(self) -> str:
        return json.dumps(
            [
                self.at.isoformat(),
                self.actor,
                self.on_behalf_of,
                self.action,
                self.object_type,
                self.object_id,
                self.channel,
                self.outcome,
                self.detail,
                self.prev_hash,
            ],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()


class DataAccess(Base):
    """A staff member saw a resident's full personal details or opened one of their documents.

    Each row sits beside its record in the hash-chained audit log (audit_record_id); this table
    exists so that the resident's "who looked at my data" page (PIPL 第四十五条) and the county
    admin's overview are plain indexed queries."""

    __tablename__ = "data_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    staff_role: Mapped[str] = mapped_column(String(20))
    staff_region_code: Mapped[str] = mapped_column(String(12))  # the staff member's agency
    county_code: Mapped[str] = mapped_column(String(12), index=True)  # whose records they are
    purpose: Mapped[str] = mapped_column(String(30))  # see PURPOSES
    object_type: Mapped[str] = mapped_column(String(20))  # application / upload
    object_ref: Mapped[str] = mapped_column(String(40))  # reference or upload id
    audit_record_id: Mapped[int] = mapped_column(ForeignKey("audit_record.id"))


PURPOSES = ("review_application", "download_document")
