"""outbox: the recipient's display name, for the To header

Revision ID: 0004_outbox_to_name
Revises: 0003_search_keys
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa

revision = '0004_outbox_to_name'
down_revision = '0003_search_keys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_name', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('to_name')
