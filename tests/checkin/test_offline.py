"""checkin.offline: the conflicts an offline upload reveals (duplicate_offline, revoked_after_sync, clock_skew), in
both upload orders, and the races of two devices uploading at once (PostgreSQL, real threads)."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from forum.badges import issuing
from forum.checkin import offline, queries
from forum.checkin.models import Conflict, ConflictKind, Result, Scan
from forum.db import db as _db
from forum.forums.models import Forum
from forum.teams.models import Permission
from tests import factories as f
from tests.concurrency import postgres_only, race

NOW = datetime(2026, 9, 1, 6, 0, tzinfo=timezone.utc)  # 11:00 in Almaty
T0 = NOW - timedelta(hours=1)
DUP = ConflictKind.DUPLICATE_OFFLINE


@pytest.fixture()
def door(db):
    forum = f.forum()
    staff = f.member(forum, Permission.CHECKIN, name="Oʻtkir Hoshimov")
    db.session.flush()
    return forum, staff


def upload(door, device, *items, sent_at=None, now=NOW):
    forum, staff = door
    return offline.record_batch(forum, list(items), by=staff, device=device, sent_at=sent_at, now=now).results


def scan_item(code, nonce, at, **kw):
    return offline.Item(code=code, nonce=nonce, scanned_at=at, **kw)


def conflicts(db, forum):
    db.session.flush()
    return [(c.scan.nonce, c.kind, c.other_scan.nonce if c.other_scan else None, c.skew_seconds)
            for c in db.session.scalars(sa.select(Conflict).where(Conflict.forum_id == forum.id)
                                        .order_by(Conflict.id))]


def by_nonce(db, forum):
    db.session.flush()
    return {s.nonce: s for s in db.session.scalars(sa.select(Scan).where(Scan.forum_id == forum.id))}


# --- duplicate_offline ---------------------------------------------------------------------------

def test_duplicate_uploaded_in_device_time_order(db, door):
    forum, _ = door
    badge = f.badge(forum, full_name="山田 太郎")
    (a,) = upload(door, "Phone A", scan_item(badge.token, "a-1", T0))
    (b,) = upload(door, "Phone B", scan_item(badge.token, "b-1", T0 + timedelta(minutes=5)))
    assert (a.outcome.status, a.conflicts) == (Result.OK, ())
    assert (b.outcome.status, b.conflicts) == (Result.ALREADY_CHECKED_IN, (DUP,))
    assert (b.outcome.first_checked_in_at, b.outcome.first_checked_in_device) == (T0, "Phone A")
    assert conflicts(db, forum) == [("b-1", DUP, "a-1", None)]
    assert (badge.first_checked_in_at, badge.first_checked_in_device, badge.inside) == (T0, "Phone A", True)
    assert queries.arrivals(forum).arrived == 1 and queries.arrivals(forum).present == 1


def test_duplicate_uploaded_later_scan_first(db, door):
    forum, _ = door
    badge = f.badge(forum, full_name="Әлихан Бөкейханов")
    (b,) = upload(door, "Phone B", scan_item(badge.token, "b-1", T0 + timedelta(minutes=5)))
    assert b.outcome.status is Result.OK and badge.first_checked_in_device == "Phone B"
    (a,) = upload(door, "Phone A", scan_item(badge.token, "a-1", T0))
    # The earlier scan is the entry, whatever came first: the later one is the duplicate.
    assert (a.outcome.status, a.conflicts, a.outcome.admitted) == (Result.OK, (), True)
    assert conflicts(db, forum) == [("b-1", DUP, "a-1", None)]
    rows = by_nonce(db, forum)
    assert rows["a-1"].result is Result.OK and rows["a-1"].first_checked_in_at is None
    assert (rows["b-1"].result, rows["b-1"].first_checked_in_at, rows["b-1"].first_checked_in_device) == (
        Result.ALREADY_CHECKED_IN, T0, "Phone A")
    assert (badge.first_checked_in_at, badge.first_checked_in_device) == (T0, "Phone A")
    assert queries.arrivals(forum).arrived == 1 and queries.scan_counts(forum)[Result.OK] == 1
    # B's queue sent again: nothing new, and it hears what the server now concludes.
    (again,) = upload(door, "Phone B", scan_item(badge.token, "b-1", T0 + timedelta(minutes=5)))
    assert (again.outcome.replayed, again.outcome.status, again.conflicts) == (True, Result.ALREADY_CHECKED_IN,
                                                                             (DUP,))
    assert len(conflicts(db, forum)) == 1


def test_three_devices_in_reverse_order_end_with_the_earliest_as_the_entry(db, door):
    forum, _ = door
    badge = f.badge(forum)
    for device, minutes in (("C", 10), ("B", 5), ("A", 0)):
        upload(door, device, scan_item(badge.token, device, T0 + timedelta(minutes=minutes)))
    rows = by_nonce(db, forum)
    assert [rows[n].result for n in "ABC"] == [Result.OK, Result.ALREADY_CHECKED_IN, Result.ALREADY_CHECKED_IN]
    assert {c[0] for c in conflicts(db, forum)} == {"B", "C"}
    assert badge.first_checked_in_device == "A" and queries.arrivals(forum).arrived == 1


def test_the_same_device_twice_or_an_online_entry_is_no_conflict(db, door):
    from forum.checkin import services

    forum, staff = door
    badge, other = f.badge(forum), f.badge(forum)
    upload(door, "Phone A", scan_item(badge.token, "a-1", T0), scan_item(badge.token, "a-2", T0 + timedelta(minutes=1)))
    services.check_in(forum, other.token, by=staff, device="Gate 1", nonce="online-1", now=T0)
    (late,) = upload(door, "Phone B", scan_item(other.token, "b-1", T0 - timedelta(minutes=1)))
    assert late.outcome.status is Result.ALREADY_CHECKED_IN and late.conflicts == ()
    assert conflicts(db, forum) == []



def test_an_online_entry_that_carried_its_device_time_is_no_conflict_either(db, door):
    """The API lets an online device send its clock too: that entry was seen by the server at once, so an offline
    phone admitting the same badge later is plain already_checked_in, whatever the device times say."""
    from forum.checkin import services

    forum, staff = door
    badge = f.badge(forum, full_name="Gʻayrat Oʻrinov")
    services.check_in(forum, badge.token, by=staff, device="Gate 1", nonce="online-1", now=T0,
                      scanned_at=T0 + timedelta(minutes=3))
    (late,) = upload(door, "Phone B", scan_item(badge.token, "b-1", T0 + timedelta(minutes=1)))
    assert late.outcome.status is Result.ALREADY_CHECKED_IN and late.conflicts == ()
    assert conflicts(db, forum) == []


def test_an_offline_entry_time_is_the_device_time_but_not_in_the_future(db, door):
    forum, _ = door
    badge = f.badge(forum)
    upload(door, "Phone A", scan_item(badge.token, "a-1", NOW + timedelta(minutes=3)))
    assert badge.first_checked_in_at == NOW


# --- revoked_after_sync ----------------------------------------------------------------------------

@pytest.fixture()
def revoked(db, door):
    forum, _ = door
    badge = f.badge(forum)
    issuing.revoke(badge, by=f.organizer(), reason="stolen", now=T0)
    return badge


@pytest.mark.parametrize("synced, status, conflict", [
    (T0 - timedelta(minutes=1), None, True),  # the device's data predates the revocation
    (None, None, True),  # it did not say: it cannot be shown to have known
    (T0 - timedelta(minutes=1), "ok", True),
    (T0 + timedelta(minutes=1), None, False),  # it knew: it refused the scan offline
    (T0 + timedelta(minutes=1), "revoked", False),
    (T0 - timedelta(minutes=1), "invalid", False),  # refused at the door for another reason: nobody let in
])
def test_revoked_after_sync(db, door, revoked, synced, status, conflict):
    forum, _ = door
    (r,) = upload(door, "Phone A", scan_item(revoked.token, "a-1", T0 + timedelta(minutes=2), synced_at=synced,
                                             offline_status=status))
    assert r.outcome.status is Result.REVOKED and not r.outcome.admitted
    assert r.conflicts == ((ConflictKind.REVOKED_AFTER_SYNC,) if conflict else ())
    assert len(conflicts(db, forum)) == int(conflict)


def test_an_exit_of_a_revoked_badge_is_no_conflict(db, door, revoked):
    (r,) = upload(door, "Phone A", scan_item(revoked.token, "a-1", T0, direction="out"))
    assert r.outcome.status is Result.REVOKED and r.conflicts == ()


def test_revoked_after_the_upload_is_nothing_to_flag(db, door):
    forum, _ = door
    badge = f.badge(forum)
    (r,) = upload(door, "Phone A", scan_item(badge.token, "a-1", T0, synced_at=T0 - timedelta(hours=1)))
    issuing.revoke(badge, by=f.organizer(), reason="stolen", now=NOW)
    assert r.outcome.status is Result.OK and conflicts(db, forum) == []


# --- clock_skew ---------------------------------------------------------------------------------

@pytest.mark.parametrize("skew, flagged", [(timedelta(minutes=10), True), (-timedelta(minutes=10), True),
                                           (offline.SKEW_MAX + timedelta(seconds=1), True),
                                           (offline.SKEW_MAX, False), (-timedelta(minutes=4), False)])
def test_sent_at_far_from_the_server_flags_every_scan_of_the_batch(db, door, skew, flagged):
    forum, _ = door
    badge = f.badge(forum)
    results = upload(door, "Phone A", scan_item(badge.token, "a-1", T0), scan_item("garbage", "a-2", T0),
                     offline.Malformed(code="nonce_required", message="no"), sent_at=NOW + skew)
    assert [r.conflicts for r in results[:2]] == [((ConflictKind.CLOCK_SKEW,) if flagged else ())] * 2
    assert results[2].error is not None
    expected = [(n, ConflictKind.CLOCK_SKEW, None, round(skew.total_seconds())) for n in ("a-1", "a-2")]
    assert conflicts(db, forum) == (expected if flagged else [])


def test_without_sent_at_a_scan_in_the_future_is_flagged(db, door):
    forum, _ = door
    results = upload(door, "Phone A", scan_item("x", "a-1", NOW + timedelta(minutes=6)),
                     scan_item("x", "a-2", NOW + timedelta(minutes=4)), scan_item("x", "a-3", NOW - timedelta(days=2)))
    assert [r.conflicts for r in results] == [(ConflictKind.CLOCK_SKEW,), (), ()]
    assert conflicts(db, forum) == [("a-1", ConflictKind.CLOCK_SKEW, None, 360)]


def test_a_replayed_batch_adds_no_conflict(db, door):
    forum, _ = door
    items = [scan_item("x", "a-1", T0)]
    upload(door, "Phone A", *items, sent_at=NOW + timedelta(hours=1))
    upload(door, "Phone A", *items, sent_at=NOW + timedelta(hours=2))
    assert conflicts(db, forum) == [("a-1", ConflictKind.CLOCK_SKEW, None, 3600)]


# --- races (PostgreSQL, real threads) -------------------------------------------------------------

@pytest.fixture()
def pg_door(app, db):
    postgres_only(db)
    forum = f.forum()
    staff = f.member(forum, Permission.CHECKIN)
    badges = [f.badge(forum) for _ in range(4)]
    db.session.commit()
    return forum.id, staff.id, [b.token for b in badges]


def _uploader(forum_id, staff_id, device, items, sent_at=None):
    from forum.accounts.models import User

    forum, staff = _db.session.get(Forum, forum_id), _db.session.get(User, staff_id)
    return offline.record_batch(forum, items, by=staff, device=device, sent_at=sent_at)


@pytest.mark.parametrize("round_", range(3))
def test_two_devices_uploading_the_same_badge_at_once(app, db, pg_door, round_):
    forum_id, staff_id, codes = pg_door
    now = datetime.now(timezone.utc)
    # Each device admitted every badge offline, in opposite orders (a deadlock if the locks were taken one by one).
    batches = [[scan_item(c, f"{d}-{round_}-{k}", now - timedelta(minutes=10 - k - (d == "B")))
                for k, c in enumerate(codes)] for d in ("A", "B")]
    batches[1].reverse()
    assert race(app, 2, lambda i: _uploader(forum_id, staff_id, "AB"[i], batches[i])) == ([], [])
    db.session.expire_all()
    forum = db.session.get(Forum, forum_id)
    rows = list(db.session.scalars(sa.select(Scan).where(Scan.forum_id == forum_id)))
    assert len(rows) == 2 * len(codes)
    dups = list(db.session.scalars(sa.select(Conflict).where(Conflict.kind == DUP)))
    assert len(dups) == len(codes)
    for c in dups:  # the later by device time carries it, and the earlier is the entry
        assert c.scan.scanned_at > c.other_scan.scanned_at and c.other_scan.result is Result.OK
        assert c.scan.result is Result.ALREADY_CHECKED_IN
    assert queries.arrivals(forum).arrived == len(codes)
    assert sum(r.result is Result.OK for r in rows) == len(codes)


def test_one_batch_uploaded_twice_at_once_records_each_nonce_once(app, db, pg_door):
    forum_id, staff_id, codes = pg_door
    now = datetime.now(timezone.utc)
    items = [scan_item(c, f"same-{k}", now - timedelta(minutes=5)) for k, c in enumerate(codes)]
    items.append(scan_item("garbage", "same-garbage", now))
    answers = []
    assert race(app, 3, lambda i: answers.append(_uploader(forum_id, staff_id, "A", items,
                                                           sent_at=now + timedelta(hours=1)))) == ([], [])
    db.session.expire_all()
    rows = list(db.session.scalars(sa.select(Scan).where(Scan.forum_id == forum_id)))
    assert sorted(r.nonce for r in rows) == sorted(i.nonce for i in items)
    assert all(r.result in (Result.OK, Result.INVALID) for r in rows)
    assert sorted(sum(x.outcome.replayed for x in a.results) for a in answers) == [0, len(items), len(items)]
    skews = db.session.scalar(sa.select(sa.func.count()).select_from(Conflict)
                              .where(Conflict.kind == ConflictKind.CLOCK_SKEW))
    assert skews == len(items)


@pytest.mark.parametrize("items", [[], [offline.Malformed(code="nonce_required", message="…", field="nonce")]],
                         ids=["empty", "only-malformed"])
def test_a_batch_needs_the_check_in_permission_even_when_nothing_in_it_is_scanned(db, door, items):
    from forum.errors import NotAllowed

    forum, _ = door
    stranger = f.member(forum, Permission.REVIEW, name="Жанна Ахметова")
    with pytest.raises(NotAllowed):
        offline.record_batch(forum, items, by=stranger, device="Phone X", now=NOW)
