"""Applications (办件) of every kind, their timeline, and residents' half-filled drafts."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import lifecycle
from ..constants import ApplicationStatus
from ..crypto import EncryptedJSON
from .base import Base, UTCDateTime, utcnow

# Every status an application is stored in (constants.ApplicationStatus, less the one that is
# only shown).
STATUSES = tuple(s for s in ApplicationStatus if s != ApplicationStatus.AWAITING_PAYMENT)
# completed: a change that needs no review took effect at once (第九条);
# corrected / explained: the outcomes of a dispute (第二十条); answered: a question (第六十五条);
# in_hand: a question a staff member opened and now owns (首问负责制);
# frozen: filed by an assistant and objected to by the resident; nobody acts on it until the
# township has looked into it;
# prepared: a claim's benefit computed (核定), waiting for a different person's check (复核);
# awaiting_resident: a dispute's re-determined pension checked, waiting for the resident
# to confirm it (第二十五条);
# asked / old_county_answered: a dispute about a transferred record, waiting for the old
# county, then for the new county to close it with the answer (第四十四条).
OPEN_STATUSES = lifecycle.OPEN


class Application(Base):
    __tablename__ = "application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # 受理编号
    kind: Mapped[str] = mapped_column(String(30))  # the flow's name, e.g. "enrolment"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # The insured person it concerns when someone else applies (an heir deregistering, 第三十八条).
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)  # the county
    # The township office that checks first (初审, 第四条) where the county asks for it.
    township_code: Mapped[str | None] = mapped_column(String(12), index=True)
    township_check: Mapped[bool] = mapped_column(default=False)
    filed_by: Mapped[str] = mapped_column(String(40))  # "resident:3", "staff:1"
    filed_by_kind: Mapped[str] = mapped_column(String(20))  # resident / assistant / staff
    channel: Mapped[str] = mapped_column(String(10))  # online / kiosk / assisted / counter
    # One submission per draft: a double tap or a resubmitted page finds the same application.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    deadline_uncertain: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.SUBMITTED,
                                        index=True)
    answers: Mapped[dict] = mapped_column(EncryptedJSON, default=dict)  # sealed at rest
    comparison: Mapped[dict] = mapped_column(JSON, default=dict)  # 数据比对 results at submission
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # First-contact responsibility (首问负责制): the staff member who opened it owns it.
    owner: Mapped[str | None] = mapped_column(String(40))
    # Filed by a village assistant under this consent (channel "assisted").
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list["ApplicationEvent"]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ApplicationEvent(Base):
    """One step on an application's timeline, shown to the resident in plain words."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))  # submitted, township_checked, approved, ...
    actor: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship(back_populates="events")


class Draft(Base):
    """A flow left half-way, kept on the server so it resumes on any device."""

    __tablename__ = "draft"
    __table_args__ = (UniqueConstraint("person_id", "flow"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    flow: Mapped[str] = mapped_column(String(30))
    answers: Mapped[dict] = mapped_column(EncryptedJSON, default=dict)
    step: Mapped[str | None] = mapped_column(String(30))  # where the resident stopped
    submission_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
