"""Benefits (第二十二条至第三十三条): the notice at 60, the decision (核定表) with its separate
check, monthly payments through the bank, and the yearly eligibility confirmation."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import Encrypted
from .base import Base, UTCDateTime, utcnow


class PensionNotice(Base):
    """《待遇领取告知书》 (第二十二条): generated once per resident before pension age."""

    __tablename__ = "pension_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    generated_on: Mapped[date] = mapped_column(Date)
    eligible_on: Mapped[date] = mapped_column(Date)
    years_paid: Mapped[int] = mapped_column(Integer)
    years_required: Mapped[int] = mapped_column(Integer)
    balance_fen: Mapped[int] = mapped_column(Integer)
    basic_fen: Mapped[int] = mapped_column(Integer)
    account_fen: Mapped[int] = mapped_column(Integer)
    comparison: Mapped[dict] = mapped_column(JSON, default=dict)


class BenefitDecision(Base):
    """The 核定表 of one claim: prepared by a reviewer, checked by a different person
    (第二十四条、第六十二条), confirmed by the resident (第二十五条)."""

    __tablename__ = "benefit_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    eligible_on: Mapped[date] = mapped_column(Date)
    first_month: Mapped[date] = mapped_column(Date)  # first day of the first paid month
    balance_fen: Mapped[int] = mapped_column(Integer)
    basic_fen: Mapped[int] = mapped_column(Integer)
    account_fen: Mapped[int] = mapped_column(Integer)
    years_paid: Mapped[int] = mapped_column(Integer)
    bank_account: Mapped[str] = mapped_column(Encrypted())  # social security card bank account
    prepared_by: Mapped[str] = mapped_column(String(40))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_by: Mapped[str | None] = mapped_column(String(40))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # prepared → checked → confirmed (or disputed by the resident, 第二十五条); a confirmed
    # decision becomes superseded when the resident confirms its re-determination.
    status: Mapped[str] = mapped_column(String(12), default="prepared")
    # A re-determination (重新核定, 第二十五条) names the decision it replaces; its
    # application is then the dispute that found the first one wrong.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("benefit_decision.id"))

    @property
    def monthly_fen(self) -> int:
        return self.basic_fen + self.account_fen


class PaymentRun(Base):
    """One month's payment list, approval totals (待遇支付审批表) and bank file (第二十七条)."""

    __tablename__ = "payment_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(40))
    payments: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    basic_fen: Mapped[int] = mapped_column(Integer)
    account_fen: Mapped[int] = mapped_column(Integer)
    bank_file: Mapped[str] = mapped_column(Encrypted())  # id numbers and accounts: sealed


class BenefitPayment(Base):
    """One month's pension for one person; a failed payment is re-issued once as attempt 2."""

    __tablename__ = "benefit_payment"
    __table_args__ = (UniqueConstraint("person_id", "month", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_run.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # the month this pays for
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    basic_fen: Mapped[int] = mapped_column(Integer)
    account_fen: Mapped[int] = mapped_column(Integer)
    bank_account: Mapped[str] = mapped_column(Encrypted())
    # sent → paid / failed; failed → to_reissue (prepared, 第六十二条) → reissued (attempt 2
    # carries on, pointing at the approval that released it)
    status: Mapped[str] = mapped_column(String(12), default="sent")
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("payout_approval.id"))
    bank_note: Mapped[str | None] = mapped_column(String(200))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Differences for earlier months carried with this payment (补（扣）发, 第二十五条): the
    # BenefitAdjustment rows that point here, summed.
    adjustment_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def total_fen(self) -> int:
        """The pension for the month this pays for."""
        return self.basic_fen + self.account_fen

    @property
    def amount_fen(self) -> int:
        """What the bank pays: the month's pension with any difference for earlier months."""
        return self.total_fen + (self.adjustment_fen or 0)


class BenefitAdjustment(Base):
    """补（扣）发 (第二十五条): after a re-determination the resident confirmed, the difference
    for one month already paid. The next payment run pays it (or deducts it) with that month's
    pension and points it at that payment; the resident's pension page lists each one."""

    __tablename__ = "benefit_adjustment"
    __table_args__ = (UniqueConstraint("decision_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("benefit_decision.id"))
    month: Mapped[date] = mapped_column(Date)  # the month corrected
    paid_basic_fen: Mapped[int] = mapped_column(Integer)
    paid_account_fen: Mapped[int] = mapped_column(Integer)
    due_basic_fen: Mapped[int] = mapped_column(Integer)
    due_account_fen: Mapped[int] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("benefit_payment.id"), index=True)
    # Or settled with the deregistration when the pension stopped before a payment carried it.
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlement.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def basic_fen(self) -> int:
        return self.due_basic_fen - self.paid_basic_fen

    @property
    def account_fen(self) -> int:
        return self.due_account_fen - self.paid_account_fen

    @property
    def total_fen(self) -> int:
        return self.basic_fen + self.account_fen


class EligibilityCheck(Base):
    """待遇领取资格认证 (第三十一条): how and when a beneficiary was last confirmed alive and
    entitled."""

    __tablename__ = "eligibility_check"
    # One way once a day: a double tap or two tabs record one confirmation.
    __table_args__ = (UniqueConstraint("person_id", "confirmed_on", "method"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    confirmed_on: Mapped[date] = mapped_column(Date)
    # data_comparison (静默认证) / face (their own) / family (亲情认证) / home_visit
    method: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(40))  # who or what confirmed it
    channel: Mapped[str | None] = mapped_column(String(12))  # online / kiosk / assisted / system
    # 亲情认证: the relative whose phone did the elder's face check.
    helper_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # A home visit: the village assistant who went.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # What it rests on: the registries' findings, the face check, the photo and signature.
    evidence: Mapped[dict | None] = mapped_column(JSON)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)


class FamilyHelper(Base):
    """亲情认证: a relative the household register links to an elder, registered with the
    elder's consent to do the elder's yearly face check on the relative's own phone."""

    __tablename__ = "family_helper"
    __table_args__ = (UniqueConstraint("elder_person_id", "helper_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    elder_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    helper_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20))  # as the household register says
    # How the elder agreed: their own face check on the helper's phone, after reading the
    # consent aloud to them.
    consent_method: Mapped[str] = mapped_column(String(12))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BenefitSuspension(Base):
    """One suspension of a pension (第三十三条; imprisonment, 第三十条): from which month, why,
    who or what found it, and how it ended. Months of a suspension closed without back pay
    (serving a sentence, 劳社厅函〔2001〕44号) are never paid; the others are paid back on
    resumption."""

    __tablename__ = "benefit_suspension"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))  # death_recorded / imprisonment / a report
    note: Mapped[str | None] = mapped_column(String(200))
    from_month: Mapped[date] = mapped_column(Date)  # first unpaid month
    until_month: Mapped[date | None] = mapped_column(Date)  # last unpaid month, once resumed
    back_pay: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(20))  # data_comparison / report / counter
    opened_by: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
