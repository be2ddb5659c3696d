"""The door scanner page (issue 8, section 4): its JSON endpoints for every result code, their errors, CSRF,
permissions, the name search in any script, check-in by a tap, and the form that works without JavaScript."""
from __future__ import annotations

import html as html_lib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from forum import clock
from forum.badges import issuing
from forum.badges.models import Badge
from forum.checkin.models import Result, Scan
from forum.forums import cancellation
from forum.registration import states
from forum.registration.models import Category, RegState
from forum.teams.models import Permission
from tests import factories as f
from tests.conftest import csrf_token

PAGE = "/manage/astana/scan"
CHECK = "/manage/astana/scan/check"
SEARCH = "/manage/astana/scan/search"
FIRST_ENTRY = f.utc(2026, 8, 20, 0, 12)  # 09:12 in Tokyo


@pytest.fixture()
def forum(db):
    # Tokyo: a zone without daylight saving whose offset no tz database has changed (09:12 stays 09:12).
    return f.forum(slug="astana", tz="Asia/Tokyo")


@pytest.fixture()
def staff(forum, login):
    return login(f.member(forum, Permission.CHECKIN, name="Door Staff"))


@pytest.fixture()
def token(client, staff):
    return csrf_token(client, PAGE)


@pytest.fixture()
def at(monkeypatch):
    """Move the app's clock: at(datetime)."""
    def _at(when):
        monkeypatch.setattr(clock, "now", lambda: when)
    return _at


_n = iter(range(10**9))


def check(client, token, payload=None, *, raw=None, headers=None):
    """POST to the JSON endpoint the way scanner.js does."""
    hdrs = {"X-CSRFToken": token, "Accept": "application/json"}
    hdrs.update(headers or {})
    if raw is not None:
        return client.post(CHECK, data=raw, content_type="application/json", headers=hdrs)
    body = {"nonce": f"nonce-{next(_n)}", "device": "Gate 1", **(payload or {})}
    body = {k: v for k, v in body.items() if v is not ...}  # ... leaves a key out
    return client.post(CHECK, json=body, headers=hdrs)


def scans(db, forum):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Scan).where(Scan.forum_id == forum.id).order_by(Scan.id)))


def _text(r) -> str:
    return r.get_data(as_text=True)


# --- the page --------------------------------------------------------------------------------------------------

def test_the_page_says_arrived_n_of_m_and_loads_only_its_own_files(client, forum, staff):
    f.badge(forum)
    f.badge(forum)
    f.registration_(forum)  # pending: not expected
    r = client.get(PAGE)
    html = _text(r)
    assert r.status_code == 200
    assert '<p id="arrivals" class="arrivals mb-0" aria-live="polite">Arrived 0 of 2</p>' in html
    scripts = re.findall(r"<script([^>]*)>", html)
    # No inline script (CSP); the offline verdict's words are a JSON data block, which is never run.
    assert all('src="/static/' in attrs for attrs in scripts)
    assert 'src="/static/vendor/jsqr/jsQR.js"' in html and 'src="/static/js/scanner.js"' in html
    assert " style=" not in html and " onclick=" not in html
    assert 'data-check-url="/manage/astana/scan/check"' in html
    assert 'data-search-url="/manage/astana/scan/search"' in html
    for name in ("ok", "warn", "refused"):
        assert f'data-sound-{name}="/static/sounds/{name}.wav"' in html
        sound = client.get(f"/static/sounds/{name}.wav")
        assert sound.status_code == 200 and sound.data[:4] == b"RIFF" and sound.data[8:12] == b"WAVE"
    assert client.get("/static/vendor/jsqr/jsQR.js").status_code == 200


def test_the_static_sounds_are_what_the_generator_makes():
    from forum.checkin import sounds

    for name, samples in sounds.SOUNDS.items():
        assert (sounds.FOLDER / f"{name}.wav").read_bytes() == sounds.wav_bytes(samples), name


