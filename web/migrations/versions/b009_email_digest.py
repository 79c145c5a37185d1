"""users: an optional e-mail address, whether they want the e-mail digest, when the last one went

Revision ID: b009
Revises: b008
Create Date: 2026-12-04 09:00:00

The digest (``flask --app web send-digest``, off by default) mails each user with an address the
findings that are new for them, assigned to them, or due soon; ``digest_sent_at`` is what "new
since the last digest" counts from, so a re-run sends nothing twice.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b009'
down_revision = 'b008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch.add_column(sa.Column('wants_digest', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column('digest_sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('digest_sent_at')
        batch.drop_column('wants_digest')
        batch.drop_column('email')
