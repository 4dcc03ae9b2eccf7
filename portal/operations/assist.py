"""Village assistants (村协办员, 第四条、第六条、第三十二条): consent per task, filing on a
resident's behalf, objections, and the monthly death reports that suspend payment (第三十三条).

An assistant sees a resident's data only for a task the resident consented to, only in their own
village, and only until the consent expires or the resident objects.
"""

import hashlib
import hmac
import secrets
from datetime import date, timedelta

from sqlalchemy import select

from .. import queries
from ..constants import ApplicationStatus, EventKind
from ..exchange.registries import compare_person
from ..extensions import db
from ..jobs import job
from ..models import (
    Application,
    Consent,
    DeathReport,
    DeathReturn,
    OutboxMessage,
    Person,
    Region,
    RegistryPerson,
    StaffUser,
    utcnow,
)
from ..rules import csvfiles, ids
from ..rules.benefits import first_payment_month
from ..rules.dates import china_today, last_month
from . import audit, benefits, limits, notify
from .applications import record_event
from .jobruns import once_a_day_when_scheduled

CONSENT_DAYS = 30
REASONS = ("limited_mobility", "illness", "age", "other")
METHODS = ("sms", "signature", "paper")
# An objection puts on hold what is still waiting for the township or county; a claim already
# computed (核定) is left to the second check, which sees the objection.
FREEZABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.TOWNSHIP_CHECKED,
             ApplicationStatus.IN_HAND)


class NoPhone(ValueError):
    """SMS consent needs a phone registered to the resident's real name."""


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _area_prefix(staff: StaffUser) -> str:
    from ..models.region import PREFIX_LENGTH

    region = db.session.get(Region, staff.region_code)
    return staff.region_code[:PREFIX_LENGTH[region.level]]


def in_area(staff: StaffUser, region_code: str | None) -> bool:
    return bool(region_code) and region_code.startswith(_area_prefix(staff))


def residents_of(staff: StaffUser) -> list[tuple[RegistryPerson, Person | None]]:
    """People registered (户籍) in the assistant's village, with their portal record if any."""
    rows = db.session.scalars(select(RegistryPerson).filter(
        RegistryPerson.hukou_region_code.startswith(_area_prefix(staff)))
        .order_by(RegistryPerson.name)).all()
    people = {p.id_number: p for p in db.session.scalars(select(Person).filter(
        Person.id_number.in_([r.id_number for r in rows])))} if rows else {}
    return [(row, people.get(row.id_number)) for row in rows]


def registry_row(staff: StaffUser, registry_id: int) -> RegistryPerson:
    row = db.session.get(RegistryPerson, registry_id)
    if row is None or not in_area(staff, row.hukou_region_code):
        raise LookupError("not a resident of this assistant's village")
    return row


def ensure_person(row: RegistryPerson) -> Person:
    """The resident's portal record, created from the household register when new."""
    person = db.session.scalar(Person.by_id_number(row.id_number, row.id_type))
    if person is None:
        check = ids.validate(row.id_type, row.id_number)
        person = Person(id_type=row.id_type, id_number=row.id_number, name=row.name,
                        sex=row.sex, birth_date=row.birth_date or check.birth_date,
                        phone=row.phone, hukou_region_code=row.hukou_region_code)
        db.session.add(person)
        db.session.flush()
    return person


def store_evidence(staff: StaffUser, row: RegistryPerson, method: str, data: bytes) -> int:
    """The signature or the photo of the signed paper, kept as the consent's evidence. A file
    refused (uploads.UploadRejected) leaves nothing behind, the resident's record included."""
    from . import uploads

    person = ensure_person(row)
    try:
        return uploads.store(person.id, f"consent_{method}", data, actor=staff.get_id()).id
    except uploads.UploadRejected:
        db.session.rollback()
        raise