def test_jsqr_is_vendored_with_its_licence_and_version():
    folder = Path(__file__).resolve().parents[2] / "forum" / "static" / "vendor" / "jsqr"
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert "jsQR 1.4.0" in (folder / "README").read_text()
    assert 'root["jsQR"] = factory();' in (folder / "jsQR.js").read_text()[:600]


# --- the JSON endpoint, one result code at a time ------------------------------------------------------------

def test_a_first_scan_is_ok_with_the_delegate_and_the_new_count(client, db, forum, staff, token, at):
    badge = f.badge(forum, full_name="山田 太郎", latin_name="YAMADA Taro", legal_name="株式会社さくら商事",
                    name_en="Sakura Trading", country="JP")
    badge.registration.category = Category.SPEAKER  # confirmed by a reviewer
    f.badge(forum)
    at(FIRST_ENTRY)
    r = check(client, token, {"code": f"  http://forum.test/b/{badge.token}\n", "nonce": "n-ok", "device": "Gate 1"})
    assert r.status_code == 200 and r.is_json
    a = r.get_json()
    assert (a["status"], a["tone"], a["title"], a["direction"]) == ("ok", "ok", "Checked in", "in")
    assert a["message"] == "Welcome! The badge is valid and the arrival is recorded."
    d = a["delegate"]
    assert (d["full_name"], d["latin_name"], d["company"], d["company_latin"]) == (
        "山田 太郎", "YAMADA Taro", "株式会社さくら商事", "Sakura Trading")
    assert (d["country"], d["country_name"], d["category"], d["category_label"]) == (
        "JP", "Japan", "speaker", "Speaker")
    assert a["arrivals"] == {"arrived": 1, "expected": 2, "present": 1, "text": "Arrived 1 of 2"}
    assert a["replayed"] is False and a["first_checked_in_at"] is None
    (row,) = scans(db, forum)
    assert (row.result, row.user_id, row.device, row.nonce, row.badge_id) == (
        Result.OK, staff.id, "Gate 1", "n-ok", badge.id)


def test_a_second_scan_says_when_and_by_which_device_the_first_entry_was(client, db, forum, staff, token, at):
    badge = f.badge(forum)
    at(FIRST_ENTRY)
    check(client, token, {"code": badge.token, "device": "Gate 1"})
    at(FIRST_ENTRY + timedelta(minutes=40))
    a = check(client, token, {"code": badge.token, "device": "Gate 2"}).get_json()
    assert (a["status"], a["tone"], a["title"]) == ("already_checked_in", "warn", "Already checked in")
    assert a["message"] == "Already checked in at 09:12 by Gate 1."
    assert a["first_checked_in_local"] == "09:12" and a["first_checked_in_device"] == "Gate 1"
    assert a["first_checked_in_at"] == FIRST_ENTRY.isoformat()
    assert a["arrivals"]["arrived"] == 1
    # On a later day of the forum, the date too.
    at(FIRST_ENTRY + timedelta(days=1))
    a = check(client, token, {"code": badge.token}).get_json()
    assert a["message"] == "Already checked in at 20 Aug 2026, 09:12 by Gate 1."
    assert [s.result for s in scans(db, forum)] == [Result.OK, Result.ALREADY_CHECKED_IN, Result.ALREADY_CHECKED_IN]


def test_exit_then_reentry_in_plain_words(client, db, forum, staff, token, at):
    badge = f.badge(forum)
    a = check(client, token, {"code": badge.token, "direction": "out"}).get_json()
    assert (a["status"], a["tone"], a["title"]) == ("not_checked_in", "warn", "Not checked in")
    assert a["message"] == "No entry is recorded for this badge, so there is no exit to record."
    at(FIRST_ENTRY)
    check(client, token, {"code": badge.token})
    at(FIRST_ENTRY + timedelta(hours=1))
    a = check(client, token, {"code": badge.token, "direction": "out"}).get_json()
    assert (a["status"], a["title"], a["direction"]) == ("ok", "Exit recorded", "out")
    assert a["arrivals"]["present"] == 0 and a["arrivals"]["arrived"] == 1
    at(FIRST_ENTRY + timedelta(hours=2))
    a = check(client, token, {"code": badge.token}).get_json()
    assert (a["status"], a["message"]) == ("ok", "Welcome back. First arrived at 09:12.")


