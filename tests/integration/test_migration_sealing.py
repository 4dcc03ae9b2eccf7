"""The migration that seals personal data (issue 17 item 8) encrypts rows that already exist and
its downgrade opens them again; run on a database of its own (SQLite file, or a PostgreSQL schema
of its own next to the suite's)."""

import json
import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from portal.cli import MIGRATIONS
from portal.config import database_url
from portal.crypto import KeyRing, new_key_text, parse_keys

BEFORE = "86c229ba3063"
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC).replace(tzinfo=None)
ID_NUMBER = "539901198106170221"
PHONE = "13800000002"
ANSWERS = {"bank_account": "6222020200112233445", "phone": PHONE}


@pytest.fixture
def scratch_url(tmp_path):
    shared = os.environ.get("TEST_DATABASE_URL")
    if not shared:
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    url = database_url(shared)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA migration_test"))
    yield url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dmigration_test"
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA migration_test CASCADE"))
    engine.dispose()


def alembic(url, ring) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = url
    config.attributes["keyring"] = ring
    return config


def table(name, *columns):
    return sa.table(name, *(sa.column(c) for c in columns))


def test_existing_rows_are_sealed_and_opened_again(scratch_url):
    ring = KeyRing(parse_keys(new_key_text("m1")), b"m" * 32)
    config = alembic(scratch_url, ring)
    command.upgrade(config, BEFORE)
    engine = sa.create_engine(scratch_url)
    with engine.begin() as db:
        person_id = db.execute(sa.insert(table(
            "person", "id_type", "id_number", "name", "phone", "created_at")).values(
            id_type="resident_id", id_number=ID_NUMBER, name="张桂兰", phone=PHONE,
            created_at=NOW).returning(sa.column("id"))).scalar_one()
        db.execute(sa.insert(table("person_change", "person_id", "field", "old_value",
                                   "new_value", "actor", "channel", "at")).values(
            person_id=person_id, field="phone", old_value="13800000099", new_value=PHONE,
            actor="resident:1", channel="online", at=NOW))
        db.execute(sa.insert(sa.table("draft", sa.column("person_id"), sa.column("flow"),
                                      sa.column("answers", sa.JSON), sa.column("submission_key"),
                                      sa.column("created_at"), sa.column("updated_at"))).values(
            person_id=person_id, flow="claim", answers=ANSWERS, submission_key="k" * 64,
            created_at=NOW, updated_at=NOW))
        db.execute(sa.insert(sa.table(
            "outbox_message", sa.column("created_at"), sa.column("channel"), sa.column("kind"),
            sa.column("person_id"), sa.column("recipient"), sa.column("body"),
            sa.column("params", sa.JSON), sa.column("status"))).values(
            created_at=NOW, channel="sms", kind="sign_in_code", person_id=person_id,
            recipient=PHONE, body="验证码", params=None, status="pending"))

    command.upgrade(config, "head")
    with engine.connect() as db:
        person = db.execute(sa.text(
            "SELECT id_number, id_number_hash, phone, phone_hash FROM person")).one()
        assert ID_NUMBER not in person.id_number and ring.open(person.id_number) == ID_NUMBER
        assert person.id_number_hash == ring.blind_index(ID_NUMBER)
        assert ring.open(person.phone) == PHONE and person.phone_hash == ring.blind_index(PHONE)
        change = db.execute(sa.text("SELECT old_value, new_value FROM person_change")).one()
        assert [ring.open(v) for v in change] == ["13800000099", PHONE]
        (answers,) = db.execute(sa.text("SELECT answers FROM draft")).one()
        assert "6222" not in answers and json.loads(ring.open(answers)) == ANSWERS
        message = db.execute(sa.text(
            "SELECT recipient, recipient_hash, params FROM outbox_message")).one()
        assert ring.open(message.recipient) == PHONE
        assert message.recipient_hash == ring.blind_index(PHONE)
        assert json.loads(ring.open(message.params)) is None  # JSON null stays null

    command.downgrade(config, BEFORE)
    with engine.connect() as db:
        assert db.execute(sa.text("SELECT id_number, phone FROM person")).one() == (
            ID_NUMBER, PHONE)
        (answers,) = db.execute(sa.select(sa.column("answers", sa.JSON)).select_from(
            sa.table("draft"))).one()
        assert answers == ANSWERS
    engine.dispose()
