"""The calendar over HTTP: the signed-in download, the private subscription URL (no sign-in; wrong, renewed-away
or withdrawn -> 404), renewing it (confirmation, CSRF, audit), and who may do what."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, gettext
from markupsafe import escape

from forum.agendas import subscription
from forum.agendas.models import AgendaState
from forum.audit.models import AuditEntry
from forum.registration import states
from forum.registration.models import RegState
from tests import factories as f
from tests.agendas.conftest import by_uid


def _path(url: str) -> str:
    return url.removeprefix("http://forum.test")


def _setup(db, world):
    forum, ja, kz, uz = world["forum"], world["ja"], world["kz"], world["uz"]
    s, (t1, t2) = world["slots"], world["tables"]
    m1 = f.meeting(ja, kz, s[0], t1, interpreter=world["interpreter"])
    m2 = f.meeting(kz, uz, s[1], t2)
    return forum, m1, m2


def test_the_subscription_url_serves_only_its_delegates_meetings_without_sign_in(app, client, db, world):
    forum, m1, m2 = _setup(db, world)
    ja, kz, uz = world["ja"], world["kz"], world["uz"]
    with app.test_request_context():
        url = subscription.url_for_reg(ja)
    db.session.commit()
    assert url.startswith(f"http://forum.test/calendar/{ja.public_id}/") and url.endswith(".ics")
    r = client.get(_path(url))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in r.headers["Cache-Control"] and "private" in r.headers["Cache-Control"]
    assert "noindex" in r.headers["X-Robots-Tag"]
    assert set(by_uid(r.data)) == {f"{m1.request.public_id}@forum-b2b"}
    text = r.data.decode()
    assert "Oʻtkir" not in text and m2.request.public_id not in text  # kz's other meeting is not ja's business
    # kz's own URL shows kz's two meetings, and ja's token does not open kz's calendar.
    with app.test_request_context():
        kz_url = subscription.url_for_reg(kz)
    assert len(by_uid(client.get(_path(kz_url)).data)) == 2
    ja_token = url.rsplit("/", 1)[1]
    assert client.get(f"/calendar/{kz.public_id}/{ja_token}").status_code == 404
    assert uz.public_id not in url


def test_wrong_tokens_are_404(app, client, db, world):
    _setup(db, world)
    ja = world["ja"]
    with app.test_request_context():
        good = subscription.token_for(ja)
    db.session.commit()
    for bad in (good[:-1], good + "x", good.upper() if good.upper() != good else good.lower(), "x" * 26, "Әлия" * 7):
        assert client.get(f"/calendar/{ja.public_id}/{bad}.ics").status_code == 404, bad
    assert client.get(f"/calendar/{ja.public_id}/%00.ics").status_code in (400, 404)
    assert client.get(f"/calendar/00000000-0000-4000-8000-000000000000/{good}.ics").status_code == 404
    assert client.get(f"/calendar/{ja.public_id}/{good}").status_code == 404  # without .ics
    assert client.get(f"/calendar/{ja.public_id}/{good}.ics").status_code == 200


def test_the_token_is_an_hmac_of_the_registration_and_its_version():
    a = subscription.token("k", "11111111-1111-4111-8111-111111111111", 1)
    assert len(a) == 26 and a.replace("-", "").replace("_", "").isalnum()
    assert a == subscription.token(b"k", "11111111-1111-4111-8111-111111111111", 1)
    assert a != subscription.token("k", "11111111-1111-4111-8111-111111111111", 2)
    assert a != subscription.token("k2", "11111111-1111-4111-8111-111111111111", 1)
    assert a != subscription.token("k", "11111111-1111-4111-8111-111111111112", 1)


def test_renewing_makes_the_old_url_404_and_is_audited(app, client, db, login, post, world):
    forum, *_ = _setup(db, world)
    ja = world["ja"]
    with app.test_request_context():
        old = _path(subscription.url_for_reg(ja))
    login(ja.user)
    page = client.get(f"/forums/{forum.slug}/b2b/agenda/calendar-link/renew")
    with force_locale("ja"):  # the delegate's language
        warning = gettext("You get a new private link. The old one stops working at once: every calendar app that "
                          "follows it stops being updated until you add the new link there. Renew it if you shared "
                          "the link by mistake or lost a device.")
    assert page.status_code == 200 and str(escape(warning)) in page.get_data(as_text=True)
    # Without the box ticked: refused next to the field, nothing renewed.
    r = post(f"/forums/{forum.slug}/b2b/agenda/calendar-link/renew", {}, token_from=f"/forums/{forum.slug}/b2b/agenda")
    with force_locale("ja"):
        tick = gettext("Tick this box to renew the link.")
    assert r.status_code == 422 and str(escape(tick)) in r.get_data(as_text=True)
    assert client.get(old).status_code == 200
    r = post(f"/forums/{forum.slug}/b2b/agenda/calendar-link/renew", {"confirm": "y"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/forums/{forum.slug}/b2b/agenda#calendar")
    assert client.get(old).status_code == 404
    db.session.expire_all()
    state = db.session.scalar(sa.select(AgendaState).where(AgendaState.registration_id == ja.id))
    assert state.calendar_version == 2 and state.calendar_renewed_at is not None
    with app.test_request_context():
        new = _path(subscription.url_for_reg(ja))
    assert new != old and client.get(new).status_code == 200
    page = client.get(f"/forums/{forum.slug}/b2b/agenda").get_data(as_text=True)
    assert new.rsplit("/", 1)[1] in page and old.rsplit("/", 1)[1] not in page
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "calendar_url_renewed")).all()
    assert entry.subject_id == ja.id and entry.actor_id == ja.user.id and entry.forum_id == forum.id
    # Renewing again: the second URL stops too.
    post(f"/forums/{forum.slug}/b2b/agenda/calendar-link/renew", {"confirm": "y"})
    assert client.get(new).status_code == 404


def test_renew_without_csrf_is_refused(client, db, login, world):
    forum, *_ = _setup(db, world)
    login(world["ja"].user)
    r = client.post(f"/forums/{forum.slug}/b2b/agenda/calendar-link/renew", data={"confirm": "y"})
    assert r.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaState)) == 0


def test_a_withdrawn_registrations_url_is_404(app, client, db, world):
    _setup(db, world)
    ja = world["ja"]
    with app.test_request_context():
        url = _path(subscription.url_for_reg(ja))
    db.session.commit()
    assert client.get(url).status_code == 200
    states.transition(ja, RegState.WITHDRAWN, by=None, notify=False)
    db.session.commit()
    assert client.get(url).status_code == 404


def test_the_download_is_the_signed_in_delegates_own(client, db, login, world):
    forum, m1, m2 = _setup(db, world)
    url = f"/forums/{forum.slug}/b2b/agenda/agenda.ics"
    anon = client.get(url)
    assert anon.status_code == 302 and "/login" in anon.headers["Location"]
    login(world["uz"].user)
    r = client.get(url)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="b2b-agenda.ics"'
    assert set(by_uid(r.data)) == {f"{m2.request.public_id}@forum-b2b"}
    # Someone who takes no part (a registered delegate whose company did not consent, an account with nothing,
    # a delegate of another forum) gets a 404 here and on the renewal.
    for user in (f.participant(forum, directory_consent=False).user, f.user(),
                 f.participant(f.forum()).user, f.member(forum)):
        login(user)
        assert client.get(url).status_code == 404
        assert client.get(f"/forums/{forum.slug}/b2b/agenda/calendar-link/renew").status_code == 404


def test_the_subscription_url_is_rate_limited(app, client, db, world, monkeypatch):
    from forum.extensions import limiter

    _setup(db, world)
    monkeypatch.setattr(limiter, "enabled", True)  # whatever an earlier test left it at
    app.config["RATELIMIT_CALENDAR"] = "3 per minute"
    try:
        with app.test_request_context():
            url = _path(subscription.url_for_reg(world["ja"]))
        db.session.commit()
        codes = [client.get(url).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
    finally:
        del app.config["RATELIMIT_CALENDAR"]
