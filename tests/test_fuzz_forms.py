"""Every form route, fuzzed: random and hostile values never give a 500 and never half-save.

The routes come from the app's URL map (as in test_csrf_everywhere.py), so a route added tomorrow is
fuzzed too. Each route starts from a valid submission (or, for a route this file does not know, the
fields its page shows) and hypothesis replaces a few values, or adds crafted keys, with hostile
ones: Unicode digits, numbers beyond 64 bits, year-1 dates, text that NFC lengthens past its column,
NUL bytes, markup, header injection. A response that is not a success redirect must leave the row
count of every table as it was.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum.accounts import services as accounts
from forum.db import db as _db
from forum.registration import services as registration
from tests import factories as f
from tests.conftest import CSRF_RE, _empty_all_tables
from tests.test_csrf_everywhere import post_routes

EXAMPLES_PER_ROUTE = 40
CASES_RUN: list[str] = []  # one entry per example posted, for the report at the end

HOSTILE = [
    "", " ", "\t", "0", "-1", "1.5", "NaN", "1e309", "²", "٣", "１２", "99999999999999999999", "9223372036854775808",
    "2147483648", "0001-01-01T00:00", "9999-12-31T23:59", "2030-02-30T10:00", "2030-03-31T02:30", "31/12/2030",
    "\u0958" * 200, "\u0958" * 151, "x" * 5000, "İ" * 130 + "@example.org", "a@bücher.example",
    "a@xn--bcher-kva.example", "@", "a@", "<script>alert(1)</script>", "' OR 1=1 --", "\r\nBcc: x@example.org",
    "\x00", "a\x00b", "\u202e", "\ufeff", "🙂" * 100, "javascript:alert(1)", "//evil.example", "/\\evil.example",
    "Asia/Almaty", "UTC", "../../etc/passwd", "KZ", "xx", "cancelled", "draft", "approve", "reject", "y", "on",
]
EXTRA_KEYS = ["delegates-²-email", "delegates-x", "delegatesX²", "delegates-10-email", "delegates-0-email",
              "delegates-99999999999999999999-email", "delegates-0", "remove_delegate", "add_delegate", "ids",
              "page", "next", "back", "status", "csrf_token"]

# Text that a form's Length() lets through and NFC then makes longer than the column (U+0958 -> 2 code points).
NFC_LONG = st.integers(min_value=51, max_value=300).map(lambda n: "\u0958" * n)
SHARP = ["\u0958" * 150, "²", "99999999999999999999", "0001-01-01T00:00"]
VALUE = st.one_of(st.sampled_from(HOSTILE), st.sampled_from(HOSTILE), NFC_LONG, st.text(max_size=40),
                  st.integers(min_value=-(2**70), max_value=2**70).map(str))

# Writes that are the point even of a refusal: a failed sign-in is audited.
# The door scanner answers every scan with a page (200), not a redirect, and stores every scan, refused or not.
ALLOWED_ON_REFUSAL = {("accounts.login", "audit_entries"), ("scanner.manual", "checkin_scans")}
ANONYMOUS = {"accounts.login", "accounts.forgot_password", "accounts.set_password", "registration.register",
             "registration.invitation"}


def _company_form(n: int) -> dict:
    return {
        "legal_name": "株式会社テスト", "name_en": "Test Corp", "country": "JP", "city": "Tokyo", "sector": "it",
        "contact_name": "佐藤 花子", "contact_email": "contact@example.jp", "privacy_accepted": "y",
        "contact_phone": "+81 90 1234 5678", "website": "https://example.jp", "profile": "Cars",
        "delegates-0-full_name": "山田 太郎", "delegates-0-latin_name": "YAMADA Taro",
        "delegates-0-email": f"taro{n}@example.jp", "delegates-0-category": "delegate", "delegates-0-language": "en",
        "delegates-0-phone": "+81 90 1234 5678", "delegates-0-position": "Director", "delegates-0-languages": "ja",
        "late_reason": "Late", "endorsed_by": "JETRO",
    }


def _correction_form(n: int) -> dict:
    return {"full_name": f"山田 太郎 {n}", "latin_name": "YAMADA Taro", "email": f"corrected{n}@example.jp",
            "position": "Director", "phone": "+81 90 1234 5678", "languages": "ja", "language": "ja"}


def _forum_form(slug: str) -> dict:
    return {"title": "Forum", "slug": slug, "city": "Astana", "venue": "Hall", "country": "KZ", "timezone": "Asia/Almaty",
            "starts_local": "2030-05-01T09:00", "ends_local": "2030-05-02T18:00", "opens_local": "2030-01-01T09:00",
            "closes_local": "2030-04-01T18:00", "capacity": "100", "status": "published", "description": "About"}


# A valid submission per route (n makes it unique, so that each example can succeed afresh), and
# what it answers unchanged: every base is checked once before the fuzzing, or the fuzz would only
# ever exercise the form's first refusal.
BASES = {
    "accounts.login": (lambda w, n: {"email": w["email"], "password": "wrong password", "remember": "y"}, 422),
    "accounts.forgot_password": (lambda w, n: {"email": w["email"]}, 302),
    "accounts.set_password": (lambda w, n: {"password": "a new password!", "confirm": "a new password!"}, 302),
    "accounts.account": (lambda w, n: {"display_name": "New Name", "language": "ru"}, 302),
    "accounts.set_language": (lambda w, n: {"lang": "ja"}, 302),
    "accounts.logout": (lambda w, n: {}, 302),
    "registration.register": (lambda w, n: _company_form(n), 302),
    "registration.invitation": (lambda w, n: _company_form(n), 302),
    "registration.withdraw": (lambda w, n: {"reason": "Ill"}, 302),
    "review.new": (lambda w, n: _company_form(n), 302),
    "review.bulk": (lambda w, n: {"action": "approve", "ids": str(w["reg_id"]), "reason": ""}, 302),
    "review.decide": (lambda w, n: {"action": "waitlist", "reason": "", "override_capacity": ""}, 302),
    "review.invitations": (lambda w, n: {"company_name": "Toyota", "email": "a@toyota.jp", "days_valid": "7",
                                         "language": "ja", "note": "", "auto_approve": "y"}, 302),
    "forums_manage.new": (lambda w, n: _forum_form(f"new-forum-{n}"), 302),
    "forums_manage.edit": (lambda w, n: _forum_form("astana"), 302),
    "forums_manage.cancel": (lambda w, n: {"reason_en": "The venue is closed.", "reason_kk": "Орын жабық.",
                                           "confirm": "y"}, 302),
    "corrections.correct": (lambda w, n: _correction_form(n), 302),
    "corrections.manage_correct": (lambda w, n: _correction_form(n), 302),
    "corrections.substitute": (lambda w, n: {**_correction_form(n), "confirm": "y"}, 302),
    "corrections.manage_substitute": (lambda w, n: {**_correction_form(n), "confirm": "y"}, 302),
    "corrections.correct_company": (lambda w, n: {"legal_name": f"株式会社テスト{n}", "name_en": "Test Corp"}, 302),
    "corrections.manage_correct_company": (lambda w, n: {"legal_name": f"株式会社テスト{n}", "name_en": "Test"}, 302),
    "corrections.acknowledge": (lambda w, n: {}, 302),
    "scanner.manual": (lambda w, n: {"code": "not a badge", "nonce": f"fuzz-{n}", "device": "Gate 1",
                                     "direction": "in"}, 200),
    "teams.add": (lambda w, n: {"email": f"member{n}@example.org", "permissions": ["review", "checkin"],
                                "name": "Aziz Karimov", "language": "ru"}, 302),
}

FIELD_RE = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')


def _world():
    """One open forum with a registration, an organizer and a delegate without a password."""
    forum = f.forum(slug="astana", capacity=3)
    org = f.organizer()
    company = f.company(forum, 2)
    delegate = accounts.find_by_email(company.delegates[0].email)
    world = {"org": org, "org_id": org.id, "forum_id": forum.id, "reg_id": company.delegates[0].id,
             "company_id": company.id, "delegate_id": delegate.id, "email": delegate.email,
             "reg_public_id": company.delegates[0].public_id, "company_public_id": company.public_id,
             "reg_pid": company.delegates[0].public_id, "company_pid": company.public_id}
    _db.session.commit()
    return world


def _url_for(app, endpoint: str, world: dict) -> str:
    """The route's address; a single-use token (invitation, password link) is made afresh each time."""
    from flask import url_for

    from forum.accounts.models import User
    from forum.forums.models import Forum

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    for arg in rule.arguments:
        if arg == "token" and endpoint.startswith("accounts."):
            values[arg] = accounts.password_token(_db.session.get(User, world["delegate_id"]), "set")
        elif arg == "token":
            _inv, values[arg] = registration.create_invitation(
                _db.session.get(Forum, world["forum_id"]), company_name="Toyota", email="a@toyota.jp",
                by=_db.session.get(User, world["org_id"]))
            _db.session.commit()
        elif arg == "public_id":
            values[arg] = world["company_public_id" if "company" in endpoint else "reg_public_id"]
        else:
            values[arg] = {"slug": "astana", "reg_id": world["reg_id"], "company_id": world["company_id"],
                           "reg_pid": world["reg_pid"], "company_pid": world["company_pid"]}.get(arg, 1)
    with app.test_request_context():
        return url_for(endpoint, **values)