def start_consent(staff: StaffUser, row: RegistryPerson, flow: str, method: str, reason: str,
                  evidence_upload_id: int | None, today: date) -> tuple[Consent, str | None]:
    """Record consent for one task. SMS: a code goes to the resident's registered phone and
    the consent waits for it; signature or signed paper: active at once with its image kept."""
    if method not in METHODS or reason not in REASONS:
        raise ValueError("unknown method or reason")
    if method == "sms" and not row.phone:
        raise NoPhone()
    if method == "sms":
        limits.check(f"sms:{row.phone}", limits.SMS_SEND)  # the resident's phone, any sender
    person = ensure_person(row)
    code = f"{secrets.randbelow(10**6):06d}" if method == "sms" else None
    consent = Consent(staff_id=staff.id, person_id=person.id, flow=flow, method=method,
                      reason=reason, evidence_upload_id=evidence_upload_id,
                      sms_code_hash=_hash(code) if code else None,
                      status="pending" if code else "active",
                      confirmed_at=None if code else utcnow(),
                      expires_on=today + timedelta(days=CONSENT_DAYS))
    db.session.add(consent)
    db.session.flush()
    if code:
        notify.queue_sms(phone=row.phone, kind="consent_code", person_id=person.id,
                         body=notify.chinese_texts("consent_code", {
                             "name": staff.name, "code": code})[1])
    audit.record("consent_started", actor=staff.get_id(), channel="assisted",
                 on_behalf_of=person.get_id(), object_type="consent", object_id=consent.id,
                 detail={"flow": flow, "method": method, "reason": reason})
    db.session.commit()
    return consent, code


def confirm_sms(consent: Consent, code: str) -> bool:
    """Raises limits.TooMany past the guesses allowed per resident (counted before the
    comparison, so parallel guesses get no extra tries)."""
    if consent.status != "pending" or not consent.sms_code_hash:
        return False
    limits.check(f"consent_code:{consent.person_id}", limits.CONSENT_CODE)
    if not hmac.compare_digest(_hash((code or "").strip()), consent.sms_code_hash):
        audit.record("consent_code_wrong", actor=f"staff:{consent.staff_id}",
                     channel="assisted", outcome="failure", object_type="consent",
                     object_id=consent.id)
        db.session.commit()
        return False
    consent.status, consent.confirmed_at, consent.sms_code_hash = "active", utcnow(), None
    audit.record("consent_confirmed", actor=f"staff:{consent.staff_id}", channel="assisted",
                 on_behalf_of=f"resident:{consent.person_id}", object_type="consent",
                 object_id=consent.id, detail={"method": "sms"})
    db.session.commit()
    limits.clear(f"consent_code:{consent.person_id}")
    return True


def valid_consent(consent_id: int, staff: StaffUser, today: date) -> Consent | None:
    """The consent, if this assistant may act under it now; None tells nothing more."""
    consent = db.session.get(Consent, consent_id)
    if (consent is None or consent.staff_id != staff.id or consent.status != "active"
            or consent.expires_on < today):
        return None
    person = db.session.get(Person, consent.person_id)
    row = db.session.scalar(select(RegistryPerson).filter_by(id_number=person.id_number))
    if row is None or not in_area(staff, row.hukou_region_code):
        return None
    return consent


def consents_of(person_id: int) -> list[Consent]:
    return db.session.scalars(select(Consent).filter_by(person_id=person_id)
                              .order_by(Consent.id.desc())).all()


def notify_filing(application: Application, staff: StaffUser, consent: Consent) -> None:
    """Every proxy filing reaches the resident (SMS + messages) with a way to object."""
    notify.tell(db.session.get(Person, application.person_id), "proxy_filed",
                {"name": staff.name, "reference": application.reference})


def object_to(consent: Consent, person: Person, reason: str | None) -> list[Application]:
    """The resident objects: the consent is frozen, so is what was filed under it, and the
    township office is alerted to look into it."""
    if consent.person_id != person.id:
        raise LookupError("not this resident's consent")
    consent.status, consent.objected_at = "objected", utcnow()
    consent.objection = (reason or "").strip()[:500] or None
    frozen = db.session.scalars(select(Application).filter(
        Application.consent_id == consent.id,
        Application.status.in_(FREEZABLE))).all()
    for application in frozen:
        application.status = ApplicationStatus.FROZEN
        record_event(application, EventKind.FROZEN, person.get_id(), note=consent.objection)
    staff = db.session.get(StaffUser, consent.staff_id)
    township = staff.region_code[:9] + "000"
    db.session.add(OutboxMessage(
        channel="staff", kind="proxy_objection", recipient=township, person_id=person.id,
        params={"consent_id": consent.id, "assistant": staff.name,
                "applications": [a.reference for a in frozen]},
        body=f"objection to assistant {staff.username} (consent {consent.id})"))
    audit.record("consent_objected", actor=person.get_id(), channel="online",
                 object_type="consent", object_id=consent.id,
                 detail={"assistant": staff.get_id(),
                         "frozen": [a.reference for a in frozen]})
    db.session.commit()
    return frozen


