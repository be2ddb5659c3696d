"""The scanner page's offline mode, server side (issue 11, section 1): the device token a check-in member makes
for their own phone (forum-limited, audited, on the Devices page, revocable there), the service worker and its
versioned cache, the web app manifest, and the words the page needs to show a verdict decided on the phone."""
from __future__ import annotations

import html as html_module
import json
import re

import pytest
import sqlalchemy as sa

from forum.api import tokens
from forum.api.models import ApiToken
from forum.audit.models import AuditEntry
from forum.checkin import offline_app
from forum.security_headers import CONTENT_SECURITY_POLICY
from forum.teams.models import Permission
from tests import factories as f
from tests.conftest import csrf_token

PAGE = "/manage/astana/scan"
TOKEN = "/manage/astana/scan/device-token"
WORKER = "/manage/astana/scan/sw.js"
MANIFEST = "/manage/astana/scan/manifest.webmanifest"


@pytest.fixture()
def forum(db):
    return f.forum(slug="astana", tz="Asia/Almaty")


def _make(client, label="Gate 1", csrf=None, **extra):
    csrf = csrf if csrf is not None else csrf_token(client, PAGE)
    return client.post(TOKEN, json={"label": label, **extra},
                       headers={"X-CSRFToken": csrf, "Accept": "application/json"})


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken))


def test_a_check_in_member_gets_a_token_for_their_own_phone_limited_to_this_forum(client, db, forum, login):
    staff = login(f.member(forum, Permission.CHECKIN, name="Door Staff"))
    r = _make(client, label="Кіру қақпасы 1")
    assert r.status_code == 201
    body = r.get_json()
    assert body["secret"].startswith("fdt_") and body["label"] == "Кіру қақпасы 1" and body["user_id"] == staff.id
    token = db.session.get(ApiToken, body["token_id"])
    assert (token.user_id, token.forum_id, token.created_by_id) == (staff.id, forum.id, staff.id)
    assert token.token_hash == tokens.digest(body["secret"])
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api_token_created"))
    assert (entry.actor_id, entry.forum_id, entry.subject_id) == (staff.id, forum.id, token.id)
    # The secret works with the real API, on this forum only.
    auth = {"Authorization": f"Bearer {body['secret']}"}
    assert client.get("/api/v1/forums/astana/scanner-data", headers=auth).status_code == 200
    f.forum(slug="other")
    db.session.commit()
    r = client.get("/api/v1/forums/other/scanner-data", headers=auth)
    assert (r.status_code, r.get_json()["error"]) == (403, "token_other_forum")


