"""The personal account's append-only ledger, in fen (第十六条至第二十一条).

Balances are sums; nothing is edited in place; a correction is a reversing entry with a reason.
"""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import Encrypted
from .base import Base, UTCDateTime, utcnow

KINDS = (
    "personal",  # 个人缴费
    "government_paid",  # 政府代缴 (severely disabled and other hardship groups)
    "subsidy",  # 政府缴费补贴
    "collective",  # 集体补助
    "aid",  # 其他资助
    "interest",  # 利息 (第十八条)
    "transfer_in",  # 转入
    "transfer_out",  # 转出
    "pension_paid",  # 个人账户养老金支付
    "settlement",  # 注销结算
    "reversal",  # 冲正
)
CONTRIBUTION_KINDS = ("personal", "government_paid")


class LedgerEntry(Base):
    """On PostgreSQL partitioned by `year` (operations/ledger_partitions.py): there the primary
    key is (id, year), `source_key` is unique per year, and `reverses_id` is checked by the
    code that books reversals (a partitioned table cannot be the target of a foreign key on
    `id` alone)."""

    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_reverses_id", "reverses_id",
                            postgresql_where=text("reverses_id IS NOT NULL"),
                            sqlite_where=text("reverses_id IS NOT NULL")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("personal_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # credits positive, debits negative
    # reached the treasury (第十七条); no index of its own: every query by date names the account
    booked_on: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)  # contribution or interest year
    # The document behind the money; unique, so the same tax row or interest run books once.
    source_key: Mapped[str] = mapped_column(String(80), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportBatch(Base):
    """One delivery from the tax department (第十四条), kept with its report."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # "tax"
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # received → booked / rejected / unreadable (operations.tax_import.BatchStatus)
    status: Mapped[str] = mapped_column(String(10))
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    received_by: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str | None] = mapped_column(String(40))
    # The sealed copy in TAX_BATCH_DIR until the batch is booked or refused.
    file_name: Mapped[str | None] = mapped_column(String(80))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefusedContribution(Base):
    """A tax row the scheme refused (第十一条、第十七条), kept for the county with its reason: the
    money was collected, so someone must act on it (refund or correct), never drop it."""

    __tablename__ = "refused_contribution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    tax_ref: Mapped[str] = mapped_column(String(80))
    id_number: Mapped[str | None] = mapped_column(Encrypted())  # sealed (portal/crypto.py)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    county_code: Mapped[str | None] = mapped_column(String(12), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
