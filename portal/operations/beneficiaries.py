"""A resident's designated beneficiary (指定受益人, 第三十八条): naming, changing and removing
them, each change audited; and recognising the beneficiary when they deregister the insured
person after their death under the commitment system."""

from sqlalchemy import select

from ..crypto import blind_index
from ..extensions import db
from ..models import DesignatedBeneficiary, Person, utcnow
from ..rules import contact, ids
from . import audit


def current_of(person_id: int) -> DesignatedBeneficiary | None:
    return db.session.scalar(select(DesignatedBeneficiary).filter_by(
        person_id=person_id, ended_at=None).order_by(DesignatedBeneficiary.id.desc()).limit(1))


def history_of(person_id: int) -> list[DesignatedBeneficiary]:
    return db.session.scalars(select(DesignatedBeneficiary).filter_by(person_id=person_id)
                              .order_by(DesignatedBeneficiary.id.desc())).all()


def _for_audit(row: DesignatedBeneficiary | None) -> dict | None:
    """What the audit log keeps of a naming: masked, like every log (security.md)."""
    if row is None:
        return None
    return {"name": row.name, "id_type": row.id_type, "id_number": ids.mask(row.id_number),
            "relationship": row.relationship, "phone": ids.mask_phone(row.phone)}


def name(person: Person, *, name: str, id_type: str, id_number: str, phone: str,
         relationship: str | None, actor: str, channel: str) -> DesignatedBeneficiary:
    """Name a beneficiary, or change the one named: the earlier naming ends, the new one is
    added (history kept), and the change is audited, in one commit."""
    before = current_of(person.id)
    if before is not None:
        before.ended_at, before.ended_by = utcnow(), actor
    row = DesignatedBeneficiary(
        person_id=person.id, name=contact.normalize_name(name), id_type=id_type,
        id_number=ids.normalize(id_number), phone=contact.normalize_phone(phone),
        relationship=relationship or None, named_by=actor, channel=channel)
    db.session.add(row)
    db.session.flush()
    audit.record("beneficiary_changed" if before else "beneficiary_named", actor=actor,
                 channel=channel, object_type="person", object_id=person.id,
                 on_behalf_of=person.get_id(),
                 detail={"before": _for_audit(before), "after": _for_audit(row)})
    db.session.commit()
    return row


def remove(person: Person, *, actor: str, channel: str) -> bool:
    """No beneficiary any more: the heirs deregister as the law provides. False when none was
    named (a second press)."""
    before = current_of(person.id)
    if before is None:
        return False
    before.ended_at, before.ended_by = utcnow(), actor
    audit.record("beneficiary_removed", actor=actor, channel=channel, object_type="person",
                 object_id=person.id, on_behalf_of=person.get_id(),
                 detail={"before": _for_audit(before)})
    db.session.commit()
    return True


def is_named(designation: DesignatedBeneficiary | None, applicant: Person) -> bool:
    """第三十八条: the applicant, signed in with their own verified identity, is the beneficiary
    the insured person named (same document, through its keyed hash, and same name)."""
    return (designation is not None
            and designation.id_number_hash == blind_index(ids.normalize(applicant.id_number))
            and contact.normalize_name(designation.name) == contact.normalize_name(
                applicant.name))
