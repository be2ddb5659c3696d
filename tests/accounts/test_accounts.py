"""Sign-in, password links, rate limits, roles, language."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from forum.accounts import services
from forum.errors import NotAllowed
from forum.notifications.models import OutboxMessage
from tests import factories as f


def test_login_and_logout(client, db, post):
    f.organizer(email="org@example.org")
    r = post("/login", {"email": "ORG@example.org", "password": f.PASSWORD}, token_from="/login")
    assert r.status_code == 302 and r.headers["Location"].endswith("/manage/")
    assert client.get("/manage/").status_code == 200
    r = post("/logout")
    assert r.status_code == 302
    assert client.get("/manage/").status_code == 302


def test_wrong_password_says_so_next_to_the_field(client, db, post):
    f.user(email="d@example.org")
    r = post("/login", {"email": "d@example.org", "password": "wrong"}, token_from="/login")
    assert r.status_code == 422
    assert "E-mail or password is not correct." in r.get_data(as_text=True)
    r = post("/login", {"email": "nobody@example.org", "password": "wrong"}, token_from="/login")
    assert "E-mail or password is not correct." in r.get_data(as_text=True)


def test_remember_me_sets_a_lasting_cookie(client, db, post):
    f.user(email="d@example.org")
    r = post("/login", {"email": "d@example.org", "password": f.PASSWORD, "remember": "y"}, token_from="/login")
    assert "remember_token=" in " ".join(r.headers.getlist("Set-Cookie"))


def test_login_redirects_only_to_local_next(client, db, post):
    f.user(email="d@example.org")
    r = post("/login?next=https://evil.example/", {"email": "d@example.org", "password": f.PASSWORD}, token_from="/login")
    assert r.headers["Location"] == "/my"


def test_login_is_rate_limited(client, db, post):
    f.user(email="d@example.org")
    codes = [post("/login", {"email": "d@example.org", "password": "wrong"}, token_from="/login").status_code
             for _ in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    assert "Too many attempts" in post("/login", {"email": "d@example.org", "password": "x"}).get_data(as_text=True)


def test_password_reset_flow_single_use(client, db, post):
    user = f.user(email="d@example.org")
    r = post("/password/forgot", {"email": "d@example.org"})
    assert r.status_code == 302
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "password_reset")).one()
    link = next(line for line in mail.body_text.splitlines() if "/password/set/" in line)
    path = link.replace("http://forum.test", "")
    assert client.get(path).status_code == 200
    r = post(path, {"password": "new password 123", "confirm": "new password 123"})
    assert r.status_code == 302
    db.session.refresh(user)
    assert user.check_password("new password 123")
    # used once: the same link no longer works
    r = client.get(path)
    assert r.status_code == 302 and "/password/forgot" in r.headers["Location"]


def test_reset_for_unknown_email_reveals_nothing_and_sends_nothing(client, db, post):
    r = post("/password/forgot", {"email": "ghost@example.org"})
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_reset_link_expires(app, db):
    user = f.user()
    token = services.password_token(user, "reset")
    s = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="forum.password")
    payload, ts = s.loads(token, return_timestamp=True)
    old = s.dumps(payload)  # same payload ...
    assert services.user_from_token(old) is user
    app.config["PASSWORD_RESET_MAX_AGE"], keep = -1, app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        with pytest.raises(NotAllowed) as e:
            services.user_from_token(token)
        assert e.value.code == "token_expired"
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = keep


def test_tampered_token_is_refused(db):
    user = f.user()
    token = services.password_token(user, "set")
    with pytest.raises(NotAllowed) as e:
        services.user_from_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert e.value.code == "token_invalid"


def test_short_password_is_refused_next_to_the_field(client, db, post):
    user = f.user(password=None)
    path = "/password/set/" + services.password_token(user, "set")
    r = post(path, {"password": "short", "confirm": "short"})
    assert r.status_code == 422
    assert 'aria-invalid="true"' in r.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.has_password


def test_password_reset_is_rate_limited(client, db, post):
    codes = [post("/password/forgot", {"email": "x@example.org"}).status_code for _ in range(6)]
    assert codes[-1] == 429


def test_email_unique_case_insensitive(db):
    from forum.errors import InvalidInput

    f.user(email="a@example.org")
    with pytest.raises(InvalidInput) as e:
        f.user(email="A@Example.org")
    assert e.value.code == "email_taken"


def test_cli_user_create_reads_password_from_env(app, db, monkeypatch):
    monkeypatch.setenv("FORUM_PASSWORD", "a long password")
    result = app.test_cli_runner().invoke(args=["user", "create", "--email", "New@Example.org", "--name", "Ерлан",
                                                "--admin"])
    assert result.exit_code == 0, result.output
    user = services.authenticate("new@example.org", "a long password")
    assert user.is_admin and user.display_name == "Ерлан"


def test_language_switcher_remembers_and_saves_preference(client, db, post, login):
    r = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in r.get_data(as_text=True)
    post("/language?next=/", {"lang": "ja"})
    assert '<html lang="ja">' in client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    user = login(f.user())
    post("/language", {"lang": "ru"})
    db.session.refresh(user)
    assert user.language == "ru"


def test_saved_preference_applies_after_login(client, db, post):
    f.user(email="d@example.org", language="ja")
    post("/login", {"email": "d@example.org", "password": f.PASSWORD}, token_from="/login")
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def test_production_refuses_default_secret():
    from forum import create_app
    from forum.config import InsecureConfig

    with pytest.raises(InsecureConfig):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "x" * 40


def test_environment_overrides_config(monkeypatch):
    from forum import create_app

    monkeypatch.setenv("FORUM_BASE_URL", "https://forum.example.kz")
    monkeypatch.setenv("FORUM_MAIL_PORT", "2525")
    monkeypatch.setenv("FORUM_MAIL_USE_TLS", "true")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["BASE_URL"] == "https://forum.example.kz"
    assert app.config["MAIL_PORT"] == 2525 and app.config["MAIL_USE_TLS"] is True
