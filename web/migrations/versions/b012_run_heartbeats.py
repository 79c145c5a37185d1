"""run heartbeats: a running check refreshes a heartbeat on its run and on the check lock

Revision ID: b012
Revises: b011
Create Date: 2026-12-07 09:00:00

A check run whose machine died was noticed by the other machines only once it was older than
``lock_stale_seconds`` (6 h by default), since its pid cannot be checked from there. A running check
(the nightly batch, a worker's check) now refreshes a heartbeat every ``run_heartbeat_seconds``
(``web.queue_settings``, 30 s by default) in a thread of its own, and records that interval with it:
``check_runs.heartbeat_at`` and ``check_runs.heartbeat_seconds`` on the run, and
``batch_locks.heartbeat_seconds`` next to the lock's existing ``heartbeat_at``. Another host counts the
run and its lock as dead after ``web.locks.HEARTBEAT_MISSES`` (4) intervals without a heartbeat; rows
without an interval (older runs, a version without heartbeats) keep the ``lock_stale_seconds`` rule.

Plain ``ADD COLUMN``s (nullable): SQLite does not re-create ``check_runs``, so no trigger of b011 is lost.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b012'
down_revision = 'b011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('check_runs') as batch:
        batch.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('heartbeat_seconds', sa.Integer(), nullable=True))
    with op.batch_alter_table('batch_locks') as batch:
        batch.add_column(sa.Column('heartbeat_seconds', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('batch_locks') as batch:
        batch.drop_column('heartbeat_seconds')
    with op.batch_alter_table('check_runs') as batch:
        batch.drop_column('heartbeat_seconds')
        batch.drop_column('heartbeat_at')
