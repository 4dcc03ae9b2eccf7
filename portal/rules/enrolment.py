"""Who may enrol (国发〔2014〕8号 第三条; 第七条): 16 or over, not a full-time student, hukou in
this county, not in the employees' scheme, not already insured in this scheme anywhere."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class EnrolmentFacts:
    """What data comparison (第六条) found; None means the source could not say."""

    birth_date: date | None
    alive: bool
    hukou_region_code: str | None
    in_employee_scheme: bool
    resident_scheme_region: str | None  # county code where already enrolled in this scheme


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def obstacles(facts: EnrolmentFacts, county_code: str, today: date, minimum_age: int = 16,
              is_student: bool | None = None) -> list[str]:
    """Reason codes that stop an enrolment; empty when the resident may enrol."""
    reasons = []
    if not facts.alive:
        reasons.append("deceased")
    if facts.resident_scheme_region is not None:
        here = facts.resident_scheme_region[:6] == county_code[:6]
        reasons.append("already_enrolled_here" if here else "already_enrolled_elsewhere")
    if facts.in_employee_scheme:
        reasons.append("employee_scheme")
    if facts.birth_date is not None and age_on(facts.birth_date, today) < minimum_age:
        reasons.append("too_young")
    # An unknown hukou is not an obstacle: the resident shows it with documents instead.
    if facts.hukou_region_code is not None and facts.hukou_region_code[:6] != county_code[:6]:
        reasons.append("hukou_elsewhere")
    if is_student:
        reasons.append("student")
    return reasons
