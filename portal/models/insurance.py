"""The insurance relation (参保关系) and the personal account (个人账户, 第十六条)."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class InsuranceRelation(Base):
    __tablename__ = "insurance_relation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))  # the county
    status: Mapped[str] = mapped_column(String(20))  # contributing / receiving / terminated
    started_on: Mapped[date] = mapped_column(Date)
    contribution_tier_fen: Mapped[int | None] = mapped_column(Integer)  # chosen yearly tier
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    # Receiving: paid from this month (第二十六条); suspended from a month on (第三十三条).
    benefit_from: Mapped[date | None] = mapped_column(Date)
    suspended_from: Mapped[date | None] = mapped_column(Date)
    suspension_reason: Mapped[str | None] = mapped_column(String(200))
    # Terminated (第三十七条 deregistration, 第四十三条 transfer out): when and why.
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonalAccount(Base):
    __tablename__ = "personal_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A person has one account per relation: a transfer opens a new one in the new county.
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    relation_id: Mapped[int] = mapped_column(ForeignKey("insurance_relation.id"))
    opened_on: Mapped[date] = mapped_column(Date)
    # Contribution years brought by a transfer in (第四十四条); they count like the account's own.
    carried_years: Mapped[list | None] = mapped_column(JSON)
