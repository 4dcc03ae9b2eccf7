"""Population and household register (公安): identity, hukou, alive."""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select

from ..extensions import db
from ..models import RegistryPerson


@dataclass(frozen=True)
class RegisteredPerson:
    registry_id: int
    id_type: str
    id_number: str
    name: str
    sex: str | None
    birth_date: date | None
    phone: str | None
    hukou_region_code: str | None
    nationality: str
    alive: bool
    address: str | None = None


class PopulationRegister(Protocol):
    def find(self, id_type: str, id_number: str) -> RegisteredPerson | None: ...

    def get(self, registry_id: int) -> RegisteredPerson | None: ...


class EmbeddedPopulationRegister:
    """Reads the synthetic register loaded from portal/demo/people.json."""

    def find(self, id_type, id_number):
        row = db.session.scalar(
            select(RegistryPerson).filter_by(id_type=id_type, id_number=id_number)
        )
        return _to_record(row)

    def get(self, registry_id):
        return _to_record(db.session.get(RegistryPerson, registry_id))


def _to_record(row: RegistryPerson | None) -> RegisteredPerson | None:
    if row is None:
        return None
    return RegisteredPerson(
        registry_id=row.id,
        id_type=row.id_type,
        id_number=row.id_number,
        name=row.name,
        sex=row.sex,
        birth_date=row.birth_date,
        phone=row.phone,
        hukou_region_code=row.hukou_region_code,
        nationality=row.nationality,
        alive=row.alive,
        address=row.address,
    )


def population_register() -> PopulationRegister:
    return EmbeddedPopulationRegister()
