"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 15:59:52.976202
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('slug', name=op.f('uq_departments_slug'))
    )
    op.create_table('protocols',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocols')),
    sa.UniqueConstraint('filename', name=op.f('uq_protocols_filename'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_documents_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('department_id', 'filename', name='uq_documents_department_filename')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('api_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'quality_officer', 'department_lead')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_users_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('api_token_hash', name=op.f('uq_users_api_token_hash')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)

    op.create_table('check_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('triggered_by_id', sa.Integer(), nullable=True),
    sa.Column('documents_checked', sa.Integer(), nullable=False),
    sa.Column('statements_checked', sa.Integer(), nullable=False),
    sa.Column('embeddings_computed', sa.Integer(), nullable=False),
    sa.Column('embeddings_reused', sa.Integer(), nullable=False),
    sa.Column('pairs_judged', sa.Integer(), nullable=False),
    sa.Column('findings_new', sa.Integer(), nullable=False),
    sa.Column('findings_unchanged', sa.Integer(), nullable=False),
    sa.Column('findings_resolved', sa.Integer(), nullable=False),
    sa.Column('findings_reopened', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['triggered_by_id'], ['users.id'], name=op.f('fk_check_runs_triggered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_runs'))
    )
    op.create_table('document_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_versions_document_id_documents')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_document_versions_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_versions')),
    sa.UniqueConstraint('document_id', 'number', name='uq_document_versions_number')
    )
    op.create_table('protocol_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('protocol_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['protocol_id'], ['protocols.id'], name=op.f('fk_protocol_versions_protocol_id_protocols')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_protocol_versions_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_versions')),
    sa.UniqueConstraint('protocol_id', 'number', name='uq_protocol_versions_number')
    )
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('statement_text', sa.Text(), nullable=False),
    sa.Column('statement_key', sa.String(length=64), nullable=False),
    sa.Column('statement_start', sa.Integer(), nullable=False),
    sa.Column('statement_end', sa.Integer(), nullable=False),
    sa.Column('statement_highlights', sa.JSON(), nullable=False),
    sa.Column('source_role', sa.String(length=16), nullable=False),
    sa.Column('source_path', sa.String(length=600), nullable=False),
    sa.Column('source_protocol_id', sa.Integer(), nullable=True),
    sa.Column('source_document_id', sa.Integer(), nullable=True),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('source_start', sa.Integer(), nullable=False),
    sa.Column('source_end', sa.Integer(), nullable=False),
    sa.Column('source_highlights', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_changed_by_id', sa.Integer(), nullable=True),
    sa.Column('first_seen_run_id', sa.Integer(), nullable=True),
    sa.Column('last_seen_run_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by_run_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'confirmed', 'dismissed', 'resolved')", name=op.f('ck_findings_status')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_findings_document_id_documents')),
    sa.ForeignKeyConstraint(['first_seen_run_id'], ['check_runs.id'], name=op.f('fk_findings_first_seen_run_id_check_runs')),
    sa.ForeignKeyConstraint(['last_seen_run_id'], ['check_runs.id'], name=op.f('fk_findings_last_seen_run_id_check_runs')),
    sa.ForeignKeyConstraint(['resolved_by_run_id'], ['check_runs.id'], name=op.f('fk_findings_resolved_by_run_id_check_runs')),
    sa.ForeignKeyConstraint(['resolved_by_version_id'], ['document_versions.id'], name=op.f('fk_findings_resolved_by_version_id_document_versions')),
    sa.ForeignKeyConstraint(['source_document_id'], ['documents.id'], name=op.f('fk_findings_source_document_id_documents')),
    sa.ForeignKeyConstraint(['source_protocol_id'], ['protocols.id'], name=op.f('fk_findings_source_protocol_id_protocols')),
    sa.ForeignKeyConstraint(['status_changed_by_id'], ['users.id'], name=op.f('fk_findings_status_changed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_findings_fingerprint'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_source_document_id'), ['source_document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_source_protocol_id'), ['source_protocol_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_status'), ['status'], unique=False)

    op.create_table('statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_version_id', sa.Integer(), nullable=True),
    sa.Column('protocol_version_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('start_offset', sa.Integer(), nullable=False),
    sa.Column('end_offset', sa.Integer(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('text_key', sa.String(length=64), nullable=False),
    sa.CheckConstraint('(document_version_id IS NULL) <> (protocol_version_id IS NULL)', name=op.f('ck_statements_one_owner')),
    sa.ForeignKeyConstraint(['document_version_id'], ['document_versions.id'], name=op.f('fk_statements_document_version_id_document_versions')),
    sa.ForeignKeyConstraint(['protocol_version_id'], ['protocol_versions.id'], name=op.f('fk_statements_protocol_version_id_protocol_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements'))
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statements_document_version_id'), ['document_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statements_protocol_version_id'), ['protocol_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statements_text_key'), ['text_key'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_comments_finding_id_findings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_comments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_finding_id'), ['finding_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_finding_id'))

    op.drop_table('comments')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_text_key'))
        batch_op.drop_index(batch_op.f('ix_statements_protocol_version_id'))
        batch_op.drop_index(batch_op.f('ix_statements_document_version_id'))

    op.drop_table('statements')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_status'))
        batch_op.drop_index(batch_op.f('ix_findings_source_protocol_id'))
        batch_op.drop_index(batch_op.f('ix_findings_source_document_id'))
        batch_op.drop_index(batch_op.f('ix_findings_severity'))
        batch_op.drop_index(batch_op.f('ix_findings_kind'))
        batch_op.drop_index(batch_op.f('ix_findings_document_id'))

    op.drop_table('findings')
    op.drop_table('protocol_versions')
    op.drop_table('document_versions')
    op.drop_table('check_runs')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_target')
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))

    op.drop_table('audit_log')
    op.drop_table('users')
    op.drop_table('documents')
    op.drop_table('protocols')
    op.drop_table('departments')
