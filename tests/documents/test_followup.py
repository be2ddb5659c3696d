"""Follow-up of the documents (documents.followup): status and next review, dated notes by the organizers and the
parties' contact persons, the documents due for review (in the forum's time zone), the weekly digest (once per
recipient and ISO week, raced on PostgreSQL), the worker's hook and the command, and the organizers' pages."""
from __future__ import annotations

import threading
import unicodedata
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.db import db as _db
from forum.documents import followup
from forum.documents.models import DigestSent, Document, FollowUpNote, FollowUpStatus
from forum.errors import DomainError
from forum.notifications import worker
from forum.notifications.models import OutboxMessage
from forum.registration import states
from forum.registration.models import RegState
from forum.teams import services as teams
from forum.teams.models import Permission
from forum.urls import external_url
from tests import factories as f

ALMATY = ZoneInfo("Asia/Almaty")
SIGNED = date(2026, 11, 2)
# Monday 23 November 2026, 08:00 in Astana: the first moment ISO week 2026-W48's digest may go out there.
MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=ALMATY).astimezone(timezone.utc)


@pytest.fixture()
def at(monkeypatch):
    """Set the app's clock: at(datetime)."""
    def _set(when: datetime) -> datetime:
        monkeypatch.setattr(clock, "now", lambda: when)
        return when
    return _set


def _audits(doc, action):
    return _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "document",
                                                           AuditEntry.subject_id == doc.id,
                                                           AuditEntry.action == action)).all()


def _refused(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as e:
        fn(*args, **kw)
    return e.value


def _notes(doc):
    return _db.session.scalars(sa.select(FollowUpNote).where(FollowUpNote.document_id == doc.id)).all()


def _party_company(forum, **kw):
    """A company with one approved delegate; returns (company, the delegate's user)."""
    company = f.company(forum, 1, **kw)
    states.transition(company.delegates[0], RegState.APPROVED, by=None, notify=False)
    return company, company.delegates[0].user


def _digests():
    return _db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "documents_digest")
                               .order_by(OutboxMessage.id)).all()


# --- status and next review ------------------------------------------------------------------------------------

def test_status_and_review_date_are_set_with_an_audit_entry_of_before_and_after(db):
    forum = f.forum()
    org = f.member(forum, Permission.DOCUMENTS)
    doc = f.document(forum, signed_on=SIGNED)
    assert followup.set_status(doc, "in_progress", "2027-02-01", by=org) is True
    assert (doc.status, doc.next_review_on) == (FollowUpStatus.IN_PROGRESS, date(2027, 2, 1))
    [entry] = _audits(doc, "follow_up")
    assert (entry.actor_id, entry.forum_id, entry.from_state, entry.to_state) == (org.id, forum.id, "signed",
                                                                                  "in_progress")
    assert entry.details["before"] == {"status": "signed", "next_review_on": None}
    assert entry.details["after"] == {"status": "in_progress", "next_review_on": "2027-02-01"}
    # the same again changes nothing and logs nothing; clearing the date is a change
    assert followup.set_status(doc, FollowUpStatus.IN_PROGRESS, date(2027, 2, 1), by=org) is False
    assert len(_audits(doc, "follow_up")) == 1
    assert followup.set_status(doc, "in_progress", "", by=org) is True
    assert doc.next_review_on is None and len(_audits(doc, "follow_up")) == 2


def test_a_review_on_the_signing_date_is_accepted_and_the_day_before_is_refused_changing_nothing(db):
    forum = f.forum()
    org = f.organizer()
    doc = f.document(forum, signed_on=SIGNED)
    e = _refused(followup.set_status, doc, "stalled", "2026-11-01", by=org)
    assert (e.code, e.field) == ("review_before_signing", "next_review_on")
    assert (doc.status, doc.next_review_on) == (FollowUpStatus.SIGNED, None)  # the status was not saved either
    assert _audits(doc, "follow_up") == []
    assert followup.set_status(doc, "stalled", "2026-11-02", by=org)
    assert doc.next_review_on == SIGNED


