"""tax batches stored and booked by a job; the ledger partitioned by year on PostgreSQL

import_batch gets what the job needs (content type, the sealed file's name, when it finished).
On PostgreSQL `ledger_entry` becomes a table partitioned by RANGE (year) with a partition for
each year it holds, this year and next, and a DEFAULT partition (operations/ledger_partitions.py
makes later years' partitions as they are needed). A partitioned table's keys must include the
partition key, so the primary key is (id, year) and source_key is unique per year; the
self-reference of a reversal is no longer a foreign key there. On SQLite the ledger stays one
table.

Revision ID: taximport_0001
Revises: fast_0001
Create Date: 2026-11-25 21:00:00
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "taximport_0001"
down_revision = "fast_0001"
branch_labels = None
depends_on = None

COLUMNS = """
    id integer NOT NULL DEFAULT nextval('ledger_entry_id_seq'),
    account_id integer NOT NULL,
    kind varchar(20) NOT NULL,
    amount_fen bigint NOT NULL,
    booked_on date NOT NULL,
    year integer NOT NULL,
    source_key varchar(80) NOT NULL,
    reverses_id integer,
    reason text,
    created_at timestamp without time zone NOT NULL
"""
NAMES = "id, account_id, kind, amount_fen, booked_on, year, source_key, reverses_id, reason, " \
        "created_at"


def upgrade():
    with op.batch_alter_table("import_batch") as batch:
        batch.add_column(sa.Column("content_type", sa.String(40), nullable=True))
        batch.add_column(sa.Column("file_name", sa.String(80), nullable=True))
        batch.add_column(sa.Column("finished_at", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        op.create_index("ix_ledger_entry_reverses_id", "ledger_entry", ["reverses_id"],
                        sqlite_where=sa.text("reverses_id IS NOT NULL"))
        return
    connection = op.get_bind()
    this_year = date.today().year
    years = set(connection.scalars(sa.text("SELECT DISTINCT year FROM ledger_entry")))
    years |= {this_year, this_year + 1}
    op.execute("ALTER TABLE ledger_entry RENAME TO ledger_entry_unpartitioned")
    for name in ("fk_ledger_entry_reverses_id_ledger_entry",
                 "fk_ledger_entry_account_id_personal_account", "uq_ledger_entry_source_key",
                 "pk_ledger_entry"):
        op.execute(f"ALTER TABLE ledger_entry_unpartitioned DROP CONSTRAINT {name}")
    op.execute("DROP INDEX ix_ledger_entry_account_id")
    op.execute("DROP INDEX ix_ledger_entry_booked_on")
    op.execute(f"""CREATE TABLE ledger_entry ({COLUMNS},
        CONSTRAINT pk_ledger_entry PRIMARY KEY (id, year),
        CONSTRAINT uq_ledger_entry_source_key UNIQUE (source_key, year),
        CONSTRAINT fk_ledger_entry_account_id_personal_account FOREIGN KEY (account_id)
            REFERENCES personal_account (id)
    ) PARTITION BY RANGE (year)""")
    op.execute("CREATE TABLE ledger_entry_default PARTITION OF ledger_entry DEFAULT")
    for year in sorted(years):
        op.execute(f"CREATE TABLE ledger_entry_{year} PARTITION OF ledger_entry "
                   f"FOR VALUES FROM ({year}) TO ({year + 1})")
    op.execute("CREATE INDEX ix_ledger_entry_account_id ON ledger_entry (account_id)")
    op.execute("CREATE INDEX ix_ledger_entry_booked_on ON ledger_entry (booked_on)")
    op.execute("CREATE INDEX ix_ledger_entry_reverses_id ON ledger_entry (reverses_id) "
               "WHERE reverses_id IS NOT NULL")
    op.execute(f"INSERT INTO ledger_entry ({NAMES}) SELECT {NAMES} "
               "FROM ledger_entry_unpartitioned")
    op.execute("ALTER SEQUENCE ledger_entry_id_seq OWNED BY ledger_entry.id")
    op.execute("DROP TABLE ledger_entry_unpartitioned")
    op.execute("ANALYZE ledger_entry")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_entry RENAME TO ledger_entry_partitioned")
        for name in ("fk_ledger_entry_account_id_personal_account",
                     "uq_ledger_entry_source_key", "pk_ledger_entry"):
            op.execute(f"ALTER TABLE ledger_entry_partitioned DROP CONSTRAINT {name}")
        for name in ("ix_ledger_entry_account_id", "ix_ledger_entry_booked_on",
                     "ix_ledger_entry_reverses_id"):
            op.execute(f"DROP INDEX {name}")
        op.execute(f"""CREATE TABLE ledger_entry ({COLUMNS},
            CONSTRAINT pk_ledger_entry PRIMARY KEY (id),
            CONSTRAINT uq_ledger_entry_source_key UNIQUE (source_key),
            CONSTRAINT fk_ledger_entry_account_id_personal_account FOREIGN KEY (account_id)
                REFERENCES personal_account (id),
            CONSTRAINT fk_ledger_entry_reverses_id_ledger_entry FOREIGN KEY (reverses_id)
                REFERENCES ledger_entry (id))""")
        op.execute(f"INSERT INTO ledger_entry ({NAMES}) SELECT {NAMES} "
                   "FROM ledger_entry_partitioned")
        op.execute("ALTER SEQUENCE ledger_entry_id_seq OWNED BY ledger_entry.id")
        op.execute("DROP TABLE ledger_entry_partitioned CASCADE")
        op.execute("CREATE INDEX ix_ledger_entry_account_id ON ledger_entry (account_id)")
        op.execute("CREATE INDEX ix_ledger_entry_booked_on ON ledger_entry (booked_on)")
    else:
        op.drop_index("ix_ledger_entry_reverses_id", "ledger_entry")
    with op.batch_alter_table("import_batch") as batch:
        batch.drop_column("finished_at")
        batch.drop_column("file_name")
        batch.drop_column("content_type")
