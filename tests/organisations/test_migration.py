"""Migration 0010_orgs: keys recomputed, live duplicates merged (registrations moved, audited), then the unique index."""
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from forum.audit.models import AuditEntry
from forum.organisations.models import Organisation
from forum.registration.models import CompanyRegistration
from tests import factories as f


def test_upgrade_from_0007_merges_organisations_that_are_one_under_the_new_keys(db):
    # Before 0008, ЖШС was no legal form: "«Қазақ Ойл» ЖШС" and "ТОО «Қазақ Ойл»" were two organisations.
    one = f.company(f.forum(), 2, legal_name="ТОО «Қазақ Ойл»", name_en="Kazakh Oil", country="KZ")
    other = f.company(f.forum(), 1, legal_name="Qazaq Oil", name_en="Qazaq Oil", country="KZ")
    untouched = f.company(f.forum(), 1, legal_name="«Ақ Жол» АҚ", name_en="Ak Zhol", country="KZ")
    db.session.commit()
    one_org, other_org, other_id = one.organisation_id, other.organisation_id, other.id
    untouched_org = untouched.organisation_id
    db.session.remove()
    try:
        downgrade(revision="0009_decisions")
        with db.engine.begin() as conn:
            # what 0007 stored for a registration written the Kazakh way
            conn.execute(sa.text("UPDATE organisations SET legal_name = '«Қазақ Ойл» ЖШС', name_key = 'казак ойл жшс', "
                                 "name_en_key = 'kazakh oil llp', name_en = 'Kazakh Oil LLP' WHERE id = :id"),
                         {"id": other_org})
            conn.execute(sa.text("UPDATE organisations SET name_key = 'ак жол' WHERE name_en = 'Ak Zhol'"))
    finally:
        upgrade()
    db.session.expire_all()
    away = db.session.get(Organisation, other_org)
    assert away.merged_into_id == one_org and away.name_key == "казак ойл" and away.name_en_key == "kazakh oil"
    assert db.session.get(CompanyRegistration, other_id).organisation_id == one_org
    assert db.session.get(Organisation, untouched_org).merged_into_id is None
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "organisation")).all()
    assert {(e.subject_id, e.action) for e in entries} == {(one_org, "merged"), (other_org, "merged")}
    assert all(e.details["registrations_moved"] == 1 for e in entries)