@pytest.mark.parametrize("status, review, code, field", [
    ("finished", "2027-01-01", "invalid_status", "status"),
    ("", "2027-01-01", "invalid_status", "status"),
    ("signed", "2027-02-30", "invalid_date", "next_review_on"),
    ("signed", "01.02.2027", "invalid_date", "next_review_on"),
    ("signed", "２０２７-０１-０１", "invalid_date", "next_review_on"),  # full-width digits
    ("signed", "2027-1-1", "invalid_date", "next_review_on"),
])
def test_bad_status_or_date_is_refused_with_a_code_and_nothing_changes(db, status, review, code, field):
    forum = f.forum()
    doc = f.document(forum, signed_on=SIGNED, next_review_on=date(2027, 3, 1), status=FollowUpStatus.STALLED)
    e = _refused(followup.set_status, doc, status, review, by=f.organizer())
    assert (e.code, e.field) == (code, field)
    assert (doc.status, doc.next_review_on) == (FollowUpStatus.STALLED, date(2027, 3, 1))
    assert _audits(doc, "follow_up") == []


def test_a_withdrawn_document_refuses_follow_up_changes_and_notes(db):
    forum = f.forum()
    org = f.organizer()
    doc = f.document(forum, signed_on=SIGNED, withdrawn_at=clock.now(), withdrawn_reason="Signed twice")
    assert _refused(followup.set_status, doc, "implemented", None, by=org).code == "withdrawn"
    assert _refused(followup.add_note, doc, SIGNED, "Still going", by=org).code == "withdrawn"
    assert doc.status is FollowUpStatus.SIGNED and _notes(doc) == [] and _audits(doc, "note_added") == []


def test_only_the_documents_team_sets_the_status(db):
    forum = f.forum()
    doc = f.document(forum, signed_on=SIGNED)
    for user in (f.member(forum, Permission.REVIEW), f.member(f.forum(), Permission.DOCUMENTS), f.user()):
        assert _refused(followup.set_status, doc, "implemented", None, by=user).code == "forbidden"
    company, _delegate = _party_company(forum)
    party_doc = f.document(forum, parties=[company, dict(organisation="Ministry", country="KZ", kind="government",
                                                         signatory_name="Ерлан Ахметов")])
    assert _refused(followup.set_status, party_doc, "implemented", None, by=company.contact_user).code == "forbidden"
    assert doc.status is FollowUpStatus.SIGNED and party_doc.status is FollowUpStatus.SIGNED
    assert followup.set_status(doc, "implemented", None, by=f.member(forum, Permission.MANAGE))


# --- notes -----------------------------------------------------------------------------------------------------

def test_an_organizer_writes_a_note_stored_nfc_and_trimmed_with_an_audit_entry(db):
    forum = f.forum()
    org = f.member(forum, Permission.DOCUMENTS)
    doc = f.document(forum, signed_on=SIGNED)
    decomposed = unicodedata.normalize(
        "NFD", "  Toshkent viloyati hokimligi bilan uchrashuv boʻldi. Алексей Ёлкин: «дорожная карта» ")
    note = followup.add_note(doc, followup.today_in(forum).isoformat(), decomposed, by=org)
    assert note.text == unicodedata.normalize("NFC", decomposed.strip()) and note.text != decomposed.strip()
    assert "boʻldi" in note.text  # the Uzbek ʻ (U+02BB) is kept
    assert (note.party, note.author_id, note.noted_on) == (None, org.id, followup.today_in(forum))
    [entry] = _audits(doc, "note_added")
    assert entry.actor_id == org.id and entry.details["note_id"] == note.id and entry.details["party_id"] is None


