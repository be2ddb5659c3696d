"""The delegate's agenda page: what each meeting shows, whose agenda it is, the status at the venue, and the
changes since the last look across visits."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import current_app

from forum import clock
from forum.agendas import changes
from forum.agendas.models import AgendaState
from forum.meetings.models import HeldVia, MeetingPrefs, MeetingState, Unavailability
from tests import factories as f
from tests.agendas.conftest import live, publish
from tests.concurrency import postgres_only, race


def _url(forum):
    return f"/forums/{forum.slug}/b2b/agenda"


@pytest.fixture()
def english(client):
    """The pages in English whatever the delegate's own language (ja's is Japanese)."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def test_each_meeting_shows_time_zone_table_counterpart_in_both_scripts_and_interpreter(client, db, login, world, english):
    forum, ja, kz, uz = world["forum"], world["ja"], world["kz"], world["uz"]
    s, (t1, t2) = world["slots"], world["tables"]
    f.meeting(ja, kz, s[1], t1, interpreter=world["interpreter"])
    f.meeting(uz, ja, s[0], t2)
    other = f.meeting(kz, uz, s[2], t2)  # not ja's
    login(ja.user)
    r = client.get(_url(forum))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Tashkent time (Asia/Tashkent, UTC+05:00)" not in html  # the city is the forum's: Astana here
    assert "Astana time (Asia/Tashkent, UTC+05:00)" in html and "(Astana, Asia/Tashkent)" in html
    assert html.index("09:00–09:20") < html.index("09:20–09:40")  # in time order
    assert "Әлия Нұрланқызы" in html and "(Aliya Nurlankyzy)" in html
    assert "Oʻtkir Gʻaniyev" in html and "(Otkir Ganiyev)" in html
    assert "ТОО «Астана Су» (Astana Su LLP)" in html and "Kazakhstan" in html and "Uzbekistan" in html
    assert "Зал «Алатау», у окна" in html and "Table 2" in html
    assert "Interpreter: Гульнара Ахметова" in html
    assert f"/forums/{forum.slug}/b2b/companies/{kz.company.public_id}" in html
    assert f"{_url(forum)}/agenda.ics" in html and f"/calendar/{ja.public_id}/" in html and "webcal://" in html
    assert other.public_id not in html and html.count('class="card mb-2 agenda-meeting') == 2
    # The PDF link is there exactly when its route exists.
    assert (f"{_url(forum)}/agenda.pdf" in html) == ("agenda_pdf.mine" in current_app.view_functions)


def test_the_country_is_named_in_the_readers_language(client, db, login, world):
    forum, ja, kz = world["forum"], world["ja"], world["kz"]
    f.meeting(ja, kz, world["slots"][0], world["tables"][0])
    login(ja.user)
    with client.session_transaction() as sess:
        sess["lang"] = "ja"
    html = client.get(_url(forum)).get_data(as_text=True)
    assert "カザフスタン" in html and "Kazakhstan" not in html


def test_only_a_delegate_who_takes_part_sees_their_agenda(client, db, login, world, english):
    forum = world["forum"]
    r = client.get(_url(forum))
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    opted = f.participant(forum)
    db.session.add(MeetingPrefs(registration_id=opted.id, opted_out=True))
    for user in (f.user(), f.approved(forum).user, f.participant(f.forum()).user, opted.user, f.member(forum)):
        login(user)
        assert client.get(_url(forum)).status_code == 404
    login(world["ja"].user)
    assert client.get("/forums/no-such-forum/b2b/agenda").status_code == 404
    html = client.get(_url(forum)).get_data(as_text=True)
    assert "You have no B2B meeting on your agenda yet." in html


