"""users: a session generation, part of every session and remember-me cookie

Revision ID: 0005_session_generation
Revises: 0004_outbox_to_name
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa

revision = '0005_session_generation'
down_revision = '0004_outbox_to_name'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