def objections_for(township_code: str) -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).filter_by(
        channel="staff", kind="proxy_objection", recipient=township_code)
        .order_by(OutboxMessage.id.desc())).all()


# Monthly death reports (第三十二条、第三十三条) ----------------------------------------------

class BadReport(ValueError):
    pass


def _clean_report(staff: StaffUser, name: str, id_number: str, death_date: str) -> dict:
    check = ids.validate(ids.RESIDENT_ID, id_number or "")
    if not check.ok:
        raise BadReport("id_number")
    try:
        died = date.fromisoformat((death_date or "").strip())
    except ValueError:
        raise BadReport("death_date") from None
    name = " ".join((name or "").split())
    if not name or len(name) > 60:
        raise BadReport("name")
    # 第三十二条: the assistant reports deaths in their own village, nobody else's.
    row = db.session.scalar(select(RegistryPerson).filter_by(id_type=ids.RESIDENT_ID,
                                                             id_number=check.number))
    if row is None or not in_area(staff, row.hukou_region_code):
        raise BadReport("not_in_village")
    return {"name": name, "id_number": check.number, "death_date": died}


def report_deaths(staff: StaffUser, rows: list[dict], month: date, today: date) -> list:
    """One or many reports; all or nothing."""
    cleaned = []
    for number, row in enumerate(rows, start=1):
        try:
            item = _clean_report(staff, row.get("name"), row.get("id_number"),
                                 row.get("death_date"))
        except BadReport as error:
            raise BadReport(f"{number}:{error}") from None
        if item["death_date"] > today:
            raise BadReport(f"{number}:death_date")
        cleaned.append(item)
    reports = [DeathReport(reported_by=staff.id, village_code=staff.region_code, month=month,
                           **item) for item in cleaned]
    db.session.add_all(reports)
    _file_return(staff, month, len(reports))
    audit.record("deaths_reported", actor=staff.get_id(), channel="assisted",
                 object_type="death_report", detail={"count": len(reports),
                                                     "month": month.isoformat()})
    db.session.commit()
    return reports


def _file_return(staff: StaffUser, month: date, deaths: int) -> DeathReturn:
    """The village's return for the month: the first report files it, later ones add to it."""
    filed = queries.death_return(staff.region_code, month)
    if filed is None:
        filed = DeathReturn(village_code=staff.region_code, month=month, filed_by=staff.id,
                            deaths=0)
        db.session.add(filed)
    filed.deaths += deaths
    return filed


def report_no_deaths(staff: StaffUser, month: date) -> DeathReturn:
    """零报告: nobody died in the village last month; the return is filed all the same, so the
    township knows the village did not forget (第三十二条). Twice is once."""
    filed = queries.death_return(staff.region_code, month)
    if filed is not None:
        return filed
    filed = _file_return(staff, month, 0)
    audit.record("no_deaths_reported", actor=staff.get_id(), channel="assisted",
                 object_type="death_return", object_id=staff.region_code,
                 detail={"month": month.isoformat()})
    db.session.commit()
    return filed


def late_villages(area_prefix: str, today: date, calendar) -> tuple[date, date, list[Region]]:
    """(month reported on, due date, villages late with it): none before the due date, the
    5th working day of the month."""
    month, due = last_month(today), calendar.monthly_report_due(today)
    if today <= due:
        return month, due, []
    return month, due, queries.villages_without_death_return(area_prefix, month)


@job("reports.flag_late_villages")
@once_a_day_when_scheduled("reports.flag_late_villages")
def flag_late_villages(today: str | None = None) -> list[str]:
    """Flag to each township the villages that have not filed last month's death return by the
    5th working day (第三十二条): one staff message per village and month, however often it
    runs (a daily schedule, the CLI). Returns the village codes flagged now."""
    from .calendar import workday_calendar

    day = date.fromisoformat(today) if today else china_today()
    month, due, late = late_villages("", day, workday_calendar())
    flagged = []
    for village in late:
        township = village.code[:9] + "000"
        already = db.session.scalars(select(OutboxMessage).filter_by(
            channel="staff", kind="late_death_return", recipient=township)).all()
        if any(m.params.get("village_code") == village.code
               and m.params.get("month") == month.isoformat() for m in already):
            continue
        db.session.add(OutboxMessage(
            channel="staff", kind="late_death_return", recipient=township,
            params={"village_code": village.code, "village": village.name,
                    "month": month.isoformat(), "due": due.isoformat()},
            body=f"village {village.code}: no death return for {month:%Y-%m} by {due}"))
        flagged.append(village.code)
    if flagged:
        audit.record("late_death_returns_flagged", actor="system:job", channel="system",
                     object_type="death_return",
                     detail={"month": month.isoformat(), "villages": flagged})
    db.session.commit()
    return flagged


