"""Issued statements (对账单, 第十九条): what the public verification page may show, and the
statement's QR code, drawn once when the statement is first issued and kept here."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class IssuedStatement(Base):
    __tablename__ = "issued_statement"
    __table_args__ = (Index("ix_issued_statement_account_period", "account_id", "period"),)

    # The short verification token is this id and a MAC of it (documents/verification.py).
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("personal_account.id"))
    period: Mapped[str] = mapped_column(String(4))  # a year, or "all"
    masked_name: Mapped[str] = mapped_column(String(40))  # 张*兰: all the check page shows
    closing_fen: Mapped[int] = mapped_column(BigInteger)
    issued_on: Mapped[date] = mapped_column(Date)  # China date; verifiable for N days from it
    # The QR code as inline SVG, and the address it encodes (redrawn if EXTERNAL_URL changes).
    qr_url: Mapped[str | None] = mapped_column(String(200))
    qr_svg: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
