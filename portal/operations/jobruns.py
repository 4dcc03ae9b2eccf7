"""Once per period, on one worker at a time: the guard around every scheduled job.

`exclusive(name, period, work)` runs `work` unless this job already ran for this period or is
running elsewhere right now. On PostgreSQL a session-level advisory lock keyed by job and period
is taken first on a connection of its own (released when the work ends, or by the server when a
worker dies); on SQLite, which has no such locks, the job_run row is the lock: it is claimed by
an INSERT (the unique name+period lets one win) or by an UPDATE … WHERE status allows it. The row
also records the outcome, so running a job twice for one period does it once.
"""

import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError

from ..constants import JobRunStatus
from ..extensions import db
from ..models import JobRun, utcnow

logger = logging.getLogger("portal.jobs")

# Without advisory locks a worker that died leaves its row "running": after this long another
# worker may take it over (no scheduled job runs nearly this long).
STALE_AFTER = timedelta(hours=6)
RETRYABLE = (JobRunStatus.FAILED, JobRunStatus.WAITING)


class NotYet(Exception):  # noqa: N818 (an outcome, not an error)
    """The job cannot do its work for this period yet (e.g. no interest rate configured): it
    is recorded as waiting and tried again on its next run."""


def lock_key(name: str, period: str) -> int:
    """A signed 64-bit advisory lock key for a job and period."""
    digest = hashlib.sha256(f"portal-job:{name}:{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _advisory_lock(name: str, period: str):
    """Yields whether this process holds the job's lock: PostgreSQL's, or True where the
    database has none (the row claim below is the lock there)."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name, period)
    with engine.connect() as connection:
        held = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                  {"key": key}).scalar()
        connection.commit()  # a session-level lock outlives the transaction; don't sit in one
        try:
            yield bool(held)
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()


def _claim(name: str, period: str, token: str, locked: bool) -> tuple[JobRun | None, str]:
    """Take the period's row for this worker: (row, "") or (None, why not)."""
    session = db.session
    now = utcnow()
    row = session.scalar(select(JobRun).filter_by(name=name, period=period)
                         .execution_options(populate_existing=True))
    if row is None:
        row = JobRun(name=name, period=period, status=JobRunStatus.RUNNING, claimed_by=token,
                     started_at=now, attempts=1)
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # another worker inserted it first
            session.rollback()
            return None, "running elsewhere"
        return row, ""
    if row.status == JobRunStatus.DONE:
        return None, "done already"
    # Holding the advisory lock, a row still "running" was left by a worker that died.
    running = JobRun.status == JobRunStatus.RUNNING
    orphaned = running if locked and db.engine.dialect.name == "postgresql" else (
        running & (JobRun.started_at < now - STALE_AFTER))
    takeover = [JobRun.status.in_(RETRYABLE), orphaned]
    claimed = session.execute(
        update(JobRun).where(JobRun.id == row.id, or_(*takeover))
        .values(status=JobRunStatus.RUNNING, claimed_by=token, started_at=now, finished_at=None,
                attempts=JobRun.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    if claimed != 1:
        return None, "running elsewhere"
    session.refresh(row)
    return row, ""


def _finish(row_id: int, token: str, status: str, detail: dict | None) -> None:
    db.session.rollback()  # whatever the work left half-done is not recorded with the outcome
    db.session.execute(
        update(JobRun).where(JobRun.id == row_id, JobRun.claimed_by == token)
        .values(status=status, finished_at=utcnow(), detail=detail)
        .execution_options(synchronize_session=False))
    db.session.commit()


def exclusive(name: str, period: str, work: Callable[[], dict | None]) -> dict:
    """Run `work` once for (name, period) across every worker. Returns {"status": "done",
    "result": …}, {"status": "waiting", "reason": …} or {"status": "skipped", "reason":
    "done already" | "running elsewhere"}. An exception from `work` is recorded (failed: tried
    again next time) and raised."""
    token = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    with _advisory_lock(name, period) as locked:
        if not locked:
            return _skipped(name, period, "running elsewhere")
        row, why_not = _claim(name, period, token, locked)
        if row is None:
            return _skipped(name, period, why_not)
        row_id = row.id
        try:
            result = work()
        except NotYet as reason:
            _finish(row_id, token, JobRunStatus.WAITING, {"reason": str(reason)})
            logger.info("job %s for %s waits: %s", name, period, reason)
            return {"status": "waiting", "reason": str(reason)}
        except Exception as error:
            _finish(row_id, token, JobRunStatus.FAILED, {"error": type(error).__name__})
            logger.exception("job %s for %s failed", name, period)
            raise
        _finish(row_id, token, JobRunStatus.DONE, result)
        logger.info("job %s for %s done: %s", name, period, result)
        return {"status": "done", "result": result}


def _skipped(name: str, period: str, reason: str) -> dict:
    logger.info("job %s for %s skipped: %s", name, period, reason)
    return {"status": "skipped", "reason": reason}


def once_a_day_when_scheduled(name: str):
    """For an operation that is also a job taking (checked_on=None, …): the beat calls it with no
    arguments, and then it runs through `exclusive` for today's date, so two workers receiving
    the same tick do the day's work once. Called with a day or other arguments (a person at the
    command line, a test) it runs as asked. Returns what the operation returns ([] when skipped)."""
    import functools

    from ..rules.dates import china_today

    def wrap(function: Callable) -> Callable:
        @functools.wraps(function)
        def run(*args, **kwargs):
            if args or kwargs:
                return function(*args, **kwargs)
            outcome = exclusive(name, china_today().isoformat(), lambda: {"ids": function()})
            return (outcome.get("result") or {}).get("ids", [])

        return run

    return wrap
