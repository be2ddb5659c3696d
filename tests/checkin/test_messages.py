"""The plain words of every scan result (forum/checkin/messages.py): one place, every code covered."""
from __future__ import annotations

from datetime import timedelta

import pytest

from forum.badges import issuing
from forum.badges.models import RevokeReason
from forum.checkin import messages
from forum.checkin.models import Direction, Result
from forum.registration.models import RegState
from tests import factories as f


@pytest.fixture()
def forum(db):
    return f.forum(tz="Asia/Tokyo")


def test_every_result_code_has_a_colour_and_a_title(app):
    with app.test_request_context():
        for status in Result:
            assert messages.tone(status) in ("ok", "warn", "refused")
            assert messages.title(status) and messages.title(status.value) == messages.title(status)
    assert {s for s in Result if messages.tone(s) == "ok"} == {Result.OK}
    assert {s for s in Result if messages.tone(s) == "warn"} == {Result.ALREADY_CHECKED_IN, Result.NOT_CHECKED_IN}


def test_every_result_code_has_its_own_reason(app, forum):
    with app.test_request_context():
        reasons = {status: messages.reason(status, forum=forum) for status in Result}
    assert len(set(reasons.values())) == len(Result)
    assert all(r.endswith(".") for r in reasons.values())


def test_a_revoked_badge_says_why(app, db, forum):
    badge = f.badge(forum)
    seen = set()
    with app.test_request_context():
        for why in RevokeReason:
            badge.revoked_reason = why
            seen.add(messages.reason(Result.REVOKED, forum=forum, badge=badge))
        badge.revoked_reason = RevokeReason.REISSUED
        assert messages.reason(Result.REVOKED, forum=forum, badge=badge).startswith(
            "This badge was replaced by a newer one.")
    assert len(seen) == len(RevokeReason)


def test_a_registration_not_approved_says_its_state_and_where_to_go(app, db, forum):
    badge = f.badge(forum)
    seen = set()
    with app.test_request_context():
        for state in (RegState.PENDING, RegState.WAITLISTED, RegState.REJECTED, RegState.WITHDRAWN,
                      RegState.CANCELLED):
            badge.registration.state = state
            text = messages.reason(Result.NOT_APPROVED, forum=forum, badge=badge)
            assert text.endswith("Send them to the registration desk.")
            seen.add(text)
    assert len(seen) == 5


def test_the_first_entry_is_told_in_the_forums_time_with_the_date_on_another_day(app, forum):
    first = f.utc(2026, 8, 20, 0, 12)  # 09:12 in Tokyo
    with app.test_request_context():
        assert messages.local_when(first, forum, now=first + timedelta(hours=3)) == "09:12"
        assert messages.local_when(first, forum, now=first + timedelta(days=1)) == "20 Aug 2026, 09:12"
        assert messages.local_when(None, forum) == ""
        assert messages.reason(Result.ALREADY_CHECKED_IN, forum=forum, first_checked_in_at=first,
                               first_checked_in_device="Gate 1", now=first) == "Already checked in at 09:12 by Gate 1."
        assert messages.reason(Result.ALREADY_CHECKED_IN, forum=forum, first_checked_in_at=first,
                               now=first) == "Already checked in at 09:12."
        assert messages.reason(Result.OK, forum=forum, direction=Direction.OUT) == (
            "Exit recorded. The same badge lets them back in.")
        assert messages.title(Result.OK, "out") == "Exit recorded"


def test_category_labels_include_the_team_bands(app):
    with app.test_request_context():
        assert [messages.category_label(c) for c in ("delegate", "speaker", "press", "vip", "organizer", "staff")] == [
            "Delegate", "Speaker", "Press", "VIP", "Organizer", "Staff"]


def test_the_bootstrap_colours_are_the_scanners(app):
    assert {s: messages.bootstrap_tone(s) for s in Result} == {
        Result.OK: "success", Result.ALREADY_CHECKED_IN: "warning", Result.NOT_CHECKED_IN: "warning",
        Result.INVALID: "danger", Result.REVOKED: "danger", Result.NOT_APPROVED: "danger",
        Result.WRONG_FORUM: "danger", Result.FORUM_CANCELLED: "danger"}
    assert messages.bootstrap_tone("ok") == "success"


def test_revoked_reason_names_every_reason(app, db, forum):
    badge = f.badge(forum)
    with app.test_request_context():
        assert messages.revoked_reason(None) == "This badge was revoked."
        badge.revoked_reason = RevokeReason.WITHDRAWN
        assert messages.revoked_reason(badge) == "This badge was revoked: the registration was withdrawn."
        badge.revoked_reason = RevokeReason.MANUAL
        assert messages.revoked_reason(badge) == "An organizer revoked this badge."


def test_a_recorded_scan_reads_as_the_door_said_it(app, db, forum):
    """scan_reason (the dashboard, the badge page) says what verdict said at the door, re-entry included."""
    from forum.checkin import services
    from forum.teams.models import Permission

    staff = f.member(forum, Permission.CHECKIN)
    badge = f.badge(forum)
    first = f.utc(2026, 8, 20, 0, 12)  # 09:12 in Tokyo
    with app.test_request_context():
        outs = [services.check_in(forum, badge.token, by=staff, device="Gate 1", nonce=f"r-{i}", direction=way,
                                  now=first + timedelta(minutes=10 * i))
                for i, way in enumerate(("in", "in", "out", "in"))]
        said = [messages.scan_reason(o.scan, forum, now=first) for o in outs]
        assert said == [messages.verdict(o, forum, now=first).message for o in outs]
    assert said == ["Welcome! The badge is valid and the arrival is recorded.",
                    "Already checked in at 09:12 by Gate 1.",
                    "Exit recorded. The same badge lets them back in.",
                    "Welcome back. First arrived at 09:12."]


def test_verdict_of_a_team_badge(app, db, forum):
    from forum.checkin import services
    from forum.teams.models import Permission

    staff = f.member(forum, Permission.CHECKIN, name="Gate Keeper")
    badge = issuing.team_badge(forum, staff, by=f.member(forum, Permission.MANAGE))
    with app.test_request_context():
        out = services.check_in(forum, badge.token, by=staff, device="Gate 1", nonce="team-1")
        v = messages.verdict(out, forum)
        shown = messages.delegate_shown(out.badge)
    assert (v.status, v.tone, v.title) == ("ok", "ok", "Checked in")
    assert (shown["full_name"], shown["category_label"], shown["country_name"]) == ("Gate Keeper", "Staff", "")
