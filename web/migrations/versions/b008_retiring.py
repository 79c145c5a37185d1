"""protocols, documents and departments can be retired: kept with their history, out of checks

Revision ID: b008
Revises: b007
Create Date: 2026-12-03 20:25:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b008'
down_revision = 'b007'
branch_labels = None
depends_on = None

TABLES = ('protocols', 'documents', 'departments')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('retired_at')
