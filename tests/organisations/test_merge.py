"""Merging two organisations that are one: every registration moves, nothing is lost, it is audited."""
import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import DomainError
from forum.organisations import merging, queries, services
from forum.organisations.models import Organisation
from forum.registration.models import CompanyRegistration, Registration
from tests import factories as f


def _two(db):
    """Two spellings the keys do not join, with registrations in three forums."""
    astana, tashkent, tokyo = f.forum(), f.forum(), f.forum()
    keep = f.company(astana, 2, legal_name="Kazakhstan Temir Zholy", name_en="KTZ", country="KZ")
    f.company(tashkent, 1, legal_name="KTZ JSC", name_en="Kazakhstan Temir Zholy", country="KZ")
    away = f.company(tashkent, 3, legal_name="Қазақстан темір жолы", name_en="Kazakhstan Railways", country="KZ")
    f.company(tokyo, 1, legal_name="Казакстан темир жолы", name_en="Kazakhstan Railways", country="KZ")
    assert keep.organisation_id != away.organisation_id
    return keep.organisation_id, away.organisation_id, (astana, tashkent, tokyo)


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_merge_moves_every_registration_to_the_kept_organisation_and_loses_nothing(db):
    admin = f.organizer()
    keep_id, away_id, (astana, tashkent, tokyo) = _two(db)
    companies, delegates = _count(db, CompanyRegistration), _count(db, Registration)
    orgs = _count(db, Organisation)
    assert _count(db, CompanyRegistration, CompanyRegistration.organisation_id == away_id) == 2

    result = merging.merge(keep_id, away_id, by=admin)
    db.session.commit()

    assert result.moved == {tashkent.id: 1, tokyo.id: 1} and result.registrations == 2
    assert _count(db, CompanyRegistration) == companies and _count(db, Registration) == delegates
    assert _count(db, Organisation) == orgs  # the merged-away row stays, marked
    assert set(db.session.scalars(sa.select(CompanyRegistration.organisation_id))) == {keep_id}
    away = db.session.get(Organisation, away_id)
    assert away.merged_into_id == keep_id and away.legal_name == "Қазақстан темір жолы"
    # the merged one is no longer what find_match answers, for any of its spellings
    for legal, en in (("Қазақстан темір жолы", "Kazakhstan Railways"), ("Казакстан темир жолы", "")):
        assert services.find_match(country="KZ", legal_name=legal, name_en=en).id == keep_id


def test_merge_is_audited_with_who_both_ids_and_what_moved(db):
    admin = f.organizer()
    keep_id, away_id, (astana, tashkent, tokyo) = _two(db)
    merging.merge(keep_id, away_id, by=admin)
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "organisation")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.subject_id, e.action) for e in entries] == [(keep_id, "merged"), (away_id, "merged_away")]
    for e in entries:
        assert e.actor_id == admin.id
        assert e.details["kept_id"] == keep_id and e.details["merged_id"] == away_id
        assert e.details["registrations_moved"] == 2
        assert e.details["moved_per_forum"] == {str(tashkent.id): 1, str(tokyo.id): 1}


def test_merging_an_organisation_into_itself_is_refused(db):
    admin = f.organizer()
    keep_id, _away, _forums = _two(db)
    with pytest.raises(DomainError) as e:
        merging.merge(keep_id, keep_id, by=admin)
    assert e.value.code == "same_organisation"


@pytest.mark.parametrize("which", ["into_merged", "merged_again"])
def test_merging_with_an_already_merged_organisation_is_refused(db, which):
    admin = f.organizer()
    keep_id, away_id, _forums = _two(db)
    third = f.company(f.forum(), 1, legal_name="Samruk Kazyna", name_en="Samruk Kazyna", country="KZ").organisation_id
    merging.merge(keep_id, away_id, by=admin)
    with pytest.raises(DomainError) as e:
        if which == "into_merged":
            merging.merge(away_id, third, by=admin)  # keep a merged-away one
        else:
            merging.merge(keep_id, away_id, by=admin)  # merge the merged-away one again
    assert e.value.code == "already_merged"
    assert db.session.get(Organisation, third).merged_into_id is None


