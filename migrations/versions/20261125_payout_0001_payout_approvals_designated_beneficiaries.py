"""two people on every payout (payout_approval), designated beneficiaries, the settlement's
payee and approval status, the re-issue that released a payment

Revision ID: payout_0001
Revises: celery_0001
Create Date: 2026-11-25 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "payout_0001"
down_revision = "celery_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payout_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("prepared_by", sa.String(length=40), nullable=False),
        sa.Column("prepared_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=40), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"],
                                name=op.f("fk_payout_approval_application_id_application")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_payout_approval_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_approval")),
        sa.UniqueConstraint("kind", "subject", name=op.f("uq_payout_approval_kind")),
    )
    with op.batch_alter_table("payout_approval", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_approval_county_code"), ["county_code"],
                              unique=False)
    op.create_table(
        "designated_beneficiary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("id_type", sa.String(length=24), nullable=False),
        sa.Column("id_number", sa.Text(), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.Column("relationship", sa.String(length=20), nullable=True),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("named_at", sa.DateTime(), nullable=False),
        sa.Column("named_by", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_designated_beneficiary_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_designated_beneficiary")),
    )
    with op.batch_alter_table("designated_beneficiary", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_designated_beneficiary_person_id"), ["person_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_designated_beneficiary_id_number_hash"),
                              ["id_number_hash"], unique=False)
    with op.batch_alter_table("settlement", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=12),
                              type_=sa.String(length=20), existing_nullable=False)
        batch_op.add_column(sa.Column("payee_role", sa.String(length=24), nullable=True))
    with op.batch_alter_table("benefit_payment", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=10),
                              type_=sa.String(length=12), existing_nullable=False)
        batch_op.add_column(sa.Column("approval_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_benefit_payment_approval_id_payout_approval"), "payout_approval",
            ["approval_id"], ["id"])


def downgrade():
    with op.batch_alter_table("benefit_payment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_benefit_payment_approval_id_payout_approval"),
                                 type_="foreignkey")
        batch_op.drop_column("approval_id")
        batch_op.alter_column("status", existing_type=sa.String(length=12),
                              type_=sa.String(length=10), existing_nullable=False)
    with op.batch_alter_table("settlement", schema=None) as batch_op:
        batch_op.drop_column("payee_role")
        batch_op.alter_column("status", existing_type=sa.String(length=20),
                              type_=sa.String(length=12), existing_nullable=False)
    with op.batch_alter_table("designated_beneficiary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_designated_beneficiary_id_number_hash"))
        batch_op.drop_index(batch_op.f("ix_designated_beneficiary_person_id"))
    op.drop_table("designated_beneficiary")
    with op.batch_alter_table("payout_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_approval_county_code"))
    op.drop_table("payout_approval")
