"""Dedupe at registration: a submission joins the organisation it is (organisations.services.find_or_create)."""
import pytest
import sqlalchemy as sa

from forum.errors import DomainError
from forum.organisations import keys, merging, services
from forum.organisations.models import Organisation
from forum.registration.models import CompanyRegistration
from tests import factories as f


def _orgs(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))


def _register(forum, **kw):
    return f.company(forum, 1, **kw)


@pytest.mark.parametrize("name, key", [
    ("ТОО «Қазақ Ойл»", "казак ойл"), ("«Қазақ Ойл» ЖШС", "казак ойл"), ("Kazakh Oil, LLP", "kazakh oil"),
    ("АО «Казахтелеком»", "казахтелеком"), ("«Қазақтелеком» АҚ", "казактелеком"),
    ("«Ақ Жол» АҚ", "ак жол"),  # Ақ is a word of the name; АҚ at the end is the legal form
    ("ҶДММ «Помир Агро»", "помир агро"), ("«Ala-Too Agro» ЖЧК", "ala too agro"), ("«Altyn Gala» HJ", "altyn gala"),
    ("Sakura Shoji Co., Ltd.", "sakura shoji"), ("株式会社さくら商事", "さくら商事"), ("さくら商事株式会社", "さくら商事"),
    ("The Company Store", "the company store"), ("ТОО", ""), ("", ""),
])
def test_name_keys_drop_legal_forms_at_the_ends_in_every_forum_country(name, key):
    assert keys.name_key(name) == key


@pytest.mark.parametrize("first, second", [
    (("ТОО «Қазақ Ойл»", "Kazakh Oil LLP"), ("Казак Ойл ТОО", "KAZAKH OIL, LLP")),  # Kazakh letters, legal forms
    (("«Қазақ Ойл» ЖШС", "Qazaq Oil"), ("ТОО «Казак Ойл»", "Kazak Oil LLP")),  # Kazakh and Russian legal forms
    (("株式会社さくら商事", "Sakura Shoji Co., Ltd."), ("さくら商事 株式会社", "Sakura Shoji")),  # 株式会社 glued on
    (("Oʻzbekiston Temir Yoʻllari AJ", "Uzbek Railways"), ("O'zbekiston temir yo`llari", "Uzbekistan Railways JSC")),
    (("ＡＢＣ Ｔｒａｄｉｎｇ", "ABC Trading"), ("abc trading ltd", "A.B.C. Trading")),  # full width
])
def test_the_same_name_folded_in_the_same_country_is_one_organisation(db, first, second):
    forum_a, forum_b = f.forum(), f.forum()
    a = _register(forum_a, legal_name=first[0], name_en=first[1], country="KZ")
    b = _register(forum_b, legal_name=second[0], name_en=second[1], country="KZ")
    assert a.organisation_id == b.organisation_id
    assert _orgs(db) == 1


def test_a_native_name_can_meet_the_other_ones_english_name(db):
    a = _register(f.forum(), legal_name="Sakura Trading", name_en="Sakura Trading Ltd", country="JP")
    b = _register(f.forum(), legal_name="株式会社さくらトレーディング", name_en="SAKURA TRADING", country="JP")
    assert a.organisation_id == b.organisation_id


def test_the_same_name_in_another_country_is_another_organisation(db):
    a = _register(f.forum(), legal_name="Silk Road Logistics LLC", name_en="Silk Road Logistics", country="KZ")
    b = _register(f.forum(), legal_name="Silk Road Logistics MChJ", name_en="Silk Road Logistics", country="UZ")
    assert a.organisation_id != b.organisation_id
    assert _orgs(db) == 2


def test_the_same_website_domain_is_one_organisation_whatever_the_name_or_country(db):
    a = _register(f.forum(), legal_name="Aoba Trading", name_en="Aoba Trading", country="JP",
                  website="https://www.aoba.example/en/")
    b = _register(f.forum(), legal_name="Aoba Kazakhstan", name_en="Aoba KZ branch", country="KZ",
                  website="http://AOBA.example")
    assert a.organisation_id == b.organisation_id