def test_only_administrators_merge(db):
    keep_id, away_id, (astana, *_rest) = _two(db)
    manager = f.member(astana, "manage")
    with pytest.raises(DomainError) as e:
        merging.merge(keep_id, away_id, by=manager)
    assert e.value.code == "not_admin"
    assert db.session.get(Organisation, away_id).merged_into_id is None


def test_organisations_merged_into_the_merged_one_follow_it(db):
    admin = f.organizer()
    keep_id, away_id, _forums = _two(db)
    older = f.company(f.forum(), 1, legal_name="KTZ Express", name_en="KTZ Express", country="KZ").organisation_id
    merging.merge(away_id, older, by=admin)
    merging.merge(keep_id, away_id, by=admin)
    assert db.session.get(Organisation, older).merged_into_id == keep_id  # no chain: one step to the live one
    assert services.find_match(country="KZ", legal_name="KTZ Express", name_en="").id == keep_id


def test_merge_fills_what_the_kept_one_lacks(db):
    admin = f.organizer()
    keep = f.company(f.forum(), 1, legal_name="Aral Salt", name_en="Aral Salt", country="KZ")
    away = f.company(f.forum(), 1, legal_name="Арал Тұз", name_en="Aral Tuz", country="KZ", website="aral-salt.example")
    merging.merge(keep.organisation_id, away.organisation_id, by=admin)
    kept = db.session.get(Organisation, keep.organisation_id)
    assert kept.website == "https://aral-salt.example" and kept.domain == "aral-salt.example"


def test_preview_lists_what_would_move_per_forum(db):
    admin = f.organizer()
    keep_id, away_id, (astana, tashkent, tokyo) = _two(db)
    p = merging.preview(db.session.get(Organisation, keep_id), db.session.get(Organisation, away_id), by=admin)
    assert {(s.forum.id, s.registrations, s.delegates) for s in p.moves} == {(tashkent.id, 1, 3), (tokyo.id, 1, 1)}
    assert p.registrations == 2
    assert db.session.get(Organisation, away_id).merged_into_id is None  # a preview changes nothing


# --- editing ------------------------------------------------------------------------------------

def test_edit_recomputes_the_keys_and_is_audited_with_before_and_after(db):
    admin = f.organizer()
    c = f.company(f.forum(), 1, legal_name="Kazak Oyl", name_en="Kazak Oil", country="KZ")
    org = db.session.get(Organisation, c.organisation_id)
    data = services.OrganisationInput(legal_name="ТОО «Қазақ Ойл»", name_en="Kazakh Oil LLP", country="KZ",
                                      city="Atyrau", sector="energy", website="www.kazakhoil.example",
                                      kind="state_company")
    changes = services.update(org, data, by=admin)
    assert set(changes) == {"legal_name", "name_en", "city", "sector", "website", "kind"}
    assert (org.name_key, org.name_en_key, org.domain) == ("казак ойл", "kazakh oil", "kazakhoil.example")
    assert "казак ойл" in org.search_key
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "organisation")).one()
    assert entry.action == "edited" and entry.actor_id == admin.id
    assert entry.details["before"]["legal_name"] == "Kazak Oyl"
    assert entry.details["after"]["legal_name"] == "ТОО «Қазақ Ойл»"
    assert entry.details["before"]["kind"] == "company" and entry.details["after"]["kind"] == "state_company"
    # the next registration with the new spelling joins it
    assert services.find_match(country="KZ", legal_name="Казак Ойл", name_en="").id == org.id


def test_edit_refuses_a_name_another_organisation_has_and_says_merge(db):
    admin = f.organizer()
    f.company(f.forum(), 1, legal_name="Altyn Group", name_en="Altyn Group", country="KZ")
    other = f.company(f.forum(), 1, legal_name="Altyn Grp", name_en="Altyn Grp", country="KZ")
    org = db.session.get(Organisation, other.organisation_id)
    with pytest.raises(services.OrganisationFormError) as e:
        services.update(org, services.OrganisationInput(legal_name="ALTYN GROUP LLP", name_en="Altyn Grp",
                                                        country="KZ"), by=admin)
    assert "merge" in e.value.errors["legal_name"]


