"""check_runs: checks wait on a task queue (queued -> running -> succeeded / failed / interrupted)

Revision ID: b010
Revises: b009
Create Date: 2026-12-05 09:00:00

An upload, a protocol version, the runs page's button and the API no longer check inside the
request: they store a ``queued`` run and hand its id to the task queue (``web.queue``), and a
worker process with the model loaded does it. The run row says everything a worker needs:
``scope`` (the document ids checked, null for everything), ``resolves_version_id`` (the upload
whose version resolves what no longer occurs), when it was queued and last handed to the queue,
and how many times a worker started it (a worker killed mid-check hands it back, see
``web.orphans``).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b010'
down_revision = 'b009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('check_runs') as batch:
        batch.add_column(sa.Column('scope', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('resolves_version_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch.create_foreign_key(op.f('fk_check_runs_resolves_version_id_document_versions'), 'document_versions',
                                 ['resolves_version_id'], ['id'])
        batch.create_index(op.f('ix_check_runs_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('check_runs') as batch:
        batch.drop_index(op.f('ix_check_runs_status'))
        batch.drop_constraint(op.f('fk_check_runs_resolves_version_id_document_versions'), type_='foreignkey')
        batch.drop_column('attempts')
        batch.drop_column('enqueued_at')
        batch.drop_column('queued_at')
        batch.drop_column('resolves_version_id')
        batch.drop_column('scope')
