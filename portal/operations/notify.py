"""Messages to people go through the outbox (SMS and the in-portal message centre)."""

from ..extensions import db
from ..models import OutboxMessage


def queue_sms(*, phone: str, body: str, kind: str, person_id: int | None = None) -> OutboxMessage:
    message = OutboxMessage(
        channel="sms", kind=kind, recipient=phone, body=body, person_id=person_id
    )
    db.session.add(message)
    db.session.flush()
    return message
