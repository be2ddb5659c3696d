"""Migration 0003 recomputes every stored search key with forum.search."""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from forum.registration.models import CompanyRegistration, Registration
from forum.search import search_key
from tests import factories as f

MIGRATION = Path(__file__).parent.parent / "migrations" / "versions" / "0003_search_keys.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0003_search_keys", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _companies_with_stale_keys(db):
    forum = f.forum(slug="astana")
    f.company(forum, 2, legal_name="Қазақ Ойл", name_en="Kazakh Oil",
              delegates=[f.delegate_input(full_name="Әлібек Қасымов", latin_name="Alibek Kassymov"),
                         f.delegate_input(full_name="Oʻlmas Karimov", latin_name="Oʻlmas Karimov")])
    for _ in range(2):
        f.company(forum, 2)
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.update(CompanyRegistration).values(search_key="stale"))
        conn.execute(sa.update(Registration).values(search_key="stale"))


def _assert_keys_recomputed(db):
    db.session.expire_all()
    companies = db.session.scalars(sa.select(CompanyRegistration)).all()
    regs = db.session.scalars(sa.select(Registration)).all()
    assert len(companies) == 3 and len(regs) == 6
    for c in companies:
        assert c.search_key == search_key(c.legal_name, c.name_en)
    for r in regs:
        assert r.search_key == search_key(r.full_name, r.latin_name, r.email, r.company.legal_name, r.company.name_en)
    kazakh = next(r for r in regs if r.latin_name == "Alibek Kassymov")
    assert "алибек касымов" in kazakh.search_key and "казак ойл" in kazakh.search_key
    assert kazakh.full_name == "Әлібек Қасымов"  # only the key changes
    assert next(c for c in companies if c.name_en == "Kazakh Oil").legal_name == "Қазақ Ойл"


def test_recompute_walks_every_row_in_batches(db):
    _companies_with_stale_keys(db)
    db.session.remove()
    try:
        downgrade(revision="0006_public_form_abuse")  # the schema 0003 was written for (companies)
        with db.engine.begin() as conn:
            _migration().recompute_search_keys(conn, batch_size=2)
    finally:
        upgrade()
    _assert_keys_recomputed(db)


def test_upgrade_to_0003_recomputes_keys_and_downgrade_keeps_them(db):
    _companies_with_stale_keys(db)
    try:
        downgrade(revision="0002_claims_languages")
        assert db.session.scalars(sa.select(Registration.search_key)).all() == ["stale"] * 6
        db.session.rollback()
    finally:
        upgrade()
    _assert_keys_recomputed(db)
