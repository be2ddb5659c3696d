"""The personal links: single-person, signed, expiring; GET never answers; confirm; decline withdraws the
registration, revokes its badge and gives the place to the waiting list; answers audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from forum import clock
from forum.audit.models import AuditEntry
from forum.badges.models import Badge
from forum.postponements import links
from forum.postponements.models import Answer, PostponementReply
from forum.registration.models import RegState, Registration
from forum.review import services as review
from tests import factories as f
from tests.conftest import csrf_token
from tests.postponements.helpers import do_postpone, setup_forum


@pytest.fixture()
def world(db):
    forum, org, c1, c2 = setup_forum(db)
    do_postpone(forum, org, reasons={"en": "The hall is flooded."})
    db.session.commit()
    replies = {r.registration.email: r for r in db.session.scalars(sa.select(PostponementReply))}
    urls = {email: f"/postponed/{links.token_for(r)}" for email, r in replies.items()}
    return forum, org, replies, urls


def reply_of(db, email: str) -> PostponementReply:
    db.session.expire_all()
    return db.session.scalars(sa.select(PostponementReply).join(Registration).where(Registration.email == email)).one()


def state(db):
    db.session.expire_all()
    return (sorted((r.registration.email, r.answer.value, r.answered_at is None)
                   for r in db.session.scalars(sa.select(PostponementReply))),
            sorted((r.email, r.state.value) for r in db.session.scalars(sa.select(Registration))),
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)))


def answer(client, url: str, action: str, confirm: bool = False, token: str | None = None):
    data = {"csrf_token": token or csrf_token(client, url), "action": action}
    if confirm:
        data["confirm"] = "y"
    return client.post(url, data=data)


def test_the_page_shows_the_person_the_forum_and_both_dates_and_changes_nothing(client, db, world):
    forum, _org, _replies, urls = world
    before = state(db)
    html = client.get(urls["aigul@kz.example"]).get_data(as_text=True)
    assert "Айгүл Серікқызы" in html and "Dilnoza" not in html and "田中" not in html
    assert "The hall is flooded." in html
    with force_locale("kk"):  # the page speaks the language of Aigul's e-mail
        assert forum.shown_title in html
        assert _("I still attend") in html and _("I cannot attend") in html
    for _i in range(3):  # a link prefetcher, a mail scanner, the person
        assert client.get(urls["aigul@kz.example"]).status_code == 200
        assert client.head(urls["aigul@kz.example"]).status_code == 200
    assert state(db) == before


def test_a_tampered_or_made_up_token_is_not_found(client, db, world):
    _forum, _org, _replies, urls = world
    url = urls["aigul@kz.example"]
    before = state(db)
    for bad in (url[:-2] + ("AA" if not url.endswith("AA") else "BB"), url + "x", "/postponed/abc",
                "/postponed/" + "A" * 300):
        assert client.get(bad).status_code == 404, bad
        assert client.post(bad, data={"csrf_token": csrf_token(client), "action": "confirm"}).status_code == 404
    assert state(db) == before


def test_a_signed_token_of_one_reply_with_another_persons_id_is_not_found(client, db, world):
    _forum, _org, replies, _urls = world
    a, b = replies["aigul@kz.example"], replies["dilnoza@uz.example"]
    forged = links._serializer().dumps({"r": a.id, "p": b.registration.public_id})
    html = client.get(f"/postponed/{forged}")
    assert html.status_code == 404
    assert "Айгүл" not in html.get_data(as_text=True) and "Dilnoza" not in html.get_data(as_text=True)


def test_as_token_answers_for_a_only(client, db, world):
    _forum, _org, _replies, urls = world
    assert answer(client, urls["aigul@kz.example"], "confirm").status_code == 302
    assert reply_of(db, "aigul@kz.example").answer is Answer.CONFIRMED
    assert reply_of(db, "dilnoza@uz.example").answer is Answer.PENDING
    assert "Dilnoza" not in client.get(urls["aigul@kz.example"]).get_data(as_text=True)


def test_confirm_is_recorded_and_audited(client, db, world):
    _forum, _org, replies, urls = world
    r = answer(client, urls["tanaka@jp.example"], "confirm")
    assert r.status_code == 302 and r.headers["Location"].endswith(urls["tanaka@jp.example"])
    reply = reply_of(db, "tanaka@jp.example")
    assert reply.answer is Answer.CONFIRMED and reply.answered_at is not None
    assert reply.registration.state is RegState.PENDING  # answering changes no registration state
    e = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "postponement_confirmed")).one()
    assert (e.subject_type, e.subject_id) == ("registration", reply.registration_id)
    assert 'id="answer-confirmed"' in client.get(urls["tanaka@jp.example"]).get_data(as_text=True)


def test_an_answer_without_the_csrf_token_changes_nothing(client, db, world):
    _forum, _org, _replies, urls = world
    before = state(db)
    assert client.post(urls["tanaka@jp.example"], data={"action": "confirm"}).status_code == 400
    assert client.post(urls["tanaka@jp.example"], data={"action": "decline", "confirm": "y"}).status_code in (400, 422)
    assert state(db) == before


def test_decline_needs_the_checkbox(client, db, world):
    _forum, _org, _replies, urls = world
    before = state(db)
    r = answer(client, urls["boss@uz.example"], "decline", confirm=False)
    assert r.status_code == 422
    with force_locale("ru"):
        assert _("Tick the box to confirm that you give up your place.") in r.get_data(as_text=True)
    assert state(db) == before


def test_decline_withdraws_the_registration_and_revokes_its_badge(client, db, world):
    _forum, _org, _replies, urls = world
    reg = reply_of(db, "boss@uz.example").registration
    assert reg.state is RegState.APPROVED
    assert db.session.scalars(sa.select(Badge).where(Badge.registration_id == reg.id, Badge.revoked_at.is_(None))).one()
    assert answer(client, urls["boss@uz.example"], "decline", confirm=True).status_code == 302
    reply = reply_of(db, "boss@uz.example")
    assert reply.answer is Answer.DECLINED and reply.registration.state is RegState.WITHDRAWN
    assert db.session.scalars(sa.select(Badge).where(Badge.registration_id == reg.id,
                                                     Badge.revoked_at.is_(None))).first() is None
    assert db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "postponement_declined")).one()
    html = client.get(urls["boss@uz.example"]).get_data(as_text=True)
    assert 'id="answer-declined"' in html and 'value="confirm"' not in html
    # a declined person cannot take it back through the link
    assert answer(client, urls["boss@uz.example"], "confirm").status_code == 409
    assert reply_of(db, "boss@uz.example").answer is Answer.DECLINED


def test_a_confirmed_person_may_still_decline(client, db, world):
    _forum, _org, _replies, urls = world
    answer(client, urls["smith@en.example"], "confirm")
    assert answer(client, urls["smith@en.example"], "decline", confirm=True).status_code == 302
    reply = reply_of(db, "smith@en.example")
    assert reply.answer is Answer.DECLINED and reply.registration.state is RegState.WITHDRAWN


def test_a_decline_gives_the_place_to_the_waiting_list(client, db):
    forum, org = f.forum(capacity=1), f.organizer()
    first, second = f.registration_(forum, language="en"), f.registration_(forum, language="en")
    review.decide(first, "approve", by=org)
    review.decide(second, "waitlist", by=org)
    db.session.commit()
    do_postpone(forum, org)
    db.session.commit()
    reply = db.session.scalars(sa.select(PostponementReply).where(PostponementReply.registration_id == first.id)).one()
    assert answer(client, f"/postponed/{links.token_for(reply)}", "decline", confirm=True).status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, first.id).state is RegState.WITHDRAWN
    assert db.session.get(Registration, second.id).state is RegState.APPROVED  # the waitlist mode is auto


def test_after_answer_by_the_link_has_expired(client, db, world, monkeypatch):
    _forum, _org, replies, urls = world
    url = urls["tanaka@jp.example"]
    token = csrf_token(client, url)
    answer_by = replies["tanaka@jp.example"].postponement.answer_by
    before = state(db)
    monkeypatch.setattr(clock, "now", lambda: answer_by + timedelta(seconds=1))
    r = client.get(url)
    assert r.status_code == 410 and "田中" not in r.get_data(as_text=True)
    with force_locale("ja"):  # Tanaka's language
        assert _("This link has expired") in r.get_data(as_text=True)
    assert answer(client, url, "confirm", token=token).status_code == 410
    assert answer(client, url, "decline", confirm=True, token=token).status_code == 410
    assert state(db) == before
    monkeypatch.setattr(clock, "now", lambda: answer_by)  # up to answer_by itself it answers
    assert client.get(url).status_code == 200


def test_the_signature_itself_expires(app, client, db, world, monkeypatch):
    """Whatever answer_by says, a signature older than the link's maximum age is refused."""
    _forum, _org, replies, urls = world
    reply = replies["tanaka@jp.example"]
    url = urls["tanaka@jp.example"]
    signed = clock.now()
    monkeypatch.setitem(app.config, "POSTPONEMENT_LINK_MAX_AGE", 3600)
    monkeypatch.setattr(clock, "now", lambda: signed + timedelta(seconds=3500))
    assert client.get(url).status_code == 200
    monkeypatch.setattr(clock, "now", lambda: signed + timedelta(seconds=3700))
    assert signed + timedelta(seconds=3700) < reply.postponement.answer_by
    assert client.get(url).status_code == 410


