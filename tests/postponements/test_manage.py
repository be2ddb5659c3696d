"""The organizer's pages: the postpone form with its preview and confirmation, who still comes, reminders; and the
public banner macro."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_babel import force_locale
from flask_babel import gettext as _

from forum import clock
from forum.audit.models import AuditEntry
from forum.notifications.models import OutboxMessage
from forum.postponements import services
from forum.postponements.models import Postponement, PostponementReply
from forum.registration import states
from forum.registration.models import RegState
from forum.templating import local_datetime
from tests import factories as f
from tests.postponements.helpers import do_postpone, outbox, setup_forum

FMT = "%Y-%m-%dT%H:%M"


@pytest.fixture()
def setup(db):
    return setup_forum(db)


def form(forum, days=30, **over):
    data = {"starts_local": forum.local(forum.starts_at + timedelta(days=days)).strftime(FMT),
            "ends_local": forum.local(forum.ends_at + timedelta(days=days)).strftime(FMT),
            "answer_by_local": forum.local(clock.now() + timedelta(days=10)).strftime(FMT),
            "reason_en": "The venue is being repaired.", "reason_ru": "Площадка на ремонте.", "confirm": "y"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_form_shows_the_preview(client, db, login, setup):
    forum, org, *_rest = setup
    login(org)
    r = client.get(f"/manage/{forum.slug}/postpone")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="postpone-preview"' in html
    with force_locale("en"):
        assert _("%(num)d delegates will be asked whether they still attend", num=5) in html
        assert _("and %(num)d contact person told.", num=1) in html
    assert f'value="{forum.local(forum.starts_at).strftime(FMT)}"' in html


def test_postponing_through_the_form(client, db, login, post, setup):
    forum, org, *_rest = setup
    login(org)
    old = forum.starts_at
    r = post(f"/manage/{forum.slug}/postpone", form(forum))
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/manage/{forum.slug}/postponement")
    p = db.session.scalars(sa.select(Postponement)).one()
    assert p.old_starts_at == old and p.new_starts_at == (old + timedelta(days=30)).replace(second=0, microsecond=0)
    assert p.reasons == {"en": "The venue is being repaired.", "ru": "Площадка на ремонте."}
    assert count(db, PostponementReply) == 5 and count(db, OutboxMessage) == 6


@pytest.mark.parametrize("over,field_error", [
    ({"confirm": None}, "Tick the box to confirm the postponement."),
    ({"ends_local": "2020-01-01T10:00"}, "The forum cannot end before it starts."),
    ({"starts_local": "garbage"}, None),
    ({"reason_kk": "x" * 2001}, None),
    ({"answer_by_local": "2020-01-01T10:00"}, "The date to answer by is in the past."),
])
def test_bad_input_is_refused_next_to_the_field_and_saves_nothing(client, db, login, post, setup, over, field_error):
    forum, org, *_rest = setup
    login(org)
    old = forum.starts_at
    r = post(f"/manage/{forum.slug}/postpone", form(forum, **over))
    assert r.status_code == 422
    if field_error:
        with force_locale("en"):
            assert _(field_error) in r.get_data(as_text=True)
    assert count(db, Postponement) == 0 and count(db, OutboxMessage) == 0
    assert db.session.get(type(forum), forum.id).starts_at == old


def test_a_cancelled_forum_is_refused_with_a_conflict(client, db, login, post, setup):
    from forum.forums.models import ForumStatus
    forum, org, *_rest = setup
    forum.status = ForumStatus.CANCELLED
    db.session.commit()
    login(org)
    assert post(f"/manage/{forum.slug}/postpone", form(forum)).status_code == 409
    assert count(db, Postponement) == 0


def test_who_still_comes_counts_lists_and_filters(client, db, login, setup):
    forum, org, c1, c2 = setup
    do_postpone(forum, org)
    replies = {r.registration.email: r for r in db.session.scalars(sa.select(PostponementReply))}
    services.confirm(replies["tanaka@jp.example"])
    services.decline(replies["smith@en.example"], confirmed=True)
    db.session.commit()
    login(org)
    html = client.get(f"/manage/{forum.slug}/postponement").get_data(as_text=True)
    assert '<span data-count="confirmed">1</span>' in html and '<span data-count="declined">1</span>' in html
    assert '<span data-count="pending">3</span>' in html
    assert "田中 一郎" in html and "Айгүл Серікқызы" in html and c1.legal_name in html and c1.name_en in html
    assert "YAMADA Taro" in html  # the Latin name beside the native one
    declined = client.get(f"/manage/{forum.slug}/postponement?answer=declined").get_data(as_text=True)
    assert "John Smith" in declined and "田中 一郎" not in declined
    pending = client.get(f"/manage/{forum.slug}/postponement?answer=pending").get_data(as_text=True)
    assert "Айгүл Серікқызы" in pending and "John Smith" not in pending and "田中 一郎" not in pending
    assert client.get(f"/manage/{forum.slug}/postponement?answer=nonsense&page=abc").status_code == 200


def test_the_list_page_costs_the_same_queries_for_1_and_20_replies(app, client, db, login):
    from tests.postponements.test_manage import _queries

    counts = []
    for n in (1, 20):
        forum, org = f.forum(), f.organizer()
        for _i in range(max(1, n // 5)):
            f.company(forum, min(n, 5))
        do_postpone(forum, org)
        db.session.commit()
        login(org)
        counts.append(_queries(app, client, f"/manage/{forum.slug}/postponement"))
    assert counts[0] == counts[1]


def _queries(app, client, url: str) -> int:
    from forum.db import db as _db

    seen = []

    def listener(*_a, **_k):
        seen.append(1)

    with app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_the_page_without_a_postponement(client, db, login, setup):
    forum, org, *_rest = setup
    login(org)
    r = client.get(f"/manage/{forum.slug}/postponement")
    with force_locale("en"):
        assert r.status_code == 200 and _("This forum has not been postponed.") in r.get_data(as_text=True)


# --- reminders ---------------------------------------------------------------------------------------

def test_reminders_go_only_to_those_who_have_not_answered(client, db, login, post, setup):
    forum, org, *_rest = setup
    do_postpone(forum, org)
    replies = {r.registration.email: r for r in db.session.scalars(sa.select(PostponementReply))}
    services.confirm(replies["tanaka@jp.example"])
    services.decline(replies["smith@en.example"], confirmed=True)
    # withdrawn by other means: not reminded either
    states.transition(replies["dilnoza@uz.example"].registration, RegState.WITHDRAWN, by=None, notify=False)
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    login(org)
    r = post(f"/manage/{forum.slug}/postponement/remind", {"confirm": "y"})
    assert r.status_code == 302
    mails = outbox(db)
    assert sorted((m.to_addr, m.language, m.template) for m in mails) == [
        ("aigul@kz.example", "kk", "postponed_reminder"), ("boss@uz.example", "ru", "postponed_reminder")]
    kk = next(m for m in mails if m.language == "kk")
    with force_locale("kk"):
        assert kk.subject == _("Reminder: do you still attend %(forum)s?", forum=forum.shown_title)
    assert "/postponed/" in kk.body_text
    db.session.expire_all()
    rs = {r.registration.email: r for r in db.session.scalars(sa.select(PostponementReply))}
    assert rs["aigul@kz.example"].reminders == 1 and rs["aigul@kz.example"].last_reminded_at is not None
    assert rs["tanaka@jp.example"].reminders == 0 and rs["smith@en.example"].reminders == 0
    e = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "postponement_reminded")).one()
    assert e.actor_id == org.id and e.details["reminded"] == 2


def test_a_second_reminder_within_the_hour_sends_nothing_and_after_it_sends_again(db, setup, monkeypatch):
    forum, org, *_rest = setup
    p = do_postpone(forum, org)
    db.session.execute(sa.delete(OutboxMessage))
    t0 = clock.now()
    assert services.remind(p, confirmed=True, by=org, now=t0) == 5
    assert services.remind(p, confirmed=True, by=org, now=t0 + timedelta(minutes=59)) == 0  # a double click
    assert len(outbox(db)) == 5
    assert services.remind(p, confirmed=True, by=org, now=t0 + timedelta(hours=1)) == 5
    assert len(outbox(db)) == 10
    assert {r.reminders for r in db.session.scalars(sa.select(PostponementReply))} == {2}


def test_reminders_need_the_confirmation(client, db, login, post, setup):
    forum, org, *_rest = setup
    do_postpone(forum, org)
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    login(org)
    post(f"/manage/{forum.slug}/postponement/remind", {})
    assert count(db, OutboxMessage) == 0
    with pytest.raises(Exception) as e:
        services.remind(db.session.scalars(sa.select(Postponement)).one(), confirmed=False, by=org)
    assert e.value.code == "not_confirmed"


def test_no_reminders_after_answer_by_or_for_a_replaced_postponement(db, setup):
    from forum.errors import InvalidState
    forum, org, *_rest = setup
    p = do_postpone(forum, org)
    with pytest.raises(InvalidState) as e:
        services.remind(p, confirmed=True, by=org, now=p.answer_by + timedelta(seconds=1))
    assert e.value.code == "answer_expired"
    do_postpone(forum, org, days=3)
    with pytest.raises(InvalidState) as e:
        services.remind(p, confirmed=True, by=org)
    assert e.value.code == "replaced"


# --- the public banner -------------------------------------------------------------------------------

BANNER = '{% from "_macros/postponement.html" import postponement_banner %}{{ postponement_banner(forum) }}'


def test_the_banner_shows_new_and_old_dates_and_the_reason(app, db, setup):
    forum, org, *_rest = setup
    with app.test_request_context("/"):
        assert "postponed-banner" not in render_template_string(BANNER, forum=forum)
    p = do_postpone(forum, org, reasons={"ru": "Площадка на ремонте.", "en": "Repairs."})
    for lang, reason in (("en", "Repairs."), ("kk", "Площадка на ремонте.")):
        with app.test_request_context("/"), force_locale(lang):
            html = render_template_string(BANNER, forum=forum)
            assert "postponed-banner" in html and reason in html
            assert local_datetime(p.new_starts_at, forum) in html and local_datetime(p.old_starts_at, forum) in html


def test_only_a_manager_may_remind(db, setup):
    from forum.errors import NotAllowed
    forum, org, *_rest = setup
    p = do_postpone(forum, org)
    db.session.execute(sa.delete(OutboxMessage))
    with pytest.raises(NotAllowed):
        services.remind(p, confirmed=True, by=f.member(forum, "review"))
    assert outbox(db) == [] and {r.reminders for r in db.session.scalars(sa.select(PostponementReply))} == {0}


@pytest.mark.parametrize("status", ["cancelled", "held"])
def test_no_banner_on_a_cancelled_or_held_forum(app, db, setup, status):
    from forum.forums.models import ForumStatus
    forum, org, *_rest = setup
    do_postpone(forum, org)
    forum.status = ForumStatus(status)
    with app.test_request_context("/"):
        assert "postponed-banner" not in render_template_string(BANNER, forum=forum)
