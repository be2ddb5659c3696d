"""agendas (seen, calendar URL versions), meetings at the venue (held, no-show, walk-in), outcomes and
reminders, outbox attachments

Revision ID: 0017_agendas_venue_outcomes
Revises: 0016_offline_contacts
Create Date: 2026-11-24 17:53:39.758458

"""
import sqlalchemy as sa
from alembic import op

import forum.db


# revision identifiers, used by Alembic.
revision = '0017_agendas_venue_outcomes'
down_revision = '0016_offline_contacts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agenda_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('calendar_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('calendar_renewed_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('calendar_version > 0', name=op.f('ck_agenda_states_calendar_version_positive')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_agenda_states_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_states')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_agenda_states_registration_id'))
    )
    op.create_table('meeting_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('not_held', 'no_interest', 'informative', 'cooperation_likely', name='outcomekind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('next_step', sa.String(length=500), server_default='', nullable=False),
    sa.Column('next_step_on', sa.Date(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_meeting_outcomes_document_id_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_meeting_outcomes_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_outcomes_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_meeting_outcomes_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_meeting_outcomes_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_outcomes')),
    sa.UniqueConstraint('meeting_id', 'registration_id', name='uq_meeting_outcomes_meeting_side')
    )
    with op.batch_alter_table('meeting_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_outcomes_forum_id'), ['forum_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_outcomes_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_outcomes_registration_id'), ['registration_id'], unique=False)

    op.create_table('outcome_reminders',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_outcome_reminders_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_outcome_reminders_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'registration_id', name=op.f('pk_outcome_reminders'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_at', forum.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('held_via', sa.Enum('scan', 'staff', 'table', name='heldvia', native_enum=False, create_constraint=True, length=10), nullable=True))
        batch_op.add_column(sa.Column('held_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('no_show_at', forum.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('walk_in', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('booked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_meetings_booked_by_id_users'), 'users', ['booked_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_meetings_held_by_id_users'), 'users', ['held_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint('held_how', "(held_at IS NULL) = (held_via IS NULL)")
        batch_op.create_check_constraint(
            'no_show_unheld', "state <> 'no_show' OR (no_show_at IS NOT NULL AND held_at IS NULL)")
        batch_op.drop_constraint(op.f('ck_meetings_meetingstate'), type_='check')
        batch_op.create_check_constraint('meetingstate', "state IN ('scheduled', 'cancelled', 'no_show')")

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('attachments')

    op.execute(sa.text("UPDATE meetings SET state = 'cancelled', cancelled_at = no_show_at WHERE state = 'no_show'"))
    # The CHECKs naming the new columns go first: SQLite's batch copy would otherwise keep them.
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meetings_meetingstate'), type_='check')
        batch_op.create_check_constraint('meetingstate', "state IN ('scheduled', 'cancelled')")
        batch_op.drop_constraint(op.f('ck_meetings_no_show_unheld'), type_='check')
        batch_op.drop_constraint(op.f('ck_meetings_held_how'), type_='check')
        batch_op.drop_constraint(op.f('ck_meetings_heldvia'), type_='check')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_meetings_held_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_meetings_booked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('booked_by_id')
        batch_op.drop_column('walk_in')
        batch_op.drop_column('no_show_at')
        batch_op.drop_column('held_by_id')
        batch_op.drop_column('held_via')
        batch_op.drop_column('held_at')

    op.drop_table('outcome_reminders')
    with op.batch_alter_table('meeting_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_outcomes_registration_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_outcomes_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_outcomes_forum_id'))

    op.drop_table('meeting_outcomes')
    op.drop_table('agenda_states')
