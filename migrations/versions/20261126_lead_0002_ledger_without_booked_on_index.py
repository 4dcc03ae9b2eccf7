"""ledger: no index on booked_on

Every query that filters the ledger by the day money was booked also names the account (a
balance up to a day, crediting's weighted sums per account), and the account index serves them.
The booked_on index was read by nothing and cost one more index insert for every ledger row: two
million of them for a tax year of a million residents, a million more at crediting.

Revision ID: lead_0002
Revises: lead_0001
Create Date: 2026-11-26 01:50:00
"""

from alembic import op

revision = "lead_0002"
down_revision = "lead_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_ledger_entry_booked_on", table_name="ledger_entry")


def downgrade():
    op.create_index("ix_ledger_entry_booked_on", "ledger_entry", ["booked_on"])
