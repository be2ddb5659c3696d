"""GET /api/v1/forums/<slug>/scanner-data: what an offline scanner needs, and never the private key."""
import base64
import json
from datetime import datetime

import sqlalchemy as sa

from forum import clock
from forum.badges import issuing, tokens as badge_tokens
from forum.checkin import services as checkin
from forum.badges.models import Badge, ForumKey
from forum.registration import states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f
from tests.test_query_counts import counting


def _get(client, door):
    r = client.get(f"/api/v1/forums/{door.forum.slug}/scanner-data", headers=door.auth)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/json"
    return r.get_json()


def test_the_public_key_verifies_every_listed_badge_and_the_revoked_ones_are_listed(client, db, door):
    forum = door.forum
    org = f.organizer()  # speaker and press are entered by the organizers
    ja = f.badge(forum, full_name="山田 花子", latin_name="YAMADA Hanako", country="JP", category="speaker",
                 manual=True, by=org)
    kz = f.badge(forum, full_name="Гүлнұр Әбілқасымова", latin_name="ABILKASSYMOVA Gulnur", country="KZ",
                 legal_name="«Бәйтерек» АҚ", name_en="Baiterek JSC")
    uz = f.badge(forum, full_name="Oʻgʻiloy Gʻulomova", latin_name="GULOMOVA Ogiloy", country="UZ", category="press",
                 manual=True, by=org)
    old = f.badge(forum)
    reissued = issuing.reissue(old, by=f.organizer())
    withdrawn = f.badge(forum)
    states.transition(withdrawn.registration, RegState.WITHDRAWN, by=None, reason="r", notify=False)
    f.registration_(forum)  # pending: no badge, not listed
    f.badge(f.forum())  # another forum's delegate
    data = _get(client, door)

    assert data["forum"] == {"slug": forum.slug, "title": forum.title, "timezone": "Asia/Almaty",
                             "status": "published"}
    assert (data["token_version"], data["public_key_encoding"]) == ("1", "base64")
    public = base64.b64decode(data["public_key"], validate=True)
    assert len(public) == 32
    listed = {d["badge_id"]: d for d in data["delegates"]}
    assert set(listed) == {ja.code, kz.code, uz.code, reissued.code}
    live = {b.code: b.token for b in (ja, kz, uz, reissued)}
    for code, token in live.items():
        assert badge_tokens.verify(public, token).hex() == code  # verifies with only what was downloaded
    assert set(data["revoked_tokens"]) == {old.token, withdrawn.token}
    assert not set(data["revoked_tokens"]) & set(live.values())
    assert listed[kz.code] == {"badge_id": kz.code, "full_name": "Гүлнұр Әбілқасымова",
                               "latin_name": "ABILKASSYMOVA Gulnur", "company": "«Бәйтерек» АҚ",
                               "company_latin": "Baiterek JSC", "country": "KZ", "category": "delegate",
                               "inside": False, "first_checked_in_at": None, "first_checked_in_device": "",
                               "token": kz.token}
    assert all(d["token"] == live[code] for code, d in listed.items())  # to check in by name, offline too
    assert listed[uz.code]["full_name"] == "Oʻgʻiloy Gʻulomova" and listed[uz.code]["category"] == "press"
    assert listed[ja.code]["category"] == "speaker"
    assert datetime.fromisoformat(data["generated_at"]).tzinfo is not None
    assert data["team"] == [] and data["not_approved"] == []


def test_approved_delegates_without_a_badge_get_one_first(client, db, door):
    reg = f.approved(door.forum)
    badge = issuing.live_badge(reg)
    db.session.delete(badge)  # approved before badges existed
    db.session.commit()
    data = _get(client, door)
    db.session.expire_all()
    issued = issuing.live_badge(reg)
    assert issued is not None and [d["badge_id"] for d in data["delegates"]] == [issued.code]


def _private_spellings(db, forum) -> list[str]:
    private = db.session.scalar(sa.select(ForumKey.private_key).where(ForumKey.forum_id == forum.id))
    assert private and len(private) == 32
    return [private.hex(), private.hex().upper(), base64.b64encode(private).decode().rstrip("="),
            base64.urlsafe_b64encode(private).decode().rstrip("="), base64.b32encode(private).decode().rstrip("="),
            base64.b64encode(private[:15]).decode()]


def test_the_private_key_is_in_no_answer(client, db, door, scan):
    forum = door.forum
    badge = f.badge(forum)
    answers = [client.get(f"/api/v1/forums/{forum.slug}/scanner-data", headers=door.auth),
               scan(badge.token), scan(badge.token), scan("junk"), client.get("/api/v1/openapi.json"),
               client.get("/api/v1/ping"), scan(badge.token, slug="nope"), scan(badge.token, headers={})]
    bodies = [r.get_data(as_text=True) for r in answers]
    assert all(bodies)
    for spelling in _private_spellings(db, forum):
        for body in bodies:
            assert spelling not in body
            assert spelling not in json.dumps(json.loads(body), ensure_ascii=False)


