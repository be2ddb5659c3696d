"""Two organizers (or two tabs) send the same message at once: one set of messages goes out (PostgreSQL, threads)."""
from __future__ import annotations

import sqlalchemy as sa

from forum.accounts.models import User
from forum.announcements import services
from forum.announcements.models import Announcement, AnnouncementRecipient
from forum.db import db as _db
from forum.notifications.models import OutboxMessage
from tests import factories as f
from tests.announcements.people import draft, person
from tests.concurrency import postgres_only, race


def test_two_concurrent_sends_queue_one_set_of_messages(app, db):
    postgres_only(db)
    forum = f.forum()
    people = [person(forum, language=lang) for lang in ("ja", "ru", "kk", "uz")]
    org = f.organizer()
    ann = draft(forum, org)
    db.session.commit()
    ann_id, org_id = ann.id, org.id

    def work(i):
        services.send(_db.session.get(Announcement, ann_id), confirmed=True, by=_db.session.get(User, org_id))

    errors, codes = race(app, 2, work)

    assert errors == [] and codes == ["already_sent"]
    db.session.expire_all()
    mails = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "announcement")))
    assert sorted(m.to_addr for m in mails) == sorted(p.email for p in people)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnnouncementRecipient)) == len(people)
    assert db.session.get(Announcement, ann_id).recipients_count == len(people)
