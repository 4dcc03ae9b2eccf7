"""The ledger partitioned by year on PostgreSQL (declarative partitioning, issue 19).

`ledger_entry` is partitioned by RANGE (year): one partition per year (`ledger_entry_<year>`)
and a DEFAULT partition for any year without one yet, so no booking ever fails for want of a
partition. A year's partition is made before the work that fills it (the tax import and the
yearly crediting call `ensure`); rows of that year already in the default partition move into
it in the same short transaction. On SQLite the ledger is one table and this does nothing.

Why by year: a year's contributions and its interest arrive together and are read together
(crediting, the yearly statement), old years are only ever read, and a year can be archived,
vacuumed or moved to slower storage on its own.
"""

import logging

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ..extensions import db

log = logging.getLogger(__name__)

PARENT = "ledger_entry"
DEFAULT = "ledger_entry_default"


def partition_name(year: int) -> str:
    return f"{PARENT}_{int(year)}"


def partitioned(connection) -> bool:
    return connection.dialect.name == "postgresql" and bool(connection.scalar(text(
        "SELECT 1 FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid "
        "WHERE c.relname = :parent AND c.relnamespace = current_schema()::regnamespace"),
        {"parent": PARENT}))


def partition_years(connection) -> set[int]:
    names = connection.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :parent "
        "AND p.relnamespace = current_schema()::regnamespace"), {"parent": PARENT})
    prefix = PARENT + "_"
    return {int(name[len(prefix):]) for name in names if name[len(prefix):].isdigit()}


def create_partition(connection, year: int) -> None:
    """Make `year`'s partition inside the caller's transaction, moving that year's rows out of
    the default partition first (PostgreSQL refuses to attach a range the default still
    holds). Writers to the default partition wait meanwhile; nobody else does."""
    year = int(year)
    name = partition_name(year)
    connection.execute(text(f"LOCK TABLE {DEFAULT} IN SHARE ROW EXCLUSIVE MODE"))
    connection.execute(text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)"))
    connection.execute(text(
        f"WITH moved AS (DELETE FROM {DEFAULT} WHERE year = :year RETURNING *) "
        f"INSERT INTO {name} SELECT * FROM moved"), {"year": year})
    connection.execute(text(
        f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ({year}) "
        f"TO ({year + 1})"))


def ensure(years, engine=None, lock_timeout_ms: int = 2000) -> list[int]:
    """Make the partitions of `years` that do not exist yet, each in a short transaction of
    its own; returns the years made. Call it before a transaction that reads the ledger: the
    attach needs the ledger to itself for a moment. If another transaction holds it longer
    than `lock_timeout_ms` (a long import elsewhere), the year is left for later — its rows go
    to the default partition meanwhile — rather than queueing every reader of the ledger
    behind the wait. Safe on several workers at once."""
    engine = engine or db.engine
    wanted = sorted({int(y) for y in years if y is not None})
    if engine.dialect.name != "postgresql" or not wanted:
        return []
    made = []
    with engine.connect() as connection:
        if not partitioned(connection):
            return []
        missing = [y for y in wanted if y not in partition_years(connection)]
        connection.rollback()
        for year in missing:
            try:
                with connection.begin():
                    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                                       {"key": "ledger_partitions"})
                    if year in partition_years(connection):
                        continue  # another worker made it meanwhile
                    connection.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
                    create_partition(connection, year)
                    made.append(year)
            except OperationalError as error:
                if getattr(error.orig, "sqlstate", None) != "55P03":  # lock_not_available
                    raise
                log.warning("ledger partition %s not made now: the ledger is busy", year)
    return made


def partition_of(connection, entry_id: int) -> str | None:
    """The partition holding ledger entry `entry_id` (tests, diagnostics)."""
    return connection.scalar(text(
        f"SELECT tableoid::regclass::text FROM {PARENT} WHERE id = :id"), {"id": entry_id})
