"""nightly batch: what each document was last checked against

Revision ID: b002
Revises: b001
Create Date: 2026-11-28 20:20:00

The settings fingerprint and the protocol versions of a document's last batch check, so that a
protocol change re-checks only the documents it can reach (``checker.reach``). Rows from before
this migration have neither and are re-checked in full on the next protocol change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b002'
down_revision = 'b001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('batch_document_states') as batch:
        batch.add_column(sa.Column('settings_fingerprint', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('protocol_versions', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('batch_document_states') as batch:
        batch.drop_column('protocol_versions')
        batch.drop_column('settings_fingerprint')
