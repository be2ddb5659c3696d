"""The B2B team's request pages (/manage/<slug>/b2b/requests), expiry run by the mail worker and the CLI, and
the request e-mails: who gets which, in their own language."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.meetings import participation, requests
from forum.meetings.models import MeetingRequest, Priority, RequestState
from forum.notifications import worker
from forum.notifications.models import OutboxMessage
from forum.teams.models import Permission
from tests import factories as f
from tests.test_query_counts import statements_for

S = RequestState
JA, KK, UZ = "田中 一郎", "Айгерім Сәрсенбаева", "Oʻlmas Gʻaniyev"


def _base(forum):
    return f"/manage/{forum.slug}/b2b/requests"


def _mails(db, template):
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == template)
                              .order_by(OutboxMessage.id)).all()


def _get(db, req):
    db.session.expire_all()
    return db.session.get(MeetingRequest, req.id)


@pytest.fixture()
def trio(db):
    forum = f.forum()
    ja = f.participant(forum, full_name=JA, latin_name="TANAKA Ichiro", country="JP", language="ja",
                       legal_name="株式会社ミライ水")
    kk = f.participant(forum, full_name=KK, latin_name="SARSENBAYEVA Aigerim", country="KZ", language="ru",
                       legal_name="ТОО «Қазақ Су»")
    uz = f.participant(forum, full_name=UZ, latin_name="GANIYEV Olmas", country="UZ", legal_name="Oʻzbek Paxta MChJ")
    return forum, ja, kk, uz


@pytest.fixture()
def staff(trio):
    return f.member(trio[0], Permission.B2B)


# --- the list ----------------------------------------------------------------------------------------------

def test_the_list_shows_every_request_with_counts_per_state(client, db, login, trio, staff):
    forum, ja, kk, uz = trio
    f.meeting_request(ja, kk)
    f.meeting_request(uz, ja, accept=True)
    requests.decline(f.meeting_request(kk, uz), by=uz.user)
    login(staff)
    page = client.get(_base(forum) + "/").get_data(as_text=True)
    assert JA in page and KK in page and UZ in page
    assert page.count('class="request-row"') == 3
    assert 'data-count="pending">Waiting for an answer: 1<' in page
    assert 'data-count="accepted">Accepted: 1<' in page and 'data-count="declined">Declined: 1<' in page


def test_filters_by_state_priority_country_and_a_name_in_any_script(client, db, login, trio, staff):
    forum, ja, kk, uz = trio
    f.meeting_request(ja, kk, priority="must")  # JP -> KZ, must
    f.meeting_request(uz, ja, accept=True)  # UZ -> JP, accepted
    other = f.participant_company(forum, 2, country="TJ", legal_name="Тоҷик Барқ")
    f.meeting_request(kk, other[0].company)  # KZ -> TJ company
    login(staff)

    def rows(query):
        page = client.get(_base(forum) + "/?" + query)
        assert page.status_code == 200
        return page.get_data(as_text=True).count('class="request-row"')

    assert rows("state=accepted") == 1 and rows("state=pending") == 2
    assert rows("priority=must") == 1
    assert rows("country=UZ") == 1 and rows("country=kz") == 2 and rows("country=JP") == 2
    assert rows("country=TJ") == 1  # the company asked
    assert rows("q=田中一郎") == 2  # Japanese without the space
    assert rows("q=Айгерим Сарсенбаева") == 2  # Kazakh letters typed on a Russian keyboard
    assert rows("q=olmas ganiyev") == 1  # Uzbek Latin without the ʻ
    assert rows("q=Тоҷик") == 1  # a delegate of the company asked
    assert rows("q=nobody-such") == 0
    # nonsense filters filter nothing and never fail
    assert rows("state=bogus&priority=%E2%80%94&country=%D0%96%D0%96&page=abc") == 3


def test_the_list_is_paginated_and_runs_as_many_statements_for_1_and_20_requests(client, db, login, app):
    counts = []
    for n in (1, 20):
        forum = f.forum()
        staff = f.member(forum, Permission.B2B)
        me = f.participant(forum)
        for i in range(n):
            other = f.participant(forum)
            f.meeting_request(me if i % 2 else other, other.company if i % 2 else me, accept=i % 3 == 0)
        login(staff)
        counts.append((statements_for(client, _base(forum) + "/"), statements_for(client, _base(forum) + "/?q=x")))
    assert counts[0] == counts[1]
    app.config["PER_PAGE"] = 5
    try:
        page = client.get(_base(forum) + "/?page=4").get_data(as_text=True)
        assert page.count('class="request-row"') == 5 and "page=3" in page
    finally:
        app.config["PER_PAGE"] = 50
    assert client.get(_base(forum) + "/?page=99999999999").status_code == 404


def test_a_team_member_without_b2b_gets_403_and_a_delegate_too(client, db, login, trio):
    forum, ja, kk, uz = trio
    req = f.meeting_request(ja, kk)
    for who in (f.member(forum, Permission.CHECKIN), f.member(forum, Permission.REVIEW), ja.user,
                f.member(f.forum(), Permission.B2B)):
        login(who)
        for url in ("/", "/new", f"/{req.id}"):
            assert client.get(_base(forum) + url).status_code == 403, (who, url)
    login(f.member(forum, Permission.MANAGE))
    assert client.get(_base(forum) + f"/{req.id}").status_code == 200


def test_a_request_of_another_forum_is_404(client, db, login, trio, staff):
    forum, ja, kk, uz = trio
    other = f.forum()
    theirs = f.meeting_request(f.participant(other), f.participant(other))
    login(staff)
    assert client.get(_base(forum) + f"/{theirs.id}").status_code == 404
    assert client.get(_base(forum) + "/99999").status_code == 404


# --- acting on behalf --------------------------------------------------------------------------------------

def test_the_team_creates_a_request_for_a_delegate_who_is_told_and_it_is_audited(client, db, login, post, trio,
                                                                                 staff):
    forum, ja, kk, uz = trio
    login(staff)
    url = _base(forum) + "/new"
    page = client.get(url).get_data(as_text=True)
    assert JA in page and KK in page and "Oʻzbek Paxta MChJ" in page
    r = post(url, {"requester": ja.public_id, "company": kk.company.public_id, "recipient": kk.public_id,
                   "message": "Asked by phone", "priority": "must", "reason": "Phoned the desk"}, token_from=url)
    assert r.status_code == 302
    req = db.session.scalar(sa.select(MeetingRequest))
    assert (req.requester_id, req.recipient_id, req.priority, req.created_by_id) == (ja.id, kk.id, Priority.MUST,
                                                                                   staff.id)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject_type == "meeting_request"))
    assert entry.actor_id == staff.id and entry.details["on_behalf"] is True and entry.reason == "Phoned the desk"
    [told] = _mails(db, "b2b_request_created_for_you")
    assert told.to_addr == ja.email and told.language == "ja"
    assert f"{JA} 様" in told.body_text and KK in told.body_text and forum.title in told.body_text
    assert f"http://forum.test/forums/{forum.slug}/b2b/requests" in told.body_text
    [received] = _mails(db, "b2b_request_received")
    assert received.to_addr == kk.email and received.language == "ru" and "Здравствуйте" in received.body_text


def test_a_delegate_making_their_own_request_gets_no_made_for_you_mail(db, trio):
    forum, ja, kk, uz = trio
    f.meeting_request(ja, kk)
    assert _mails(db, "b2b_request_created_for_you") == []


@pytest.mark.parametrize("data,field", [
    ({"requester": "", "company": "x"}, "requester"),
    ({"requester": "00000000-0000-4000-8000-000000000000"}, "requester"),
    ({"priority": "urgent"}, "priority"),
    ({"message": "x" * (requests.MESSAGE_MAX + 1)}, "message"),
    ({"reason": "x" * 501}, "reason"),
    ({"recipient": "SELF"}, "recipient"),  # a delegate not with the company asked
])
def test_bad_input_on_the_create_form_is_refused_next_to_its_field(client, db, login, post, trio, staff, data,
                                                                   field):
    forum, ja, kk, uz = trio
    login(staff)
    form = {"requester": ja.public_id, "company": kk.company.public_id, "recipient": "", "priority": "nice",
            "message": "Hello", "reason": ""}
    form.update({k: (uz.public_id if v == "SELF" else v) for k, v in data.items()})
    url = _base(forum) + "/new"
    r = post(url, form, token_from=url)
    assert r.status_code == 422
    assert f'id="{field}-error"' in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingRequest)) == 0


def test_accepting_a_company_request_on_behalf_asks_which_delegate_meets(client, db, login, post, trio, staff):
    forum, ja, kk, uz = trio
    x, y = f.participant_company(forum, 2, country="KZ")
    req = f.meeting_request(ja, x.company)
    login(staff)
    page = client.get(_base(forum) + f"/{req.id}").get_data(as_text=True)
    assert x.full_name in page and y.full_name in page
    url = _base(forum) + f"/{req.id}/accept"
    r = post(url, {"recipient": "", "priority": "must", "reason": "By phone"})
    assert r.status_code == 422 and 'id="recipient-error"' in r.get_data(as_text=True)
    assert post(url, {"recipient": kk.public_id, "priority": "must"}).status_code == 422  # not with that company
    assert _get(db, req).state is S.PENDING
    assert post(url, {"recipient": y.public_id, "priority": "must", "reason": "By phone"}).status_code == 302
    req = _get(db, req)
    assert req.state is S.ACCEPTED and req.recipient_id == y.id and req.response_priority is Priority.MUST
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "meeting_request")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_id == staff.id and entry.details.get("on_behalf") and entry.reason == "By phone"
    assert "on the delegate" in client.get(_base(forum) + f"/{req.id}").get_data(as_text=True)


def test_decline_and_cancel_on_behalf_with_a_reason_and_confirmation(client, db, login, post, trio, staff):
    forum, ja, kk, uz = trio
    pending = f.meeting_request(ja, kk)
    accepted = f.meeting_request(uz, kk, accept=True)
    login(staff)
    assert post(_base(forum) + f"/{pending.id}/decline", {"reason": "Delegate left early"}).status_code == 302
    assert _get(db, pending).state is S.DECLINED and _get(db, pending).reason == "Delegate left early"
    url = _base(forum) + f"/{accepted.id}/cancel"
    r = post(url, {"reason": "Hall closed"})
    assert r.status_code == 422 and 'id="confirm-error"' in r.get_data(as_text=True)
    assert _get(db, accepted).state is S.ACCEPTED
    assert post(url, {"reason": "Hall closed", "confirm": "y"}).status_code == 302
    assert _get(db, accepted).state is S.CANCELLED
    # both sides are told when the team cancels
    assert sorted(m.to_addr for m in _mails(db, "b2b_request_cancelled")) == sorted([uz.email, kk.email])
    # a finished request cannot be answered again: 409 with the reason, nothing changes
    r = post(_base(forum) + f"/{pending.id}/cancel", {"reason": "again"})
    assert r.status_code == 409 and _get(db, pending).state is S.DECLINED


def test_actions_on_behalf_need_the_csrf_token_and_the_permission(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    req = f.meeting_request(ja, kk)
    login(f.member(forum, Permission.B2B))
    for action in ("accept", "decline", "cancel"):
        assert client.post(_base(forum) + f"/{req.id}/{action}", data={"priority": "nice"}).status_code == 400
    login(f.member(forum, Permission.CHECKIN))
    for action in ("accept", "decline", "cancel"):
        assert post(_base(forum) + f"/{req.id}/{action}", {"priority": "nice", "confirm": "y"}).status_code == 403
    assert _get(db, req).state is S.PENDING


# --- expiry: the worker and the CLI ------------------------------------------------------------------------

def _due(db, forum, ja, kk):
    req = f.meeting_request(ja, kk)
    participation.settings(forum).request_deadline = clock.now() - timedelta(seconds=1)
    db.session.commit()
    return req


def test_the_cli_expires_due_requests_and_says_how_many(app, db, trio):
    forum, ja, kk, uz = trio
    req = _due(db, forum, ja, kk)
    result = app.test_cli_runner().invoke(args=["b2b", "expire"])
    assert result.exit_code == 0 and "1 request(s) expired" in result.output
    assert _get(db, req).state is S.EXPIRED
    assert sorted(m.to_addr for m in _mails(db, "b2b_request_expired")) == sorted([ja.email, kk.email])
    again = app.test_cli_runner().invoke(args=["b2b", "expire"])
    assert again.exit_code == 0 and "0 request(s) expired" in again.output


def test_the_worker_expires_at_most_once_a_minute_and_commits(app, db, trio):
    forum, ja, kk, uz = trio
    first = _due(db, forum, ja, kk)
    t0 = clock.now()
    assert worker.expire_requests(None, t0) == t0
    db.session.rollback()  # what was committed stays
    assert _get(db, first).state is S.EXPIRED
    participation.settings(forum).request_deadline = None
    second = f.meeting_request(uz, kk)
    participation.settings(forum).request_deadline = t0 - timedelta(seconds=1)
    db.session.commit()
    assert worker.expire_requests(t0, t0 + timedelta(seconds=59)) == t0  # too soon: not run
    assert _get(db, second).state is S.PENDING
    assert worker.expire_requests(t0, t0 + timedelta(seconds=60)) == t0 + timedelta(seconds=60)
    assert _get(db, second).state is S.EXPIRED


def test_the_worker_loop_runs_the_expiry(app, db, trio, monkeypatch):
    forum, ja, kk, uz = trio
    req = _due(db, forum, ja, kk)

    class Stop(Exception):
        pass

    def stop(_seconds):
        raise Stop

    monkeypatch.setattr(worker.time, "sleep", stop)
    monkeypatch.setattr(worker.Transport, "send", lambda self, em, msg_id: None)
    with pytest.raises(Stop):
        worker.run_forever(batch=50)
    assert _get(db, req).state is S.EXPIRED
    # ...and the expiry mails went out in the same loop, through the outbox
    assert {m.status.value for m in _mails(db, "b2b_request_expired")} == {"sent"}


def test_a_failing_expiry_does_not_stop_the_mail(app, db, trio, monkeypatch):
    def boom(now=None):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(requests, "expire_due", boom)
    t0 = clock.now()
    assert worker.expire_requests(None, t0) == t0  # logged, rolled back, tried again a minute later


# --- the e-mails -------------------------------------------------------------------------------------------

def test_each_mail_goes_to_the_right_people_in_their_language_naming_forum_counterpart_and_link(db, trio):
    forum, ja, kk, uz = trio
    link = f"http://forum.test/forums/{forum.slug}/b2b/requests"
    req = f.meeting_request(ja, kk, message="水処理技術")
    [m] = _mails(db, "b2b_request_received")
    assert (m.to_addr, m.language) == (kk.email, "ru") and "Здравствуйте" in m.body_text
    assert JA in m.subject and "株式会社ミライ水" in m.body_text and "水処理技術" in m.body_text
    requests.accept(req, by=kk.user)
    [m] = _mails(db, "b2b_request_accepted")
    assert (m.to_addr, m.language) == (ja.email, "ja") and f"{JA} 様" in m.body_text and KK in m.body_text
    declined = f.meeting_request(ja, uz)
    requests.decline(declined, by=uz.user, reason="Not our field")
    [m] = _mails(db, "b2b_request_declined")
    assert m.to_addr == ja.email and UZ in m.body_text and "Not our field" in m.body_text
    requests.cancel(req, by=ja.user, reason="Visa refused")
    [m] = _mails(db, "b2b_request_cancelled")
    assert (m.to_addr, m.language) == (kk.email, "ru") and JA in m.body_text and "Visa refused" in m.body_text
    expiring = f.meeting_request(kk, uz)
    participation.settings(forum).request_deadline = clock.now()
    requests.expire_due(clock.now() + timedelta(seconds=1))
    assert expiring.state is S.EXPIRED
    mails = _mails(db, "b2b_request_expired")
    assert sorted(m.to_addr for m in mails) == sorted([kk.email, uz.email])
    for m in _mails(db, "b2b_request_received") + _mails(db, "b2b_request_accepted") + mails + \
            _mails(db, "b2b_request_declined") + _mails(db, "b2b_request_cancelled"):
        assert forum.title in m.body_text and link in m.body_text, m.template
