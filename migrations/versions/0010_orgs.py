"""organisations: one live organisation per country and folded name; none merged into itself

Revision ID: 0010_orgs
Revises: 0009_decisions
Create Date: 2026-11-26

Two submissions of the same new organisation at the same moment (for two forums) each found no match and
each created it. A unique index over the live rows (not merged away, a name that folds to something) lets
only one of them in; the other links to it (organisations.services.find_or_create).

Data: the folded names are recomputed (organisations.keys knows more legal forms). Live organisations that share a country and a folded name are the duplicates the index
forbids. Each is merged into the oldest of its group, as an organizer's merge would: its company
registrations move over, it keeps its row with merged_into_id set, and the audit log says so.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0010_orgs'
down_revision = '0009_decisions'
branch_labels = None
depends_on = None

LIVE_NAME = "merged_into_id IS NULL AND name_key <> ''"
LIVE_NAME_EN = "merged_into_id IS NULL AND name_en_key <> ''"

# The audit table as this revision knows it (JSON is written the way each database wants it).
audit_entries = sa.table(
    'audit_entries', sa.column('at', sa.DateTime(timezone=True)), sa.column('subject_type', sa.String),
    sa.column('subject_id', sa.Integer), sa.column('action', sa.String), sa.column('reason', sa.Text),
    sa.column('details', sa.JSON))


def _merge_existing_duplicates(conn, column: str) -> None:
    groups = conn.execute(sa.text(
        f"SELECT country, {column} FROM organisations WHERE merged_into_id IS NULL AND {column} <> '' "
        f"GROUP BY country, {column} HAVING COUNT(*) > 1")).all()
    for country, key in groups:
        ids = [row[0] for row in conn.execute(sa.text(
            f"SELECT id FROM organisations WHERE merged_into_id IS NULL AND country = :c AND {column} = :k "
            f"ORDER BY id"), {"c": country, "k": key})]
        keep, away = ids[0], ids[1:]
        for other in away:
            moved = conn.execute(sa.text(
                "UPDATE company_registrations SET organisation_id = :keep WHERE organisation_id = :away"),
                {"keep": keep, "away": other}).rowcount
            conn.execute(sa.text("UPDATE organisations SET merged_into_id = :keep WHERE merged_into_id = :away"),
                         {"keep": keep, "away": other})
            conn.execute(sa.text("UPDATE organisations SET merged_into_id = :keep WHERE id = :away"),
                         {"keep": keep, "away": other})
            details = {"kept_id": keep, "merged_id": other, "registrations_moved": moved, "by": "migration 0010_orgs"}
            conn.execute(audit_entries.insert(), [
                {"at": datetime.now(timezone.utc).replace(tzinfo=None) if conn.dialect.name == "sqlite"
                 else datetime.now(timezone.utc), "subject_type": "organisation", "subject_id": subject,
                 "action": "merged", "reason": "same country and name", "details": details}
                for subject in (keep, other)])


def _recompute_keys(conn) -> None:
    """organisations.keys now also knows Kazakh, Kyrgyz, Tajik and Turkmen legal forms, and drops them only at a
    name's ends: the stored keys follow, so that the duplicates this reveals are merged below."""
    from forum.organisations import keys

    for org_id, legal_name, name_en in conn.execute(sa.text(
            "SELECT id, legal_name, name_en FROM organisations ORDER BY id")).all():
        conn.execute(sa.text("UPDATE organisations SET name_key = :lk, name_en_key = :ek WHERE id = :id"),
                     {"lk": keys.name_key(legal_name), "ek": keys.name_key(name_en), "id": org_id})


def upgrade():
    conn = op.get_bind()
    _recompute_keys(conn)
    _merge_existing_duplicates(conn, "name_key")
    _merge_existing_duplicates(conn, "name_en_key")
    # SQLite adds a CHECK by copying the table; migrations run with foreign keys off (migrations/env.py), so the
    # copy takes no company registration with it. Before the partial indexes, which a copy might not keep whole.
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_check_constraint('not_merged_into_itself', "merged_into_id IS NULL OR merged_into_id <> id")
    op.create_index('uq_organisations_country_name_key_live', 'organisations', ['country', 'name_key'], unique=True,
                    sqlite_where=sa.text(LIVE_NAME), postgresql_where=sa.text(LIVE_NAME))
    op.create_index('uq_organisations_country_name_en_key_live', 'organisations', ['country', 'name_en_key'],
                    unique=True, sqlite_where=sa.text(LIVE_NAME_EN), postgresql_where=sa.text(LIVE_NAME_EN))


def downgrade():
    op.drop_index('uq_organisations_country_name_en_key_live', table_name='organisations')
    op.drop_index('uq_organisations_country_name_key_live', table_name='organisations')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organisations_not_merged_into_itself'), type_='check')
