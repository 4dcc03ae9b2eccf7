"""job runs (one per job and period) and SMS delivery state in the outbox

Scheduled jobs record their run per period (a payment run per month, a comparison per day) so
that several workers run each once; the row is also the lock where the database has no advisory
locks (SQLite). SMS in the outbox get their tries, backoff and the dispatcher that claimed them.

Revision ID: celery_0001
Revises: cal_0001
Create Date: 2026-11-25 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "celery_0001"
down_revision = "cal_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        sa.UniqueConstraint("name", "period", name=op.f("uq_job_run_name")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("gateway_ref", sa.String(length=80), nullable=True))
        batch_op.create_index("ix_outbox_message_channel_status", ["channel", "status"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_channel_status")
        for column in ("gateway_ref", "last_error", "claimed_at", "claimed_by",
                       "next_attempt_at", "attempts"):
            batch_op.drop_column(column)
    op.drop_table("job_run")
