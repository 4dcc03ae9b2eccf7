"""Loads portal/demo/people.json into an empty database (never in production).

The same file is what tests read, so the README's demo table, the tests and the running demo agree.
"""

import json
from datetime import date
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    Person,
    Region,
    RegistryDeath,
    RegistryDisability,
    RegistryEnrolment,
    RegistryPerson,
    RegistryRelative,
    StaffUser,
)
from ..operations import audit

PEOPLE_FILE = Path(__file__).with_name("people.json")


def demo_data() -> dict:
    return json.loads(PEOPLE_FILE.read_text(encoding="utf-8"))


def _date(value):
    return date.fromisoformat(value) if value else None


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(RegistryPerson))


def load_demo() -> dict:
    """All or nothing: one transaction for the whole demo set."""
    data = demo_data()
    session = db.session
    for region in data["regions"]:
        session.add(Region(code=region["code"], name=region["name"], name_en=region["name_en"],
                           level=region["level"], parent_code=region["parent"]))
    session.flush()
    by_key = {person["key"]: person for person in data["people"]}
    for person in data["people"]:
        session.add(_registry_person(person))
        for enrolment in person["enrolments"]:
            session.add(RegistryEnrolment(
                id_number=person["id_number"], scheme=enrolment["scheme"],
                region_code=enrolment["region"], status=enrolment["status"],
                since=_date(enrolment["since"]),
            ))
        for death in person["deaths"]:
            session.add(RegistryDeath(id_number=person["id_number"], source=death["source"],
                                      death_date=_date(death["date"])))
        if person["disability_grade"]:
            session.add(RegistryDisability(id_number=person["id_number"],
                                           grade=person["disability_grade"]))
        for relative in person["relatives"]:
            session.add(RegistryRelative(
                id_number=person["id_number"],
                relative_id_number=by_key[relative["of"]]["id_number"],
                relation=relative["relation"],
            ))
        if _known_to_agency(person):
            session.add(Person(
                id_type=person["id_type"], id_number=person["id_number"], name=person["name"],
                sex=person["sex"], birth_date=_date(person["birth_date"]), phone=person["phone"],
                hukou_region_code=person["hukou_region"],
            ))
    hasher = PasswordHasher()
    password_hash = hasher.hash(data["demo_staff_password"])
    for staff in data["staff"]:
        session.add(StaffUser(username=staff["username"], name=staff["name"], role=staff["role"],
                              region_code=staff["region"], password_hash=password_hash,
                              totp_secret=staff["totp_secret"]))
    audit.record("demo_load", actor="system", channel="system",
                 detail={"people": len(data["people"]), "staff": len(data["staff"])})
    session.commit()
    return {"regions": len(data["regions"]), "people": len(data["people"]),
            "staff": len(data["staff"])}


def _known_to_agency(person: dict) -> bool:
    """People already insured in this county's scheme exist in the agency's records."""
    return any(e["scheme"] == "resident" and e["region"].startswith("539901")
               for e in person["enrolments"])


def _registry_person(person: dict) -> RegistryPerson:
    return RegistryPerson(
        id_type=person["id_type"], id_number=person["id_number"],
        nationality=person["nationality"], name=person["name"], sex=person["sex"],
        birth_date=_date(person["birth_date"]), ethnicity=person["ethnicity"],
        phone=person["phone"], hukou_region_code=person["hukou_region"],
        address=person["address"], alive=person["alive"], death_date=_date(person["death_date"]),
    )