def test_the_status_at_the_venue(client, db, login, world, english, monkeypatch):
    forum, ja, kz, uz = world["forum"], world["ja"], world["kz"], world["uz"]
    s, (t1, t2) = world["slots"], world["tables"]
    held = f.meeting(ja, kz, s[0], t1)
    held.held_at, held.held_via = s[0].starts_at + timedelta(minutes=2), HeldVia.SCAN
    gone = f.meeting(ja, uz, s[1], t1)
    gone.state, gone.no_show_at = MeetingState.NO_SHOW, s[1].starts_at + timedelta(minutes=10)
    third = f.participant(forum)
    walk = f.meeting(third, ja, s[1], t2, walk_in=True)
    later = f.meeting(ja, f.participant(forum), s[2], t2)
    db.session.flush()
    monkeypatch.setattr(clock, "now", lambda: s[1].starts_at + timedelta(minutes=12))
    login(ja.user)
    html = client.get(_url(forum)).get_data(as_text=True)

    def card(m):
        start = html.index(f'id="meeting-{m.public_id}"')
        return html[start:html.index("</li>", start)]

    assert "venue-held" in card(held) and ">Held<" in card(held)
    assert "venue-no_show" in card(gone) and ">No-show<" in card(gone)
    assert "Walk-in" in card(walk) and "venue-now" in card(walk) and "Walk-in" not in card(later)
    assert "venue-upcoming" in card(later) and ">Upcoming<" in card(later)


def test_changes_since_last_looked_across_visits(client, db, login, world, english, monkeypatch):
    forum, ja, kz, uz, org = world["forum"], world["ja"], world["kz"], world["uz"], world["org"]
    stays = f.meeting_request(ja, kz, accept=True)
    moves = f.meeting_request(uz, ja, accept=True)
    newcomer = f.participant(forum, full_name="佐藤 花子", latin_name="SATO Hanako")
    t0 = datetime(2027, 5, 1, 6, 0, tzinfo=timezone.utc)
    publish(forum, org, at=t0, monkeypatch=monkeypatch)
    first = live(db, forum)
    login(ja.user)

    monkeypatch.setattr(clock, "now", lambda: t0 + timedelta(hours=1))
    html = client.get(_url(forum)).get_data(as_text=True)  # the first look: nothing highlighted
    assert "meeting-new" not in html and "meeting-moved" not in html and "Cancelled since you last looked" not in html
    assert db.session.scalar(sa.select(AgendaState.seen_at).where(AgendaState.registration_id == ja.id)) == \
        t0 + timedelta(hours=1)

    # Then: uz's meeting moves, kz leaves (dropped), and a new request is placed.
    db.session.add(Unavailability(registration_id=uz.id, slot_id=first[moves.id].slot_id))
    db.session.add(MeetingPrefs(registration_id=kz.id, opted_out=True))
    added = f.meeting_request(newcomer, ja, accept=True)
    publish(forum, org, at=t0 + timedelta(days=1), monkeypatch=monkeypatch)
    second = live(db, forum)
    monkeypatch.setattr(clock, "now", lambda: t0 + timedelta(days=1, hours=1))
    html = client.get(_url(forum)).get_data(as_text=True)

    def card(m):
        start = html.index(f'id="meeting-{m.public_id}"')
        return html[html.rindex("<li", 0, start):html.index("</li>", start)]

    assert "meeting-new" in card(second[added.id]) and ">New<" in card(second[added.id])
    moved = card(second[moves.id])
    assert "meeting-moved" in moved and ">Moved<" in moved and "Was:" in moved
    assert f"Table {first[moves.id].table.number}" in moved
    gone = html[html.index("Cancelled since you last looked"):]
    assert "Әлия Нұрланқызы" in gone[:gone.index("</section>")]
    assert first[stays.id].slot.starts_at.astimezone(forum.tz).strftime("%H:%M") in gone[:gone.index("</section>")]
    assert "Changes since you last looked" in html

    # The next look: all seen.
    monkeypatch.setattr(clock, "now", lambda: t0 + timedelta(days=1, hours=2))
    html = client.get(_url(forum)).get_data(as_text=True)
    assert "meeting-new" not in html and "meeting-moved" not in html and "Cancelled since you last looked" not in html