def _flipped(token: str, i: int = 60) -> str:
    return token[:i] + ("B" if token[i] != "B" else "C") + token[i + 1:]


def _reissued(forum):
    old = f.badge(forum, full_name="Oʻktam Gʻulomov")
    issuing.reissue(old, by=f.member(forum, Permission.REVIEW))
    return old.token


def _waitlisted(forum):
    badge = f.badge(forum, full_name="Әлия Нұрланқызы")
    states.transition(badge.registration, RegState.WAITLISTED, by=None, notify=False)
    return badge.token


def _withdrawn(forum):
    badge = f.badge(forum, full_name="Әлия Нұрланқызы")
    states.transition(badge.registration, RegState.WITHDRAWN, by=None, reason="r", notify=False)
    return badge.token


def _other_forum(forum):
    return f.badge(f.forum()).token


def _cancelled(forum):
    badge = f.badge(forum, full_name="山田 太郎")
    cancellation.cancel(forum, reason="Flooding", confirmed=True, by=f.organizer())
    return badge.token


@pytest.mark.parametrize("make, status, title, message, named", [
    (lambda forum: "not a badge", "invalid", "Not a valid badge",
     "The code is not a badge of this forum: unreadable, incomplete or forged.", None),
    (lambda forum: _flipped(f.badge(forum).token), "invalid", "Not a valid badge",
     "The code is not a badge of this forum: unreadable, incomplete or forged.", None),
    (_reissued, "revoked", "Badge no longer valid",
     "This badge was replaced by a newer one. Only the newest badge admits its holder.", "Oʻktam Gʻulomov"),
    (_withdrawn, "revoked", "Badge no longer valid", "This badge was revoked: the registration was withdrawn.",
     "Әлия Нұрланқызы"),
    (_waitlisted, "not_approved", "Registration not approved",
     "The registration is on the waiting list, not approved. Send them to the registration desk.", "Әлия Нұрланқызы"),
    (_other_forum, "wrong_forum", "Badge of another forum", "This is a genuine badge, but of another forum.", None),
    (_cancelled, "forum_cancelled", "Forum cancelled", "This forum has been cancelled: no badge admits anyone.",
     "山田 太郎"),
])
def test_every_refusal_is_red_with_its_reason_and_is_recorded(client, db, forum, staff, token, make, status, title,
                                                               message, named):
    code = make(forum)
    r = check(client, token, {"code": code})
    assert r.status_code == 200
    a = r.get_json()
    assert (a["status"], a["tone"], a["title"], a["message"]) == (status, "refused", title, message)
    assert (a["delegate"]["full_name"] if a["delegate"] else None) == named
    (row,) = scans(db, forum)
    assert row.result.value == status and row.user_id == staff.id and row.device == "Gate 1"


def test_the_same_nonce_again_is_the_same_scan_and_the_same_answer(client, db, forum, staff, token):
    badge = f.badge(forum)
    first = check(client, token, {"code": badge.token, "nonce": "retry-1"}).get_json()
    again = check(client, token, {"code": badge.token, "nonce": "retry-1"}).get_json()
    assert first["status"] == again["status"] == "ok" and again["replayed"] is True
    assert {k: v for k, v in first.items() if k != "replayed"} == {k: v for k, v in again.items() if k != "replayed"}
    assert len(scans(db, forum)) == 1


