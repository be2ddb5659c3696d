"""A forum with delegates in several languages, and a postponement of it."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from forum import clock
from forum.notifications.models import OutboxMessage
from forum.postponements import services
from forum.review import services as review
from tests import factories as f


def setup_forum(db):
    """Forum 'tashkent' with: company 1 (contact boss@, Russian, also a delegate; a Kazakh, an Uzbek and a Japanese
    delegate; one rejected), company 2 (contact person who is no delegate, English; one English delegate)."""
    forum, org = f.forum(slug="tashkent"), f.organizer()
    c1 = f.company(forum, 0, language="ru", contact_email="boss@uz.example",
                   delegates=[f.delegate_input(email="boss@uz.example", language="ru", full_name="Бахтиёр Каримов"),
                              f.delegate_input(email="aigul@kz.example", language="kk", full_name="Айгүл Серікқызы"),
                              f.delegate_input(email="dilnoza@uz.example", language="uz", full_name="Dilnoza Oʻrinova"),
                              f.delegate_input(email="tanaka@jp.example", language="ja", full_name="田中 一郎"),
                              f.delegate_input(email="gone@uz.example", language="en")])
    c2 = f.company(forum, 0, language="en", contact_email="contact@en.example",
                   delegates=[f.delegate_input(email="smith@en.example", language="en", full_name="John Smith")])
    review.decide(c1.delegates[0], "approve", by=org)
    review.decide(c1.delegates[4], "reject", by=org, reason="Duplicate")
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    return forum, org, c1, c2


def new_dates(forum, days: int = 30):
    return forum.starts_at + timedelta(days=days), forum.ends_at + timedelta(days=days)


def do_postpone(forum, org, *, days: int = 30, reasons=None, answer_in=timedelta(days=10), **kw):
    starts, ends = new_dates(forum, days)
    args = dict(new_starts_at=starts, new_ends_at=ends, reasons=reasons if reasons is not None else {},
                answer_by=clock.now() + answer_in, confirmed=True, by=org)
    args.update(kw)
    return services.postpone(forum, **args)


def outbox(db, template: str | None = None) -> list[OutboxMessage]:
    q = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        q = q.where(OutboxMessage.template == template)
    return list(db.session.scalars(q))
