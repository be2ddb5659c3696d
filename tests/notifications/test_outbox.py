"""The outbox: mail is rendered in the recipient's language and written in the caller's transaction."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from forum import clock
from forum.db import db as _db
from forum.errors import InvalidInput
from forum.notifications import services as mail
from forum.notifications.models import MailStatus, OutboxMessage
from forum.registration import services as registration
from forum.registration.models import RegState
from forum.registration.services import SubmissionError
from forum.review import services as review
from tests import factories as f


def outbox(**where) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(OutboxMessage, k) == v)
    return list(_db.session.scalars(stmt))


def count_rows_in_database(db) -> int:
    """Counted on a connection of its own: what another process (the worker) would see.

    Read as a GET request reads (plain BEGIN): outside a request SQLite would BEGIN IMMEDIATE
    and wait for the test's own open write transaction.
    """
    with current_app.test_request_context("/"), db.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def in_language(lang: str, msgid: str, **kw) -> str:
    """What the catalog says for `lang`: the tests follow the translators' wording."""
    with force_locale(lang):
        return gettext(msgid, **kw)


def translated(lang: str, msgid: str, **kw) -> str:
    text = in_language(lang, msgid, **kw)
    assert text != in_language("en", msgid, **kw), f"no {lang} translation for {msgid!r}"
    return text


def link_in(body: str) -> str:
    """The mail's one link to the app (the "this wasn't me" link beside it is tested on its own)."""
    links = [w for w in body.split() if w.startswith("http://forum.test/") and "/registration/not-me/" not in w]
    assert len(links) == 1, body
    return links[0]


# --- queue() ---------------------------------------------------------------------------------

def _invitation(forum, *, language: str, email: str):
    inv, _token = registration.create_invitation(forum, company_name="株式会社タナカ", email=email,
                                                 by=f.organizer(), language=language)
    return inv


def test_queue_renders_subject_and_bodies_in_the_recipients_language(db):
    forum = f.forum(tz="Asia/Almaty")
    inv = _invitation(forum, language="en", email="office@tanaka.example.jp")
    msg = mail.queue("invitation", to="info@tanaka.example.jp", language="ja", forum_id=forum.id,
                     forum=forum, invitation=inv, link="http://forum.test/invitation/abc")
    db.session.flush()

    [row] = outbox(to_addr="info@tanaka.example.jp")
    assert row.id == msg.id
    assert row.template == "invitation"
    assert row.language == "ja"
    assert row.status is MailStatus.QUEUED
    assert row.attempts == 0
    assert row.forum_id == forum.id
    # The first line of the template is the subject, not part of the body; both are in Japanese.
    assert row.subject == translated("ja", "Invitation to register late: %(forum)s", forum=forum.title)
    assert "Subject:" not in row.body_text
    assert row.body_text.startswith(translated("ja", "Dear colleagues at %(company)s,", company="株式会社タナカ"))
    assert "http://forum.test/invitation/abc" in row.body_text
    # Dates are written the Japanese way, in the forum's time zone.
    local = inv.expires_at.astimezone(forum.tz)
    assert f"{local.year}年{local.month}月{local.day}日" in row.body_text
    # The HTML twin carries the language and the same text.
    assert '<html lang="ja">' in row.body_html
    assert f"<title>{row.subject}</title>" in row.body_html
    assert "株式会社タナカ" in row.body_html
    assert "http://forum.test/invitation/abc" in row.body_html


def test_links_in_the_html_body_are_clickable(db):
    """mail/_layout.html must run urlize before turning newlines into <br>: otherwise a link on its
    own line is glued to the <br> and never becomes an <a>."""
    forum = f.forum()
    company = f.company(forum, 1)
    [row] = outbox(to_addr=company.delegates[0].email)
    link = link_in(row.body_text)
    assert f'<a href="{link}"' in row.body_html