def _counts() -> dict[str, int]:
    """The row count of every table, in one query (one round trip, one snapshot) rather than one per table."""
    tables = _db.metadata.sorted_tables
    query = sa.select(*(sa.select(sa.func.count()).select_from(t).scalar_subquery().label(f"n{i}")
                        for i, t in enumerate(tables)))
    with _db.engine.connect() as conn:
        row = conn.execute(query).one()
    return {t.name: n for t, n in zip(tables, row, strict=True)}


def _token(client, url: str) -> str:
    for source in (url, "/"):
        r = client.get(source)
        m = CSRF_RE.search(r.get_data(as_text=True)) if r.status_code == 200 else None
        if m:
            return m.group(1) or m.group(2)
    raise AssertionError("no CSRF token")


def _base(client, endpoint: str, url: str, world: dict, n: int, fields: dict | None = None) -> dict:
    if endpoint in BASES:
        return BASES[endpoint][0](world, n)
    # A route this file does not know yet: the fields its page shows, empty (read from the page once per route:
    # `fields` caches them, and the page is not rendered again for every example).
    if fields is not None and endpoint in fields:
        return dict(fields[endpoint])
    r = client.get(url)
    base = {name: "" for name in FIELD_RE.findall(r.get_data(as_text=True)) if name != "csrf_token"}
    if fields is not None:
        fields[endpoint] = dict(base)
    return base


