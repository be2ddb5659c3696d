"""Every error path of the API: JSON always (never an HTML page, never a 500), 401 with WWW-Authenticate,
403 per forum and per permission, 404, 405, 400 naming the field, 413, 415; no cookies, no CSRF token."""
import json

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.api import tokens
from forum.api.models import ApiToken
from forum.checkin.models import Scan
from forum.teams import services as teams
from forum.teams.models import Permission, TeamMember
from tests import factories as f
from tests.api.conftest import token_for


def _scans(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Scan))


def _is_json_error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/json", r.mimetype
    body = r.get_json()
    assert isinstance(body, dict) and body["error"] and body["message"], body
    assert "<html" not in r.get_data(as_text=True).lower()
    if code is not None:
        assert body["error"] == code, body
    return body


# --- 401 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"])
def test_without_a_token_it_is_401_with_a_bearer_challenge(db, door, scan, header):
    badge = f.badge(door.forum)
    r = scan(badge.token, headers={} if header is None else {"Authorization": header})
    _is_json_error(r, 401, "token_required")
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="forum"'
    assert _scans(db) == 0 and not badge.inside


@pytest.mark.parametrize("secret", ["fdt_nothing", "x" * 500, "ключ", "fdt_" + "A" * 43])
def test_a_wrong_token_is_401_invalid_token(db, door, scan, secret):
    r = scan(f.badge(door.forum).token, headers={"Authorization": f"Bearer {secret}"})
    _is_json_error(r, 401, "invalid_token")
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="forum", error="invalid_token"'
    assert _scans(db) == 0


def test_the_scheme_is_case_insensitive_and_the_token_not(db, door, scan):
    code = f.badge(door.forum).token
    assert scan(code, headers={"Authorization": f"bearer {door.secret}"}).status_code == 200
    _is_json_error(scan(code, headers={"Authorization": f"Bearer {door.secret.swapcase()}"}), 401, "invalid_token")


def test_a_revoked_token_is_401(db, door, scan):
    tokens.revoke(db.session.get(ApiToken, door.token_id), by=None)
    _is_json_error(scan(f.badge(door.forum).token), 401, "invalid_token")
    _is_json_error(scan("x", slug="no-such-forum"), 401, "invalid_token")  # before anything about the forum
    assert _scans(db) == 0


def test_a_deactivated_users_token_is_401(db, door, scan):
    accounts.deactivate(door.staff, by=None)
    _is_json_error(scan(f.badge(door.forum).token), 401, "invalid_token")
    assert _scans(db) == 0


def test_a_browser_session_is_not_a_token(db, client, login, door, scan):
    login(f.organizer())
    assert client.get("/manage/").status_code == 200  # the session works on pages ...
    _is_json_error(scan(f.badge(door.forum).token, headers={}), 401, "token_required")  # ... not on the API


# --- 403 and 404 --------------------------------------------------------------------------------

def _token(db, user, forum):
    new = token_for(user, forum)
    db.session.commit()
    return {"Authorization": f"Bearer {new.secret}"}


def test_tokens_act_with_their_users_permission_on_that_forum(db, door, scan):
    forum = door.forum
    other = f.forum(slug="tashkent-2026")
    badge = f.badge(forum)
    reviewer = f.member(forum, Permission.REVIEW)
    teams.grant(other, reviewer, [Permission.CHECKIN], by=None)  # may check in elsewhere, so gets a token
    refused = {
        "a reviewer of this forum": _token(db, reviewer, None),
        "the manager of another forum": _token(db, f.member(other, Permission.MANAGE), None),
        "a token limited to another forum": _token(db, f.member(other, Permission.CHECKIN), other),
    }
    both = f.member(forum, Permission.CHECKIN)
    teams.grant(other, both, [Permission.CHECKIN], by=None)
    refused["a check-in member's token limited to the other forum"] = _token(db, both, other)
    for who, headers in refused.items():
        r = scan(badge.token, headers=headers)
        body = _is_json_error(r, 403)
        assert body["error"] in ("forbidden", "token_other_forum"), who
    assert _scans(db) == 0 and not badge.inside
    # ... and those who may: the door keeper's forum token, a manager's unlimited one, an administrator's
    assert scan(badge.token, headers=_token(db, both, None)).get_json()["status"] == "ok"
    assert scan(badge.token, headers=_token(db, f.member(forum, Permission.MANAGE), forum)).status_code == 200
    assert scan(badge.token, headers=_token(db, f.organizer(), None)).status_code == 200
    assert scan(badge.token).status_code == 200


def test_the_limited_token_names_why(db, door, scan):
    other = f.forum(slug="other")
    teams.grant(other, door.staff, [Permission.CHECKIN], by=None)
    db.session.commit()
    _is_json_error(scan("x", slug="other"), 403, "token_other_forum")