def test_queue_renders_russian_dates_for_a_russian_recipient(db):
    forum = f.forum()
    inv = _invitation(forum, language="ru", email="info@too.example.kz")
    [row] = outbox(to_addr="info@too.example.kz")
    assert row.language == "ru"
    assert row.subject == translated("ru", "Invitation to register late: %(forum)s", forum=forum.title)
    assert '<html lang="ru">' in row.body_html
    months_ru = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
                 "октября", "ноября", "декабря")
    local = inv.expires_at.astimezone(forum.tz)
    assert f"{local.day} {months_ru[local.month - 1]} {local.year}" in row.body_text
    # The English recipient of the same template gets an English date.
    _invitation(forum, language="en", email="info@corp.example.com")
    [en] = outbox(to_addr="info@corp.example.com")
    assert local.strftime("%B") in en.body_text and '<html lang="en">' in en.body_html
    assert en.subject == "Invitation to register late: Central Asia + Japan Business Forum"


def test_queue_escapes_html_in_the_html_body(db):
    forum = f.forum()
    reg = f.registration_(forum)
    review.decide(reg, "reject", by=f.organizer(), reason="<script>alert(1)</script> & more")
    db.session.flush()
    [row, *_] = outbox(template="rejected")
    assert "<script>alert(1)</script> & more" in row.body_text
    assert "<script>" not in row.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in row.body_html


def test_queue_works_outside_a_request(db):
    """The CLI and the worker run without a request, and mail is meant to be queued there too
    (forum.urls.external_url is written for it).

    (Regression: templating._inject used to build the CSRF language form for mail templates too,
    which needs a request session.)
    """
    user = f.user(email="ivanov@example.kz", name="Иванов Иван", language="ru")
    msg = mail.queue("password_reset", to=user.email, language=user.language, user=user,
                     link="http://forum.test/password/set/x")
    db.session.flush()
    assert msg.subject == translated("ru", "Choose a new password")
    assert msg.body_text.startswith(translated("ru", "Dear %(name)s,", name="Иванов Иван"))
    assert '<html lang="ru">' in msg.body_html


# --- submission ------------------------------------------------------------------------------

