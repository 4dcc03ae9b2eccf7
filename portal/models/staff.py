"""Agency staff and village assistants, each scoped to a region (第三条、第四条)."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

ROLES = {
    "village_assistant": "village",  # 村协办员
    "township_clerk": "township",  # 乡镇（街道）事务所
    "county_reviewer": "county",  # 县社保机构 经办/核定
    # 县社保机构 复核 (第六十二条: never the same person as the reviewer)
    "county_checker": "county",
    "admin": "county",
}


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The last TOTP time step accepted: a code is good once (operations.staff).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    is_authenticated = True
    is_anonymous = False
    kind = "staff"

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"staff:{self.id}"