def test_a_delegates_token_is_403(db, client, door, scan):
    # Tokens are made only for team members who may check in; a delegate could hold one only by losing that
    # permission afterwards (or by a row made some other way): refused all the same.
    reg = f.approved(door.forum)
    delegate = reg.user
    db.session.add(ApiToken(user_id=delegate.id, forum_id=None, label="Delegate's phone",
                            token_hash=tokens.digest("fdt_delegate"), prefix="fdt_delegate"))
    db.session.commit()
    _is_json_error(scan(f.badge(door.forum).token, headers={"Authorization": "Bearer fdt_delegate"}), 403,
                   "forbidden")
    _is_json_error(client.get(f"/api/v1/forums/{door.forum.slug}/scanner-data",
                              headers={"Authorization": "Bearer fdt_delegate"}), 403, "forbidden")


def test_a_member_who_left_the_team_is_refused_at_once(db, door, scan):
    member = db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == door.staff.id))
    teams.revoke(member, by=f.organizer())
    db.session.commit()
    _is_json_error(scan(f.badge(door.forum).token), 403, "forbidden")


def test_scanner_data_needs_the_check_in_permission_too(db, client, door):
    other = f.forum(slug="elsewhere")
    reviewer = f.member(door.forum, Permission.REVIEW)
    teams.grant(other, reviewer, [Permission.CHECKIN], by=None)
    r = client.get(f"/api/v1/forums/{door.forum.slug}/scanner-data", headers=_token(db, reviewer, None))
    body = _is_json_error(r, 403, "forbidden")
    assert "delegates" not in body and "public_key" not in body
    assert client.get(f"/api/v1/forums/{door.forum.slug}/scanner-data", headers=door.auth).status_code == 200


def test_an_unknown_forum_is_404(db, client, door, scan):
    _is_json_error(scan("x", slug="no-such-forum"), 404, "forum_not_found")
    _is_json_error(client.get("/api/v1/forums/no-such-forum/scanner-data", headers=door.auth), 404,
                   "forum_not_found")
    assert _scans(db) == 0


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/forums/x", "/api/", "/api/v2/ping",
                                  "/api/v1/forums/x/checkins/1"])
def test_unknown_addresses_are_json_404(client, db, door, path):
    _is_json_error(client.get(path, headers=door.auth), 404)
    _is_json_error(client.post(path, json={}, headers=door.auth), 404)


@pytest.mark.parametrize("method,path", [("GET", "/checkins"), ("PUT", "/checkins"), ("DELETE", "/checkins"),
                                         ("POST", "/scanner-data"), ("PATCH", "/scanner-data")])
def test_a_wrong_method_is_405_with_allow(client, db, door, method, path):
    r = client.open(f"/api/v1/forums/{door.forum.slug}{path}", method=method, headers=door.auth, json={})
    _is_json_error(r, 405)
    assert ("POST" if path == "/checkins" else "GET") in r.headers["Allow"]
    _is_json_error(client.post("/api/v1/ping", json={}), 405)


# --- 400, 413, 415 --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,code,field", [
    ("{bad json", "invalid_json", None),
    ("", "invalid_json", None),
    ('["a list"]', "invalid_json", None),
    ('"a string"', "invalid_json", None),
    ("null", "invalid_json", None),
    ('{"code": "\\ud800", "nonce": "n"}', "invalid_json", None),  # a lone surrogate
    ('{"nonce": "n1"}', "field_required", "code"),
    ('{"code": "x"}', "field_required", "nonce"),
    ('{"code": 12, "nonce": "n1"}', "field_invalid", "code"),
    ('{"code": null, "nonce": "n1"}', "field_invalid", "code"),
    ('{"code": ["x"], "nonce": "n1"}', "field_invalid", "code"),
    ('{"code": "x", "nonce": 5}', "field_invalid", "nonce"),
    ('{"code": "x", "nonce": ""}', "field_invalid", "nonce"),
    ('{"code": "x", "nonce": "%s"}' % ("n" * 101), "field_invalid", "nonce"),
    ('{"code": "x", "nonce": "ノンス"}', "field_invalid", "nonce"),  # printable ASCII, as the service wants
    ('{"code": "x", "nonce": "a\\u0000b"}', "field_invalid", "nonce"),
    ('{"code": "x", "nonce": "   "}', "field_invalid", "nonce"),
    ('{"code": "x", "nonce": "n1", "direction": "up"}', "field_invalid", "direction"),
    ('{"code": "x", "nonce": "n1", "direction": 1}', "field_invalid", "direction"),
    ('{"code": "x", "nonce": "n1", "scanned_at": "2026-09-01T10:00:00"}', "field_invalid", "scanned_at"),
    ('{"code": "x", "nonce": "n1", "scanned_at": "yesterday"}', "field_invalid", "scanned_at"),
    ('{"code": "x", "nonce": "n1", "scanned_at": 1788000000}', "field_invalid", "scanned_at"),
    ('{"code": "x", "nonce": "n1", "scanned_at": "1788000000"}', "field_invalid", "scanned_at"),
    ('{"code": "x", "nonce": "n1", "scanned_at": "0"}', "field_invalid", "scanned_at"),
    ('{"code": "x", "nonce": "n1", "scanned_at": "0001-01-01T00:00:00+14:00"}', "field_invalid", "scanned_at"),
    ('{"code": "x", "nonce": "n1", "scanned_at": "9999-12-31T23:59:59-12:00"}', "field_invalid", "scanned_at"),
    ('{"code": "x", "nonce": "n1", "directon": "out"}', "field_unknown", "directon"),
    ('{"code": "%s", "nonce": "n1"}' % ("A" * 7090), "field_invalid", "code"),
])
def test_a_bad_body_is_400_naming_the_field_and_records_nothing(client, db, door, raw, code, field):
    badge = f.badge(door.forum)
    db.session.commit()
    r = client.post(f"/api/v1/forums/{door.forum.slug}/checkins", data=raw.encode(),
                    content_type="application/json", headers=door.auth)
    body = _is_json_error(r, 400, code)
    assert body.get("field") == field
    if field:
        assert field in body["message"]
    assert _scans(db) == 0 and not badge.inside


