"""B2B meetings: settings, company profiles, delegates' preferences, meeting requests, the meeting grid
(sessions, slots, tables, interpreters, unavailability), scheduler runs and published meetings

Revision ID: 0014_b2b
Revises: 0013_badges_checkin
Create Date: 2026-11-24 07:58:12.462377

"""
from alembic import op
import sqlalchemy as sa
import forum.db


# revision identifiers, used by Alembic.
revision = '0014_b2b'
down_revision = '0013_badges_checkin'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('b2b_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('request_deadline', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('open_request_quota', sa.Integer(), server_default='20', nullable=False),
    sa.Column('default_max_meetings', sa.Integer(), server_default='8', nullable=False),
    sa.CheckConstraint('default_max_meetings > 0', name=op.f('ck_b2b_settings_max_meetings_positive')),
    sa.CheckConstraint('open_request_quota > 0', name=op.f('ck_b2b_settings_quota_positive')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_b2b_settings_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_b2b_settings')),
    sa.UniqueConstraint('forum_id', name=op.f('uq_b2b_settings_forum_id'))
    )
    op.create_table('interpreters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('all_slots', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_interpreters_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interpreters'))
    )
    with op.batch_alter_table('interpreters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interpreters_forum_id'), ['forum_id'], unique=False)

    op.create_table('meeting_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('starts_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('gap_minutes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('breaks', sa.JSON(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_meeting_sessions_ends_after_start')),
    sa.CheckConstraint('gap_minutes BETWEEN 0 AND 120', name=op.f('ck_meeting_sessions_gap_minutes_range')),
    sa.CheckConstraint('slot_minutes BETWEEN 5 AND 240', name=op.f('ck_meeting_sessions_slot_minutes_range')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_meeting_sessions_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_sessions'))
    )
    with op.batch_alter_table('meeting_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_sessions_forum_id'), ['forum_id'], unique=False)

    op.create_table('meeting_tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), server_default='', nullable=False),
    sa.Column('all_slots', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.CheckConstraint('number > 0', name=op.f('ck_meeting_tables_number_positive')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_meeting_tables_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_tables')),
    sa.UniqueConstraint('forum_id', 'number', name='uq_meeting_tables_forum_number')
    )
    with op.batch_alter_table('meeting_tables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_tables_forum_id'), ['forum_id'], unique=False)

    op.create_table('schedule_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'superseded', name='runstatus', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('time_limit', sa.Float(), nullable=False),
    sa.Column('objective', sa.Integer(), nullable=False),
    sa.Column('bound', sa.Integer(), nullable=False),
    sa.Column('solve_seconds', sa.Float(), nullable=False),
    sa.Column('n_requests', sa.Integer(), nullable=False),
    sa.Column('n_scheduled', sa.Integer(), nullable=False),
    sa.Column('problem', sa.JSON(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_schedule_runs_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_schedule_runs_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_schedule_runs_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_runs'))
    )
    with op.batch_alter_table('schedule_runs', schema=None) as batch_op:
        batch_op.create_index('ix_schedule_runs_forum_created', ['forum_id', 'created_at'], unique=False)

    op.create_table('meeting_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_meeting_slots_ends_after_start')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_meeting_slots_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_meeting_slots_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_slots')),
    sa.UniqueConstraint('session_id', 'starts_at', name='uq_meeting_slots_session_start')
    )
    with op.batch_alter_table('meeting_slots', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_slots_forum_start', ['forum_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_slots_session_id'), ['session_id'], unique=False)

    op.create_table('b2b_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('offers', sa.Text(), server_default='', nullable=False),
    sa.Column('seeks', sa.Text(), server_default='', nullable=False),
    sa.Column('seek_kinds', sa.JSON(), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.Column('target_countries', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('search_key', sa.Text(), server_default='', nullable=False),
    sa.Column('updated_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['company_registrations.id'], name=op.f('fk_b2b_profiles_company_id_company_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_b2b_profiles_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_b2b_profiles_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_b2b_profiles')),
    sa.UniqueConstraint('company_id', name=op.f('uq_b2b_profiles_company_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_b2b_profiles_public_id'))
    )
    with op.batch_alter_table('b2b_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_b2b_profiles_forum_id'), ['forum_id'], unique=False)

    op.create_table('interpreter_slots',
    sa.Column('interpreter_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['interpreter_id'], ['interpreters.id'], name=op.f('fk_interpreter_slots_interpreter_id_interpreters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['meeting_slots.id'], name=op.f('fk_interpreter_slots_slot_id_meeting_slots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('interpreter_id', 'slot_id', name=op.f('pk_interpreter_slots'))
    )
    op.create_table('meeting_table_slots',
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['slot_id'], ['meeting_slots.id'], name=op.f('fk_meeting_table_slots_slot_id_meeting_slots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['table_id'], ['meeting_tables.id'], name=op.f('fk_meeting_table_slots_table_id_meeting_tables'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('table_id', 'slot_id', name=op.f('pk_meeting_table_slots'))
    )
    op.create_table('meeting_prefs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('opted_out', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('max_meetings', sa.Integer(), nullable=True),
    sa.CheckConstraint('max_meetings IS NULL OR max_meetings >= 0', name=op.f('ck_meeting_prefs_max_meetings_non_negative')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_meeting_prefs_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_prefs')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_meeting_prefs_registration_id'))
    )
    op.create_table('meeting_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('target_company_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.Column('priority', sa.Enum('must', 'nice', name='priority', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('response_priority', sa.Enum('must', 'nice', name='response_priority', native_enum=False, create_constraint=True, length=10), nullable=True),
    sa.Column('state', sa.Enum('pending', 'accepted', 'declined', 'cancelled', 'expired', name='requeststate', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('state_changed_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state_changed_by_id', sa.Integer(), nullable=True),
    sa.Column('unscheduled_reason', sa.String(length=20), nullable=True),
    sa.CheckConstraint("state <> 'accepted' OR recipient_id IS NOT NULL", name=op.f('ck_meeting_requests_accepted_has_recipient')),
    sa.CheckConstraint('requester_id <> recipient_id', name=op.f('ck_meeting_requests_not_self')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_meeting_requests_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_meeting_requests_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['registrations.id'], name=op.f('fk_meeting_requests_recipient_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['registrations.id'], name=op.f('fk_meeting_requests_requester_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['state_changed_by_id'], ['users.id'], name=op.f('fk_meeting_requests_state_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_company_id'], ['company_registrations.id'], name=op.f('fk_meeting_requests_target_company_id_company_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_requests')),
    sa.UniqueConstraint('public_id', name=op.f('uq_meeting_requests_public_id'))
    )
    with op.batch_alter_table('meeting_requests', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_requests_forum_state', ['forum_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_requests_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_requests_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_requests_target_company_id'), ['target_company_id'], unique=False)
        batch_op.create_index('uq_meeting_requests_open_pair', ['requester_id', 'target_company_id'], unique=True, sqlite_where=sa.text("state IN ('pending', 'accepted')"), postgresql_where=sa.text("state IN ('pending', 'accepted')"))

    op.create_table('meeting_unavailability',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_meeting_unavailability_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['meeting_slots.id'], name=op.f('fk_meeting_unavailability_slot_id_meeting_slots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', 'slot_id', name=op.f('pk_meeting_unavailability'))
    )
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('a_id', sa.Integer(), nullable=False),
    sa.Column('b_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('interpreter_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('scheduled', 'cancelled', name='meetingstate', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('a_id <> b_id', name=op.f('ck_meetings_two_people')),
    sa.ForeignKeyConstraint(['a_id'], ['registrations.id'], name=op.f('fk_meetings_a_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['b_id'], ['registrations.id'], name=op.f('fk_meetings_b_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_meetings_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interpreter_id'], ['interpreters.id'], name=op.f('fk_meetings_interpreter_id_interpreters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['request_id'], ['meeting_requests.id'], name=op.f('fk_meetings_request_id_meeting_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['schedule_runs.id'], name=op.f('fk_meetings_run_id_schedule_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['slot_id'], ['meeting_slots.id'], name=op.f('fk_meetings_slot_id_meeting_slots'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['table_id'], ['meeting_tables.id'], name=op.f('fk_meetings_table_id_meeting_tables'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    sa.UniqueConstraint('public_id', name=op.f('uq_meetings_public_id'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_a_id'), ['a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_b_id'), ['b_id'], unique=False)
        batch_op.create_index('ix_meetings_forum_state', ['forum_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_request_id'), ['request_id'], unique=False)
        batch_op.create_index('uq_meetings_request_live', ['request_id'], unique=True, sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))
        batch_op.create_index('uq_meetings_slot_a_live', ['slot_id', 'a_id'], unique=True, sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))
        batch_op.create_index('uq_meetings_slot_b_live', ['slot_id', 'b_id'], unique=True, sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))
        batch_op.create_index('uq_meetings_slot_interpreter_live', ['slot_id', 'interpreter_id'], unique=True, sqlite_where=sa.text("state = 'scheduled' AND interpreter_id IS NOT NULL"), postgresql_where=sa.text("state = 'scheduled' AND interpreter_id IS NOT NULL"))
        batch_op.create_index('uq_meetings_slot_table_live', ['slot_id', 'table_id'], unique=True, sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))



def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('uq_meetings_slot_table_live', sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))
        batch_op.drop_index('uq_meetings_slot_interpreter_live', sqlite_where=sa.text("state = 'scheduled' AND interpreter_id IS NOT NULL"), postgresql_where=sa.text("state = 'scheduled' AND interpreter_id IS NOT NULL"))
        batch_op.drop_index('uq_meetings_slot_b_live', sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))
        batch_op.drop_index('uq_meetings_slot_a_live', sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))
        batch_op.drop_index('uq_meetings_request_live', sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))
        batch_op.drop_index(batch_op.f('ix_meetings_request_id'))
        batch_op.drop_index('ix_meetings_forum_state')
        batch_op.drop_index(batch_op.f('ix_meetings_b_id'))
        batch_op.drop_index(batch_op.f('ix_meetings_a_id'))

    op.drop_table('meetings')
    op.drop_table('meeting_unavailability')
    with op.batch_alter_table('meeting_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_meeting_requests_open_pair', sqlite_where=sa.text("state IN ('pending', 'accepted')"), postgresql_where=sa.text("state IN ('pending', 'accepted')"))
        batch_op.drop_index(batch_op.f('ix_meeting_requests_target_company_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_requests_requester_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_requests_recipient_id'))
        batch_op.drop_index('ix_meeting_requests_forum_state')

    op.drop_table('meeting_requests')
    op.drop_table('meeting_prefs')
    op.drop_table('meeting_table_slots')
    op.drop_table('interpreter_slots')
    with op.batch_alter_table('b2b_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_b2b_profiles_forum_id'))

    op.drop_table('b2b_profiles')
    with op.batch_alter_table('meeting_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_slots_session_id'))
        batch_op.drop_index('ix_meeting_slots_forum_start')

    op.drop_table('meeting_slots')
    with op.batch_alter_table('schedule_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_schedule_runs_forum_created')

    op.drop_table('schedule_runs')
    with op.batch_alter_table('meeting_tables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_tables_forum_id'))

    op.drop_table('meeting_tables')
    with op.batch_alter_table('meeting_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_sessions_forum_id'))

    op.drop_table('meeting_sessions')
    with op.batch_alter_table('interpreters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interpreters_forum_id'))

    op.drop_table('interpreters')
    op.drop_table('b2b_settings')
