"""personal data encrypted at rest, look-up hashes, staff data access log

Identity numbers, phones, bank accounts, application answers and the files for the tax department
and the bank are sealed (portal/crypto.py) row by row with the configured keys; look-up columns get their keyed
hash. The keys come from the app (cli.alembic_config) or, for a bare `alembic upgrade`, from the
same configuration the app would load (migrations/env.py).

Revision ID: b7e1c2d3a4f5
Revises: b7e3c1a9d402
Create Date: 2026-11-25 18:10:00
"""

import sqlalchemy as sa
from alembic import context, op

revision = "b7e1c2d3a4f5"
down_revision = "86c229ba3063"
branch_labels = None
depends_on = None

# (table, column, type before) — the type it goes back to on downgrade
SEALED = [
    ("person", "id_number", sa.String(24)),
    ("person", "phone", sa.String(20)),
    ("person_change", "old_value", sa.String(200)),
    ("person_change", "new_value", sa.String(200)),
    ("death_report", "id_number", sa.String(24)),
    ("benefit_decision", "bank_account", sa.String(30)),
    ("benefit_payment", "bank_account", sa.String(30)),
    ("payment_run", "bank_file", sa.Text()),
    ("settlement", "bank_account", sa.String(30)),
    ("application", "answers", sa.JSON()),
    ("draft", "answers", sa.JSON()),
    ("transfer_case", "letter", sa.JSON()),
    ("transfer_case", "approval_sheet", sa.JSON()),
    ("outbox_message", "recipient", sa.String(40)),
    ("outbox_message", "body", sa.Text()),
    ("outbox_message", "params", sa.JSON()),
    ("fraud_report", "contact_phone", sa.String(20)),
    ("refused_contribution", "id_number", sa.String(24)),
    ("outgoing_batch", "content", sa.Text()),
]
# Look-up columns and their keyed hash: (table, column) → nullable
HASHED = {("person", "id_number"): False, ("person", "phone"): True,
          ("death_report", "id_number"): False, ("outbox_message", "recipient"): True}


def _ring():
    return context.config.attributes["keyring"]


def _by_table(items):
    tables = {}
    for table, column, *rest in items:
        tables.setdefault(table, []).append((column, *rest))
    return tables


def _rewrite(table: str, columns: list[str], change) -> None:
    """Each row's columns (as stored: JSON columns as their JSON text) through `change(column, stored) -> {column: new}` (NULL stays)."""
    connection = op.get_bind()
    t = sa.table(table, sa.column("id"), *(sa.column(c, sa.Text) for c in columns))
    hashes = [f"{c}_hash" for c in columns if (table, c) in HASHED]
    t_out = sa.table(table, sa.column("id"), *(sa.column(c, sa.Text) for c in columns),
                     *(sa.column(h, sa.String) for h in hashes))
    for row in connection.execute(sa.select(t).order_by(t.c.id)).all():
        values = {}
        for column in columns:
            stored = getattr(row, column)
            if stored is not None:
                values.update(change(table, column, stored))
        if values:
            connection.execute(sa.update(t_out).where(t_out.c.id == row.id).values(values))


def _seal(table, column, plain):
    ring = _ring()
    values = {column: ring.seal(plain)}
    if (table, column) in HASHED:
        values[f"{column}_hash"] = ring.blind_index(plain)
    return values


def _open(table, column, sealed):
    return {column: _ring().open(sealed)}


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("person") as batch:
        batch.drop_index("ix_person_id_number")
        batch.drop_constraint("uq_person_id_type", type_="unique")
    with op.batch_alter_table("death_report") as batch:
        batch.drop_index("ix_death_report_id_number")
    for table, columns in _by_table(SEALED).items():
        with op.batch_alter_table(table) as batch:
            for column, before in columns:
                using = f"{column}::text" if postgres and isinstance(before, sa.JSON) else None
                batch.alter_column(column, type_=sa.Text(), existing_type=before,
                                   postgresql_using=using)
            for column, _before in columns:
                if (table, column) in HASHED:
                    batch.add_column(sa.Column(f"{column}_hash", sa.String(64), nullable=True))
    for table, columns in _by_table(SEALED).items():
        _rewrite(table, [c for c, _b in columns], _seal)
    for (table, column), nullable in HASHED.items():
        with op.batch_alter_table(table) as batch:
            if not nullable:
                batch.alter_column(f"{column}_hash", existing_type=sa.String(64),
                                   nullable=False)
            batch.create_index(f"ix_{table}_{column}_hash", [f"{column}_hash"])
    with op.batch_alter_table("person") as batch:
        batch.create_unique_constraint("uq_person_id_type", ["id_type", "id_number_hash"])
    op.create_table(
        "data_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("staff_role", sa.String(length=20), nullable=False),
        sa.Column("staff_region_code", sa.String(length=12), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("object_ref", sa.String(length=40), nullable=False),
        sa.Column("audit_record_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["audit_record_id"], ["audit_record.id"],
                                name=op.f("fk_data_access_audit_record_id_audit_record")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_data_access_person_id_person")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_user.id"],
                                name=op.f("fk_data_access_staff_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_access")),
    )
    with op.batch_alter_table("data_access") as batch:
        batch.create_index("ix_data_access_person_id", ["person_id"])
        batch.create_index("ix_data_access_county_code", ["county_code"])


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_table("data_access")
    with op.batch_alter_table("person") as batch:
        batch.drop_constraint("uq_person_id_type", type_="unique")
    for (table, column), _nullable in HASHED.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_{column}_hash")
    for table, columns in _by_table(SEALED).items():
        _rewrite(table, [c for c, _b in columns], _open)
    for table, columns in _by_table(SEALED).items():
        with op.batch_alter_table(table) as batch:
            for column, before in columns:
                if (table, column) in HASHED:
                    batch.drop_column(f"{column}_hash")
                using = f"{column}::json" if postgres and isinstance(before, sa.JSON) else None
                batch.alter_column(column, type_=before, existing_type=sa.Text(),
                                   postgresql_using=using)
    with op.batch_alter_table("person") as batch:
        batch.create_unique_constraint("uq_person_id_type", ["id_type", "id_number"])
        batch.create_index("ix_person_id_number", ["id_number"])
    with op.batch_alter_table("death_report") as batch:
        batch.create_index("ix_death_report_id_number", ["id_number"])

