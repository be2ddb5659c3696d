"""A delegate's availability (meetings.grid + the b2b_availability pages): unavailable slots with notes, their cap,
opting out only after confirming how many open requests it cancels, and opting back in."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import DomainError, NotAllowed
from forum.meetings import availability, grid, participation
from forum.meetings.models import Meeting, MeetingPrefs, MeetingRequest, RequestState, Unavailability
from forum.registration import states as reg_states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f


def _url(forum, page="availability"):
    return f"/forums/{forum.slug}/b2b/{page}"


# --- services --------------------------------------------------------------------------------------

def test_marking_and_unmarking_slots_with_notes(db):
    forum = f.forum()
    s = f.session(forum)
    reg = f.participant(forum, full_name="Айгерім Сәрсенбаева")
    a, b, c = s.slots[:3]
    r = availability.set_unavailable(reg, {a.id: "Пленарное выступление", str(b.id): ""}, by=reg.user)
    assert (r.marked, r.unmarked) == (2, 0)
    assert availability.unavailable(reg) == {a.id: "Пленарное выступление", b.id: ""}
    r = availability.set_unavailable(reg, {b.id: "Ministry visit", c.id: ""}, by=reg.user)
    assert (r.marked, r.unmarked) == (1, 1)
    assert availability.unavailable(reg) == {b.id: "Ministry visit", c.id: ""}
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "b2b_availability_changed")
                                 .order_by(AuditEntry.id)).all()
    assert entries[-1].details == {"marked": [c.id], "unmarked": [a.id], "notes_changed": [b.id]}


def test_availability_refuses_other_forums_slots_bad_notes_and_other_people(db):
    forum = f.forum()
    s = f.session(forum)
    foreign = f.session(f.forum())
    reg, other = f.participant(forum), f.participant(forum)
    availability.set_unavailable(reg, {s.slots[0].id: "kept"}, by=reg.user)
    for notes, code in (({foreign.slots[0].id: ""}, "slots_invalid"), ({"x": ""}, "slots_invalid"),
                        ({s.slots[1].id: "x" * 201}, "note_too_long"), ({s.slots[1].id: "a\x00b"}, "note_invalid"),
                        ({s.slots[1].id: "a\nb"}, "note_invalid")):
        with pytest.raises(grid.GridErrors) as e:
            availability.set_unavailable(reg, notes, by=reg.user)
        assert e.value.code == code
    with pytest.raises(NotAllowed) as e:
        availability.set_unavailable(reg, {}, by=other.user)
    assert e.value.code == "not_your_registration"
    assert availability.unavailable(reg) == {s.slots[0].id: "kept"}
    # The B2B team may do it for them.
    availability.set_unavailable(reg, {}, by=f.member(forum, Permission.B2B))
    assert availability.unavailable(reg) == {}


def test_marking_a_slot_with_a_scheduled_meeting_is_allowed_and_reported(db):
    forum = f.forum()
    s = f.session(forum)
    a, b = f.participant(forum), f.participant(forum)
    req = f.meeting_request(a, b, accept=True)
    db.session.add(Meeting(forum_id=forum.id, request_id=req.id, a_id=a.id, b_id=b.id, slot_id=s.slots[0].id,
                           table_id=f.table(forum, 1).id))
    db.session.flush()
    assert availability.set_unavailable(a, {s.slots[0].id: ""}, by=a.user).meetings_in_marked == 1
    assert availability.set_unavailable(a, {s.slots[1].id: ""}, by=a.user).meetings_in_marked == 0


@pytest.mark.parametrize("value, expected", [("3", 3), ("0", 0), ("", None), (None, None), (12, 12)])
def test_the_cap_is_a_non_negative_number_or_the_forum_default(db, value, expected):
    forum = f.forum()
    reg = f.participant(forum)
    assert availability.set_cap(reg, value, by=reg.user) == expected
    assert participation.max_meetings(reg) == (8 if expected is None else expected)


@pytest.mark.parametrize("value", ["-1", "three", "1001", "\x00", "٣", "1.5"])
def test_a_bad_cap_is_refused(db, value):
    forum = f.forum()
    reg = f.participant(forum)
    availability.set_cap(reg, "4", by=reg.user)
    with pytest.raises(grid.GridErrors) as e:
        availability.set_cap(reg, value, by=reg.user)
    assert e.value.code == "max_meetings_invalid" and e.value.field == "max_meetings"
    assert participation.max_meetings(reg) == 4


def _with_requests(forum):
    me = f.participant(forum, full_name="田中 一郎")
    x, y, z = (f.participant(forum, full_name=n) for n in ("Oʻlmas Gʻaniyev", "Сәуле Қасымова", "Bob"))
    f.meeting_request(me, x)  # pending, sent
    f.meeting_request(y, me, accept=True)  # accepted, received
    done = f.meeting_request(me, z)
    from forum.meetings import requests

    requests.decline(done, by=z.user)  # closed: not counted
    return me


def test_opting_out_asks_for_confirmation_of_the_count_then_cancels_the_open_requests(db):
    forum = f.forum()
    me = _with_requests(forum)
    for confirmed in (None, 0, 1, 3):
        with pytest.raises(DomainError) as e:
            availability.opt_out(me, by=me.user, confirmed_count=confirmed)
        assert e.value.code == "confirm_opt_out" and e.value.count == 2 and "2" in e.value.message
    assert participation.takes_part(me)
    states = lambda: sorted(r.state.value for r in db.session.scalars(sa.select(MeetingRequest)))  # noqa: E731
    assert states() == ["accepted", "declined", "pending"]
    assert availability.opt_out(me, by=me.user, confirmed_count=2) == 2
    assert states() == ["cancelled", "cancelled", "declined"]
    assert {r.reason for r in db.session.scalars(sa.select(MeetingRequest).where(
        MeetingRequest.state == RequestState.CANCELLED))} == {"The delegate no longer takes part in the B2B meetings."}
    assert not participation.takes_part(me) and participation.participation_in(me.user, forum) is None
    assert availability.eligible_registration(me.user, forum) == me
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "b2b_opted_out"))
    assert entry.details["requests_cancelled"] == 2
    with pytest.raises(DomainError) as e:
        availability.opt_out(me, by=me.user, confirmed_count=0)
    assert e.value.code == "already_opted_out"
    availability.opt_in(me, by=me.user)
    assert participation.takes_part(me)
    assert states() == ["cancelled", "cancelled", "declined"]  # they stay cancelled
    with pytest.raises(DomainError) as e:
        availability.opt_in(me, by=me.user)
    assert e.value.code == "already_opted_in"


def test_opting_out_with_nothing_open_still_needs_the_confirmation(db):
    forum = f.forum()
    me = f.participant(forum)
    with pytest.raises(DomainError) as e:
        availability.opt_out(me, by=me.user)
    assert e.value.code == "confirm_opt_out" and e.value.count == 0
    assert availability.opt_out(me, by=me.user, confirmed_count=0) == 0
    assert db.session.scalar(sa.select(MeetingPrefs.opted_out)) is True


def test_someone_else_cannot_opt_a_delegate_out_and_a_left_delegate_cannot_opt_in(db):
    forum = f.forum()
    me, other = f.participant(forum), f.participant(forum)
    with pytest.raises(NotAllowed):
        availability.opt_out(me, by=other.user, confirmed_count=0)
    availability.opt_out(me, by=me.user, confirmed_count=0)
    reg_states.transition(me, RegState.WITHDRAWN, by=None, notify=False)
    with pytest.raises(DomainError) as e:
        availability.opt_in(me, by=me.user)
    assert e.value.code == "not_eligible"


# --- the page ------------------------------------------------------------------------------------

def test_the_page_lists_the_slots_in_forum_time_by_session_and_saves(client, db, login, post):
    forum = f.forum()
    s = f.session(forum, name="Day 1, morning", slot_minutes=30)
    me = f.participant(forum, full_name="Гүлнар Оспанова")
    login(me.user)
    r = client.get(_url(forum))
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Day 1, morning" in page and "09:00–09:30" in page and "11:30–12:00" in page
    assert "Asia/Almaty" in page and "I cannot meet at this time" in page
    a, b = s.slots[0], s.slots[3]
    r = post(_url(forum), {"unavailable": [str(a.id), str(b.id)], f"note-{a.id}": "Пленарная сессия",
                           f"note-{b.id}": "", f"note-{s.slots[1].id}": "ignored: not ticked", "max_meetings": "5"})
    assert r.status_code == 302
    assert availability.unavailable(me) == {a.id: "Пленарная сессия", b.id: ""}
    assert participation.max_meetings(me) == 5
    page = client.get(_url(forum)).get_data(as_text=True)
    assert "Your availability is saved." in page and 'value="Пленарная сессия"' in page
    assert page.count("checked") == 2


@pytest.mark.parametrize("data, needle", [
    ({"max_meetings": "-3"}, "A whole number from 0"),
    ({"max_meetings": "\x00"}, "could not be understood"),  # the app refuses NUL anywhere in a form: 400
    ({"unavailable": ["999999"]}, "Choose slots from the list."),
    ({"unavailable": ["abc"]}, "Choose slots from the list."),
    ({"unavailable": "SLOT", "note-SLOT": "x" * 201}, "At most 200 characters."),
])
def test_bad_input_on_the_page_is_shown_next_to_its_field_and_saves_nothing(client, db, login, post, data, needle):
    forum = f.forum()
    s = f.session(forum)
    me = f.participant(forum)
    availability.set_unavailable(me, {s.slots[2].id: "kept"}, by=me.user)
    availability.set_cap(me, "4", by=me.user)
    login(me.user)
    data = {k.replace("SLOT", str(s.slots[0].id)): (v.replace("SLOT", str(s.slots[0].id)) if isinstance(v, str) else v)
            for k, v in data.items()}
    r = post(_url(forum), data)
    assert r.status_code == (400 if any("\x00" in str(v) for v in data.values()) else 422) and needle in r.get_data(as_text=True)
    assert availability.unavailable(me) == {s.slots[2].id: "kept"} and participation.max_meetings(me) == 4


def test_outsiders_get_a_404_and_the_page_needs_a_sign_in(client, db, login):
    forum = f.forum()
    f.session(forum)
    assert client.get(_url(forum)).status_code == 302
    for reg in (f.participant(forum, directory_consent=False), f.registration_(forum)):
        login(reg.user)
        assert client.get(_url(forum)).status_code == 404
    login(f.user())
    assert client.get(_url(forum)).status_code == 404
    assert client.get("/forums/no-such-forum/b2b/availability").status_code == 404
    # A delegate of another forum is nobody here.
    login(f.participant(f.forum()).user)
    assert client.get(_url(forum)).status_code == 404


def test_opting_out_through_the_pages_shows_the_count_then_cancels_after_the_confirmation(client, db, login, post):
    forum = f.forum()
    f.session(forum)
    me = _with_requests(forum)
    login(me.user)
    page = client.get(_url(forum, "opt-out")).get_data(as_text=True)
    assert "This cancels your 2 open meeting requests" in page and "Oʻlmas Gʻaniyev" in page
    assert "Сәуле Қасымова" in page and "Bob" not in page
    # Without the tick: nothing happens.
    r = post(_url(forum, "opt-out"), {"count": "2"})
    assert r.status_code == 422 and participation.takes_part(me)
    # A request arrived after the page was shown: the confirmed count is stale, it asks again.
    f.meeting_request(f.participant(forum), me)
    r = post(_url(forum, "opt-out"), {"count": "2", "confirm": "y"})
    assert r.status_code == 409 and "3 open meeting requests" in r.get_data(as_text=True)
    assert participation.takes_part(me)
    r = post(_url(forum, "opt-out"), {"count": "3", "confirm": "y"})
    assert r.status_code == 302
    assert not participation.takes_part(me)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingRequest)
                             .where(MeetingRequest.state == RequestState.CANCELLED)) == 3
    # Still reaches the page, which offers the way back in and no slot form.
    page = client.get(_url(forum)).get_data(as_text=True)
    assert "You have opted out" in page and "I cannot meet at this time" not in page
    assert post(_url(forum), {"max_meetings": "2"}).status_code == 404
    assert client.get(f"/forums/{forum.slug}/b2b/requests").status_code == 404
    r = post(_url(forum, "opt-in"), {})
    assert r.status_code == 302 and participation.takes_part(me)
    assert "I cannot meet at this time" in client.get(_url(forum)).get_data(as_text=True)


def test_the_availability_forms_need_the_csrf_token(client, db, login):
    forum = f.forum()
    s = f.session(forum)
    me = f.participant(forum)
    login(me.user)
    for page, data in (("availability", {"unavailable": [str(s.slots[0].id)]}), ("opt-out", {"confirm": "y",
                                                                                             "count": "0"})):
        assert client.post(_url(forum, page), data=data).status_code == 400
    assert availability.unavailable(me) == {} and participation.takes_part(me)
    availability.opt_out(me, by=me.user, confirmed_count=0)
    assert client.post(_url(forum, "opt-in")).status_code == 400
    assert not participation.takes_part(me)


def test_the_page_asks_as_many_queries_for_1_slot_as_for_20(client, db, login):
    from tests.test_query_counts import statements_for

    counts = []
    for n in (1, 20):
        forum = f.forum()
        s = f.session(forum, start_local="2027-05-20 09:00", end_local=f"2027-05-20 {9 + n // 3:02d}:{(n % 3) * 20:02d}")
        f.session(forum, start_local="2027-05-21 09:00", end_local="2027-05-21 09:20")
        assert len(s.slots) == n
        me = f.participant(forum)
        availability.set_unavailable(me, {sl.id: "busy" for sl in s.slots}, by=me.user)
        login(me.user)
        counts.append(statements_for(client, _url(forum)))
    assert counts[0] == counts[1]
