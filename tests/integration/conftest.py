"""Fixtures shared by integration tests: synthetic people and signed-in clients, built from the
helpers in tests/integration/helpers.py (import those functions from there, never from another
test module). Each test module has a fresh database of its own (conftest.py at the root)."""

import itertools
from datetime import date
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import InsuranceRelation, Person, PersonalAccount
from portal.rules import ids
from tests.integration.helpers import (
    assistant,
    decide,
    enrol,
    make_claimant,
    make_resident,
    sign_in,
    staff_sign_in,
)

_account_numbers = itertools.count(800)


@pytest.fixture
def enrolled(app):
    """A fresh resident whose enrolment the county approved (so they have an account)."""
    resident = make_resident(app)
    client = app.test_client()
    reference = enrol(client, app, resident)
    staff = app.test_client()
    staff_sign_in(staff, app, "reviewer.qingshan")
    assert decide(staff, reference, "approve").status_code == 302
    return resident


@pytest.fixture
def account_holder(app):
    """A resident whose enrolment was approved earlier: person, relation and empty account."""
    number = next(_account_numbers)
    id_number = ids.compose_resident_id("539901", date(1980, 3, 3), number)
    with app.app_context():
        person = Person(id_type=ids.RESIDENT_ID, id_number=id_number, name=f"账户{number}",
                        phone=f"137{number:08d}", birth_date=date(1980, 3, 3))
        db.session.add(person)
        db.session.flush()
        relation = InsuranceRelation(person_id=person.id, region_code="539901000000",
                                     status="contributing", started_on=date(2020, 1, 1))
        db.session.add(relation)
        db.session.flush()
        account = PersonalAccount(person_id=person.id, relation_id=relation.id,
                                  opened_on=date(2020, 1, 1))
        db.session.add(account)
        db.session.commit()
        holder = {"id_number": id_number, "person_id": person.id, "account_id": account.id}
        db.session.remove()
    return holder


@pytest.fixture(scope="module")
def terminal_key(app):
    """The demo terminal's private key (kiosk/agent.py), to sign assertions as it would."""
    from kiosk.agent import load_key

    return load_key(Path(app.instance_path) / "kiosk_terminal.key")


@pytest.fixture
def new_person(app):
    """Make a fresh resident in the household register: `new_person()` (a village code may be
    given)."""
    return lambda **kwargs: make_resident(app, **kwargs)


@pytest.fixture
def new_claimant(app):
    """Make a resident turning 60 in ten days with contributions: `new_claimant(years=16)`."""
    return lambda **kwargs: make_claimant(app, **kwargs)


@pytest.fixture
def staff_client(app):
    """A client signed in as a demo staff member: `staff_client("reviewer.qingshan")`."""
    def signed_in(username: str):
        client = app.test_client()
        staff_sign_in(client, app, username)
        return client
    return signed_in


@pytest.fixture
def resident_client(app):
    """A client signed in as a resident: `resident_client(person, face=True, level="face")`."""
    def signed_in(person: dict, **kwargs):
        client = app.test_client()
        sign_in(client, app, person, **kwargs)
        return client
    return signed_in


@pytest.fixture
def assistant_client(app):
    """A client signed in as 石桥村's village assistant (both factors)."""
    return assistant(app)
