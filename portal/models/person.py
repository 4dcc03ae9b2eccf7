"""A resident known to the portal: created at first real-name sign-in (第六条) or by the agency."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("id_type", "id_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_type: Mapped[str] = mapped_column(String(24))
    id_number: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(60))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    hukou_region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login: residents and staff share one login manager, so ids carry their kind.
    is_authenticated = True
    is_active = True
    is_anonymous = False
    kind = "resident"

    def get_id(self) -> str:
        return f"resident:{self.id}"