@pytest.mark.parametrize("site", ["https://www.facebook.com/aoba", "t.me/aoba", "https://sites.google.com/view/x",
                                  "instagram.com/aoba"])
def test_a_generic_website_joins_nothing(db, site):
    a = _register(f.forum(), legal_name="Aoba Trading", name_en="Aoba Trading", country="JP", website=site)
    b = _register(f.forum(), legal_name="Kaspi Foods", name_en="Kaspi Foods", country="KZ", website=site)
    assert keys.domain(site) == ""
    assert a.organisation_id != b.organisation_id


def test_different_names_without_website_are_different_organisations(db):
    a = _register(f.forum(), legal_name="Altyn Group", name_en="Altyn Group", country="KZ")
    b = _register(f.forum(), legal_name="Altyn Capital", name_en="Altyn Capital", country="KZ")
    assert a.organisation_id != b.organisation_id


def test_a_match_is_linked_never_rewritten_by_the_public_form(db):
    a = _register(f.forum(), legal_name="Altyn Group", name_en="Altyn Group", country="KZ", city="Almaty")
    _register(f.forum(), legal_name="ALTYN GROUP LLP", name_en="Altyn", country="KZ", city="Astana")
    org = db.session.get(Organisation, a.organisation_id)
    assert (org.legal_name, org.city) == ("Altyn Group", "Almaty")


def test_a_merged_away_organisation_is_skipped_and_its_spelling_leads_to_the_kept_one(db):
    org = f.organizer()
    keep = _register(f.forum(), legal_name="Kazakhstan Temir Zholy", name_en="KTZ", country="KZ")
    away = _register(f.forum(), legal_name="Қазақстан темір жолы", name_en="Kazakhstan Railways", country="KZ")
    assert keep.organisation_id != away.organisation_id
    away_id = away.organisation_id
    merging.merge(keep.organisation_id, away_id, by=org)
    match = services.find_match(country="KZ", legal_name="Қазақстан темір жолы", name_en="Kazakhstan Railways")
    assert match.id == keep.organisation_id
    again = _register(f.forum(), legal_name="Казахстан темир жолы", name_en="Kazakhstan Railways", country="KZ")
    assert again.organisation_id == keep.organisation_id
    # no new organisation was created for the merged-away spelling
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)
                             .where(Organisation.merged_into_id.is_(None))) == 1


def test_the_database_refuses_two_live_organisations_with_one_name_in_one_country(db):
    from sqlalchemy.exc import IntegrityError

    _register(f.forum(), legal_name="Altyn Group", name_en="Altyn Group", country="KZ")
    db.session.add(Organisation(legal_name="ALTYN GROUP", name_en="Other", country="KZ", name_key="altyn group",
                                name_en_key="other"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_names_that_fold_to_nothing_are_not_matched_by_name(db):
    a = _register(f.forum(), legal_name="ТОО", name_en="LLP", country="KZ")
    b = _register(f.forum(), legal_name="ТОО", name_en="LLP", country="KZ")
    assert a.organisation_id != b.organisation_id  # nothing to go by: an organizer merges them if they are one


def test_find_or_create_retries_when_its_insert_loses_to_another_submission(db, monkeypatch):
    """What a second submission at the same moment meets: nothing found, then the insert refused."""
    existing = _register(f.forum(), legal_name="Altyn Group", name_en="Altyn Group", country="KZ")
    real = services.find_match
    calls = []

    def blind_once(**kw):
        calls.append(kw)
        return None if len(calls) == 1 else real(**kw)

    monkeypatch.setattr(services, "find_match", blind_once)
    org = services.find_or_create(country="KZ", legal_name="ALTYN GROUP LLP", name_en="Altyn Group")
    assert org.id == existing.organisation_id and len(calls) == 2
    assert _orgs(db) == 1
