"""Residents as the portal knows them."""

from sqlalchemy import select

from ..extensions import db
from ..models import Person, utcnow
from . import audit


def record_sign_in(*, id_type, id_number, name, phone, birth_date, sex, assurance) -> Person:
    """Find or create the person behind a verified identity and log the sign-in (第六条)."""
    person = db.session.scalar(select(Person).filter_by(id_type=id_type, id_number=id_number))
    if person is None:
        person = Person(id_type=id_type, id_number=id_number, name=name)
        db.session.add(person)
    # The identity platform is authoritative for name and real-name phone.
    person.name = name
    person.phone = phone or person.phone
    person.birth_date = birth_date or person.birth_date
    person.sex = sex or person.sex
    person.last_sign_in_at = utcnow()
    db.session.flush()
    audit.record(
        "sign_in",
        actor=person.get_id(),
        channel="online",
        object_type="person",
        object_id=person.id,
        detail={"assurance": assurance},
    )
    db.session.commit()
    return person
