"""corrections and substitutions: a forum's badge deadline and whether it allows substitutions; a registration's
"changed since approval" mark and the registration that took its place

Revision ID: 0008_corrections
Revises: 0007_teams_organisations
Create Date: 2026-11-26

"""
import sqlalchemy as sa
from alembic import op

import forum.db

revision = '0008_corrections'
down_revision = '0007_teams_organisations'
branch_labels = None
depends_on = None


def upgrade():
    # forums: plain ADD COLUMNs (no copy needed for a nullable column or a constant server default).
    op.add_column('forums', sa.Column('badge_deadline', forum.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('forums', sa.Column('allow_substitutions', sa.Boolean(), server_default=sa.true(), nullable=False))
    # registrations: a foreign key needs SQLite's batch copy; migrations run with foreign keys off
    # (migrations/env.py), so the copy takes nothing with it.
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_since_approval_at', forum.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('substituted_by_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_registrations_substituted_by_id', ['substituted_by_id'], unique=False)
        batch_op.create_foreign_key('fk_registrations_substituted_by_id_registrations', 'registrations',
                                    ['substituted_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_registrations_substituted_by_id_registrations', type_='foreignkey')
        batch_op.drop_index('ix_registrations_substituted_by_id')
        batch_op.drop_column('substituted_by_id')
        batch_op.drop_column('changed_since_approval_at')
    op.drop_column('forums', 'allow_substitutions')
    op.drop_column('forums', 'badge_deadline')
