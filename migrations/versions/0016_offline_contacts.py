"""offline check-in conflicts and contacts

Revision ID: 0016_offline_contacts
Revises: 0015_documents
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa
import forum.db


# revision identifiers, used by Alembic.
revision = '0016_offline_contacts'
down_revision = '0015_documents'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('owner_id <> person_id', name=op.f('ck_contacts_not_self')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_contacts_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['registrations.id'], name=op.f('fk_contacts_owner_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['registrations.id'], name=op.f('fk_contacts_person_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('owner_id', 'person_id', name='uq_contacts_owner_person')
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_forum_owner', ['forum_id', 'owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_person_id'), ['person_id'], unique=False)

    op.create_table('checkin_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('duplicate_offline', 'revoked_after_sync', 'clock_skew', name='conflictkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('other_scan_id', sa.Integer(), nullable=True),
    sa.Column('skew_seconds', sa.Integer(), nullable=True),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_checkin_conflicts_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_scan_id'], ['checkin_scans.id'], name=op.f('fk_checkin_conflicts_other_scan_id_checkin_scans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_checkin_conflicts_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scan_id'], ['checkin_scans.id'], name=op.f('fk_checkin_conflicts_scan_id_checkin_scans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_conflicts')),
    sa.UniqueConstraint('scan_id', 'kind', name='uq_checkin_conflicts_scan_kind')
    )
    with op.batch_alter_table('checkin_conflicts', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_conflicts_forum_reviewed', ['forum_id', 'reviewed_at'], unique=False)



def downgrade():
    with op.batch_alter_table('checkin_conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_conflicts_forum_reviewed')

    op.drop_table('checkin_conflicts')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_person_id'))
        batch_op.drop_index('ix_contacts_forum_owner')

    op.drop_table('contacts')
