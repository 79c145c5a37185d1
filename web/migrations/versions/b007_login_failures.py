"""login failures: the lockout after repeated wrong passwords, per account and per address

Revision ID: b007
Revises: b006
Create Date: 2026-12-03 20:05:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'b007'
down_revision = 'b006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures')))
    with op.batch_alter_table('login_failures') as batch:
        batch.create_index(op.f('ix_login_failures_username'), ['username'], unique=False)
        batch.create_index(op.f('ix_login_failures_address'), ['address'], unique=False)
        batch.create_index(op.f('ix_login_failures_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('login_failures')
