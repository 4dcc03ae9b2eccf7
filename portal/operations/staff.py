"""Staff sign-in: argon2 password then TOTP, with lockout after repeated failures (security.md).

Failures are counted per username in the shared attempt counters (operations.limits), before any
comparison, so parallel guesses get no extra tries, and an unknown username is answered exactly
like a real one, lockout included. Each TOTP time step is accepted once per account.
"""

import time
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update

from ..auth import totp
from ..extensions import db
from ..models import StaffUser
from . import audit, limits

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against a dummy hash for unknown names makes both cases take the same time.
    Made on first use, not at import: argon2 costs ~50 ms and 64 MB in every worker."""
    return _hasher.hash("not-a-real-password")
Locked = limits.TooMany


def _subject(username: str) -> str:
    return "staff:" + username.strip().lower()[:60]


def _fail(staff: StaffUser | None, username: str, stage: str) -> None:
    audit.record("staff_sign_in", actor=staff.get_id() if staff else f"unknown:{username[:20]}",
                 channel="counter", outcome="failure", detail={"stage": stage})
    db.session.commit()


def _count_attempt(staff: StaffUser | None, username: str) -> None:
    """Raises Locked (and audits it) when this attempt is over the limit."""
    try:
        limits.check(_subject(username), limits.STAFF)
    except limits.TooMany:
        audit.record("staff_sign_in", actor=staff.get_id() if staff else
                     f"unknown:{username[:20]}", channel="counter", outcome="denied",
                     detail={"stage": "locked"})
        db.session.commit()
        raise


def check_password(username: str, password: str) -> StaffUser | None:
    """First factor. Raises Locked while the username is locked; None on any mismatch."""
    staff = db.session.scalar(select(StaffUser).filter_by(username=username.strip()))
    _count_attempt(staff, username)
    try:
        _hasher.verify(staff.password_hash if staff else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        _fail(staff, username, "password")
        return None
    if staff is None or not staff.active:
        _fail(staff, username, "inactive")
        return None
    limits.refund(_subject(username))
    return staff


def check_second_factor(staff_id: int, code: str) -> StaffUser | None:
    staff = db.session.get(StaffUser, staff_id)
    if staff is None:
        return None
    _count_attempt(staff, staff.username)
    step = totp.matching_step(staff.totp_secret, code, time.time())
    # Accept the step only if no earlier sign-in used it (or a later one): one atomic update,
    # so two parallel requests with the same code cannot both pass.
    accepted = step is not None and db.session.execute(
        update(StaffUser).where(StaffUser.id == staff.id, or_(
            StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
        .values(totp_last_step=step)).rowcount == 1
    if not accepted:
        db.session.rollback()
        _fail(staff, staff.username, "totp" if step is None else "totp_reused")
        return None
    audit.record("staff_sign_in", actor=staff.get_id(), channel="counter", outcome="success")
    db.session.commit()
    limits.clear(_subject(staff.username))
    return staff
