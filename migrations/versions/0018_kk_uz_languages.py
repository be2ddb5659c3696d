"""Kazakh and Uzbek interface languages: a user's language may be kk or uz

Revision ID: 0018_kk_uz_languages
Revises: 0017_agendas_venue_outcomes
Create Date: 2026-11-24 19:10:00

"""
from alembic import op

revision = '0018_kk_uz_languages'
down_revision = '0017_agendas_venue_outcomes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_language_known'), type_='check')
        batch_op.create_check_constraint('language_known', "language IN ('en', 'ja', 'ru', 'kk', 'uz')")


def downgrade():
    # Users who chose Kazakh or Uzbek read Russian, the language Central Asian readers fall back to.
    op.execute("UPDATE users SET language = 'ru' WHERE language IN ('kk', 'uz')")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_language_known'), type_='check')
        batch_op.create_check_constraint('language_known', "language IN ('en', 'ja', 'ru')")
