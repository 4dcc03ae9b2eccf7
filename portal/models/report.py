"""Reports of suspected fraud (举报, 第六十六条): from anyone, anonymous allowed."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import Encrypted
from .base import Base, UTCDateTime, utcnow


class FraudReport(Base):
    __tablename__ = "fraud_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # given to the reporter
    # The reporter checks the outcome with reference + this secret; only its hash is kept.
    check_code_hash: Mapped[str] = mapped_column(String(64))
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    subject: Mapped[str] = mapped_column(String(30))  # e.g. "pension_after_death"
    about_name: Mapped[str | None] = mapped_column(String(60))
    details: Mapped[str] = mapped_column(Text)
    staff_named: Mapped[str | None] = mapped_column(String(60))  # a staff member involved
    # Never shown to the staff member it names (resolved from staff_named at filing).
    excluded_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reporter: Mapped[str | None] = mapped_column(String(40))  # "resident:3"; None = anonymous
    contact_phone: Mapped[str | None] = mapped_column(Encrypted())
    status: Mapped[str] = mapped_column(String(15), default="received")  # received / closed
    outcome: Mapped[str | None] = mapped_column(Text)  # what the reporter may read
    closed_by: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