def _fresh(client, login, world: dict, endpoint: str) -> str | None:
    """Each example as the route's user: anonymous, or the organizer (a sign-out example signs out).

    The session is emptied but for its CSRF secret, if it has one (returned), so that a token already read from
    a page stays valid and no page has to be rendered again just for its token.
    """
    from forum.accounts.models import User

    with client.session_transaction() as s:
        secret = s.get("csrf_token")
        s.clear()
        if secret:
            s["csrf_token"] = secret
        if endpoint not in ANONYMOUS:  # as the `login` fixture does
            s["_user_id"] = _db.session.get(User, world["org_id"]).get_id()
            s["_fresh"] = True
    _db.session.commit()
    return secret


def _session_secret(client) -> str | None:
    with client.session_transaction() as s:
        return s.get("csrf_token")


def test_every_form_route_survives_hostile_input(app, client, db, login):
    routes = post_routes(app)
    assert len(routes) >= 16
    for endpoint, _sample_url in routes:
        _empty_all_tables()
        db.session.remove()
        from forum.extensions import limiter

        limiter.reset()
        world = _world()
        _fresh(client, login, world, endpoint)
        url = _url_for(app, endpoint, world)
        base = _base(client, endpoint, url, world, 0)
        if endpoint in BASES:
            r = client.post(url, data={**base, "csrf_token": _token(client, url)})
            assert r.status_code == BASES[endpoint][1], (endpoint, "the valid base", r.status_code)
        seq = iter(range(1, 10**6))
        fields = {endpoint: base}
        tokens: dict[str, str] = {}  # the session's CSRF secret -> a token read from a page for it

        def check(mutation, query=""):
            n = next(seq)
            secret = _fresh(client, login, world, endpoint)
            url = _url_for(app, endpoint, world)
            data = {**_base(client, endpoint, url, world, n, fields), **mutation}
            token = tokens.get(secret) if secret else None
            if token is None:  # a new session (the first example, or after a sign-out): read the token from a page
                token = _token(client, url)
                tokens[_session_secret(client)] = token
            data.setdefault("csrf_token", token)
            if data["csrf_token"] in ("", None) or isinstance(data["csrf_token"], list):
                data["csrf_token"] = token  # a CSRF refusal is tested elsewhere
            _db.session.commit()  # as the client does before each request: the test's session holds no lock
            before = _counts()
            r = client.post(url + query, data=data)
            CASES_RUN.append(endpoint)
            assert r.status_code < 500, (endpoint, data, r.status_code)
            if r.status_code not in (301, 302, 303):
                after = _counts()
                changed = {t for t in before if before[t] != after[t]} - {t for e, t in ALLOWED_ON_REFUSAL if e == endpoint}
                assert not changed, (endpoint, data, r.status_code, changed)

        # First a sweep: each field of the valid submission in turn gets each of the sharpest values.
        for key in sorted(base):
            for value in SHARP:
                check({key: value})
        for key in EXTRA_KEYS:
            for value in SHARP[1:3]:
                check({key: value})
        # Mostly the route's own fields (one or two changed, so the rest still passes and reaches the
        # service), sometimes crafted keys.
        own = [st.sampled_from(sorted(base))] * 3 if base else []
        keys = st.one_of(*own, st.sampled_from(EXTRA_KEYS))
        mutation = st.dictionaries(keys, st.one_of(VALUE, VALUE, st.lists(VALUE, min_size=2, max_size=3)),
                                   min_size=1, max_size=3)
        query = st.one_of(st.just(""), st.builds(lambda k, v: "?" + k + "=" + v,
                                                   st.sampled_from(["next", "back", "page"]),
                                                   st.sampled_from(["%00", "%C2%B2", "99999999999999999999",
                                                                    "//evil.example", "/manage/"])))

        @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(mutation=mutation, query=query)
        def fuzz(mutation, query):
            check(mutation, query)

        fuzz()
    print(f"\nfuzzed {len(routes)} form routes, {len(CASES_RUN)} cases")
    assert len(CASES_RUN) >= len(routes) * EXAMPLES_PER_ROUTE
