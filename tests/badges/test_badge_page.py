"""The page a badge's QR code opens, /b/<token> (issue 8, section 1), for every kind of visitor: the check-in
result for the forum's team with the check-in permission (recorded once, however often the page is
reloaded), and for everyone else only "valid for this forum" plus, with the company's consent, name and
company; "not a valid badge" for anything else, saying no more. Never indexed, never cached, rate-limited."""
from __future__ import annotations

import base64
import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from forum.badges import issuing, keys, tokens
from forum.checkin.models import Result, Scan
from forum.db import db as _db
from forum.forums import cancellation
from forum.forums.models import Forum, ForumStatus
from forum.registration import states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f
from tests.conftest import CSRF_RE

TITLE = "Central Asia + Japan Business Forum"


@pytest.fixture()
def forum(db):
    return f.forum(slug="astana")


@pytest.fixture()
def listed(forum):
    """A delegate whose company chose to be in the participant directory."""
    return f.badge(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy", position="Country manager",
                   email="aliya@example.kz", legal_name="«Қазақ Тау» ЖШС", name_en="Kazakh Tau LLP", country="KZ",
                   directory_consent=True)


@pytest.fixture()
def unlisted(forum):
    return f.badge(forum, full_name="Oʻktam Gʻulomov", latin_name="Uktam Gulomov", legal_name="Oʻzbek Savdo MChJ",
                   name_en="Uzbek Trade LLC", country="UZ", directory_consent=False)


@pytest.fixture()
def staff(forum):
    return f.member(forum, Permission.CHECKIN, name="Door Staff")


def _text(r) -> str:
    return r.get_data(as_text=True)


def _main(r) -> str:
    html = _text(r)
    return html[html.index('<main id="main"'):html.index("</main>")]


def _scans(forum) -> list[Scan]:
    return list(_db.session.scalars(sa.select(Scan).where(Scan.forum_id == forum.id).order_by(Scan.id)))


