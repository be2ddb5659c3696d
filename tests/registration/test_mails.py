"""What each registration event sends: one mail per person, in that person's language, with what they
need (dates in the forum's zone, venue, a link that works without a password yet)."""
from datetime import datetime, timezone

import pytest
import re
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from forum.accounts import services as accounts
from forum.notifications.models import OutboxMessage
from forum.registration import services
from forum.registration.models import RegState
from forum.review import services as review
from tests import factories as f


def outbox(**where):
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(OutboxMessage, k) == v)
    return list(f.db.session.scalars(stmt))


def tr(lang, msgid, **kw):
    with force_locale(lang):
        return gettext(msgid, **kw)


def _clear(db):
    db.session.execute(sa.delete(OutboxMessage))


def test_auto_approving_invitation_sends_each_person_one_mail(db):
    forum, org = f.forum(phase="late", capacity=2), f.organizer()
    inv, _t = services.create_invitation(forum, company_name="Toyota", email="sato@toyota.jp", by=org,
                                         auto_approve=True)
    _clear(db)
    data = f.company_input(0, language="ja", contact_email="sato@toyota.jp")
    data.delegates = [f.delegate_input(email="sato@toyota.jp"), f.delegate_input(email="a@toyota.jp"),
                      f.delegate_input(email="b@toyota.jp", language="ru")]
    company = services.submit(forum, data, invitation=inv)
    assert [r.state for r in company.delegates] == [RegState.APPROVED, RegState.APPROVED, RegState.PENDING]
    mails = outbox()
    assert sorted(m.to_addr for m in mails) == ["a@toyota.jp", "b@toyota.jp", "sato@toyota.jp"]  # once each
    by_addr = {m.to_addr: m for m in mails}
    assert by_addr["sato@toyota.jp"].template == "registration_received"
    assert by_addr["a@toyota.jp"].template == "registered_approved"
    assert by_addr["b@toyota.jp"].template == "delegate_registered" and by_addr["b@toyota.jp"].language == "ru"
    summary = by_addr["sato@toyota.jp"].body_text
    approved_word = tr("ja", "approved")
    assert f"{company.delegates[0].email}: {approved_word}" in summary
    assert f"{company.delegates[1].email}: {approved_word}" in summary
    assert f"b@toyota.jp: " not in summary  # still pending: no state shown
    assert tr("ja", "The organizers review every registration; each delegate receives an e-mail when it is decided.") in summary


def _facts_forum():
    forum = f.forum(tz="Europe/Berlin")
    forum.city, forum.venue, forum.country = "Berlin", "Hotel Adlon", "DE"
    forum.starts_at = datetime(2030, 3, 30, 8, 0, tzinfo=timezone.utc)  # 09:00 CET, before daylight saving
    forum.ends_at = datetime(2030, 3, 31, 16, 0, tzinfo=timezone.utc)  # 18:00 CEST
    return forum


def test_approval_mail_names_dates_in_the_forum_zone_the_venue_and_a_link_without_a_password(db):
    forum, org = _facts_forum(), f.organizer()
    reg = f.registration_(forum)
    _clear(db)
    review.decide(reg, "approve", by=org)
    [to_delegate] = outbox(to_addr=reg.email)
    body = to_delegate.body_text
    assert "30 March 2030, 09:00 – 31 March 2030, 18:00" in body
    assert "Berlin time (Europe/Berlin, UTC+01:00)" in body  # the offset in force when it starts
    assert "Hotel Adlon, Berlin, Germany" in body
    assert "http://forum.test/password/set/" in body  # no password yet: the link lets them in
    assert not re.search(r"\d\d:\d\d:\d\d|[+-]\d{4}\b", body)  # never seconds or raw offsets


def test_approval_mail_links_to_my_registrations_once_a_password_is_set(db):
    forum, org = f.forum(), f.organizer()
    reg = f.registration_(forum)
    accounts.set_password(reg.user, "a long enough password")
    _clear(db)
    review.decide(reg, "approve", by=org)
    [to_delegate] = outbox(to_addr=reg.email)
    assert "http://forum.test/my" in to_delegate.body_text and "/password/set/" not in to_delegate.body_text


@pytest.mark.parametrize("late", [False, True])
@pytest.mark.parametrize("action, template_on_time, template_late", [
    ("approve", "approved", "late_decided"), ("reject", "rejected", "late_decided"),
    ("waitlist", "waitlisted", "waitlisted"),
])
def test_every_decision_mail_is_in_the_delegates_and_the_contacts_own_language(
        db, late, action, template_on_time, template_late):
    forum, org = f.forum(phase="late" if late else "open"), f.organizer()
    data = f.company_input(0, language="ru", late_reason="Flight booked late" if late else "")
    data.delegates = [f.delegate_input(language="ja")]
    reg = services.submit(forum, data).delegates[0]
    _clear(db)
    review.decide(reg, action, by=org, reason="No room left" if action == "reject" else "")
    mails = {m.to_addr: m for m in outbox()}
    assert {a: m.language for a, m in mails.items()} == {reg.email: "ja", data.contact_email: "ru"}
    template = template_late if late else template_on_time
    assert {m.template for m in mails.values()} == {template}
    assert mails[reg.email].subject == tr("ja", {
        "approved": "Approved: %(forum)s", "rejected": "Not approved: %(forum)s",
        "waitlisted": "On the waiting list: %(forum)s",
        "late_decided": "Late entry approved: %(forum)s" if action == "approve" else "Late entry declined: %(forum)s",
    }[template], forum=forum.title)
    assert mails[data.contact_email].subject == tr("ru", mails[reg.email].subject and {
        "approved": "Approved: %(forum)s", "rejected": "Not approved: %(forum)s",
        "waitlisted": "On the waiting list: %(forum)s",
        "late_decided": "Late entry approved: %(forum)s" if action == "approve" else "Late entry declined: %(forum)s",
    }[template], forum=forum.title)


def test_every_link_in_every_mail_uses_the_base_url(db, app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://forum.example.kz/")
    forum, org = f.forum(phase="late"), f.organizer()
    services.create_invitation(forum, company_name="Toyota", email="sato@toyota.jp", by=org)
    reg = f.registration_(forum, late_reason="late")
    review.decide(reg, "approve", by=org)
    accounts.request_password_reset(reg.email)
    links = [w for m in outbox() for w in m.body_text.split() if "://" in w]
    assert links and all(link.startswith("https://forum.example.kz/") for link in links)
    assert not any("//forum.example.kz//" in link for link in links)
