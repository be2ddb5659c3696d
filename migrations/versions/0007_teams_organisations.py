"""teams and organisations: per-forum permissions, site administrators, organisations across forums,
company registrations, public ids

Revision ID: 0007_teams_organisations
Revises: 0006_public_form_abuse
Create Date: 2026-11-24

Data: today's organizers become administrators and manage every existing forum; staff get check-in
on every existing forum. Every company registration gets an organisation, matched as
organisations.keys matches them (the same country and name, or the same website domain), and every
company registration, registration and invitation a public id.

On SQLite the tables are copied with foreign keys off (migrations/env.py), so a copied parent
takes none of its children with it.
"""
import uuid

import sqlalchemy as sa
from alembic import op

import forum.db

revision = '0007_teams_organisations'
down_revision = '0006_public_form_abuse'
branch_labels = None
depends_on = None

PERMISSIONS = ("manage", "review", "checkin", "documents", "b2b")


def _rename_everything_named_for(conn, old: str, new: str) -> None:
    """Indexes and constraints keep their names through a table rename: give them the new one."""
    if conn.dialect.name == "postgresql":
        for (name,) in conn.execute(sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) AND conname LIKE :p"),
                {"t": new, "p": f"%{old}%"}):
            conn.execute(sa.text(f'ALTER TABLE {new} RENAME CONSTRAINT "{name}" TO "{name.replace(old, new)}"'))
        for (name,) in conn.execute(sa.text(
                "SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexname LIKE :p"),
                {"t": new, "p": f"%{old}%"}):
            conn.execute(sa.text(f'ALTER INDEX "{name}" RENAME TO "{name.replace(old, new)}"'))
    else:
        for name, sql in conn.execute(sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
                {"t": new}).all():
            if old in name:
                conn.execute(sa.text(f'DROP INDEX "{name}"'))
                conn.execute(sa.text(sql.replace(name, name.replace(old, new), 1)))


def _backfill_organisations(conn) -> None:
    from forum.organisations import keys
    from forum.search import search_key

    companies = conn.execute(sa.text(
        "SELECT id, legal_name, name_en, country, city, sector, website FROM company_registrations ORDER BY id"
    )).all()
    orgs: list[dict] = []
    for c in companies:
        lk, ek, dom = keys.name_key(c.legal_name), keys.name_key(c.name_en), keys.domain(c.website)
        mine = {k for k in (lk, ek) if k}
        match = next((o for o in orgs if (o["country"] == c.country and mine & o["keys"])
                      or (dom and dom == o["domain"])), None)
        if match is None:
            match = {"country": c.country, "keys": set(), "domain": "", "public_id": str(uuid.uuid4())}
            orgs.append(match)
            conn.execute(sa.text(
                "INSERT INTO organisations (public_id, legal_name, name_en, country, city, sector, website, kind, "
                "name_key, name_en_key, domain, search_key, created_at, updated_at) VALUES (:pid, :ln, :en, :co, "
                ":ci, :se, :we, 'company', :lk, :ek, :do, :sk, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"pid": match["public_id"], "ln": c.legal_name, "en": c.name_en, "co": c.country, "ci": c.city,
                 "se": c.sector, "we": c.website, "lk": lk, "ek": ek, "do": dom,
                 "sk": search_key(c.legal_name, c.name_en)})
            match["id"] = conn.execute(sa.text("SELECT id FROM organisations WHERE public_id = :p"),
                                       {"p": match["public_id"]}).scalar_one()
        else:
            # The latest registration says best what the organisation is called now.
            conn.execute(sa.text(
                "UPDATE organisations SET legal_name = :ln, name_en = :en, city = :ci, sector = :se, "
                "website = CASE WHEN :we <> '' THEN :we ELSE website END, name_key = :lk, name_en_key = :ek, "
                "domain = CASE WHEN :do <> '' THEN :do ELSE domain END, search_key = :sk WHERE id = :id"),
                {"id": match["id"], "ln": c.legal_name, "en": c.name_en, "ci": c.city, "se": c.sector,
                 "we": c.website, "lk": lk, "ek": ek, "do": dom, "sk": search_key(c.legal_name, c.name_en)})
        match["keys"] |= mine
        match["domain"] = dom or match["domain"]
        conn.execute(sa.text("UPDATE company_registrations SET organisation_id = :o, public_id = :p WHERE id = :id"),
                     {"o": match["id"], "p": str(uuid.uuid4()), "id": c.id})


def _backfill_public_ids(conn, table: str) -> None:
    for (row_id,) in conn.execute(sa.text(f"SELECT id FROM {table} WHERE public_id IS NULL")).all():
        conn.execute(sa.text(f"UPDATE {table} SET public_id = :p WHERE id = :id"), {"p": str(uuid.uuid4()), "id": row_id})