@pytest.mark.parametrize("field, value, code_field", [
    ("legal_name", "", "legal_name"), ("legal_name", "ТОО", "legal_name"), ("country", "XX", "country"),
    ("kind", "cult", "kind"), ("sector", "wizardry", "sector"), ("city", "Almaty\nAstana", "city"),
])
def test_edit_refuses_bad_input_and_saves_nothing(db, field, value, code_field):
    admin = f.organizer()
    c = f.company(f.forum(), 1, legal_name="Altyn Group", name_en="Altyn Group", country="KZ")
    db.session.commit()
    org = db.session.get(Organisation, c.organisation_id)
    data = services.OrganisationInput(legal_name="Altyn Group", name_en="Altyn Group", country="KZ")
    setattr(data, field, value)
    with pytest.raises(services.OrganisationFormError) as e:
        services.update(org, data, by=admin)
    assert code_field in e.value.errors
    db.session.rollback()
    assert db.session.get(Organisation, c.organisation_id).legal_name == "Altyn Group"


def test_edit_is_for_administrators_only(db):
    forum = f.forum()
    c = f.company(forum, 1)
    with pytest.raises(DomainError) as e:
        services.update(db.session.get(Organisation, c.organisation_id),
                        services.OrganisationInput(legal_name="X Corp", name_en="X Corp", country="JP"),
                        by=f.member(forum, "manage"))
    assert e.value.code == "not_admin"


# --- possible duplicates ------------------------------------------------------------------------

def _org(legal, en, country="KZ", website=""):
    return f.company(f.forum(), 1, legal_name=legal, name_en=en, country=country, website=website).organisation_id


def test_possible_duplicates_are_the_pairs_the_keys_missed(db):
    spelling_a = _org("Kazakh Oil", "Kazakh Oil")
    spelling_b = _org("Kazak Oil", "Kazak Oil")            # one letter dropped
    spaces_a = _org("Sakura Trading", "Sakura Trading", "JP")
    spaces_b = _org("SakuraTrading", "Sakura Trade", "JP")  # the same without the space
    swap_a = _org("Baiterek", "Baiterek")
    swap_b = _org("Baietrek", "Baietrek")                   # neighbours swapped
    web_a = _org("Aoba", "Aoba", "JP")
    web_b = _org("Aoba KZ", "Aoba KZ", "KZ", website="aoba.example")
    # the website joined b to nothing at registration (a had none); give a the same one as an organizer would
    db.session.get(Organisation, web_a).domain = "aoba.example"
    _org("Aral", "Aral")
    _org("Arai", "Arai")                                    # short names: not compared
    _org("Kazakh Oil", "Kazakh Oil", "UZ")                  # another country
    pairs = {(p.a, p.b): p.reason for p in queries.possible_duplicates()}
    assert pairs == {
        (spelling_a, spelling_b): "spelling", (spaces_a, spaces_b): "name", (swap_a, swap_b): "spelling",
        (web_a, web_b): "domain",
    }
    merging.merge(spelling_a, spelling_b, by=f.organizer())
    assert (spelling_a, spelling_b) not in {(p.a, p.b) for p in queries.possible_duplicates()}
    assert [p.b for p in queries.possible_duplicates()] == [web_b, swap_b, spaces_b]  # newest first


def test_one_edit_is_exactly_one_edit():
    one = queries._one_edit
    assert one("kazakhoil", "kazakoil") and one("kazakoil", "kazakhoil") and one("abcde", "abxde")
    assert one("abcde", "abdce")  # a swap of neighbours
    assert not one("abcde", "abcde") and not one("abcde", "axcdy") and not one("abcde", "abcdefg")
    assert not one("abcde", "aedcb")
