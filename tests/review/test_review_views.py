"""Organizer pages: who may see them, decisions, bulk actions, the late queue, search, forums."""
import re

import pytest
import sqlalchemy as sa

from forum.forums.models import Forum
from forum.registration.models import CompanyRegistration, RegState, Registration
from tests import factories as f

ORGANIZER_PAGES = [
    "/manage/", "/manage/forums/new", "/manage/{slug}/edit", "/manage/{slug}/registrations",
    "/manage/{slug}/registrations/{reg}", "/manage/{slug}/late", "/manage/{slug}/invitations",
    "/manage/{slug}/registrations/new", "/manage/{slug}/registrations.csv", "/manage/{slug}/",
    "/manage/{slug}/dashboard", "/manage/{slug}/participants", "/manage/{slug}/registrations?print=1",
]


@pytest.fixture()
def world(db):
    forum = f.forum(slug="astana")
    reg = f.registration_(forum)
    return forum, reg


def _on_a_team(user):
    from forum.teams.permissions import is_on_a_team

    return is_on_a_team(user)


@pytest.mark.parametrize("page", ORGANIZER_PAGES)
def test_organizer_pages_refuse_everyone_else(client, db, login, world, page):
    forum, reg = world
    url = page.format(slug=forum.slug, reg=reg.id)
    r = client.get(url)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    elsewhere = f.member(f.forum(), "manage")
    for other in (f.user(), f.member(forum, "checkin"), elsewhere):
        login(other)
        r = client.get(url)
        if page == "/manage/" and _on_a_team(other):
            # Any team member has a forum list: only their own forums are on it; check-in alone links only to
            # the door's pages (the scanner and the check-in dashboard).
            assert r.status_code == 200
            html = r.get_data(as_text=True)
            assert (other is not elsewhere) == ('id="forum-astana"' in html)
            door = {"/manage/astana/scan", "/manage/astana/checkin"} if other is not elsewhere else set()
            assert set(re.findall(r'href="(/manage/astana/[^"?]*)"', html)) == door
        else:
            assert r.status_code == 403
    login(f.organizer())
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("action", ["decide", "bulk", "invitations", "new"])
def test_organizer_posts_refuse_delegates(client, db, login, post, world, action):
    forum, reg = world
    login(reg.user)
    url = {"decide": f"/manage/astana/registrations/{reg.id}/decide", "bulk": "/manage/astana/registrations/bulk",
           "invitations": "/manage/astana/invitations", "new": "/manage/astana/registrations/new"}[action]
    r = post(url, {"action": "approve", "ids": [str(reg.id)], "company_name": "X", "email": "x@x.kz"})
    assert r.status_code == 403
    assert db.session.get(Registration, reg.id).state is RegState.PENDING


def test_decide_approve_and_reject_with_reason(client, db, login, post, world):
    forum, reg = world
    login(f.organizer())
    r = post(f"/manage/astana/registrations/{reg.id}/decide", {"action": "reject", "reason": ""})
    assert r.status_code == 422
    assert "Give a reason for the rejection" in r.get_data(as_text=True)
    assert db.session.get(Registration, reg.id).state is RegState.PENDING
    r = post(f"/manage/astana/registrations/{reg.id}/decide", {"action": "reject", "reason": "Duplicate delegate"})
    assert r.status_code == 302
    assert db.session.get(Registration, reg.id).state is RegState.REJECTED
    detail = client.get(f"/manage/astana/registrations/{reg.id}").get_data(as_text=True)
    assert "Duplicate delegate" in detail and "pending → rejected" in detail


def test_decide_on_registration_of_another_forum_is_404(client, db, login, post, world):
    other = f.registration_(f.forum(slug="tashkent"))
    login(f.organizer())
    assert post(f"/manage/astana/registrations/{other.id}/decide", {"action": "approve"}).status_code == 404
    assert client.get(f"/manage/astana/registrations/{other.id}").status_code == 404


