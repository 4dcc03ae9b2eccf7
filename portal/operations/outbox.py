"""The outbox dispatcher: hands pending SMS to the gateway, each message at most once, however
many dispatchers run.

A dispatcher first claims a batch (status pending → sending, with its own token) and commits:
on PostgreSQL the candidate rows are selected `FOR UPDATE SKIP LOCKED`, so two dispatchers take
different rows without waiting; on SQLite one UPDATE picks and claims under the database's single
write lock. Either way the UPDATE's `status = 'pending'` condition lets only one claim a row.
Only then is anything sent. A message the gateway could not take goes back to pending with a
later `next_attempt_at` (exponential backoff), until the last try marks it failed. A dispatcher
that dies between claiming and recording leaves its messages in `sending`: they are counted as
stuck, never sent again blindly.
"""

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from ..constants import DeliveryStatus
from ..exchange.sms import Refused, SmsGateway, Unavailable
from ..extensions import db
from ..models import OutboxMessage, utcnow
from ..rules.schedule import retry_delay_seconds

logger = logging.getLogger("portal.outbox")

STUCK_AFTER = timedelta(minutes=10)


def _token() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim(token: str, now: datetime, limit: int, kinds: tuple[str, ...] | None = None) -> list:
    """Mark up to `limit` due SMS as being sent by `token`; returns them."""
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.channel == "sms",
                  OutboxMessage.status == DeliveryStatus.PENDING,
                  or_(OutboxMessage.next_attempt_at.is_(None),
                      OutboxMessage.next_attempt_at <= now))
           .order_by(OutboxMessage.id).limit(limit)
           .with_for_update(skip_locked=True))  # rendered on PostgreSQL, ignored by SQLite
    if kinds:
        due = due.where(OutboxMessage.kind.in_(kinds))
    claim_them = (update(OutboxMessage).where(OutboxMessage.status == DeliveryStatus.PENDING)
                  .values(status=DeliveryStatus.SENDING, claimed_by=token, claimed_at=now)
                  .execution_options(synchronize_session=False))
    if db.engine.dialect.name == "postgresql":
        # Two statements: in UPDATE … WHERE id IN (SELECT … LIMIT … SKIP LOCKED) PostgreSQL
        # may run the subquery again per row and, skipping what it just locked, claim more.
        ids = list(db.session.scalars(due))
        if ids:
            db.session.execute(claim_them.where(OutboxMessage.id.in_(ids)))
    else:
        # One statement: SQLite runs it under its single write lock, so the pick and the claim
        # are one step (two statements would let a second dispatcher pick the same rows).
        db.session.execute(claim_them.where(OutboxMessage.id.in_(due.scalar_subquery())))
    db.session.commit()
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.claimed_by == token,
                                    OutboxMessage.status == DeliveryStatus.SENDING)
        .order_by(OutboxMessage.id).execution_options(populate_existing=True)))


def _record(message_id: int, token: str, **values) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == token,
               OutboxMessage.status == DeliveryStatus.SENDING)
        .values(claimed_by=None, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()


def send_claimed(message: OutboxMessage, token: str, gateway: SmsGateway, *, now: datetime,
                 max_attempts: int, base_seconds: int, cap_seconds: int) -> str:
    """Send one claimed message; returns what became of it: sent, retry or failed."""
    attempts = message.attempts + 1
    try:
        reference = gateway.send(message_id=message.id, phone=message.recipient,
                                 text=message.body)
    except Refused as error:
        _record(message.id, token, status=DeliveryStatus.FAILED, attempts=attempts,
                last_error=str(error)[:200])
        return "failed"
    except Unavailable as error:
        if attempts >= max_attempts:
            _record(message.id, token, status=DeliveryStatus.FAILED, attempts=attempts,
                    last_error=str(error)[:200])
            return "failed"
        wait = retry_delay_seconds(attempts, base_seconds, cap_seconds)
        _record(message.id, token, status=DeliveryStatus.PENDING, attempts=attempts,
                last_error=str(error)[:200], next_attempt_at=now + timedelta(seconds=wait))
        return "retry"
    _record(message.id, token, status=DeliveryStatus.SENT, attempts=attempts, sent_at=utcnow(),
            gateway_ref=reference, last_error=None)
    return "sent"


def dispatch(gateway: SmsGateway, *, max_attempts: int = 6, base_seconds: int = 30,
             cap_seconds: int = 3600, batch: int = 100, budget_seconds: float = 50,
             now: datetime | None = None, kinds: tuple[str, ...] | None = None) -> dict:
    """Send due SMS, a batch at a time, until none is due or the time budget is spent (the next
    run carries on). `kinds` limits it to some kinds of message (tests)."""
    token = _token()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    started = time.monotonic()
    while time.monotonic() - started < budget_seconds:
        moment = now or utcnow()
        claimed = claim(token, moment, batch, kinds)
        if not claimed:
            break
        for message in claimed:
            outcome = send_claimed(message, token, gateway, now=moment,
                                   max_attempts=max_attempts, base_seconds=base_seconds,
                                   cap_seconds=cap_seconds)
            counts[outcome] += 1
        if now is not None:  # a fixed clock (tests): one pass, or retries would spin
            break
    counts["stuck"] = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(and_(
            OutboxMessage.channel == "sms", OutboxMessage.status == DeliveryStatus.SENDING,
            OutboxMessage.claimed_at < (now or utcnow()) - STUCK_AFTER)))
    if counts["stuck"]:
        logger.warning("%d SMS stuck in sending (a dispatcher stopped mid-way): check them with "
                       "the gateway before setting them back to pending", counts["stuck"])
    return counts
