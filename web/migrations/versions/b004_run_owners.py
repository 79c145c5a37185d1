"""check runs: the process that owns a run, so a run orphaned by a crash can be told apart

Revision ID: b004
Revises: b003
Create Date: 2026-12-03 07:40:00

A run left ``running`` by a killed server stayed so forever. With its owner's pid, host and
process start time, the next check (or a look at the runs page) marks it ``interrupted``.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b004'
down_revision = 'b003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('check_runs') as batch:
        batch.add_column(sa.Column('owner_pid', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('owner_host', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('owner_started', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('check_runs') as batch:
        batch.drop_column('owner_started')
        batch.drop_column('owner_host')
        batch.drop_column('owner_pid')
