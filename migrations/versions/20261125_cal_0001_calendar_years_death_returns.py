"""calendar years confirmed by a second person; villages' monthly death returns

A year's holiday notice is entered by one member of staff and confirmed by another
(calendar_year); a village's monthly return of deaths, or of none (death_return, 第三十二条).

Revision ID: cal_0001
Revises: b7e1c2d3a4f5
Create Date: 2026-11-25 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "cal_0001"
down_revision = "b7e1c2d3a4f5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("notice", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("entered_by", sa.String(length=40), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=40), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_year")),
    )
    op.create_table(
        "death_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=False),
        sa.Column("deaths", sa.Integer(), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["filed_by"], ["staff_user.id"],
                                name=op.f("fk_death_return_filed_by_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_death_return")),
        sa.UniqueConstraint("village_code", "month",
                            name=op.f("uq_death_return_village_code")),
    )
    with op.batch_alter_table("death_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_death_return_village_code"), ["village_code"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("death_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_death_return_village_code"))
    op.drop_table("death_return")
    op.drop_table("calendar_year")