def test_capacity_message_and_override_through_the_page(client, db, login, post):
    forum = f.forum(slug="small", capacity=1)
    a, b = f.company(forum, 2).delegates
    login(f.organizer())
    assert "override_capacity" not in client.get(f"/manage/small/registrations/{b.id}").get_data(as_text=True)
    post(f"/manage/small/registrations/{a.id}/decide", {"action": "approve"})
    assert "override_capacity" in client.get(f"/manage/small/registrations/{b.id}").get_data(as_text=True)
    r = post(f"/manage/small/registrations/{b.id}/decide", {"action": "approve"})
    assert "The forum is full: 1 of 1" in r.get_data(as_text=True)
    r = post(f"/manage/small/registrations/{b.id}/decide",
             {"action": "approve", "override_capacity": "y", "reason": "Ministry delegation"})
    assert r.status_code == 302
    assert db.session.get(Registration, b.id).state is RegState.APPROVED


def test_bulk_approve_and_reject(client, db, login, post):
    forum = f.forum(slug="astana")
    regs = f.company(forum, 3).delegates
    ids = [str(r.id) for r in regs]
    login(f.organizer())
    r = post("/manage/astana/registrations/bulk", {"action": "approve", "ids": ids[:2]})
    assert r.status_code == 302
    r = post("/manage/astana/registrations/bulk", {"action": "reject", "ids": ids[2:], "reason": ""})
    states = [db.session.get(Registration, int(i)).state for i in ids]
    assert states == [RegState.APPROVED, RegState.APPROVED, RegState.PENDING]
    post("/manage/astana/registrations/bulk", {"action": "reject", "ids": ids[2:], "reason": "No reply"})
    assert db.session.get(Registration, int(ids[2])).state is RegState.REJECTED


def test_list_filters_search_counts_and_pagination(client, db, login):
    forum = f.forum(slug="astana")
    kz = f.company(forum, 1, country="KZ", sector="energy")
    kz.delegates[0].full_name, kz.delegates[0].latin_name = "Ерлан Қасымов", "Yerlan Kasymov"
    from forum.search import search_key

    kz.delegates[0].search_key = search_key("Ерлан Қасымов", "Yerlan Kasymov", kz.delegates[0].email)
    for _ in range(6):
        f.company(forum, 10, country="JP")
    login(f.organizer())
    html = client.get("/manage/astana/registrations?q=ЕРЛАН").get_data(as_text=True)
    assert "Ерлан Қасымов" in html and "1 registration" in html
    assert "Ерлан Қасымов" in client.get("/manage/astana/registrations?q=kasymov").get_data(as_text=True)
    html = client.get("/manage/astana/registrations?country=KZ&sector=energy").get_data(as_text=True)
    assert "1 registration" in html
    page1 = client.get("/manage/astana/registrations").get_data(as_text=True)
    assert "61 registrations" in page1 and "Pending: 61" in page1
    page2 = client.get("/manage/astana/registrations?page=2").get_data(as_text=True)
    assert page2.count('name="ids"') == 11
    # nonsense filters are ignored, never a crash
    assert client.get("/manage/astana/registrations?state=bogus&page=abc&late=maybe").status_code == 200
    assert client.get("/manage/astana/registrations?q=" + "%" * 50).status_code == 200


def test_late_queue_is_oldest_first_and_shows_waiting_time(client, db, login, post):
    from datetime import timedelta

    from forum import clock

    forum = f.forum(slug="astana", phase="late")
    now = clock.now()
    newer = f.company(forum, 1, late_reason="new", now=now - timedelta(hours=1))
    older = f.company(forum, 1, late_reason="old", now=now - timedelta(days=1, hours=2))
    login(f.organizer())
    html = client.get("/manage/astana/late").get_data(as_text=True)
    assert html.index(older.delegates[0].full_name) < html.index(newer.delegates[0].full_name)
    assert "Waiting for 1 day" in html
    r = post(f"/manage/astana/registrations/{older.delegates[0].id}/decide",
             {"action": "approve", "next": "/manage/astana/late"})
    assert r.headers["Location"].endswith("/manage/astana/late")
    html = client.get("/manage/astana/late").get_data(as_text=True)
    assert f"is now approved" in html  # the flash after the redirect
    assert f'/registrations/{older.delegates[0].id}"' not in html  # no longer in the queue
    assert f'/registrations/{newer.delegates[0].id}"' in html


