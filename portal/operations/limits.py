"""Attempt limits and send quotas keyed on the person, phone or account, never on the session
(security.md, second audit).

`hit` counts an attempt *before* the caller compares anything: one atomic upsert in its own
transaction returns this attempt's number, so 120 parallel guesses get the numbers 1…120 and only
the first `limit` are ever compared. It works the same on SQLite and PostgreSQL, and every worker
process shares it through the database.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import AttemptCounter, utcnow

# (limit, window) per kind of attempt; the subject follows the colon in the key.
IDP_CODE = (5, timedelta(minutes=15))  # SMS sign-in code guesses per person
IDENTIFY = (5, timedelta(minutes=15))  # name + document mismatches per document number
STAFF = (5, timedelta(minutes=15))  # password and TOTP failures per username
CONSENT_CODE = (5, timedelta(minutes=15))  # consent code guesses per resident
SMS_SEND = (5, timedelta(minutes=15))  # codes sent to one phone and not yet used


@dataclass(frozen=True)
class Verdict:
    attempt: int
    limit: int
    resets_at: datetime

    @property
    def allowed(self) -> bool:
        return self.attempt <= self.limit


class TooMany(Exception):
    """Over the limit: refused before any comparison; try again at `resets_at`."""

    def __init__(self, resets_at: datetime):
        super().__init__(resets_at.isoformat())
        self.resets_at = resets_at


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def hit(subject: str, limit: int, window: timedelta) -> Verdict:
    """Count one attempt for `subject` and say whether it is within the limit. A window that has
    ended starts again at 1."""
    now = utcnow()
    table = AttemptCounter.__table__
    statement = _insert()(table).values(subject=subject, attempts=1, resets_at=now + window)
    ended = table.c.resets_at <= now
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.subject],
        set_={"attempts": case((ended, 1), else_=table.c.attempts + 1),
              "resets_at": case((ended, statement.excluded.resets_at),
                                else_=table.c.resets_at)},
    ).returning(table.c.attempts, table.c.resets_at)
    # Its own connection (and pool) and commit: the count stands even when the request rolls
    # back, and never waits for the request's own pool.
    with db.counting_engine.begin() as connection:
        attempts, resets_at = connection.execute(statement).one()
    return Verdict(attempts, limit, resets_at)


def check(subject: str, rule: tuple[int, timedelta]) -> Verdict:
    """`hit`, raising TooMany when the attempt is over the limit."""
    verdict = hit(subject, *rule)
    if not verdict.allowed:
        raise TooMany(verdict.resets_at)
    return verdict


def refund(subject: str) -> None:
    """A successful attempt does not count against the person (their mistakes do)."""
    with db.counting_engine.begin() as connection:
        connection.execute(update(AttemptCounter).where(
            AttemptCounter.subject == subject, AttemptCounter.attempts > 0)
            .values(attempts=AttemptCounter.attempts - 1))


def clear(subject: str) -> None:
    with db.counting_engine.begin() as connection:
        connection.execute(delete(AttemptCounter).where(AttemptCounter.subject == subject))


def purge_ended() -> int:
    """Housekeeping: windows that ended long ago (run with purge-sessions)."""
    with db.counting_engine.begin() as connection:
        return connection.execute(delete(AttemptCounter).where(
            AttemptCounter.resets_at < utcnow() - timedelta(days=1))).rowcount
