"""§4 of issue 6: the headers every response carries, Secure cookies and HSTS in production, and no
page that a browser may keep in its cache.

The browser side of the Content-Security-Policy (no violation on any page, the language switcher and
"select all" still working) is in tests/browser/test_csp.py.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from forum import create_app
from forum.security_headers import CONTENT_SECURITY_POLICY
from tests import factories as f
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent


def _assert_secure_headers(r) -> None:
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    csp = dict(part.strip().split(" ", 1) for part in r.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'" and csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]


def test_every_kind_of_response_carries_the_security_headers(client, db, post):
    forum = f.forum()
    responses = [
        client.get("/"), client.get(f"/forums/{forum.slug}"), client.get("/login"),
        client.get("/no-such-page"), client.get("/manage/"),  # 404, redirect to sign in
        client.get("/static/css/forum.css"), client.get("/static/js/forum.js"),
        client.post("/language", data={"lang": "ja"}),  # no CSRF token: 400
        post("/login", {"email": "x@example.org", "password": "wrong"}, token_from="/login"),  # 422
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 302, 200, 200, 400, 422]
    for r in responses:
        _assert_secure_headers(r)
    assert "Strict-Transport-Security" not in responses[0].headers  # not outside production


def test_pages_are_not_stored_but_static_files_are_cached(client, db, login):
    forum = f.forum()
    company = f.company(forum)
    login(f.organizer())
    pages = ["/", "/my", "/manage/", f"/manage/{forum.slug}/registrations",
             f"/manage/{forum.slug}/registrations.csv", f"/manage/{forum.slug}/registrations.xlsx",
             f"/forums/{forum.slug}/register/done/{company.public_id}"]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/static/css/forum.css").headers.get("Cache-Control", "")


def test_the_registration_confirmation_is_not_stored_for_an_anonymous_visitor(client, db):
    forum = f.forum()
    company = f.company(forum)
    with client.session_transaction() as s:
        s["submitted"] = [company.public_id]  # as the browser that submitted the form has it
    r = client.get(f"/forums/{forum.slug}/register/done/{company.public_id}")
    assert r.status_code == 200 and company.contact_email in r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"


def test_the_policy_is_the_documented_one():
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'self'; script-src 'self'; style-src 'self'")


TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*.html") if "mail" not in p.relative_to(ROOT / "templates").parts)
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on...= handler"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_template_needs_what_the_policy_forbids(template):
    """The browser would refuse these (tests/browser/test_csp.py shows it does); say so before it does."""
    html = template.read_text(encoding="utf-8")
    found = [what for pattern, what in INLINE if pattern.search(html)]
    assert found == [], f"{template.name}: {found}; move it into forum/static/js/ or forum/static/css/"


@pytest.fixture()
def production(app, db, monkeypatch, tmp_path):
    """The app as production runs it, on the test database."""
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    prod = create_app({"TESTING": True, "ENV_NAME": "production", "SECRET_KEY": "p" * 16 + "-production-key-for-tests",
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "MAIL_FOLDER": str(tmp_path / "mail"), "RATELIMIT_ENABLED": app.config["RATELIMIT_ENABLED"]})
    return prod


def _cookie_header(r, name: str) -> str:
    return next(h for h in r.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_in_production_cookies_are_secure_and_hsts_is_sent(db, production):
    f.user(email="d@example.org")
    db.session.commit()
    c = production.test_client()
    page = c.get("/login", base_url="https://forum.example")
    _assert_secure_headers(page)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # Over HTTPS Flask-WTF also wants the Referer of a page of the site.
    r = c.post("/login", base_url="https://forum.example", headers={"Referer": "https://forum.example/login"}, data={
        "email": "d@example.org", "password": f.PASSWORD, "remember": "y",
        "csrf_token": csrf_token(c, "https://forum.example/login")})
    assert r.status_code == 302
    for name in ("session", "remember_token"):
        attributes = [a.strip().lower() for a in _cookie_header(r, name).split(";")]
        assert "secure" in attributes and "httponly" in attributes, (name, attributes)


def test_outside_production_cookies_work_over_plain_http(client, db, post):
    f.user(email="d@example.org")
    r = post("/login", {"email": "d@example.org", "password": f.PASSWORD, "remember": "y"}, token_from="/login")
    assert "secure" not in _cookie_header(r, "session").lower()