def test_a_partys_contact_person_writes_for_their_party_and_nobody_else_of_the_parties_may(db):
    forum = f.forum()
    ours, our_delegate = _party_company(forum, legal_name="Qazaq Su Tazartu JSC")
    theirs, their_delegate = _party_company(forum, legal_name="株式会社青葉")
    stranger, _ = _party_company(forum)
    doc = f.document(forum, parties=[ours, theirs], signed_on=SIGNED)
    note = followup.add_note(doc, SIGNED, "Жобаның техникалық-экономикалық негіздемесі дайын.", by=ours.contact_user)
    assert note.party.company_id == ours.id and note.party.organisation == "Qazaq Su Tazartu JSC"
    assert followup.add_note(doc, SIGNED, "工場の見学を行いました。", by=theirs.contact_user).party.company_id == theirs.id
    for user in (our_delegate, their_delegate, stranger.contact_user, f.member(forum, Permission.B2B), f.user()):
        assert _refused(followup.add_note, doc, SIGNED, "Let me in", by=user).code == "not_allowed"
    assert len(_notes(doc)) == 2 and len(_audits(doc, "note_added")) == 2


def test_a_contact_person_cannot_note_a_confidential_document(db):
    forum = f.forum()
    ours, _ = _party_company(forum)
    doc = f.document(forum, parties=[ours, dict(organisation="Ministry", country="KZ", kind="government",
                                                signatory_name="Ерлан Ахметов")], confidentiality="confidential")
    assert _refused(followup.add_note, doc, SIGNED, "Hello", by=ours.contact_user).code == "not_allowed"
    assert _notes(doc) == []


@pytest.mark.parametrize("text, code", [("", "note_empty"), ("  \n\t ", "note_empty"), ("あ" * 2001, "note_too_long")])
def test_a_note_needs_1_to_2000_characters(db, text, code):
    forum = f.forum()
    doc = f.document(forum, signed_on=SIGNED)
    e = _refused(followup.add_note, doc, SIGNED, text, by=f.organizer())
    assert (e.code, e.field) == (code, "text")
    assert _notes(doc) == [] and _audits(doc, "note_added") == []


def test_a_note_of_exactly_2000_characters_is_kept_whole(db):
    forum = f.forum()
    doc = f.document(forum, signed_on=SIGNED)
    assert len(followup.add_note(doc, SIGNED, "ә" * 2000, by=f.organizer()).text) == 2000


@pytest.mark.parametrize("noted_on, code", [("", "date_required"), (None, "date_required"),
                                            ("yesterday", "invalid_date"), ("2026-13-01", "invalid_date")])
def test_a_note_needs_a_date(db, noted_on, code):
    forum = f.forum()
    doc = f.document(forum, signed_on=SIGNED)
    e = _refused(followup.add_note, doc, noted_on, "Met in Tashkent", by=f.organizer())
    assert (e.code, e.field) == (code, "noted_on") and _notes(doc) == []


def test_a_note_may_be_dated_today_in_the_forums_zone_but_not_tomorrow(db, at):
    # 19:30 UTC on the 23rd is already 00:30 on the 24th in Astana.
    now = at(datetime(2026, 11, 23, 19, 30, tzinfo=timezone.utc))
    astana, utc_forum = f.forum(tz="Asia/Almaty"), f.forum(tz="UTC")
    assert astana.local(now).date() == date(2026, 11, 24)
    org = f.organizer()
    a, u = f.document(astana, signed_on=SIGNED), f.document(utc_forum, signed_on=SIGNED)
    assert followup.add_note(a, "2026-11-24", "Signed the road map", by=org).noted_on == date(2026, 11, 24)
    e = _refused(followup.add_note, u, "2026-11-24", "Signed the road map", by=org)
    assert (e.code, e.field) == ("note_in_future", "noted_on") and _notes(u) == []
    assert followup.add_note(u, "2026-11-23", "Signed the road map", by=org).noted_on == date(2026, 11, 23)
    assert _refused(followup.add_note, a, "2026-11-25", "Plans", by=org).code == "note_in_future"


