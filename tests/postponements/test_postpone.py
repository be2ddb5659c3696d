"""Postponing: each refusal saves nothing; the dates move, registration does not; one reply per active
registration; one e-mail per person in their language, with the reason's fallback; audited."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from forum import clock
from forum.audit.models import AuditEntry
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums.models import ForumStatus
from forum.notifications.models import OutboxMessage
from forum.postponements import services
from forum.postponements.models import Answer, Postponement, PostponementReply
from forum.registration.models import RegState, Registration
from forum.templating import local_datetime
from tests import factories as f
from tests.postponements.helpers import do_postpone, new_dates, outbox, setup_forum


@pytest.fixture()
def setup(db):
    return setup_forum(db)


def nothing_saved(db):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Postponement)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostponementReply)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_preview_counts_delegates_and_contacts_once_with_their_language(db, setup):
    forum, _org, c1, c2 = setup
    p = services.preview(forum)
    assert p.registrations == 5  # the rejected one is not active
    assert p.delegates == {"boss@uz.example": "ru", "aigul@kz.example": "kk", "dilnoza@uz.example": "uz",
                           "tanaka@jp.example": "ja", "smith@en.example": "en"}
    assert p.contacts == {"contact@en.example": "en"}  # boss@ is a delegate: asked, not merely told
    assert p.people == 6 and dict(p.by_language) == {"en": 2, "ru": 1, "kk": 1, "uz": 1, "ja": 1}


def test_postpone_moves_the_dates_and_leaves_registration_as_it_is(db, setup):
    forum, org, c1, c2 = setup
    before = {r.id: r.state for r in db.session.scalars(sa.select(Registration))}
    window = (forum.registration_opens_at, forum.registration_closes_at, forum.capacity, forum.status)
    old = (forum.starts_at, forum.ends_at)
    starts, ends = new_dates(forum)
    p = do_postpone(forum, org)
    assert (forum.starts_at, forum.ends_at) == (starts, ends)
    assert (p.old_starts_at, p.old_ends_at, p.new_starts_at, p.new_ends_at) == (*old, starts, ends)
    assert (forum.registration_opens_at, forum.registration_closes_at, forum.capacity, forum.status) == window
    assert {r.id: r.state for r in db.session.scalars(sa.select(Registration))} == before
    assert p.created_by_id == org.id


def test_one_pending_reply_per_active_registration(db, setup):
    forum, org, c1, c2 = setup
    p = do_postpone(forum, org)
    replies = db.session.scalars(sa.select(PostponementReply)).all()
    active = {r.id for r in db.session.scalars(sa.select(Registration)) if r.state is not RegState.REJECTED}
    assert sorted(r.registration_id for r in replies) == sorted(active) and len(active) == 5
    assert {r.answer for r in replies} == {Answer.PENDING} and {r.postponement_id for r in replies} == {p.id}


def test_each_person_gets_one_mail_in_their_language_with_dates_in_the_forums_zone(db, setup):
    forum, org, c1, c2 = setup
    p = do_postpone(forum, org, reasons={"ru": "Площадка закрыта на ремонт.", "en": "The venue is closed.",
                                         "ja": "会場が閉鎖されました。"})
    mails = outbox(db)
    assert sorted((m.to_addr, m.language, m.template) for m in mails) == sorted([
        ("boss@uz.example", "ru", "postponed"), ("aigul@kz.example", "kk", "postponed"),
        ("dilnoza@uz.example", "uz", "postponed"), ("tanaka@jp.example", "ja", "postponed"),
        ("smith@en.example", "en", "postponed"), ("contact@en.example", "en", "postponed")])
    by = {m.to_addr: m for m in mails}
    # the reason in the reader's language, else Russian for Kazakh and Uzbek readers, else English
    assert "会場が閉鎖されました。" in by["tanaka@jp.example"].body_text
    assert "Площадка закрыта на ремонт." in by["aigul@kz.example"].body_text
    assert "Площадка закрыта на ремонт." in by["dilnoza@uz.example"].body_text
    assert "The venue is closed." in by["smith@en.example"].body_text
    assert "Площадка" not in by["smith@en.example"].body_text
    for m in mails:
        with force_locale(m.language):
            assert _("Postponed: %(forum)s", forum=forum.shown_title) == m.subject
            assert local_datetime(p.new_starts_at, forum) in m.body_text
            assert local_datetime(p.old_starts_at, forum) in m.body_text
            assert "Asia/Almaty" in m.body_text
    # delegates get their personal link, the contact person who is no delegate a notice without one
    assert all(re.search(r"http://forum\.test/postponed/\S+", by[a].body_text) for a in by if a != "contact@en.example")
    assert "/postponed/" not in by["contact@en.example"].body_text
    links = {re.search(r"/postponed/(\S+)", by[a].body_text).group(1) for a in by if a != "contact@en.example"}
    assert len(links) == 5


def test_the_reason_is_optional(db, setup):
    forum, org, *_rest = setup
    do_postpone(forum, org, reasons={"en": "  ", "ru": ""})
    p = db.session.scalars(sa.select(Postponement)).one()
    assert p.reasons == {}
    with force_locale("en"):
        assert _("The organizers' reason:") not in outbox(db)[0].body_text


def test_postponing_is_audited(db, setup):
    forum, org, *_rest = setup
    p = do_postpone(forum, org, reasons={"en": "Flooding."})
    e = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "postponed")).one()
    assert (e.subject_type, e.subject_id, e.actor_id, e.reason) == ("forum", forum.id, org.id, "Flooding.")
    assert e.details["registrations"] == 5 and e.details["people"] == 6
    assert e.details["new_starts_at"] == p.new_starts_at.isoformat()


# --- refusals: each one saves nothing ------------------------------------------------------------------

def _refused(db, forum, org, exc, code, **kw):
    old = (forum.starts_at, forum.ends_at)
    with pytest.raises(exc) as e:
        do_postpone(forum, org, **kw)
    assert e.value.code == code
    db.session.rollback()
    db.session.refresh(forum)
    assert (forum.starts_at, forum.ends_at) == old
    nothing_saved(db)


def test_refuses_without_confirmation(db, setup):
    forum, org, *_rest = setup
    _refused(db, forum, org, InvalidInput, "not_confirmed", confirmed=False)


def test_refuses_someone_without_the_manage_permission(db, setup):
    forum, _org, *_rest = setup
    reviewer = f.member(forum, "review")
    with pytest.raises(NotAllowed):
        do_postpone(forum, reviewer)
    db.session.rollback()
    nothing_saved(db)


@pytest.mark.parametrize("status,code", [(ForumStatus.DRAFT, "forum_draft"), (ForumStatus.CANCELLED, "forum_cancelled"),
                                         (ForumStatus.HELD, "forum_held")])
def test_refuses_a_draft_cancelled_or_held_forum(db, setup, status, code):
    forum, org, *_rest = setup
    forum.status = status
    db.session.commit()
    _refused(db, forum, org, InvalidState, code)


def test_a_closed_forum_can_be_postponed(db, setup):
    forum, org, *_rest = setup
    forum.status = ForumStatus.CLOSED
    do_postpone(forum, org)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Postponement)) == 1


def test_refuses_unchanged_dates(db, setup):
    forum, org, *_rest = setup
    _refused(db, forum, org, InvalidInput, "dates_unchanged", days=0)


def test_refuses_an_end_before_the_start(db, setup):
    forum, org, *_rest = setup
    starts, _ends = new_dates(forum)
    _refused(db, forum, org, InvalidInput, "ends_before_start", new_ends_at=starts - timedelta(minutes=1))


def test_refuses_a_start_in_the_past(db, setup):
    forum, org, *_rest = setup
    past = clock.now() - timedelta(hours=1)
    forum.registration_closes_at = past - timedelta(days=1)
    db.session.commit()
    _refused(db, forum, org, InvalidInput, "starts_in_past", new_starts_at=past, new_ends_at=past + timedelta(days=1),
             answer_in=timedelta(hours=-2))


def test_refuses_an_answer_date_in_the_past_or_after_the_new_start(db, setup):
    forum, org, *_rest = setup
    _refused(db, forum, org, InvalidInput, "answer_by_in_past", answer_in=timedelta(seconds=-1))
    _refused(db, forum, org, InvalidInput, "answer_by_after_start", answer_in=timedelta(days=60))


def test_answering_until_the_new_start_itself_is_allowed(db, setup):
    forum, org, *_rest = setup
    starts, ends = new_dates(forum)
    do_postpone(forum, org, answer_by=starts)
    assert db.session.scalars(sa.select(Postponement)).one().answer_by == starts


def test_refuses_a_new_start_before_registration_closes(db, setup):
    """Registration stays as it is, so it cannot close after the forum began: refused, not clamped."""
    forum, org, *_rest = setup
    starts = forum.registration_closes_at - timedelta(hours=1)
    _refused(db, forum, org, InvalidInput, "registration_closes_after_start", new_starts_at=starts,
             new_ends_at=starts + timedelta(days=1), answer_in=timedelta(days=1))


@pytest.mark.parametrize("reasons,code", [({"en": "x" * 2001}, "reason_too_long"),
                                          ({"ru": "bad\x07bell"}, "control_characters"),
                                          ({"de": "Grund"}, "unknown_language")])
def test_refuses_bad_reasons(db, setup, reasons, code):
    forum, org, *_rest = setup
    _refused(db, forum, org, InvalidInput, code, reasons=reasons)


def test_a_reason_is_stored_nfc_and_may_have_line_breaks(db, setup):
    forum, org, *_rest = setup
    p = do_postpone(forum, org, reasons={"uz": " Cafe\u0301\r\nyoʻq ", "en": "x" * 2000})
    assert p.reasons["uz"] == "Caf\u00e9\nyoʻq" and len(p.reasons["en"]) == 2000


def test_a_second_postponement_opens_fresh_replies(db, setup):
    forum, org, *_rest = setup
    first = do_postpone(forum, org)
    r = db.session.scalars(sa.select(PostponementReply)).first()
    r.answer, r.answered_at = Answer.CONFIRMED, clock.now()
    db.session.flush()
    second = do_postpone(forum, org, days=7)
    assert second.old_starts_at == first.new_starts_at
    fresh = db.session.scalars(sa.select(PostponementReply).where(PostponementReply.postponement_id == second.id)).all()
    assert len(fresh) == 5 and {x.answer for x in fresh} == {Answer.PENDING}
    assert services.latest(forum).id == second.id
