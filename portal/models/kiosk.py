"""Self-service terminals in township halls (kiosk/): registered public keys, the nonces they
used (no replay), and the one-tap rating after each visit (好差评)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class KioskTerminal(Base):
    """A terminal the county registered; the portal keeps only its public key (Ed25519)."""

    __tablename__ = "kiosk_terminal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))  # e.g. "石桥乡便民服务中心 1号机"
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    public_key: Mapped[str] = mapped_column(Text)  # raw 32-byte key, base64
    status: Mapped[str] = mapped_column(String(10), default="active")  # active / revoked
    registered_by: Mapped[str] = mapped_column(String(40))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KioskNonce(Base):
    """Every assertion's nonce, once: a replayed assertion finds its nonce already here."""

    __tablename__ = "kiosk_nonce"
    __table_args__ = (UniqueConstraint("device_id", "nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(40))
    nonce: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class KioskRating(Base):
    """好差评: five levels, one per visit, optional."""

    __tablename__ = "kiosk_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit: Mapped[str] = mapped_column(String(40), unique=True)  # one rating per visit
    device_id: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(20))  # the application, if any
    rating: Mapped[int] = mapped_column(Integer)  # 5 非常满意 … 1 非常不满意
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