def test_notes_are_listed_newest_first_by_their_date(db):
    forum = f.forum()
    org = f.organizer()
    doc = f.document(forum, signed_on=SIGNED)
    first = followup.add_note(doc, "2026-11-10", "Second meeting", by=org)
    older = followup.add_note(doc, "2026-11-03", "First meeting", by=org)
    same_day = followup.add_note(doc, "2026-11-10", "Minutes sent", by=org)
    assert [n.id for n in followup.notes_of(doc)] == [same_day.id, first.id, older.id]
    assert followup.last_notes([doc]) == {doc.id: same_day}


# --- due for review --------------------------------------------------------------------------------------------

def test_due_is_counted_in_the_forums_time_zone_around_midnight(db, at):
    now = at(datetime(2026, 11, 23, 19, 30, tzinfo=timezone.utc))  # Astana: 24 Nov 00:30; UTC: 23 Nov 19:30
    astana, utc_forum = f.forum(tz="Asia/Almaty"), f.forum(tz="UTC")
    a = f.document(astana, signed_on=SIGNED, next_review_on=date(2026, 11, 24))
    u = f.document(utc_forum, signed_on=SIGNED, next_review_on=date(2026, 11, 24))
    assert followup.today_in(astana) == date(2026, 11, 24) and followup.today_in(utc_forum) == date(2026, 11, 23)
    assert followup.due(astana) == [a]
    assert followup.due(utc_forum) == []
    at(now + timedelta(hours=4, minutes=30))  # midnight in UTC
    assert followup.due(utc_forum) == [u]
    assert followup.due(astana, date(2026, 11, 23)) == []  # the day before its date: not yet


def test_due_leaves_out_closed_withdrawn_undated_and_other_forums_documents_and_puts_the_oldest_first(db):
    forum, other = f.forum(), f.forum()
    today = date(2026, 12, 1)
    kw = dict(signed_on=SIGNED)
    later = f.document(forum, next_review_on=date(2026, 11, 30), **kw)
    oldest = f.document(forum, next_review_on=date(2026, 11, 10), status=FollowUpStatus.STALLED, **kw)
    today_doc = f.document(forum, next_review_on=today, status=FollowUpStatus.IN_PROGRESS, **kw)
    same_date = f.document(forum, next_review_on=date(2026, 11, 30), **kw)
    f.document(forum, next_review_on=today + timedelta(days=1), **kw)  # not yet
    f.document(forum, next_review_on=date(2026, 11, 5), status=FollowUpStatus.IMPLEMENTED, **kw)
    f.document(forum, next_review_on=date(2026, 11, 5), status=FollowUpStatus.CANCELLED, **kw)
    f.document(forum, next_review_on=date(2026, 11, 5), withdrawn_at=clock.now(), withdrawn_reason="Duplicate", **kw)
    f.document(forum, **kw)  # no review planned
    f.document(other, next_review_on=date(2026, 11, 5), **kw)
    assert followup.due(forum, today) == [oldest, later, same_date, today_doc]
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(
        Document.forum_id == forum.id, followup.due_condition(today))) == 4


# --- the weekly digest -----------------------------------------------------------------------------------------

def test_the_digest_goes_to_active_team_members_with_the_documents_permission_only(db):
    forum = f.forum()
    docs = f.member(forum, Permission.DOCUMENTS)
    manager = f.member(forum, Permission.MANAGE)
    admin_on_team = f.organizer()
    teams.grant(forum, admin_on_team, [Permission.DOCUMENTS], by=None)
    f.member(forum, Permission.REVIEW, Permission.CHECKIN, Permission.B2B)  # no documents permission
    f.organizer()  # a site administrator who is not on the team
    f.member(f.forum(), Permission.DOCUMENTS)  # another forum's team
    gone = f.member(forum, Permission.DOCUMENTS)
    gone.active = False
    assert followup.digest_recipients(forum) == sorted([docs, manager, admin_on_team], key=lambda u: u.id)


