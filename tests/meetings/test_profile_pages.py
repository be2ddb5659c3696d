"""The delegate's profile, directory, company and suggestions pages: who gets in, what they see, bad input."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.meetings import profiles
from forum.meetings.models import B2BProfile, MeetingPrefs
from forum.teams.models import Permission
from tests import factories as f
from tests.test_query_counts import statements_for


def url(forum, page: str) -> str:
    return f"/forums/{forum.slug}/b2b/{page}"


def _profile_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(B2BProfile))


@pytest.fixture()
def two(db):
    forum = f.forum()
    kz = f.participant(forum, legal_name="ТОО «Қазақ Су»", name_en="Kazakh Su", country="KZ", full_name="Әлия Нұрланқызы",
                       latin_name="Aliya NURLANKYZY", languages=["kk", "ru"])
    jp = f.participant(forum, legal_name="株式会社クボタ", name_en="Kubota", country="JP", full_name="田中 一郎",
                       latin_name="TANAKA Ichiro", languages=["ja"])
    f.profile(kz.company, seeks="Water treatment pumps", offers="Cotton", sectors=["energy"])
    f.profile(jp.company, offers="Water treatment pumps", seeks="Partners in Kazakhstan", sectors=["energy"])
    return forum, kz, jp


PAGES = ("profile", "directory", "suggestions")


def test_anonymous_visitors_are_sent_to_sign_in(client, two):
    forum, kz, _jp = two
    for page in PAGES + (f"companies/{kz.company.public_id}", f"companies/{kz.company.public_id}/profile"):
        r = client.get(url(forum, page))
        assert r.status_code == 302 and "/login" in r.headers["Location"], page


@pytest.mark.parametrize("who", ["no_consent", "pending", "opted_out", "other_forum", "plain", "team_checkin"])
def test_people_who_take_no_part_get_404(client, db, login, two, who):
    forum, kz, _jp = two
    if who == "no_consent":
        user = f.participant(forum, directory_consent=False).user
    elif who == "pending":
        user = f.company(forum, 1, directory_consent=True).delegates[0].user
    elif who == "opted_out":
        reg = f.participant(forum)
        db.session.add(MeetingPrefs(registration_id=reg.id, opted_out=True))
        user = reg.user
    elif who == "other_forum":
        user = f.participant(f.forum()).user
    elif who == "team_checkin":
        user = f.member(forum, Permission.CHECKIN)
    else:
        user = f.user()
    login(user)
    for page in PAGES + (f"companies/{kz.company.public_id}", f"companies/{kz.company.public_id}/profile"):
        assert client.get(url(forum, page)).status_code == 404, page
    assert client.get("/forums/no-such-forum/b2b/directory").status_code == 404


def test_the_profile_form_shows_the_saved_profile_and_saves_changes(client, db, login, post, two):
    forum, kz, _jp = two
    login(kz.user)
    page = client.get(url(forum, "profile")).get_data(as_text=True)
    assert "Water treatment pumps" in page
    assert re.search(r'<input[^>]*checked[^>]*value="energy"|<input[^>]*value="energy"[^>]*checked', page)
    assert not re.search(r'<input[^>]*checked[^>]*value="mining"|<input[^>]*value="mining"[^>]*checked', page)
    assert "ТОО «Қазақ Су»" in page
    r = post(url(forum, "profile"), {"offers": "Oʻzbek paxtasi va Қазақ мақтасы", "seeks": "Насосы",
                                     "sectors": ["energy", "textiles"], "seek_kinds": ["technology"],
                                     "target_countries": ["JP"], "languages": ["kk", "ja"]})
    assert r.status_code == 302 and r.headers["Location"].endswith(url(forum, "profile"))
    p = profiles.profile_of(kz.company)
    assert (p.offers, p.seeks, p.sectors, p.seek_kinds, p.target_countries, p.languages) == (
        "Oʻzbek paxtasi va Қазақ мақтасы", "Насосы", ["energy", "textiles"], ["technology"], ["JP"], ["kk", "ja"])
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "b2b_profile")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_id == kz.user_id
    page = client.get(url(forum, "profile")).get_data(as_text=True)
    assert "Profile saved." in page and "Oʻzbek paxtasi va Қазақ мақтасы" in page


@pytest.mark.parametrize("data, field_", [
    ({"offers": "x" * 2001}, "offers"),
    ({"sectors": ["energy", "space_piracy"]}, "sectors"),
    ({"sectors": ["energy", "mining", "agriculture", "manufacturing", "automotive", "it"]}, "sectors"),
    ({"target_countries": ["XX"]}, "target_countries"),
    ({"languages": ["klingon"]}, "languages"),
    ({"seek_kinds": ["world_domination"]}, "seek_kinds"),
    ({"seeks": "Water\x1btreatment"}, "seeks"),
])
def test_bad_input_shows_errors_next_to_the_field_keeps_what_was_typed_and_saves_nothing(client, db, login, post,
                                                                                         two, data, field_):
    forum, kz, _jp = two
    login(kz.user)
    form = {"offers": "Новый текст, не сохранённый", "seeks": "Water treatment pumps", "sectors": ["energy"]}
    form.update(data)
    r = post(url(forum, "profile"), form)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert f'id="{field_}-error"' in page  # the error next to its field
    assert sum(f'id="{name}-error"' in page for name in profiles.EDITABLE) == 1  # and no other
    assert "Nothing has been saved yet" in page
    if field_ != "offers":
        assert "Новый текст, не сохранённый" in page  # nothing the person typed is lost
    db.session.expire_all()
    p = profiles.profile_of(kz.company)
    assert p.offers == "Cotton" and p.sectors == ["energy"]


def test_nul_bytes_are_refused_before_anything(client, db, login, post, two):
    forum, kz, _jp = two
    login(kz.user)
    r = post(url(forum, "profile"), {"offers": "Cotton\x00evil", "seeks": "x"})
    assert r.status_code == 400
    db.session.expire_all()
    assert profiles.profile_of(kz.company).offers == "Cotton"


def test_a_post_without_the_csrf_token_is_refused(client, db, login, two):
    forum, kz, _jp = two
    login(kz.user)
    r = client.post(url(forum, "profile"), data={"offers": "Hijacked"})
    assert r.status_code == 400
    db.session.expire_all()
    assert profiles.profile_of(kz.company).offers == "Cotton"


def test_the_contact_person_edits_their_companys_profile_without_taking_part(client, db, login, post):
    forum = f.forum()
    company = f.company(forum, 1)  # nobody approved yet, no directory consent
    login(company.contact_user)
    assert client.get(url(forum, "profile")).status_code == 404  # they are no delegate
    here = url(forum, f"companies/{company.public_id}/profile")
    assert client.get(here).status_code == 200
    assert client.get(here.replace(company.public_id, company.public_id.upper())).status_code == 200
    r = post(here, {"offers": "ウズベキスタン向けの太陽光パネル", "sectors": ["energy"]})
    assert r.status_code == 302
    assert profiles.profile_of(company).offers == "ウズベキスタン向けの太陽光パネル"
    # another company's profile, or this company's id in another forum's address: 404, and nothing changes
    other = f.company(forum, 1)
    assert client.get(url(forum, f"companies/{other.public_id}/profile")).status_code == 404
    assert post(url(forum, f"companies/{other.public_id}/profile"), {"offers": "x"}).status_code == 404
    elsewhere = f.forum()
    assert client.get(url(elsewhere, f"companies/{company.public_id}/profile")).status_code == 404
    assert client.get(url(forum, f"companies/{company.id}/profile")).status_code == 404
    assert profiles.profile_of(other) is None


def test_the_b2b_team_edits_a_profile_on_behalf(client, db, login, post, two):
    forum, kz, _jp = two
    team = f.member(forum, Permission.B2B)
    login(team)
    here = url(forum, f"companies/{kz.company.public_id}/profile")
    page = client.get(here).get_data(as_text=True)
    assert "as a member of the forum's B2B team" in page
    assert post(here, {"offers": "Edited by the team", "sectors": ["energy"]}).status_code == 302
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "b2b_profile")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_id == team.id and entry.details["on_behalf"] is True
    assert client.get(url(forum, "directory")).status_code == 404  # the team is not a delegate


def test_the_directory_lists_searches_and_filters(client, db, login, app, two):
    forum, kz, jp = two
    f.participant(forum, legal_name="Oʻzbekiston Paxta", name_en="Uzbek Cotton", country="UZ")
    f.participant(forum, legal_name="Hidden", name_en="Hidden LLP", directory_consent=False)
    login(kz.user)
    page = client.get(url(forum, "directory")).get_data(as_text=True)
    for text in ("株式会社クボタ", "Kubota", "田中 一郎", "TANAKA Ichiro", "Water treatment pumps", "Uzbek Cotton",
                 "Japan", f"/b2b/companies/{jp.company.public_id}", "View profile"):
        assert text in page, text
    assert "Hidden" not in page
    assert f"/b2b/requests/new?company={jp.company.public_id}&amp;delegate={jp.public_id}" in page
    assert f"company={kz.company.public_id}" not in page  # not to one's own company
    page = client.get(url(forum, "directory") + "?q=казак").get_data(as_text=True)
    assert "Kazakh Su" in page and "Kubota" not in page and "Uzbek Cotton" not in page
    page = client.get(url(forum, "directory") + "?q=ozbek").get_data(as_text=True)
    assert "Uzbek Cotton" in page and "Kubota" not in page
    page = client.get(url(forum, "directory") + "?country=JP&language=ja&keyword=pumps").get_data(as_text=True)
    assert "Kubota" in page and "Kazakh Su" not in page
    page = client.get(url(forum, "directory") + "?country=JP&language=kk").get_data(as_text=True)
    assert "No company matches." in page


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page=-1", "page=²", "country=%E2%80%AE", "sector=" + "x" * 5000,
                                   "q=" + "я" * 5000, "language[]=ja", "keyword=%25_%5C"])
def test_hostile_queries_never_fail(client, db, login, two, query):
    forum, kz, _jp = two
    login(kz.user)
    assert client.get(url(forum, "directory") + "?" + query).status_code == 200


def test_a_page_far_out_is_not_found(client, db, login, two):
    forum, kz, _jp = two
    login(kz.user)
    assert client.get(url(forum, "directory") + "?page=99999999999").status_code == 404
    assert client.get(url(forum, "directory") + "?page=5").status_code == 200  # empty, but a page


def test_the_directory_is_paginated_in_a_stable_order(client, db, login, app, monkeypatch):
    forum = f.forum()
    me = f.participant(forum, name_en="Aaa First")
    for i in range(5):
        f.participant(forum, name_en=f"Company {i}")
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    login(me.user)
    seen = []
    for n in (1, 2, 3):
        page = client.get(url(forum, "directory") + f"?page={n}").get_data(as_text=True)
        seen += [name for name in ["Aaa First"] + [f"Company {i}" for i in range(5)] if name in page]
    assert seen == ["Aaa First", "Company 0", "Company 1", "Company 2", "Company 3", "Company 4"]
    assert "page=2" in client.get(url(forum, "directory")).get_data(as_text=True)


def test_one_companys_page_and_its_limits(client, db, login, two):
    forum, kz, jp = two
    login(kz.user)
    page = client.get(url(forum, f"companies/{jp.company.public_id}")).get_data(as_text=True)
    assert "株式会社クボタ" in page and "Partners in Kazakhstan" in page and "田中 一郎" in page
    assert "Edit your company" not in page
    mine = client.get(url(forum, f"companies/{kz.company.public_id}")).get_data(as_text=True)
    assert "Edit your company" in mine
    hidden = f.participant(forum, directory_consent=False)
    elsewhere = f.participant(f.forum())
    for pid in (hidden.company.public_id, elsewhere.company.public_id, "00000000-0000-4000-8000-000000000000",
                str(jp.company_id)):
        assert client.get(url(forum, f"companies/{pid}")).status_code == 404, pid
    # a company's pid under another forum's address: 404 too
    assert client.get(url(elsewhere.forum, f"companies/{jp.company.public_id}")).status_code == 404


def test_suggestions_are_explained_in_plain_words(client, db, login, two):
    forum, kz, jp = two
    f.participant(forum, name_en="Unrelated Co", country="JP")  # nothing in common: not suggested
    login(kz.user)
    page = client.get(url(forum, "suggestions")).get_data(as_text=True)
    assert "Kubota" in page and "Unrelated Co" not in page
    assert ("You seek what they offer: Water treatment pumps; both in Energy, oil and gas; "
            "a Japan – Central Asia pair (Kazakhstan – Japan)") in page
    assert "Kazakh Su" not in page.split("<h1", 1)[1].split("</p>", 1)[1]  # not itself
    login(jp.user)
    page = client.get(url(forum, "suggestions")).get_data(as_text=True)
    assert "They seek what you offer: Water treatment pumps" in page


def test_suggestions_mark_a_company_already_asked(client, db, login, two):
    forum, kz, jp = two
    f.meeting_request(kz, jp)
    login(kz.user)
    assert "Request waiting for an answer" in client.get(url(forum, "suggestions")).get_data(as_text=True)


def _forum_with_companies(n: int):
    forum = f.forum()
    me = f.participant(forum, country="KZ", languages=["kk"])
    f.profile(me.company, seeks="pumps", offers="cotton", sectors=["energy"])
    for i in range(n):
        regs = f.participant_company(forum, 2, country="JP", name_en=f"Co {i}")
        f.profile(regs[0].company, offers="pumps", seeks="cotton", sectors=["energy"], languages=["ja"])
    return forum, me


@pytest.mark.parametrize("page", ["directory", "suggestions", "directory?q=co&sector=energy&language=ja"])
def test_pages_run_the_same_statements_for_1_and_20_companies(client, db, login, page):
    counts = []
    for n in (1, 20):
        forum, me = _forum_with_companies(n)
        login(me.user)
        counts.append(statements_for(client, url(forum, page)))
    assert counts[0] == counts[1], counts
