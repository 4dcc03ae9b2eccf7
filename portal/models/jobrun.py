"""A scheduled job's run for one period (the month of a payment run, the day of a comparison):
done once, whatever the number of workers; also the lock row where the database has no advisory
locks (SQLite)."""

from datetime import datetime

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class JobRun(Base):
    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("name", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))  # the job, e.g. benefits.run_month
    period: Mapped[str] = mapped_column(String(20))  # 2026-11, 2026-11-25, 2025
    # running → done; failed and waiting (e.g. no interest rate yet) are tried again next time
    status: Mapped[str] = mapped_column(String(10))
    claimed_by: Mapped[str] = mapped_column(String(80))  # host:pid:nonce of the worker
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    detail: Mapped[dict | None] = mapped_column(JSON)  # the job's summary, or why it waits
