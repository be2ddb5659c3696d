"""POST /api/v1/forums/<slug>/checkins: every result code, as the service decides it; the scan recorded under
the token's label and id; the same nonce answered once; hostile bodies never a 500."""
import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from forum.badges import issuing, keys, tokens as badge_tokens
from forum.checkin.models import Result, Scan
from forum.forums import cancellation
from forum.registration import states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f


def _scans(db, forum):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Scan).where(Scan.forum_id == forum.id).order_by(Scan.id)))


def test_ok_names_the_delegate_in_their_own_script_and_records_the_device(db, door, scan):
    badge = f.badge(door.forum, full_name="Әлихан Нұрғалиұлы Бөкейханов", latin_name="BOKEIKHANOV Alikhan",
                    legal_name="«Қазақ Өнім» ЖШС", name_en="Kazakh Onim LLP", country="KZ")
    r = scan(badge.token, nonce="n-1", scanned_at="2026-09-01T10:00:00+05:00")
    assert r.status_code == 200
    body = r.get_json()
    assert (body["status"], body["admitted"], body["replayed"], body["direction"]) == ("ok", True, False, "in")
    assert body["delegate"] == {
        "badge_id": badge.code, "full_name": "Әлихан Нұрғалиұлы Бөкейханов", "latin_name": "BOKEIKHANOV Alikhan",
        "position": "Director", "company": "«Қазақ Өнім» ЖШС", "company_latin": "Kazakh Onim LLP", "country": "KZ",
        "category": "delegate", "state": "approved"}
    assert body["message"] and body["first_checked_in_at"] is None
    (row,) = _scans(db, door.forum)
    assert (row.result, row.device, row.api_token_id, row.user_id, row.nonce, row.offline) == (
        Result.OK, "Gate 1", door.token_id, door.staff.id, "n-1", False)
    assert row.scanned_at == datetime(2026, 9, 1, 5, tzinfo=timezone.utc)
    assert row.badge_id == badge.id and row.badge.inside


def test_already_checked_in_says_when_and_at_which_device(db, door, scan):
    badge = f.badge(door.forum)
    scan(badge.token)
    db.session.expire_all()
    first = badge.first_checked_in_at
    body = scan(f"https://forum.example/b/{badge.token.lower()}  \n").get_json()
    assert (body["status"], body["admitted"]) == ("already_checked_in", False)
    assert datetime.fromisoformat(body["first_checked_in_at"]) == first
    assert body["first_checked_in_device"] == "Gate 1"
    assert "Gate 1" in body["message"] and body["delegate"]["badge_id"] == badge.code


def test_exit_then_reentry_and_an_exit_without_entry(db, door, scan):
    badge = f.badge(door.forum)
    assert scan(badge.token, direction="out").get_json()["status"] == "not_checked_in"
    assert scan(badge.token).get_json()["status"] == "ok"
    out = scan(badge.token, direction="out").get_json()
    assert (out["status"], out["direction"], out["admitted"]) == ("ok", "out", True)
    assert scan(badge.token, direction="in").get_json()["status"] == "ok"
    assert [s.result.value for s in _scans(db, door.forum)] == ["not_checked_in", "ok", "ok", "ok"]


@pytest.mark.parametrize("code", ["", "hello", "1" + "A" * 124, "Ωμέγα", "https://example.org/b/", "2" + "A" * 124,
                                  "A" * 7089])
def test_garbage_is_invalid_recorded_and_names_nobody(db, door, scan, code):
    body = scan(code).get_json()
    assert (body["status"], body["delegate"], body["admitted"]) == ("invalid", None, False)
    (row,) = _scans(db, door.forum)
    assert row.result is Result.INVALID and row.device == "Gate 1"


def test_a_forged_signature_is_invalid(db, door, scan):
    token = f.badge(door.forum).token
    forged = token[:70] + ("B" if token[70] != "B" else "C") + token[71:]
    assert scan(forged).get_json()["status"] == "invalid"
    made_up = badge_tokens.sign(keys.key_pair(door.forum), badge_tokens.new_badge_id())
    assert scan(made_up).get_json()["status"] == "invalid"


def test_revoked_not_approved_wrong_forum(db, door, scan):
    forum = door.forum
    old = f.badge(forum)
    new = issuing.reissue(old, by=f.member(forum, Permission.REVIEW))
    body = scan(old.token).get_json()
    assert body["status"] == "revoked" and body["delegate"]["badge_id"] == old.code
    assert scan(new.token).get_json()["status"] == "ok"
    waitlisted = f.badge(forum)
    states.transition(waitlisted.registration, RegState.WAITLISTED, by=None, notify=False)
    assert scan(waitlisted.token).get_json()["status"] == "not_approved"
    withdrawn = f.badge(forum)
    states.transition(withdrawn.registration, RegState.WITHDRAWN, by=None, reason="r", notify=False)
    assert scan(withdrawn.token).get_json()["status"] == "revoked"
    body = scan(f.badge(f.forum()).token).get_json()
    assert (body["status"], body["delegate"]) == ("wrong_forum", None)


def test_a_cancelled_forum_refuses_every_badge(db, door, scan):
    badge = f.badge(door.forum)
    cancellation.cancel(door.forum, reason="Flooding", confirmed=True, by=f.organizer())
    assert scan(badge.token).get_json()["status"] == "forum_cancelled"
    assert scan("garbage").get_json()["status"] == "forum_cancelled"


