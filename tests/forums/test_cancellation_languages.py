"""Cancelling a forum (issue 13, section 4): the reason in several languages, shown as a banner on the forum's page
and on every page a delegate sees, in each recipient's e-mail in their language; badges revoked and check-in
answering forum_cancelled (team badges too); B2B meetings and requests cancelled with their calendar events,
quietly, so that each person gets exactly one e-mail; a preview of whom it tells; audited; undone by reopening."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from icalendar import Calendar
from markupsafe import escape

from forum.agendas import subscription
from forum.audit.models import AuditEntry
from forum.badges import issuing
from forum.badges.models import Badge
from forum.checkin import services as checkin
from forum.checkin.models import Result
from forum.errors import InvalidInput
from forum.forums import cancellation, reopening
from forum.forums.models import Forum, ForumStatus
from forum.meetings.models import Meeting, MeetingRequest, MeetingState, RequestState
from forum.notifications.models import OutboxMessage
from forum.registration.models import RegState, Registration
from forum.teams.models import Permission
from forum.templating import local_datetime_zoned
from tests import factories as f
from tests.notifications.conftest import smtp  # noqa: F401 - the SMTP recorder the two workers send to

REASONS = {"en": "The venue is closed by the authorities.", "ja": "会場が当局により閉鎖されました。",
           "ru": "Площадка закрыта властями."}
# What a reader of each language sees: their own, else Russian for Kazakh and Uzbek readers, else English.
SEEN = {"en": REASONS["en"], "ja": REASONS["ja"], "ru": REASONS["ru"], "kk": REASONS["ru"], "uz": REASONS["ru"]}
SEEN_IN = {"en": "en", "ja": "ja", "ru": "ru", "kk": "ru", "uz": "ru"}


@pytest.fixture()
def world(db):
    """A forum in Tashkent's zone; four delegates (ja, kk, uz with B2B, ru without); a published meeting ja-kk, a
    pending request uz->ja and an accepted one kk->uz without a meeting yet; each company's contact is English."""
    forum = f.forum(slug="tashkent", tz="Asia/Tashkent")
    session = f.session(forum, "2027-05-20 09:00", "2027-05-20 10:00", slot_minutes=20)
    t1 = f.table(forum, 1)
    ja = f.participant(forum, full_name="田中 健一", latin_name="TANAKA Kenichi", language="ja", email="tanaka@jp.example",
                       legal_name="株式会社青葉商事", name_en="Aoba Trading Co., Ltd.")
    kk = f.participant(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy", language="kk",
                       email="aliya@kz.example", legal_name="ТОО «Астана Су»", name_en="Astana Su LLP")
    uz = f.participant(forum, full_name="Oʻtkir Gʻaniyev", latin_name="Otkir Ganiyev", language="uz",
                       email="otkir@uz.example", legal_name="«Toshkent Qogʻoz» MChJ", name_en="Tashkent Paper LLC")
    ru = f.approved(forum, full_name="Иван Петров", latin_name="Ivan Petrov", language="ru", email="ivan@ru.example")
    meeting = f.meeting(ja, kk, session.slots[0], t1)
    pending = f.meeting_request(uz, ja)
    accepted = f.meeting_request(kk, uz, accept=True)
    org = f.organizer()
    db.session.execute(sa.delete(OutboxMessage))
    return dict(forum=forum, ja=ja, kk=kk, uz=uz, ru=ru, meeting=meeting, pending=pending, accepted=accepted, org=org)


def _outbox(db):
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- the reasons -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("given, main", [
    ({"en": "E", "ru": "R", "ja": "J"}, "E"),
    ({"ja": "J", "uz": "U", "ru": "R"}, "R"),
    ({"ja": "J", "uz": "U", "kk": "K"}, "K"),
    ({"ja": "J", "uz": "U"}, "U"),
    ({"ja": "J"}, "J"),
])
def test_the_reasons_are_stored_per_language_and_the_main_one_is_english_else_the_first_in_order(db, world, given, main):
    forum, org = world["forum"], world["org"]
    cancellation.cancel(forum, reasons={**given, "en": given.get("en", "  ")}, confirmed=True, by=org)
    assert forum.cancellation_reasons == given  # only the filled ones
    assert forum.cancellation_reason == main


