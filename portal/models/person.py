"""A resident known to the portal: created at first real-name sign-in (第六条) or by the agency."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, validates

from ..crypto import Encrypted, blind_index
from .base import Base, UTCDateTime, utcnow


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("id_type", "id_number_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_type: Mapped[str] = mapped_column(String(24))
    # Sealed at rest (portal/crypto.py). Look-ups compare the keyed hash beside it:
    # `Person.id_number == x` and `filter_by(id_number=x)` do that for you; set-based code
    # (tax rows name only the number) joins on `Person.id_number_hash` = `blind_index(number)`.
    id_number: Mapped[str] = mapped_column(Encrypted())
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(60))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(Encrypted())
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    hukou_region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    ethnicity: Mapped[str | None] = mapped_column(String(20))  # 民族
    address: Mapped[str | None] = mapped_column(String(200))  # where they live now
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login: residents and staff share one login manager, so ids carry their kind.
    is_authenticated = True
    is_active = True
    is_anonymous = False
    kind = "resident"

    def get_id(self) -> str:
        return f"resident:{self.id}"

    @validates("id_number", "phone")
    def _index(self, key, value):
        setattr(self, f"{key}_hash", blind_index(value))
        return value

    @classmethod
    def by_id_number(cls, number: str, id_type: str | None = None):
        """SELECT of the person with this document number (through its keyed hash)."""
        query = select(cls).where(cls.id_number_hash == blind_index(number))
        return query.where(cls.id_type == id_type) if id_type else query


class PersonChange(Base):
    """One change of registered information (第九条、第十条): the history is never overwritten."""

    __tablename__ = "person_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    field: Mapped[str] = mapped_column(String(20))  # name, sex, birth_date, id_number, phone, …
    old_value: Mapped[str | None] = mapped_column(Encrypted())  # may be an id number or phone
    new_value: Mapped[str | None] = mapped_column(Encrypted())
    actor: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
