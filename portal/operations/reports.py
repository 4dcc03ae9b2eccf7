"""Reports of suspected fraud (举报, 第六十六条).

Anyone may report, signed in or not, anonymously if they wish. The reporter gets a reference and a
check code; the pair shows the outcome of that report and nothing else. Reports go to the
county's supervision queue (admin role), never to a staff member the report names.
"""

import hashlib
import hmac
import secrets

from sqlalchemy import select

from ..extensions import db
from ..models import FraudReport, StaffUser, utcnow
from . import audit

SUBJECTS = ("pension_after_death", "false_documents", "staff_misconduct", "other")


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _named_staff(county_code: str, name: str | None) -> int | None:
    """The staff member a report names, matched in the county, so they never see it."""
    if not name:
        return None
    staff = db.session.scalars(select(StaffUser).filter(StaffUser.name == name.strip())).all()
    same_county = [s for s in staff if (s.region_code or "")[:6] == county_code[:6]]
    return same_county[0].id if same_county else None


def file_report(*, county_code: str, subject: str, details: str, about_name: str | None,
                staff_named: str | None, reporter: str | None, contact_phone: str | None,
                channel: str = "online") -> tuple[FraudReport, str]:
    """Returns the report and its check code (shown once, kept only as a hash)."""
    code = f"{secrets.randbelow(10**8):08d}"
    report = FraudReport(
        reference="JB" + secrets.token_hex(5).upper(), check_code_hash=_hash(code),
        county_code=county_code, subject=subject, details=details.strip(),
        about_name=(about_name or "").strip() or None,
        staff_named=(staff_named or "").strip() or None,
        excluded_staff_id=_named_staff(county_code, staff_named),
        reporter=reporter, contact_phone=contact_phone or None)
    db.session.add(report)
    db.session.flush()
    # The audit trail records that a report arrived, not who sent it.
    audit.record("fraud_report_filed", actor="reporter", channel=channel,
                 object_type="fraud_report", object_id=report.reference,
                 detail={"subject": subject, "anonymous": reporter is None})
    db.session.commit()
    return report, code


def find_for_reporter(reference: str, code: str) -> FraudReport | None:
    report = db.session.scalar(select(FraudReport).filter_by(
        # Shown in groups of four: typed back with or without the spaces (or hyphens).
        reference="".join((reference or "").replace("-", " ").split()).upper()))
    if report is None or not hmac.compare_digest(report.check_code_hash,
                                                 _hash((code or "").strip())):
        return None
    return report


def visible_to(staff: StaffUser):
    """The supervision queue of the staff member's county, without reports naming them."""
    return (select(FraudReport)
            .filter(FraudReport.county_code.startswith(staff.region_code[:6]))
            .filter((FraudReport.excluded_staff_id.is_(None))
                    | (FraudReport.excluded_staff_id != staff.id)))


def close(report: FraudReport, outcome: str, staff: StaffUser) -> None:
    report.status, report.outcome = "closed", outcome.strip()
    report.closed_by, report.closed_at = staff.get_id(), utcnow()
    audit.record("fraud_report_closed", actor=staff.get_id(), channel="counter",
                 object_type="fraud_report", object_id=report.reference)
    db.session.commit()