def test_the_token_is_on_the_devices_page_and_a_manager_revokes_it_there(client, db, forum, login):
    login(f.member(forum, Permission.CHECKIN, name="Door Staff"))
    secret = _make(client, label="Side door").get_json()["secret"]
    boss = login(f.member(forum, Permission.MANAGE, name="Boss"))
    html = client.get("/manage/astana/devices").get_data(as_text=True)
    assert "Side door" in html and "Door Staff" in html and secret not in html
    token = db.session.scalar(sa.select(ApiToken))
    r = client.post(f"/manage/astana/devices/{token.id}/revoke", data={"csrf_token": csrf_token(client)})
    assert r.status_code == 302
    assert db.session.get(ApiToken, token.id).revoked_by_id == boss.id
    r = client.get("/api/v1/forums/astana/scanner-data", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401  # the page says so and asks to set the phone up again


@pytest.mark.parametrize("permission", [Permission.REVIEW, Permission.DOCUMENTS, Permission.B2B])
def test_a_member_without_the_check_in_permission_gets_no_token(client, db, forum, login, permission):
    login(f.member(forum, permission))
    r = _make(client, csrf=csrf_token(client))
    assert r.status_code == 403 and _count(db) == 0


def test_a_check_in_member_of_another_forum_gets_no_token_here(client, db, forum, login):
    login(f.member(f.forum(slug="elsewhere"), Permission.CHECKIN))
    assert _make(client, csrf=csrf_token(client)).status_code == 403 and _count(db) == 0


def test_the_service_makes_tokens_for_the_own_phone_of_check_in_members_only(db, forum):
    reviewer = f.member(forum, Permission.REVIEW)
    for user in (reviewer, f.member(forum, Permission.DOCUMENTS), f.member(f.forum(), Permission.CHECKIN), f.user()):
        with pytest.raises(tokens.NotAllowed):
            tokens.create_for_own_scanner(user, forum=forum, label="Gate")
    assert _count(db) == 0
    new = tokens.create_for_own_scanner(f.member(forum, Permission.MANAGE), forum=forum, label="Gate")
    assert new.token.forum_id == forum.id and new.token.created_by_id == new.token.user_id


def test_without_the_csrf_token_or_with_a_bad_label_nothing_is_made(client, db, forum, login):
    login(f.member(forum, Permission.CHECKIN))
    r = client.post(TOKEN, json={"label": "Gate"}, headers={"Accept": "application/json"})
    assert r.status_code == 400 and _count(db) == 0
    csrf = csrf_token(client, PAGE)
    for label, code in [("", "label_required"), ("x" * 101, "label_too_long"), ("Gate\n1", "label_invalid"),
                        (7, "label_required")]:
        r = _make(client, label=label, csrf=csrf)
        assert (r.status_code, r.get_json()["error"], r.get_json()["field"]) == (400, code, "label")
    r = client.post(TOKEN, data="[1]", content_type="application/json", headers={"X-CSRFToken": csrf})
    assert (r.status_code, r.get_json()["error"]) == (400, "invalid_json")
    assert _count(db) == 0


def test_the_service_worker_covers_the_page_and_names_its_cache_after_the_files(client, db, forum, login, app):
    login(f.member(forum, Permission.CHECKIN))
    r = client.get(WORKER)
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == "no-cache"  # a deploy reaches the phones on their next visit
    assert r.headers["Service-Worker-Allowed"] == PAGE  # its own folder is /scan/: the page is one level up
    js = r.get_data(as_text=True)
    files = json.loads(re.search(r"^const FILES = (.*);$", js, re.M).group(1))
    for name in ("js/scanner.js", "js/scanner-offline.js", "js/scanner-store.js", "js/offline-verdict.js",
                 "vendor/jsqr/jsQR.js", "vendor/bootstrap/bootstrap.min.css", "vendor/bootstrap/bootstrap.bundle.min.js",
                 "css/forum.css", "sounds/ok.wav", "sounds/warn.wav", "sounds/refused.wav"):
        assert f"/static/{name}" in files
    for url in files:
        assert client.get(url).status_code == 200, url
    assert json.loads(re.search(r"^const PAGE = (.*);$", js, re.M).group(1)) == PAGE
    version = json.loads(re.search(r"^const VERSION = (.*);$", js, re.M).group(1))
    with app.test_request_context():
        assert version == offline_app.version()


def test_the_cache_version_changes_when_a_cached_file_changes(app, tmp_path, monkeypatch):
    static = tmp_path / "static"
    (static / "js").mkdir(parents=True)
    (static / "js" / "scanner.js").write_text("one")
    monkeypatch.setattr(app, "static_folder", str(static))
    with app.test_request_context():
        assert offline_app.static_files() == ["js/scanner.js"]
        first = offline_app.version()
        (static / "js" / "scanner.js").write_text("two")
        assert offline_app.version() != first


def test_the_page_links_the_manifest_and_the_manifest_opens_the_scanner(client, db, forum, login):
    login(f.member(forum, Permission.CHECKIN))
    html = client.get(PAGE).get_data(as_text=True)
    assert f'<link rel="manifest" href="{MANIFEST}" crossorigin="use-credentials">' in html
    assert f'data-worker-url="{WORKER}"' in html and f'data-token-url="{TOKEN}"' in html
    assert 'data-data-url="/api/v1/forums/astana/scanner-data"' in html
    assert 'data-batch-url="/api/v1/forums/astana/checkins/batch"' in html
    r = client.get(MANIFEST)
    assert r.status_code == 200 and r.mimetype == "application/manifest+json"
    m = r.get_json()
    assert (m["start_url"], m["scope"], m["display"]) == (PAGE, PAGE, "standalone")
    assert forum.title in m["name"]
    for icon in m["icons"]:
        got = client.get(icon["src"])
        assert got.status_code == 200 and got.data[:8] == b"\x89PNG\r\n\x1a\n"
    # Nothing in the policy had to change: workers and manifests fall back to default-src/script-src 'self'.
    assert "worker-src" not in CONTENT_SECURITY_POLICY and "default-src 'self'" in CONTENT_SECURITY_POLICY


def test_the_page_carries_the_servers_words_for_every_verdict_in_the_readers_language(client, db, forum, login):
    login(f.member(forum, Permission.CHECKIN, language="ru"))
    html = client.get(PAGE, headers={"Accept-Language": "ru"}).get_data(as_text=True)
    blob = html_module.unescape(re.search(r"<div id=\"scanner-words\" hidden data-words='(.*?)'></div>", html,
                                          re.S).group(1))
    words = json.loads(blob)
    from forum.checkin.models import Result

    assert set(words["titles"]) == {r.value for r in Result} | {"ok_out"}
    assert set(words["reasons"]) >= {r.value for r in Result} | {"ok_out", "already_at_by", "already_at"}
    assert words["tones"] == {"ok": "ok", "already_checked_in": "warn", "not_checked_in": "warn", "invalid": "refused",
                              "revoked": "refused", "not_approved": "refused", "wrong_forum": "refused",
                              "forum_cancelled": "refused"}
    assert "{time}" in words["reasons"]["already_at_by"] and "{device}" in words["reasons"]["already_at_by"]
    assert words["countries"]["KZ"] == "Казахстан" and words["timezone"] == "Asia/Almaty"
    assert words["titles"]["ok"] != "Checked in"  # translated, as the server says it


def test_the_new_routes_need_the_check_in_permission(client, db, forum, login):
    login(f.member(forum, Permission.REVIEW))
    for url in (WORKER, MANIFEST):
        assert client.get(url).status_code == 403


def test_a_renamed_phone_revokes_the_token_it_held_and_nothing_else(client, db, forum, login):
    """The phone sends the secret it held: that token (its own, this forum's) is revoked with the new one made, and
    audited; a secret of another forum's token, an unknown one or garbage revokes nothing and still makes the token."""
    staff = login(f.member(forum, Permission.CHECKIN, name="Door Staff"))
    first = _make(client, label="Gate 1").get_json()
    second = _make(client, label="Gate 2", replaces=first["secret"]).get_json()
    db.session.expire_all()
    old, new = db.session.get(ApiToken, first["token_id"]), db.session.get(ApiToken, second["token_id"])
    assert old.revoked_at is not None and old.revoked_by_id == staff.id and new.revoked_at is None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api_token_revoked"))
    assert (entry.actor_id, entry.subject_id, entry.forum_id) == (staff.id, old.id, forum.id)
    assert client.get("/api/v1/forums/astana/scanner-data",
                      headers={"Authorization": f"Bearer {first['secret']}"}).status_code == 401
    # Another forum's token held by the same person is not this phone's to end here.
    other = f.forum(slug="other")
    elsewhere = tokens.create(f.member(other, Permission.CHECKIN, name="Other Staff"), label="X", forum=other,
                              by=None)
    db.session.commit()
    for replaces in (elsewhere.secret, "fdt_unknown", 42, ["x"], "ж" * 10, second["secret"] + "x"):
        r = _make(client, label="Gate 3", replaces=replaces)
        assert r.status_code == 201
    db.session.expire_all()
    assert db.session.get(ApiToken, elsewhere.token.id).revoked_at is None
    assert db.session.get(ApiToken, second["token_id"]).revoked_at is None


def test_a_device_token_revokes_itself_and_only_itself(client, db, forum, login):
    """POST /api/v1/token/revoke: a phone's "Forget this phone". Audited as revoked by its own user; the token is
    refused from then on; the member's other tokens keep working; without a token it is a 401."""
    staff = login(f.member(forum, Permission.CHECKIN, name="Door Staff"))
    mine = _make(client, label="Gate 1").get_json()
    other = tokens.create(staff, label="Gate 2", forum=forum, by=None)
    db.session.commit()
    auth = {"Authorization": f"Bearer {mine['secret']}"}
    r = client.post("/api/v1/token/revoke", headers=auth)
    assert (r.status_code, r.get_json()) == (200, {"revoked": True})
    db.session.expire_all()
    token = db.session.get(ApiToken, mine["token_id"])
    assert token.revoked_at is not None and token.revoked_by_id == staff.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api_token_revoked"))
    assert (entry.actor_id, entry.subject_id, entry.forum_id) == (staff.id, token.id, forum.id)
    assert client.post("/api/v1/token/revoke", headers=auth).status_code == 401
    assert client.get("/api/v1/forums/astana/scanner-data", headers=auth).status_code == 401
    assert db.session.get(ApiToken, other.token.id).revoked_at is None
    assert client.get("/api/v1/forums/astana/scanner-data",
                      headers={"Authorization": f"Bearer {other.secret}"}).status_code == 200
    assert client.post("/api/v1/token/revoke").status_code == 401
