"""badges: each forum's Ed25519 key pair for its badge tokens

Revision ID: 0012_forum_keys
Revises: 0011_teams
Create Date: 2026-11-24

Forums get their key the first time one is needed (badges.keys.key_pair), so existing forums need no backfill.
"""
import sqlalchemy as sa
from alembic import op

import forum.db

revision = '0012_forum_keys'
down_revision = '0011_teams'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('forum_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('private_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(public_key) = 32 AND length(private_key) = 32', name=op.f('ck_forum_keys_raw_ed25519')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_forum_keys_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_keys')),
    sa.UniqueConstraint('forum_id', name=op.f('uq_forum_keys_forum_id'))
    )


def downgrade():
    op.drop_table('forum_keys')