def test_the_answer_is_in_the_users_language(client, db, forum, token):
    ja = f.member(forum, Permission.CHECKIN, language="ja")
    with client.session_transaction() as s:
        s["_user_id"] = ja.get_id()
    badge = f.badge(forum, country="KZ")
    d = check(client, token, {"code": badge.token}).get_json()["delegate"]
    assert (d["country_name"], d["category_label"]) == ("カザフスタン", "参加者")


# --- bad input: 400 with the field, never a 500, nothing recorded ---------------------------------------------

@pytest.mark.parametrize("payload, field, error", [
    ({"code": ...}, "code", "code_required"),
    ({"code": ""}, "code", "code_required"),
    ({"code": "   "}, "code", "code_required"),
    ({"code": 5}, "code", "code_required"),
    ({"code": ["x"]}, "code", "code_required"),
    ({"code": "X", "nonce": ...}, "nonce", "nonce_required"),
    ({"code": "X", "nonce": ""}, "nonce", "nonce_required"),
    ({"code": "X", "nonce": 7}, "nonce", "nonce_required"),
    ({"code": "X", "nonce": "é" * 3}, "nonce", "nonce_invalid"),
    ({"code": "X", "nonce": "n" * 101}, "nonce", "nonce_invalid"),
    ({"code": "X", "direction": "sideways"}, "direction", "direction_invalid"),
    ({"code": "X", "direction": None}, "direction", "direction_invalid"),
    ({"code": "X", "direction": ["in"]}, "direction", "direction_invalid"),
    ({"code": "X", "device": 5}, "device", "device_invalid"),
    ({"code": "X", "device": "d" * 101}, "device", "device_too_long"),
    ({"registration": 12}, "registration", "registration_invalid"),
    ({"registration": {"id": 1}}, "registration", "registration_invalid"),
    ({"registration": "\x00"}, "registration", "registration_invalid"),
    ({"registration": "not-a-public-id"}, "registration", "registration_invalid"),
])
def test_bad_fields_are_400_json_naming_the_field(client, db, forum, staff, token, payload, field, error):
    badge = f.badge(forum)
    payload = {k: (badge.token if v == "X" else v) for k, v in payload.items()}
    r = check(client, token, payload)
    assert r.status_code == 400 and r.is_json
    body = r.get_json()
    assert (body["error"], body["field"]) == (error, field) and body["message"]
    assert scans(db, forum) == [] and not db.session.get(Badge, badge.id).inside


@pytest.mark.parametrize("raw", ["{not json", "", "[1, 2]", '"a string"', "null", "42", '{"code": "x"', "\xff\xfe"])
def test_malformed_json_is_400_json(client, db, forum, staff, token, raw):
    r = check(client, token, raw=raw)
    assert r.status_code == 400 and r.is_json
    assert r.get_json()["error"] == "invalid_json"
    assert scans(db, forum) == []


def test_a_form_post_to_the_json_endpoint_is_400_json(client, db, forum, staff, token):
    r = client.post(CHECK, data={"code": "x", "nonce": "n", "csrf_token": token},
                    headers={"Accept": "application/json"})
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_json"


def test_an_unknown_registration_is_404_json(client, db, forum, staff, token):
    elsewhere = f.approved(f.forum())  # a real delegate, of another forum
    for pid in (elsewhere.public_id, "00000000-0000-4000-8000-000000000000"):
        r = check(client, token, {"registration": pid})
        assert r.status_code == 404 and r.get_json()["field"] == "registration", pid
    assert scans(db, forum) == []


# --- CSRF and permissions ------------------------------------------------------------------------------------------

