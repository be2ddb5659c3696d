"""Site administration: the user list, administrators, disabling accounts; the first administrator from the CLI."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.accounts import administration, services as accounts
from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.errors import DomainError
from tests import factories as f


def _code(call) -> str:
    with pytest.raises(DomainError) as e:
        call()
    return e.value.code


def _audit(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


# --- services -----------------------------------------------------------------------------------

def test_making_and_unmaking_an_administrator_is_audited(db):
    admin, user = f.organizer(), f.user()
    administration.set_admin(user, True, by=admin)
    assert user.is_admin
    administration.set_admin(user, False, by=admin)
    assert not user.is_admin
    [granted], [revoked] = _audit(db, "admin_granted"), _audit(db, "admin_revoked")
    assert (granted.subject_id, granted.actor_id, granted.from_state, granted.to_state) == (
        user.id, admin.id, "user", "admin")
    assert (revoked.from_state, revoked.to_state) == ("admin", "user")


def test_only_administrators_administer(db):
    manager = f.member(f.forum(), "manage")
    user = f.user()
    assert _code(lambda: administration.set_admin(user, True, by=manager)) == "not_admin"
    assert _code(lambda: administration.set_active(user, False, by=manager)) == "not_admin"
    assert not user.is_admin and user.active


def test_nobody_unmakes_or_disables_themselves(db):
    me = f.organizer()
    f.organizer()  # another administrator exists: the refusal is about oneself, not about the last one
    assert _code(lambda: administration.set_admin(me, False, by=me)) == "yourself"
    assert _code(lambda: administration.set_active(me, False, by=me)) == "yourself"
    assert me.is_admin and me.active


def test_disabling_ends_sessions_and_enabling_lets_them_sign_in_again(db):
    admin = f.organizer()
    user = f.user(email="olga@example.kz")
    generation = user.session_generation
    administration.set_active(user, False, by=admin, reason="left the chamber")
    assert not user.active and user.session_generation == generation + 1
    assert _code(lambda: accounts.authenticate("olga@example.kz", f.PASSWORD)) == "disabled"
    assert _code(lambda: administration.set_active(user, False, by=admin)) == "already_disabled"
    administration.set_active(user, True, by=admin)
    assert accounts.authenticate("olga@example.kz", f.PASSWORD).id == user.id
    [off], [on] = _audit(db, "deactivated"), _audit(db, "reactivated")
    assert (off.actor_id, off.reason, on.actor_id, on.to_state) == (admin.id, "left the chamber", admin.id, "active")


def test_the_last_active_administrator_is_never_disabled(db):
    last = f.organizer()
    assert _code(lambda: accounts.deactivate(last, by=None)) == "last_admin"  # the command line asks the same
    other = f.organizer()
    accounts.deactivate(other, by=None)  # two administrators: one may go
    assert _code(lambda: accounts.deactivate(last, by=None)) == "last_admin"  # a disabled one does not count
    assert last.active


def test_an_administrator_unmade_a_moment_ago_can_no_longer_administer(db):
    a, b = f.organizer(), f.organizer()
    administration.set_admin(b, False, by=a)
    db.session.commit()
    stale = db.session.get(User, b.id)
    stale.is_admin = True  # as loaded at the start of b's request, before a's change: the lock re-reads it
    db.session.expunge(stale)
    assert _code(lambda: administration.set_admin(a, False, by=stale)) == "not_admin"
    db.session.refresh(a)
    assert a.is_admin


def test_the_user_search_folds_scripts_like_every_search(db):
    f.user(name="Әлібек Қасымов", email="alibek@example.kz")
    f.user(name="Oʻlmas Karimov", email="olmas@example.uz")
    f.user(name="山田 太郎", email="yamada@example.jp")
    names = lambda q, **kw: [u.display_name for u in db.session.scalars(administration.users_query(q, **kw))]  # noqa: E731
    assert names("касымов алибек") == ["Әлібек Қасымов"]
    assert names("Olmas") == ["Oʻlmas Karimov"]
    assert names("山田太郎") == ["山田 太郎"]
    assert names("example.jp") == ["山田 太郎"]
    assert names("", only="admins") == []


def test_renaming_an_account_updates_its_search_key(db):
    user = f.user(name="Old Name")
    accounts.update_profile(user, "Даниияр Омаров", "ru")
    assert [u.id for u in db.session.scalars(administration.users_query("омаров"))] == [user.id]


# --- the pages ------------------------------------------------------------------------------------

def test_the_user_list_searches_filters_and_pages(app, client, db, login):
    login(f.organizer(name="Aigerim"))
    for i in range(7):
        f.user(name=f"Delegate {i}", email=f"d{i}@example.org")
    f.member(f.forum(slug="astana"), "review", name="Reviewer Person")
    before = app.config["PER_PAGE"]
    app.config["PER_PAGE"] = 3
    try:
        html = client.get("/admin/users").get_data(as_text=True)
        assert html.count('id="user-') == 3 and "9 accounts" in html
        assert 'aria-label="Pages"' in html
        assert client.get("/admin/users?page=3").get_data(as_text=True).count('id="user-') == 3
    finally:
        app.config["PER_PAGE"] = before
    html = client.get("/admin/users?q=reviewer").get_data(as_text=True)
    assert html.count('id="user-') == 1 and "Reviewer Person" in html and "/manage/astana/team" in html
    assert "Review" in html
    html = client.get("/admin/users?only=admins").get_data(as_text=True)
    assert html.count('id="user-') == 1 and "Aigerim" in html


def test_making_an_administrator_through_the_page(client, db, login, post):
    login(f.organizer())
    user = f.user(name="Dilnoza")
    r = post(f"/admin/users/{user.id}/admin", {"value": "on", "back": "/admin/users?q=dilnoza"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/users?q=dilnoza")
    db.session.refresh(user)
    assert user.is_admin
    assert "is now a site administrator" in client.get("/admin/users").get_data(as_text=True)


def test_disabling_oneself_through_the_page_is_refused_and_the_page_offers_no_button(client, db, login, post):
    me = login(f.organizer())
    f.organizer()
    html = client.get("/admin/users").get_data(as_text=True)
    mine = html[html.index(f'id="user-{me.id}"'):]
    mine = mine[:mine.index("</tr>")]
    assert "<form" not in mine
    r = post(f"/admin/users/{me.id}/active", {"value": "off"})
    assert r.status_code == 302
    db.session.refresh(me)
    assert me.active
    assert "You cannot do this to your own account" in client.get("/admin/users").get_data(as_text=True)


def test_a_bad_switch_value_is_a_bad_request(client, db, login, post):
    login(f.organizer())
    user = f.user()
    assert post(f"/admin/users/{user.id}/admin", {"value": "maybe"}).status_code == 400
    assert post("/admin/users/999999/admin", {"value": "on"}).status_code == 404


def test_the_user_list_asks_as_many_queries_for_20_users_as_for_1(client, db, login):
    from tests.test_query_counts import statements_for

    from forum.teams import services as teams

    login(f.organizer())
    # One user on one team first: forums (and their texts, one query more) are loaded for 1 as for 20.
    teams.grant(f.forum(), f.user(), ["checkin"], by=None)
    one = statements_for(client, "/admin/users")
    for i in range(19):
        user = f.user()
        f.member(f.forum(), "review", "checkin")
        teams.grant(f.forum(), user, ["checkin"], by=None)
    assert statements_for(client, "/admin/users") == one


# --- the command line -------------------------------------------------------------------------

def test_the_first_account_from_the_command_line_is_an_administrator_and_says_so(app, db, monkeypatch):
    monkeypatch.setenv("FORUM_PASSWORD", "a long password")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["user", "create", "--email", "first@example.org", "--name", "First"])
    assert first.exit_code == 0, first.output
    assert "Created administrator first@example.org" in first.output
    assert re.search(r"no administrator yet, so this account is one", first.output)
    second = runner.invoke(args=["user", "create", "--email", "second@example.org", "--name", "Second"])
    assert second.exit_code == 0 and "Created user second@example.org" in second.output
    assert "no administrator" not in second.output
    db.session.expire_all()
    assert accounts.find_by_email("first@example.org").is_admin
    assert not accounts.find_by_email("second@example.org").is_admin


def test_the_command_line_refuses_to_disable_the_last_administrator(app, db):
    f.organizer(email="only@example.org")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["user", "deactivate", "--email", "only@example.org"])
    assert result.exit_code != 0 and "last active site administrator" in result.output
    db.session.expire_all()
    assert accounts.find_by_email("only@example.org").active


def test_migration_0011_gives_every_existing_account_its_search_key(db):
    import importlib.util
    from pathlib import Path

    from forum.search import search_key

    path = Path(__file__).parents[2] / "migrations" / "versions" / "0011_teams.py"
    spec = importlib.util.spec_from_file_location("migration_0011_teams", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for name in ("Әлібек Қасымов", "Oʻlmas Karimov", "山田 太郎", "Anna", "Ерлан"):
        f.user(name=name)
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.update(User).values(search_key=""))
        migration.fill_search_keys(conn, batch_size=2)
    db.session.expire_all()
    users = db.session.scalars(sa.select(User)).all()
    assert len(users) == 5 and all(u.search_key == search_key(u.display_name, u.email) for u in users)
    assert [u.display_name for u in db.session.scalars(administration.users_query("касымов"))] == ["Әлібек Қасымов"]
