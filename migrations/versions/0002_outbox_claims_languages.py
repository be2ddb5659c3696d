"""outbox claims with a lease; mail language per delegate and contact; forum cancellation reason

Revision ID: 0002_claims_languages
Revises: 14c0c758e9f7
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa
import forum.db

revision = '0002_claims_languages'
down_revision = '14c0c758e9f7'
branch_labels = None
depends_on = None

OLD_STATUS = sa.Enum('queued', 'sent', 'failed', name='mailstatus', native_enum=False, create_constraint=True,
                     length=20)
NEW_STATUS = sa.Enum('queued', 'sending', 'sent', 'failed', name='mailstatus', native_enum=False,
                     create_constraint=True, length=20)


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', forum.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('status', existing_type=OLD_STATUS, type_=NEW_STATUS, existing_nullable=False)
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_language', sa.String(length=5), server_default='en', nullable=False))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='en', nullable=False))
    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', forum.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancellation_reason', sa.Text(), server_default='', nullable=False))
    # Existing rows: each delegate's mails keep coming in the language of their account.
    op.execute("UPDATE registrations SET language = COALESCE("
               "(SELECT users.language FROM users WHERE users.id = registrations.user_id), 'en')")
    op.execute("UPDATE companies SET contact_language = COALESCE("
               "(SELECT users.language FROM users WHERE users.id = companies.contact_user_id), 'en')")


def downgrade():
    op.execute("UPDATE outbox SET status = 'queued' WHERE status = 'sending'")
    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.drop_column('cancellation_reason')
        batch_op.drop_column('cancelled_at')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('contact_language')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=NEW_STATUS, type_=OLD_STATUS, existing_nullable=False)
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('claimed_by')
