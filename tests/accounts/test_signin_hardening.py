"""Sign-in details from the second pass: redirect targets, language kept across sign-in, limits per
account and per address, the client's real address behind a proxy, a Redis outage, and the audit log."""
import os
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.urls import is_safe_path
from tests import factories as f

HOSTILE = ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "/\t/evil.example",
           "\\\\evil.example", "http:/evil.example", "/%0a/evil.example".replace("%0a", "\n"), "evil.example", ""]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_redirect_targets_are_refused(target):
    assert not is_safe_path(target)


@pytest.mark.parametrize("target", ["/", "/manage/astana/late", "/my?x=1#top"])
def test_local_paths_are_allowed(target):
    assert is_safe_path(target)


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_redirects_to_another_site(client, db, post, target):
    f.user(email="d@example.org")
    r = post("/login", {"email": "d@example.org", "password": f.PASSWORD, "next": target}, token_from="/login")
    assert r.status_code == 302 and r.headers["Location"] == "/my"


def test_login_follows_a_local_next(client, db, post):
    f.user(email="d@example.org")
    r = post("/login", {"email": "d@example.org", "password": f.PASSWORD, "next": "/privacy"}, token_from="/login")
    assert r.headers["Location"] == "/privacy"


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
def test_language_switch_and_review_actions_never_redirect_to_another_site(client, db, post, login, target):
    r = post("/language", {"lang": "ja", "next": target})
    assert r.headers["Location"] == "/"
    forum = f.forum()
    reg = f.registration_(forum)
    login(f.organizer())
    r = post(f"/manage/{forum.slug}/registrations/bulk", {"action": "waitlist", "ids": [reg.id], "back": target})
    assert r.headers["Location"] == f"/manage/{forum.slug}/registrations"
    r = post(f"/manage/{forum.slug}/registrations/{reg.id}/decide", {"action": "approve", "next": target})
    assert r.headers["Location"] == f"/manage/{forum.slug}/registrations/{reg.id}"


def test_language_chosen_before_sign_in_is_kept_and_saved(client, db, post):
    user = f.user(email="d@example.org", language="en")
    post("/language", {"lang": "ru"})
    post("/login", {"email": "d@example.org", "password": f.PASSWORD}, token_from="/login")
    assert '<html lang="ru">' in client.get("/").get_data(as_text=True)
    db.session.refresh(user)
    assert user.language == "ru"


def test_without_a_choice_the_account_language_applies_after_sign_in(client, db, post):
    f.user(email="d@example.org", language="ja")
    post("/login", {"email": "d@example.org", "password": f.PASSWORD}, token_from="/login")
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def _attempt(post, email, address, password="wrong"):
    return post("/login", {"email": email, "password": password}, token_from="/login",
                environ_base={"REMOTE_ADDR": address}).status_code


def test_a_shared_venue_address_does_not_lock_everyone_out(client, db, post):
    """30 delegates behind one address each mistype once: nobody is refused."""
    for i in range(30):
        f.user(email=f"d{i}@example.org")
    codes = [_attempt(post, f"d{i}@example.org", "10.9.9.9") for i in range(30)]
    assert codes == [422] * 30
    assert _attempt(post, "d0@example.org", "10.9.9.9", f.PASSWORD) == 302


def test_guessing_one_account_is_slowed_down_from_any_address(client, db, post):
    f.user(email="d@example.org")
    codes = [_attempt(post, "D@Example.org", f"10.0.0.{i}") for i in range(11)]
    assert codes == [422] * 10 + [429]
    # the right password does not get through the limit either, but another account does
    assert _attempt(post, "d@example.org", "10.0.1.1", f.PASSWORD) == 429
    f.user(email="other@example.org")
    assert _attempt(post, "other@example.org", "10.0.1.1", f.PASSWORD) == 302


def test_successful_sign_ins_do_not_count_against_the_account(client, db, post):
    f.user(email="d@example.org")
    for _ in range(12):
        assert _attempt(post, "d@example.org", "10.0.0.1", f.PASSWORD) == 302
        post("/logout")


