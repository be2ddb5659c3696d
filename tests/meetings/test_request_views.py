"""The delegate's B2B request pages (/forums/<slug>/b2b): the overview, the lists, a new request, one request
and the answers to it; with CSRF on, other people's ids guessed, bad input, names in any script."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.meetings import participation, requests
from forum.meetings.models import MeetingPrefs, MeetingRequest, Priority, RequestState
from forum.notifications.models import OutboxMessage
from forum.teams.models import Permission
from tests import factories as f
from tests.test_query_counts import statements_for

S = RequestState
JA, KK, UZ = "田中 一郎", "Айгерім Сәрсенбаева", "Oʻlmas Gʻaniyev"


def _count(db, model=MeetingRequest):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _base(forum):
    return f"/forums/{forum.slug}/b2b"


@pytest.fixture()
def trio(db):
    forum = f.forum()
    ja = f.participant(forum, full_name=JA, country="JP", legal_name="株式会社ミライ水")
    kk = f.participant(forum, full_name=KK, country="KZ", legal_name="ТОО «Қазақ Су»", language="ru")
    uz = f.participant(forum, full_name=UZ, country="UZ", legal_name="Oʻzbek Paxta MChJ")
    return forum, ja, kk, uz


# --- the overview ------------------------------------------------------------------------------------------

def test_the_overview_counts_what_waits_for_whom_and_names_the_deadline_in_the_forums_zone(client, db, login, trio):
    forum, ja, kk, uz = trio
    f.meeting_request(kk, ja)  # waits for ja
    f.meeting_request(uz, ja.company)  # to ja's company: waits for ja too
    f.meeting_request(ja, f.participant(forum))  # ja's, waiting
    f.meeting_request(ja, f.participant(forum), accept=True)  # ja's, accepted
    participation.settings(forum).request_deadline = f.utc(2031, 3, 2, 4, 0)  # 09:00 in Almaty (UTC+5)
    login(ja.user)
    page = client.get(_base(forum) + "/").get_data(as_text=True)
    assert 'data-status="ok"' in page
    assert 'data-count="received_waiting">2<' in page
    assert 'data-count="sent_waiting">1<' in page
    assert 'data-count="accepted">1<' in page
    assert "09:00" in page and "Asia/Almaty" in page and "2031" in page
    assert f"{_base(forum)}/requests" in page


@pytest.mark.parametrize("case,code", [("not_approved", "not_approved"), ("no_consent", "no_consent"),
                                       ("opted_out", "opted_out")])
def test_someone_registered_who_takes_no_part_is_told_why(client, db, login, case, code):
    forum = f.forum()
    if case == "not_approved":
        reg = f.company(forum, 1, directory_consent=True).delegates[0]
    elif case == "no_consent":
        reg = f.participant(forum, directory_consent=False)
    else:
        reg = f.participant(forum)
        db.session.add(MeetingPrefs(registration_id=reg.id, opted_out=True))
    login(reg.user)
    r = client.get(_base(forum) + "/")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert f'data-status="{code}"' in page and "data-count" not in page
    # ...and the pages that need taking part are still 404 for them
    assert client.get(_base(forum) + "/requests").status_code == 404


def test_the_overview_is_404_without_a_registration_and_asks_anonymous_to_sign_in(client, db, login, trio):
    forum, *_ = trio
    assert client.get(_base(forum) + "/").status_code == 302
    login(f.user())
    assert client.get(_base(forum) + "/").status_code == 404
    login(trio[1].user)
    assert client.get("/forums/no-such-forum/b2b/").status_code == 404


# --- the lists ---------------------------------------------------------------------------------------------

def test_the_requests_page_groups_by_state_and_offers_the_answers_each_side_may_give(client, db, login, trio):
    forum, ja, kk, uz = trio
    waiting = f.meeting_request(kk, ja, message="Водоочистка для Алматы")
    accepted = f.meeting_request(uz, ja, accept=True)
    kz_co = f.participant_company(forum, 2, country="KZ", legal_name="ТОО «Қазақ Су»")[0].company
    to_company = f.meeting_request(ja, kz_co)
    login(ja.user)
    page = client.get(_base(forum) + "/requests").get_data(as_text=True)
    assert KK in page and UZ in page and "Водоочистка для Алматы" in page
    assert page.index("Waiting for an answer") < page.index("Accepted")
    assert f"/requests/{waiting.public_id}/accept" in page and f"/requests/{waiting.public_id}/decline" in page
    assert f"/requests/{accepted.public_id}/accept" not in page and f"/requests/{accepted.public_id}/cancel" in page
    assert "to ТОО «Қазақ Су» (any delegate)" in page
    assert f"/requests/{to_company.public_id}/cancel" in page and f"/requests/{to_company.public_id}/accept" not in page


def test_the_lists_are_paginated(client, db, login, app, trio):
    forum, ja, *_ = trio
    app.config["PER_PAGE"] = 2
    try:
        for _ in range(3):
            f.meeting_request(f.participant(forum), ja)
        login(ja.user)
        first = client.get(_base(forum) + "/requests").get_data(as_text=True)
        assert first.count("/accept") == 2 and "page=2" in first
        second = client.get(_base(forum) + "/requests?page=2").get_data(as_text=True)
        assert second.count("/accept") == 1
        assert client.get(_base(forum) + "/requests?page=abc").status_code == 200
        assert client.get(_base(forum) + "/requests?page=99999999999").status_code == 404
    finally:
        app.config["PER_PAGE"] = 50


def test_the_requests_page_runs_as_many_statements_for_1_and_20_requests(client, db, login):
    counts = []
    for n in (1, 20):
        forum = f.forum()
        me = f.participant(forum)
        for i in range(n):
            other = f.participant(forum)
            if i % 2:
                f.meeting_request(other, me, accept=i % 4 == 1)
            else:
                f.meeting_request(me, other.company)
        login(me.user)
        counts.append((statements_for(client, _base(forum) + "/requests"),
                       statements_for(client, _base(forum) + "/")))
    assert counts[0] == counts[1]


# --- a new request -----------------------------------------------------------------------------------------

def test_a_new_request_is_sent_from_the_form_and_lands_on_the_list(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    login(ja.user)
    url = f"{_base(forum)}/requests/new?company={kk.company.public_id}&delegate={kk.public_id}"
    page = client.get(url).get_data(as_text=True)
    assert KK in page and "ТОО «Қазақ Су»" in page
    r = post(url, {"message": "Water treatment for Almaty", "priority": "must"}, token_from=url)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{_base(forum)}/requests")
    req = db.session.scalar(sa.select(MeetingRequest))
    assert req.requester_id == ja.id and req.recipient_id == kk.id and req.priority is Priority.MUST
    assert req.message == "Water treatment for Almaty"
    assert "has been sent" in client.get(_base(forum) + "/requests").get_data(as_text=True)


def test_a_request_to_a_company_names_any_delegate(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    login(ja.user)
    url = f"{_base(forum)}/requests/new?company={uz.company.public_id}"
    assert "Oʻzbek Paxta MChJ (any delegate)" in client.get(url).get_data(as_text=True)
    assert post(url, {"priority": "nice"}, token_from=url).status_code == 302
    req = db.session.scalar(sa.select(MeetingRequest))
    assert req.recipient_id is None and req.target_company_id == uz.company_id


@pytest.mark.parametrize("data,field", [
    ({"message": "x" * (requests.MESSAGE_MAX + 1), "priority": "nice"}, "message"),
    ({"message": "Hello", "priority": "urgent"}, "priority"),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_lost(client, db, login, post, trio, data, field):
    forum, ja, kk, uz = trio
    login(ja.user)
    url = f"{_base(forum)}/requests/new?company={kk.company.public_id}"
    r = post(url, data, token_from=url)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert data["message"][:50] in page  # what they typed is still there
    assert _count(db) == 0


def test_a_nul_byte_is_a_400_and_saves_nothing(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    login(ja.user)
    url = f"{_base(forum)}/requests/new?company={kk.company.public_id}"
    assert post(url, {"message": "a\x00b", "priority": "nice"}, token_from=url).status_code == 400
    assert _count(db) == 0


def test_a_rule_of_the_service_shows_on_the_form(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    f.meeting_request(kk, ja)
    login(ja.user)
    url = f"{_base(forum)}/requests/new?company={kk.company.public_id}"
    r = post(url, {"priority": "nice", "message": "Crossing"}, token_from=url)
    assert r.status_code == 409 and "already asked you" in r.get_data(as_text=True)
    own = f"{_base(forum)}/requests/new?company={ja.company.public_id}"
    r = post(own, {"priority": "nice"}, token_from=own)
    assert r.status_code == 422 and 'id="target-error"' in r.get_data(as_text=True)
    assert _count(db) == 1


def test_the_new_request_form_is_404_for_a_company_of_another_forum_or_not_taking_part(client, db, login, trio):
    forum, ja, kk, uz = trio
    elsewhere = f.participant(f.forum())
    no_consent = f.participant(forum, directory_consent=False)
    opted_out = f.participant(forum)
    db.session.add(MeetingPrefs(registration_id=opted_out.id, opted_out=True))
    login(ja.user)
    new = f"{_base(forum)}/requests/new"
    for query in (f"?company={elsewhere.company.public_id}", f"?company={no_consent.company.public_id}",
                  f"?company={opted_out.company.public_id}",
                  f"?company={opted_out.company.public_id}&delegate={opted_out.public_id}",
                  f"?company={kk.company.public_id}&delegate={uz.public_id}",  # not with that company
                  "", "?company=not-an-id", "?company=00000000-0000-4000-8000-000000000000"):
        assert client.get(new + query).status_code == 404, query
    login(no_consent.user)  # takes no part: cannot ask anyone
    assert client.get(f"{new}?company={kk.company.public_id}").status_code == 404


# --- one request, and the answers -------------------------------------------------------------------------

def test_one_request_is_seen_by_its_sides_and_the_b2b_team_only(client, db, login, trio):
    forum, ja, kk, uz = trio
    req = f.meeting_request(kk, ja, message="Only for the two of us")
    url = f"{_base(forum)}/requests/{req.public_id}"
    for who in (ja.user, kk.user, f.member(forum, Permission.B2B)):
        login(who)
        r = client.get(url)
        assert r.status_code == 200 and "Only for the two of us" in r.get_data(as_text=True)
    for who in (uz.user, f.member(forum, Permission.CHECKIN), f.user(), f.member(f.forum(), Permission.B2B)):
        login(who)
        assert client.get(url).status_code == 404
    login(ja.user)
    assert client.get(f"/forums/{f.forum().slug}/b2b/requests/{req.public_id}").status_code == 404  # other forum
    assert client.get(f"{_base(forum)}/requests/{req.id}").status_code == 404  # the integer id leads nowhere


def test_the_recipient_accepts_with_their_priority_and_the_requester_is_told(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    req = f.meeting_request(kk, ja, priority="must")
    login(ja.user)
    r = post(f"{_base(forum)}/requests/{req.public_id}/accept", {"priority": "must"})
    assert r.status_code == 302
    db.session.expire_all()
    req = db.session.get(MeetingRequest, req.id)
    assert req.state is S.ACCEPTED and req.response_priority is Priority.MUST and req.weight == 3
    [m] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "b2b_request_accepted")).all()
    assert m.to_addr == kk.email and m.language == "ru"
    assert "You accepted the meeting" in client.get(_base(forum) + "/requests").get_data(as_text=True)


def test_a_delegate_of_the_company_asked_accepts_and_becomes_the_recipient(client, db, login, post):
    forum = f.forum()
    a = f.participant(forum)
    x, y = f.participant_company(forum, 2)
    req = f.meeting_request(a, x.company)
    login(y.user)
    assert post(f"{_base(forum)}/requests/{req.public_id}/accept", {"priority": "nice"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(MeetingRequest, req.id).recipient_id == y.id


def test_decline_with_a_reason_and_cancel_with_confirmation_for_an_accepted_one(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    declined = f.meeting_request(kk, ja)
    accepted = f.meeting_request(uz, ja, accept=True)
    login(ja.user)
    assert post(f"{_base(forum)}/requests/{declined.public_id}/decline",
                {"reason": "Не наш профиль"}).status_code == 302
    url = f"{_base(forum)}/requests/{accepted.public_id}/cancel"
    r = post(url, {"reason": "Flight cancelled"})
    assert r.status_code == 422 and 'id="confirm-error"' in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MeetingRequest, accepted.id).state is S.ACCEPTED
    assert post(url, {"reason": "Flight cancelled", "confirm": "y"}).status_code == 302
    db.session.expire_all()
    d, c = db.session.get(MeetingRequest, declined.id), db.session.get(MeetingRequest, accepted.id)
    assert d.state is S.DECLINED and d.reason == "Не наш профиль"
    assert c.state is S.CANCELLED and c.reason == "Flight cancelled"


def test_the_requester_cancels_a_pending_request_without_confirmation(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    req = f.meeting_request(ja, kk)
    login(ja.user)
    assert post(f"{_base(forum)}/requests/{req.public_id}/cancel", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(MeetingRequest, req.id).state is S.CANCELLED


def test_the_requester_cannot_answer_their_own_request_even_when_on_the_b2b_team(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    from forum.teams import services as teams

    req = f.meeting_request(ja, kk)
    teams.grant(forum, ja.user, [Permission.B2B], by=None)
    login(ja.user)
    for action in ("accept", "decline"):
        r = post(f"{_base(forum)}/requests/{req.public_id}/{action}", {"priority": "nice"})
        assert r.status_code == 403 and "Only the other side" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MeetingRequest, req.id).state is S.PENDING


def test_nobody_else_acts_on_a_request_by_guessing_its_id(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    req = f.meeting_request(kk, ja)
    people = (uz.user, f.member(forum, Permission.B2B), f.user())
    before = _count(db, AuditEntry), _count(db, OutboxMessage)
    for who in people:
        login(who)
        for action in ("accept", "decline", "cancel"):
            r = post(f"{_base(forum)}/requests/{req.public_id}/{action}", {"priority": "nice", "confirm": "y"})
            assert r.status_code == 404, (who, action)
    login(ja.user)
    for pid in ("00000000-0000-4000-8000-000000000000", str(req.id), "%00"):
        assert post(f"{_base(forum)}/requests/{pid}/accept", {"priority": "nice"}).status_code in (400, 404)
    db.session.expire_all()
    assert db.session.get(MeetingRequest, req.id).state is S.PENDING
    assert (_count(db, AuditEntry), _count(db, OutboxMessage)) == before


@pytest.mark.parametrize("data", [{"priority": "urgent"}, {"priority": ""}, {"priority": "must\x00"}])
def test_an_invalid_priority_is_refused_and_changes_nothing(client, db, login, post, trio, data):
    forum, ja, kk, uz = trio
    req = f.meeting_request(kk, ja)
    login(ja.user)
    r = post(f"{_base(forum)}/requests/{req.public_id}/accept", data)
    assert 400 <= r.status_code < 500
    db.session.expire_all()
    assert db.session.get(MeetingRequest, req.id).state is S.PENDING


def test_an_overlong_reason_is_refused_next_to_the_field(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    req = f.meeting_request(kk, ja)
    login(ja.user)
    r = post(f"{_base(forum)}/requests/{req.public_id}/decline", {"reason": "x" * 501})
    assert r.status_code == 422 and 'id="reason-error"' in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MeetingRequest, req.id).state is S.PENDING


def test_answering_a_request_that_is_over_says_why_and_changes_nothing(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    req = f.meeting_request(kk, ja)
    requests.cancel(req, by=kk.user)
    login(ja.user)
    r = post(f"{_base(forum)}/requests/{req.public_id}/accept", {"priority": "nice"})
    assert r.status_code == 409 and "cannot become" in r.get_data(as_text=True)


def test_every_action_needs_the_csrf_token(client, db, login, trio):
    forum, ja, kk, uz = trio
    req = f.meeting_request(kk, ja)
    login(ja.user)
    for action in ("accept", "decline", "cancel"):
        assert client.post(f"{_base(forum)}/requests/{req.public_id}/{action}",
                           data={"priority": "nice"}).status_code == 400
    url = f"{_base(forum)}/requests/new?company={kk.company.public_id}"
    assert client.post(url, data={"priority": "nice"}).status_code == 400
    db.session.expire_all()
    assert _count(db) == 1 and db.session.get(MeetingRequest, req.id).state is S.PENDING


def test_after_the_deadline_a_new_request_is_refused(client, db, login, post, trio):
    forum, ja, kk, uz = trio
    participation.settings(forum).request_deadline = clock.now() - timedelta(minutes=1)
    login(ja.user)
    url = f"{_base(forum)}/requests/new?company={kk.company.public_id}"
    r = post(url, {"priority": "nice"}, token_from=url)
    assert r.status_code == 409 and "deadline" in r.get_data(as_text=True)
    assert _count(db) == 0
