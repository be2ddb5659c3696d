"""Drafts, the e-mail a recipient gets (their language, with the fallback), sending once, sending the failed again."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext

from forum.announcements import services, targeting
from forum.announcements.models import Announcement, AnnouncementRecipient
from forum.announcements.targeting import Filter
from forum.audit.models import AuditEntry
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.notifications.models import MailStatus, OutboxMessage
from forum.teams.models import Permission
from tests import factories as f
from tests.announcements.people import draft, person


def announcement_mail(db) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "announcement")
                                   .order_by(OutboxMessage.id)))


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- validation -------------------------------------------------------------------------------

def _save(forum, by, subjects, bodies):
    return services.save_draft(forum, subjects=subjects, bodies=bodies, flt=Filter(), by=by)


@pytest.mark.parametrize("subjects,bodies,field,code", [
    ({}, {}, "subject_en", "invalid_message"),
    ({"en": "  "}, {"en": "\n \n"}, "subject_en", "invalid_message"),
    ({"ja": "件名"}, {}, "body_ja", "invalid_message"),
    ({}, {"ru": "Текст"}, "subject_ru", "invalid_message"),
    ({"en": "Two\nlines"}, {"en": "Body"}, "subject_en", "invalid_message"),
    ({"en": "Two\u2028lines"}, {"en": "Body"}, "subject_en", "invalid_message"),
    ({"en": "x" * 201}, {"en": "Body"}, "subject_en", "invalid_message"),
    ({"en": "Bell\x07"}, {"en": "Body"}, "subject_en", "invalid_message"),
    ({"kk": "Тақырып"}, {"kk": "x" * 20001}, "body_kk", "invalid_message"),
    ({"uz": "Mavzu"}, {"uz": "Null\x00byte"}, "body_uz", "invalid_message"),
    ({"uz": "Mavzu"}, {"uz": "C1\x85control"}, "body_uz", "invalid_message"),
])
def test_invalid_texts_are_refused_by_field_and_nothing_is_saved(db, subjects, bodies, field, code):
    forum, org = f.forum(), f.organizer()
    with pytest.raises(services.ComposeError) as e:
        _save(forum, org, subjects, bodies)
    assert e.value.code == code and field in e.value.errors
    assert count(db, Announcement) == 0


def test_every_bad_language_is_reported_at_once(db):
    with pytest.raises(services.ComposeError) as e:
        _save(f.forum(), f.organizer(), {"en": "Hi", "ja": "件名"}, {"ru": "Текст", "en": "Body"})
    assert set(e.value.errors) == {"body_ja", "subject_ru"}


def test_limits_are_inclusive_and_texts_are_stored_nfc_with_tabs_and_newlines_kept(db):
    forum, org = f.forum(), f.organizer()
    decomposed = "Oʻzbekiston e\u0301"  # e + combining acute
    ann = _save(forum, org, {"en": "s" * 200, "uz": decomposed},
                {"en": "b" * 20000, "uz": "Line 1\r\n\tLine 2"})
    assert ann.subjects["uz"] == "Oʻzbekiston \u00e9"
    assert ann.bodies["uz"] == "Line 1\n\tLine 2"
    assert len(ann.subjects["en"]) == 200 and len(ann.bodies["en"]) == 20000
    assert set(ann.subjects) == {"en", "uz"}


def test_a_draft_is_editable_until_sent_and_deletable(db):
    forum, org = f.forum(), f.organizer()
    person(forum)
    ann = draft(forum, org)
    services.save_draft(forum, subjects={"ru": "Новое"}, bodies={"ru": "Текст"}, flt=Filter(languages=("ru",)),
                        by=org, announcement=ann)
    assert (ann.subjects, ann.filters["language"]) == ({"ru": "Новое"}, ["ru"])
    services.delete_draft(ann, by=org)
    assert count(db, Announcement) == 0
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "announcement"))
    assert entry.action == "draft_deleted"


def test_a_sent_message_can_be_neither_changed_nor_deleted(db):
    forum, org = f.forum(), f.organizer()
    person(forum)
    ann = draft(forum, org)
    services.send(ann, confirmed=True, by=org)
    with pytest.raises(InvalidState) as e:
        services.save_draft(forum, subjects={"en": "New"}, bodies={"en": "New"}, flt=Filter(), by=org,
                            announcement=ann)
    assert e.value.code == "already_sent"
    with pytest.raises(InvalidState) as e:
        services.delete_draft(ann, by=org)
    assert e.value.code == "already_sent"
    assert ann.subjects["en"] == "Hello"


# --- the e-mail one recipient gets --------------------------------------------------------------

def test_letter_is_in_the_recipients_language(app, db):
    forum, org = f.forum(), f.organizer()
    reg = person(forum, language="ja")
    ann = draft(forum, org)
    letter = services.letter(ann, targeting.recipient_of(reg))
    assert (letter.text_language, letter.is_fallback, letter.subject) == ("ja", False, "こんにちは")
    assert letter.body.startswith("Body ja: こんにちは\n")
    with force_locale("ja"):
        footer = gettext("You receive this message from the organizers of %(forum)s because you are registered "
                         "for it.", forum=forum.shown_title)
    assert footer in letter.body


def test_kazakh_reader_with_only_russian_and_english_text_gets_russian(db):
    forum, org = f.forum(), f.organizer()
    reg = person(forum, language="kk")
    ann = draft(forum, org, subjects={"en": "Hello", "ru": "Здравствуйте"})
    letter = services.letter(ann, targeting.recipient_of(reg))
    assert (letter.text_language, letter.is_fallback, letter.subject) == ("ru", True, "Здравствуйте")
    assert letter.body.startswith("Body ru: Здравствуйте")


def test_japanese_reader_with_only_russian_and_english_text_gets_english(db):
    forum, org = f.forum(), f.organizer()
    reg = person(forum, language="ja")
    ann = draft(forum, org, subjects={"en": "Hello", "ru": "Здравствуйте"})
    letter = services.letter(ann, targeting.recipient_of(reg))
    assert (letter.text_language, letter.is_fallback, letter.subject) == ("en", True, "Hello")


def test_reader_gets_any_written_language_when_neither_theirs_nor_english_is_there(db):
    forum, org = f.forum(), f.organizer()
    reg = person(forum, language="en")
    ann = draft(forum, org, subjects={"uz": "Salom"})
    assert services.letter(ann, targeting.recipient_of(reg)).text_language == "uz"


# --- sending ----------------------------------------------------------------------------------

def test_send_queues_one_message_per_person_in_their_language(db):
    forum, org = f.forum(), f.organizer()
    ja = person(forum, language="ja", email="tanaka@example.jp")
    kk = person(forum, language="kk", email="aliya@example.kz")
    twice_old = person(forum, language="ru", email="ivan@example.ru", state="withdrawn")
    twice_new = person(forum, language="ru", email="ivan@example.ru", state="approved")
    person(forum, state="rejected")
    ann = draft(forum, org, subjects={"en": "Hello", "ru": "Здравствуйте", "ja": "こんにちは"},
                flt=Filter(states=tuple(s for s in Filter().states) + (twice_old.state,)))

    done = services.send(ann, confirmed=True, by=org)

    mails = announcement_mail(db)
    assert done.total == 3 and ann.recipients_count == 3 and ann.is_sent and ann.sent_by_id == org.id
    assert sorted((m.to_addr, m.language, m.subject) for m in mails) == [
        ("aliya@example.kz", "kk", "Здравствуйте"), ("ivan@example.ru", "ru", "Здравствуйте"),
        ("tanaka@example.jp", "ja", "こんにちは")]
    assert all(m.forum_id == forum.id and m.status is MailStatus.QUEUED for m in mails)
    recs = {r.email: r for r in db.session.scalars(sa.select(AnnouncementRecipient))}
    assert set(recs) == {"tanaka@example.jp", "aliya@example.kz", "ivan@example.ru"}
    assert (recs["aliya@example.kz"].language, recs["aliya@example.kz"].text_language) == ("kk", "ru")
    assert recs["ivan@example.ru"].registration_id == twice_new.id
    assert recs["tanaka@example.jp"].registration_id == ja.id and recs["aliya@example.kz"].registration_id == kk.id
    assert {r.outbox_id for r in recs.values()} == {m.id for m in mails}
    assert mails[0].body_text.startswith(f"Body {recs[mails[0].to_addr].text_language}:")
    assert mails[0].body_html and "<html" in mails[0].body_html
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "announcement"))
    assert (entry.action, entry.subject_id, entry.actor_id, entry.forum_id) == ("sent", ann.id, org.id, forum.id)
    assert entry.details["people"] == 3
    assert entry.details["by_language"] == {"ja": 1, "kk": 1, "ru": 1}


def test_a_second_send_is_refused_and_queues_nothing(db):
    forum, org = f.forum(), f.organizer()
    person(forum), person(forum)
    ann = draft(forum, org)
    services.send(ann, confirmed=True, by=org)
    with pytest.raises(InvalidState) as e:
        services.send(ann, confirmed=True, by=org)
    assert e.value.code == "already_sent"
    assert len(announcement_mail(db)) == 2


def test_sending_to_nobody_is_refused(db):
    forum, org = f.forum(), f.organizer()
    person(forum, language="ru")
    ann = draft(forum, org, flt=Filter(languages=("ja",)))
    with pytest.raises(InvalidState) as e:
        services.send(ann, confirmed=True, by=org)
    assert e.value.code == "no_recipients"
    assert not ann.is_sent and announcement_mail(db) == []


def test_sending_needs_the_confirmation(db):
    forum, org = f.forum(), f.organizer()
    person(forum)
    ann = draft(forum, org)
    with pytest.raises(InvalidInput) as e:
        services.send(ann, confirmed=False, by=org)
    assert (e.value.code, e.value.field) == ("not_confirmed", "confirm")
    assert not ann.is_sent and announcement_mail(db) == []


def test_the_address_is_the_last_guard(db):
    """Two rows for one address in one announcement are refused by the database."""
    from sqlalchemy.exc import IntegrityError

    forum, org = f.forum(), f.organizer()
    person(forum)
    ann = draft(forum, org)
    db.session.add_all([AnnouncementRecipient(announcement=ann, email="a@example.org", language="en",
                                              text_language="en") for _ in range(2)])
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_issue_scenario_all_japanese_delegates_not_yet_checked_in_each_get_it_in_japanese(db):
    forum, org = f.forum(), f.organizer()
    waiting = [person(forum, language="ja", country=c) for c in ("JP", "JP", "KZ")]
    person(forum, language="ja", checked_in=True)  # already at the venue
    person(forum, language="ru", country="JP")  # a Russian reader from a Japanese company
    person(forum, language="en")
    ann = draft(forum, org, subjects={"ja": "会場へのご案内", "en": "How to reach the venue",
                                      "ru": "Как добраться"},
                bodies={"ja": "本日のバスは9時に出発します。", "en": "The bus leaves at 9.", "ru": "Автобус в 9."},
                flt=targeting.parse({"language": ["ja"], "checked_in": ["no"]}))
    assert targeting.reach(forum.id, Filter.from_dict(ann.filters)).by_language == [("ja", 3)]

    services.send(ann, confirmed=True, by=org)

    mails = announcement_mail(db)
    assert sorted(m.to_addr for m in mails) == sorted(r.email for r in waiting)
    for m in mails:
        assert (m.language, m.subject) == ("ja", "会場へのご案内")
        assert m.body_text.startswith("本日のバスは9時に出発します。\n")


# --- sending the failed ones again --------------------------------------------------------------

def test_resend_queues_only_the_failed_ones_with_the_same_text(db):
    forum, org = f.forum(), f.organizer()
    for lang in ("ja", "ru", "kk"):
        person(forum, language=lang)
    ann = draft(forum, org)
    services.send(ann, confirmed=True, by=org)
    recs = list(db.session.scalars(sa.select(AnnouncementRecipient).order_by(AnnouncementRecipient.id)))
    failed, sent, queued = recs
    failed.outbox.status, failed.outbox.last_error = MailStatus.FAILED, "550 5.1.1 No such mailbox"
    sent.outbox.status = MailStatus.SENT
    old_failed, old_sent, old_queued = failed.outbox_id, sent.outbox_id, queued.outbox_id
    db.session.flush()

    assert services.resend_failed(ann, confirmed=True, by=org) == 1

    db.session.expire_all()
    failed, sent, queued = [db.session.get(AnnouncementRecipient, r.id) for r in recs]
    assert failed.outbox_id != old_failed and failed.outbox.status is MailStatus.QUEUED
    old = db.session.get(OutboxMessage, old_failed)
    assert (failed.outbox.subject, failed.outbox.body_text, failed.outbox.language, failed.outbox.to_addr) == (
        old.subject, old.body_text, old.language, old.to_addr)
    assert old.status is MailStatus.FAILED  # the old message stays as it was: the log of what happened
    assert (failed.resent_count, failed.last_resent_at is not None) == (1, True)
    assert (sent.outbox_id, sent.resent_count, queued.outbox_id, queued.resent_count) == (old_sent, 0, old_queued, 0)
    assert len(announcement_mail(db)) == 4
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "resent")).one()
    assert entry.details["people"] == 1 and entry.details["recipients"] == [failed.id]
    # nothing failed any more: nothing to do
    assert services.resend_failed(ann, confirmed=True, by=org) == 0
    assert len(announcement_mail(db)) == 4


def test_resend_needs_confirmation_and_a_sent_message(db):
    forum, org = f.forum(), f.organizer()
    person(forum)
    ann = draft(forum, org)
    with pytest.raises(InvalidState) as e:
        services.resend_failed(ann, confirmed=True, by=org)
    assert e.value.code == "not_sent"
    services.send(ann, confirmed=True, by=org)
    with pytest.raises(InvalidInput) as e:
        services.resend_failed(ann, confirmed=False, by=org)
    assert e.value.code == "not_confirmed"


# --- permissions ------------------------------------------------------------------------------

def test_services_refuse_anyone_without_manage(db):
    forum, other = f.forum(), f.forum()
    person(forum)
    org = f.organizer()
    ann = draft(forum, org)
    outsiders = [f.member(forum, p) for p in Permission if p is not Permission.MANAGE] + [f.member(other)]
    for user in outsiders:
        for call in (lambda: draft(forum, user),
                     lambda: services.save_draft(forum, subjects={"en": "x"}, bodies={"en": "y"}, flt=Filter(),
                                                 by=user, announcement=ann),
                     lambda: services.send(ann, confirmed=True, by=user),
                     lambda: services.resend_failed(ann, confirmed=True, by=user),
                     lambda: services.delete_draft(ann, by=user)):
            with pytest.raises(NotAllowed) as e:
                call()
            assert e.value.code == "forbidden"
    assert count(db, Announcement) == 1 and not ann.is_sent and ann.subjects["en"] == "Hello"
    services.send(ann, confirmed=True, by=f.member(forum, Permission.MANAGE))
    assert ann.is_sent


def test_send_refuses_when_the_reach_is_not_the_number_confirmed(db):
    forum, org = f.forum(), f.organizer()
    person(forum), person(forum)
    ann = draft(forum, org)
    with pytest.raises(InvalidState) as e:
        services.send(ann, confirmed=True, by=org, expected=1)
    assert e.value.code == "reach_changed" and not ann.is_sent and announcement_mail(db) == []
    assert services.send(ann, confirmed=True, by=org, expected=2).total == 2


def test_a_draft_of_another_forum_is_not_changed_through_this_one(db):
    forum, other, org = f.forum(), f.forum(), f.organizer()
    ann = draft(other, org)
    with pytest.raises(InvalidState) as e:
        services.save_draft(forum, subjects={"en": "x"}, bodies={"en": "y"}, flt=Filter(), by=org, announcement=ann)
    assert e.value.code == "other_forum" and ann.subjects["en"] == "Hello"


def test_deliveries_count_sending_and_retrying_as_queued(db):
    from forum.announcements import queries

    forum, org = f.forum(), f.organizer()
    for _ in range(5):
        person(forum)
    ann = draft(forum, org)
    services.send(ann, confirmed=True, by=org)
    recs = list(db.session.scalars(sa.select(AnnouncementRecipient).order_by(AnnouncementRecipient.id)))
    for rec, status in zip(recs, (MailStatus.SENDING, MailStatus.SENT, MailStatus.SENT, MailStatus.FAILED)):
        rec.outbox.status = status
    db.session.flush()
    got = queries.deliveries(ann.id)
    assert (got.queued, got.sent, got.failed, got.total) == (2, 2, 1, 5)
    assert [r.id for r in db.session.scalars(queries.log(ann.id, failed_only=True))] == [recs[3].id]
