"""nightly batch: lock, per-document state, run progress

Revision ID: b001
Revises: 0001
Create Date: 2026-11-28 16:30:00

Tables of ``web/batch_models.py`` (the nightly batch, the ``web/batch/`` package).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b001'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('batch_locks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('owner_pid', sa.Integer(), nullable=False),
    sa.Column('owner_host', sa.String(length=255), nullable=False),
    sa.Column('owner_started', sa.String(length=32), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_batch_locks'))
    )
    op.create_table('batch_document_states',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('input_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('content_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=600), nullable=False),
    sa.Column('statements', sa.Integer(), nullable=False),
    sa.Column('partners', sa.JSON(), nullable=False),
    sa.Column('uncovered', sa.JSON(), nullable=True),
    sa.Column('dirty', sa.Boolean(), nullable=False),
    sa.Column('checked_run_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checked_run_id'], ['check_runs.id'], name=op.f('fk_batch_document_states_checked_run_id_check_runs')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_batch_document_states_document_id_documents')),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], name=op.f('fk_batch_document_states_version_id_document_versions')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_batch_document_states'))
    )
    op.create_table('batch_run_progress',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=32), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('documents_total', sa.Integer(), nullable=False),
    sa.Column('documents_due', sa.Integer(), nullable=False),
    sa.Column('statements_due', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['check_runs.id'], name=op.f('fk_batch_run_progress_run_id_check_runs')),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_batch_run_progress'))
    )


def downgrade() -> None:
    op.drop_table('batch_run_progress')
    op.drop_table('batch_document_states')
    op.drop_table('batch_locks')
