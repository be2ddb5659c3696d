"""Issue 11 in the demo: the Wi-Fi went down during the door rehearsal, and two phones kept admitting people
offline; and the demo delegate saved a few contacts by scanning badges.

Everything goes through the services a real phone's upload and a real delegate's save go through
(checkin.offline.record_batch, contacts.services.save), with fixed choices (no random draws), so that the
dashboard shows each kind of conflict and "My contacts" of delegate@example.org holds a Kazakh, an Uzbek
and a Kyrgyz delegate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from forum.accounts.models import User
from forum.badges import issuing
from forum.badges.models import Badge
from forum.checkin import offline
from forum.checkin.models import Conflict, Scan
from forum.contacts import services as contacts
from forum.contacts.models import Contact
from forum.db import db
from forum.forums.models import Forum
from forum.registration.models import Registration

PHONE_A, PHONE_B = "Phone 3 (hall B)", "Phone 4 (hall B)"
NOTES = {
    "KZ": "Зерновой терминал в Актау: прислать спецификации до конца месяца.",
    "UZ": "Toshkentdagi qoʻshma korxona: agreed to a call on Thursday.",
    "KG": "Interested in our cold-chain logistics; meet again at the B2B session.",
    "JP": "物流センターの件、来月大阪で再度打ち合わせ。",
}


@dataclass(frozen=True)
class Seeded:
    offline_scans: int
    conflicts: int
    contacts: int
    try_badge: str  # a badge URL path the newcomer can open as delegate@example.org to save a contact


def _not_inside(badges: list[Badge]) -> list[Badge]:
    return [b for b in badges if not b.inside and b.first_checked_in_at is None and b.registration is not None]


def seed(main: Forum, staff: User, now: datetime, delegate_email: str) -> Seeded:
    first_scan = db.session.scalar(sa.select(sa.func.max(Scan.id))) or 0
    badges = issuing.live_badges(main)
    waiting = _not_inside(badges)
    outage = now - timedelta(minutes=35)  # the Wi-Fi was down from 35 to 20 minutes ago
    synced = outage - timedelta(minutes=2)  # both phones had fetched the scanner data just before

    def item(badge_token: str, minute: float, nonce: str, clock_off: timedelta = timedelta(0)) -> offline.Item:
        """A scan `minute` minutes into the outage, stamped by a device clock `clock_off` from the real time."""
        return offline.Item(code=badge_token, nonce=f"demo-offline-{nonce}", direction="in", offline_status="ok",
                            scanned_at=outage + timedelta(minutes=minute) + clock_off, synced_at=synced + clock_off)

    # Phone 3 admitted eight people in hall B, and the badge lost at the hotel (revoked this morning, after the
    # phone's last download: it could not know).
    lost = db.session.scalar(sa.select(Badge).where(Badge.forum_id == main.id, Badge.revoked_at.is_not(None))
                             .order_by(Badge.revoked_at, Badge.id))
    phone_a = [item(b.token, 1 + i, f"a-{i}") for i, b in enumerate(waiting[:8])]
    if lost is not None:
        phone_a.append(item(lost.token, 10, "a-lost"))
    # Phone 4, at the other door of the hall, admitted four more, and one of Phone 3's people a second time
    # (she went out through a side door, and came back in): a duplicate neither phone could see. Its clock was
    # seven minutes slow.
    slow = timedelta(minutes=7)
    phone_b = [item(b.token, 2 + i, f"b-{i}", -slow) for i, b in enumerate(waiting[8:12])]
    if phone_a:
        phone_b.append(item(phone_a[2].code, 12, "b-again", -slow))
    offline.record_batch(main, phone_a, by=staff, device=PHONE_A, sent_at=now - timedelta(minutes=19), now=now - timedelta(minutes=19))
    offline.record_batch(main, phone_b, by=staff, device=PHONE_B, sent_at=now - timedelta(minutes=18) - slow,
                         now=now - timedelta(minutes=18))
    db.session.flush()

    saved = _contacts(main, delegate_email)
    scans = db.session.scalar(sa.select(sa.func.count()).select_from(Scan)
                              .where(Scan.id > first_scan, Scan.offline.is_(True)))
    conflicts = db.session.scalar(sa.select(sa.func.count()).select_from(Conflict).where(Conflict.forum_id == main.id))
    return Seeded(offline_scans=scans or 0, conflicts=conflicts or 0, contacts=saved,
                  try_badge=_badge_to_try(main, delegate_email))


def _sharing(main: Forum, country: str, exclude: set[int], owner_company: int) -> Registration | None:
    """The first approved delegate of that country whose company shares its card, with a live badge."""
    for badge in issuing.live_badges(main):
        reg = badge.registration
        if (reg.id not in exclude and reg.company.country == country and contacts.shares_card(badge)
                and reg.company_id != owner_company):
            return reg
    return None


def _contacts(main: Forum, delegate_email: str) -> int:
    owner = db.session.scalar(sa.select(Registration).where(Registration.forum_id == main.id,
                                                            Registration.email == delegate_email))
    if owner is None:
        return 0
    taken: set[int] = {owner.id}
    n = 0
    for country, note in NOTES.items():
        person = _sharing(main, country, taken, owner.company_id)
        if person is None:
            continue
        taken.add(person.id)
        badge = next(b for b in issuing.live_badges(main) if b.registration_id == person.id)
        contacts.save(owner, badge, note)
        n += 1
    return n


def _badge_to_try(main: Forum, delegate_email: str) -> str:
    """A Japanese delegate of another company whose card is shared and who is not saved yet: the badge a newcomer
    scans (opens) as delegate@example.org."""
    owner = db.session.scalar(sa.select(Registration).where(Registration.forum_id == main.id,
                                                            Registration.email == delegate_email))
    saved_ids = set(db.session.scalars(sa.select(Contact.person_id).where(Contact.owner_id == owner.id))) if owner else set()
    for badge in issuing.live_badges(main):
        reg = badge.registration
        if (owner is not None and contacts.shares_card(badge) and reg.id not in saved_ids
                and reg.company_id != owner.company_id and reg.company.country == "KZ"):
            return f"/b/{badge.token}"
    return ""