def test_a_meeting_created_and_cancelled_between_two_looks_is_not_mentioned(db, world):
    ja, kz, uz = world["ja"], world["kz"], world["uz"]
    s, (t1, t2) = world["slots"], world["tables"]
    t0 = datetime(2027, 5, 1, 6, 0, tzinfo=timezone.utc)
    changes.look(ja, now=t0)
    m = f.meeting(ja, kz, s[0], t1)
    m.created_at = t0 + timedelta(minutes=5)
    m.state, m.cancelled_at = MeetingState.CANCELLED, t0 + timedelta(minutes=10)
    # And one moved twice since: seen at slot 0, then slot 1 (cancelled), now slot 2: moved from slot 0.
    seen = f.meeting(ja, uz, s[0], t2)
    seen.created_at = t0 - timedelta(hours=1)
    seen.state, seen.cancelled_at = MeetingState.CANCELLED, t0 + timedelta(minutes=1)
    db.session.flush()
    mid = f.meeting(ja, uz, s[1], t2, request=seen.request)
    mid.created_at = t0 + timedelta(minutes=1)
    mid.state, mid.cancelled_at = MeetingState.CANCELLED, t0 + timedelta(minutes=2)
    db.session.flush()
    now_ = f.meeting(ja, uz, s[2], t2, request=seen.request)
    now_.created_at = t0 + timedelta(minutes=2)
    db.session.flush()
    got = changes.look(ja, now=t0 + timedelta(hours=1))
    assert got.cancelled == [] and got.new == set()
    assert {k: v.id for k, v in got.moved.items()} == {now_.id: seen.id}


def test_the_page_makes_as_many_queries_with_one_meeting_as_with_six(app, client, db, login, world):
    forum, ja = world["forum"], world["ja"]
    s, (t1, t2) = world["slots"], world["tables"]
    login(ja.user)

    def count():
        n = 0

        def on(*_a, **_k):
            nonlocal n
            n += 1

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", on)
        try:
            assert client.get(_url(forum)).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", on)
        return n

    f.meeting(ja, world["kz"], s[0], t1, interpreter=world["interpreter"])
    client.get(_url(forum))  # the first look creates the AgendaState: not part of the comparison
    one = count()
    extra = f.session(forum, "2027-05-21 09:00", "2027-05-21 11:00").slots
    for i in range(5):
        other = f.participant(forum, country=["JP", "KZ", "UZ", "KG", "TJ"][i])
        f.meeting(ja, other, extra[i], t2 if i % 2 else t1, interpreter=world["interpreter"] if i % 2 else None)
    db.session.commit()
    assert count() == one


def test_two_first_looks_at_once_make_one_agenda_state(app, db, world):
    postgres_only(db)
    ja_id = world["ja"].id
    db.session.commit()

    def work(i):
        from forum.db import db as _db
        from forum.registration.models import Registration

        changes.look(_db.session.get(Registration, ja_id))

    for _round in range(3):
        errors, codes = race(app, 4, work)
        assert errors == [] and codes == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaState)) == 1
        db.session.execute(sa.delete(AgendaState))
        db.session.commit()


@pytest.mark.parametrize("width", [390])
def test_the_page_is_built_for_a_phone(client, db, login, world, width):
    # No table layout and no fixed widths: cards that stack at any width (the browser journey looks at it).
    forum, ja = world["forum"], world["ja"]
    f.meeting(ja, world["kz"], world["slots"][0], world["tables"][0])
    login(ja.user)
    html = client.get(_url(forum)).get_data(as_text=True)
    assert "<table" not in html and 'style="' not in html and "flex-wrap" in html


def test_a_meeting_published_in_the_same_instant_as_the_look_was_seen(db, world):
    """The look's instant is inclusive: a meeting published at it was on the page; one a moment later is new."""
    ja, kz, uz = world["ja"], world["kz"], world["uz"]
    s, (t1, t2) = world["slots"], world["tables"]
    t0 = datetime(2027, 5, 1, 6, 0, tzinfo=timezone.utc)
    same = f.meeting(ja, kz, s[0], t1)
    later = f.meeting(ja, uz, s[1], t2)
    same.created_at, later.created_at = t0, t0 + timedelta(microseconds=1)
    db.session.flush()
    changes.look(ja, now=t0)
    got = changes.look(ja, now=t0 + timedelta(hours=1))
    assert got.new == {later.id} and got.moved == {} and got.cancelled == []
