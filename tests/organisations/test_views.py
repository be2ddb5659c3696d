"""The organisations pages: administrators only; list, detail, edit, duplicates, merge with confirmation."""
import pytest
import sqlalchemy as sa

from forum.organisations.models import Organisation
from forum.registration.models import CompanyRegistration
from tests import factories as f
from tests.test_query_counts import statements_for


def _org_of(company) -> Organisation:
    from forum.db import db

    return db.session.get(Organisation, company.organisation_id)


PAGES = ["/manage/organisations", "/manage/organisations/duplicates", "/manage/organisations/{id}",
         "/manage/organisations/{id}/edit", "/manage/organisations/{id}/merge", "/manage/organisations/merge?keep={id}&away={other}"]


@pytest.mark.parametrize("url", PAGES)
def test_organisation_pages_are_for_administrators_only(client, db, login, url):
    forum = f.forum()
    a, b = f.company(forum, 1), f.company(forum, 1)
    url = url.format(id=a.organisation_id, other=b.organisation_id)
    r = client.get(url)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login(f.member(forum, "manage"))  # manages a forum: still not an administrator
    assert client.get(url).status_code == 403
    login(f.user())
    assert client.get(url).status_code == 403
    login(f.organizer())
    assert client.get(url).status_code == 200


def test_list_searches_in_any_script_and_filters_by_country_and_kind(client, db, login):
    login(f.organizer())
    f.company(f.forum(), 1, legal_name="ТОО «Қазақ Ойл»", name_en="Kazakh Oil", country="KZ")
    f.company(f.forum(), 1, legal_name="株式会社さくら商事", name_en="Sakura Shoji", country="JP", website="sakura.example")
    gov = f.company(f.forum(), 1, legal_name="Ministry of Trade", name_en="Ministry of Trade", country="UZ")
    _org_of(gov).kind = "government"
    page = lambda q: client.get("/manage/organisations" + q).get_data(as_text=True)  # noqa: E731
    assert "Kazakh Oil" in page("?q=казак") and "Sakura" not in page("?q=казак")  # қ typed as к
    assert "Sakura Shoji" in page("?q=さくら") and "Sakura Shoji" in page("?q=sakura.example")
    assert "Sakura" in page("?country=JP") and "Kazakh Oil" not in page("?country=JP")
    assert "Ministry of Trade" in page("?kind=government") and "Kazakh Oil" not in page("?kind=government")
    assert "Kazakh Oil" in page("?kind=nonsense&country=%C2%B2")  # nonsense filters nothing, no 500


def test_list_pages(client, db, login, app):
    login(f.organizer())
    for i in range(app.config["PER_PAGE"] + 3):
        f.company(f.forum(), 1, legal_name=f"Company {i:03}", name_en=f"Company {i:03}", country="KZ")
    per_page = app.config["PER_PAGE"]
    html = client.get("/manage/organisations").get_data(as_text=True)
    assert "Company 000" in html and f"Company {per_page:03}" not in html
    html = client.get("/manage/organisations?page=2").get_data(as_text=True)
    assert f"Company {app.config['PER_PAGE']:03}" in html
    assert client.get("/manage/organisations?page=99999999").status_code == 404


def test_organisation_list_does_not_grow_with_rows(client, db, login):
    login(f.organizer())
    counts = []
    for n in (1, 20):
        for i in range(n if not counts else n - 1):
            forum = f.forum()
            c = f.company(forum, 2, legal_name=f"Org {n}-{i}", name_en=f"Org {n}-{i}", country="KZ")
            f.company(f.forum(), 1, legal_name=c.legal_name, name_en=c.name_en, country="KZ")  # a second forum
        counts.append(statements_for(client, "/manage/organisations"))
    assert counts[0] == counts[1], f"{counts[0]} statements with 1 row, {counts[1]} with 20"


def test_detail_and_duplicates_do_not_grow_with_rows(client, db, login):
    login(f.organizer())
    counts, dup_counts = [], []
    for n in (1, 20):
        org_id = None
        for i in range(n):  # n forums for one organisation; n pairs of names one letter apart
            org_id = f.company(f.forum(), 2, legal_name="Altyn Group", name_en="Altyn Group", country="KZ").organisation_id
            f.company(f.forum(), 1, legal_name=f"Twins{n}x{i:02}", name_en=f"Twins{n}x{i:02}", country="UZ")
            f.company(f.forum(), 1, legal_name=f"Twins{n}y{i:02}", name_en=f"Twins{n}y{i:02}", country="UZ")
        counts.append(statements_for(client, f"/manage/organisations/{org_id}"))
        dup_counts.append(statements_for(client, "/manage/organisations/duplicates"))
    assert counts[0] == counts[1]
    assert dup_counts[0] == dup_counts[1]