def test_a_reason_is_stored_in_nfc_without_outer_spaces(db, world):
    forum = world["forum"]
    cancellation.cancel(forum, reasons={"kk": "  Cafe\u0301 жабық  "}, confirmed=True, by=world["org"])
    assert forum.cancellation_reasons == {"kk": "Café жабық"}


@pytest.mark.parametrize("reasons, code, field", [
    ({}, "reason_required", "reason_en"),
    ({"en": " ", "ja": "\n", "ru": "", "kk": None, "uz": "\t"}, "reason_required", "reason_en"),
    ({"en": "Storm", "kk": "ы" * 2001}, "reason_too_long", "reason_kk"),
    ({"ja": "台風" * 1000 + "。"}, "reason_too_long", "reason_ja"),
    ({"uz": "Boʻron\x07"}, "control_characters", "reason_uz"),
])
def test_bad_reasons_are_refused_by_their_field_and_nothing_changes(db, world, reasons, code, field):
    forum, org = world["forum"], world["org"]
    with pytest.raises(InvalidInput) as e:
        cancellation.cancel(forum, reasons=reasons, confirmed=True, by=org)
    assert (e.value.code, e.value.field) == (code, field)
    assert forum.status is ForumStatus.PUBLISHED and forum.cancellation_reasons is None
    assert world["meeting"].state is MeetingState.SCHEDULED
    assert world["ja"].state is RegState.APPROVED
    assert _count(db, OutboxMessage) == 0


def test_exactly_2000_characters_is_enough(db, world):
    cancellation.cancel(world["forum"], reasons={"ru": "я" * 2000}, confirmed=True, by=world["org"])
    assert world["forum"].cancellation_reason == "я" * 2000


@pytest.mark.parametrize("reasons, reader, lang", [
    ({"ja": "J", "kk": "K"}, "en", "kk"),  # no English: the main reason (Kazakh before Japanese) stands in for it
    ({"ja": "J", "kk": "K"}, "ja", "ja"),
    ({"ja": "J", "kk": "K"}, "uz", "kk"),
    ({"en": "E", "uz": "U"}, "kk", "en"),
    ({"en": "E", "uz": "U"}, "uz", "uz"),
])
def test_the_shown_reason_names_its_language(app, db, world, reasons, reader, lang):
    forum = world["forum"]
    cancellation.cancel(forum, reasons=reasons, confirmed=True, by=world["org"])
    with app.test_request_context(), force_locale(reader):
        assert cancellation.shown_reason_language(forum) == lang
        assert forum.shown_cancellation_reason == reasons[lang]


# --- the e-mails: one per person, in their language, with their reason -------------------------------------------

def test_each_person_gets_exactly_one_email_the_cancellation_even_with_b2b_requests_and_meetings(db, world):
    forum = world["forum"]
    cancellation.cancel(forum, reasons=REASONS, confirmed=True, by=world["org"])
    mails = _outbox(db)
    people = {r.email for r in db.session.scalars(sa.select(Registration))} | {
        r.company.contact_email for r in db.session.scalars(sa.select(Registration))}
    assert len(people) == 8
    assert sorted(m.to_addr for m in mails) == sorted(people)  # each once
    assert {m.template for m in mails} == {"forum_cancelled"}  # no request or meeting e-mail besides


def test_each_email_is_in_the_recipients_language_with_the_reason_in_it_or_the_fallback(db, world):
    cancellation.cancel(world["forum"], reasons=REASONS, confirmed=True, by=world["org"])
    by_addr = {m.to_addr: m for m in _outbox(db)}
    for who in ("ja", "kk", "uz", "ru"):
        reg = world[who]
        m = by_addr[reg.email]
        assert m.language == who
        assert SEEN[who] in m.body_text
        assert all(text not in m.body_text for text in REASONS.values() if text != SEEN[who])
        with force_locale(who):
            assert gettext("The organizers' reason:") in m.body_text
        # the contact persons write English
        assert REASONS["en"] in by_addr[reg.company.contact_email].body_text


