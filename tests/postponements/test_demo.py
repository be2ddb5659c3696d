"""Done when (issue 13): the organizer postpones tashkent-japan in the demo; every registrant's mail sits in the
outbox in their language, once; the page shows who still comes."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.accounts.models import User
from forum.forums.models import Forum
from forum.notifications.models import OutboxMessage
from forum.postponements import links
from forum.postponements.models import Answer, PostponementReply
from forum.registration.models import ACTIVE_STATES, Registration
from tests.conftest import csrf_token

FMT = "%Y-%m-%dT%H:%M"


@pytest.fixture(scope="module")
def app(demo_app):
    return demo_app


def test_the_organizer_postpones_tashkent_japan_and_sees_who_still_comes(client, db, login, post):
    forum = db.session.scalars(sa.select(Forum).where(Forum.slug == "tashkent-japan")).one()
    login(db.session.scalars(sa.select(User).where(User.email == "tashkent@example.org")).one())
    active = db.session.scalars(sa.select(Registration).where(
        Registration.forum_id == forum.id, Registration.state.in_(ACTIVE_STATES))).all()
    assert active
    assert client.get("/manage/tashkent-japan/postpone").status_code == 200
    before = {m.id for m in db.session.scalars(sa.select(OutboxMessage))}
    r = post("/manage/tashkent-japan/postpone", {
        "starts_local": forum.local(forum.starts_at + timedelta(days=21)).strftime(FMT),
        "ends_local": forum.local(forum.ends_at + timedelta(days=21)).strftime(FMT),
        "answer_by_local": forum.local(clock.now() + timedelta(days=7)).strftime(FMT),
        "reason_ru": "Площадка закрыта на ремонт.", "reason_en": "The venue is closed for repairs.",
        "reason_ja": "会場が改修のため閉鎖されます。", "confirm": "y"})
    assert r.status_code == 302
    mails = [m for m in db.session.scalars(sa.select(OutboxMessage)) if m.id not in before]
    assert {m.template for m in mails} == {"postponed"}
    assert Counter(m.to_addr for m in mails).most_common(1)[0][1] == 1  # once each
    lang = {m.to_addr: m.language for m in mails}
    assert all(lang[reg.email] == reg.language for reg in active)
    assert {reg.language for reg in active} >= {"ja", "ru"}

    # The demo postponed it once already: this second postponement's replies replace those.
    latest = links.latest_of(forum.id)
    reply = db.session.scalars(sa.select(PostponementReply).join(Registration)
                               .where(Registration.language == "ja", PostponementReply.postponement_id == latest.id)
                               ).first()
    url = f"/postponed/{links.token_for(reply)}"
    assert client.post(url, data={"csrf_token": csrf_token(client, url), "action": "confirm"}).status_code == 302
    html = client.get("/manage/tashkent-japan/postponement").get_data(as_text=True)
    assert '<span data-count="confirmed">1</span>' in html
    assert f'<span data-count="pending">{len(active) - 1}</span>' in html
    assert reply.registration.full_name in html
    db.session.expire_all()
    assert db.session.get(PostponementReply, reply.id).answer is Answer.CONFIRMED
