"""The team page, the forum list and the Manage menu, through HTTP with CSRF on."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.notifications.models import OutboxMessage
from forum.teams import services as teams
from forum.teams.models import Permission, TeamMember
from tests import factories as f


@pytest.fixture()
def forum(db):
    return f.forum(slug="astana")


def _member(db, user) -> TeamMember:
    return db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == user.id))


def _text(r) -> str:
    return r.get_data(as_text=True)


def test_the_team_page_lists_members_with_their_permissions(client, db, login, forum):
    boss = login(f.member(forum, "manage", name="Aigerim Sarsenbayeva"))
    f.member(forum, "review", "checkin", name="Daniyar Omarov")
    html = _text(client.get("/manage/astana/team"))
    assert "Aigerim Sarsenbayeva" in html and "Daniyar Omarov" in html and boss.email in html
    row = html[html.index("Daniyar Omarov"):]
    row = row[:row.index("</li>")]
    checked = re.findall(r'<input[^>]*checked[^>]*value="(\w+)"|<input[^>]*value="(\w+)"[^>]*checked', row)
    assert sorted(a or b for a, b in checked) == ["checkin", "review"]


def test_adding_a_member_by_email_sends_an_invitation(client, db, login, post, forum):
    login(f.member(forum, "manage"))
    r = post("/manage/astana/team", {"email": "Tanaka@example.jp", "permissions": ["review", "checkin"],
                                     "name": "田中 健一", "language": "ja"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/manage/astana/team")
    user = accounts.find_by_email("tanaka@example.jp")
    assert user is not None and not user.has_password and user.language == "ja"
    assert _member(db, user).permissions == [Permission.REVIEW, Permission.CHECKIN]
    assert db.session.scalar(sa.select(OutboxMessage.template).where(OutboxMessage.to_addr == user.email)) == \
        "team_invitation"
    html = _text(client.get("/manage/astana/team"))
    assert "an invitation to choose a password is on its way" in html and "invited, no password yet" in html


@pytest.mark.parametrize("data, field, message", [
    ({"email": "not an address", "permissions": ["review"]}, "email", "Invalid email address."),
    ({"email": "x@example.org"}, "permissions", "Choose at least one permission."),
])
def test_a_bad_add_shows_the_error_next_to_the_field_and_keeps_the_input(client, db, login, post, forum, data,
                                                                       field, message):
    login(f.member(forum, "manage"))
    r = post("/manage/astana/team", data)
    html = _text(r)
    assert r.status_code == 422
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', html)
    assert f'value="{data["email"]}"' in html
    assert accounts.find_by_email("x@example.org") is None


def test_adding_someone_already_on_the_team_says_so_next_to_the_email(client, db, login, post, forum):
    login(f.member(forum, "manage"))
    other = f.member(forum, "review")
    r = post("/manage/astana/team", {"email": other.email, "permissions": ["checkin"]})
    assert r.status_code == 422
    assert re.search(r'id="email-error">[^<]*is already on the team', _text(r))
    assert _member(db, other).permissions == [Permission.REVIEW]


def test_changing_permissions(client, db, login, post, forum):
    login(f.member(forum, "manage"))
    door = _member(db, f.member(forum, "checkin"))
    r = post(f"/manage/astana/team/{door.id}", {f"m{door.id}-permissions": ["checkin", "b2b"]})
    assert r.status_code == 302
    db.session.refresh(door)
    assert door.permissions == [Permission.CHECKIN, Permission.B2B]


def test_the_last_manager_cannot_demote_themselves_and_is_told_why(client, db, login, post, forum):
    me = _member(db, login(f.member(forum, "manage")))
    r = post(f"/manage/astana/team/{me.id}", {f"m{me.id}-permissions": ["review"]})
    assert r.status_code == 422
    assert re.search(rf'id="m{me.id}-error">[^<]*at least one member who manages it', _text(r))
    db.session.refresh(me)
    assert me.manage


def test_removing_asks_first_then_removes(client, db, login, post, forum):
    login(f.member(forum, "manage"))
    door_user = f.member(forum, "checkin", "documents", name="Daniyar Omarov")
    door = _member(db, door_user)
    page = client.get(f"/manage/astana/team/{door.id}/remove")
    html = _text(page)
    assert page.status_code == 200 and "Remove Daniyar Omarov from the team?" in html
    assert "Check-in" in html and "Documents" in html
    assert _member(db, door_user) is not None  # asking changed nothing
    r = post(f"/manage/astana/team/{door.id}/remove", token_from=f"/manage/astana/team/{door.id}/remove")
    assert r.status_code == 302
    assert _member(db, door_user) is None
    assert "is no longer on the team" in _text(client.get("/manage/astana/team"))


def test_the_last_manager_cannot_remove_themselves(client, db, login, post, forum):
    me = _member(db, login(f.member(forum, "manage")))
    r = post(f"/manage/astana/team/{me.id}/remove")
    assert r.status_code == 409 and "at least one member who manages it" in _text(r)
    assert _member(db, me.user) is not None


def test_a_manager_who_removes_themselves_lands_where_they_still_may_go(client, db, login, post, forum):
    f.member(forum, "manage")
    me_user = login(f.member(forum, "manage"))
    me = _member(db, me_user)
    r = post(f"/manage/astana/team/{me.id}/remove")
    assert r.status_code == 302 and r.headers["Location"].endswith("/my")
    assert client.get("/manage/astana/team").status_code == 403


# --- navigation: only the links a person's permissions open -------------------------------------

MANAGE_LINKS = ("/manage/astana/team", "/manage/astana/edit", "/manage/astana/mail", "/manage/astana/cancel")
REVIEW_LINKS = ("/manage/astana/registrations", "/manage/astana/late", "/manage/astana/invitations")


def _forum_row(html: str) -> str:
    row = html[html.index('id="forum-astana"'):]
    return row[:row.index("</tr>")]


@pytest.mark.parametrize("perms, review, manage", [
    (("manage",), True, True), (("review",), True, False), (("review", "checkin"), True, False),
])
def test_the_forum_list_shows_only_the_links_the_permissions_open(client, db, login, forum, perms, review, manage):
    login(f.member(forum, *perms))
    row = _forum_row(_text(client.get("/manage/")))
    assert all((link in row) is review for link in REVIEW_LINKS)
    assert all((link in row) is manage for link in MANAGE_LINKS)
    assert "door scanner" not in row
    assert ("/manage/astana/checkin" in row) is ("checkin" in perms or manage)


def test_check_in_alone_lists_the_forum_with_its_scanner_and_check_in_pages_only(client, db, login, forum):
    login(f.member(forum, "checkin"))
    html = _text(client.get("/manage/"))
    row = _forum_row(html)
    assert "Central Asia + Japan Business Forum" in row and 'href="/manage/astana/scan">Scanner</a>' in row
    assert "/manage/astana/checkin" in row
    menu = html[html.index('class="dropdown-menu"'):html.index("</nav>")]
    assert 'href="/manage/astana/scan">Scanner</a>' in menu and "/manage/astana/checkin" in menu
    # no other page of the forum anywhere, menu included
    assert set(re.findall(r'href="(/manage/astana/[^"?]*)"', html)) == {"/manage/astana/scan", "/manage/astana/checkin"}
    assert "/manage/forums/new" not in html and "/admin/users" not in html


def test_b2b_alone_lists_the_forum_with_its_b2b_pages_only_and_lights_the_b2b_tab_on_each(client, db, login, forum):
    login(f.member(forum, "b2b"))
    html = _text(client.get("/manage/"))
    row = _forum_row(html)
    assert 'href="/manage/astana/b2b/schedule/">B2B meetings</a>' in row and "later version" not in row
    menu = html[html.index('class="dropdown-menu"'):html.index("</nav>")]
    assert 'href="/manage/astana/b2b/schedule/">B2B meetings</a>' in menu and "No pages yet" not in menu
    assert set(re.findall(r'href="(/manage/astana/[^"?]*)"', html)) == {"/manage/astana/b2b/schedule/"}
    for url in ("/manage/astana/b2b/schedule/", "/manage/astana/b2b/setup/", "/manage/astana/b2b/requests/"):
        page = _text(client.get(url))
        tabs = page[page.index('class="nav nav-tabs'):]
        tabs = tabs[:tabs.index("</ul>")]
        assert 'active" aria-current="page" href="/manage/astana/b2b/schedule/">B2B meetings</a>' in tabs, url
        assert "/manage/astana/registrations" not in tabs and "/manage/astana/scan" not in tabs


def test_the_manage_menu_and_the_forum_tabs_follow_the_permissions(client, db, login, forum):
    other = f.forum(slug="tashkent")
    login(f.member(forum, "review"))
    html = _text(client.get("/manage/astana/registrations"))
    menu = html[html.index('class="dropdown-menu"'):html.index("</nav>")]
    assert "/manage/astana/registrations" in menu and "/manage/astana/team" not in menu
    assert "/manage/tashkent/" not in html and other.slug not in menu
    tabs = html[html.index('class="nav nav-tabs'):]
    tabs = tabs[:tabs.index("</ul>")]
    assert "Registrations" in tabs and "/manage/astana/team" not in tabs and "/manage/astana/mail" not in tabs
    assert "/manage/astana/edit" not in html and "/manage/astana/scan" not in html  # no check-in permission
    login(f.member(forum, "review", "checkin"))
    html = _text(client.get("/manage/astana/registrations"))
    tabs = html[html.index('class="nav nav-tabs'):]
    assert 'href="/manage/astana/scan">Scanner</a>' in tabs[:tabs.index("</ul>")]


def test_administrators_see_users_and_new_forum(client, db, login, forum):
    login(f.organizer())
    html = _text(client.get("/manage/"))
    assert "/admin/users" in html and "/manage/forums/new" in html
    assert all(link in _forum_row(html) for link in MANAGE_LINKS + REVIEW_LINKS)


@pytest.mark.parametrize("url", ["/manage/astana/team", "/manage/"])
def test_team_page_and_forum_list_ask_as_many_queries_for_20_rows_as_for_1(client, db, login, forum, url):
    from tests.test_query_counts import statements_for

    boss = login(f.member(forum, "manage"))
    f.member(forum, "review")
    one = statements_for(client, url)
    for i in range(19):
        # other members, each added by someone else (the page names who), and forums this manager is on
        user = f.member(forum, "review", "checkin")
        _member(db, user).added_by_id = f.user(name=f"Adder {i}").id
        teams.grant(f.forum(), boss, ["review"], by=None)
    assert statements_for(client, url) == one
