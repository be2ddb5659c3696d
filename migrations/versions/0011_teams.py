"""teams: a search key on users, for the site administration's user list

Revision ID: 0011_teams
Revises: 0010_orgs
Create Date: 2026-11-25

Every existing account gets its key computed with forum.search (name and e-mail), as
accounts.services stores it for new and renamed accounts.
"""
import sqlalchemy as sa
from alembic import op

from forum.search import search_key

revision = '0011_teams'
down_revision = '0010_orgs'
branch_labels = None
depends_on = None

BATCH_SIZE = 500

users = sa.table('users', sa.column('id', sa.Integer), sa.column('display_name', sa.String),
                 sa.column('email', sa.String), sa.column('search_key', sa.Text))


def fill_search_keys(conn, batch_size=BATCH_SIZE):
    """Keyset pages of users; one executemany UPDATE per page (the same fields as accounts.services stores)."""
    update = sa.update(users).where(users.c.id == sa.bindparam('b_id')).values(search_key=sa.bindparam('b_key'))
    last_id = 0
    while True:
        rows = conn.execute(sa.select(users.c.id, users.c.display_name, users.c.email)
                            .where(users.c.id > last_id).order_by(users.c.id).limit(batch_size)).all()
        if not rows:
            return
        conn.execute(update, [{'b_id': r.id, 'b_key': search_key(r.display_name, r.email)} for r in rows])
        last_id = rows[-1].id


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('search_key', sa.Text(), nullable=False, server_default=''))
    fill_search_keys(op.get_bind())


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('search_key')
