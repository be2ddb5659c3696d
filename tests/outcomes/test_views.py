"""The delegate's outcome pages: the list of their started meetings, the form (big radios, errors next to the
field), another delegate's meeting a 404, the B2B team read-only."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from forum.outcomes.models import MeetingOutcome, OutcomeKind
from forum.teams.models import Permission
from tests import factories as f
from tests.outcomes.conftest import START

AFTER = START + timedelta(minutes=5)


def _url(forum, m=None):
    return f"/forums/{forum.slug}/b2b/outcomes/" + (m.public_id if m else "")


def _rows(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(MeetingOutcome)).all()


def test_the_list_shows_started_meetings_with_my_outcome_or_not_recorded(db, client, login, at, forum, trio, grid):
    tanaka, aliya, otkir = trio
    slots, tables = grid
    first = f.meeting(tanaka, aliya, slots[0], tables[0])
    f.meeting(tanaka, otkir, slots[1], tables[0])  # 09:20: not started at 09:05
    f.meeting(aliya, otkir, slots[0], tables[1])  # not Tanaka's
    db.session.add(MeetingOutcome(forum_id=forum.id, meeting_id=first.id, registration_id=aliya.id,
                                  kind=OutcomeKind.COOPERATION))  # Aliya's side, not Tanaka's
    at(AFTER)
    login(tanaka.user)
    html = client.get(_url(forum)).get_data(as_text=True)
    assert "Әлия Нұрланқызы" in html and "Oʻtkir Gʻaniyev" not in html
    assert html.count('class="card mb-2 outcome-row"') == 1 and "not-recorded" in html
    assert "outcome-kind" not in html  # the other side's outcome is theirs
    assert "(Asia/Almaty)" in html or "Asia/Almaty" in html


def test_recording_through_the_form(db, client, login, post, at, forum, trio, meeting):
    tanaka, _, _ = trio
    at(AFTER)
    login(tanaka.user)
    page = client.get(_url(forum, meeting))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('class="btn-check"') == 4 and 'value="not_held"' in html
    r = post(_url(forum, meeting), {"kind": "cooperation_likely", "next_step": "Ташкентке сапар",
                                    "next_step_on": "2027-06-15", "document": ""}, token_from=_url(forum, meeting))
    assert r.status_code == 303
    rows = _rows(db)
    assert [(o.kind, o.next_step, str(o.next_step_on)) for o in rows] == [
        (OutcomeKind.COOPERATION, "Ташкентке сапар", "2027-06-15")]
    listing = client.get(_url(forum)).get_data(as_text=True)
    assert "outcome-kind" in listing and "not-recorded" not in listing and "Ташкентке сапар" in listing
    # Again: the same row, changed.
    post(_url(forum, meeting), {"kind": "informative", "next_step": ""}, token_from=_url(forum, meeting))
    assert [(o.kind, o.next_step, o.next_step_on) for o in _rows(db)] == [(OutcomeKind.INFORMATIVE, "", None)]


def test_bad_input_shows_the_error_next_to_the_field_and_saves_nothing(db, client, login, post, at, forum, trio,
                                                                       meeting):
    tanaka, aliya, otkir = trio
    at(AFTER)
    login(tanaka.user)
    u = _url(forum, meeting)
    r = post(u, {"next_step": "x"}, token_from=u)
    assert r.status_code == 400 and 'id="kind-error"' in r.get_data(as_text=True)
    r = post(u, {"kind": "maybe"}, token_from=u)
    assert r.status_code == 400
    r = post(u, {"kind": "informative", "next_step": "x" * 501}, token_from=u)
    assert r.status_code == 422 and 'id="next_step-error"' in r.get_data(as_text=True)
    r = post(u, {"kind": "informative", "next_step_on": "2031-01-01"}, token_from=u)
    assert r.status_code == 422 and 'id="next_step_on-error"' in r.get_data(as_text=True)
    r = post(u, {"kind": "informative", "next_step_on": "31/02/2027"}, token_from=u)
    assert r.status_code == 400 and 'id="next_step_on-error"' in r.get_data(as_text=True)
    theirs = f.document(forum, parties=[aliya.company, otkir.company])
    r = post(u, {"kind": "informative", "document": theirs.public_id}, token_from=u)
    assert r.status_code == 422 and 'id="document-error"' in r.get_data(as_text=True)
    r = post(u, {"kind": "informative", "document": "00000000-0000-4000-8000-000000000000"}, token_from=u)
    assert r.status_code == 422
    assert _rows(db) == []


def test_a_linked_document_is_offered_and_saved(db, client, login, post, at, forum, trio, meeting):
    tanaka, aliya, _ = trio
    doc = f.document(forum, parties=[tanaka.company, aliya.company])
    at(AFTER)
    login(tanaka.user)
    u = _url(forum, meeting)
    assert doc.reference in client.get(u).get_data(as_text=True)
    assert post(u, {"kind": "cooperation_likely", "document": doc.public_id}, token_from=u).status_code == 303
    assert _rows(db)[0].document_id == doc.id


def test_before_the_start_there_is_no_form_and_a_post_is_refused(db, client, login, post, at, forum, trio, meeting):
    tanaka, _, _ = trio
    at(START - timedelta(minutes=1))
    login(tanaka.user)
    u = _url(forum, meeting)
    html = client.get(u).get_data(as_text=True)
    assert "not-started" in html and 'class="btn-check"' not in html
    assert post(u, {"kind": "informative"}, token_from=u).status_code == 409
    assert _rows(db) == []


def test_another_delegates_meeting_is_a_404(db, client, login, post, at, forum, trio, grid):
    tanaka, aliya, otkir = trio
    slots, tables = grid
    theirs = f.meeting(aliya, otkir, slots[0], tables[1])
    at(AFTER)
    login(tanaka.user)
    assert client.get(_url(forum, theirs)).status_code == 404
    assert post(_url(forum, theirs), {"kind": "informative"}).status_code == 404
    # Another forum's slug with this meeting's id: 404 too.
    other = f.forum()
    login(aliya.user)
    assert client.get(f"/forums/{other.slug}/b2b/outcomes/{theirs.public_id}").status_code == 404
    assert _rows(db) == []


def test_the_b2b_team_reads_both_sides_but_records_nothing(db, client, login, post, at, forum, trio, meeting):
    tanaka, aliya, _ = trio
    db.session.add(MeetingOutcome(forum_id=forum.id, meeting_id=meeting.id, registration_id=aliya.id,
                                  kind=OutcomeKind.COOPERATION, next_step="Жеткізу келісімшарты"))
    team = f.member(forum, Permission.B2B)
    at(AFTER)
    login(team)
    html = client.get(_url(forum, meeting)).get_data(as_text=True)
    assert html.count('class="outcome-kind"') == 2 and "Жеткізу келісімшарты" in html
    assert html.index("Cooperation likely") > html.index("田中 健一")  # Aliya's, listed second; Tanaka's not recorded
    assert "Not recorded" in html
    assert 'class="btn-check"' not in html
    assert post(_url(forum, meeting), {"kind": "informative"}).status_code == 404
    assert len(_rows(db)) == 1
    # A team member of another forum sees nothing.
    stranger = f.member(f.forum(), Permission.B2B)
    login(stranger)
    assert client.get(_url(forum, meeting)).status_code == 404


def test_the_list_is_for_delegates_who_take_part(db, client, login, at, forum, trio):
    at(AFTER)
    login(f.user())
    assert client.get(_url(forum)).status_code == 404
    assert client.get(_url(forum)).status_code == 404
