"""The organizer's scheduling pages (/manage/<slug>/b2b/schedule) and the delegate's meetings page
(/forums/<slug>/b2b/meetings): what each shows, the forms and their errors, CSRF, who gets in, query counts."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from forum.meetings import scheduling
from forum.meetings.models import Meeting, MeetingSlot, MeetingState, RunStatus, ScheduleRun
from forum.notifications.models import OutboxMessage
from forum.teams.models import Permission
from tests import factories as f
from tests.meetings.schedule_fixtures import cap, grid, interpreter, unavailable, valid
from tests.test_query_counts import statements_for


def _setup(db):
    forum = f.forum()
    slots, tables = grid(forum, 2, 1)
    tables[0].label = "Зал B"
    ja = f.participant(forum, full_name="田中 一郎", latin_name="TANAKA Ichiro", languages=["ja", "en"], country="JP",
                       legal_name="株式会社みずほ水処理", name_en="Mizuho Water")
    kz = f.participant(forum, full_name="Айгерім Сәрсенбаева", latin_name="Aigerim Sarsenbayeva",
                       languages=["kk", "ru"], language="ru", country="KZ", legal_name="ТОО «Алматы Су»",
                       name_en="Almaty Su LLP")
    uz = f.participant(forum, full_name="Oʻlmas Gʻaniyev", latin_name="Ulmas Ganiyev", languages=["uz"], country="UZ")
    interpreter(forum, ["ja", "kk"], name="Гульнара Ахметова")
    met = f.meeting_request(ja, kz, priority="must", accept=True)
    lost = f.meeting_request(uz, ja, accept=True)  # no uz interpreter: no_interpreter
    team = f.member(forum, Permission.B2B)
    return forum, team, ja, kz, uz, met, lost


def _base(forum):
    return f"/manage/{forum.slug}/b2b/schedule"


def test_the_index_shows_counts_the_run_form_and_the_runs(client, db, login, app):
    forum, team, *_ = _setup(db)
    scheduling.run(forum, by=team, time_limit=5)
    login(team)
    page = client.get(_base(forum) + "/").get_data(as_text=True)
    assert "Accepted requests: 2" in page and "Published meetings: 0" in page
    assert 'name="time_limit"' in page and 'value="20"' in page  # B2B_SOLVE_SECONDS' default
    assert "Run the scheduler" in page and "Draft" in page and "No schedule is published yet." in page
    assert "Schedule" in page  # the B2B sub-navigation
    app.config["B2B_SOLVE_SECONDS"] = 45
    try:
        assert 'value="45"' in client.get(_base(forum) + "/").get_data(as_text=True)
    finally:
        app.config["B2B_SOLVE_SECONDS"] = 20


def test_running_from_the_page_keeps_a_run_and_shows_its_figures_reasons_and_preview(client, db, login, post):
    forum, team, ja, kz, uz, met, lost = _setup(db)
    login(team)
    r = post(_base(forum) + "/runs", {"time_limit": "5"})
    assert r.status_code == 302
    run = db.session.scalar(sa.select(ScheduleRun))
    assert r.headers["Location"].endswith(f"{_base(forum)}/runs/{run.id}")
    assert run.status is RunStatus.DRAFT and run.created_by_id == team.id
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f'<dd class="col-6 col-md-9 objective">{run.objective}</dd>' in page
    assert f'<dd class="col-6 col-md-9 bound">{run.bound}</dd>' in page and "proven optimal" in page
    assert 'data-reason="no_interpreter"' in page
    assert "No interpreter for Uzbek–Japanese / English" in page
    assert "Oʻlmas Gʻaniyev" in page and "Ulmas Ganiyev" in page
    assert "New: 1" in page and "Delegates concerned: 2" in page and "Зал B" in page
    assert f"{_base(forum)}/runs/{run.id}/publish" in page


def test_no_transaction_is_open_while_the_solver_works_from_the_page(client, db, login, post, monkeypatch):
    # On SQLite an open write transaction would hold the database's write lock for the whole solve (up to two
    # minutes), and the door's check-ins would wait for it.
    from forum.db import db as _db
    from forum.meetings import solver

    forum, team, *_ = _setup(db)
    real, seen = solver.solve, []

    def watching(problem, **kw):
        seen.append(_db.session().in_transaction())
        return real(problem, **kw)

    monkeypatch.setattr(solver, "solve", watching)
    login(team)
    assert post(_base(forum) + "/runs", {"time_limit": "5"}).status_code == 302
    assert seen == [False]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleRun)) == 1


def test_the_run_page_shows_a_moved_meeting_old_and_new_place_and_why(client, db, login):
    forum, team, ja, kz, uz, met, lost = _setup(db)
    scheduling.publish(scheduling.run(forum, by=team, time_limit=5), by=team)
    m = db.session.scalar(sa.select(Meeting))
    unavailable(kz, m.slot)
    run = scheduling.run(forum, by=team, time_limit=5)
    login(team)
    page = client.get(f"{_base(forum)}/runs/{run.id}").get_data(as_text=True)
    assert "Moved: 1" in page and page.count('class="change-moved"') == 2  # both sides
    assert "(a side is no longer free then)" in page
    [placed] = [p for p in run.plan["meetings"] if p["request"] == f"r{m.request_id}"]
    new_slot = db.session.get(MeetingSlot, int(placed["slot"][1:]))
    assert new_slot.id != m.slot_id
    old, new = forum.local(m.slot.starts_at), forum.local(new_slot.starts_at)
    assert f"{old:%H:%M}–{forum.local(m.slot.ends_at):%H:%M}" in page  # where it was
    assert f"{new:%H:%M}–{forum.local(new_slot.ends_at):%H:%M}" in page  # where it goes


@pytest.mark.parametrize("value", ["", "0", "121", "ten", "1e9"])
def test_a_bad_time_limit_is_shown_next_to_the_field_and_nothing_runs(client, db, login, post, value):
    forum, team, *_ = _setup(db)
    login(team)
    r = post(_base(forum) + "/runs", {"time_limit": value})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="time_limit-error"' in page and 'aria-invalid="true"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleRun)) == 0


def test_a_run_without_slots_says_so_and_saves_nothing(client, db, login, post):
    forum = f.forum()
    team = f.member(forum, Permission.B2B)
    login(team)
    r = post(_base(forum) + "/runs", {"time_limit": "5"})
    assert r.status_code == 409
    assert "There are no meeting slots yet" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleRun)) == 0


def test_publishing_asks_for_confirmation_then_publishes_and_mails(client, db, login, post):
    forum, team, ja, kz, uz, met, lost = _setup(db)
    run = scheduling.run(forum, by=team, time_limit=5)
    login(team)
    url = f"{_base(forum)}/runs/{run.id}/publish"
    page = client.get(url).get_data(as_text=True)
    assert 'name="confirm"' in page and "Publish the schedule" in page and "New: 1" in page
    r = post(url, {})  # not confirmed
    assert r.status_code == 422 and "Tick the box to confirm." in r.get_data(as_text=True)
    assert db.session.get(ScheduleRun, run.id).status is RunStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0
    r = post(url, {"confirm": "y"})
    assert r.status_code == 302 and r.headers["Location"].endswith(_base(forum) + "/")
    assert db.session.get(ScheduleRun, run.id).status is RunStatus.PUBLISHED
    [m] = db.session.scalars(sa.select(Meeting)).all()
    assert m.request_id == met.id and m.state is MeetingState.SCHEDULED
    assert sorted(o.to_addr for o in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == "b2b_schedule_published"))) == sorted([ja.email, kz.email])
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Published meetings: 1" in page and "田中 一郎" in page and "Айгерім Сәрсенбаева" in page
    assert "Asia/Almaty" in page


def test_a_stale_run_is_refused_on_the_page(client, db, login, post):
    forum, team, ja, kz, uz, met, lost = _setup(db)
    run = scheduling.run(forum, by=team, time_limit=5)
    f.meeting_request(uz, kz, accept=True)
    login(team)
    page = client.get(f"{_base(forum)}/runs/{run.id}").get_data(as_text=True)
    assert "it can no longer be published" in page and "/publish" not in page
    r = post(f"{_base(forum)}/runs/{run.id}/publish", {"confirm": "y"})
    assert r.status_code == 409 and "changed since this run was computed" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_the_problem_and_plan_download_as_json_that_check_plan_accepts(client, db, login):
    forum, team, *_ = _setup(db)
    run = scheduling.run(forum, by=team, time_limit=5)
    login(team)
    prob = client.get(f"{_base(forum)}/runs/{run.id}/problem.json")
    plan = client.get(f"{_base(forum)}/runs/{run.id}/plan.json")
    assert prob.status_code == plan.status_code == 200 and prob.mimetype == "application/json"
    assert "attachment" in plan.headers["Content-Disposition"]
    assert valid(json.loads(prob.get_data(as_text=True)), json.loads(plan.get_data(as_text=True))) == run.objective


def test_another_forums_run_is_not_found(client, db, login):
    forum, team, *_ = _setup(db)
    other = f.forum()
    other_team = f.member(other, Permission.B2B)
    run = scheduling.run(forum, by=team, time_limit=5)
    login(other_team)
    for tail in ("", "/publish", "/problem.json", "/plan.json"):
        assert client.get(f"{_base(other)}/runs/{run.id}{tail}").status_code == 404
    assert client.get(f"{_base(other)}/runs/999999").status_code == 404


def test_post_routes_refuse_a_missing_csrf_token(client, db, login):
    forum, team, *_ = _setup(db)
    run = scheduling.run(forum, by=team, time_limit=5)
    login(team)
    assert client.post(_base(forum) + "/runs", data={"time_limit": "5"}).status_code == 400
    assert client.post(f"{_base(forum)}/runs/{run.id}/publish", data={"confirm": "y"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleRun)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_delegates_and_other_teams_cannot_run_or_publish(client, db, login, post):
    forum, team, ja, *_ = _setup(db)
    run = scheduling.run(forum, by=team, time_limit=5)
    for user in (ja.user, f.member(forum, Permission.REVIEW)):
        login(user)
        assert post(_base(forum) + "/runs", {"time_limit": "5"}).status_code == 403
        assert post(f"{_base(forum)}/runs/{run.id}/publish", {"confirm": "y"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleRun)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


# --- the delegate's page ---------------------------------------------------------------------------------------

def test_a_delegate_sees_their_meetings_and_why_the_others_are_not_scheduled(client, db, login):
    forum, team, ja, kz, uz, met, lost = _setup(db)
    scheduling.publish(scheduling.run(forum, by=team, time_limit=5), by=team)
    m = db.session.scalar(sa.select(Meeting))
    login(ja.user)
    page = client.get(f"/forums/{forum.slug}/b2b/meetings").get_data(as_text=True)
    assert "Айгерім Сәрсенбаева" in page and "Aigerim Sarsenbayeva" in page
    assert "ТОО «Алматы Су»" in page and "Kazakhstan" in page
    assert "Table 1" in page and "Зал B" in page and "Interpreter: Гульнара Ахметова" in page
    assert f"{forum.local(m.slot.starts_at):%H:%M}" in page and "Asia/Almaty" in page
    assert "Accepted requests without a meeting" in page and "Oʻlmas Gʻaniyev" in page
    assert "No interpreter for Japanese / English–Uzbek at the times you and Oʻlmas Gʻaniyev (Ulmas Ganiyev) are " \
           "both free." in page
    login(uz.user)
    page = client.get(f"/forums/{forum.slug}/b2b/meetings").get_data(as_text=True)
    assert "You have no published B2B meeting yet." in page and "Айгерім" not in page  # not others' meetings
    assert "No interpreter for Uzbek–Japanese / English" in page


def test_participant_full_names_who_is_full_on_the_delegates_page(client, db, login):
    forum = f.forum()
    grid(forum, 2, 2)
    a = f.participant(forum, languages=["ru"], full_name="Анна", latin_name="Anna")
    b = f.participant(forum, languages=["ru"], full_name="Борис", latin_name="Boris")
    c = f.participant(forum, languages=["ru"], full_name="Чингиз", latin_name="Chingiz")
    f.meeting_request(a, b, priority="must", accept=True)
    f.meeting_request(c, a, accept=True)
    cap(a, 1)
    team = f.member(forum, Permission.B2B)
    scheduling.publish(scheduling.run(forum, by=team, time_limit=5), by=team)
    login(c.user)
    page = client.get(f"/forums/{forum.slug}/b2b/meetings").get_data(as_text=True)
    assert "Анна (Anna) already has the most meetings they accepted" in page
    login(a.user)
    page = client.get(f"/forums/{forum.slug}/b2b/meetings").get_data(as_text=True)
    assert "You already have the most meetings you accepted" in page


def test_someone_who_takes_no_part_gets_a_404(client, db, login):
    forum = f.forum()
    outsider = f.participant(forum, directory_consent=False)
    login(outsider.user)
    assert client.get(f"/forums/{forum.slug}/b2b/meetings").status_code == 404
    login(f.user())
    assert client.get(f"/forums/{forum.slug}/b2b/meetings").status_code == 404
    assert client.get("/forums/no-such-forum/b2b/meetings").status_code == 404


# --- query counts ----------------------------------------------------------------------------------------------

def _busy_forum(n: int):
    """n published meetings (one delegate meets n others, in n slots), n unscheduled requests, and a draft run
    that adds n meetings."""
    forum = f.forum(capacity=500)
    slots, tables = grid(forum, n, 2)
    hub = f.participant(forum, languages=["ru"], full_name="Хаб", latin_name="Hub")
    cap(hub, n)
    for i in range(n):
        other = f.participant(forum, languages=["ru"], full_name=f"Делегат {i}", latin_name=f"Delegate {i}")
        f.meeting_request(other, hub, accept=True)
    for i in range(n):  # never free together: unscheduled, with a reason
        x = f.participant(forum, languages=["ru"])
        y = f.participant(forum, languages=["ru"])
        f.meeting_request(x, y, accept=True)
        unavailable(x, *slots[: len(slots) // 2 or 1])
        unavailable(y, *slots[len(slots) // 2 or 1:])
        if n == 1:
            unavailable(y, slots[0])
    team = f.member(forum, Permission.B2B)
    scheduling.publish(scheduling.run(forum, by=team, time_limit=20), by=team)
    # a later run with n changes to preview: n more requests, at the second table
    for i in range(n):
        f.meeting_request(f.participant(forum, languages=["ru"]), f.participant(forum, languages=["ru"]), accept=True)
    run = scheduling.run(forum, by=team, time_limit=20)
    assert len(scheduling.preview(run).added) == n
    return forum, team, hub, run


@pytest.mark.parametrize("page", ["index", "run", "mine"])
def test_the_scheduling_pages_do_not_grow_with_rows(client, db, login, page):
    counts = []
    for n in (1, 20):
        forum, team, hub, run = _busy_forum(n)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
            Meeting.forum_id == forum.id, Meeting.state == MeetingState.SCHEDULED)) == n
        assert len(run.plan["unscheduled"]) == n
        login(hub.user if page == "mine" else team)
        url = {"index": f"{_base(forum)}/", "run": f"{_base(forum)}/runs/{run.id}",
               "mine": f"/forums/{forum.slug}/b2b/meetings"}[page]
        counts.append(statements_for(client, url))
    assert counts[0] == counts[1]
