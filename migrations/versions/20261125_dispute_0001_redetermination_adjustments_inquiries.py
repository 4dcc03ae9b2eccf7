"""disputes that re-decide: re-determinations, payment adjustments, record inquiries

第二十五条: a re-determination names the decision it replaces; the difference for months already
paid is kept per month (benefit_adjustment) and carried by a later payment (adjustment_fen), or
by the settlement when the pension stops first (settlement.adjustment_fen).
第四十四条: the question to the old county about a transferred record and its answer
(record_inquiry).

Revision ID: dispute_0001
Revises: elig_0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "dispute_0001"
down_revision = "elig_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("benefit_decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_benefit_decision_replaces_id_benefit_decision"), "benefit_decision",
            ["replaces_id"], ["id"])
    with op.batch_alter_table("benefit_payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adjustment_fen", sa.Integer(), nullable=False,
                                      server_default="0"))
    with op.batch_alter_table("settlement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adjustment_fen", sa.Integer(), nullable=False,
                                      server_default="0"))
    op.create_table(
        "benefit_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("paid_basic_fen", sa.Integer(), nullable=False),
        sa.Column("paid_account_fen", sa.Integer(), nullable=False),
        sa.Column("due_basic_fen", sa.Integer(), nullable=False),
        sa.Column("due_account_fen", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_benefit_adjustment_person_id_person")),
        sa.ForeignKeyConstraint(["decision_id"], ["benefit_decision.id"],
                                name=op.f("fk_benefit_adjustment_decision_id_benefit_decision")),
        sa.ForeignKeyConstraint(["payment_id"], ["benefit_payment.id"],
                                name=op.f("fk_benefit_adjustment_payment_id_benefit_payment")),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlement.id"],
                                name=op.f("fk_benefit_adjustment_settlement_id_settlement")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_adjustment")),
        sa.UniqueConstraint("decision_id", "month",
                            name=op.f("uq_benefit_adjustment_decision_id")),
    )
    with op.batch_alter_table("benefit_adjustment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benefit_adjustment_person_id"), ["person_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_benefit_adjustment_payment_id"), ["payment_id"],
                              unique=False)
    op.create_table(
        "record_inquiry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("asking_county", sa.String(length=12), nullable=False),
        sa.Column("old_county", sa.String(length=12), nullable=False),
        sa.Column("route", sa.String(length=10), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_by", sa.String(length=40), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("correction_fen", sa.BigInteger(), nullable=True),
        sa.Column("correction_year", sa.Integer(), nullable=True),
        sa.Column("answered_by", sa.String(length=40), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"],
                                name=op.f("fk_record_inquiry_application_id_application")),
        sa.ForeignKeyConstraint(["case_id"], ["transfer_case.id"],
                                name=op.f("fk_record_inquiry_case_id_transfer_case")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_record_inquiry_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_inquiry")),
        sa.UniqueConstraint("application_id", name=op.f("uq_record_inquiry_application_id")),
    )
    with op.batch_alter_table("record_inquiry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_inquiry_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_record_inquiry_person_id"), ["person_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_record_inquiry_old_county"), ["old_county"],
                              unique=False)


def downgrade():
    op.drop_table("record_inquiry")
    op.drop_table("benefit_adjustment")
    with op.batch_alter_table("settlement", schema=None) as batch_op:
        batch_op.drop_column("adjustment_fen")
    with op.batch_alter_table("benefit_payment", schema=None) as batch_op:
        batch_op.drop_column("adjustment_fen")
    with op.batch_alter_table("benefit_decision", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_benefit_decision_replaces_id_benefit_decision"),
                                 type_="foreignkey")
        batch_op.drop_column("replaces_id")