def test_a_second_postponement_replaces_the_earlier_links(client, db, world):
    forum, org, _replies, urls = world
    do_postpone(forum, org, days=3)
    db.session.commit()
    r = client.get(urls["tanaka@jp.example"])
    assert r.status_code == 410
    with force_locale("ja"):
        assert _("The forum was postponed again") in r.get_data(as_text=True)
    new = db.session.scalars(sa.select(PostponementReply).join(Registration).where(
        Registration.email == "tanaka@jp.example").order_by(PostponementReply.id.desc())).first()
    assert client.get(f"/postponed/{links.token_for(new)}").status_code == 200


def test_the_route_is_rate_limited(app, client, db, world, monkeypatch):
    from forum.extensions import limiter

    _forum, _org, _replies, urls = world
    monkeypatch.setattr(limiter, "enabled", True)
    monkeypatch.setitem(app.config, "RATELIMIT_POSTPONEMENT_LINK", "3 per minute")
    limiter.reset()
    codes = [client.get(urls["tanaka@jp.example"]).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_registration_withdrawn_otherwise_cannot_answer(client, db, world):
    from forum.registration import states

    _forum, _org, replies, urls = world
    states.transition(replies["aigul@kz.example"].registration, RegState.WITHDRAWN, by=None, notify=False)
    db.session.commit()
    html = client.get(urls["aigul@kz.example"]).get_data(as_text=True)
    with force_locale("kk"):
        assert _("This registration is no longer active.") in html
    assert 'value="confirm"' not in html
    assert answer(client, urls["aigul@kz.example"], "confirm").status_code == 409
    assert answer(client, urls["aigul@kz.example"], "decline", confirm=True).status_code == 409
    assert reply_of(db, "aigul@kz.example").answer is Answer.PENDING


def test_the_services_refuse_late_and_replaced_answers_themselves(db, world):
    """The link is checked first, but an answer racing answer_by or a new postponement is refused by the service."""
    from forum.errors import InvalidState
    from forum.postponements import services

    forum, org, replies, _urls = world
    reply = replies["tanaka@jp.example"]
    with pytest.raises(InvalidState) as e:
        services.confirm(reply, now=reply.postponement.answer_by + timedelta(seconds=1))
    assert e.value.code == "answer_expired"
    do_postpone(forum, org, days=2)
    for call in (lambda: services.confirm(reply), lambda: services.decline(reply, confirmed=True)):
        with pytest.raises(InvalidState) as e:
            call()
        assert e.value.code == "replaced"
    db.session.expire_all()
    assert db.session.get(PostponementReply, reply.id).answer is Answer.PENDING



def test_the_page_speaks_the_language_of_the_e_mail_unless_the_reader_chose_another(client, db, world):
    """A Kazakh delegate's link opens in Kazakh even in a browser set to English; the language switcher wins."""
    _forum, _org, replies, urls = world
    assert replies["aigul@kz.example"].registration.language == "kk"
    html = client.get(urls["aigul@kz.example"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="kk"' in html
    assert '<html lang="ja"' in client.get(urls["tanaka@jp.example"], headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    with client.session_transaction() as s:
        s["lang"] = "en"
    assert '<html lang="en"' in client.get(urls["aigul@kz.example"]).get_data(as_text=True)
