"""Residents as the portal knows them, and changes to their registered information
(第九条 directly, 第十条 after review), each kept as history."""

from sqlalchemy import func, select

from ..extensions import db
from ..models import InsuranceRelation, Person, PersonChange, utcnow
from ..rules import ids
from . import audit, notify


def record_sign_in(*, id_type, id_number, name, phone, birth_date, sex, assurance,
                   channel: str = "online") -> Person:
    """Find or create the person behind a verified identity and log the sign-in (第六条)."""
    person = db.session.scalar(Person.by_id_number(id_number, id_type))
    if person is None:
        person = Person(id_type=id_type, id_number=id_number, name=name)
        db.session.add(person)
    # The identity platform is authoritative for the name. Contact phone and sex are the
    # resident's to change here (第九条), so the platform only fills them when none is recorded.
    person.name = name
    person.phone = person.phone or phone
    person.birth_date = birth_date or person.birth_date
    person.sex = person.sex or sex
    person.last_sign_in_at = utcnow()
    db.session.flush()
    audit.record(
        "sign_in",
        actor=person.get_id(),
        channel=channel,
        object_type="person",
        object_id=person.id,
        detail={"assurance": assurance},
    )
    db.session.commit()
    return person


DIRECT_FIELDS = ("sex", "ethnicity", "address", "phone")  # 第九条: no review
IDENTITY_FIELDS = ("name", "birth_date", "id_number")  # 第十条: reviewed


def _text(value) -> str | None:
    return None if value is None else str(value)


def change_details(person: Person, changes: dict, *, actor: str, channel: str,
                   application_id: int | None = None, on_behalf_of: str | None = None) -> list:
    """Apply changes to a person and keep each old and new value. The caller commits, so the
    change, its history and its audit record land together or not at all."""
    made = [change for field, new in changes.items()
            if (change := _change(person, field, new, actor=actor, channel=channel,
                                  application_id=application_id)) is not None]
    db.session.add_all(made)
    if made:
        audit.record("person_details_changed", actor=actor, channel=channel,
                     on_behalf_of=on_behalf_of or (None if actor == person.get_id()
                                                   else person.get_id()),
                     object_type="person", object_id=person.id,
                     detail={"fields": [change.field for change in made],
                             "application_id": application_id})
    db.session.flush()
    return made


def _change(person: Person, field: str, new, **recorded) -> PersonChange | None:
    """One detail set, with its history row; None when it did not change."""
    from datetime import date

    if field not in DIRECT_FIELDS + IDENTITY_FIELDS:
        raise ValueError(f"not a registered detail: {field}")
    if field == "birth_date" and isinstance(new, str):
        new = date.fromisoformat(new)
    old = getattr(person, field)
    if old == new:
        return None
    setattr(person, field, new)
    if field == "phone" and old:
        # The old number hears of it, so a hijacked account does not go unnoticed.
        _text_, sms = notify.chinese_texts("phone_changed", {"phone": ids.mask_phone(new)})
        notify.queue_sms(phone=old, body=sms, kind="phone_changed", person_id=person.id)
    return PersonChange(person_id=person.id, field=field, old_value=_text(old),
                        new_value=_text(new), **recorded)


def history(person_id: int) -> list[PersonChange]:
    return db.session.scalars(select(PersonChange).filter_by(person_id=person_id)
                              .order_by(PersonChange.id.desc())).all()


def most_chosen_tiers(offered: list[int], limit: int = 4) -> list[int]:
    """The levels most residents pay now, most chosen first, for the top of a level list;
    where few have chosen yet, the lowest levels fill it (ux.md: short lists)."""
    counts = dict(db.session.execute(
        select(InsuranceRelation.contribution_tier_fen, func.count())
        .filter(InsuranceRelation.status == "contributing",
                InsuranceRelation.contribution_tier_fen.in_(offered))
        .group_by(InsuranceRelation.contribution_tier_fen)).all())
    ranked = sorted(offered, key=lambda amount: (-counts.get(amount, 0), amount))
    return ranked[:limit]
