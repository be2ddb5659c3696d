"""The organizer's pages: compose (count, save, errors by field), the draft and its confirmation, preview as a
recipient, send, the log with each delivery's fate (a real SMTP refusal), resend the failed ones."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext

from forum.announcements import services
from forum.announcements.models import Announcement, AnnouncementRecipient
from forum.announcements.targeting import Filter
from forum.notifications.models import MailStatus, OutboxMessage
from forum.notifications.worker import send_due
from tests import factories as f
from tests.announcements.people import draft, person
from tests.test_query_counts import statements_for

TEXTS = {"subject_en": "Bus to the venue", "body_en": "The bus leaves at 9.",
         "subject_ru": "Автобус до площадки", "body_ru": "Автобус отправляется в 9."}


def base(slug: str) -> str:
    return f"/manage/{slug}/messages"


def announcement_mail(db):
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "announcement")
                                   .order_by(OutboxMessage.id)))


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def form(**extra) -> dict:
    data = {"state": ["", "pending", "approved", "waitlisted"], "late": "any", "checked_in": "any",
            "meetings": "any", "action": "save", **TEXTS}
    data.update(extra)
    return data


# --- compose ----------------------------------------------------------------------------------

def test_compose_page_has_a_fieldset_per_language_with_lang_attributes(client, db, login):
    forum = f.forum()
    login(f.organizer())
    html = client.get(base(forum.slug) + "/new").get_data(as_text=True)
    for code in ("en", "ja", "ru", "kk", "uz"):
        assert re.search(rf'<fieldset[^>]*id="texts-{code}"', html)
        assert re.search(rf'<input[^>]*id="subject_{code}"[^>]*lang="{code}"|<input[^>]*lang="{code}"[^>]*'
                         rf'id="subject_{code}"', html)
        assert re.search(rf'<textarea[^>]*lang="{code}"[^>]*id="body_{code}"|<textarea[^>]*id="body_{code}"[^>]*'
                         rf'lang="{code}"', html)
    assert '<label class="d-inline" for="subject_ja">' in html


def test_a_link_prefills_the_filter_and_shows_whom_it_reaches(client, db, login):
    forum = f.forum()
    person(forum, language="ja"), person(forum, language="ja", checked_in=True), person(forum, language="ru")
    login(f.organizer())
    html = client.get(base(forum.slug) + "/new?language=ja&checked_in=no").get_data(as_text=True)
    assert "This will reach 1 person: 1 ja" in html
    assert re.search(r'<input[^>]*checked[^>]*id="language-1"|<input[^>]*id="language-1"[^>]*checked', html)


def test_a_bad_filter_in_the_link_is_a_400_with_the_error_by_its_field(client, db, login):
    forum = f.forum()
    login(f.organizer())
    r = client.get(base(forum.slug) + "/new?language=de&late=perhaps")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert 'aria-describedby="language-error"' in html and 'id="language-error"' in html
    assert 'id="late-error"' in html


def test_count_shows_the_reach_and_saves_nothing(client, db, login, post):
    forum = f.forum()
    for lang in ("ja", "ja", "kk"):
        person(forum, language=lang)
    login(f.organizer())
    r = post(base(forum.slug) + "/new", form(action="count"))
    assert r.status_code == 200
    assert "This will reach 3 people: 2 ja, 1 kk" in r.get_data(as_text=True)
    assert count(db, Announcement) == 0


def test_saving_a_valid_draft(client, db, login, post):
    forum = f.forum()
    person(forum)
    org = login(f.organizer())
    r = post(base(forum.slug) + "/new", form(language=["ja", "ru"], country="JP"))
    assert r.status_code == 303
    ann = db.session.scalars(sa.select(Announcement)).one()
    assert r.headers["Location"].endswith(f"{base(forum.slug)}/{ann.id}")
    assert ann.subjects == {"en": "Bus to the venue", "ru": "Автобус до площадки"}
    assert (ann.filters["language"], ann.filters["country"], ann.created_by_id) == (["ja", "ru"], ["JP"], org.id)


def test_text_errors_are_next_to_their_fields_and_nothing_is_saved(client, db, login, post):
    forum = f.forum()
    login(f.organizer())
    r = post(base(forum.slug) + "/new", form(subject_ja="件名だけ", subject_en="Two\r\nlines"))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r'id="body_ja"[^>]*aria-describedby="body_ja-error"|aria-describedby="body_ja-error"[^>]*'
                     r'id="body_ja"', html)
    assert 'id="body_ja-error"' in html and 'id="subject_en-error"' in html
    assert "件名だけ" in html  # what was typed stays
    assert count(db, Announcement) == 0


def test_a_form_with_no_state_ticked_is_refused(client, db, login, post):
    forum = f.forum()
    login(f.organizer())
    r = post(base(forum.slug) + "/new", form(state=[""]))
    assert r.status_code == 422
    assert 'id="state-error"' in r.get_data(as_text=True)
    assert count(db, Announcement) == 0


def test_editing_a_draft_and_a_sent_one_is_closed(client, db, login, post):
    forum = f.forum()
    person(forum)
    org = login(f.organizer())
    ann = draft(forum, org)
    html = client.get(f"{base(forum.slug)}/{ann.id}/edit").get_data(as_text=True)
    assert 'value="Hello"' in html
    r = post(f"{base(forum.slug)}/{ann.id}/edit", form(subject_en="Changed", body_en="Changed body"))
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Announcement, ann.id).subjects["en"] == "Changed"
    services.send(db.session.get(Announcement, ann.id), confirmed=True, by=org)
    r = post(f"{base(forum.slug)}/{ann.id}/edit", form(subject_en="Too late", body_en="x"))
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Announcement, ann.id).subjects["en"] == "Changed"


def test_deleting_a_draft_needs_the_box_ticked(client, db, login, post):
    forum = f.forum()
    org = login(f.organizer())
    ann = draft(forum, org)
    post(f"{base(forum.slug)}/{ann.id}/delete", {})
    assert count(db, Announcement) == 1
    r = post(f"{base(forum.slug)}/{ann.id}/delete", {"confirm": "y"})
    assert r.status_code == 303 and count(db, Announcement) == 0


# --- the draft, preview, send -----------------------------------------------------------------

def test_draft_page_shows_the_reach_and_asks_to_confirm_the_number(client, db, login):
    forum = f.forum()
    for lang in ("ja", "ru"):
        person(forum, language=lang)
    org = login(f.organizer())
    ann = draft(forum, org)
    html = client.get(f"{base(forum.slug)}/{ann.id}").get_data(as_text=True)
    assert "This will reach 2 people: 1 ja, 1 ru" in html
    assert "Send it to 2 people now" in html


def test_preview_as_a_kazakh_reader_shows_the_russian_fallback(client, db, login):
    forum = f.forum()
    kk = person(forum, language="kk", name="Әлия Нұрланқызы")
    person(forum, language="ja")
    org = login(f.organizer())
    ann = draft(forum, org, subjects={"en": "Hello", "ru": "Здравствуйте"})
    r = client.get(f"{base(forum.slug)}/{ann.id}/preview?to={kk.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'data-text-language="ru" data-fallback="yes"' in html
    assert "Здравствуйте" in html and "Body ru: Здравствуйте" in html
    with force_locale("kk"):
        footer = gettext("You receive this message from the organizers of %(forum)s because you are registered "
                         "for it.", forum=forum.shown_title)
    assert footer in html.replace("&#39;", "'")


def test_preview_as_a_japanese_reader_gets_english_and_own_language_is_said(client, db, login):
    forum = f.forum()
    ja = person(forum, language="ja")
    ru = person(forum, language="ru")
    org = login(f.organizer())
    ann = draft(forum, org, subjects={"en": "Hello", "ru": "Здравствуйте"})
    html = client.get(f"{base(forum.slug)}/{ann.id}/preview?to={ja.id}").get_data(as_text=True)
    assert 'data-text-language="en" data-fallback="yes"' in html
    html = client.get(f"{base(forum.slug)}/{ann.id}/preview?to={ru.id}").get_data(as_text=True)
    assert 'data-text-language="ru" data-fallback="no"' in html
    first = min((ja, ru), key=lambda r: (r.latin_name, r.id))  # no one chosen: the first of the list
    html = client.get(f"{base(forum.slug)}/{ann.id}/preview").get_data(as_text=True)
    assert f"&lt;{first.email}&gt;" in html


def test_preview_search_folds_scripts_and_refuses_someone_not_a_recipient(client, db, login):
    forum, other = f.forum(), f.forum()
    aliya = person(forum, language="kk", name="Әлия Нұрланқызы")
    person(forum, language="ja")
    stranger = person(other)
    filtered_out = person(forum, state="rejected")
    org = login(f.organizer())
    ann = draft(forum, org)
    html = client.get(f"{base(forum.slug)}/{ann.id}/preview?q=алия").get_data(as_text=True)
    assert re.findall(r'<option value="(\d+)"', html) == [str(aliya.id)]
    assert client.get(f"{base(forum.slug)}/{ann.id}/preview?to={stranger.id}").status_code == 404
    assert client.get(f"{base(forum.slug)}/{ann.id}/preview?to={filtered_out.id}").status_code == 404
    assert client.get(f"{base(forum.slug)}/{ann.id}/preview?to=abc").status_code == 404


def test_send_without_the_box_ticked_sends_nothing(client, db, login, post):
    forum = f.forum()
    person(forum)
    org = login(f.organizer())
    ann = draft(forum, org)
    r = post(f"{base(forum.slug)}/{ann.id}/send", {})
    assert r.status_code == 422
    assert 'id="confirm-error"' in r.get_data(as_text=True)
    assert announcement_mail(db) == []


def test_send_then_a_second_send_is_refused(client, db, login, post):
    forum = f.forum()
    person(forum, language="ja"), person(forum, language="kk")
    org = login(f.organizer())
    ann = draft(forum, org)
    r = post(f"{base(forum.slug)}/{ann.id}/send", {"confirm": "y"})
    assert r.status_code == 303
    assert sorted(m.language for m in announcement_mail(db)) == ["ja", "kk"]
    r = post(f"{base(forum.slug)}/{ann.id}/send", {"confirm": "y"}, follow_redirects=True)
    assert "This message has already been sent." in r.get_data(as_text=True)
    assert len(announcement_mail(db)) == 2


def test_another_forums_message_is_not_found(client, db, login):
    forum, other = f.forum(), f.forum()
    org = login(f.organizer())
    ann = draft(other, org)
    for path in ("", "/edit", "/preview"):
        assert client.get(f"{base(forum.slug)}/{ann.id}{path}").status_code == 404


def test_index_lists_drafts_and_sent_messages(client, db, login):
    forum, other = f.forum(), f.forum()
    person(forum)
    org = login(f.organizer())
    sent = draft(forum, org, subjects={"en": "Sent one"})
    services.send(sent, confirmed=True, by=org)
    draft(forum, org, subjects={"en": "Still a draft"})
    draft(other, org, subjects={"en": "Elsewhere"})
    html = client.get(base(forum.slug) + "/").get_data(as_text=True)
    assert "Sent one" in html and "Still a draft" in html and "Elsewhere" not in html
    assert html.index("Still a draft") < html.index("Sent one")


# --- the log ----------------------------------------------------------------------------------

def test_log_shows_a_real_smtp_refusal_and_resend_queues_only_the_failed(app, client, db, login, post, smtp,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 1)  # the first refusal is final
    forum = f.forum()
    good, bad = person(forum, email="good@example.jp"), person(forum, email="bad@example.kz")
    org = login(f.organizer())
    ann = draft(forum, org)
    services.send(ann, confirmed=True, by=org)
    db.session.commit()
    smtp.refuse.add("bad@example.kz")
    while send_due(batch=50) != (0, 0):
        pass

    html = client.get(f"{base(forum.slug)}/{ann.id}").get_data(as_text=True)
    bad_rec = db.session.scalar(sa.select(AnnouncementRecipient).where(AnnouncementRecipient.email == bad.email))
    assert bad_rec.outbox.status is MailStatus.FAILED
    assert "550" in bad_rec.outbox.last_error and "No such mailbox" in bad_rec.outbox.last_error
    row = html[html.index(f'id="recipient-{bad_rec.id}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-status="failed"' in row and "No such mailbox" in row
    assert 'data-count="sent">Sent: 1<' in html and 'href="' in html and "Failed: 1" in html

    failed_only = client.get(f"{base(forum.slug)}/{ann.id}?failed=1").get_data(as_text=True)
    assert "bad@example.kz" in failed_only and good.email not in failed_only

    post(f"{base(forum.slug)}/{ann.id}/resend", {})  # not confirmed: nothing
    assert len(announcement_mail(db)) == 2
    r = post(f"{base(forum.slug)}/{ann.id}/resend", {"confirm": "y"})
    assert r.status_code == 303
    mails = announcement_mail(db)
    assert len(mails) == 3 and mails[-1].to_addr == "bad@example.kz" and mails[-1].status is MailStatus.QUEUED


def test_a_message_still_retrying_shows_its_last_error(client, db, login, smtp):
    forum = f.forum()
    person(forum, email="later@example.kz")
    org = login(f.organizer())
    ann = draft(forum, org)
    services.send(ann, confirmed=True, by=org)
    db.session.commit()
    smtp.refuse.add("later@example.kz")
    send_due()
    rec = db.session.scalars(sa.select(AnnouncementRecipient)).one()
    db.session.refresh(rec.outbox)
    assert rec.outbox.status is MailStatus.QUEUED and rec.outbox.attempts == 1
    html = client.get(f"{base(forum.slug)}/{ann.id}").get_data(as_text=True)
    row = html[html.index(f'id="recipient-{rec.id}"'):]
    assert 'data-status="queued"' in row[:200] and "No such mailbox" in row[:row.index("</tr>")]


def test_log_page_does_not_grow_with_rows(client, db, login):
    org = login(f.organizer())
    counts = []
    for n in (1, 20):
        forum = f.forum()
        for _ in range(n):
            person(forum)
        ann = draft(forum, org, flt=Filter())
        services.send(ann, confirmed=True, by=org)
        counts.append(statements_for(client, f"{base(forum.slug)}/{ann.id}"))
    assert counts[0] == counts[1]


def test_send_is_refused_when_the_confirmed_number_is_no_longer_true(client, db, login, post):
    forum = f.forum()
    person(forum)
    org = login(f.organizer())
    ann = draft(forum, org)
    html = client.get(f"{base(forum.slug)}/{ann.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="expected"[^>]*value="1"|<input[^>]*value="1"[^>]*name="expected"', html)
    person(forum)  # someone registers while the organizer reads
    r = post(f"{base(forum.slug)}/{ann.id}/send", {"confirm": "y", "expected": "1"}, follow_redirects=True)
    assert "now reaches 2 people, not 1" in r.get_data(as_text=True)
    assert announcement_mail(db) == []
    r = post(f"{base(forum.slug)}/{ann.id}/send", {"confirm": "y", "expected": "2"})
    assert r.status_code == 303 and len(announcement_mail(db)) == 2
