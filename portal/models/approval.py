"""Payouts that wait for a second person (第六十二条): one record per payout, with who prepared
it and who approved it. The money itself (bank instruction, ledger entries, the transfer's
stage) moves only once the record is approved."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class PayoutApproval(Base):
    """经办 and 复核 of one payout. `kind` is a constants.PayoutKind; `subject` names what is paid
    ("settlement:12", "transfer:3", "reissue:539901:7", "correction:Q2026…"), unique per kind so
    the same payout is prepared once. Application-bound payouts (a deregistration's settlement,
    a dispute's correction) carry their application: they are approved through its lifecycle."""

    __tablename__ = "payout_approval"
    __table_args__ = (UniqueConstraint("kind", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(80))
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # What the approver approves: figures and ids only, no personal data.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="awaiting")  # awaiting / approved
    prepared_by: Mapped[str] = mapped_column(String(40))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(40))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two approvers at once: one wins, the other is told (optimistic locking).
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
