"""The venue pages: held by badge scan (either side, in and out of the window, cross-site gets a button), the
staff mark on the live board and who may use it, the table host's page, the delegates' walk-in form."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, gettext
from markupsafe import escape

from forum.attendance import tokens
from forum.badges import issuing
from forum.meetings.models import HeldVia, Meeting, MeetingState
from forum.teams.models import Permission
from tests import factories as f
from tests.attendance.conftest import minutes


def _m(db, meeting) -> Meeting:
    db.session.expire_all()
    return db.session.get(Meeting, meeting.id)


def _badge_url(reg) -> str:
    return f"/b/{issuing.badge_for(reg).token}"


# --- held by scan -----------------------------------------------------------------------------------------

def test_scanning_the_counterparts_badge_in_the_window_confirms_the_meeting(client, db, login, meeting, tanaka,
                                                                           aliya, start, at):
    login(tanaka.user)
    url = _badge_url(aliya)
    at(start + minutes(3))
    r = client.get(url, headers={"Sec-Fetch-Site": "none"})
    html = r.get_data(as_text=True)
    with force_locale("ja"):  # tanaka's language
        said = gettext("Your meeting with %(name)s at table %(n)d is confirmed as held.",
                       name="Әлия Нұрланқызы (Aliya NURLANKYZY)", n=1)
    assert r.status_code == 200 and 'id="meeting-held"' in html and str(escape(said)) in html
    m = _m(db, meeting)
    assert m.held_via is HeldVia.SCAN and m.held_by_id == tanaka.user_id and m.held_at == start + minutes(3)
    again = client.get(url).get_data(as_text=True)  # no header (a camera app's old browser): already held
    with force_locale("ja"):
        already = gettext("Your meeting with %(name)s at table %(n)d was already confirmed as held.",
                          name="Әлия Нұрланқызы (Aliya NURLANKYZY)", n=1)
    assert str(escape(already)) in again and _m(db, meeting).held_at == start + minutes(3)


def test_either_side_scan_counts(client, db, login, meeting, tanaka, aliya, start, at):
    login(aliya.user)
    at(start - minutes(5))  # the grace before the start
    client.get(_badge_url(tanaka), headers={"Sec-Fetch-Site": "same-origin"})
    assert _m(db, meeting).held_by_id == aliya.user_id


def test_outside_the_window_nothing_changes_and_the_card_says_when(client, db, login, meeting, tanaka, aliya, slots,
                                                                  start, at):
    login(tanaka.user)
    at(start - minutes(5) - minutes(1 / 60))
    html = client.get(_badge_url(aliya), headers={"Sec-Fetch-Site": "none"}).get_data(as_text=True)
    assert 'id="meeting-not-now" data-when="later"' in html and "09:00" in html and "Asia/Almaty" in html
    assert _m(db, meeting).held_at is None
    at(slots[0].ends_at + minutes(5) + minutes(1 / 60))
    html = client.get(_badge_url(aliya), headers={"Sec-Fetch-Site": "none"}).get_data(as_text=True)
    assert 'id="meeting-not-now" data-when="over"' in html
    m = _m(db, meeting)
    assert m.held_at is None and m.state is MeetingState.NO_SHOW  # the lazy no-show rule ran


def test_a_cross_site_link_gets_the_button_not_the_effect(client, db, login, post, meeting, tanaka, aliya, start, at):
    login(tanaka.user)
    at(start + minutes(4))
    url = _badge_url(aliya)
    html = client.get(url, headers={"Sec-Fetch-Site": "cross-site"}).get_data(as_text=True)
    assert 'id="confirm-meeting"' in html and _m(db, meeting).held_at is None
    assert client.post(url + "/held", data={}).status_code == 400  # no CSRF token
    assert _m(db, meeting).held_at is None
    r = post(url + "/held", {})
    assert r.status_code == 303 and _m(db, meeting).held_via is HeldVia.SCAN


def test_nobody_else_confirms_by_scan(client, db, login, post, meeting, tanaka, aliya, otkir, start, at):
    at(start + minutes(4))
    login(otkir.user)  # a delegate of the forum without a meeting with her
    client.get(_badge_url(aliya), headers={"Sec-Fetch-Site": "none"})
    assert post(_badge_url(aliya) + "/held", {}).status_code == 404
    assert _m(db, meeting).held_at is None


def test_anonymous_scan_confirms_nothing(client, db, meeting, aliya, start, at):
    at(start + minutes(4))
    assert client.get(_badge_url(aliya), headers={"Sec-Fetch-Site": "none"}).status_code == 200
    assert _m(db, meeting).held_at is None


# --- the staff mark ---------------------------------------------------------------------------------------

def _confirm_url(forum) -> str:
    return f"/manage/{forum.slug}/b2b/live/held"


def test_the_b2b_team_marks_a_meeting_held_on_the_live_board(client, db, login, post, forum, meeting, start, at):
    staff = login(f.member(forum, Permission.B2B))
    at(start + minutes(6))
    html = client.get(f"/manage/{forum.slug}/b2b/live/").get_data(as_text=True)
    assert 'http-equiv="refresh"' in html and 'data-status="waiting"' in html and "田中 健一" in html
    assert "TANAKA Kenichi" in html and "Әлия Нұрланқызы" in html
    r = post(_confirm_url(forum), {"meeting": meeting.public_id}, token_from=f"/manage/{forum.slug}/b2b/live/")
    assert r.status_code == 303
    m = _m(db, meeting)
    assert m.held_via is HeldVia.STAFF and m.held_by_id == staff.id
    assert 'data-status="held"' in client.get(f"/manage/{forum.slug}/b2b/live/").get_data(as_text=True)


def test_the_staff_mark_outside_the_window_is_refused(client, db, login, post, forum, meeting, start, at):
    login(f.member(forum, Permission.B2B))
    at(start + minutes(40))
    r = post(_confirm_url(forum), {"meeting": meeting.public_id})
    assert r.status_code == 303 and _m(db, meeting).held_at is None


def test_the_staff_mark_is_refused_to_others(client, db, login, post, forum, meeting, tanaka, start, at):
    at(start + minutes(2))
    assert post(_confirm_url(forum), {"meeting": meeting.public_id}).status_code == 302  # anonymous: sign in
    login(tanaka.user)  # a delegate of the meeting itself
    assert post(_confirm_url(forum), {"meeting": meeting.public_id}).status_code == 403
    other = f.forum()
    login(f.member(other, Permission.B2B))
    assert post(_confirm_url(forum), {"meeting": meeting.public_id}).status_code == 403
    assert post(_confirm_url(other), {"meeting": meeting.public_id}).status_code == 404  # not that forum's
    login(f.member(forum, Permission.CHECKIN))
    assert post(_confirm_url(forum), {"meeting": meeting.public_id}).status_code == 403
    assert _m(db, meeting).held_at is None


def test_the_board_shows_a_no_show_and_a_free_table_to_book(client, db, login, forum, meeting, slots, start, at):
    login(f.member(forum, Permission.B2B))
    at(start + minutes(10))
    html = client.get(f"/manage/{forum.slug}/b2b/live/").get_data(as_text=True)
    assert 'data-table="1" data-status="no_show"' in html and 'data-table="2" data-status="free"' in html
    assert "No-show: 1" in html and "Free: 2" in html
    assert client.get(f"/manage/{forum.slug}/b2b/live/?slot={slots[3].id}").status_code == 200
    assert client.get(f"/manage/{forum.slug}/b2b/live/?slot=999999").status_code == 404


def test_the_team_books_a_walk_in_from_the_board(client, db, login, post, forum, meeting, slots, tables, otkir,
                                                sato, start, at):
    login(f.member(forum, Permission.B2B))
    at(start + minutes(11))
    page = f"/manage/{forum.slug}/b2b/live/walk-in?slot={slots[0].id}&table={tables[0].id}"
    html = client.get(page).get_data(as_text=True)
    assert f'<option selected value="{slots[0].id}-{tables[0].id}">' in html
    r = post(f"/manage/{forum.slug}/b2b/live/walk-in",
             {"place": f"{slots[0].id}-{tables[0].id}", "a": otkir.public_id, "counterpart": sato.public_id},
             token_from=page)
    assert r.status_code == 303
    walk = db.session.scalar(sa.select(Meeting).where(Meeting.walk_in.is_(True)))
    assert walk.table_id == tables[0].id and walk.slot_id == slots[0].id
    r = post(f"/manage/{forum.slug}/b2b/live/walk-in",
             {"place": f"{slots[0].id}-{tables[0].id}", "a": otkir.public_id, "counterpart": sato.public_id},
             token_from=page)
    assert r.status_code == 409 and "invalid-feedback" in r.get_data(as_text=True)


# --- the table host ---------------------------------------------------------------------------------------

def test_the_table_sheet_with_its_token_confirms(client, db, post, forum, meeting, tables, start, at):
    at(start + minutes(1))
    url = "/" + tokens.table_url(tables[0]).split("/", 3)[3]  # the path of the QR code's absolute URL
    r = client.get(url)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Table 1" in html and "田中 健一" in html and "Aliya NURLANKYZY" in html
    assert "Asia/Almaty" in html and r.headers["Cache-Control"].startswith("no-store")
    r = post(url + "/held", {"meeting": meeting.public_id}, token_from=url)
    assert r.status_code == 303
    m = _m(db, meeting)
    assert m.held_via is HeldVia.TABLE and m.held_by_id is None


def test_the_table_sheet_refuses_wrong_tokens_and_tables(client, db, post, forum, meeting, tables, start, at):
    at(start + minutes(1))
    good = tokens.table_token(tables[0])
    assert client.get(f"/b2b/table/{tables[0].id}/{good}").status_code == 200
    for url in (f"/b2b/table/{tables[0].id}/{good[:-1]}x", f"/b2b/table/{tables[1].id}/{good}",
                f"/b2b/table/99999/{good}", f"/b2b/table/x{tables[0].id}/{good}"):
        assert client.get(url).status_code == 404, url
    # the right table's token cannot confirm another table's meeting
    assert post(f"/b2b/table/{tables[1].id}/{tokens.table_token(tables[1])}/held",
                {"meeting": meeting.public_id}).status_code == 404
    assert post(f"/b2b/table/{tables[0].id}/{good[:-1]}x/held", {"meeting": meeting.public_id}).status_code == 404
    assert _m(db, meeting).held_at is None


# --- the delegates' walk-in -------------------------------------------------------------------------------

def test_a_delegate_finds_someone_in_any_script_and_books(client, db, login, post, forum, meeting, slots, tables,
                                                          otkir, sato, start, at):
    login(otkir.user)
    at(start + minutes(2))
    page = f"/forums/{forum.slug}/b2b/walk-in/?q=佐藤"
    html = client.get(page).get_data(as_text=True)
    assert "佐藤 美咲" in html and f'value="{slots[0].id}-{tables[1].id}"' in html
    assert f'value="{slots[0].id}-{tables[0].id}"' not in html  # table 1 is taken now
    html = client.get(f"/forums/{forum.slug}/b2b/walk-in/?q=sato").get_data(as_text=True)
    assert "佐藤 美咲" in html
    r = post(f"/forums/{forum.slug}/b2b/walk-in/", {"place": f"{slots[0].id}-{tables[1].id}",
                                                     "counterpart": sato.public_id}, token_from=page)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/forums/{forum.slug}/b2b/agenda")  # it is there
    assert db.session.scalar(sa.select(Meeting).where(Meeting.walk_in.is_(True))).b_id in (sato.id, otkir.id)


def test_a_delegates_walk_in_errors_are_shown_next_to_the_fields(client, db, login, post, forum, meeting, slots,
                                                                 tables, otkir, aliya, start, at):
    login(otkir.user)
    at(start + minutes(2))
    r = post(f"/forums/{forum.slug}/b2b/walk-in/", {"place": f"{slots[0].id}-{tables[1].id}",
                                                     "counterpart": aliya.public_id})
    html = r.get_data(as_text=True)
    with force_locale("ru"):  # otkir's language
        busy = gettext("%(name)s already has a meeting at that time.", name=aliya.full_name)
    assert r.status_code == 409 and 'id="counterpart-error"' in html and str(escape(busy)) in html
    r = post(f"/forums/{forum.slug}/b2b/walk-in/", {"place": "", "counterpart": ""})
    assert r.status_code == 422 and 'id="counterpart-error"' in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 1


def test_the_walk_in_page_is_for_participants_only(client, db, login, forum, grid):
    assert client.get(f"/forums/{forum.slug}/b2b/walk-in/").status_code == 302
    login(f.approved(forum).user)  # no directory consent: takes no part
    assert client.get(f"/forums/{forum.slug}/b2b/walk-in/").status_code == 404
