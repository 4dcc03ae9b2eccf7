"""outbox: only the indexes something reads

The yearly crediting writes an outbox row for every credited account (a million and more in a
province), and every index on the table is one more insert per row. Two indexes were never read
by any query: `created_at` (the one query with a date filters by person first) and
`recipient_hash` (the phone's keyed hash stays, so a staff look-up by number still works, by
scan). `batch_id` is only set on the tax department's registration messages: a partial index
holds just those.

Revision ID: lead_0001
Revises: credit_0001
Create Date: 2026-11-26 00:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "lead_0001"
down_revision = "credit_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_message_created_at")
        batch.drop_index("ix_outbox_message_recipient_hash")
        batch.drop_index("ix_outbox_message_batch_id")
    op.create_index("ix_outbox_message_batch_id", "outbox_message", ["batch_id"],
                    postgresql_where=sa.text("batch_id IS NOT NULL"),
                    sqlite_where=sa.text("batch_id IS NOT NULL"))


def downgrade():
    op.drop_index("ix_outbox_message_batch_id", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        batch.create_index("ix_outbox_message_batch_id", ["batch_id"])
        batch.create_index("ix_outbox_message_recipient_hash", ["recipient_hash"])
        batch.create_index("ix_outbox_message_created_at", ["created_at"])
