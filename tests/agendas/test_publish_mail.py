"""The e-mail of a publication: one per affected delegate, in their language, saying what changed, with their
calendar attached (the same UIDs as before, so opening it updates the events)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from forum.meetings.models import MeetingPrefs, Unavailability
from forum.notifications.models import OutboxMessage
from tests import factories as f
from tests.agendas.conftest import by_uid, live, publish


def _mails(db):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "b2b_schedule_published")
                              .order_by(OutboxMessage.id)).all()


def test_the_publish_mail_lists_the_changes_and_carries_the_delegates_calendar(db, world, monkeypatch):
    forum, ja, kz, uz, org = world["forum"], world["ja"], world["kz"], world["uz"], world["org"]
    stays = f.meeting_request(ja, kz, accept=True)
    moves = f.meeting_request(uz, ja, accept=True)
    t0 = datetime(2027, 5, 1, 6, 0, tzinfo=timezone.utc)
    publish(forum, org, at=t0, monkeypatch=monkeypatch)
    first = live(db, forum)
    mails = _mails(db)
    assert sorted(m.to_addr for m in mails) == sorted([ja.email, kz.email, uz.email])  # one each
    by_to = {m.to_addr: m for m in mails}
    [att] = by_to[ja.email].attachments
    assert att["filename"] == "b2b-agenda.ics" and att["content_type"] == "text/calendar; method=PUBLISH"
    ja_cal = by_uid(att["text"].encode())
    assert set(ja_cal) == {f"{stays.public_id}@forum-b2b", f"{moves.public_id}@forum-b2b"}
    assert set(by_uid(by_to[kz.email].attachments[0]["text"].encode())) == {f"{stays.public_id}@forum-b2b"}
    assert "Oʻtkir" not in by_to[kz.email].attachments[0]["text"]  # kz's calendar: kz's meetings only
    assert f"/forums/{forum.slug}/b2b/agenda" in by_to[ja.email].body_text
    assert "b2b-agenda.ics" in by_to[uz.email].body_text

    # Second publication: uz's meeting moves, kz leaves. ja gets one mail saying both, with the calendar updated.
    db.session.add(Unavailability(registration_id=uz.id, slot_id=first[moves.id].slot_id))
    db.session.add(MeetingPrefs(registration_id=kz.id, opted_out=True))
    before = len(mails)
    publish(forum, org, at=t0 + timedelta(days=1), monkeypatch=monkeypatch)
    second = live(db, forum)
    new = _mails(db)[before:]
    assert sorted(m.to_addr for m in new) == sorted([ja.email, uz.email])  # kz no longer takes part: no mail
    mail = next(m for m in new if m.to_addr == ja.email)
    body = mail.body_text
    old_t, new_t = (forum.local(first[moves.id].slot.starts_at), forum.local(second[moves.id].slot.starts_at))
    moved_at = body.index("移動：Oʻtkir Gʻaniyev (Otkir Ganiyev)")
    assert f"{old_t:%H:%M}" in body[moved_at:] and f"{new_t:%H:%M}" in body[moved_at:]
    assert "移動：Oʻtkir Gʻaniyev (Otkir Ganiyev)" in body  # ja reads Japanese: "Moved: ..."
    assert "取り消し：Әлия Нұрланқызы (Aliya Nurlankyzy)" in body  # "Cancelled: ..."
    assert "Әлия Нұрланқызы (Aliya Nurlankyzy)様がB2B商談に参加しなくなったか" in body  # and why
    cal = by_uid(mail.attachments[0]["text"].encode())
    assert str(cal[f"{stays.public_id}@forum-b2b"]["STATUS"]) == "CANCELLED"
    assert cal[f"{moves.public_id}@forum-b2b"]["DTSTART"].dt == second[moves.id].slot.starts_at
    assert int(cal[f"{moves.public_id}@forum-b2b"]["SEQUENCE"]) > 0


def test_the_mail_and_its_calendar_are_in_the_delegates_language(db, world, monkeypatch):
    forum, ja, kz, org = world["forum"], world["ja"], world["kz"], world["org"]
    f.meeting_request(ja, kz, accept=True)
    publish(forum, org, at=datetime(2027, 5, 1, 6, 0, tzinfo=timezone.utc), monkeypatch=monkeypatch)
    by_to = {m.to_addr: m for m in _mails(db)}
    ja_mail, kz_mail = by_to[ja.email], by_to[kz.email]
    assert ja_mail.language == "ja" and kz_mail.language == "ru"
    [ev] = by_uid(ja_mail.attachments[0]["text"].encode()).values()
    assert "カザフスタン" in str(ev["DESCRIPTION"])
    [ev] = by_uid(kz_mail.attachments[0]["text"].encode()).values()
    assert "Япония" in str(ev["DESCRIPTION"])
    assert "田中 健一 (TANAKA Kenichi)" in str(ev["SUMMARY"])