def test_a_delegate_with_meetings_gets_their_calendar_with_the_events_cancelled(db, world):
    cancellation.cancel(world["forum"], reasons=REASONS, confirmed=True, by=world["org"])
    by_addr = {m.to_addr: m for m in _outbox(db)}
    uid = f"{world['meeting'].request.public_id}@forum-b2b"
    for who in ("ja", "kk"):
        m = by_addr[world[who].email]
        assert [a["filename"] for a in m.attachments] == ["b2b-agenda.ics"]
        events = Calendar.from_ical(m.attachments[0]["text"]).walk("VEVENT")
        assert [(str(e["UID"]), str(e["STATUS"])) for e in events] == [(uid, "CANCELLED")]
        with force_locale(who):
            assert gettext("Your B2B meetings are cancelled too. Open the attached calendar file to remove them "
                           "from your calendar.") in m.body_text
    # no meeting, no calendar: the Uzbek delegate (requests only), the Russian one, the contact persons
    for addr, m in by_addr.items():
        if addr not in (world["ja"].email, world["kk"].email):
            assert m.attachments is None, addr


def test_meetings_and_requests_are_cancelled_and_audited(db, world):
    forum, org = world["forum"], world["org"]
    done = cancellation.cancel(forum, reasons=REASONS, confirmed=True, by=org)
    m = world["meeting"]
    assert m.state is MeetingState.CANCELLED and m.cancelled_at == forum.cancelled_at
    assert done.meetings == 1
    assert _count(db, Meeting) == 1  # cancelled, not deleted
    assert {r.state for r in db.session.scalars(sa.select(MeetingRequest))} == {RequestState.CANCELLED}
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "meeting",
                                                           AuditEntry.subject_id == m.id)).one()
    assert (entry.actor_id, entry.from_state, entry.to_state, entry.reason) == (
        org.id, "scheduled", "cancelled", "forum_cancelled")


def test_the_subscription_feed_shows_the_meetings_cancelled(app, client, db, world):
    ja, forum = world["ja"], world["forum"]
    pending_reg = f.registration_(forum)  # cancelled with the forum, but never approved: never had a calendar
    with app.test_request_context():
        url = subscription.url_for_reg(ja).removeprefix("http://forum.test")
        other = subscription.url_for_reg(pending_reg).removeprefix("http://forum.test")
    cancellation.cancel(forum, reasons=REASONS, confirmed=True, by=world["org"])
    db.session.commit()
    r = client.get(url)
    assert r.status_code == 200
    events = Calendar.from_ical(r.data).walk("VEVENT")
    assert [str(e["STATUS"]) for e in events] == ["CANCELLED"]
    assert client.get(other).status_code == 404


def test_a_registration_cancelled_alone_has_no_feed_even_after_its_forum_is_cancelled(app, client, db, world):
    from forum.registration import states

    ja, forum = world["ja"], world["forum"]
    with app.test_request_context():
        url = subscription.url_for_reg(ja).removeprefix("http://forum.test")
    states.transition(ja, RegState.CANCELLED, by=None, notify=False)
    cancellation.cancel(forum, reasons=REASONS, confirmed=True, by=world["org"])
    db.session.commit()
    assert client.get(url).status_code == 404


# --- badges and check-in -----------------------------------------------------------------------------------------

def test_every_delegates_badge_is_revoked_and_check_in_answers_forum_cancelled_for_team_badges_too(db, world):
    forum, org = world["forum"], world["org"]
    staff = f.member(forum, Permission.CHECKIN, name="Door Staff")
    boss = f.member(forum, Permission.MANAGE)
    team = issuing.team_badge(forum, staff, by=boss)
    delegate_badge = issuing.live_badge(world["ja"])
    assert checkin.check_in(forum, team.token, by=staff, nonce="t-0", device="Gate 1").status is Result.OK
    done = cancellation.cancel(forum, reasons=REASONS, confirmed=True, by=org)
    assert done.badges == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge).where(
        Badge.forum_id == forum.id, Badge.registration_id.is_not(None), Badge.revoked_at.is_(None))) == 0
    assert team.revoked_at is None  # the team's badges are not the delegates': the forum's status refuses them
    for n, token in enumerate((delegate_badge.token, team.token)):
        assert checkin.check_in(forum, token, by=staff, nonce=f"t-{n + 1}", device="Gate 1").status \
            is Result.FORUM_CANCELLED


