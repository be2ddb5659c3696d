"""documents

Revision ID: 0015_documents
Revises: 0014_b2b
Create Date: 2026-11-24 11:08:49.736353

"""
from alembic import op
import sqlalchemy as sa
import forum.db


# revision identifiers, used by Alembic.
revision = '0015_documents'
down_revision = '0014_b2b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('sent_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_document_digests_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_document_digests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_digests')),
    sa.UniqueConstraint('forum_id', 'user_id', 'week', name='uq_document_digests_week')
    )
    op.create_table('document_registers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('next_number', sa.Integer(), server_default='1', nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('ceremony_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ceremony_place', sa.String(length=200), server_default='', nullable=False),
    sa.CheckConstraint('next_number > 0', name=op.f('ck_document_registers_next_number_positive')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_document_registers_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_registers')),
    sa.UniqueConstraint('forum_id', name=op.f('uq_document_registers_forum_id'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.Enum('mou', 'agreement', 'contract', 'letter_of_intent', 'joint_statement', 'other', name='dockind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('authoritative_language', sa.String(length=5), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), server_default='', nullable=False),
    sa.Column('ceremony', sa.Enum('main_stage', 'sidelines', 'b2b_table', name='ceremony', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.Column('value_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('expected_jobs', sa.Integer(), nullable=True),
    sa.Column('confidentiality', sa.Enum('public', 'value_withheld', 'confidential', name='confidentiality', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('counts_in_tally', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('ceremony_position', sa.Integer(), nullable=True),
    sa.Column('exchanged_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('signed', 'in_progress', 'implemented', 'stalled', 'cancelled', name='followupstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('search_key', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(value_minor IS NULL) = (currency IS NULL)', name=op.f('ck_documents_value_with_currency')),
    sa.CheckConstraint('(withdrawn_at IS NULL) = (withdrawn_reason IS NULL)', name=op.f('ck_documents_withdrawn_with_reason')),
    sa.CheckConstraint('expected_jobs IS NULL OR expected_jobs >= 0', name=op.f('ck_documents_jobs_not_negative')),
    sa.CheckConstraint('number > 0', name=op.f('ck_documents_number_positive')),
    sa.CheckConstraint('value_minor IS NULL OR value_minor >= 0', name=op.f('ck_documents_value_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_documents_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_documents_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_documents_withdrawn_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('forum_id', 'ceremony_position', name='uq_documents_forum_ceremony_position'),
    sa.UniqueConstraint('forum_id', 'number', name='uq_documents_forum_number'),
    sa.UniqueConstraint('public_id', name=op.f('uq_documents_public_id'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_forum_id'), ['forum_id'], unique=False)
        batch_op.create_index('ix_documents_forum_review', ['forum_id', 'next_review_on'], unique=False)

    op.create_table('document_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('storage_name', sa.String(length=80), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_scans_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_document_scans_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_scans')),
    sa.UniqueConstraint('public_id', name=op.f('uq_document_scans_public_id')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_document_scans_storage_name'))
    )
    with op.batch_alter_table('document_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_scans_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_scans_sha256'), ['sha256'], unique=False)

    op.create_table('document_titles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_titles_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_titles')),
    sa.UniqueConstraint('document_id', 'language', name='uq_document_titles_language')
    )
    with op.batch_alter_table('document_titles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_titles_document_id'), ['document_id'], unique=False)

    op.create_table('document_parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('organisation', sa.String(length=300), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('kind', sa.Enum('government', 'state_company', 'private_company', 'association', 'university', 'international', 'other', name='partykind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('signatory_name', sa.String(length=200), nullable=False),
    sa.Column('signatory_position', sa.String(length=200), server_default='', nullable=False),
    sa.Column('signatory_registration_id', sa.Integer(), nullable=True),
    sa.Column('capacity', sa.Enum('own', 'on_behalf', name='capacity', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('principal_name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('principal_position', sa.String(length=200), server_default='', nullable=False),
    sa.Column('poa_reference', sa.String(length=100), server_default='', nullable=False),
    sa.Column('exchanged_by_name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('exchanged_by_position', sa.String(length=200), server_default='', nullable=False),
    sa.Column('side', sa.String(length=5), server_default='left', nullable=False),
    sa.CheckConstraint("capacity <> 'on_behalf' OR (principal_name <> '' AND principal_position <> '' AND poa_reference <> '')", name=op.f('ck_document_parties_proxy_has_principal')),
    sa.CheckConstraint("side IN ('left', 'right')", name=op.f('ck_document_parties_side_known')),
    sa.ForeignKeyConstraint(['company_id'], ['company_registrations.id'], name=op.f('fk_document_parties_company_id_company_registrations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_parties_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signatory_registration_id'], ['registrations.id'], name=op.f('fk_document_parties_signatory_registration_id_registrations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_parties')),
    sa.UniqueConstraint('document_id', 'position', name='uq_document_parties_position')
    )
    with op.batch_alter_table('document_parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_parties_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_parties_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_parties_signatory_registration_id'), ['signatory_registration_id'], unique=False)

    op.create_table('document_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_document_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_notes_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['party_id'], ['document_parties.id'], name=op.f('fk_document_notes_party_id_document_parties'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_notes'))
    )
    with op.batch_alter_table('document_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_notes_document_id'), ['document_id'], unique=False)

    op.create_table('document_meetings',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_meetings_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_document_meetings_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'meeting_id', name=op.f('pk_document_meetings'))
    )


def downgrade():
    op.drop_table('document_meetings')
    with op.batch_alter_table('document_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_notes_document_id'))

    op.drop_table('document_notes')
    with op.batch_alter_table('document_parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_parties_signatory_registration_id'))
        batch_op.drop_index(batch_op.f('ix_document_parties_document_id'))
        batch_op.drop_index(batch_op.f('ix_document_parties_company_id'))

    op.drop_table('document_parties')
    with op.batch_alter_table('document_titles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_titles_document_id'))

    op.drop_table('document_titles')
    with op.batch_alter_table('document_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_scans_sha256'))
        batch_op.drop_index(batch_op.f('ix_document_scans_document_id'))

    op.drop_table('document_scans')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_forum_review')
        batch_op.drop_index(batch_op.f('ix_documents_forum_id'))

    op.drop_table('documents')
    op.drop_table('document_registers')
    op.drop_table('document_digests')
