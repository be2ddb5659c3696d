"""The demo's offline door and contacts (issue 11): two phones admitted people during a Wi-Fi outage and uploaded
afterwards (a duplicate neither could see, a badge revoked after their download, a slow clock), and
delegate@example.org saved contacts by scanning badges."""
from __future__ import annotations

import sqlalchemy as sa
import vobject
from markupsafe import escape

from forum.accounts.models import User
from forum.badges.models import Badge
from forum.checkin import queries as door
from forum.checkin.models import Conflict, ConflictKind, Result, Scan
from forum.contacts.models import Contact
from forum.db import db as _db
from forum.demo.offline import PHONE_A, PHONE_B
from forum.demo.seed import MAIN_SLUG
from forum.registration.models import Registration
from tests.conftest import IsolatedClient
from tests.demo.test_demo import demo, forum  # noqa: F401 - the module-scoped demo fixture

DELEGATE = "delegate@example.org"


def _signed_in(app, email: str):
    user = _db.session.scalar(sa.select(User).where(User.email == email))
    client = IsolatedClient(app, app.response_class)  # each request its own `g` (its own signed-in user)
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = user.get_id(), True
    return client


def test_two_phones_uploaded_offline_scans_with_a_conflict_of_each_kind(demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    scans = _db.session.scalars(sa.select(Scan).where(Scan.forum_id == main.id, Scan.offline.is_(True))).all()
    assert {s.device for s in scans} == {PHONE_A, PHONE_B} and len(scans) >= 12
    assert all(s.scanned_at is not None and s.scanned_at < s.recorded_at for s in scans)
    conflicts = _db.session.scalars(sa.select(Conflict).where(Conflict.forum_id == main.id)).all()
    kinds = {c.kind for c in conflicts}
    assert kinds == {ConflictKind.DUPLICATE_OFFLINE, ConflictKind.REVOKED_AFTER_SYNC, ConflictKind.CLOCK_SKEW}
    duplicate = next(c for c in conflicts if c.kind is ConflictKind.DUPLICATE_OFFLINE)
    # both entries kept, on the two phones; the person counted once
    assert {duplicate.scan.device, duplicate.other_scan.device} == {PHONE_A, PHONE_B}
    assert duplicate.scan.badge_id == duplicate.other_scan.badge_id
    assert duplicate.scan.scanned_at > duplicate.other_scan.scanned_at
    badge = _db.session.get(Badge, duplicate.scan.badge_id)
    assert badge.first_checked_in_device == duplicate.other_scan.device
    revoked = next(c for c in conflicts if c.kind is ConflictKind.REVOKED_AFTER_SYNC)
    assert revoked.scan.result is Result.REVOKED
    skewed = [c for c in conflicts if c.kind is ConflictKind.CLOCK_SKEW]
    assert skewed and all(c.scan.device == PHONE_B and -8 * 60 < c.skew_seconds < -6 * 60 for c in skewed)
    arrivals = door.arrivals(main)
    inside = _db.session.scalar(sa.select(sa.func.count()).select_from(Badge).where(
        Badge.forum_id == main.id, Badge.first_checked_in_at.is_not(None)))
    assert arrivals.arrived == inside


def test_the_dashboard_lists_the_conflicts_for_the_organizer(app, demo):  # noqa: F811
    html = _signed_in(app, "organizer@example.org").get(f"/manage/{MAIN_SLUG}/checkin").get_data(as_text=True)
    assert PHONE_A in html and PHONE_B in html
    from forum.checkin.views import conflict_label

    with app.test_request_context():
        labels = [conflict_label(kind) for kind in ConflictKind]
    assert all(str(escape(label)) in html for label in labels)


def test_the_demo_delegate_has_saved_contacts_in_three_scripts_and_exports_them(app, demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    owner = _db.session.scalar(sa.select(Registration).where(Registration.forum_id == main.id,
                                                             Registration.email == DELEGATE))
    saved = _db.session.scalars(sa.select(Contact).where(Contact.owner_id == owner.id)).all()
    names = [c.person.full_name for c in saved]
    assert len(saved) == 4 and {c.person.company.country for c in saved} == {"KZ", "UZ", "KG", "JP"}
    client = _signed_in(app, DELEGATE)
    page = client.get(f"/forums/{MAIN_SLUG}/contacts").get_data(as_text=True)
    assert all(name in page for name in names)
    r = client.get(f"/forums/{MAIN_SLUG}/contacts/export.vcf?version=4")
    assert r.status_code == 200
    cards = list(vobject.readComponents(r.get_data(as_text=True)))
    formatted = {v.value for card in cards for v in card.contents["fn"]}
    kazakh = next(c.person for c in saved if c.person.company.country == "KZ")
    japanese = next(c.person for c in saved if c.person.company.country == "JP")
    assert kazakh.full_name in formatted and japanese.full_name in formatted
    assert kazakh.latin_name in formatted  # the Latin name as the alternate


def test_the_printed_badge_opens_a_card_the_demo_delegate_can_save(app, demo):  # noqa: F811
    from forum.demo.offline import _badge_to_try

    main = forum(MAIN_SLUG)
    path = _badge_to_try(main, DELEGATE)
    assert path.startswith("/b/")
    html = _signed_in(app, DELEGATE).get(path).get_data(as_text=True)
    badge = _db.session.scalar(sa.select(Badge).where(Badge.token == path[3:]))
    assert badge.registration.full_name in html and f"{path}/contact" in html


def test_the_demo_staff_phone_uploads_an_offline_queue_once(app, demo):  # noqa: F811
    """What the demo's staff phone does when the network returns: its queue, sent twice, is recorded once."""
    from datetime import timedelta

    from forum import clock
    from forum.demo.seed import DEMO_DEVICE_TOKEN

    main = forum(MAIN_SLUG)
    waiting = _db.session.scalars(sa.select(Badge).where(Badge.forum_id == main.id, Badge.revoked_at.is_(None),
                                                         Badge.first_checked_in_at.is_(None)).order_by(Badge.id)
                                  .limit(2)).all()
    at = (clock.now() - timedelta(minutes=3)).isoformat()
    queue = [{"code": b.token, "nonce": f"demo-phone-{i}", "scanned_at": at, "direction": "in"}
             for i, b in enumerate(waiting)]
    client = IsolatedClient(app, app.response_class)
    headers = {"Authorization": f"Bearer {DEMO_DEVICE_TOKEN}"}
    for replayed in (False, True):
        r = client.post(f"/api/v1/forums/{MAIN_SLUG}/checkins/batch", json=queue, headers=headers)
        assert r.status_code == 200
        answer = r.get_json()
        assert [(x["recorded"], x["status"], x["replayed"]) for x in answer["results"]] == [
            (True, "ok", replayed), (True, "ok", replayed)]
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Scan).where(
        Scan.nonce.in_([q["nonce"] for q in queue]))) == 2
