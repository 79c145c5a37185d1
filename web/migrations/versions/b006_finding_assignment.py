"""findings: an assignee and an optional due date

Revision ID: b006
Revises: b005
Create Date: 2026-12-03 20:00:00

A quality officer hands a finding to someone (a department lead, another officer) with a date
it should be dealt with by; "Assigned to me" lists them.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b006'
down_revision = 'b005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('findings') as batch:
        batch.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch.create_foreign_key(op.f('fk_findings_assignee_id_users'), 'users', ['assignee_id'], ['id'])
        batch.create_index(op.f('ix_findings_assignee_id'), ['assignee_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('findings') as batch:
        batch.drop_index(op.f('ix_findings_assignee_id'))
        batch.drop_constraint(op.f('fk_findings_assignee_id_users'), type_='foreignkey')
        batch.drop_column('due_on')
        batch.drop_column('assignee_id')
