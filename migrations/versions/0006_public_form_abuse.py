"""public form abuse: categories the public may ask for, requested categories, disputes, submitting address

Revision ID: 0006_public_form_abuse
Revises: 0005_session_generation
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa

revision = '0006_public_form_abuse'
down_revision = '0005_session_generation'
branch_labels = None
depends_on = None


def upgrade():
    # forums and companies get plain ADD COLUMNs, never a batch copy: on SQLite a copy drops the old table,
    # and with foreign keys on, ON DELETE CASCADE would take every company and registration with it.
    # (A server default that is an SQL expression would make Alembic copy: it is a plain string here.)
    op.add_column('forums', sa.Column('public_categories', sa.JSON(), server_default='["delegate"]', nullable=False))
    op.add_column('companies', sa.Column('submitted_from', sa.String(length=45), nullable=True))
    op.create_index('ix_companies_contact_email_created_at', 'companies', ['contact_email', 'created_at'], unique=False)
    op.create_index('ix_companies_submitted_from_created_at', 'companies', ['submitted_from', 'created_at'],
                    unique=False)
    # registrations has no children: the copy SQLite needs to add a CHECK is safe.
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_category', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('disputed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            'requested_category', "requested_category IN ('delegate', 'speaker', 'press', 'vip')")


def downgrade():
    # registrations has no children: a batch copy (SQLite) is safe. forums and companies have (ON DELETE
    # CASCADE): a batch copy would drop the old table and, with foreign keys on, its rows' children with it.
    # Their columns go with a plain DROP COLUMN instead (SQLite 3.35+; no index or constraint left on them).
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('disputed_at')
        # The enum's CHECK goes first: SQLite's batch copy would otherwise keep it, naming a column that is gone.
        batch_op.drop_constraint(op.f('ck_registrations_requested_category'), type_='check')
        batch_op.drop_column('requested_category')
    op.drop_index('ix_companies_submitted_from_created_at', table_name='companies')
    op.drop_index('ix_companies_contact_email_created_at', table_name='companies')
    op.drop_column('companies', 'submitted_from')
    op.drop_column('forums', 'public_categories')