def test_every_problem_of_a_body_is_listed(client, db, door):
    r = client.post(f"/api/v1/forums/{door.forum.slug}/checkins", json={"code": 1, "extra": True},
                    headers=door.auth)
    body = _is_json_error(r, 400)
    assert {(p["field"], p["code"]) for p in body["errors"]} == {
        ("code", "field_invalid"), ("nonce", "field_required"), ("extra", "field_unknown")}


def test_a_huge_body_is_413(client, db, door):
    huge = json.dumps({"code": "A" * 200_000, "nonce": "n1"})
    r = client.post(f"/api/v1/forums/{door.forum.slug}/checkins", data=huge, content_type="application/json",
                    headers=door.auth)
    _is_json_error(r, 413, "too_large")
    r = client.post(f"/api/v1/forums/{door.forum.slug}/checkins", data="x" * (2 * 1024 * 1024),
                    content_type="application/x-www-form-urlencoded", headers=door.auth)
    _is_json_error(r, 413)
    assert _scans(db) == 0


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None])
def test_a_body_that_is_not_json_is_415(client, db, door, ctype):
    body = json.dumps({"code": f.badge(door.forum).token, "nonce": "n1"})
    db.session.commit()
    kw = {"content_type": ctype} if ctype else {}
    r = client.post(f"/api/v1/forums/{door.forum.slug}/checkins", data=body, headers=door.auth, **kw)
    _is_json_error(r, 415, "unsupported_media_type")
    assert _scans(db) == 0


# --- no cookies, no CSRF ----------------------------------------------------------------------------

def test_no_api_answer_sets_a_cookie_even_for_a_signed_in_browser(client, db, login, door, scan):
    login(f.organizer())
    with client.session_transaction() as s:
        s.permanent = True  # a permanent session is refreshed on every page ...
    assert "Set-Cookie" in client.get("/").headers  # (it is, on a page)
    badge = f.badge(door.forum)
    db.session.commit()
    answers = [
        scan(badge.token), scan(badge.token, headers={}), scan("x", slug="nope"),
        client.get(f"/api/v1/forums/{door.forum.slug}/scanner-data", headers=door.auth),
        client.get("/api/v1/ping"), client.get("/api/v1/openapi.json"), client.get("/api/v1/nothing"),
        client.get(f"/api/v1/forums/{door.forum.slug}/checkins"),
        client.post(f"/api/v1/forums/{door.forum.slug}/checkins", data="{", content_type="application/json",
                    headers=door.auth),
    ]
    for r in answers:  # ... but never on the API
        assert "Set-Cookie" not in r.headers, (r.status_code, r.headers)
        assert "Cookie" not in r.headers.get("Vary", "")
        assert r.mimetype == "application/json"


def test_the_api_needs_no_csrf_token_while_pages_still_do(client, db, app, login, door, scan):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    assert scan(f.badge(door.forum).token).status_code == 200  # no csrf_token anywhere
    login(f.organizer())
    r = client.post(f"/manage/{door.forum.slug}/devices", data={"label": "x", "user": str(door.staff.id)})
    assert r.status_code == 400  # the page's form without its token: refused


def test_api_answers_are_never_cached(client, db, door, scan):
    assert scan(f.badge(door.forum).token).headers["Cache-Control"] == "no-store"
    assert client.get(f"/api/v1/forums/{door.forum.slug}/scanner-data",
                      headers=door.auth).headers["Cache-Control"] == "no-store"


def test_the_longest_code_the_schema_allows_is_answered_however_it_is_spelt(client, db, door):
    # 7089 characters outside the BMP, each escaped by JSON as a surrogate pair: 85 KB, still under the limit.
    body = json.dumps({"code": "😀" * 7089, "nonce": "long-1"}, ensure_ascii=True)
    assert len(body) > 80_000
    r = client.post(f"/api/v1/forums/{door.forum.slug}/checkins", data=body, content_type="application/json",
                    headers=door.auth)
    assert r.status_code == 200 and r.get_json()["status"] == "invalid"
