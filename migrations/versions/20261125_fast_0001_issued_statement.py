"""issued statements: short verification tokens and the QR code drawn once

Revision ID: fast_0001
Revises: dispute_0001
Create Date: 2026-11-25 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "fast_0001"
down_revision = "dispute_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "issued_statement",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("masked_name", sa.String(length=40), nullable=False),
        sa.Column("closing_fen", sa.BigInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("qr_url", sa.String(length=200), nullable=True),
        sa.Column("qr_svg", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["personal_account.id"],
                                name=op.f("fk_issued_statement_account_id_personal_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_statement")),
    )
    op.create_index("ix_issued_statement_account_period", "issued_statement",
                    ["account_id", "period"])


def downgrade():
    op.drop_index("ix_issued_statement_account_period", table_name="issued_statement")
    op.drop_table("issued_statement")