def _digest_world(language="en", titles=None):
    forum = f.forum(slug="central-asia-japan")
    member = f.member(forum, Permission.DOCUMENTS, name="Айгерим Сейітова", language=language)
    due_doc = f.document(forum, signed_on=SIGNED, next_review_on=date(2026, 11, 20),
                         status=FollowUpStatus.IN_PROGRESS, titles=titles)
    due_today = f.document(forum, signed_on=SIGNED, next_review_on=date(2026, 11, 23))
    tomorrow = f.document(forum, signed_on=SIGNED, next_review_on=date(2026, 11, 24))  # not in this digest
    return forum, member, due_doc, due_today, tomorrow


def test_the_digest_lists_each_due_document_with_a_link_to_its_page(db):
    forum, member, due_doc, due_today, tomorrow = _digest_world()
    result = followup.send_weekly_digests(MONDAY_8)
    assert (result.forums, result.sent, result.skipped) == (1, 1, 0)
    [mail] = _digests()
    assert (mail.to_addr, mail.to_name, mail.forum_id, mail.language) == (member.email, "Айгерим Сейітова",
                                                                          forum.id, "en")
    assert mail.subject == "Central Asia + Japan Business Forum: 2 documents due for review"
    body = mail.body_text
    assert body.index(due_doc.reference) < body.index(due_today.reference)  # the longest waiting first
    assert "Memorandum of understanding on water treatment" in body
    assert "Aoba Trading Co., Ltd. (Japan); Қазақстан сауда-өнеркәсіп палатасы (Kazakhstan)" in body
    assert "Status: In progress" in body and "Status: Signed" in body
    assert "Nov 20, 2026 (3 days overdue)" in body and "Nov 23, 2026" in body
    assert external_url(followup.detail_endpoint(), slug=forum.slug, doc_id=due_doc.id) in body
    assert "http://forum.test/manage/central-asia-japan/documents/review-due" in body
    assert tomorrow.reference not in body
    assert _db.session.scalars(sa.select(DigestSent.week)).all() == ["2026-W48"]


def test_the_digest_is_written_in_the_recipients_language(db):
    forum, member, due_doc, *_ = _digest_world(language="ru", titles={
        "en": "Agreement on a joint venture", "ru": "Соглашение о совместном предприятии"})
    followup.send_weekly_digests(MONDAY_8)
    [mail] = _digests()
    assert mail.language == "ru"
    assert "Соглашение о совместном предприятии" in mail.body_text
    assert "Agreement on a joint venture" not in mail.body_text
    assert "Айгерим Сейітова" in mail.body_text


def test_one_digest_per_recipient_and_iso_week(db):
    forum, member, *_ = _digest_world()
    other = f.member(forum, Permission.MANAGE)
    assert followup.send_weekly_digests(MONDAY_8).sent == 2
    for later in (timedelta(hours=1), timedelta(days=3), timedelta(days=6, hours=15, minutes=59)):  # to Sunday 23:59
        assert followup.send_weekly_digests(MONDAY_8 + later) == followup.DigestResult(1, 0, 2)
    assert len(_digests()) == 2
    next_week = followup.send_weekly_digests(MONDAY_8 + timedelta(days=7))
    assert next_week.sent == 2
    assert sorted(m.to_addr for m in _digests()) == sorted([member.email, other.email] * 2)
    assert sorted(_db.session.scalars(sa.select(DigestSent.week))) == ["2026-W48"] * 2 + ["2026-W49"] * 2


def test_no_digest_before_monday_eight_in_the_forums_zone(db):
    _digest_world()
    assert followup.send_weekly_digests(MONDAY_8 - timedelta(minutes=1)).sent == 0
    assert _digests() == [] and _db.session.scalars(sa.select(DigestSent)).all() == []
    # At 07:59 in Astana it is already Monday 08:00 further east: Tokyo's forum gets its digest.
    tokyo = f.forum(tz="Asia/Tokyo")
    f.member(tokyo, Permission.DOCUMENTS)
    f.document(tokyo, signed_on=SIGNED, next_review_on=date(2026, 11, 23))
    assert followup.send_weekly_digests(MONDAY_8 - timedelta(minutes=1)).sent == 1
    assert followup.send_weekly_digests(MONDAY_8).sent == 1  # and now Astana's
    assert len(_digests()) == 2