def test_detail_shows_registrations_across_forums_with_state_counts(client, db, login):
    from forum.review import services as review

    admin = login(f.organizer())
    astana, tashkent = f.forum(slug="astana"), f.forum(slug="tashkent")
    a = f.company(astana, 3, legal_name="Altyn Group", name_en="Altyn Group", country="KZ")
    review.decide(a.delegates[0], "approve", by=admin)
    review.decide(a.delegates[1], "reject", by=admin, reason="Duplicate")
    b = f.company(tashkent, 1, legal_name="ALTYN GROUP LLP", name_en="Altyn", country="KZ")
    assert a.organisation_id == b.organisation_id
    html = client.get(f"/manage/organisations/{a.organisation_id}").get_data(as_text=True)
    assert html.count("/manage/astana/registrations?q=Altyn") == 1 and "/manage/tashkent/registrations?q=Altyn" in html
    assert "ALTYN GROUP LLP" in html  # as registered there


def test_edit_through_the_page(client, db, login, post):
    login(f.organizer())
    c = f.company(f.forum(), 1, legal_name="Kazak Oyl", name_en="Kazak Oil", country="KZ")
    url = f"/manage/organisations/{c.organisation_id}/edit"
    r = post(url, {"legal_name": "ТОО «Қазақ Ойл»", "name_en": "Kazakh Oil", "country": "KZ", "city": "Atyrau",
                   "sector": "energy", "website": "kazakhoil.example", "kind": "state_company"}, token_from=url)
    assert r.status_code == 302
    org = _org_of(c)
    assert (org.legal_name, org.kind.value, org.domain) == ("ТОО «Қазақ Ойл»", "state_company", "kazakhoil.example")
    r = post(url, {"legal_name": "", "name_en": "Kazakh Oil", "country": "KZ", "kind": "company"}, token_from=url)
    assert r.status_code == 422 and "This field is required" in r.get_data(as_text=True)


def test_merge_asks_to_confirm_then_moves_everything(client, db, login, post):
    login(f.organizer())
    astana, tashkent = f.forum(), f.forum()
    keep = f.company(astana, 2, legal_name="Kazakhstan Temir Zholy", name_en="KTZ", country="KZ")
    away = f.company(tashkent, 1, legal_name="Қазақстан темір жолы", name_en="Kazakhstan Railways", country="KZ")
    keep_id, away_id = keep.organisation_id, away.organisation_id
    url = f"/manage/organisations/merge?keep={keep_id}&away={away_id}"
    page = client.get(url).get_data(as_text=True)
    assert "1 company registration will move" in page and tashkent.title in page
    r = post("/manage/organisations/merge", {"keep": keep_id, "away": away_id}, token_from=url)  # no confirmation
    assert r.status_code == 422 and "Tick the box" in r.get_data(as_text=True)
    assert _org_of(away).merged_into_id is None
    r = post("/manage/organisations/merge", {"keep": keep_id, "away": away_id, "confirm": "y"}, token_from=url)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/manage/organisations/{keep_id}")
    assert set(db.session.scalars(sa.select(CompanyRegistration.organisation_id))) == {keep_id}
    # again: refused with the reason, nothing changes
    r = post("/manage/organisations/merge", {"keep": keep_id, "away": away_id, "confirm": "y"}, token_from=url)
    assert r.status_code == 409 and "already been merged" in r.get_data(as_text=True)
    r = client.get(f"/manage/organisations/merge?keep={keep_id}&away={keep_id}")
    assert r.status_code == 409 and "two different" in r.get_data(as_text=True)
    assert client.get("/manage/organisations/merge?keep=x&away=%C2%B2").status_code == 404


def test_choose_finds_the_duplicate_to_merge(client, db, login):
    login(f.organizer())
    keep = f.company(f.forum(), 1, legal_name="Kazakhstan Temir Zholy", name_en="KTZ", country="KZ")
    away = f.company(f.forum(), 1, legal_name="Қазақстан темір жолы", name_en="Kazakhstan Railways", country="KZ")
    html = client.get(f"/manage/organisations/{keep.organisation_id}/merge?q=темир").get_data(as_text=True)
    assert f"keep={keep.organisation_id}&amp;away={away.organisation_id}" in html
