"""Administrative regions: province → city → county → township → village
(统计用区划代码, 12 digits)."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

LEVELS = ("province", "city", "county", "township", "village")
PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


class Region(Base):
    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)

    def contains(self, other_code: str) -> bool:
        """Whether a region code lies inside this region (codes are hierarchical prefixes)."""
        length = PREFIX_LENGTH[self.level]
        return other_code[:length] == self.code[:length]