def test_a_worker_first_running_later_in_the_week_sends_that_weeks_digest_at_any_hour(db):
    _digest_world()
    tuesday_3am = datetime(2026, 11, 24, 3, 0, tzinfo=ALMATY)
    assert followup.digest_week(f.forum(), tuesday_3am) == "2026-W48"
    assert followup.send_weekly_digests(tuesday_3am.astimezone(timezone.utc)).sent == 1
    assert followup.send_weekly_digests(MONDAY_8 + timedelta(days=7) - timedelta(seconds=1)).sent == 0  # W49, 07:59
    assert _db.session.scalars(sa.select(DigestSent.week)).all() == ["2026-W48"]


def test_no_digest_when_nothing_is_due(db):
    forum = f.forum()
    f.member(forum, Permission.DOCUMENTS)
    f.document(forum, signed_on=SIGNED, next_review_on=date(2026, 11, 24))
    f.document(forum, signed_on=SIGNED, next_review_on=date(2026, 11, 1), status=FollowUpStatus.IMPLEMENTED)
    f.document(forum, signed_on=SIGNED, next_review_on=date(2026, 11, 1), withdrawn_at=clock.now(),
               withdrawn_reason="Duplicate")
    assert followup.send_weekly_digests(MONDAY_8) == followup.DigestResult(0, 0, 0)
    assert _digests() == [] and _db.session.scalars(sa.select(DigestSent)).all() == []


def test_two_workers_at_once_send_each_digest_once(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race on PostgreSQL's unique index; this run is on " + db.engine.dialect.name)
    forum = f.forum()
    people = [f.member(forum, Permission.DOCUMENTS) for _ in range(3)]
    f.document(forum, signed_on=SIGNED, next_review_on=date(2026, 11, 20))
    db.session.commit()
    n = 6
    barrier, errors, results = threading.Barrier(n), [], []

    def runner():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results.append(followup.send_weekly_digests(MONDAY_8 + timedelta(hours=2)))
                _db.session.commit()
            except Exception as e:  # noqa: BLE001 - asserted below
                errors.append(e)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == []
    assert sum(r.sent for r in results) == 3 and sum(r.skipped for r in results) == 3 * (n - 1)
    assert sorted(m.to_addr for m in _digests()) == sorted(p.email for p in people)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DigestSent)) == 3


def test_a_rolled_back_run_leaves_the_digest_to_send(db):
    _digest_world()
    db.session.commit()
    assert followup.send_weekly_digests(MONDAY_8).sent == 1
    db.session.rollback()  # e.g. the worker crashed before committing: neither the mark nor the mail stays
    assert _digests() == []
    assert followup.send_weekly_digests(MONDAY_8 + timedelta(hours=1)).sent == 1


# --- the worker's hook and the command ---------------------------------------------------------------------------

def test_the_worker_looks_at_most_once_an_hour(db, monkeypatch):
    _digest_world()
    calls = []
    real = followup.send_weekly_digests
    monkeypatch.setattr(followup, "send_weekly_digests", lambda now: calls.append(now) or real(now))
    ran = worker.send_digests(None, MONDAY_8)
    assert ran == MONDAY_8 and calls == [MONDAY_8] and len(_digests()) == 1
    assert worker.send_digests(ran, MONDAY_8 + timedelta(minutes=59)) == MONDAY_8 and len(calls) == 1
    assert worker.send_digests(ran, MONDAY_8 + timedelta(hours=1)) == MONDAY_8 + timedelta(hours=1)
    assert len(calls) == 2 and len(_digests()) == 1  # looked again; this week's digest was sent already


def test_the_worker_commits_the_digest_and_survives_a_failure(app, db, monkeypatch):
    _digest_world()
    db.session.commit()
    before = worker.send_digests(None, MONDAY_8 - timedelta(hours=1))  # Monday 07:00 in Astana: nothing yet
    assert before == MONDAY_8 - timedelta(hours=1) and _digests() == []
    worker.send_digests(before, MONDAY_8)
    db.session.rollback()  # what the worker committed stays
    assert len(_digests()) == 1

    def boom(now):
        raise RuntimeError("database went away")

    monkeypatch.setattr(followup, "send_weekly_digests", boom)
    assert worker.send_digests(None, MONDAY_8 + timedelta(days=7)) == MONDAY_8 + timedelta(days=7)  # logged, not raised