def test_invitation_created_from_the_page(client, db, login, post):
    f.forum(slug="astana", phase="late")
    login(f.organizer())
    r = post("/manage/astana/invitations", {"company_name": "Mitsui & Co.", "email": "bad", "days_valid": "7",
                                             "language": "ja"})
    assert r.status_code == 422
    r = post("/manage/astana/invitations", {"company_name": "Mitsui & Co.", "email": "kato@mitsui.jp",
                                             "days_valid": "7", "language": "ja"})
    assert r.status_code == 302
    assert "kato@mitsui.jp" in client.get("/manage/astana/invitations").get_data(as_text=True)


def test_manual_registration_by_organizer_after_deadline(client, db, login, post):
    f.forum(slug="astana", phase="late")
    login(f.organizer())
    data = {"legal_name": "Oʻzbekiston Temir Yoʻllari", "name_en": "Uzbekistan Railways", "country": "UZ",
            "city": "Toshkent", "sector": "transport", "contact_name": "Gʻayrat Oʻktamov",
            "contact_email": "g@uzrailway.uz", "privacy_accepted": "y",
            "delegates-0-full_name": "Gʻayrat Oʻktamov", "delegates-0-latin_name": "Gʻayrat Oʻktamov",
            "delegates-0-email": "g@uzrailway.uz", "delegates-0-category": "vip"}
    r = post("/manage/astana/registrations/new", data)
    assert r.status_code == 302
    company = db.session.scalars(sa.select(CompanyRegistration)).one()
    assert company.source.value == "manual"


def test_forum_create_and_edit_with_local_times(client, db, login, post):
    login(f.organizer())
    data = {"title": "Kyrgyzstan–Japan Forum", "slug": "bishkek-2027", "city": "Bishkek", "venue": "Hyatt",
            "country": "KG", "timezone": "Asia/Bishkek", "starts_local": "2027-05-20T09:00",
            "ends_local": "2027-05-21T18:00", "opens_local": "2027-03-01T09:00", "closes_local": "2027-05-10T18:00",
            "capacity": "300", "status": "published", "description": ""}
    r = post("/manage/forums/new", data)
    assert r.status_code == 302, r.get_data(as_text=True)
    forum = db.session.scalars(sa.select(Forum).where(Forum.slug == "bishkek-2027")).one()
    assert forum.starts_at.isoformat() == "2027-05-20T03:00:00+00:00"  # Bishkek is UTC+6
    bad = dict(data, slug="Bad Slug!", ends_local="2027-05-19T09:00", capacity="0")
    r = post(f"/manage/{forum.slug}/edit", bad)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="slug-error"' in html and 'id="ends_local-error"' in html and 'id="capacity-error"' in html
    assert db.session.get(Forum, forum.id).slug == "bishkek-2027"
    r = post(f"/manage/{forum.slug}/edit", dict(data, capacity="450"))
    assert r.status_code == 302 and db.session.get(Forum, forum.id).capacity == 450
    r = post("/manage/forums/new", dict(data, title="Copy"))
    assert 'Another forum already uses this address.' in r.get_data(as_text=True)


def test_page_size_is_the_configured_one(app, client, db, login, monkeypatch):
    forum = f.forum(slug="astana")
    for _ in range(3):
        f.company(forum, 10)
    monkeypatch.setitem(app.config, "PER_PAGE", 12)
    login(f.organizer())
    pages = [client.get(f"/manage/astana/registrations?page={n}").get_data(as_text=True).count('name="ids"')
             for n in (1, 2, 3)]
    assert pages == [12, 12, 6]


def test_inviting_to_a_cancelled_forum_is_refused_with_the_reason_and_nothing_saved(client, db, login, post):
    from forum.forums.models import ForumStatus
    from forum.registration.models import LateInvitation

    f.forum(slug="gone", status=ForumStatus.CANCELLED)
    login(f.organizer())
    r = post("/manage/gone/invitations", {"company_name": "Mitsui", "email": "kato@mitsui.jp", "days_valid": "7",
                                           "language": "ja"})
    assert r.status_code == 409
    assert "Registration for this forum is not possible any more." in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LateInvitation)) == 0
