"""Staff sign-in: argon2 password then TOTP, with lockout after repeated failures (security.md)."""

import time
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from ..auth import totp
from ..extensions import db
from ..models import StaffUser, utcnow
from . import audit

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()
# Verifying against a dummy hash for unknown names makes both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class Locked(Exception):
    pass


def _locked(staff: StaffUser) -> bool:
    return staff.locked_until is not None and staff.locked_until > utcnow()


def _fail(staff: StaffUser | None, username: str, stage: str) -> None:
    if staff is not None:
        staff.failed_attempts += 1
        if staff.failed_attempts >= MAX_FAILURES:
            staff.locked_until = utcnow() + LOCKOUT
            staff.failed_attempts = 0
    audit.record("staff_sign_in", actor=staff.get_id() if staff else f"unknown:{username[:20]}",
                 channel="counter", outcome="failure", detail={"stage": stage})
    db.session.commit()


def check_password(username: str, password: str) -> StaffUser | None:
    """First factor. Raises Locked while the account is locked; None on any mismatch."""
    staff = db.session.scalar(select(StaffUser).filter_by(username=username.strip()))
    if staff is not None and _locked(staff):
        audit.record("staff_sign_in", actor=staff.get_id(), channel="counter",
                     outcome="denied", detail={"stage": "locked"})
        db.session.commit()
        raise Locked()
    try:
        _hasher.verify(staff.password_hash if staff else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        _fail(staff, username, "password")
        return None
    if staff is None or not staff.active:
        _fail(staff, username, "inactive")
        return None
    return staff


def check_second_factor(staff_id: int, code: str) -> StaffUser | None:
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or _locked(staff):
        raise Locked()
    if not totp.verify(staff.totp_secret, code, time.time()):
        _fail(staff, staff.username, "totp")
        return None
    staff.failed_attempts = 0
    audit.record("staff_sign_in", actor=staff.get_id(), channel="counter", outcome="success")
    db.session.commit()
    return staff
