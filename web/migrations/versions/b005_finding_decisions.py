"""findings: the reviewer's standing decision, kept when a check resolves the finding

Revision ID: b005
Revises: b004
Create Date: 2026-12-03 19:50:00

A dismissed or confirmed finding that went away with one version and came back with the next
used to return ``open``, so reviewers triaged it twice. ``decision`` and ``decision_reason``
hold the last confirm / dismiss; existing rows take them from their current status.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b005'
down_revision = 'b004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('findings') as batch:
        batch.add_column(sa.Column('decision', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))
    op.execute("UPDATE findings SET decision = status, decision_reason = status_reason "
               "WHERE status IN ('confirmed', 'dismissed')")


def downgrade() -> None:
    with op.batch_alter_table('findings') as batch:
        batch.drop_column('decision_reason')
        batch.drop_column('decision')