def test_the_audit_entry_records_the_reasons_meetings_and_badges(db, world):
    forum, org = world["forum"], world["org"]
    cancellation.cancel(forum, reasons={**REASONS, "kk": ""}, confirmed=True, by=org)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "forum",
                                                           AuditEntry.action == "cancelled")).one()
    assert entry.reason == REASONS["en"]
    assert entry.details == {"registrations": 4, "people": 8, "reasons": REASONS, "meetings": 1,
                             "meeting_requests": 3, "badges_revoked": 4}


# --- the preview -------------------------------------------------------------------------------------------------

def test_the_preview_lists_each_person_once_with_both_scripts_company_language_and_role(db, world):
    forum = world["forum"]
    both = f.company(forum, 1, language="ru", contact_email="boss@uz.example", contact_name="Бахтиёр Каримов",
                     delegates=[f.delegate_input(email="boss@uz.example", language="ru", full_name="Бахтиёр Каримов",
                                                 latin_name="Bakhtiyor Karimov")])
    p = cancellation.preview(forum)
    assert (p.registrations, p.people, p.meetings, p.badges) == (5, 9, 1, 4)
    persons = {x.address: x for x in p.persons}
    assert len(p.persons) == len(persons) == 9
    ja = persons["tanaka@jp.example"]
    assert (ja.name, ja.company, ja.language, ja.delegate, ja.contact) == (
        "田中 健一 (TANAKA Kenichi)", "株式会社青葉商事 (Aoba Trading Co., Ltd.)", "ja", True, False)
    contact = persons[world["kk"].company.contact_email]
    assert (contact.delegate, contact.contact, contact.language) == (False, True, "en")
    boss = persons["boss@uz.example"]
    assert (boss.delegate, boss.contact, boss.language, boss.name) == (
        True, True, "ru", "Бахтиёр Каримов (Bakhtiyor Karimov)")
    assert both.delegates[0].state is RegState.PENDING
    # a preview changes nothing
    assert forum.status is ForumStatus.PUBLISHED and world["meeting"].state is MeetingState.SCHEDULED


def test_the_cancel_page_shows_who_will_be_told_and_what_goes(app, client, db, world, login, monkeypatch):
    login(world["org"])
    page = client.get("/manage/tashkent/cancel").get_data(as_text=True)
    assert "1 B2B meeting will be cancelled" in page and "4 badges will be revoked" in page
    assert "8 people e-mailed in their language" in page
    for who in ("ja", "kk", "uz", "ru"):
        reg = world[who]
        assert str(escape(f"{reg.full_name} ({reg.latin_name})")) in page and reg.email in page
    assert str(escape("ТОО «Астана Су» (Astana Su LLP)")) in page
    # one textarea per language, labelled in its own language
    for lang, label in (("en", "Reason (English)"), ("ja", "理由（日本語）"), ("ru", "Причина (русский)"),
                        ("kk", "Себебі (қазақша)"), ("uz", "Sabab (oʻzbekcha)")):
        assert label in page and _textarea_has_lang(page, lang)
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    first = client.get("/manage/tashkent/cancel").get_data(as_text=True)
    last = client.get("/manage/tashkent/cancel?page=3").get_data(as_text=True)
    assert first.count("<tr>") - 1 == 3 and last.count("<tr>") - 1 == 2  # 8 people, 3 a page (a header row)
    assert "page=2" in first


def _textarea_has_lang(page: str, lang: str) -> bool:
    import re

    tag = re.search(rf'<textarea[^>]*name="reason_{lang}"[^>]*>', page)
    return tag is not None and f'lang="{lang}"' in tag.group(0)


