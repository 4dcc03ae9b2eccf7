"""Data comparison (数据比对, 第六条) with the national enrolment registry (全民参保库), the
disability registry (残联) and civil affairs / health death records; embedded implementations."""

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import RegistryDeath, RegistryDisability, RegistryEnrolment
from ..rules.ids import RESIDENT_ID, SOCIAL_SECURITY_CARD
from .population import population_register


@dataclass(frozen=True)
class Comparison:
    """Everything the registries say about one person, as stored with an application."""

    checked_on: str
    population_found: bool
    name_matches: bool
    alive: bool
    birth_date: str | None
    hukou_region_code: str | None
    address: str | None
    resident_scheme_region: str | None
    resident_scheme_status: str | None
    in_employee_scheme: bool
    disability_grade: int | None
    death_recorded_on: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def compare_person(id_type: str, id_number: str, name: str, today: date) -> Comparison:
    lookup_type = RESIDENT_ID if id_type == SOCIAL_SECURITY_CARD else id_type
    person = population_register().find(lookup_type, id_number)
    enrolments = db.session.scalars(
        select(RegistryEnrolment).filter_by(id_number=id_number)
    ).all()
    resident = next((e for e in enrolments if e.scheme == "resident"
                     and e.status != "terminated"), None)
    disability = db.session.get(RegistryDisability, id_number)
    # A death the agency registers later than `today` was not known on `today`.
    death = db.session.scalar(
        select(RegistryDeath).filter(
            RegistryDeath.id_number == id_number,
            (RegistryDeath.recorded_on.is_(None)) | (RegistryDeath.recorded_on <= today))
        .order_by(RegistryDeath.death_date).limit(1)
    )
    return Comparison(
        checked_on=today.isoformat(),
        population_found=person is not None,
        name_matches=person is not None and person.name == name,
        alive=(person is None or person.alive) and death is None,
        birth_date=person.birth_date.isoformat() if person and person.birth_date else None,
        hukou_region_code=person.hukou_region_code if person else None,
        address=person.address if person else None,
        resident_scheme_region=resident.region_code if resident else None,
        resident_scheme_status=resident.status if resident else None,
        in_employee_scheme=any(e.scheme == "employee" and e.status != "terminated"
                               for e in enrolments),
        disability_grade=disability.grade if disability else None,
        death_recorded_on=death.death_date.isoformat() if death else None,
    )


def other_pension_since(id_number: str) -> date | None:
    """The day another basic pension (the employees' scheme) started, where the national
    enrolment registry knows it (第三十四条: payment here stops from the month after)."""
    row = db.session.scalar(select(RegistryEnrolment).filter_by(
        id_number=id_number, scheme="employee", status="receiving")
        .order_by(RegistryEnrolment.since))
    return row.since if row else None


def relatives_of(id_number: str) -> list[str]:
    """Identity numbers of the people the household and civil records link to this person as
    relatives (the heirs to invite when they die)."""
    from ..models import RegistryRelative

    return list(db.session.scalars(select(RegistryRelative.id_number).filter_by(
        relative_id_number=id_number)))


def custody_on(id_number: str, day: date):
    """The latest prison record started by `day` (None when there is none)."""
    from ..models import RegistryCustody

    return db.session.scalar(select(RegistryCustody).filter(
        RegistryCustody.id_number == id_number, RegistryCustody.started_on <= day)
        .order_by(RegistryCustody.started_on.desc()).limit(1))


def relation_between(applicant_id_number: str, insured_id_number: str) -> str | None:
    """How the applicant is related to the insured person by the household and civil records
    ("child", "spouse", "parent", …), or None when the records show no link (第三十八条)."""
    from ..models import RegistryRelative

    link = db.session.scalar(select(RegistryRelative).filter_by(
        id_number=applicant_id_number, relative_id_number=insured_id_number))
    return link.relation if link else None


def latest_trace_of_life(id_number: str, until: date) -> date | None:
    """The latest medical-insurance visit or civil-affairs record by `until` (静默认证: proof of
    life the person left somewhere else)."""
    from sqlalchemy import func

    from ..models import RegistryActivity

    return db.session.scalar(select(func.max(RegistryActivity.occurred_on)).filter(
        RegistryActivity.id_number == id_number, RegistryActivity.occurred_on <= until))
