"""reversible decisions and the waitlist: what a cancellation undid (per forum and per registration),
the forum's waitlist mode

Revision ID: 0009_decisions
Revises: 0008_corrections
Create Date: 2026-11-26

Data: forums cancelled before this revision and their cancelled registrations get the state they had
before, read from the audit trail (the forum's "cancelled" entry, each registration's last move to
cancelled), so that they can be reopened like the ones cancelled from now on.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_decisions'
down_revision = '0008_corrections'
branch_labels = None
depends_on = None

FORUM_STATUSES = "'draft', 'published', 'closed', 'held', 'cancelled', 'postponed'"
REG_STATES = "'pending', 'approved', 'rejected', 'waitlisted', 'withdrawn', 'cancelled'"


def upgrade():
    # Foreign keys are off while migrations run on SQLite (migrations/env.py): the batch copy of forums
    # takes none of its children with it.
    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_before_cancellation', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('waitlist_mode', sa.String(length=10), server_default='auto', nullable=False))
        batch_op.create_check_constraint(
            'status_before_cancellation', f"status_before_cancellation IN ({FORUM_STATUSES})")
        batch_op.create_check_constraint('waitlist_mode', "waitlist_mode IN ('auto', 'ask')")
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_before_cancellation', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            'state_before_cancellation', f"state_before_cancellation IN ({REG_STATES})")

    # What the audit trail says each cancellation undid. Only registrations of a cancelled forum: until
    # now nothing else cancelled a registration.
    op.execute(sa.text(f"""
        UPDATE forums SET status_before_cancellation = (
            SELECT a.from_state FROM audit_entries a
            WHERE a.subject_type = 'forum' AND a.subject_id = forums.id AND a.action = 'cancelled'
              AND a.from_state IN ({FORUM_STATUSES})
            ORDER BY a.at DESC, a.id DESC LIMIT 1)
        WHERE status = 'cancelled'
    """))
    op.execute(sa.text(f"""
        UPDATE registrations SET state_before_cancellation = (
            SELECT a.from_state FROM audit_entries a
            WHERE a.subject_type = 'registration' AND a.subject_id = registrations.id
              AND a.action = 'state_change' AND a.to_state = 'cancelled'
              AND a.from_state IN ('pending', 'approved', 'waitlisted')
            ORDER BY a.at DESC, a.id DESC LIMIT 1)
        WHERE state = 'cancelled' AND forum_id IN (SELECT id FROM forums WHERE status = 'cancelled')
    """))


def downgrade():
    # The enums' CHECKs go first: SQLite's batch copy would otherwise keep them, naming columns that are gone.
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registrations_state_before_cancellation'), type_='check')
        batch_op.drop_column('state_before_cancellation')
    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_forums_waitlist_mode'), type_='check')
        batch_op.drop_constraint(op.f('ck_forums_status_before_cancellation'), type_='check')
        batch_op.drop_column('waitlist_mode')
        batch_op.drop_column('status_before_cancellation')