def _nonce(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def _csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    return m.group(1) or m.group(2)


def assert_public_valid(r) -> str:
    assert r.status_code == 200
    main = _main(r)
    assert "Valid badge" in main and TITLE in main and "Not a valid badge" not in main
    assert 'name="nonce"' not in main and "Check in" not in main  # no check-in for this visitor
    return main


def assert_private(r) -> None:
    assert "noindex" in r.headers["X-Robots-Tag"]
    assert "no-store" in r.headers["Cache-Control"]


# --- everyone but the forum's door staff ---------------------------------------------------------

def test_anonymous_sees_name_and_company_when_the_company_consented(client, listed):
    r = client.get(f"/b/{listed.token}")
    main = assert_public_valid(r)
    assert_private(r)
    for shown in ("Әлия Нұрланқызы", "Aliya Nurlankyzy", "«Қазақ Тау» ЖШС", "Kazakh Tau LLP", "Delegate"):
        assert shown in main, shown
    for hidden in ("Country manager", "aliya@example.kz", "+81", "Kazakhstan"):
        assert hidden not in main, hidden
    assert "/login?next=" in main  # staff may sign in from here


def test_anonymous_sees_only_valid_for_this_forum_without_consent(client, unlisted):
    r = client.get(f"/b/{unlisted.token}")
    main = assert_public_valid(r)
    for hidden in ("Oʻktam", "Uktam", "Gulomov", "Oʻzbek Savdo", "Uzbek Trade", "Uzbekistan", "Delegate"):
        assert hidden not in main, hidden
    assert "not shown" in main


@pytest.mark.parametrize("who", ["delegate", "other forum's door staff", "other forum's manager", "reviewer",
                                 "account with nothing"])
def test_everyone_without_the_check_in_permission_here_sees_the_public_page(client, login, forum, unlisted, who):
    other = f.forum()
    user = {
        "delegate": lambda: f.approved(forum).user,
        "other forum's door staff": lambda: f.member(other, Permission.CHECKIN),
        "other forum's manager": lambda: f.member(other, Permission.MANAGE),
        "reviewer": lambda: f.member(forum, Permission.REVIEW, Permission.DOCUMENTS, Permission.B2B),
        "account with nothing": lambda: f.user(),
    }[who]()
    login(user)
    main = assert_public_valid(client.get(f"/b/{unlisted.token}"))
    assert "Uktam" not in main
    # ... and the button's POST is refused, with nothing recorded
    r = client.post(f"/b/{unlisted.token}", data={"csrf_token": _csrf(_text(client.get("/"))), "nonce": "n-1"})
    assert r.status_code == 403
    assert _scans(forum) == [] and not unlisted.inside


@pytest.mark.parametrize("role, word", [(Permission.MANAGE, "Organizer"), (Permission.CHECKIN, "Staff")])
def test_a_team_badge_shows_as_one(client, forum, role, word):
    holder = f.member(forum, role, name="Saule Team")
    badge = issuing.team_badge(forum, holder, by=f.organizer())
    main = assert_public_valid(client.get(f"/b/{badge.token}"))
    assert f"Team badge: {word} of this forum." in main and "Saule" not in main


# --- what is not a valid badge ------------------------------------------------------------------

def _flipped(token: str, i: int = 60) -> str:
    return token[:i] + ("B" if token[i] != "B" else "C") + token[i + 1:]


@pytest.fixture()
def refused(forum, listed):
    """Every kind of code that must get the same "not a valid badge": name -> code."""
    reissued = f.badge(forum, full_name="Reissued Person", directory_consent=True)
    issuing.reissue(reissued, by=f.member(forum, Permission.REVIEW))
    withdrawn = f.badge(forum, full_name="Gone Person", directory_consent=True)
    states.transition(withdrawn.registration, RegState.WITHDRAWN, by=None, notify=False)
    # (after the withdrawal: the place it frees would promote a waitlisted delegate back to approved)
    waitlisted = f.badge(forum, full_name="Waiting Person", directory_consent=True)
    states.transition(waitlisted.registration, RegState.WAITLISTED, by=None, notify=False)
    return {
        "forged": _flipped(listed.token),
        "never issued": tokens.sign(keys.key_pair(forum), tokens.new_badge_id()),
        "signed by an unknown key": tokens.sign(tokens.new_key_pair(), listed.badge_id),
        "reissued": reissued.token,
        "waitlisted": waitlisted.token,
        "withdrawn": withdrawn.token,
        "too short": listed.token[:-1],
        "unknown version": "2" + listed.token[1:],
        "garbage": "hello",
    }


def test_everything_else_is_not_a_valid_badge_and_says_nothing_more(client, forum, refused):
    pages = {}
    for name, code in refused.items():
        r = client.get(f"/b/{code}")
        assert r.status_code == 404, name
        assert_private(r)
        main = _main(r)
        assert "Not a valid badge" in main and "Valid badge<" not in main, name
        assert TITLE not in main and "Person" not in main and "Әлия" not in main, name
        pages[name] = main
    # the same words whatever the reason: a forger learns nothing from the difference
    assert len(set(pages.values())) == 1


@pytest.mark.parametrize("path", ["/b/%CE%A9%CE%BC%CE%AD%CE%B3%CE%B1", "/b/%00", "/b/" + "A" * 5000, "/b/1%2F2"])
def test_hostile_paths_are_not_found_never_a_500(client, db, path):
    assert client.get(path).status_code in (404, 400)


def test_wrong_case_and_url_encoded_tokens_are_read(client, listed):
    token = listed.token
    mixed = "".join(c.lower() if i % 2 else c for i, c in enumerate(token))
    for variant in (token.lower(), mixed, "".join(quote(c, safe="") if i % 3 else "%" + format(ord(c), "02X")
                                                   for i, c in enumerate(token))):
        main = assert_public_valid(client.get(f"/b/{variant}"))
        assert "Әлия Нұрланқызы" in main


def test_the_token_of_a_deleted_forum_is_not_valid(client, db, forum, listed):
    token = listed.token
    assert client.get(f"/b/{token}").status_code == 200
    db.session.execute(sa.delete(Forum).where(Forum.id == forum.id))
    db.session.commit()
    r = client.get(f"/b/{token}")
    assert r.status_code == 404 and "Not a valid badge" in _main(r)


def test_a_cancelled_forums_badges_and_a_draft_forums_are_not_valid(client, db, forum, listed):
    other = f.forum()
    draft_badge = f.badge(other, directory_consent=True)
    other.status = ForumStatus.DRAFT
    cancellation.cancel(forum, reason="Flooding", confirmed=True, by=f.organizer())
    for token in (listed.token, draft_badge.token):
        r = client.get(f"/b/{token}")
        assert r.status_code == 404 and TITLE not in _main(r)


# --- the forum's door staff: the check-in ---------------------------------------------------------

def test_door_staff_see_the_badge_and_a_button_and_a_get_records_nothing(client, login, forum, unlisted, staff):
    login(staff)
    r = client.get(f"/b/{unlisted.token}")
    assert r.status_code == 200
    assert_private(r)
    main = _main(r)
    for shown in ("Oʻktam Gʻulomov", "Uktam Gulomov", "Oʻzbek Savdo MChJ", "Uzbekistan", "Not checked in yet.",
                  "Check in"):
        assert shown in main, shown
    again = _main(client.get(f"/b/{unlisted.token.lower()}"))
    assert _nonce(main) != _nonce(again)  # a fresh nonce for every drawing of the button
    assert _scans(forum) == [] and not unlisted.inside


def test_check_in_from_the_page_is_recorded_once_however_often_it_is_reloaded(client, login, forum, unlisted, staff):
    login(staff)
    page = _text(client.get(f"/b/{unlisted.token}"))
    form = {"csrf_token": _csrf(page), "nonce": _nonce(page)}
    r = client.post(f"/b/{unlisted.token.lower()}", data=form)
    assert r.status_code == 303
    result_url = r.headers["Location"]
    assert result_url.startswith(f"/b/{unlisted.token}?scan=")
    for _ in range(3):  # the result page reloaded
        result = client.get(result_url)
        main = _main(result)
        # in the scanner's words and colours (checkin/messages.py, .verdict-ok)
        assert 'data-result="ok"' in main and "verdict-ok" in main and "Checked in" in main
        assert "Welcome! The badge is valid and the arrival is recorded." in main
        assert 'name="nonce"' not in main  # no second button under the result
    assert client.post(f"/b/{unlisted.token}", data=form).headers["Location"] == result_url  # the form sent again
    (row,) = _scans(forum)
    assert (row.result, row.user_id, row.badge_id, row.device) == (Result.OK, staff.id, unlisted.id, "Badge page")
    _db.session.refresh(unlisted)
    assert unlisted.inside and unlisted.first_checked_in_device == "Badge page"

    # a new look at the badge: inside now, and checking in again is amber, with the first entry
    page = _text(client.get(f"/b/{unlisted.token}"))
    assert "Inside now." in _main_of(page)
    r = client.post(f"/b/{unlisted.token}", data={"csrf_token": _csrf(page), "nonce": _nonce(page)})
    main = _main(client.get(r.headers["Location"]))
    assert 'data-result="already_checked_in"' in main and "verdict-warn" in main and "Already checked in" in main
    assert re.search(r"Already checked in at \d\d:\d\d by Badge page\.", main)
    assert [s.result for s in _scans(forum)] == [Result.OK, Result.ALREADY_CHECKED_IN]


def test_a_revoked_badge_shows_red_to_door_staff_and_the_refusal_is_recorded(client, login, forum, listed, staff):
    new = issuing.reissue(listed, by=f.member(forum, Permission.REVIEW))
    login(staff)
    page = _text(client.get(f"/b/{listed.token}"))
    assert "Revoked on" in _main_of(page) and "This badge was replaced by a newer one. Only the newest badge admits its holder." in _main_of(page)
    r = client.post(f"/b/{listed.token}", data={"csrf_token": _csrf(page), "nonce": _nonce(page)})
    main = _main(client.get(r.headers["Location"]))
    assert 'data-result="revoked"' in main and "verdict-refused" in main and "Badge no longer valid" in main
    # why, once: in the verdict, not again beside "Revoked on ..."
    assert main.count("This badge was replaced by a newer one. Only the newest badge admits its holder.") == 1 and "Revoked on" in main
    assert [(s.result, s.badge_id) for s in _scans(forum)] == [(Result.REVOKED, listed.id)]
    assert "Not checked in yet." in _main(client.get(f"/b/{new.token}"))


def _main_of(html: str) -> str:
    return html[html.index('<main id="main"'):html.index("</main>")]


def test_door_staff_of_a_cancelled_forum_get_forum_cancelled(client, login, forum, listed, staff):
    cancellation.cancel(forum, reason="Flooding", confirmed=True, by=f.organizer())
    login(staff)
    page = _text(client.get(f"/b/{listed.token}"))
    assert "The forum has been cancelled." in _main_of(page)
    r = client.post(f"/b/{listed.token}", data={"csrf_token": _csrf(page), "nonce": _nonce(page)})
    main = _main(client.get(r.headers["Location"]))
    assert 'data-result="forum_cancelled"' in main and "verdict-refused" in main
    assert "This forum has been cancelled: no badge admits anyone." in main
    assert "The forum has been cancelled." not in main  # the verdict said it: not said again below


def test_a_team_member_with_manage_checks_in_and_an_administrator_too(client, login, forum):
    for user in (f.member(forum, Permission.MANAGE), f.organizer()):
        badge = f.badge(forum)
        login(user)
        page = _text(client.get(f"/b/{badge.token}"))
        r = client.post(f"/b/{badge.token}", data={"csrf_token": _csrf(page), "nonce": _nonce(page)})
        assert 'data-result="ok"' in _main(client.get(r.headers["Location"]))


def test_the_result_of_someone_elses_scan_is_not_shown(client, login, forum, listed, unlisted, staff):
    login(staff)
    page = _text(client.get(f"/b/{listed.token}"))
    nonce = _nonce(page)
    client.post(f"/b/{listed.token}", data={"csrf_token": _csrf(page), "nonce": nonce})
    # the same nonce on another badge's page, or by another member of the team: no verdict
    assert "data-result" not in _main(client.get(f"/b/{unlisted.token}?scan={nonce}"))
    login(f.member(forum, Permission.CHECKIN))
    assert "data-result" not in _main(client.get(f"/b/{listed.token}?scan={nonce}"))
    assert "data-result" not in _main(client.get(f"/b/{listed.token}?scan={'x' * 300}"))


@pytest.mark.parametrize("nonce", ["", " ", "x" * 101, "é"])
def test_a_bad_nonce_is_a_400_and_records_nothing(client, login, forum, listed, staff, nonce):
    login(staff)
    page = _text(client.get(f"/b/{listed.token}"))
    r = client.post(f"/b/{listed.token}", data={"csrf_token": _csrf(page), "nonce": nonce})
    assert r.status_code == 400 and _scans(forum) == []


def test_posting_without_the_csrf_token_or_for_an_invalid_code_changes_nothing(client, login, forum, listed, staff):
    login(staff)
    assert client.post(f"/b/{listed.token}", data={"nonce": "n-1"}).status_code == 400
    page = _text(client.get(f"/b/{listed.token}"))
    assert client.post(f"/b/{_flipped(listed.token)}", data={"csrf_token": _csrf(page), "nonce": "n-2"}).status_code == 404
    assert _scans(forum) == []


def test_anonymous_post_is_refused(client, forum, listed):
    token = _csrf(_text(client.get("/")))
    assert client.post(f"/b/{listed.token}", data={"csrf_token": token, "nonce": "n-1"}).status_code == 403
    assert _scans(forum) == []


# --- secrets, limits ------------------------------------------------------------------------------

def test_the_private_key_never_appears(client, login, forum, listed, staff):
    private = keys.key_pair(forum).private
    forms = {private.hex(), private.hex().upper(), base64.b64encode(private).decode(),
             base64.urlsafe_b64encode(private).decode().rstrip("="), base64.b32encode(private).decode().rstrip("=")}
    pages = [client.get(f"/b/{listed.token}"), client.get(f"/b/{_flipped(listed.token)}")]
    login(staff)
    page = client.get(f"/b/{listed.token}")
    pages.append(page)
    r = client.post(f"/b/{listed.token}", data={"csrf_token": _csrf(_text(page)), "nonce": _nonce(_text(page))})
    pages += [r, client.get(r.headers["Location"]), client.get("/manage/astana/checkin")]
    for p in pages:
        body = _text(p) + str(p.headers)
        assert not any(form in body for form in forms)


def test_the_public_page_is_rate_limited_per_address_but_not_for_the_team(app, client, login, forum, listed, staff,
                                                                         monkeypatch):
    from forum.extensions import limiter

    # Flask-Limiter's `enabled` is process-wide: an app made elsewhere in the run with RATELIMIT_ENABLED=False
    # (the browser tests) leaves it off. This test needs it on.
    monkeypatch.setattr(limiter, "enabled", True)
    app.config["RATELIMIT_BADGE_PAGE"] = "3 per minute"
    try:
        assert [client.get(f"/b/{listed.token}").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert client.get(f"/b/{_flipped(listed.token)}").status_code == 429  # per address, whatever the code
        login(staff)
        assert all(client.get(f"/b/{listed.token}").status_code == 200 for _ in range(5))
    finally:
        app.config["RATELIMIT_BADGE_PAGE"] = "120 per minute"