def test_the_worker_loop_queues_the_digest_and_sends_it_in_the_same_round(app, db, at, monkeypatch):
    _digest_world()
    db.session.commit()
    # The next Monday 08:05 in Astana (ahead of the real clock, which the outbox's column defaults still read).
    local = clock.now().astimezone(ALMATY)
    monday = (local + timedelta(days=7 - local.weekday())).replace(hour=8, minute=5, second=0, microsecond=0)
    at(monday.astimezone(timezone.utc))

    class Stop(Exception):
        pass

    def stop(_seconds):
        raise Stop

    monkeypatch.setattr(worker.time, "sleep", stop)
    monkeypatch.setattr(worker.Transport, "send", lambda self, em, msg_id: None)
    with pytest.raises(Stop):
        worker.run_forever(batch=50)
    db.session.rollback()
    assert [m.status.value for m in _digests()] == ["sent"]


def test_the_digest_command(app, db):
    _digest_world()
    db.session.commit()
    runner = app.test_cli_runner()
    r = runner.invoke(args=["documents", "digest", "--now", "2026-11-23T07:59+05:00"])
    assert r.exit_code == 0, r.output
    assert "0 digest(s) queued" in r.output
    r = runner.invoke(args=["documents", "digest", "--now", MONDAY_8.isoformat()])
    assert r.exit_code == 0, r.output
    assert "1 digest(s) queued for 1 forum(s)" in r.output
    r = runner.invoke(args=["documents", "digest", "--now", MONDAY_8.isoformat()])
    assert "0 digest(s) queued" in r.output and "1 already sent this week" in r.output
    assert len(_digests()) == 1
    assert runner.invoke(args=["documents", "digest", "--now", "next monday"]).exit_code == 2


# --- the organizers' pages ---------------------------------------------------------------------------------------

def test_the_review_due_page_lists_the_due_documents_with_their_last_note(client, db, login, at):
    at(datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc))
    forum = f.forum(slug="astana")
    org = login(f.member(forum, Permission.DOCUMENTS))
    doc = f.document(forum, signed_on=SIGNED, next_review_on=date(2026, 11, 20))
    later = f.document(forum, signed_on=SIGNED, next_review_on=date(2026, 12, 20))
    followup.add_note(doc, "2026-11-21", "Жол картасы келісілді", by=org)
    html = client.get("/manage/astana/documents/review-due").get_data(as_text=True)
    assert doc.reference in html and "5 days overdue" in html and "Жол картасы келісілді" in html
    assert "1 document is due for review." in html
    assert f"/manage/astana/documents/{doc.id}/follow-up" in html
    assert later.reference not in html


def test_the_review_due_page_says_when_nothing_is_due(client, db, login):
    forum = f.forum(slug="astana")
    login(f.member(forum, Permission.DOCUMENTS))
    f.document(forum, next_review_on=date(2099, 1, 1))
    r = client.get("/manage/astana/documents/review-due")
    assert r.status_code == 200 and "No document is due for review." in r.get_data(as_text=True)


