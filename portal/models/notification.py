"""Notification outbox: every message to a resident (in-portal and SMS) is written here first.

A sender process (or, in the embedded default, nobody) delivers pending rows; tests read them.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from ..crypto import Encrypted, EncryptedJSON, blind_index
from .base import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(10))  # "sms", "in_app", "tax"
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "sign_in_code"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    recipient: Mapped[str | None] = mapped_column(Encrypted())  # phone number for SMS
    recipient_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # As sent (Chinese for SMS); for the tax department the registration with its id number.
    body: Mapped[str] = mapped_column(Encrypted())
    # To render in-app text in any language; for the tax department, the registration itself.
    params: Mapped[dict | None] = mapped_column(EncryptedJSON)
    # pending / sent / read; for tax: pending / exported / accepted / rejected
    status: Mapped[str] = mapped_column(String(10), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # For system channels (tax): the file it went out in, and the receiver's answer.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_batch.id"), index=True)
    receiver_note: Mapped[str | None] = mapped_column(Text)

    @validates("recipient")
    def _index(self, key, value):
        self.recipient_hash = blind_index(value)
        return value