def test_one_query_for_the_delegates_however_many(client, db, door):
    def statements(n_more: int) -> int:
        for _ in range(n_more):
            f.approved(door.forum)
            issuing.team_badge(door.forum, f.member(door.forum, Permission.CHECKIN), by=f.organizer())
        db.session.commit()
        with counting(db.engine) as seen:
            _get(client, door)
        return len([s for s in seen if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))])

    statements(0)  # the token's first use is noted once (then at most once a minute)
    one = statements(1)
    twenty = statements(19)
    assert one == twenty
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == 40  # 20 delegates, 20 team


def test_a_cancelled_forum_still_answers_with_its_status(client, db, door):
    from forum.forums import cancellation

    f.badge(door.forum)
    cancellation.cancel(door.forum, reason="Flooding", confirmed=True, by=f.organizer())
    db.session.commit()
    data = _get(client, door)
    assert data["forum"]["status"] == "cancelled" and data["delegates"] == [] and len(data["revoked_tokens"]) == 1


def test_a_manager_token_gets_it_too(client, db, door):
    from tests.api.conftest import token_for

    new = token_for(f.member(door.forum, Permission.MANAGE), door.forum)
    db.session.commit()
    r = client.get(f"/api/v1/forums/{door.forum.slug}/scanner-data", headers={"Authorization": f"Bearer {new.secret}"})
    assert r.status_code == 200


def test_each_badge_says_whether_it_was_inside_and_its_first_entry(client, db, door):
    forum = door.forum
    inside, left, never = f.badge(forum), f.badge(forum), f.badge(forum)
    t0 = clock.now()
    checkin.check_in(forum, inside.token, by=door.staff, device="Gate 1", nonce="a", now=t0)
    checkin.check_in(forum, left.token, by=door.staff, device="Gate 2", nonce="b", now=t0)
    checkin.check_in(forum, left.token, by=door.staff, device="Gate 1", nonce="c", direction="out", now=t0)
    db.session.commit()
    listed = {d["badge_id"]: d for d in _get(client, door)["delegates"]}
    assert listed[inside.code]["inside"] is True and listed[inside.code]["first_checked_in_device"] == "Gate 1"
    assert datetime.fromisoformat(listed[inside.code]["first_checked_in_at"]) == t0
    assert listed[left.code]["inside"] is False and listed[left.code]["first_checked_in_device"] == "Gate 2"
    assert datetime.fromisoformat(listed[left.code]["first_checked_in_at"]) == t0
    assert (listed[never.code]["inside"], listed[never.code]["first_checked_in_at"],
            listed[never.code]["first_checked_in_device"]) == (False, None, "")


def test_team_badges_are_listed_apart_and_pass_the_door(client, db, door):
    forum = door.forum
    boss = f.member(forum, Permission.MANAGE, name="Айгерим Сапарова")
    organizer_badge = issuing.team_badge(forum, boss, by=boss)
    staff_badge = issuing.team_badge(forum, door.staff, by=boss)
    gone = f.member(forum, Permission.CHECKIN, name="山田 次郎")
    revoked = issuing.team_badge(forum, gone, by=boss)
    issuing.revoke(revoked, by=boss, reason="Left the team")
    delegate = f.badge(forum)
    assert checkin.check_in(forum, staff_badge.token, by=door.staff, device="Gate 1", nonce="s").status.value == "ok"
    db.session.commit()
    data = _get(client, door)
    team = {d["badge_id"]: d for d in data["team"]}
    assert set(team) == {organizer_badge.code, staff_badge.code}
    assert [d["badge_id"] for d in data["delegates"]] == [delegate.code]
    assert team[organizer_badge.code] == {
        "badge_id": organizer_badge.code, "full_name": "Айгерим Сапарова", "latin_name": "", "company": "",
        "company_latin": "", "country": "", "category": "organizer", "inside": False, "first_checked_in_at": None,
        "first_checked_in_device": "", "token": organizer_badge.token}
    assert team[staff_badge.code]["category"] == "staff" and team[staff_badge.code]["inside"] is True
    assert revoked.token in data["revoked_tokens"]


def test_a_live_badge_no_longer_approved_is_listed_as_not_approved(client, db, door):
    badge = f.badge(door.forum, full_name="Oʻgʻiloy Gʻulomova")
    states.transition(badge.registration, RegState.WAITLISTED, by=None, notify=False)
    db.session.commit()
    data = _get(client, door)
    assert data["delegates"] == [] and badge.token not in data["revoked_tokens"]
    [entry] = data["not_approved"]
    assert (entry["badge_id"], entry["full_name"], entry["state"]) == (badge.code, "Oʻgʻiloy Gʻulomova", "waitlisted")
    assert entry["token"] == ""  # refused at the door: nothing to check in by name
