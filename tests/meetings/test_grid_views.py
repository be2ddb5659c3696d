"""The organizer's meeting-grid pages (b2b_setup): what they show (forum-local times with the zone named), that
each form saves through meetings.grid, and that bad input comes back next to its field with nothing saved."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.meetings import grid
from forum.meetings.models import (B2BSettings, Interpreter, Meeting, MeetingSession, MeetingSlot, MeetingTable)
from forum.teams.models import Permission
from tests import factories as f


def _base(forum) -> str:
    return f"/manage/{forum.slug}/b2b/setup"


def _day(forum) -> str:
    return forum.starts_at.astimezone(forum.tz).date().isoformat()


@pytest.fixture()
def desk(db, login):
    forum = f.forum()
    login(f.member(forum, Permission.B2B, name="B2B desk"))
    return forum


def _count(model) -> int:
    from forum.db import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_index_shows_settings_sessions_slots_tables_and_interpreters(client, desk):
    forum = desk
    s = f.session(forum, name="Day 1, morning", slot_minutes=30, breaks=[["10:30", "11:00"]])
    f.table(forum, 1, label="Зал B")
    f.table(forum, 2, slots=[s.slots[0]])
    f.interpreter(forum, ["ja", "kk"], name="Гүлнар Оспанова")
    f.interpreter(forum, ["ja", "uz"], name="Oʻlmas Gʻaniyev", slots=[s.slots[1]])
    r = client.get(_base(forum) + "/")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Day 1, morning" in page and "09:00–09:30" in page and "11:30–12:00" in page and "10:30–11:00" in page
    assert "10:00–10:30" in page and "Asia/Almaty" in page and "Astana time" in page
    assert "Table 1 · Зал B" in page and "Table 2" in page and "1 slot" in page
    assert "Гүлнар Оспанова" in page and "Oʻlmas Gʻaniyev" in page and "Japanese" in page and "Kazakh" in page
    assert "Requests a delegate may have waiting for an answer" in page and ">20<" in page
    assert f'href="{_base(forum)}/"' in page  # the organizer's B2B navigation
    assert _count(B2BSettings) == 0  # showing the defaults saves nothing


def test_the_index_asks_as_many_queries_for_1_row_as_for_20(client, db, login):
    from tests.test_query_counts import statements_for

    counts = []
    for n in (1, 20):
        forum = f.forum()
        sessions = [f.session(forum, start_local=f"2027-05-{10 + i:02d} 09:00",
                              end_local=f"2027-05-{10 + i:02d} 10:00") for i in range(n)]
        for i in range(n):
            f.table(forum, i + 1, slots=[sessions[i].slots[0]] if i % 2 else None)
            f.interpreter(forum, ["ja", "ru"], slots=[sessions[i].slots[1]] if i % 2 else None)
        login(f.member(forum, Permission.B2B))
        counts.append(statements_for(client, _base(forum) + "/"))
    assert counts[0] == counts[1]


def test_interpreters_are_paginated(client, desk, app):
    forum = desk
    per_page = app.config["PER_PAGE"]
    for i in range(per_page + 1):
        f.interpreter(forum, ["ja", "ru"], name=f"Interpreter {i:03d}")
    first = client.get(_base(forum) + "/").get_data(as_text=True)
    second = client.get(_base(forum) + "/?page=2").get_data(as_text=True)
    assert "Interpreter 000" in first and f"Interpreter {per_page:03d}" not in first
    assert f"Interpreter {per_page:03d}" in second and "Interpreter 000" not in second
    assert client.get(_base(forum) + "/?page=٣").status_code == 200


def test_a_session_is_created_from_forum_local_times(client, desk, post):
    forum = desk
    r = post(_base(forum) + "/sessions/new", {"name": "Утренняя сессия", "day": _day(forum), "start": "09:00",
                                              "end": "10:30", "slot_minutes": "20", "gap_minutes": "5",
                                              "breaks": "09:50-10:00"})
    assert r.status_code == 302 and r.headers["Location"].endswith("#sessions")
    s = grid.sessions(forum)[0]
    assert s.name == "Утренняя сессия"
    assert [sl.starts_at.astimezone(forum.tz).strftime("%H:%M") for sl in s.slots] == ["09:00", "09:25", "10:00"]
    page = client.get(_base(forum) + "/").get_data(as_text=True)
    assert "added with 3 slots" in page and "09:25–09:45" in page


@pytest.mark.parametrize("changes, field, message", [
    ({"start": "25:99"}, "start", "Enter a time as HH:MM"),
    ({"start": "12:00", "end": "09:00"}, "end", "The session must end after it starts."),
    ({"day": "2030-01-01"}, "day", "Choose a day from"),
    ({"slot_minutes": "1000"}, "slot_minutes", "A slot lasts from 5 to 240 minutes."),
    ({"breaks": "13:00-14:00"}, "breaks", "Every break must be inside the session."),
    ({"name": ""}, "name", "Give the session a name"),
])
def test_bad_session_input_is_shown_next_to_its_field_and_saves_nothing(client, desk, post, changes, field, message):
    forum = desk
    data = {"name": "Morning", "day": _day(forum), "start": "09:00", "end": "12:00", "slot_minutes": "20",
            "gap_minutes": "0", "breaks": ""}
    data.update(changes)
    r = post(_base(forum) + "/sessions/new", data)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f'id="{field}-error"' in page and message in page.split(f'id="{field}-error"')[1][:300]
    assert f'aria-describedby="{field}-hint {field}-error"' in page or f'aria-describedby="{field}-error"' in page
    assert _count(MeetingSession) == 0 and _count(MeetingSlot) == 0


def test_a_nul_anywhere_is_a_400_and_saves_nothing(client, desk, post):
    r = post(_base(desk) + "/sessions/new", {"name": "Morning\x00", "day": _day(desk), "start": "09:00",
                                             "end": "10:00", "slot_minutes": "20"})
    assert r.status_code == 400 and _count(MeetingSession) == 0


def test_editing_a_session_shows_its_values_and_regenerates(client, desk, post):
    forum = desk
    s = f.session(forum, start_local=f"{_day(forum)} 09:00", end_local=f"{_day(forum)} 10:00", name="Morning")
    first = s.slots[0].id
    url = f"{_base(forum)}/sessions/{s.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Morning"' in page and 'value="09:00"' in page and 'value="10:00"' in page
    r = post(url, {"name": "Morning", "day": _day(forum), "start": "09:00", "end": "11:00", "slot_minutes": "20",
                   "gap_minutes": "0", "breaks": ""})
    assert r.status_code == 302
    s = grid.sessions(forum)[0]
    assert len(s.slots) == 6 and s.slots[0].id == first


def test_an_edit_that_would_drop_a_meeting_is_refused_with_the_count(client, desk, post):
    forum = desk
    s = f.session(forum, start_local=f"{_day(forum)} 09:00", end_local=f"{_day(forum)} 10:00")
    a, b = f.participant(forum), f.participant(forum)
    req = f.meeting_request(a, b, accept=True)
    f.db.session.add(Meeting(forum_id=forum.id, request_id=req.id, a_id=a.id, b_id=b.id, slot_id=s.slots[2].id,
                             table_id=f.table(forum, 1).id))
    r = post(f"{_base(forum)}/sessions/{s.id}/edit", {"name": "Changed", "day": _day(forum), "start": "09:00",
                                                       "end": "10:00", "slot_minutes": "30", "gap_minutes": "0"})
    assert r.status_code == 409 and "1 scheduled meeting is in a slot this change would remove" in r.get_data(as_text=True)
    s = grid.sessions(forum)[0]
    assert s.name != "Changed" and s.slot_minutes == 20 and len(s.slots) == 3
    r = post(f"{_base(forum)}/sessions/{s.id}/delete", {"confirm": "y"})
    assert r.status_code == 409 and "1 scheduled meeting is in this session" in r.get_data(as_text=True)
    assert _count(MeetingSession) == 1


def test_deleting_a_session_asks_first(client, desk, post):
    forum = desk
    s = f.session(forum, name="Afternoon")
    url = f"{_base(forum)}/sessions/{s.id}/delete"
    page = client.get(url).get_data(as_text=True)
    assert "Delete the session “Afternoon”" in page and "Its 9 slots go" in page
    assert post(url, {}).status_code == 422 and _count(MeetingSession) == 1
    r = post(url, {"confirm": "y"})
    assert r.status_code == 302 and _count(MeetingSession) == 0 and _count(MeetingSlot) == 0


def test_tables_in_bulk_and_duplicates(client, desk, post):
    forum = desk
    r = post(_base(forum) + "/tables", {"numbers": "1-40", "label": "Hall B"})
    assert r.status_code == 302 and _count(MeetingTable) == 40
    r = post(_base(forum) + "/tables", {"numbers": "38-42", "label": ""})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "These tables already exist: 38, 39, 40." in page and 'id="numbers-error"' in page
    assert _count(MeetingTable) == 40
    r = post(_base(forum) + "/tables", {"numbers": "1-99999", "label": ""})
    assert r.status_code == 422 and _count(MeetingTable) == 40
    assert "Table 40 · Hall B" in client.get(_base(forum) + "/tables").get_data(as_text=True)


def test_a_table_is_renumbered_restricted_and_deactivated(client, desk, post):
    forum = desk
    s = f.session(forum)
    t = f.table(forum, 1)
    f.table(forum, 2)
    url = f"{_base(forum)}/tables/{t.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Only in these slots" in page and "09:20–09:40" in page
    r = post(url, {"number": "2", "label": "", "active": "y", "all_slots": "y"})
    assert r.status_code == 422 and "Table 2 already exists." in r.get_data(as_text=True)
    r = post(url, {"number": "5", "label": "Window", "slots": [str(s.slots[1].id)]})
    assert r.status_code == 302
    t = f.db.session.get(MeetingTable, t.id)
    assert (t.number, t.label, t.active, t.all_slots) == (5, "Window", False, False)
    assert [sl.id for sl in t.slots] == [s.slots[1].id]
    r = post(url, {"number": "5", "label": "Window", "active": "y"})  # restricted with no slot
    assert r.status_code == 422 and "Choose the slots it is available in" in r.get_data(as_text=True)


def test_interpreters_are_added_and_edited(client, desk, post):
    forum = desk
    s = f.session(forum)
    r = post(_base(forum) + "/interpreters/new", {"name": "山田 花子", "email": "", "languages": ["ja"],
                                                  "active": "y", "all_slots": "y"})
    assert r.status_code == 422 and "at least two languages" in r.get_data(as_text=True)
    assert _count(Interpreter) == 0
    r = post(_base(forum) + "/interpreters/new", {"name": "山田 花子", "email": "hanako@example.jp",
                                                  "languages": ["ja", "ru"], "active": "y",
                                                  "slots": [str(s.slots[0].id), str(s.slots[1].id)]})
    assert r.status_code == 302
    i = f.db.session.scalar(sa.select(Interpreter))
    assert i.languages == ["ru", "ja"] and not i.all_slots and len(i.slots) == 2
    url = f"{_base(forum)}/interpreters/{i.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'value="山田 花子"' in page and "checked" in page
    r = post(url, {"name": "山田 花子", "email": "bad address", "languages": ["ja", "ru"], "all_slots": "y"})
    assert r.status_code == 422 and 'id="email-error"' in r.get_data(as_text=True)
    r = post(url, {"name": "山田 花子", "email": "", "languages": ["ja", "ru", "kk"], "all_slots": "y"})
    assert r.status_code == 302
    i = f.db.session.get(Interpreter, i.id)
    assert i.languages == ["kk", "ru", "ja"] and not i.active and i.all_slots


def test_settings_page(client, desk, post):
    forum = desk
    page = client.get(_base(forum) + "/settings").get_data(as_text=True)
    assert 'value="20"' in page and 'value="8"' in page and "Asia/Almaty" in page
    r = post(_base(forum) + "/settings", {"enabled": "y", "request_deadline": "2026-12-01T18:00",
                                          "open_request_quota": "0", "default_max_meetings": "6"})
    assert r.status_code == 422 and 'id="open_request_quota-error"' in r.get_data(as_text=True)
    assert _count(B2BSettings) == 0
    r = post(_base(forum) + "/settings", {"enabled": "y", "request_deadline": "2026-12-01T18:00",
                                          "open_request_quota": "5", "default_max_meetings": "6"})
    assert r.status_code == 302
    page = client.get(_base(forum) + "/").get_data(as_text=True)
    assert "1 Dec 2026, 18:00 (Astana, UTC+05:00)" in page and ">5<" in page and ">6<" in page


def test_another_forums_objects_are_404_even_for_its_b2b_team(client, db, login):
    forum, other = f.forum(), f.forum()
    login(f.member(forum, Permission.B2B))
    s, t, i = f.session(other), f.table(other, 1), f.interpreter(other, ["ja", "ru"])
    for url in (f"sessions/{s.id}/edit", f"sessions/{s.id}/delete", f"tables/{t.id}", f"interpreters/{i.id}",
                "sessions/999999/edit", "tables/2147483648"):
        assert client.get(f"{_base(forum)}/{url}").status_code == 404, url


def test_the_forms_need_the_csrf_token(client, desk):
    s = f.session(desk)
    r = client.post(f"{_base(desk)}/sessions/{s.id}/delete", data={"confirm": "y"})
    assert r.status_code == 400 and _count(MeetingSession) == 1
    r = client.post(f"{_base(desk)}/tables", data={"numbers": "1-3"})
    assert r.status_code == 400 and _count(MeetingTable) == 0