def test_the_cancel_form_refuses_no_reason_by_the_field_and_saves_nothing(client, db, world, login, post):
    login(world["org"])
    r = post("/manage/tashkent/cancel", {"reason_en": "", "reason_kk": " ", "confirm": "y"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="reason_en-error"' in page
    assert "Give the reason in at least one language" in page
    r = post("/manage/tashkent/cancel", {"reason_ru": "Шторм", "reason_uz": "x" * 2001, "confirm": "y"})
    assert r.status_code == 422 and 'id="reason_uz-error"' in r.get_data(as_text=True)
    assert db.session.get(Forum, world["forum"].id).status is ForumStatus.PUBLISHED
    assert _count(db, OutboxMessage) == 0
    r = post("/manage/tashkent/cancel", {"reason_ru": "Шторм", "reason_uz": "Boʻron", "confirm": "y"})
    assert r.status_code == 302
    forum = db.session.get(Forum, world["forum"].id)
    assert forum.cancellation_reasons == {"ru": "Шторм", "uz": "Boʻron"} and forum.cancellation_reason == "Шторм"


# --- the banner --------------------------------------------------------------------------------------------------

def _banner(app, forum: Forum, lang: str) -> str:
    """The banner's first line as the reader of `lang` sees it."""
    with app.test_request_context(), force_locale(lang):
        return str(escape(gettext("%(forum)s was cancelled on %(date)s.", forum=forum.shown_title,
                                  date=local_datetime_zoned(forum.cancelled_at, forum))))


def _says_cancelled(app, page: str, forum: Forum, lang: str) -> None:
    assert 'class="alert alert-danger forum-cancelled-banner" role="alert"' in page
    assert _banner(app, forum, lang) in page
    assert f'lang="{SEEN_IN[lang]}">{escape(SEEN[lang])}</p>' in page  # drawn with that language's glyphs
    for text in REASONS.values():
        if text != SEEN[lang]:
            assert str(escape(text)) not in page


@pytest.mark.parametrize("lang", ["en", "ja", "ru", "kk", "uz"])
def test_the_public_page_shows_the_banner_with_the_readers_reason(app, client, db, world, lang):
    forum = world["forum"]
    cancellation.cancel(forum, reasons=REASONS, confirmed=True, by=world["org"])
    db.session.commit()
    page = client.get("/forums/tashkent", headers={"Accept-Language": lang}).get_data(as_text=True)
    _says_cancelled(app, page, forum, lang)
    assert page.count("forum-cancelled-banner") == 1


@pytest.mark.parametrize("lang", ["en", "ja", "ru", "kk", "uz"])
def test_every_page_a_delegate_sees_shows_the_banner_in_their_language(app, client, db, world, login, lang):
    forum, ja = world["forum"], world["ja"]
    cancellation.cancel(forum, reasons=REASONS, confirmed=True, by=world["org"])
    ja.user.language = lang
    login(ja.user)
    pages = {
        "/my": 200,
        f"/forums/tashkent/b2b/": 200,
        f"/my/registrations/{ja.public_id}/badge": 410,
        "/forums/tashkent/b2b/agenda": 410,
        "/forums/tashkent/b2b/meetings": 410,
        "/forums/tashkent/b2b/requests": 410,
        "/forums/tashkent/b2b/outcomes/": 410,
        "/forums/tashkent/b2b/availability": 410,
        "/forums/tashkent/b2b/directory": 410,
        "/forums/tashkent/my-documents": 200,
    }
    for url, status in pages.items():
        r = client.get(url)
        assert r.status_code == status, url
        _says_cancelled(app, r.get_data(as_text=True), forum, lang)


def test_the_contact_persons_company_page_shows_the_banner(app, client, db, world, login):
    forum, kk = world["forum"], world["kk"]
    cancellation.cancel(forum, reasons=REASONS, confirmed=True, by=world["org"])
    contact = kk.company.contact_user
    contact.language = "kk"
    login(contact)
    for url, status in ((f"/my/companies/{kk.company.public_id}", 200),
                        (f"/my/companies/{kk.company.public_id}/correct", 200),
                        (f"/my/registrations/{kk.public_id}/correct", 200),
                        (f"/my/registrations/{kk.public_id}/substitute", 200),
                        (f"/my/registrations/{kk.public_id}/badge", 410)):
        r = client.get(url)
        assert r.status_code == status, url
        _says_cancelled(app, r.get_data(as_text=True), forum, "kk")


def test_someone_elses_badge_of_a_cancelled_forum_stays_a_plain_404(client, db, world, login):
    cancellation.cancel(world["forum"], reasons=REASONS, confirmed=True, by=world["org"])
    login(world["uz"].user)
    r = client.get(f"/my/registrations/{world['ja'].public_id}/badge")
    assert r.status_code == 404 and "forum-cancelled-banner" not in r.get_data(as_text=True)


def test_a_forum_not_cancelled_shows_no_banner(client, db, world, login):
    login(world["ja"].user)
    for url in ("/forums/tashkent", "/my", "/forums/tashkent/b2b/agenda"):
        r = client.get(url)
        assert r.status_code == 200 and "forum-cancelled-banner" not in r.get_data(as_text=True), url


# --- reopening ---------------------------------------------------------------------------------------------------

def test_reopening_clears_the_reasons_and_the_banner(client, db, world):
    forum, org = world["forum"], world["org"]
    cancellation.cancel(forum, reasons=REASONS, confirmed=True, by=org)
    reopening.reopen(forum, reason="The storm passed", confirmed=True, by=org)
    assert forum.cancellation_reasons is None and forum.cancellation_reason == "" and forum.cancelled_at is None
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "forum",
                                                           AuditEntry.action == "reopened")).one()
    assert entry.details["cancellation_reasons"] == REASONS
    db.session.commit()
    for lang in ("kk", "ja"):
        page = client.get("/forums/tashkent", headers={"Accept-Language": lang}).get_data(as_text=True)
        assert "forum-cancelled-banner" not in page and REASONS["ru"] not in page and REASONS["ja"] not in page


