"""The check-in dashboard's offline conflicts (issue 11): listed for organizers with names in both scripts, the
devices, device and server times in the forum's zone; "Mark reviewed" (CSRF, check-in permission, audited) hides
one, "show reviewed" shows it again; another forum's conflict is a 404."""
from __future__ import annotations

import html as html_mod
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.checkin import offline
from forum.checkin.models import Conflict
from forum.teams.models import Permission
from tests import factories as f
from tests.conftest import csrf_token

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def upload(forum, staff, device, *items, sent_at=None):
    return offline.record_batch(forum, list(items), by=staff, device=device, sent_at=sent_at)


@pytest.fixture()
def door(db):
    forum = f.forum(slug="astana-2026", tz="Asia/Almaty")
    staff = f.member(forum, Permission.CHECKIN, name="Door Staff")
    badge = f.badge(forum, full_name="Әлихан Бөкейханов", latin_name="BOKEIKHANOV Alikhan")
    t0 = NOW - timedelta(hours=1)
    upload(forum, staff, "Phone B", offline.Item(code=badge.token, nonce="b-1", scanned_at=t0 + timedelta(minutes=5)))
    upload(forum, staff, "Phone A", offline.Item(code=badge.token, nonce="a-1", scanned_at=t0))
    upload(forum, staff, "Phone C", offline.Item(code="garbage", nonce="c-1", scanned_at=t0),
           sent_at=datetime.now(timezone.utc) + timedelta(minutes=12, seconds=10))
    db.session.commit()
    return forum, staff


def page(client, forum, query=""):
    r = client.get(f"/manage/{forum.slug}/checkin{query}")
    assert r.status_code == 200
    return html_mod.unescape(r.get_data(as_text=True))


def test_the_dashboard_lists_the_open_conflicts(client, db, door, login):
    forum, staff = door
    login(staff)
    text = page(client, forum)
    assert "Admitted on two devices while offline" in text and "Device clock far from the server's" in text
    assert "Әлихан Бөкейханов" in text and "BOKEIKHANOV Alikhan" in text
    assert "Phone A" in text and "Phone B" in text and "Earlier entry" in text
    assert "12 minutes ahead" in text
    assert "Astana time (Asia/Almaty" in text
    t0 = (NOW - timedelta(hours=1)).astimezone(forum.tz)
    assert f"{t0 + timedelta(minutes=5):%H:%M}" in text and f"{t0:%H:%M}" in text  # the device times, local
    assert text.count('class="card mb-2 conflict') == 2


def test_mark_reviewed_hides_it_and_is_audited(client, db, door, login):
    forum, staff = door
    login(staff)
    dup = db.session.scalar(sa.select(Conflict).where(Conflict.kind == "duplicate_offline"))
    url = f"/manage/{forum.slug}/checkin/conflicts/{dup.id}/review"
    assert client.post(url).status_code == 400  # no CSRF token
    r = client.post(url, data={"csrf_token": csrf_token(client, f"/manage/{forum.slug}/checkin")})
    assert r.status_code == 302
    db.session.expire_all()
    assert dup.reviewed_at is not None and dup.reviewed_by_id == staff.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "checkin_conflict_reviewed"))
    assert entry.subject_id == dup.id and entry.actor_id == staff.id and entry.forum_id == forum.id
    text = page(client, forum)
    assert "Admitted on two devices while offline" not in text and text.count('class="card mb-2 conflict') == 1
    text = page(client, forum, "?reviewed=1")
    assert "Admitted on two devices while offline" in text and "Reviewed" in text
    # Twice: said, not a 500, nothing changes.
    r = client.post(url, data={"csrf_token": csrf_token(client, f"/manage/{forum.slug}/checkin")},
                    follow_redirects=True)
    assert r.status_code == 200 and "already" in r.get_data(as_text=True)


@pytest.mark.parametrize("perm", [Permission.REVIEW, Permission.DOCUMENTS, Permission.B2B])
def test_review_without_the_checkin_permission_is_403(client, db, door, login, perm):
    forum, _ = door
    conflict = db.session.scalar(sa.select(Conflict))
    login(f.member(forum, perm, name="Someone Else"))
    r = client.post(f"/manage/{forum.slug}/checkin/conflicts/{conflict.id}/review",
                    data={"csrf_token": csrf_token(client)})
    assert r.status_code == 403
    db.session.expire_all()
    assert conflict.reviewed_at is None


def test_a_conflict_of_another_forum_is_404(client, db, door, login):
    forum, _ = door
    other = f.forum(slug="tashkent-2026")
    manager = f.member(other, Permission.CHECKIN, name="Oʻtkir Hoshimov")
    conflict = db.session.scalar(sa.select(Conflict))
    db.session.commit()
    login(manager)
    r = client.post(f"/manage/{other.slug}/checkin/conflicts/{conflict.id}/review",
                    data={"csrf_token": csrf_token(client)})
    assert r.status_code == 404
    r = client.post(f"/manage/{other.slug}/checkin/conflicts/999999/review", data={"csrf_token": csrf_token(client)})
    assert r.status_code == 404
    db.session.expire_all()
    assert conflict.reviewed_at is None


def test_many_conflicts_are_paginated(client, db, door, login):
    forum, staff = door
    items = [offline.Item(code="garbage", nonce=f"p-{i}", scanned_at=NOW) for i in range(30)]
    upload(forum, staff, "Phone D", *items, sent_at=NOW - timedelta(hours=1))
    db.session.commit()
    login(staff)
    first = page(client, forum)
    assert first.count('class="card mb-2 conflict') == 25 and "1 / 2" in first
    second = page(client, forum, "?cpage=2")
    assert second.count('class="card mb-2 conflict') == 32 - 25
