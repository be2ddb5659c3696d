"""Issue 13: forum texts per language, messages to registrants (announcements), postponements with replies

Revision ID: 0019_texts_messages_postponing
Revises: 0018_kk_uz_languages
Create Date: 2026-11-24 21:18:43.420079

"""
from alembic import op
import sqlalchemy as sa
import forum.db


# revision identifiers, used by Alembic.
revision = '0019_texts_messages_postponing'
down_revision = '0018_kk_uz_languages'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('bodies', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('recipients_count', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('sent_at IS NOT NULL OR recipients_count = 0', name=op.f('ck_announcements_count_when_sent')),
    sa.CheckConstraint('recipients_count >= 0', name=op.f('ck_announcements_recipients_count_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_announcements_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_announcements_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_announcements_sent_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements')),
    sa.UniqueConstraint('public_id', name=op.f('uq_announcements_public_id'))
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcements_forum_id'), ['forum_id'], unique=False)

    op.create_table('forum_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('title', sa.String(length=200), server_default='', nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('venue', sa.String(length=200), server_default='', nullable=False),
    sa.Column('practical_info', sa.Text(), server_default='', nullable=False),
    sa.Column('programme', sa.Text(), server_default='', nullable=False),
    sa.Column('updated_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("language IN ('ja', 'ru', 'kk', 'uz')", name=op.f('ck_forum_texts_language_known')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_forum_texts_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_texts')),
    sa.UniqueConstraint('forum_id', 'language', name='uq_forum_texts_forum_language')
    )
    with op.batch_alter_table('forum_texts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_texts_forum_id'), ['forum_id'], unique=False)

    op.create_table('postponements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('old_starts_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('old_ends_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('new_starts_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('new_ends_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('answer_by', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('new_ends_at >= new_starts_at', name=op.f('ck_postponements_new_ends_after_start')),
    sa.CheckConstraint('new_starts_at <> old_starts_at OR new_ends_at <> old_ends_at', name=op.f('ck_postponements_dates_change')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_postponements_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_postponements_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postponements')),
    sa.UniqueConstraint('public_id', name=op.f('uq_postponements_public_id'))
    )
    with op.batch_alter_table('postponements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postponements_forum_id'), ['forum_id'], unique=False)

    op.create_table('announcement_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('announcement_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('text_language', sa.String(length=5), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('resent_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_resent_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_announcement_recipients_email_lower')),
    sa.ForeignKeyConstraint(['announcement_id'], ['announcements.id'], name=op.f('fk_announcement_recipients_announcement_id_announcements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_announcement_recipients_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_announcement_recipients_registration_id_registrations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_recipients')),
    sa.UniqueConstraint('announcement_id', 'email', name='uq_announcement_recipients_address')
    )
    with op.batch_alter_table('announcement_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_recipients_announcement_id'), ['announcement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_announcement_recipients_outbox_id'), ['outbox_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_announcement_recipients_registration_id'), ['registration_id'], unique=False)

    op.create_table('postponement_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('postponement_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Enum('pending', 'confirmed', 'declined', name='answer', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('answered_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminders', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_reminded_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(answer = 'pending') = (answered_at IS NULL)", name=op.f('ck_postponement_replies_answered_when')),
    sa.CheckConstraint('reminders >= 0', name=op.f('ck_postponement_replies_reminders_not_negative')),
    sa.ForeignKeyConstraint(['postponement_id'], ['postponements.id'], name=op.f('fk_postponement_replies_postponement_id_postponements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_postponement_replies_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postponement_replies')),
    sa.UniqueConstraint('postponement_id', 'registration_id', name='uq_postponement_replies_registration')
    )
    with op.batch_alter_table('postponement_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postponement_replies_postponement_id'), ['postponement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_postponement_replies_registration_id'), ['registration_id'], unique=False)

    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.add_column(sa.Column('practical_info', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('programme', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cancellation_reasons', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.drop_column('cancellation_reasons')
        batch_op.drop_column('programme')
        batch_op.drop_column('practical_info')

    with op.batch_alter_table('postponement_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postponement_replies_registration_id'))
        batch_op.drop_index(batch_op.f('ix_postponement_replies_postponement_id'))

    op.drop_table('postponement_replies')
    with op.batch_alter_table('announcement_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_recipients_registration_id'))
        batch_op.drop_index(batch_op.f('ix_announcement_recipients_outbox_id'))
        batch_op.drop_index(batch_op.f('ix_announcement_recipients_announcement_id'))

    op.drop_table('announcement_recipients')
    with op.batch_alter_table('postponements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postponements_forum_id'))

    op.drop_table('postponements')
    with op.batch_alter_table('forum_texts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_texts_forum_id'))

    op.drop_table('forum_texts')
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcements_forum_id'))

    op.drop_table('announcements')