def test_the_cancel_page_runs_as_many_statements_with_20_people_as_with_1(client, db, login):
    from forum.review import services as review
    from tests.test_query_counts import statements_for

    org = login(f.organizer())
    counts = []
    for n in (1, 20):
        forum = f.forum()
        for i in range(n):
            reg = f.company(forum, 1, language="kk").delegates[0]
            if i % 2 == 0:
                review.decide(reg, "approve", by=org)  # with a badge to count
        counts.append(statements_for(client, f"/manage/{forum.slug}/cancel"))
    assert counts[0] == counts[1]


def test_two_workers_deliver_the_cancellation_to_each_person_exactly_once_with_the_calendar(app, db, world, smtp):
    from collections import Counter

    from forum.notifications.worker import send_due
    from tests.notifications.test_worker_claims import Background

    cancellation.cancel(world["forum"], reasons=REASONS, confirmed=True, by=world["org"])
    addresses = {m.to_addr for m in _outbox(db)}
    db.session.commit()
    smtp.delay = 0.002  # a slow server widens any race between the two workers

    def drain() -> int:
        total = 0
        while True:
            sent, failed = send_due(batch=2)
            assert failed == 0
            if sent == 0:
                return total
            total += sent

    workers = [Background(app, drain) for _ in range(2)]
    for w in workers:
        w.start()
    assert sum(w.finish(120) for w in workers) == len(addresses) == 8
    assert Counter(addr for rcpts, _msg in smtp.received for addr in rcpts) == Counter({a: 1 for a in addresses})
    to_ja = next(msg for rcpts, msg in smtp.received if rcpts == [world["ja"].email])
    calendars = [p for p in to_ja.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1 and "STATUS:CANCELLED" in calendars[0].get_content()



def test_a_meeting_already_held_stays_held_when_the_forum_is_cancelled_under_way(db, world):
    """Cancelling a forum while it runs cancels the meetings to come, never the ones that took place."""
    from datetime import timedelta

    from forum import clock
    from forum.meetings.models import HeldVia

    held = world["meeting"]
    other = f.participant(world["forum"], email="bolat@kz.example", language="kk")
    later = f.meeting(other, world["uz"], held.slot, f.table(world["forum"], 2))
    held.held_at, held.held_via = clock.now() - timedelta(minutes=5), HeldVia.STAFF
    db.session.flush()
    cancellation.cancel(world["forum"], reason="Force majeure", confirmed=True, by=world["org"])
    db.session.refresh(held)
    db.session.refresh(later)
    assert held.state is MeetingState.SCHEDULED and held.held_at is not None
    assert later.state is MeetingState.CANCELLED