def test_the_status_form_saves_and_goes_back_to_the_page_it_came_from(client, db, login, post):
    forum = f.forum(slug="astana")
    login(f.member(forum, Permission.DOCUMENTS))
    doc = f.document(forum, signed_on=SIGNED)
    url = f"/manage/astana/documents/{doc.id}/follow-up"
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}"' in page and f'action="/manage/astana/documents/{doc.id}/notes"' in page
    r = post(url, {"status": "in_progress", "next_review_on": "2027-03-01", "next": "/manage/astana/documents/"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/manage/astana/documents/")
    db.session.refresh(doc)
    assert (doc.status, doc.next_review_on) == (FollowUpStatus.IN_PROGRESS, date(2027, 3, 1))
    r = post(url, {"status": "implemented", "next_review_on": "", "next": "//evil.example"})
    assert r.status_code == 302 and "evil" not in r.headers["Location"]


def test_a_refused_status_shows_the_error_next_to_the_field_keeps_the_input_and_saves_nothing(client, db, login, post):
    forum = f.forum(slug="astana")
    login(f.member(forum, Permission.DOCUMENTS))
    doc = f.document(forum, signed_on=SIGNED)
    r = post(f"/manage/astana/documents/{doc.id}/follow-up", {"status": "stalled", "next_review_on": "2026-10-01"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="fu-next_review_on-error"' in html and "cannot be before the document was signed" in html
    assert 'value="2026-10-01"' in html and '<option selected value="stalled">' in html
    db.session.refresh(doc)
    assert (doc.status, doc.next_review_on) == (FollowUpStatus.SIGNED, None) and _audits(doc, "follow_up") == []


def test_the_note_form_adds_a_note_and_a_refusal_keeps_the_text(client, db, login, post, at):
    at(datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc))
    forum = f.forum(slug="astana")
    login(f.member(forum, Permission.DOCUMENTS, name="Дилноза Юсупова"))
    doc = f.document(forum, signed_on=SIGNED)
    url = f"/manage/astana/documents/{doc.id}/notes"
    r = post(url, {"noted_on": "2026-12-01", "text": "Loyiha boʻyicha uchrashuv"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="note-noted_on-error"' in html and "Loyiha boʻyicha uchrashuv</textarea>" in html
    assert _notes(doc) == []
    r = post(url, {"noted_on": "2026-11-25", "text": "Loyiha boʻyicha uchrashuv"})
    assert r.status_code == 302
    [note] = _notes(doc)
    assert note.text == "Loyiha boʻyicha uchrashuv" and note.noted_on == date(2026, 11, 25)
    page = client.get(f"/manage/astana/documents/{doc.id}/follow-up").get_data(as_text=True)
    assert "Loyiha boʻyicha uchrashuv" in page and "Дилноза Юсупова" in page


def test_another_forums_document_is_not_found(client, db, login, post):
    forum = f.forum(slug="astana")
    login(f.member(forum, Permission.DOCUMENTS))
    elsewhere = f.document(f.forum(slug="tashkent"), signed_on=SIGNED)
    assert client.get(f"/manage/astana/documents/{elsewhere.id}/follow-up").status_code == 404
    assert post(f"/manage/astana/documents/{elsewhere.id}/notes",
                {"noted_on": "2026-11-20", "text": "x"}).status_code == 404
    assert post(f"/manage/astana/documents/{elsewhere.id}/follow-up", {"status": "cancelled"}).status_code == 404
    assert _notes(elsewhere) == [] and _db.session.get(Document, elsewhere.id).status is FollowUpStatus.SIGNED


def test_the_partial_renders_inside_another_page_with_only_the_document_and_the_forum(app, db, login):
    from flask import render_template_string
    from flask_login import login_user

    forum = f.forum(slug="astana")
    org = f.member(forum, Permission.DOCUMENTS)
    doc = f.document(forum, signed_on=SIGNED, next_review_on=date(2027, 1, 10), status=FollowUpStatus.STALLED)
    followup.add_note(doc, SIGNED, "Әкімдікпен кездесу өтті", by=org)
    with app.test_request_context(f"/manage/astana/documents/{doc.id}"):
        login_user(org)
        html = render_template_string('{% include "documents/manage/_detail_followup.html" %}', doc=doc, forum=forum)
    assert f'action="/manage/astana/documents/{doc.id}/follow-up"' in html
    assert f'name="next" type="hidden" value="/manage/astana/documents/{doc.id}"' in html  # back to that page
    assert '<option selected value="stalled">' in html and 'value="2027-01-10"' in html
    assert "Әкімдікпен кездесу өтті" in html and "organizers" in html
