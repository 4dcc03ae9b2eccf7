"""Attempt counters and send quotas shared by every worker (security.md, second audit).

One row per subject ("idp_code:17", "sms:13800000002", "staff:reviewer.qingshan"): how many
attempts in the current window and when the window ends. Rows are only ever changed by one
atomic upsert (operations.limits), so parallel requests each get their own count.
"""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class AttemptCounter(Base):
    __tablename__ = "attempt_counter"

    subject: Mapped[str] = mapped_column(String(160), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    resets_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
