"""A resident's designated beneficiary (指定受益人, 第三十八条): who may deregister for them
after their death under the commitment system, and who receives the settlement."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from ..crypto import Encrypted, blind_index
from .base import Base, UTCDateTime, utcnow


class DesignatedBeneficiary(Base):
    """One naming of a beneficiary. A change ends the current row and adds a new one; removing
    ends it: the history is kept, never overwritten. The document number and phone are sealed
    (portal/crypto.py) and looked up through their keyed hash."""

    __tablename__ = "designated_beneficiary"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    id_type: Mapped[str] = mapped_column(String(24))
    id_number: Mapped[str] = mapped_column(Encrypted())
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    relationship: Mapped[str | None] = mapped_column(String(20))  # BeneficiaryRelationship
    phone: Mapped[str] = mapped_column(Encrypted())
    phone_hash: Mapped[str] = mapped_column(String(64))
    named_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    named_by: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(40))

    @validates("id_number", "phone")
    def _index(self, key, value):
        setattr(self, f"{key}_hash", blind_index(value))
        return value