def late_flags_for(township_code: str) -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).filter_by(
        channel="staff", kind="late_death_return", recipient=township_code)
        .order_by(OutboxMessage.id.desc())).all()


def parse_csv(content: str) -> list[dict]:
    try:
        return csvfiles.read(content, ("name", "id_number", "death_date"))
    except csvfiles.BadCsv as problem:
        raise BadReport(f"{problem.line or ''}:{problem.code}") from None


def registry_result(report: DeathReport, today: date) -> str:
    """What the registries (公安 household register, civil affairs and health death records,
    第六条) say about a reported death: death_recorded confirms it; alive, name_differs and
    not_found contradict it."""
    found = compare_person(ids.RESIDENT_ID, report.id_number, report.name, today)
    if not found.population_found:
        return "not_found"
    if not found.name_matches:
        return "name_differs"
    return "death_recorded" if found.death_recorded_on or not found.alive else "alive"


def forward(clerk: StaffUser, today: date) -> list[DeathReport]:
    """The township consolidates its villages' reports and forwards them to the county, where
    each is compared with the beneficiaries and the registries at once (第三十三条): a match the
    registries confirm suspends payment; a match they contradict waits for the county to
    confirm it before anything is suspended."""
    township = clerk.region_code[:9]
    reports = db.session.scalars(select(DeathReport).filter(
        DeathReport.village_code.startswith(township), DeathReport.status == "reported")).all()
    for report in reports:
        report.status, report.forwarded_by = "forwarded", clerk.get_id()
        report.registry_result = registry_result(report, today)
        person = db.session.scalar(Person.by_id_number(report.id_number))
        relation = queries.relation_in(person.id, "receiving") if person else None
        if relation is None:
            continue
        report.person_id = person.id
        if report.registry_result != "death_recorded":
            report.status = "contested"
            continue
        report.status = "matched"
        if relation.suspended_from is None:
            _suspend(report, clerk)
    audit.record("deaths_forwarded", actor=clerk.get_id(), channel="counter",
                 object_type="death_report",
                 detail={"count": len(reports),
                         "contested": [r.id for r in reports if r.status == "contested"]})
    db.session.commit()
    return reports


def _suspend(report: DeathReport, staff: StaffUser) -> None:
    benefits.suspend(report.person_id, first_payment_month(report.death_date),
                     f"death reported by the village ({report.death_date})",
                     actor=staff.get_id(), channel="counter", commit=False)


def confirm_death(report: DeathReport, staff: StaffUser) -> None:
    """Confirmed: the heirs are invited to apply for deregistration (no certificate needed).
    A report the registries contradicted is suspended only now, on the county's word."""
    if report.status == "contested":
        relation = queries.relation_in(report.person_id, "receiving")
        if relation is not None and relation.suspended_from is None:
            _suspend(report, staff)
    report.status, report.decided_by = "confirmed", staff.get_id()
    person = db.session.get(Person, report.person_id)
    invited = benefits.invite_heirs(person)
    audit.record("death_confirmed", actor=staff.get_id(), channel="counter",
                 object_type="person", object_id=person.id,
                 detail={"report": report.id, "heirs_invited": invited})
    db.session.commit()


def still_alive(report: DeathReport, staff: StaffUser) -> None:
    """Wrongly reported: payment resumes and the next run pays back the suspended months (a
    contested report never suspended anything)."""
    if report.status == "matched":
        benefits.resume(report.person_id, actor=staff.get_id(), commit=False)
    report.status, report.decided_by = "alive", staff.get_id()
    audit.record("death_refuted", actor=staff.get_id(), channel="counter",
                 object_type="person", object_id=report.person_id,
                 detail={"report": report.id})
    db.session.commit()
