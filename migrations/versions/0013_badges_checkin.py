"""badges, check-in scans and API device tokens

Revision ID: 0013_badges_checkin
Revises: 0012_forum_keys
Create Date: 2026-11-24

Badges are issued when a registration is approved (badges.issuing); registrations approved before this
revision get theirs the first time the forum's badges are needed (issuing.ensure_badges).
"""
from alembic import op
import sqlalchemy as sa
import forum.db


# revision identifiers, used by Alembic.
revision = '0013_badges_checkin'
down_revision = '0012_forum_keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_api_tokens_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_api_tokens_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_forum_id'), ['forum_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('badges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=18), nullable=False),
    sa.Column('token', sa.String(length=125), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('team_role', sa.Enum('organizer', 'staff', name='teamrole', native_enum=False, create_constraint=True, length=10), nullable=True),
    sa.Column('issued_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Enum('reissued', 'rejected', 'withdrawn', 'cancelled', 'left_team', 'manual', name='revokereason', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('printed_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('printed_fingerprint', sa.String(length=64), server_default='', nullable=False),
    sa.Column('first_checked_in_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_checked_in_device', sa.String(length=100), server_default='', nullable=False),
    sa.Column('inside', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint('(registration_id IS NULL) <> (user_id IS NULL)', name=op.f('ck_badges_one_holder')),
    sa.CheckConstraint('(revoked_at IS NULL) = (revoked_reason IS NULL)', name=op.f('ck_badges_revoked_with_reason')),
    sa.CheckConstraint('(user_id IS NULL) = (team_role IS NULL)', name=op.f('ck_badges_team_role_of_team_badge')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_badges_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_badges_issued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_badges_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_id'], ['badges.id'], name=op.f('fk_badges_replaces_id_badges'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_badges_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_badges_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badges')),
    sa.UniqueConstraint('code', name=op.f('uq_badges_code'))
    )
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.create_index('ix_badges_forum_revoked_at', ['forum_id', 'revoked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_badges_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_badges_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_badges_live_registration', ['registration_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.create_index('uq_badges_live_team_member', ['forum_id', 'user_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL AND user_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND user_id IS NOT NULL'))

    op.create_table('checkin_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('badge_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.Enum('ok', 'already_checked_in', 'not_checked_in', 'invalid', 'revoked', 'not_approved', 'wrong_forum', 'forum_cancelled', name='result', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('direction', sa.Enum('in', 'out', name='direction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('code', sa.String(length=300), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('device', sa.String(length=100), nullable=False),
    sa.Column('api_token_id', sa.Integer(), nullable=True),
    sa.Column('nonce', sa.String(length=100), nullable=False),
    sa.Column('scanned_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recorded_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('offline', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('first_checked_in_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_checked_in_device', sa.String(length=100), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['api_token_id'], ['api_tokens.id'], name=op.f('fk_checkin_scans_api_token_id_api_tokens'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['badge_id'], ['badges.id'], name=op.f('fk_checkin_scans_badge_id_badges'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_checkin_scans_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checkin_scans_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_scans')),
    sa.UniqueConstraint('forum_id', 'nonce', name='uq_checkin_scans_forum_nonce')
    )
    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_scans_badge_id'), ['badge_id'], unique=False)
        batch_op.create_index('ix_checkin_scans_forum_recorded_at', ['forum_id', 'recorded_at'], unique=False)
        batch_op.create_index('ix_checkin_scans_forum_result', ['forum_id', 'result'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_scans_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_scans_user_id'))
        batch_op.drop_index('ix_checkin_scans_forum_result')
        batch_op.drop_index('ix_checkin_scans_forum_recorded_at')
        batch_op.drop_index(batch_op.f('ix_checkin_scans_badge_id'))

    op.drop_table('checkin_scans')
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.drop_index('uq_badges_live_team_member', sqlite_where=sa.text('revoked_at IS NULL AND user_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND user_id IS NOT NULL'))
        batch_op.drop_index('uq_badges_live_registration', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_badges_user_id'))
        batch_op.drop_index(batch_op.f('ix_badges_registration_id'))
        batch_op.drop_index('ix_badges_forum_revoked_at')

    op.drop_table('badges')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_tokens_forum_id'))

    op.drop_table('api_tokens')
