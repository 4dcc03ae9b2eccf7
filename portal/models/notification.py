"""Notification outbox: every message to a resident (in-portal and SMS) is written here first.

The dispatcher job (operations/outbox.py) hands pending SMS to the gateway, each at most once.
A message usually has one row per channel; the yearly statement notice, written for every
account at once, is one row for both: an SMS row that the message centre shows too (`in_app`).
"""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false, or_, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, validates

from ..crypto import Encrypted, EncryptedJSON, blind_index
from .base import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    # The dispatcher's question: which SMS are pending?
    # Only indexes that a query reads: crediting writes a row per account (migration lead_0001).
    __table_args__ = (Index("ix_outbox_message_channel_status", "channel", "status"),
                      Index("ix_outbox_message_batch_id", "batch_id",
                            postgresql_where=text("batch_id IS NOT NULL"),
                            sqlite_where=text("batch_id IS NOT NULL")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(10))  # "sms", "in_app", "tax"
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "sign_in_code"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    recipient: Mapped[str | None] = mapped_column(Encrypted())  # phone number for SMS
    recipient_hash: Mapped[str | None] = mapped_column(String(64))
    # As sent (Chinese for SMS); for the tax department the registration with its id number.
    body: Mapped[str] = mapped_column(Encrypted())
    # To render in-app text in any language; for the tax department, the registration itself.
    params: Mapped[dict | None] = mapped_column(EncryptedJSON)
    # in_app: pending / read; sms: pending → sending (claimed by one dispatcher) → sent, or
    # failed after the last try; tax: pending / exported / accepted / rejected
    status: Mapped[str] = mapped_column(String(10), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SMS delivery: tries so far, when the next may start (exponential backoff), which
    # dispatcher holds it, the gateway's last refusal and its reference for the message.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    gateway_ref: Mapped[str | None] = mapped_column(String(80))
    # For system channels (tax): the file it went out in, and the receiver's answer.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_batch.id"))
    receiver_note: Mapped[str | None] = mapped_column(Text)
    # An SMS the resident's message centre shows as well (rendered from `params` in the
    # reader's language): the yearly statement notice is one row per account, not two, so that
    # crediting a million accounts writes a million outbox rows (issue 19). Its `status` is
    # the SMS's; the dispatcher sends it like any other SMS.
    in_app: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @hybrid_property
    def in_message_centre(self) -> bool:
        """Shown in the resident's message centre: an in-app row, or an SMS marked `in_app`."""
        return self.channel == "in_app" or bool(self.in_app)

    @in_message_centre.inplace.expression
    @classmethod
    def _in_message_centre(cls):
        return or_(cls.channel == "in_app", cls.in_app.is_(True))

    @validates("recipient")
    def _index(self, key, value):
        self.recipient_hash = blind_index(value)
        return value
