"""The demo in five languages (issue 13): the forums' texts with the fallback, the message to the Japanese delegates
not yet checked in, and tashkent-japan postponed with each registrant told once in their language."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from forum.announcements.models import Announcement, AnnouncementRecipient
from forum.badges.models import Badge
from forum.db import db as _db
from forum.demo.seed import MAIN_SLUG, SECOND_SLUG
from forum.notifications.models import MailStatus, OutboxMessage
from forum.postponements.models import Answer, Postponement, PostponementReply
from forum.registration.models import ACTIVE_STATES, RegState, Registration
from tests.demo.test_demo import demo, forum  # noqa: F401 - the module-scoped demo fixture
from tests.conftest import IsolatedClient
from tests.demo.test_demo_offline import _signed_in


def _active(f) -> list[Registration]:
    return _db.session.scalars(sa.select(Registration).where(Registration.forum_id == f.id,
                                                             Registration.state.in_(ACTIVE_STATES))).all()


def test_the_delegates_write_in_all_five_languages(demo):  # noqa: F811
    langs = Counter(r.language for r in _active(forum(MAIN_SLUG)))
    assert set(langs) >= {"en", "ja", "ru", "kk", "uz"} and langs["kk"] >= 20 and langs["uz"] >= 10


def test_a_kazakh_reader_sees_astana_in_kazakh_and_tashkent_in_russian(app, demo):  # noqa: F811
    client = IsolatedClient(app, app.response_class)  # each request its own context (its own locale)
    with client.session_transaction() as s:
        s["lang"] = "kk"
    astana = client.get(f"/forums/{MAIN_SLUG}").get_data(as_text=True)
    assert "«Орталық Азия + Жапония» іскерлік форумы" in astana and "Тәуелсіздік сарайы" in astana
    assert "10:00 Пленарное заседание" in astana  # the programme has no Kazakh: the Russian one
    tashkent = client.get(f"/forums/{SECOND_SLUG}").get_data(as_text=True)
    assert "Узбекско-японский бизнес-форум" in tashkent and "Uzbekistan–Japan Business Forum" not in tashkent
    with client.session_transaction() as s:
        s["lang"] = "ja"
    assert "ウズベキスタン・日本 ビジネスフォーラム" in client.get(f"/forums/{SECOND_SLUG}").get_data(as_text=True)


def test_every_japanese_delegate_not_yet_checked_in_got_the_message_in_japanese_once(demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    ann = _db.session.scalars(sa.select(Announcement).where(Announcement.forum_id == main.id,
                                                            Announcement.sent_at.is_not(None))).one()
    recipients = _db.session.scalars(sa.select(AnnouncementRecipient).where(
        AnnouncementRecipient.announcement_id == ann.id)).all()
    checked_in = set(_db.session.scalars(sa.select(Badge.registration_id).where(
        Badge.forum_id == main.id, Badge.first_checked_in_at.is_not(None), Badge.revoked_at.is_(None))))
    expected = {r.email for r in _active(main) if r.state is RegState.APPROVED and r.language == "ja"
                and r.id not in checked_in}
    assert expected and {r.email for r in recipients} == expected
    mails = [r.outbox for r in recipients]
    assert all(m.language == "ja" and m.template == "announcement" for m in mails)
    assert Counter(m.to_addr for m in mails).most_common(1)[0][1] == 1
    assert all("バッジは8時から" in m.subject for m in mails)
    [failed] = [m for m in mails if m.status is MailStatus.FAILED]
    assert "mailbox unavailable" in failed.last_error
    assert ann.recipients_count == len(expected)
    # and the draft to the Kazakh- and Russian-reading delegates is waiting
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Announcement).where(
        Announcement.forum_id == main.id, Announcement.sent_at.is_(None))) == 1


def test_the_organizer_sees_the_message_log_with_the_smtp_error(app, demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    ann = _db.session.scalars(sa.select(Announcement).where(Announcement.forum_id == main.id,
                                                            Announcement.sent_at.is_not(None))).one()
    page = _signed_in(app, "organizer@example.org").get(f"/manage/{MAIN_SLUG}/messages/{ann.id}?failed=1")
    assert page.status_code == 200 and "mailbox unavailable" in page.get_data(as_text=True)


def test_tashkent_is_postponed_and_each_registrant_was_told_once_in_their_language(demo):  # noqa: F811
    second = forum(SECOND_SLUG)
    [p] = _db.session.scalars(sa.select(Postponement).where(Postponement.forum_id == second.id)).all()
    assert second.starts_at == p.new_starts_at and (p.new_starts_at - p.old_starts_at).days == 28
    replies = _db.session.scalars(sa.select(PostponementReply).where(PostponementReply.postponement_id == p.id)).all()
    answers = Counter(r.answer for r in replies)
    assert answers[Answer.CONFIRMED] == 3 and answers[Answer.DECLINED] == 1 and answers[Answer.PENDING] >= 20
    told = _db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.forum_id == second.id,
                                                              OutboxMessage.template == "postponed")).all()
    by_address = Counter(m.to_addr for m in told)
    assert max(by_address.values()) == 1
    for reply in replies:
        mail = next(m for m in told if m.to_addr == reply.registration.email)
        assert mail.language == reply.registration.language
    assert {m.language for m in told} >= {"ja", "ru", "uz"}
    uz = next(m for m in told if m.language == "uz")
    assert "taʼmirlash" in uz.body_text  # the Uzbek reason, in the Uzbek delegate's mail
    declined = next(r for r in replies if r.answer is Answer.DECLINED)
    assert declined.registration.state is RegState.WITHDRAWN


def test_the_tashkent_organizer_sees_who_still_comes(app, demo):  # noqa: F811
    page = _signed_in(app, "tashkent@example.org").get(f"/manage/{SECOND_SLUG}/postponement")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<span data-count="confirmed">3</span>' in html and '<span data-count="declined">1</span>' in html
    second = forum(SECOND_SLUG)
    declined = _db.session.scalars(sa.select(PostponementReply).join(Postponement).where(
        Postponement.forum_id == second.id, PostponementReply.answer == Answer.DECLINED)).one()
    assert declined.registration.latin_name in html or declined.registration.full_name in html
