"""Crediting a year's interest on every account (第十八条), set-based and idempotent.

One INSERT … SELECT per batch of accounts computes each account's exact weighted sum in SQL, the
same integer formula as rules.interest, so a million accounts take seconds, not hours.
"""

from collections.abc import Callable
from datetime import date

from sqlalchemy import (
    JSON,
    BigInteger,
    String,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    insert,
    literal,
    select,
)

from ..extensions import db
from ..models import LedgerEntry, OutboxMessage, PersonalAccount, utcnow
from ..models.base import UTCDateTime
from ..rules.interest import DENOMINATOR
from . import audit, notify

BATCH_SIZE = 20_000


def _weighted_sums(year: int, low: int, high: int):
    """Per account: 12 × opening + Σ amount × (12 − month) for bookings in the year."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    month = extract("month", LedgerEntry.booked_on)
    weighted = func.sum(case(
        (LedgerEntry.booked_on < start, 12 * LedgerEntry.amount_fen),
        else_=LedgerEntry.amount_fen * (12 - month),
    ))
    return (
        select(LedgerEntry.account_id.label("account_id"),
               cast(weighted, BigInteger).label("weighted"))
        .filter(LedgerEntry.account_id.between(low, high), LedgerEntry.booked_on <= end)
        .group_by(LedgerEntry.account_id)
        .subquery()
    )


def credit_year(year: int, rate_bp: int, actor: str = "system",
                progress: Callable[[int], None] | None = None, notify: bool = True) -> dict:
    """Credit interest for `year` on every account not yet credited for it. Running it twice
    credits once. Each batch of accounts is one transaction."""
    session = db.session
    low_id, high_id = session.execute(
        select(func.min(PersonalAccount.id), func.max(PersonalAccount.id))).one()
    credited = total = 0
    if low_id is None:
        return {"year": year, "accounts": 0, "interest_fen": 0}
    now = utcnow()
    for low in range(low_id, high_id + 1, BATCH_SIZE):
        high = min(low + BATCH_SIZE - 1, high_id)
        sums = _weighted_sums(year, low, high)
        numerator = sums.c.weighted * rate_bp
        half = DENOMINATOR // 2
        # `//` is integer division in SQL on both dialects (`/` would be true division here).
        amount = case(
            (numerator >= 0, (numerator + half) // DENOMINATOR),
            else_=-((-numerator + half) // DENOMINATOR),
        )
        already = exists().where(and_(LedgerEntry.account_id == sums.c.account_id,
                                      LedgerEntry.kind == "interest", LedgerEntry.year == year))
        rows = select(
            sums.c.account_id, literal("interest"), cast(amount, BigInteger),
            literal(date(year, 12, 31)), literal(year),
            literal(f"interest:{year}:") + cast(sums.c.account_id, String),
            literal(now, UTCDateTime()),
        ).where(sums.c.weighted != 0, ~already)
        session.execute(insert(LedgerEntry).from_select(
            ["account_id", "kind", "amount_fen", "booked_on", "year", "source_key",
             "created_at"], rows))
        # Counted back from the table: drivers differ in what rowcount says for INSERT … SELECT.
        batch_count, batch_total = session.execute(
            select(func.count(LedgerEntry.id), func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
            .filter(LedgerEntry.kind == "interest", LedgerEntry.year == year,
                    LedgerEntry.account_id.between(low, high), LedgerEntry.created_at == now)
        ).one()
        if batch_count and notify:
            _notify_statement_ready(year, low, high, now)
        credited += batch_count
        total += int(batch_total)
        session.commit()
        if progress:
            progress(high - low + 1)
    audit.record("interest_credited", actor=actor, channel="system", object_type="interest_year",
                 object_id=year, detail={"rate_bp": rate_bp, "accounts": credited,
                                         "interest_fen": total})
    session.commit()
    return {"year": year, "accounts": credited, "interest_fen": total}


def _notify_statement_ready(year: int, low: int, high: int, now) -> None:
    """第十九条: tell each resident once a year that the statement is ready (SMS + messages)."""
    from ..models import Person

    credited_now = (
        select(PersonalAccount.person_id, Person.phone)
        .join(LedgerEntry, LedgerEntry.account_id == PersonalAccount.id)
        .join(Person, Person.id == PersonalAccount.person_id)
        .filter(LedgerEntry.kind == "interest", LedgerEntry.year == year,
                LedgerEntry.created_at == now, PersonalAccount.id.between(low, high))
    ).subquery()
    text, sms = notify.chinese_texts("statement_ready", {"year": year})
    common = [literal("statement_ready"), credited_now.c.person_id, literal("pending"),
              literal(now, UTCDateTime())]
    columns = ["kind", "person_id", "status", "created_at", "channel", "recipient", "body",
               "params"]
    db.session.execute(insert(OutboxMessage).from_select(columns, select(
        *common, literal("in_app"), literal(None, String), literal(text),
        literal({"year": year}, JSON()))))
    db.session.execute(insert(OutboxMessage).from_select(columns, select(
        *common, literal("sms"), credited_now.c.phone, literal(sms),
        literal(None, JSON())).where(credited_now.c.phone.is_not(None))))
