"""/manage/<slug>/devices: managers list the forum's device tokens, make one for a team member who may check in
(shown once, only its hash kept) and revoke one after confirming. Who may reach these pages at all is the
permission matrix's (tests/teams/test_permission_matrix.py)."""
import hashlib
import re

import sqlalchemy as sa

from forum.accounts.models import User
from forum.api import tokens
from forum.api.models import ApiToken
from forum.audit.models import AuditEntry
from forum.teams.models import Permission, TeamMember
from tests import factories as f

SECRET = re.compile(r"fdt_[A-Za-z0-9_-]{43}")


def _setup(db, login):
    forum = f.forum(slug="astana")
    boss = login(f.member(forum, Permission.MANAGE, name="Boss"))
    staff = f.member(forum, Permission.CHECKIN, name="Aigerim Door", email="aigerim@example.org")
    f.member(forum, Permission.REVIEW, name="Reviewer Only")
    db.session.commit()
    return forum, boss, staff


def test_the_page_lists_the_forums_tokens_and_offers_the_members_who_may_check_in(client, db, login):
    forum, boss, staff = _setup(db, login)
    own = tokens.create(staff, label="Gate 1 / Кіру", forum=forum, by=boss).token
    tokens.create(f.member(f.forum(), Permission.CHECKIN), label="Someone else's gate", forum=None, by=None)
    db.session.commit()
    html = client.get("/manage/astana/devices").get_data(as_text=True)
    assert "Gate 1 / Кіру" in html and own.prefix in html and "Aigerim Door" in html
    assert "Someone else&#39;s gate" not in html and "Someone else's gate" not in html
    assert not SECRET.search(html)
    options = re.findall(r'<option[^>]*value="(\d+)"', html)
    assert set(options) == {str(staff.id), str(boss.id)}  # not the reviewer
    assert 'href="/manage/astana/devices"' in html  # the Devices tab


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(client, db, login, post):
    forum, boss, staff = _setup(db, login)
    r = post("/manage/astana/devices", {"user": str(staff.id), "label": " Gate 2 "}, token_from="/manage/astana/devices")
    assert r.status_code == 201
    html = r.get_data(as_text=True)
    (secret,) = set(SECRET.findall(html))
    assert "shown only this once" in html and r.headers["Cache-Control"] == "no-store"
    token = db.session.scalar(sa.select(ApiToken))
    assert (token.label, token.user_id, token.forum_id, token.created_by_id) == ("Gate 2", staff.id, forum.id, boss.id)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    for row in db.session.execute(sa.select(ApiToken.__table__)).all():
        assert secret not in " ".join(map(str, row))
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api_token_created"))
    assert entry.actor_id == boss.id and secret not in str(entry.details)
    # never again: not on the list, not on the page reloaded
    assert secret not in client.get("/manage/astana/devices").get_data(as_text=True)
    # ... and it works
    badge = f.badge(forum)
    db.session.commit()
    answer = client.post("/api/v1/forums/astana/checkins", json={"code": badge.token, "nonce": "web-1"},
                         headers={"Authorization": f"Bearer {secret}"})
    assert answer.get_json()["status"] == "ok"


def test_a_token_for_someone_who_may_not_check_in_is_refused_next_to_the_field(client, db, login, post):
    forum, boss, staff = _setup(db, login)
    reviewer = db.session.scalar(sa.select(User).where(User.display_name == "Reviewer Only"))
    outsider = f.member(f.forum(), Permission.CHECKIN)
    db.session.commit()
    for user_id in (reviewer.id, outsider.id, 999_999):
        r = post("/manage/astana/devices", {"user": str(user_id), "label": "Gate"}, token_from="/manage/astana/devices")
        assert r.status_code == 422, user_id
        assert not SECRET.search(r.get_data(as_text=True))
    r = post("/manage/astana/devices", {"user": str(staff.id), "label": ""}, token_from="/manage/astana/devices")
    assert r.status_code == 422
    r = post("/manage/astana/devices", {"user": "x", "label": "Gate"}, token_from="/manage/astana/devices")
    assert r.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_revoke_asks_then_the_device_is_refused(client, db, login, post):
    forum, boss, staff = _setup(db, login)
    new = tokens.create(staff, label="Gate 3", forum=forum, by=boss)
    db.session.commit()
    page = client.get(f"/manage/astana/devices/{new.token.id}/revoke")
    assert page.status_code == 200 and "Gate 3" in page.get_data(as_text=True)
    assert db.session.get(ApiToken, new.token.id).revoked_at is None  # asking changes nothing
    r = post(f"/manage/astana/devices/{new.token.id}/revoke", {}, token_from="/manage/astana/devices")
    assert r.status_code == 302 and r.headers["Location"].endswith("/manage/astana/devices")
    db.session.expire_all()
    token = db.session.get(ApiToken, new.token.id)
    assert token.revoked_at is not None and token.revoked_by_id == boss.id
    answer = client.post("/api/v1/forums/astana/checkins", json={"code": "x", "nonce": "n"},
                         headers={"Authorization": f"Bearer {new.secret}"})
    assert answer.status_code == 401
    html = client.get("/manage/astana/devices").get_data(as_text=True)
    assert "revoked" in html and f"/devices/{new.token.id}/revoke" not in html
    # twice: says so, changes nothing more
    r = post(f"/manage/astana/devices/{new.token.id}/revoke", {}, token_from="/manage/astana/devices")
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "api_token_revoked")) == 1


def test_another_forums_token_is_not_found_here(client, db, login, post):
    forum, boss, staff = _setup(db, login)
    other = f.forum(slug="tashkent")
    theirs = tokens.create(f.member(other, Permission.CHECKIN), label="Their gate", forum=other, by=None).token
    db.session.commit()
    assert client.get(f"/manage/astana/devices/{theirs.id}/revoke").status_code == 404
    assert post(f"/manage/astana/devices/{theirs.id}/revoke", {}, token_from="/manage/astana/devices").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, theirs.id).revoked_at is None


def test_a_documents_clerks_token_is_marked_as_the_registers_and_a_lapsed_doors_as_refused(client, db, login):
    forum, boss, staff = _setup(db, login)
    clerk = f.member(forum, Permission.DOCUMENTS, name="Erlan Register")
    tokens.create(clerk, label="Register API", forum=forum, by=boss)
    door = tokens.create(staff, label="Gate 2", forum=forum, by=boss).token
    from forum.teams import services as teams

    teams.revoke(db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == staff.id)), by=boss)
    db.session.commit()
    html = client.get("/manage/astana/devices").get_data(as_text=True)
    register_row = html[html.index("Register API"):html.index("</tr>", html.index("Register API"))]
    door_row = html[html.index(door.prefix):html.index("</tr>", html.index(door.prefix))]
    assert "documents register only" in register_row and "refused" not in register_row
    assert "no check-in permission here: refused" in door_row
    options = re.findall(r'<option[^>]*value="(\d+)"', html)
    assert str(clerk.id) in options
