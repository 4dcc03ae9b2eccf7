"""The ledger partitioned by year on PostgreSQL (issue 19 part 6): rows land in their year's
partition; a year without one lands in the default partition until `ensure` makes it, which
moves that year's rows over; the tax import makes the partitions of the years it books.
On SQLite the ledger is one table and `ensure` does nothing."""

from datetime import date

import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import InsuranceRelation, LedgerEntry, Person, PersonalAccount
from portal.operations import ledger_partitions, tax_import
from portal.rules import ids
from portal.schemes import scheme_for


def account(number_sequence: int) -> tuple[Person, PersonalAccount]:
    number = ids.compose_resident_id("539901", date(1983, 3, 3), number_sequence)
    person = Person(id_type=ids.RESIDENT_ID, id_number=number, name="分区",
                    birth_date=date(1983, 3, 3))
    db.session.add(person)
    db.session.flush()
    relation = InsuranceRelation(person_id=person.id, region_code="539901000000",
                                 status="contributing", started_on=date(2015, 1, 1))
    db.session.add(relation)
    db.session.flush()
    holder = PersonalAccount(person_id=person.id, relation_id=relation.id,
                             opened_on=date(2015, 1, 1))
    db.session.add(holder)
    db.session.commit()
    return person, holder


def entry(account_id: int, year: int, key: str) -> int:
    row = LedgerEntry(account_id=account_id, kind="personal", amount_fen=10000,
                      booked_on=date(year, 6, 1), year=year, source_key=key)
    db.session.add(row)
    db.session.commit()
    return row.id


def partition(entry_id: int) -> str:
    return ledger_partitions.partition_of(db.session.connection(), entry_id)


def test_sqlite_keeps_one_ledger_table(app):
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            pytest.skip("SQLite only")
        assert ledger_partitions.ensure([2040]) == []
        db.session.remove()


def test_rows_land_in_their_years_partition_and_a_new_year_gets_one(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: declarative partitioning")
        connection = db.session.connection()
        assert ledger_partitions.partitioned(connection)
        this_year = date.today().year
        # The migration made this year's and next year's partitions, and a default.
        assert {this_year, this_year + 1} <= ledger_partitions.partition_years(connection)
        db.session.commit()
        _person, holder = account(811)
        here = entry(holder.id, this_year, "partition-test:this-year")
        assert partition(here) == f"ledger_entry_{this_year}"

        # A year nobody made a partition for yet: the default partition takes it …
        far = 2061
        db.session.execute(text(f"DROP TABLE IF EXISTS ledger_entry_{far}"))
        db.session.commit()
        waiting = entry(holder.id, far, "partition-test:far-1")
        assert partition(waiting) == "ledger_entry_default"
        # While another transaction reads the ledger, the partition waits (no queue behind
        # it): the rows stay in the default partition.
        assert ledger_partitions.ensure([far], lock_timeout_ms=200) == []
        db.session.commit()
        # … until ensure() makes the year's partition, moving the year's rows into it.
        assert ledger_partitions.ensure([far, this_year]) == [far]
        assert partition(waiting) == f"ledger_entry_{far}"
        assert partition(entry(holder.id, far, "partition-test:far-2")) == f"ledger_entry_{far}"
        db.session.commit()
        assert ledger_partitions.ensure([far]) == []  # once
        db.session.execute(LedgerEntry.__table__.delete().where(
            LedgerEntry.source_key.like("partition-test:%")))
        db.session.commit()
        db.session.remove()


def test_the_tax_import_makes_the_partition_of_the_year_it_books(app, monkeypatch):
    """A back-paid year and a year with no partition yet (第十七条 books by the year paid for):
    the import makes the partition before it books, and the rows land in it."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: declarative partitioning")
        year = 2019
        db.session.execute(text(f"DROP TABLE IF EXISTS ledger_entry_{year}"))
        db.session.commit()
        assert year not in ledger_partitions.partition_years(db.session.connection())
        person, holder = account(812)
        scheme = scheme_for("530000")
        monkeypatch.setitem(scheme, "back_pay", {"missed_years_since_enrolment": True})
        body = ("tax_ref,id_number,year,amount_fen,paid_on,payer\n"
                f"PART-{person.id_number},{person.id_number},{year},10000,2020-03-01,person\n")
        batch = tax_import.import_batch(body.encode(), "text/csv", scheme, "test")
        assert batch.status == "booked", batch.report
        booked = db.session.scalar(select(LedgerEntry.id).filter_by(account_id=holder.id))
        assert partition(booked) == f"ledger_entry_{year}"
        db.session.remove()
