"""The demo's door (issue 8): every approved Astana delegate has a live badge, and a door rehearsal left
check-ins and failed scans for the dashboard."""
from __future__ import annotations

import sqlalchemy as sa

from forum.badges import keys, tokens
from forum.badges.models import Badge, RevokeReason
from forum.checkin.models import Result, Scan
from forum.db import db as _db
from forum.demo.seed import MAIN_SLUG
from forum.registration.models import RegState, Registration
from tests.demo.test_demo import demo, forum  # noqa: F401 - the module-scoped demo fixture


def test_every_approved_astana_delegate_has_one_live_badge_that_verifies(demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    approved = set(_db.session.scalars(sa.select(Registration.id).where(
        Registration.forum_id == main.id, Registration.state == RegState.APPROVED)))
    live = list(_db.session.scalars(sa.select(Badge).where(Badge.forum_id == main.id, Badge.revoked_at.is_(None))))
    assert {b.registration_id for b in live} == approved and len(live) == len(approved) > 400
    public = keys.public_key(main)
    assert all(tokens.verify(public, b.token) == b.badge_id for b in live)


def test_the_rehearsal_left_arrivals_a_reissued_badge_and_failed_scans(demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    results = dict(_db.session.execute(sa.select(Scan.result, sa.func.count()).where(Scan.forum_id == main.id)
                                       .group_by(Scan.result)).all())
    assert results[Result.OK] > 40
    assert {Result.ALREADY_CHECKED_IN, Result.REVOKED, Result.INVALID, Result.WRONG_FORUM} <= set(results)
    reissued = _db.session.scalars(sa.select(Badge).where(Badge.revoked_reason == RevokeReason.REISSUED)).one()
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Badge).where(Badge.replaces_id == reissued.id)) == 1


def test_the_printed_demo_device_token_checks_a_badge_in_through_the_api(app, demo):  # noqa: F811
    from forum.demo.seed import DEMO_DEVICE_TOKEN, demo_logins

    assert DEMO_DEVICE_TOKEN in demo_logins()
    main = forum(MAIN_SLUG)
    badge = _db.session.scalars(sa.select(Badge).where(Badge.forum_id == main.id, Badge.revoked_at.is_(None),
                                                       Badge.first_checked_in_at.is_(None)).order_by(Badge.id)).first()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {DEMO_DEVICE_TOKEN}"}
    r = client.post(f"/api/v1/forums/{MAIN_SLUG}/checkins", json={"code": badge.token, "nonce": "demo-test-1"},
                    headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "ok"
    r = client.post(f"/api/v1/forums/{MAIN_SLUG}/checkins", json={"code": badge.token, "nonce": "demo-test-2"},
                    headers=headers)
    assert r.get_json()["status"] == "already_checked_in"
    # not for the other forum: the token is limited to Astana
    r = client.get("/api/v1/forums/tashkent-japan/scanner-data", headers=headers)
    assert r.status_code == 403
