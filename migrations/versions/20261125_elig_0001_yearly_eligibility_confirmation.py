"""yearly eligibility confirmation: how each was made, family helpers, traces of life

第三十一条 (人社厅发〔2018〕107号): each confirmation records its method, channel, who confirmed it
(the relative's phone, the assistant's visit) and its evidence; relatives registered as an elder's
helper (亲情认证); the embedded registries' medical and civil-affairs records (静默认证).

Revision ID: elig_0001
Revises: payout_0001
Create Date: 2026-11-25 21:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "elig_0001"
down_revision = "payout_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("eligibility_check", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("helper_person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_eligibility_check_helper_person_id_person"),
                                    "person", ["helper_person_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_eligibility_check_staff_id_staff_user"),
                                    "staff_user", ["staff_id"], ["id"])
        batch_op.create_unique_constraint(batch_op.f("uq_eligibility_check_person_id"),
                                          ["person_id", "confirmed_on", "method"])

    op.create_table(
        "family_helper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("elder_person_id", sa.Integer(), nullable=False),
        sa.Column("helper_person_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("consent_method", sa.String(length=12), nullable=False),
        sa.Column("consented_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["elder_person_id"], ["person.id"],
                                name=op.f("fk_family_helper_elder_person_id_person")),
        sa.ForeignKeyConstraint(["helper_person_id"], ["person.id"],
                                name=op.f("fk_family_helper_helper_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_helper")),
        sa.UniqueConstraint("elder_person_id", "helper_person_id",
                            name=op.f("uq_family_helper_elder_person_id")),
    )
    with op.batch_alter_table("family_helper", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_family_helper_elder_person_id"),
                              ["elder_person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_family_helper_helper_person_id"),
                              ["helper_person_id"], unique=False)

    op.create_table(
        "registry_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_activity")),
    )
    with op.batch_alter_table("registry_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_activity_id_number"), ["id_number"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("registry_activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_activity_id_number"))
    op.drop_table("registry_activity")
    with op.batch_alter_table("family_helper", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_helper_helper_person_id"))
        batch_op.drop_index(batch_op.f("ix_family_helper_elder_person_id"))
    op.drop_table("family_helper")
    with op.batch_alter_table("eligibility_check", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_eligibility_check_person_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_eligibility_check_staff_id_staff_user"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_eligibility_check_helper_person_id_person"),
                                 type_="foreignkey")
        batch_op.drop_column("recorded_at")
        batch_op.drop_column("evidence")
        batch_op.drop_column("staff_id")
        batch_op.drop_column("helper_person_id")
        batch_op.drop_column("channel")