def test_submission_queues_a_confirmation_and_one_mail_per_other_delegate(app, db):
    forum = f.forum()
    data = f.company_input(0, language="ja", contact_name="佐藤 花子", contact_email="Sato@Example.JP")
    data.delegates = [
        f.delegate_input(full_name="佐藤 花子", latin_name="SATO Hanako", email="sato@example.jp"),  # the contact
        f.delegate_input(full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy", email="aliya@example.kz"),
        f.delegate_input(full_name="Иванов Иван", latin_name="IVANOV Ivan", email="ivanov@example.kz"),
    ]
    company = registration.submit(forum, data)
    rows = outbox()
    assert sorted((r.template, r.to_addr) for r in rows) == [
        ("delegate_registered", "aliya@example.kz"),
        ("delegate_registered", "ivanov@example.kz"),
        ("registration_received", "sato@example.jp"),
    ]
    assert all(r.forum_id == forum.id for r in rows)
    assert all(r.language == "ja" for r in rows)

    [confirmation] = outbox(template="registration_received")
    assert confirmation.subject == translated("ja", "Registration received: %(forum)s", forum=forum.title)
    assert "佐藤 花子" in confirmation.body_text
    for line in ("- 佐藤 花子 (SATO Hanako), sato@example.jp",
                 "- Әлия Нұрланқызы (Aliya Nurlankyzy), aliya@example.kz",
                 "- Иванов Иван (IVANOV Ivan), ivanov@example.kz"):
        assert line in confirmation.body_text
    assert company.legal_name in confirmation.body_text

    [to_aliya] = outbox(to_addr="aliya@example.kz")
    assert to_aliya.subject == translated("ja", "You are registered for %(forum)s", forum=forum.title)
    assert translated("ja", "Dear %(name)s,", name="Әлия Нұрланқызы") in to_aliya.body_text
    assert "/password/set/" in link_in(to_aliya.body_text)


def test_each_delegate_gets_mail_in_the_language_chosen_for_them_on_the_form(db):
    forum = f.forum()
    # an old account in English does not override what the form says for this delegate
    f.user(email="ivanov@example.kz", name="Иванов Иван", password=None, language="en")
    data = f.company_input(0, language="ja")
    data.delegates = [f.delegate_input(email="ivanov@example.kz", language="ru"),
                      f.delegate_input(email="yamada@example.jp")]  # none chosen: the form's language
    company = registration.submit(forum, data)
    langs = {r.to_addr: r.language for r in outbox()}
    assert langs == {data.contact_email: "ja", "ivanov@example.kz": "ru", "yamada@example.jp": "ja"}
    assert [r.language for r in company.delegates] == ["ru", "ja"] and company.contact_language == "ja"
    [ru] = outbox(to_addr="ivanov@example.kz")
    assert '<html lang="ru">' in ru.body_html
    assert ru.subject == translated("ru", "You are registered for %(forum)s", forum=forum.title)
    [ja] = outbox(to_addr="yamada@example.jp")
    assert ja.subject == translated("ja", "You are registered for %(forum)s", forum=forum.title)


def test_set_password_links_in_the_mails_open_the_set_password_page(app, db, client):
    forum = f.forum()
    company = f.company(forum, 2)
    db.session.commit()
    mails = {r.to_addr: r for r in outbox()}
    assert set(mails) == {company.contact_email, *(d.email for d in company.delegates)}
    for addr, row in mails.items():
        url = urlsplit(link_in(row.body_text))
        assert url.path.startswith("/password/set/")
        resp = client.get(url.path)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, (addr, html[:500])
        assert "Set your password" in html
        assert f"For {addr}." in html  # the link is for this recipient's account, not someone else's


def test_existing_account_with_a_password_gets_a_link_to_my_registrations(db):
    forum = f.forum()
    f.user(email="known@example.jp", password=f.PASSWORD)
    data = f.company_input(0)
    data.delegates = [f.delegate_input(), f.delegate_input(email="known@example.jp")]
    registration.submit(forum, data)
    [row] = outbox(to_addr="known@example.jp")
    assert link_in(row.body_text) == "http://forum.test/my"


def test_rolled_back_submission_leaves_no_mail(db):
    forum = f.forum()
    db.session.commit()
    f.company(forum, 3)
    assert len(outbox()) == 4  # the rows are in the session's transaction ...
    db.session.rollback()
    assert outbox() == []  # ... and go with it
    assert count_rows_in_database(db) == 0


def test_refused_submission_queues_no_mail_but_the_notice_to_the_address_owner(db):
    forum = f.forum()
    f.company(forum, 1, delegates=[f.delegate_input(email="dup@example.jp")])
    db.session.commit()
    before = count_rows_in_database(db)
    with pytest.raises(SubmissionError):
        f.company(forum, 1, delegates=[f.delegate_input(email="dup@example.jp")])
    db.session.commit()
    # nothing of the refused registration: only the owner of dup@ is told someone tried (once a day)
    assert count_rows_in_database(db) == before + 1
    assert [(m.template, m.to_addr) for m in outbox()[-1:]] == [("address_taken", "dup@example.jp")]


def test_committed_submission_is_visible_to_the_worker(db):
    forum = f.forum()
    f.company(forum, 2)
    db.session.flush()
    assert count_rows_in_database(db) == 0  # not before the commit ...
    db.session.commit()
    assert count_rows_in_database(db) == 3  # ... and all of it after


# --- decisions -------------------------------------------------------------------------------

def test_rejection_mails_the_reason_to_delegate_and_contact_person(db):
    forum = f.forum()
    org = f.organizer()
    reg = f.registration_(forum, contact_name="Әлия Нұрланқызы")
    db.session.commit()
    db.session.execute(sa.delete(OutboxMessage))  # only the decision's mail from here on
    reason = "Делегация уже заполнена / 定員に達しました"

    review.decide(reg, "reject", by=org, reason=reason)

    rows = outbox()
    assert sorted(r.to_addr for r in rows) == sorted([reg.email, reg.company.contact_email])
    assert {r.template for r in rows} == {"rejected"}
    for r in rows:
        assert r.subject == "Not approved: Central Asia + Japan Business Forum"
        assert reason in r.body_text
    [to_delegate] = outbox(to_addr=reg.email)
    [to_contact] = outbox(to_addr=reg.company.contact_email)
    assert f"Dear {reg.full_name}," in to_delegate.body_text
    assert "Dear Әлия Нұрланқызы," in to_contact.body_text


def test_rejection_without_reason_changes_nothing_and_mails_nobody(db):
    forum = f.forum()
    reg = f.registration_(forum)
    db.session.commit()
    before = count_rows_in_database(db)
    with pytest.raises(InvalidInput) as exc:
        review.decide(reg, "reject", by=f.organizer(), reason="  ")
    assert exc.value.code == "reason_required"
    db.session.rollback()
    assert count_rows_in_database(db) == before
    assert db.session.get(type(reg), reg.id).state is RegState.PENDING


def test_contact_who_is_also_the_delegate_gets_one_mail(db):
    forum = f.forum()
    data = f.company_input(0, contact_email="solo@example.kz")
    data.delegates = [f.delegate_input(email="solo@example.kz")]
    company = registration.submit(forum, data)
    assert [(r.template, r.to_addr) for r in outbox()] == [("registration_received", "solo@example.kz")]
    review.decide(company.delegates[0], "reject", by=f.organizer(), reason="No places left")
    assert [r.to_addr for r in outbox(template="rejected")] == ["solo@example.kz"]


def test_approval_mails_delegate_and_contact(db):
    forum = f.forum()
    reg = f.registration_(forum)
    review.decide(reg, "approve", by=f.organizer())
    rows = outbox(template="approved")
    assert sorted(r.to_addr for r in rows) == sorted([reg.email, reg.company.contact_email])
    assert all(r.subject == "Approved: Central Asia + Japan Business Forum" for r in rows)


@pytest.mark.parametrize("action, subject, text", [
    ("approve", "Late entry approved: Central Asia + Japan Business Forum", "is approved. Welcome!"),
    ("reject", "Late entry declined: Central Asia + Japan Business Forum", "has been declined."),
])
def test_late_entry_decision_uses_the_late_decided_template(db, action, subject, text):
    forum = f.forum(phase="late")
    reg = f.registration_(forum, late_reason="Our visa came late")
    assert reg.is_late
    assert [r.template for r in outbox(to_addr=reg.company.contact_email)] == ["late_received"]
    reason = "Зал переполнен" if action == "reject" else ""

    review.decide(reg, action, by=f.organizer(), reason=reason)

    rows = outbox(template="late_decided")
    assert sorted(r.to_addr for r in rows) == sorted([reg.email, reg.company.contact_email])
    assert outbox(template="approved") == [] and outbox(template="rejected") == []
    for r in rows:
        assert r.subject == subject
        assert text in r.body_text
        if action == "reject":
            assert "The organizers' reason:\nЗал переполнен" in r.body_text
        else:
            assert "reason" not in r.body_text


def test_late_request_confirmation_lists_the_delegates(db):
    forum = f.forum(phase="late")
    company = f.company(forum, 2, late_reason="Visa delays")
    [row] = outbox(template="late_received")
    assert row.to_addr == company.contact_email
    assert row.subject == "Late entry request received: Central Asia + Japan Business Forum"
    for d in company.delegates:
        assert f"- {d.full_name} ({d.latin_name}), {d.email}" in row.body_text
    assert len(outbox(template="delegate_registered")) == 2


def test_queued_mail_is_due_now(db):
    before = clock.now()
    forum = f.forum()
    f.company(forum, 1)
    db.session.commit()
    for row in outbox():
        assert before - timedelta(seconds=1) <= row.next_attempt_at <= clock.now() + timedelta(seconds=1)
        assert row.sent_at is None and row.last_error == ""
