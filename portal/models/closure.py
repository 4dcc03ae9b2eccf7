"""Deregistration under the commitment system (第三十六条至第三十九条) and transfers between
counties (第四十条至第四十五条)."""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import Encrypted, EncryptedJSON
from .base import Base, UTCDateTime, utcnow


class Commitment(Base):
    """A signed 告知承诺书 (第三十八条): the exact text and version signed, who, when, channel.
    Permanent: once written it can be neither changed nor deleted."""

    __tablename__ = "commitment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    version: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    signer: Mapped[str] = mapped_column(String(40))  # "resident:7"
    signer_name: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImmutableRecord(RuntimeError):
    pass


@event.listens_for(Commitment, "before_update")
@event.listens_for(Commitment, "before_delete")
def _refuse_change(mapper, connection, target):
    raise ImmutableRecord("a signed commitment is a permanent record")


class Settlement(Base):
    """What deregistration pays out (第三十六条): account balance (inheritable) + funeral subsidy
    − pension paid for months after death; any remainder is a debt the county pursues."""

    __tablename__ = "settlement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    insured_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    payee_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    ground: Mapped[str] = mapped_column(String(20))  # death / nationality / other_pension
    event_on: Mapped[date] = mapped_column(Date)  # date of death or of the other ground
    balance_fen: Mapped[int] = mapped_column(Integer)
    refundable_fen: Mapped[int] = mapped_column(Integer)  # of the balance, what may be paid out
    funeral_fen: Mapped[int] = mapped_column(Integer)
    overpaid_fen: Mapped[int] = mapped_column(Integer)
    payable_fen: Mapped[int] = mapped_column(Integer)
    debt_fen: Mapped[int] = mapped_column(Integer)
    # 结息 before closing: [{year, months, rate_bp, published, amount_fen}] (第三十九条)
    interest: Mapped[list | None] = mapped_column(JSON)
    bank_account: Mapped[str] = mapped_column(Encrypted())
    # Differences a re-decided pension still owed for months already paid (第二十五条):
    # + paid with the settlement, − deducted with the overpayment.
    adjustment_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # awaiting_approval → to_pay (a second person approved, 第六十二条) → paid
    status: Mapped[str] = mapped_column(String(20), default="awaiting_approval")
    # Who receives it (第三十八条): the insured themself, a legal heir, or the beneficiary
    # the insured person named (constants.PayeeRole).
    payee_role: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TransferCase(Base):
    """One transfer of a relation from an old county to a new one, stage by stage (第四十二条至
    第四十五条). Each stage has the county holding it, since when, and its deadline."""

    __tablename__ = "transfer_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    from_county: Mapped[str] = mapped_column(String(12))
    to_county: Mapped[str] = mapped_column(String(12))
    # new_county_review → old_county_settling → funds_in_transit → completed (or refused)
    stage: Mapped[str] = mapped_column(String(25))
    stage_since: Mapped[date] = mapped_column(Date)
    stage_due: Mapped[date] = mapped_column(Date)
    holder: Mapped[str] = mapped_column(String(12))  # the county that must act now
    letter: Mapped[dict | None] = mapped_column(EncryptedJSON)  # 接收函 (names an id number)
    approval_sheet: Mapped[dict | None] = mapped_column(EncryptedJSON)  # 审批表, old county
    amount_fen: Mapped[int | None] = mapped_column(Integer)
    years: Mapped[list | None] = mapped_column(JSON)
    history: Mapped[list] = mapped_column(JSON, default=list)  # [{stage, since, due, done}]


class RecordInquiry(Base):
    """核查函 (第四十四条): the county a record was transferred to asks the old county about it
    for a resident who disputes it. A county on this system answers in its own console; any
    other county receives the question through the transfer interface (the outbox) and its
    answer comes back the same way. A correction in the answer is booked on both sides when
    the new county resolves the dispute."""

    __tablename__ = "record_inquiry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("transfer_case.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    asking_county: Mapped[str] = mapped_column(String(12))  # where the record was moved to
    old_county: Mapped[str] = mapped_column(String(12), index=True)  # where it came from
    route: Mapped[str] = mapped_column(String(10))  # in_process / exchange
    question: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(40))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="asked")  # asked → answered
    answer: Mapped[str | None] = mapped_column(Text)
    # What the old county found missing (+) or too much (−) in the transferred amount, and
    # the contribution year it concerns, if any.
    correction_fen: Mapped[int | None] = mapped_column(BigInteger)
    correction_year: Mapped[int | None] = mapped_column(Integer)
    answered_by: Mapped[str | None] = mapped_column(String(40))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