def test_every_result_code_has_its_own_message(db, door, scan):
    forum = door.forum
    seen = {}
    badge = f.badge(forum)
    seen["ok"] = scan(badge.token).get_json()["message"]
    seen["already_checked_in"] = scan(badge.token).get_json()["message"]
    seen["not_checked_in"] = scan(f.badge(forum).token, direction="out").get_json()["message"]
    seen["invalid"] = scan("junk").get_json()["message"]
    old = f.badge(forum)
    issuing.reissue(old, by=f.organizer())
    seen["revoked"] = scan(old.token).get_json()["message"]
    pending = f.badge(forum)
    states.transition(pending.registration, RegState.WAITLISTED, by=None, notify=False)
    seen["not_approved"] = scan(pending.token).get_json()["message"]
    seen["wrong_forum"] = scan(f.badge(f.forum()).token).get_json()["message"]
    cancellation.cancel(forum, reason="Flooding", confirmed=True, by=f.organizer())
    seen["forum_cancelled"] = scan("junk").get_json()["message"]
    assert set(seen) == {r.value for r in Result}
    assert len(set(seen.values())) == len(seen) and all(seen.values())
    # the scanner's own words (checkin/messages.py): the API says what the door says
    assert seen["revoked"] == "This badge was replaced by a newer one. Only the newest badge admits its holder."
    assert seen["wrong_forum"] == "This is a genuine badge, but of another forum."
    assert seen["ok"] == "Welcome! The badge is valid and the arrival is recorded."


def test_the_same_nonce_is_one_scan_and_the_first_answer(db, door, scan):
    badge = f.badge(door.forum)
    first = scan(badge.token, nonce="retry-1").get_json()
    again = scan(badge.token, nonce="retry-1").get_json()
    assert first["status"] == again["status"] == "ok"
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert {k: v for k, v in first.items() if k != "replayed"} == {k: v for k, v in again.items() if k != "replayed"}
    # a retry that somehow carries another code is still the first scan
    assert scan("junk", nonce="retry-1").get_json()["status"] == "ok"
    assert len(_scans(db, door.forum)) == 1
    later = scan(badge.token, nonce="retry-2").get_json()
    assert later["status"] == "already_checked_in"
    replay = scan(badge.token, nonce="retry-2").get_json()
    assert replay["replayed"] and replay["first_checked_in_at"] == later["first_checked_in_at"]
    assert len(_scans(db, door.forum)) == 2


def test_a_second_device_has_its_own_label(db, door, scan):
    from tests.api.conftest import token_for

    badge = f.badge(door.forum)
    gate2 = token_for(f.member(door.forum, Permission.CHECKIN), door.forum, label="Gate 2 / 入口")
    db.session.commit()
    scan(badge.token, headers={"Authorization": f"Bearer {gate2.secret}"})
    body = scan(badge.token).get_json()
    assert body["first_checked_in_device"] == "Gate 2 / 入口"
    assert [(s.device, s.api_token_id) for s in _scans(db, door.forum)] == [("Gate 2 / 入口", gate2.token.id),
                                                                           ("Gate 1", door.token_id)]


def test_the_token_notes_its_last_use(db, door, scan):
    from forum.api.models import ApiToken

    assert db.session.get(ApiToken, door.token_id).last_used_at is None
    scan("junk")
    db.session.expire_all()
    assert db.session.get(ApiToken, door.token_id).last_used_at is not None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    json_values,
    st.fixed_dictionaries({"code": json_values, "nonce": json_values},
                          optional={"scanned_at": json_values | st.datetimes().map(str), "direction": json_values}),
    st.fixed_dictionaries({"code": st.text(max_size=200), "nonce": st.text(min_size=1, max_size=120)},
                          optional={"scanned_at": st.text(max_size=40), "direction": st.sampled_from(["in", "out", "x"])}),
))
def test_hostile_bodies_get_json_and_never_a_500(client, door, body):
    r = client.post(f"/api/v1/forums/{door.forum.slug}/checkins", data=json.dumps(body),
                    content_type="application/json", headers=door.auth)
    assert r.status_code in (200, 400), (body, r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/json"
    answer = r.get_json()
    if r.status_code == 200:
        assert answer["status"] in {res.value for res in Result}
    else:
        assert answer["error"] and answer["message"]


def test_a_check_in_costs_a_few_statements_however_big_the_forum(client, db, door, scan):
    """The hot path: the token with the forum, the membership and the public key; the badge locked with its
    registration and company; the two writes (the scan's insert also settles a retried nonce, ON CONFLICT DO
    NOTHING). No savepoint, no lazy loads, nothing per delegate."""
    from tests.test_query_counts import counting

    slug = door.forum.slug

    def statements(code: str) -> list[str]:
        db.session.commit()
        with counting(db.engine) as seen:
            assert scan(code, slug=slug).status_code == 200
        assert not [s for s in seen if s.lstrip().upper().startswith("SAVEPOINT")]
        return [s for s in seen if not s.lstrip().upper().startswith("BEGIN")]

    scan("junk")  # the token's first use is noted (then at most once a minute)
    few = statements(f.badge(door.forum).token)
    for _ in range(10):
        f.approved(door.forum)
        scan(f.badge(door.forum).token)
    many = statements(f.badge(door.forum).token)
    assert len(few) == len(many) <= 4, "\n".join(s[:90] for s in many)
    assert len(statements("junk")) <= 2  # the token with its forum, the scan