def upgrade():
    conn = op.get_bind()
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('legal_name', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.Enum('company', 'government', 'state_company', 'association', 'university', 'international',
                              'other', name='orgkind', native_enum=False, create_constraint=True, length=20),
              nullable=False),
    sa.Column('name_key', sa.String(length=300), nullable=False),
    sa.Column('name_en_key', sa.String(length=300), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('search_key', sa.Text(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['organisations.id'],
                            name=op.f('fk_organisations_merged_into_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('public_id', name=op.f('uq_organisations_public_id'))
    )
    op.create_index('ix_organisations_country_name_key', 'organisations', ['country', 'name_key'], unique=False)
    op.create_index('ix_organisations_country_name_en_key', 'organisations', ['country', 'name_en_key'], unique=False)
    op.create_index('ix_organisations_domain', 'organisations', ['domain'], unique=False)

    op.create_table('team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    *[sa.Column(p, sa.Boolean(), server_default=sa.false(), nullable=False) for p in PERMISSIONS],
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('manage OR review OR checkin OR documents OR b2b', name=op.f('ck_team_members_some_permission')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_team_members_added_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_team_members_forum_id_forums'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_members')),
    sa.UniqueConstraint('forum_id', 'user_id', name='uq_team_members_forum_user')
    )
    op.create_index(op.f('ix_team_members_forum_id'), 'team_members', ['forum_id'], unique=False)
    op.create_index(op.f('ix_team_members_user_id'), 'team_members', ['user_id'], unique=False)

    # Users: the global role becomes the administrator flag plus memberships of every existing forum.
    op.add_column('users', sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False))
    conn.execute(sa.text("UPDATE users SET is_admin = (role = 'organizer')"))
    for role, permission in (("organizer", "manage"), ("staff", "checkin")):
        conn.execute(sa.text(
            f"INSERT INTO team_members (forum_id, user_id, {permission}, created_at) "
            f"SELECT forums.id, users.id, :yes, CURRENT_TIMESTAMP FROM forums, users WHERE users.role = :role"),
            {"yes": True, "role": role})
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.drop_column('role')

    # A company's registration for one forum is named for what it is.
    op.rename_table('companies', 'company_registrations')
    _rename_everything_named_for(conn, 'companies', 'company_registrations')
    op.add_column('company_registrations', sa.Column('public_id', sa.String(length=36), nullable=True))
    op.add_column('company_registrations', sa.Column('organisation_id', sa.Integer(), nullable=True))
    _backfill_organisations(conn)
    with op.batch_alter_table('company_registrations', schema=None) as batch_op:
        if conn.dialect.name == "sqlite":  # PostgreSQL renamed it above; SQLite renames it in the copy
            batch_op.drop_constraint('uq_companies_id_forum', type_='unique')
            batch_op.create_unique_constraint('uq_company_registrations_id_forum', ['id', 'forum_id'])
        batch_op.alter_column('public_id', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_company_registrations_public_id'), ['public_id'])
        batch_op.create_index(batch_op.f('ix_company_registrations_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_company_registrations_organisation_id_organisations'),
                                    'organisations', ['organisation_id'], ['id'], ondelete='RESTRICT')

    for table in ('registrations', 'late_invitations'):
        op.add_column(table, sa.Column('public_id', sa.String(length=36), nullable=True))
        _backfill_public_ids(conn, table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('public_id', existing_type=sa.String(length=36), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_public_id'), ['public_id'])


def downgrade():
    conn = op.get_bind()
    for table in ('late_invitations', 'registrations'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_public_id'), type_='unique')
            batch_op.drop_column('public_id')
    with op.batch_alter_table('company_registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_company_registrations_organisation_id_organisations'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_company_registrations_organisation_id'))
        batch_op.drop_constraint(batch_op.f('uq_company_registrations_public_id'), type_='unique')
        batch_op.drop_column('organisation_id')
        batch_op.drop_column('public_id')
        if conn.dialect.name == "sqlite":
            batch_op.drop_constraint('uq_company_registrations_id_forum', type_='unique')
            batch_op.create_unique_constraint('uq_companies_id_forum', ['id', 'forum_id'])
    op.rename_table('company_registrations', 'companies')
    _rename_everything_named_for(conn, 'company_registrations', 'companies')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.Enum('organizer', 'staff', 'delegate', name='role', native_enum=False,
                                                      create_constraint=True, length=20),
                                      server_default='delegate', nullable=False))
    conn.execute(sa.text(
        "UPDATE users SET role = 'staff' WHERE id IN (SELECT user_id FROM team_members WHERE checkin)"))
    conn.execute(sa.text("UPDATE users SET role = 'organizer' WHERE is_admin OR id IN "
                         "(SELECT user_id FROM team_members WHERE manage OR review)"))
    op.drop_column('users', 'is_admin')
    op.drop_index(op.f('ix_team_members_user_id'), table_name='team_members')
    op.drop_index(op.f('ix_team_members_forum_id'), table_name='team_members')
    op.drop_table('team_members')
    op.drop_index('ix_organisations_domain', table_name='organisations')
    op.drop_index('ix_organisations_country_name_en_key', table_name='organisations')
    op.drop_index('ix_organisations_country_name_key', table_name='organisations')
    op.drop_table('organisations')
