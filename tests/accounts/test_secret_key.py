"""§1 of issue 6: the key that signs sessions and password links is never one anyone knows.

The built-in key of earlier versions ("dev-only-insecure-key") is public: a cookie or a password link
signed with it must open nothing. Without a configured key the factory generates one into the
instance folder, once, and every process started from that folder uses it.
"""
from __future__ import annotations

import os
import stat
import threading

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from forum import config as config_mod
from forum import create_app
from forum.accounts import services
from forum.config import OLD_BUILT_IN_KEY, InsecureConfig
from tests import factories as f


@pytest.fixture()
def no_key_env(monkeypatch):
    """No FORUM_SECRET_KEY from the environment that runs the tests."""
    monkeypatch.delenv("FORUM_SECRET_KEY", raising=False)
    monkeypatch.delenv("FORUM_ENV_NAME", raising=False)
    return monkeypatch


def _fresh_app(monkeypatch, instance, **overrides):
    """An app as `make run` makes it: no SECRET_KEY anywhere, only the instance folder."""
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(instance))
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides})


def _session_cookie(key: str, data: dict) -> str:
    signer = Flask("forger")
    signer.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(signer).dumps(data)


def test_without_a_key_one_is_generated_into_the_instance_folder_and_reused(no_key_env, tmp_path):
    instance = tmp_path / "instance"
    first = _fresh_app(no_key_env, instance).config["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first == key_file.read_text().strip() and len(first) >= 32 and first != OLD_BUILT_IN_KEY
    assert _fresh_app(no_key_env, instance).config["SECRET_KEY"] == first  # the next start reuses it
    assert _fresh_app(no_key_env, tmp_path / "other").config["SECRET_KEY"] != first  # another folder, another key
    assert [p.name for p in instance.iterdir() if p.name.startswith(".secret_key")] == []  # no leftovers


def test_a_configured_key_wins_and_no_file_is_written(no_key_env, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'from-the-instance-config-0123456789abcdef'\n")
    assert _fresh_app(no_key_env, instance).config["SECRET_KEY"] == "from-the-instance-config-0123456789abcdef"
    no_key_env.setenv("FORUM_SECRET_KEY", "from-the-environment-0123456789abcdef")
    assert _fresh_app(no_key_env, instance).config["SECRET_KEY"] == "from-the-environment-0123456789abcdef"
    assert not (instance / "secret_key").exists()


def test_processes_starting_together_agree_on_one_key(tmp_path):
    """Gunicorn's workers start at the same moment: 12 of them, 15 times over, on an empty folder."""
    for round_ in range(15):
        folder = tmp_path / f"round-{round_}"
        folder.mkdir()
        keys, errors = [], []
        barrier = threading.Barrier(12)

        def start():
            try:
                barrier.wait(timeout=10)
                keys.append(config_mod.instance_secret_key(folder))
            except Exception as e:  # noqa: BLE001 - asserted below
                errors.append(e)

        threads = [threading.Thread(target=start) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert errors == []
        assert len(keys) == 12 and len(set(keys)) == 1, f"round {round_}: {len(set(keys))} different keys"
        assert (folder / "secret_key").read_text().strip() == keys[0]


def test_an_empty_or_damaged_key_file_is_refused_not_used(no_key_env, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("\n")
    with pytest.raises(InsecureConfig):
        _fresh_app(no_key_env, instance)
    (instance / "secret_key").write_text(OLD_BUILT_IN_KEY + "\n")
    with pytest.raises(InsecureConfig):
        _fresh_app(no_key_env, instance)


@pytest.mark.parametrize("key", [None, "", "short-key-0123456789", OLD_BUILT_IN_KEY, "changeme", "CHANGEME",
                                 "secret", "dev", " secret "])
def test_production_refuses_missing_short_and_well_known_keys(no_key_env, tmp_path, key):
    overrides = {"ENV_NAME": "production", **({} if key is None else {"SECRET_KEY": key})}
    with pytest.raises(InsecureConfig):
        _fresh_app(no_key_env, tmp_path / "instance", **overrides)
    assert not (tmp_path / "instance" / "secret_key").exists()  # production never invents a key


def test_production_accepts_a_long_random_key(no_key_env, tmp_path):
    app = _fresh_app(no_key_env, tmp_path / "instance", ENV_NAME="production", SECRET_KEY="k" * 31 + "x")
    assert app.config["SECRET_KEY"] == "k" * 31 + "x"


@pytest.mark.parametrize("key", [OLD_BUILT_IN_KEY, "changeme"])
def test_a_well_known_key_is_refused_outside_production_too(no_key_env, tmp_path, key):
    with pytest.raises(InsecureConfig):
        _fresh_app(no_key_env, tmp_path / "instance", SECRET_KEY=key)


@pytest.fixture()
def started_without_a_key(app, db, no_key_env, tmp_path):
    """A second app on the test database, started as `make run` starts it: no key configured."""
    no_key_env.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    fresh = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "MAIL_FOLDER": str(tmp_path / "mail"), "RATELIMIT_ENABLED": app.config["RATELIMIT_ENABLED"]})
    assert fresh.config["SECRET_KEY"] not in (None, "", OLD_BUILT_IN_KEY)
    return fresh


def test_a_session_cookie_signed_with_the_old_built_in_key_opens_nothing(db, started_without_a_key):
    org = f.organizer()
    db.session.commit()
    for user_id in (org.get_id(), str(org.id)):
        c = started_without_a_key.test_client()
        c.set_cookie("session", _session_cookie(OLD_BUILT_IN_KEY, {"_user_id": user_id, "_fresh": True}))
        r = c.get("/manage/")
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), user_id
    # The same cookie signed with the app's real key does open /manage/: the forgery above was well made.
    c = started_without_a_key.test_client()
    key = started_without_a_key.config["SECRET_KEY"]
    c.set_cookie("session", _session_cookie(key, {"_user_id": org.get_id(), "_fresh": True}))
    assert c.get("/manage/").status_code == 200


def test_a_password_link_signed_with_the_old_built_in_key_is_refused(db, started_without_a_key):
    user = f.user(email="d@example.org", password=None)
    db.session.commit()
    data = {"u": user.id, "f": services._fingerprint(user), "p": "set"}
    forged = URLSafeTimedSerializer(OLD_BUILT_IN_KEY, salt="forum.password").dumps(data)
    c = started_without_a_key.test_client()
    r = c.get(f"/password/set/{forged}")
    assert r.status_code == 302 and r.headers["Location"] == "/password/forgot"
    real = URLSafeTimedSerializer(started_without_a_key.config["SECRET_KEY"], salt="forum.password").dumps(data)
    assert c.get(f"/password/set/{real}").status_code == 200
