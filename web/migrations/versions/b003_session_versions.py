"""users: a session version, so logout and a password change end every session

Revision ID: b003
Revises: b002
Create Date: 2026-12-03 06:40:00

Session cookies are signed, not stored, so a copied cookie outlives ``session.clear()``. Each
user now has a counter that the cookie must match; logging out or changing the password bumps it.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b003'
down_revision = 'b002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('session_version')
