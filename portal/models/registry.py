"""Embedded stand-ins for other agencies' registries (数据比对, 第六条), loaded from demo data.

In production these are other agencies' systems reached through portal/exchange adapters; the tables
here exist only for the embedded implementations and are never written by portal operations.
"""

from datetime import date

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class RegistryPerson(Base):
    """Population and household register (公安: identity, hukou, alive)."""

    __tablename__ = "registry_person"
    __table_args__ = (UniqueConstraint("id_type", "id_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_type: Mapped[str] = mapped_column(String(24))
    id_number: Mapped[str] = mapped_column(String(24))
    nationality: Mapped[str] = mapped_column(String(3), default="CHN")
    name: Mapped[str] = mapped_column(String(60))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))  # the phone registered to the real name
    hukou_region_code: Mapped[str | None] = mapped_column(String(12))
    address: Mapped[str | None] = mapped_column(String(200))
    alive: Mapped[bool] = mapped_column(Boolean, default=True)
    death_date: Mapped[date | None] = mapped_column(Date)


class RegistryEnrolment(Base):
    """National enrolment registry (全民参保库): basic pension relations anywhere in the country."""

    __tablename__ = "registry_enrolment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(24), index=True)
    scheme: Mapped[str] = mapped_column(String(20))  # "resident" (城乡居民) or "employee" (职工)
    region_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20))  # "contributing", "receiving", "terminated"
    since: Mapped[date | None] = mapped_column(Date)


class RegistryDisability(Base):
    """Disability registry (残联)."""

    __tablename__ = "registry_disability"

    id_number: Mapped[str] = mapped_column(String(24), primary_key=True)
    grade: Mapped[int] = mapped_column(Integer)  # 1 and 2 are severe (重度)


class RegistryDeath(Base):
    """Death records from civil affairs (funeral) and health (medical death certificates)."""

    __tablename__ = "registry_death"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(24), index=True)
    death_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))  # "civil_affairs" or "health"
    # When the agency registered it: a comparison on an earlier day cannot have seen it.
    recorded_on: Mapped[date | None] = mapped_column(Date)


class RegistryCustody(Base):
    """Prison records (司法行政): people serving a sentence (第三十条). A suspended sentence
    (缓刑) keeps the pension, so it is recorded but suspends nothing."""

    __tablename__ = "registry_custody"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(24), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    released_on: Mapped[date | None] = mapped_column(Date)
    suspended_sentence: Mapped[bool] = mapped_column(Boolean, default=False)


class RegistryRelative(Base):
    """Household relations (户籍亲属关系) used to recognise heirs and beneficiaries."""

    __tablename__ = "registry_relative"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(24), index=True)
    relative_id_number: Mapped[str] = mapped_column(String(24))
    relation: Mapped[str] = mapped_column(String(20))  # "child", "spouse", "parent"


class RegistryActivity(Base):
    """Traces of life other agencies record (静默认证, 人社厅发〔2018〕107号): a visit paid
    through medical insurance (医保结算), a civil-affairs record (a subsidy collected in person,
    a marriage or household registration)."""

    __tablename__ = "registry_activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(24), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "medical" or "civil"
    occurred_on: Mapped[date] = mapped_column(Date)
    region_code: Mapped[str | None] = mapped_column(String(12))  # where it happened