def test_one_address_is_still_limited(app, client, db, post, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_PER_ADDRESS", "5 per minute")
    codes = [_attempt(post, f"n{i}@example.org", "10.7.7.7") for i in range(6)]
    assert codes == [422] * 5 + [429]
    assert _attempt(post, "n9@example.org", "10.7.7.8") == 422


def test_password_reset_is_limited_per_account_not_per_venue(client, db, post):
    for i in range(8):
        f.user(email=f"r{i}@example.org")
    codes = [post("/password/forgot", {"email": f"r{i}@example.org"}, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code
             for i in range(8)]
    assert codes == [302] * 8
    codes = [post("/password/forgot", {"email": "r0@example.org"}, environ_base={"REMOTE_ADDR": f"10.2.2.{i}"}).status_code
             for i in range(5)]
    assert codes == [302] * 4 + [429]  # 1 above + 4 here = 5 per 15 minutes


def _proxy_app(app, count):
    from forum import create_app

    return create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"], "PROXY_COUNT": count,
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False})


@pytest.mark.parametrize("count, expected", [(1, "203.0.113.9"), (0, "127.0.0.1")])
def test_behind_a_proxy_the_real_client_address_is_used_only_when_configured(app, db, count, expected):
    db.session.commit()
    proxied = _proxy_app(app, count)
    with proxied.test_client() as c:
        c.post("/login", data={"email": "x@example.org", "password": "nope"},
               headers={"X-Forwarded-For": "203.0.113.9"})
    db.session.expire_all()
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "sign_in_failed")).one()
    assert entry.details["address"] == expected


REDIS_DOWN = textwrap.dedent("""
    import sys, logging
    logging.disable(logging.CRITICAL)
    from forum import create_app
    from flask_migrate import upgrade
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"})  # nothing listens on port 1
    with app.app_context():
        upgrade()
        from forum.accounts import services
        from forum.db import db
        services.create_user("d@example.org", "D", password="correct horse battery")
        db.session.commit()
    c = app.test_client()
    codes = [c.post("/login", data={"email": "d@example.org", "password": "nope"}).status_code for _ in range(11)]
    codes.append(c.post("/password/forgot", data={"email": "x@example.org"}).status_code)
    print(" ".join(map(str, codes)))
""")


def test_a_redis_outage_does_not_break_sign_in_and_limits_still_apply(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    out = subprocess.run([sys.executable, "-c", REDIS_DOWN, f"sqlite:///{tmp_path / 'r.sqlite'}"],
                         capture_output=True, text=True, timeout=120, cwd=root)
    assert out.returncode == 0, out.stderr
    codes = [int(c) for c in out.stdout.split()]
    assert codes == [422] * 10 + [429] + [302]


def test_sign_ins_and_password_changes_are_audited(client, db, post):
    from forum.accounts import services

    user = f.user(email="d@example.org")
    uid = user.id
    post("/login", {"email": "d@example.org", "password": "wrong"}, token_from="/login")
    post("/login", {"email": "ghost@example.org", "password": "wrong"}, token_from="/login")
    post("/login", {"email": "d@example.org", "password": f.PASSWORD}, token_from="/login")
    post("/logout")
    post("/password/forgot", {"email": "d@example.org"})
    token = services.password_token(db.session.get(type(user), uid), "reset")
    post(f"/password/set/{token}", {"password": "a brand new password", "confirm": "a brand new password"},
         token_from=f"/password/set/{token}")
    rows = db.session.execute(sa.select(AuditEntry.action, AuditEntry.subject_id, AuditEntry.actor_id, AuditEntry.details)
                              .where(AuditEntry.subject_type == "user").order_by(AuditEntry.id)).all()
    assert [(r.action, r.subject_id, r.actor_id) for r in rows] == [
        ("sign_in_failed", uid, uid), ("sign_in_failed", 0, None), ("signed_in", uid, uid), ("signed_out", uid, uid),
        ("password_reset_requested", uid, None), ("password_reset", uid, uid),
    ]
    assert rows[1].details["email"] == "ghost@example.org" and rows[0].details["address"] == "127.0.0.1"


def test_setting_a_first_password_is_audited_as_set(client, db, post):
    from forum.accounts import services

    user = f.user(email="new@example.org", password=None)
    token = services.password_token(user, "set")
    post(f"/password/set/{token}", {"password": "a brand new password", "confirm": "a brand new password"},
         token_from=f"/password/set/{token}")
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject_type == "user")).all()
    assert actions == ["password_set"]
