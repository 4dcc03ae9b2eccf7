"""outbox: an SMS the message centre shows too (one row per account for the statement notice)

The yearly crediting tells every credited resident that the statement is ready. It wrote two
outbox rows per account (in-app and SMS); it now writes one: an SMS row marked `in_app`, or an
in-app row where no phone is known. A constant default, so on PostgreSQL adding the column
does not rewrite the table.

Revision ID: credit_0001
Revises: taximport_0001
Create Date: 2026-11-26 00:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "credit_0001"
down_revision = "taximport_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("in_app", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    # Each combined row becomes the two rows it stands for, so no resident loses a message.
    op.execute(
        "INSERT INTO outbox_message (created_at, channel, kind, person_id, body, params, "
        "status, attempts) SELECT created_at, 'in_app', kind, person_id, body, params, "
        "'pending', 0 FROM outbox_message WHERE in_app AND channel = 'sms'")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("in_app")
