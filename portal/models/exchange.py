"""Files the portal hands to other agencies' interfaces, kept with their acknowledgement."""

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import Encrypted
from .base import Base, UTCDateTime, utcnow


class OutgoingBatch(Base):
    """One file for another agency to collect, e.g. registrations for the tax department
    (第十三条). Its rows are the outbox messages that point at it."""

    __tablename__ = "outgoing_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_no: Mapped[str] = mapped_column(String(30), unique=True)
    destination: Mapped[str] = mapped_column(String(20))  # "tax"
    kind: Mapped[str] = mapped_column(String(30))  # "registration"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    row_count: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Encrypted())  # the file as collected (JSON), sealed
    content_sha256: Mapped[str] = mapped_column(String(64))
    # ready → collected → acknowledged (every row accepted or rejected by the receiver)
    status: Mapped[str] = mapped_column(String(15), default="ready")
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledgement: Mapped[dict | None] = mapped_column(JSON)
