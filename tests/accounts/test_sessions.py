"""§4 of issue 6: sessions that end when they should, a fresh session at sign-in, and a sign-in that
takes the same work whether or not the account exists.

Old cookies are replayed from another browser (a second test client), as a thief holding a copied
session or remember-me cookie would; each test first shows the same cookies did work before the event.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from forum.accounts import services
from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.errors import InvalidState
from tests import factories as f
from tests.conftest import csrf_token

EMAIL = "d@example.org"


def _signed_in_browser(app, email: str = EMAIL, password: str = f.PASSWORD):
    c = app.test_client()
    r = c.post("/login", data={"email": email, "password": password, "remember": "y",
                               "csrf_token": csrf_token(c, "/login")})
    assert r.status_code == 302, r.status_code
    return c


def _cookies(c) -> dict[str, str]:
    return {name: c.get_cookie(name).value for name in ("session", "remember_token")}


def _replay(app, cookies: dict[str, str], *names: str) -> int:
    """GET /my in a new browser carrying only the named old cookies: 200 signed in, 302 sent to sign in."""
    c = app.test_client()
    for name in names:
        c.set_cookie(name, cookies[name])
    return c.get("/my").status_code


REPLAYS = [("session",), ("remember_token",), ("session", "remember_token")]


def _assert_replays(app, cookies, expected: int) -> None:
    assert [_replay(app, cookies, *names) for names in REPLAYS] == [expected] * len(REPLAYS)


def test_signing_out_ends_every_session_and_remember_me_cookie(app, client, db):
    f.user(email=EMAIL)
    other_device = _signed_in_browser(app)
    stolen = _cookies(other_device)
    _assert_replays(app, stolen, 200)
    here = _signed_in_browser(app)
    here.post("/logout", data={"csrf_token": csrf_token(here)})
    _assert_replays(app, stolen, 302)
    assert other_device.get("/my").status_code == 302  # signing out on one device signs out on all


def test_resetting_a_password_ends_every_session_but_the_one_it_starts(app, client, db):
    user = f.user(email=EMAIL)
    stolen = _cookies(_signed_in_browser(app))
    _assert_replays(app, stolen, 200)
    c = app.test_client()
    path = f"/password/set/{services.password_token(user, 'reset')}"
    r = c.post(path, data={"password": "a brand new password", "confirm": "a brand new password",
                           "csrf_token": csrf_token(c, path)})
    assert r.status_code == 302
    _assert_replays(app, stolen, 302)
    assert c.get("/my").status_code == 200  # whoever reset it is signed in


def test_setting_a_password_ends_every_session(app, client, db):
    user = f.user(email=EMAIL)
    stolen = _cookies(_signed_in_browser(app))
    services.set_password(db.session.get(User, user.id), "another long password", purpose="set")
    db.session.commit()
    _assert_replays(app, stolen, 302)


def test_deactivating_a_user_ends_their_sessions_for_good(app, client, db):
    user = f.user(email=EMAIL)
    org = f.organizer()
    stolen = _cookies(_signed_in_browser(app))
    _assert_replays(app, stolen, 200)
    services.deactivate(user, by=org, reason="left the company")
    db.session.commit()
    _assert_replays(app, stolen, 302)
    # Switched on again later: the old cookies still open nothing (the generation, not only `active`).
    user.active = True
    db.session.commit()
    _assert_replays(app, stolen, 302)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "deactivated")).one()
    assert (entry.subject_id, entry.actor_id, entry.reason) == (user.id, org.id, "left the company")


def test_deactivating_twice_is_refused(db):
    user = f.user()
    services.deactivate(user, by=None)
    with pytest.raises(InvalidState) as e:
        services.deactivate(user, by=None)
    assert e.value.code == "already_disabled"


def test_forum_user_deactivate_on_the_command_line(app, client, db):
    f.user(email=EMAIL)
    stolen = _cookies(_signed_in_browser(app))
    result = app.test_cli_runner().invoke(args=["user", "deactivate", "--email", "D@example.org"])
    assert result.exit_code == 0, result.output
    _assert_replays(app, stolen, 302)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "deactivated")).one()
    assert entry.actor_id is None
    assert app.test_cli_runner().invoke(args=["user", "deactivate", "--email", "ghost@example.org"]).exit_code != 0


@pytest.mark.parametrize("session_id", ["1", "1:", ":0", "1:0:0", "x:0", "1:-1", "99999999999999999999:0", "١:0", ""])
def test_malformed_or_generationless_ids_are_refused(db, session_id):
    f.user()  # id 1 on a fresh table, generation 0
    assert services.user_for_session(session_id) is None


def test_the_current_generation_is_accepted(db):
    user = f.user()
    assert services.user_for_session(user.get_id()) is user
    services.end_all_sessions(user)
    assert services.user_for_session(user.get_id()) is user
    assert services.user_for_session(f"{user.id}:0") is None


# --- a new session at sign-in -------------------------------------------------------------------

def test_the_csrf_token_from_before_sign_in_is_useless_after_it(client, db, post):
    f.user(email=EMAIL)
    before = csrf_token(client, "/login")
    with client.session_transaction() as s:
        s["planted"] = "by someone who had this browser before"
    r = client.post("/login", data={"email": EMAIL, "password": f.PASSWORD, "csrf_token": before})
    assert r.status_code == 302
    assert client.post("/language", data={"lang": "ja", "csrf_token": before}).status_code == 400
    assert post("/language", {"lang": "ja"}).status_code == 302  # a token from after sign-in works
    with client.session_transaction() as s:
        assert "planted" not in s


# --- the same work whether or not the account exists --------------------------------------------

@pytest.fixture()
def hash_checks(monkeypatch):
    """Each password-hash check sign-in makes, as the method part of the hash it checked against."""
    seen: list[str] = []
    real = services.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        seen.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    return seen


def test_the_dummy_hash_is_made_as_real_ones_are():
    assert services.DUMMY_PASSWORD_HASH.split("$", 1)[0] == generate_password_hash("x").split("$", 1)[0]


def test_sign_in_does_one_hash_check_of_the_same_kind_whoever_it_is(client, db, post, hash_checks):
    real = f.user(email="real@example.org")
    f.user(email="nopassword@example.org", password=None)
    disabled = f.user(email="disabled@example.org")
    services.deactivate(disabled, by=None)
    method = real.password_hash.split("$", 1)[0]
    outcomes = {}
    for email, password in [("real@example.org", "wrong password"), ("ghost@example.org", "wrong password"),
                            ("nopassword@example.org", "wrong password"), ("disabled@example.org", f.PASSWORD),
                            ("real@example.org", f.PASSWORD)]:
        hash_checks.clear()
        r = post("/login", {"email": email, "password": password}, token_from="/login")
        outcomes[email, password] = r.status_code
        assert hash_checks == [method], (email, hash_checks)
    assert outcomes[("real@example.org", f.PASSWORD)] == 302
    assert [code for key, code in outcomes.items() if key != ("real@example.org", f.PASSWORD)] == [422] * 4


def test_an_account_without_a_password_never_signs_in_with_the_dummy_password(db):
    """The dummy hash belongs to a random password nobody knows; even so, no hash means no sign-in."""
    f.user(email="nopassword@example.org", password=None)
    from unittest import mock

    with mock.patch.object(services, "check_password_hash", return_value=True):
        with pytest.raises(Exception) as e:
            services.authenticate("nopassword@example.org", "anything at all")
    assert getattr(e.value, "code", None) == "bad_login"
