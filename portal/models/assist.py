"""Village assistants (村协办员): the resident's consent for each task they file on the
resident's behalf, and the monthly death reports (第三十二条)."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from ..crypto import Encrypted, blind_index
from .base import Base, UTCDateTime, utcnow


class Consent(Base):
    """A resident's consent for one task (one service) by one assistant; it expires, and an
    objection freezes it and what was filed under it."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    flow: Mapped[str] = mapped_column(String(30))  # the service it allows
    method: Mapped[str] = mapped_column(String(12))  # sms / signature / paper
    reason: Mapped[str] = mapped_column(String(20))  # limited_mobility / illness / age / other
    evidence_upload_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    sms_code_hash: Mapped[str | None] = mapped_column(String(64))
    # pending (SMS code sent) → active → objected; expired by date
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_on: Mapped[date] = mapped_column(Date)
    objected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    objection: Mapped[str | None] = mapped_column(Text)


class DeathReport(Base):
    """One death an assistant reports for last month (第三十二条); the township consolidates and
    forwards; the county matches beneficiaries and suspends payment (第三十三条)."""

    __tablename__ = "death_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reported_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    month: Mapped[date] = mapped_column(Date)  # the month reported on (first day)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(Encrypted())  # compared through id_number_hash
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    death_date: Mapped[date] = mapped_column(Date)
    # reported → forwarded (township) → matched (a beneficiary, the registries confirm the
    # death, payment suspended) or contested (a beneficiary, the registries contradict the
    # report: nothing suspended until the county confirms) → confirmed (deregistration
    # invited) / alive (payment resumed); forwarded-no-match stays
    status: Mapped[str] = mapped_column(String(12), default="reported")
    # The registries' answer at forwarding: death_recorded / alive / name_differs / not_found
    registry_result: Mapped[str | None] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    forwarded_by: Mapped[str | None] = mapped_column(String(40))
    decided_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("id_number")
    def _index(self, key, value):
        self.id_number_hash = blind_index(value)
        return value


class DeathReturn(Base):
    """A village's monthly return (月报, 第三十二条): filed when the assistant reports last
    month's deaths, or that there were none (零报告). A village without one by the 5th working
    day of the month is flagged to its township (operations.assist.flag_late_villages)."""

    __tablename__ = "death_return"
    __table_args__ = (UniqueConstraint("village_code", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    month: Mapped[date] = mapped_column(Date)  # the month reported on (first day)
    filed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
