"""attempt counters and send quotas in the database; each TOTP step once per account; the
registries' answer on each death report

Revision ID: b7e3c1a9d402
Revises: 16ebcd7486bd
Create Date: 2026-11-25 18:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'b7e3c1a9d402'
down_revision = '16ebcd7486bd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attempt_counter',
    sa.Column('subject', sa.String(length=160), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('resets_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('subject', name=op.f('pk_attempt_counter'))
    )
    with op.batch_alter_table('attempt_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_counter_resets_at'), ['resets_at'],
                              unique=False)
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.drop_column('failed_attempts')
        batch_op.drop_column('locked_until')
    with op.batch_alter_table('death_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registry_result', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('death_report', schema=None) as batch_op:
        batch_op.drop_column('registry_result')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.drop_column('totp_last_step')
    with op.batch_alter_table('attempt_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_counter_resets_at'))
    op.drop_table('attempt_counter')