def test_the_json_endpoint_needs_the_csrf_token(client, db, forum, staff, token):
    badge = f.badge(forum)
    for headers in ({"X-CSRFToken": ""}, {"X-CSRFToken": "forged"}):
        r = check(client, token, {"code": badge.token}, headers=headers)
        assert r.status_code == 400 and r.is_json and r.get_json()["error"] == "csrf"
    r = client.post(CHECK, json={"code": badge.token, "nonce": "n1"}, headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert scans(db, forum) == [] and not db.session.get(Badge, badge.id).inside
    assert check(client, token, {"code": badge.token}).get_json()["status"] == "ok"


def test_the_form_needs_the_csrf_token(client, db, forum, staff):
    badge = f.badge(forum)
    r = client.post(PAGE, data={"code": badge.token, "nonce": "n-1", "direction": "in"})
    assert r.status_code == 400
    assert scans(db, forum) == []


@pytest.mark.parametrize("who", ["review", "manage_other_forum", "delegate"])
def test_without_the_check_in_permission_of_this_forum_nothing_is_scanned(client, db, forum, login, who):
    badge = f.badge(forum)
    user = {"review": lambda: f.member(forum, Permission.REVIEW),
            "manage_other_forum": lambda: f.member(f.forum(), Permission.MANAGE),
            "delegate": lambda: badge.registration.user}[who]()
    login(user)
    token = csrf_token(client, "/")
    assert client.get(PAGE).status_code == 403
    assert client.get(SEARCH + "?q=yamada").status_code == 403
    r = check(client, token, {"code": badge.token})
    assert r.status_code == 403 and r.is_json
    r = check(client, token, {"registration": badge.registration.public_id})
    assert r.status_code == 403
    r = client.post(PAGE, data={"csrf_token": token, "code": badge.token, "nonce": "n-x", "direction": "in"})
    assert r.status_code == 403
    assert scans(db, forum) == [] and not db.session.get(Badge, badge.id).inside


def test_anonymous_is_sent_to_sign_in(client, db, forum):
    for r in (client.get(PAGE), client.get(SEARCH + "?q=abc")):
        assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("perm", [Permission.CHECKIN, Permission.MANAGE])
def test_check_in_or_manage_opens_the_scanner(client, db, forum, login, perm):
    login(f.member(forum, perm))
    assert client.get(PAGE).status_code == 200


# --- the name search -------------------------------------------------------------------------------------------------

@pytest.fixture()
def people(forum):
    return {
        "yamada": f.approved(forum, full_name="山田 太郎", latin_name="YAMADA Taro", legal_name="株式会社さくら商事",
                             name_en="Sakura Trading"),
        "aliya": f.approved(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy", country="KZ",
                            legal_name="ҚазМұнайГаз", name_en="KazMunayGas"),
        "oktam": f.approved(forum, full_name="Oʻktam Gʻulomov", latin_name="Oktam Gulomov", country="UZ",
                            legal_name="Oʻzbekiston temir yoʻllari", name_en="Uzbek Railways"),
        "pending": f.registration_(forum, delegates=[f.delegate_input(full_name="山田 花子", latin_name="YAMADA Hanako")]),
        "elsewhere": f.approved(f.forum(), full_name="山田 一郎", latin_name="YAMADA Ichiro"),
    }


def search(client, q):
    r = client.get(SEARCH, query_string={"q": q})
    assert r.status_code == 200 and r.is_json
    return r.get_json()


def names(answer):
    return [p["full_name"] for p in answer["results"]]


@pytest.mark.parametrize("q, found", [
    ("山田", ["山田 太郎"]),  # two Japanese characters are a family name
    ("山田太郎", ["山田 太郎"]),  # written without the space
    ("yamada", ["山田 太郎"]),
    ("さくら", ["山田 太郎"]),  # the company
    ("Нурлан", ["Әлия Нұрланқызы"]),  # Kazakh typed on a Russian keyboard: ұ as у
    ("алия", ["Әлия Нұрланқызы"]),  # ә as а, and lower case
    ("Нұрланқызы", ["Әлия Нұрланқызы"]),
    ("казмунай", ["Әлия Нұрланқызы"]),  # the company, Қ and ұ typed without their marks
    ("O'ktam", ["Oʻktam Gʻulomov"]),  # ASCII apostrophe for ʻ
    ("Oʻktam Gʻulomov", ["Oʻktam Gʻulomov"]),  # the real letter
    ("gulomov", ["Oʻktam Gʻulomov"]),  # no apostrophe at all
    ("temir yo’llari", ["Oʻktam Gʻulomov"]),  # a typographic apostrophe, company
])
def test_the_name_search_finds_approved_delegates_in_any_script(client, forum, staff, people, q, found):
    answer = search(client, q)
    assert names(answer) == found and answer["too_short"] is False and answer["more"] is False


@pytest.mark.parametrize("q", ["山", "ya", "Ә", "O'k", "  a ", "''", "ab'", "ＡＢ"])
def test_the_search_starts_at_three_characters_or_two_japanese(client, forum, staff, people, q):
    answer = search(client, q)
    assert answer["results"] == [] and answer["too_short"] is True
    assert answer["message"] == "Type at least three letters of the name (two Japanese characters)."


def test_an_empty_search_is_silent(client, forum, staff, people):
    assert search(client, "  ") == {"query": "  ", "results": [], "more": False, "too_short": False, "message": ""}


def test_the_search_lists_company_country_category_and_whether_inside(client, db, forum, staff, token, people):
    (p,) = search(client, "aliya")["results"]
    assert (p["company"], p["company_latin"], p["country_name"], p["category_label"]) == (
        "ҚазМұнайГаз", "KazMunayGas", "Kazakhstan", "Delegate")
    assert (p["inside"], p["arrived"], p["presence"]) == (False, False, "Not arrived yet")
    assert p["registration"] == people["aliya"].public_id
    check(client, token, {"registration": p["registration"]})
    (p,) = search(client, "aliya")["results"]
    assert (p["inside"], p["arrived"], p["presence"]) == (True, True, "Inside")
    check(client, token, {"registration": p["registration"], "direction": "out"})
    (p,) = search(client, "aliya")["results"]
    assert (p["inside"], p["arrived"], p["presence"]) == (False, True, "Arrived, now outside")


def test_nothing_found_and_too_many_are_said(client, db, forum, staff, people, monkeypatch):
    assert search(client, "Smith")["message"] == "No approved delegate matches “Smith”."
    from forum.checkin import people as people_module

    monkeypatch.setattr(people_module, "LIMIT", 2)
    for i in range(3):
        f.approved(forum, full_name=f"Tanaka {i}", latin_name=f"TANAKA {i}")
    answer = search(client, "tanaka")
    assert len(answer["results"]) == 2 and answer["more"] is True
    assert answer["message"] == "Only the first 2 matches are shown: type more of the name."


def test_hostile_queries_never_fail(client, db, forum, staff, people):
    for q in ("%", "_" * 5, "\\\\\\", "a" * 5000, "' OR 1=1 --", "🙂🙂🙂", "\u0000abc"):
        r = client.get(SEARCH, query_string={"q": q})
        assert r.status_code in (200, 400), q


def test_the_search_asks_as_many_queries_for_20_matches_as_for_1(client, db, forum, staff):
    from tests.test_query_counts import statements_for

    f.approved(forum, full_name="Tanaka 0", latin_name="TANAKA 0")
    one = statements_for(client, SEARCH + "?q=tanaka")
    for i in range(1, 20):
        f.approved(forum, full_name=f"Tanaka {i}", latin_name=f"TANAKA {i}")
    assert statements_for(client, SEARCH + "?q=tanaka") == one


# --- a tap on a name --------------------------------------------------------------------------------------------------

def test_a_tap_checks_in_through_the_live_badge_with_the_same_record(client, db, forum, staff, token, people, at):
    reg = people["yamada"]
    badge = issuing.live_badge(reg)
    at(FIRST_ENTRY)
    a = check(client, token, {"registration": reg.public_id.upper(), "device": "Gate 3"}).get_json()
    assert (a["status"], a["delegate"]["full_name"]) == ("ok", "山田 太郎")
    (row,) = scans(db, forum)
    assert (row.badge_id, row.code, row.device, row.user_id) == (badge.id, badge.token, "Gate 3", staff.id)
    at(FIRST_ENTRY + timedelta(minutes=5))
    a = check(client, token, {"registration": reg.public_id}).get_json()
    assert a["message"] == "Already checked in at 09:12 by Gate 3."


def test_a_tap_on_an_approved_delegate_without_a_badge_issues_it(client, db, forum, staff, token):
    reg = f.approved(forum)
    db.session.delete(issuing.live_badge(reg))  # approved before badges existed
    db.session.flush()
    assert check(client, token, {"registration": reg.public_id}).get_json()["status"] == "ok"
    badge = issuing.live_badge(reg)
    assert badge is not None and badge.inside and scans(db, forum)[0].badge_id == badge.id


def test_a_tap_on_someone_no_longer_approved_is_refused_through_their_badge(client, db, forum, staff, token, people):
    reg = people["aliya"]
    states.transition(reg, RegState.REJECTED, by=None, reason="r", notify=False)
    a = check(client, token, {"registration": reg.public_id}).get_json()
    assert (a["status"], a["tone"]) == ("revoked", "refused")
    assert a["message"] == "This badge was revoked: the registration was rejected."
    # never approved, no badge at all: a clear refusal, nothing recorded
    r = check(client, token, {"registration": people["pending"].public_id})
    assert r.status_code == 409 and r.get_json()["error"] == "not_approved"
    assert [s.result for s in scans(db, forum)] == [Result.REVOKED]


# --- without JavaScript: the form, drawn by the server ----------------------------------------------------------------

def _form_nonce(html: str) -> str:
    return re.search(r'<input id="nonce" name="nonce" type="hidden" value="([^"]+)">', html).group(1)


def _verdict(html: str) -> str:
    start = html.index('<section id="verdict"')
    return html[start:html.index("</section>", start)]


def test_the_form_checks_in_and_draws_the_verdict(client, db, forum, staff, token, at):
    badge = f.badge(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy")
    nonce = _form_nonce(_text(client.get(PAGE)))
    form = {"csrf_token": token, "code": badge.token, "nonce": nonce, "device": "Side door", "direction": "in"}
    at(FIRST_ENTRY)
    r = client.post(PAGE, data=form)
    html = _text(r)
    verdict = _verdict(html)
    assert r.status_code == 200
    assert 'class="verdict verdict-ok mb-3"' in verdict and 'data-status="ok"' in verdict
    assert "Checked in" in verdict and "Әлия Нұрланқызы" in verdict and "Aliya Nurlankyzy" in verdict
    assert "Welcome! The badge is valid and the arrival is recorded." in verdict
    assert "Arrived 1 of 1" in html
    assert _form_nonce(html) != nonce  # the next scan is another scan
    assert 'value="Side door"' in html  # the device label is kept for the next one
    # The same form sent again (a reload): the same scan, the same answer.
    again = _text(client.post(PAGE, data=form))
    assert "Welcome! The badge is valid" in _verdict(again)
    assert len(scans(db, forum)) == 1
    # A new scan of the same badge: amber, with the first entry.
    at(FIRST_ENTRY + timedelta(minutes=3))
    html = _text(client.post(PAGE, data={**form, "nonce": _form_nonce(again)}))
    assert 'verdict-warn' in _verdict(html) and "Already checked in at 09:12 by Side door." in _verdict(html)
    assert [s.device for s in scans(db, forum)] == ["Side door", "Side door"]


def test_the_form_shows_a_revoked_badge_in_red(client, db, forum, staff, token):
    token_old = _reissued(forum)
    html = _text(client.post(PAGE, data={"csrf_token": token, "code": token_old, "nonce": "form-1", "direction": "in"}))
    verdict = _verdict(html)
    assert "verdict-refused" in verdict and "Badge no longer valid" in verdict
    assert "This badge was replaced by a newer one." in verdict and "Oʻktam Gʻulomov" in verdict


def test_the_form_without_a_code_asks_for_one_and_records_nothing(client, db, forum, staff, token):
    r = client.post(PAGE, data={"csrf_token": token, "code": "  ", "nonce": "form-2", "direction": "in"})
    html = _text(r)
    assert r.status_code == 422
    assert re.search(r'id="code-error">Scan a badge or type its code\.</div>', html)
    assert 'aria-invalid="true"' in html
    r = client.post(PAGE, data={"csrf_token": token, "code": "x", "nonce": "form-3", "direction": "diagonal"})
    assert r.status_code == 422
    assert scans(db, forum) == []


def test_the_form_with_a_bad_device_says_so_next_to_it(client, db, forum, staff, token):
    r = client.post(PAGE, data={"csrf_token": token, "code": "x", "nonce": "form-4", "device": "d" * 101,
                                "direction": "in"})
    assert r.status_code == 422 and 'id="device-error"' in _text(r)
    assert scans(db, forum) == []


def test_search_and_tap_without_javascript(client, db, forum, staff, token, people):
    html = _text(client.get(PAGE, query_string={"q": "o'ktam", "device": "Gate 5", "direction": "in"}))
    results = html[html.index('id="search-results"'):]
    assert "Oʻktam Gʻulomov" in results and "Uzbekistan" in results and "Not arrived yet" in results
    assert "山田" not in results
    form = re.search(r'<form method="post" action="([^"]+)" class="person-form">(.*?)</form>', results, re.S)
    action, body = html_lib.unescape(form.group(1)), form.group(2)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', body))
    assert fields["registration"] == people["oktam"].public_id and fields["device"] == "Gate 5"
    r = client.post(action, data=fields)
    html = _text(r)
    assert r.status_code == 200 and "verdict-ok" in _verdict(html) and "Oʻktam Gʻulomov" in _verdict(html)
    # the list is drawn again, with the delegate now inside
    assert "Inside" in html[html.index('id="search-results"'):]
    (row,) = scans(db, forum)
    assert row.device == "Gate 5" and row.badge_id == issuing.live_badge(people["oktam"]).id


def test_the_exit_direction_is_kept_and_the_buttons_say_check_out(client, db, forum, staff, people):
    html = _text(client.get(PAGE, query_string={"q": "aliya", "direction": "out"}))
    exit_radio = 'checked class="btn-check" form="scan-form" id="direction-1" name="direction" type="radio" value="out"'
    assert exit_radio in html
    assert "Ready to scan exits" in _verdict(html) and ">Check out</button>" in html


def test_hostile_json_never_gives_a_500_and_a_refusal_records_nothing(client, db, forum, staff, token):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    badge = f.badge(forum)
    db.session.commit()
    scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                        st.floats(allow_nan=False), st.text(max_size=30),
                        st.sampled_from(["", " ", "\x00", "in", "out", badge.token, "\u0958" * 120, "x" * 400,
                                         badge.registration.public_id, "🙂" * 60]))
    value = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=5), scalars, max_size=2))
    payload = st.dictionaries(st.sampled_from(["code", "nonce", "direction", "device", "registration", "extra"]),
                              value, max_size=5)
    seen = []

    @settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(payload=payload)
    def fuzz(payload):
        before = len(scans(db, forum))
        r = client.post(CHECK, data=json.dumps(payload), content_type="application/json",
                        headers={"X-CSRFToken": token, "Accept": "application/json"})
        assert r.status_code in (200, 400, 404, 409) and r.is_json, (payload, r.status_code)
        seen.append(r.status_code)
        if r.status_code != 200:
            assert len(scans(db, forum)) == before, payload
            assert r.get_json()["error"] and r.get_json()["message"]

    fuzz()
    assert 400 in seen
