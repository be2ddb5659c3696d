"""recompute search keys with forum.search (apostrophes, Kazakh letters, Japanese without spaces)

Revision ID: 0003_search_keys
Revises: 0002_claims_languages
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa

from forum.search import search_key

revision = '0003_search_keys'
down_revision = '0002_claims_languages'
branch_labels = None
depends_on = None

BATCH_SIZE = 500

companies = sa.table(
    'companies', sa.column('id', sa.Integer), sa.column('legal_name', sa.String), sa.column('name_en', sa.String),
    sa.column('search_key', sa.Text),
)
registrations = sa.table(
    'registrations', sa.column('id', sa.Integer), sa.column('company_id', sa.Integer),
    sa.column('full_name', sa.String), sa.column('latin_name', sa.String), sa.column('email', sa.String),
    sa.column('search_key', sa.Text),
)


def _recompute(conn, table, select, key, batch_size):
    """Keyset pages of (id, source columns); one executemany UPDATE per page."""
    update = (sa.update(table).where(table.c.id == sa.bindparam('b_id'))
              .values(search_key=sa.bindparam('b_key')))
    last_id = 0
    while True:
        rows = conn.execute(select.where(table.c.id > last_id).order_by(table.c.id).limit(batch_size)).all()
        if not rows:
            return
        conn.execute(update, [{'b_id': row.id, 'b_key': key(row)} for row in rows])
        last_id = rows[-1].id


def recompute_search_keys(conn, batch_size=BATCH_SIZE):
    # The same fields as forum.registration.services._create stores.
    _recompute(conn, companies, sa.select(companies.c.id, companies.c.legal_name, companies.c.name_en),
               lambda r: search_key(r.legal_name, r.name_en), batch_size)
    _recompute(
        conn, registrations,
        sa.select(registrations.c.id, registrations.c.full_name, registrations.c.latin_name, registrations.c.email,
                  companies.c.legal_name, companies.c.name_en)
        .join_from(registrations, companies, registrations.c.company_id == companies.c.id),
        lambda r: search_key(r.full_name, r.latin_name, r.email, r.legal_name, r.name_en), batch_size)


def upgrade():
    recompute_search_keys(op.get_bind())


def downgrade():
    pass  # keys made by the new fold are still valid text for the old code to search
