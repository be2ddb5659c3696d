"""The scheduling side of issue 9 section 4: the problem built from the database (meetings.problem), runs,
the preview, publishing, the signal that cancels a meeting with its request, the e-mails, the reasons."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import DomainError
from forum.meetings import problem as problem_mod, requests, scheduling
from forum.meetings.models import (Meeting, MeetingPrefs, MeetingRequest, MeetingState, RunStatus, ScheduleRun)
from forum.notifications.models import OutboxMessage
from forum.teams.models import Permission
from tests import factories as f
from tests.meetings.schedule_fixtures import cap, grid, interpreter, table, unavailable, valid


def _mails(db, template="b2b_schedule_published"):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == template)
                              .order_by(OutboxMessage.id)).all()


def _live(db, forum):
    return {m.request_id: m for m in db.session.scalars(sa.select(Meeting).where(
        Meeting.forum_id == forum.id, Meeting.state == MeetingState.SCHEDULED))}


def _people(forum):
    ja = f.participant(forum, full_name="田中 一郎", latin_name="TANAKA Ichiro", languages=["ja", "en"],
                       language="ja", country="JP")
    kz = f.participant(forum, full_name="Айгерім Сәрсенбаева", latin_name="Aigerim Sarsenbayeva",
                       languages=["kk", "ru"], language="ru", country="KZ")
    uz = f.participant(forum, full_name="Oʻlmas Gʻaniyev", latin_name="Ulmas Ganiyev", languages=["uz", "en"],
                       language="en", country="UZ")
    return ja, kz, uz


# --- build() ---------------------------------------------------------------------------------------------------

def test_build_reads_the_grid_people_and_accepted_requests_in_a_stable_order(db):
    forum = f.forum()
    slots, _tables = grid(forum, 3, 0)
    t2 = table(forum, 2)
    t1 = table(forum, 1, slots=[slots[2], slots[0]])
    table(forum, 3, active=False)
    interp = interpreter(forum, ["ja", "kk"], slots=[slots[1]])
    interpreter(forum, ["ja", "ru"], active=False)
    ja, kz, uz = _people(forum)
    loner = f.participant(forum)  # takes part, but in no accepted request
    pending_with = f.participant(forum)
    r1 = f.meeting_request(ja, kz, priority="must", accept=True)
    r2 = f.meeting_request(uz, ja, accept=True)
    f.meeting_request(pending_with, kz)  # pending: not in the problem
    unavailable(kz, slots[0])
    cap(uz, 3)

    problem, index = problem_mod.build(forum)
    sid = [f"s{s.id}" for s in slots]
    assert problem["format"] == "forum-b2b-problem/1"
    assert [s["id"] for s in problem["slots"]] == sid
    assert problem["slots"][0]["start"].endswith("+05:00")  # forum-local (Asia/Almaty)
    assert problem["tables"] == [{"id": f"t{t1.id}", "slots": [sid[0], sid[2]]}, {"id": f"t{t2.id}", "slots": None}]
    assert problem["interpreters"] == [{"id": f"i{interp.id}", "languages": ["ja", "kk"], "available": [sid[1]]}]
    people = {p["id"]: p for p in problem["participants"]}
    assert list(people) == [f"p{r.id}" for r in sorted([ja, kz, uz], key=lambda r: r.id)]
    assert f"p{loner.id}" not in people and f"p{pending_with.id}" not in people
    assert people[f"p{kz.id}"] == {"id": f"p{kz.id}", "available": sid[1:], "max_meetings": 8,
                                   "languages": ["kk", "ru"]}
    assert people[f"p{ja.id}"]["available"] is None
    assert people[f"p{uz.id}"]["max_meetings"] == 3
    assert problem["requests"] == [
        {"id": f"r{r1.id}", "participants": [f"p{ja.id}", f"p{kz.id}"], "weight": 2, "fixed": None},
        {"id": f"r{r2.id}", "participants": [f"p{uz.id}", f"p{ja.id}"], "weight": 1, "fixed": None}]
    assert index[f"r{r1.id}"] is r1 and index[f"p{kz.id}"] is kz and index[f"t{t1.id}"] is t1
    assert index[sid[1]] is slots[1] and index[f"i{interp.id}"] is interp
    assert problem_mod.build(forum)[0] == problem  # the same database, the same problem


def test_build_leaves_out_requests_whose_side_no_longer_takes_part(db):
    forum = f.forum()
    grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    kept = f.meeting_request(ja, kz, accept=True)
    gone = f.meeting_request(uz, ja, accept=True)
    db.session.add(MeetingPrefs(registration_id=uz.id, opted_out=True))
    db.session.flush()
    problem, index = problem_mod.build(forum)
    assert [r["id"] for r in problem["requests"]] == [f"r{kept.id}"]
    assert f"p{uz.id}" not in {p["id"] for p in problem["participants"]}
    assert f"r{gone.id}" not in index.requests


def _published(db, forum, by, time_limit=10):
    r = scheduling.run(forum, by=by, time_limit=time_limit)
    scheduling.publish(r, by=by)
    return r


def test_a_published_meeting_that_is_still_valid_is_fixed_where_it_is(db):
    forum = f.forum()
    slots, tables = grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    kk = interpreter(forum, ["ja", "kk"])
    req = f.meeting_request(ja, kz, accept=True)
    org = f.organizer()
    _published(db, forum, org)
    m = _live(db, forum)[req.id]
    assert m.interpreter_id == kk.id
    problem, index = problem_mod.build(forum)
    assert problem["requests"][0]["fixed"] == {"slot": f"s{m.slot_id}", "table": f"t{m.table_id}",
                                               "interpreter": f"i{kk.id}"}
    assert index.live[f"r{req.id}"] is m and index.unfixed == {}


@pytest.mark.parametrize("change, why", [
    ("unavailable", "side_unavailable"),
    ("table_inactive", "table_unavailable"),
    ("table_elsewhere", "table_unavailable"),
    ("interpreter_inactive", "interpreter_unavailable"),
    ("interpreter_elsewhere", "interpreter_unavailable"),
    ("now_share_a_language", "interpreter_not_needed"),
    ("interpreter_languages", "interpreter_unavailable"),
    ("cap_lowered", "over_cap"),
])
def test_a_published_meeting_that_is_no_longer_valid_is_not_fixed(db, change, why):
    forum = f.forum()
    slots, (t1,) = grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    kk = interpreter(forum, ["ja", "kk"])
    req = f.meeting_request(ja, kz, accept=True)
    _published(db, forum, f.organizer())
    m = _live(db, forum)[req.id]
    other_slot = next(s for s in slots if s.id != m.slot_id)
    if change == "unavailable":
        unavailable(kz, m.slot)
    elif change == "table_inactive":
        t1.active = False
    elif change == "table_elsewhere":
        t1.all_slots, t1.slots = False, [other_slot]
    elif change == "interpreter_inactive":
        kk.active = False
    elif change == "interpreter_elsewhere":
        kk.all_slots, kk.slots = False, [other_slot]
    elif change == "interpreter_languages":
        kk.languages = ["ja", "ru"]  # no longer works in Kazakh; the Kazakh side speaks Russian too
        kz.languages = ["kk"]
    elif change == "now_share_a_language":
        kz.languages = ["kk", "ru", "ja"]
    elif change == "cap_lowered":
        cap(kz, 0)
    db.session.flush()
    problem, index = problem_mod.build(forum)
    [r] = [r for r in problem["requests"] if r["id"] == f"r{req.id}"]
    assert r["fixed"] is None
    assert index.unfixed == {f"r{req.id}": why}


def test_a_published_meeting_without_interpreter_is_unfixed_once_the_two_share_no_language(db):
    forum = f.forum()
    grid(forum, 2, 1)
    ja, kz, uz = _people(forum)  # ja and uz share English
    req = f.meeting_request(uz, ja, accept=True)
    _published(db, forum, f.organizer())
    assert _live(db, forum)[req.id].interpreter_id is None
    assert problem_mod.build(forum)[1].unfixed == {}
    uz.languages = ["uz"]
    db.session.flush()
    problem, index = problem_mod.build(forum)
    assert problem["requests"][0]["fixed"] is None and index.unfixed == {f"r{req.id}": "interpreter_needed"}


def test_a_lowered_cap_keeps_the_heaviest_published_meetings_fixed(db):
    forum = f.forum()
    grid(forum, 2, 2)
    ja, kz, uz = _people(forum)
    interpreter(forum, ["ja", "kk"])
    heavy = f.meeting_request(ja, kz, priority="must", accept=True)  # weight 2
    light = f.meeting_request(ja, uz, accept=True)  # weight 1
    _published(db, forum, f.organizer())
    assert set(_live(db, forum)) == {heavy.id, light.id}
    cap(ja, 1)
    problem, index = problem_mod.build(forum)
    fixed = {r["id"]: r["fixed"] for r in problem["requests"]}
    assert fixed[f"r{heavy.id}"] is not None and fixed[f"r{light.id}"] is None
    assert index.unfixed == {f"r{light.id}": "over_cap"}


# --- run -------------------------------------------------------------------------------------------------------

def test_a_run_keeps_problem_plan_and_figures_as_a_draft_and_is_audited(db):
    forum = f.forum()
    grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    interpreter(forum, ["ja", "kk"])
    f.meeting_request(ja, kz, priority="must", accept=True)
    f.meeting_request(uz, ja, accept=True)
    team = f.member(forum, Permission.B2B)
    r = scheduling.run(forum, by=team, time_limit=10)
    assert r.status is RunStatus.DRAFT and r.created_by_id == team.id and r.time_limit == 10
    assert valid(r.problem, r.plan) == r.objective == 3 == r.bound
    assert r.n_requests == 2 and r.n_scheduled == 2 and r.gap == 0 and r.solve_seconds >= 0
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject_type == "schedule_run"))
    assert entry.action == "computed" and entry.actor_id == team.id and entry.subject_id == r.id
    assert _live(db, forum) == {}  # nothing published yet


@pytest.mark.parametrize("missing, code", [("slots", "no_slots"), ("tables", "no_tables"),
                                           ("requests", "no_accepted_requests")])
def test_a_run_is_refused_without_slots_tables_or_accepted_requests(db, missing, code):
    forum = f.forum()
    grid(forum, 0 if missing == "slots" else 2, 0 if missing == "tables" else 1)
    ja, kz, uz = _people(forum)
    f.meeting_request(ja, uz, accept=missing != "requests")
    with pytest.raises(DomainError) as e:
        scheduling.run(forum, by=f.organizer(), time_limit=5)
    assert e.value.code == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleRun)) == 0


@pytest.mark.parametrize("seconds", [0, 121, -5, "20"])
def test_the_time_limit_is_between_1_and_120_seconds(db, seconds):
    forum = f.forum()
    with pytest.raises(DomainError) as e:
        scheduling.run(forum, by=f.organizer(), time_limit=seconds)
    assert e.value.code == "time_limit_invalid" and e.value.field == "time_limit"


def test_only_the_b2b_team_runs_and_publishes(db):
    forum = f.forum()
    grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    f.meeting_request(ja, uz, accept=True)
    for user in (f.member(forum, Permission.REVIEW), f.member(f.forum(), Permission.B2B), ja.user):
        with pytest.raises(DomainError) as e:
            scheduling.run(forum, by=user, time_limit=5)
        assert e.value.code == "forbidden"
    r = scheduling.run(forum, by=f.member(forum, Permission.B2B), time_limit=5)
    with pytest.raises(DomainError) as e:
        scheduling.publish(r, by=f.member(forum, Permission.CHECKIN))
    assert e.value.code == "forbidden" and r.status is RunStatus.DRAFT and _live(db, forum) == {}


def test_the_same_database_gives_the_same_plan(db):
    forum = f.forum()
    slots, _ = grid(forum, 3, 2)
    people = [f.participant(forum, languages=["ru"]) for _ in range(6)]
    for i, a in enumerate(people):
        for b in people[i + 1:i + 3]:
            f.meeting_request(a, b, accept=True)
    unavailable(people[0], slots[0])
    org = f.organizer()
    first, second = scheduling.run(forum, by=org, time_limit=10), scheduling.run(forum, by=org, time_limit=10)
    assert first.problem == second.problem
    assert first.plan["meetings"] == second.plan["meetings"]
    assert first.plan["unscheduled"] == second.plan["unscheduled"]


# --- publish, preview, re-run ----------------------------------------------------------------------------------

def test_publishing_creates_the_plans_meetings_sets_reasons_supersedes_and_audits(db):
    forum = f.forum()
    slots, tables = grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    kk = interpreter(forum, ["ja", "kk"], name="Гульнара Ахметова")
    must = f.meeting_request(ja, kz, priority="must", accept=True)
    other = f.meeting_request(uz, ja, accept=True)
    third = f.meeting_request(kz, uz, accept=True)
    unavailable(uz, slots[0])  # uz meets in slot 2 only: one of uz's two requests cannot be placed
    org = f.organizer()
    older = scheduling.run(forum, by=org, time_limit=10)
    older.status = RunStatus.PUBLISHED  # as if an earlier run had been published
    r = scheduling.run(forum, by=org, time_limit=10)
    valid(r.problem, r.plan)
    diff = scheduling.publish(r, by=org)
    live = _live(db, forum)
    planned = {int(m["request"][1:]): m for m in r.plan["meetings"]}
    assert set(live) == set(planned) and must.id in live
    for req_id, m in live.items():
        p = planned[req_id]
        assert (f"s{m.slot_id}", f"t{m.table_id}", f"i{m.interpreter_id}" if m.interpreter_id else None) == \
            (p["slot"], p["table"], p["interpreter"])
        assert m.run_id == r.id and {m.a_id, m.b_id} == {live[req_id].request.requester_id,
                                                          live[req_id].request.recipient_id}
    assert live[must.id].interpreter_id == kk.id
    reasons = {int(u["request"][1:]): u["reason"] for u in r.plan["unscheduled"]}
    for req in (must, other, third):
        assert req.unscheduled_reason == reasons.get(req.id)
    assert any(reasons.values())
    assert len(diff.added) == len(live) and diff.moved == diff.dropped == [] and diff.unchanged == 0
    assert r.status is RunStatus.PUBLISHED and r.published_by_id == org.id and r.published_at is not None
    assert older.status is RunStatus.SUPERSEDED
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject_type == "schedule_run",
                                                          AuditEntry.action == "published"))
    assert entry.subject_id == r.id and entry.details["added"] == len(live)


def test_re_running_after_changes_moves_nothing_published_and_fills_the_rest(db):
    forum = f.forum()
    slots, tables = grid(forum, 3, 2)
    ja, kz, uz = _people(forum)
    interpreter(forum, ["ja", "kk"])
    interpreter(forum, ["ja", "uz"], name="Dilnoza Karimova")
    first = [f.meeting_request(ja, kz, accept=True), f.meeting_request(uz, ja, accept=True)]
    org = f.organizer()
    _published(db, forum, org)
    before = {rid: (m.id, m.slot_id, m.table_id, m.interpreter_id) for rid, m in _live(db, forum).items()}
    assert set(before) == {r.id for r in first}
    # Changes: a new accepted request, a newcomer, someone unavailable in a slot nobody uses yet.
    newcomer = f.participant(forum, languages=["ru", "en"], full_name="Бахтияр Омаров", latin_name="Bakhtiyar Omarov")
    late = [f.meeting_request(newcomer, kz, accept=True), f.meeting_request(newcomer, uz, priority="must", accept=True)]
    busy_slots = {m[1] for m in before.values()}
    free = [s for s in slots if s.id not in busy_slots]
    unavailable(kz, free[0])
    r2 = scheduling.run(forum, by=org, time_limit=10)
    valid(r2.problem, r2.plan)
    planned = {int(m["request"][1:]): m for m in r2.plan["meetings"]}
    for rid, (_mid, s, t, i) in before.items():
        assert planned[rid] == {"request": f"r{rid}", "slot": f"s{s}", "table": f"t{t}",
                                "interpreter": f"i{i}" if i else None}
    diff = scheduling.publish(r2, by=org)
    assert diff.moved == [] and diff.dropped == [] and diff.unchanged == 2
    assert {c.request.id for c in diff.added} == {r.id for r in late if r.id in planned}
    after = _live(db, forum)
    for rid, row in before.items():
        assert (after[rid].id, after[rid].slot_id, after[rid].table_id, after[rid].interpreter_id) == row


def test_the_preview_shows_added_moved_dropped_and_unchanged_overall_and_per_person(db):
    forum = f.forum()
    slots, tables = grid(forum, 3, 1)
    a, b, c, d, e = [f.participant(forum, languages=["ru"], latin_name=n, full_name=n)
                     for n in ("Anna", "Boris", "Chingiz", "Dana", "Erlan")]
    ab = f.meeting_request(a, b, accept=True)
    cd = f.meeting_request(c, d, accept=True)
    ae = f.meeting_request(a, e, accept=True)
    org = f.organizer()
    _published(db, forum, org)
    live = _live(db, forum)
    # ab must move (b is now busy then); cd's d leaves B2B (dropped); ae stays; a new request de is added.
    unavailable(b, live[ab.id].slot)
    db.session.add(MeetingPrefs(registration_id=d.id, opted_out=True))
    de_people = f.participant(forum, languages=["ru"], latin_name="Farida", full_name="Фарида")
    new = f.meeting_request(de_people, e, accept=True)
    db.session.flush()
    r = scheduling.run(forum, by=org, time_limit=10)
    stale, index = scheduling.check(r)
    assert not stale and index.unfixed == {f"r{ab.id}": "side_unavailable"}
    diff = scheduling.preview(r, unfixed=index.unfixed)
    assert [x.request.id for x in diff.moved] == [ab.id] and diff.moved[0].unfixed == "side_unavailable"
    assert scheduling.preview(r).moved[0].unfixed is None
    [moved] = diff.moved
    assert moved.old.slot.id == live[ab.id].slot_id and moved.new.slot.id != live[ab.id].slot_id
    assert [(x.request.id, x.reason) for x in diff.dropped] == [(cd.id, "not_taking_part")]
    assert [x.request.id for x in diff.added] == [new.id]
    assert diff.unchanged == 1
    per = {pc.reg.id: pc for pc in diff.people}
    assert set(per) == {a.id, b.id, c.id, d.id, e.id, de_people.id}
    assert [x.request.id for x in per[a.id].moved] == [ab.id] and per[a.id].added == per[a.id].dropped == []
    assert [x.request.id for x in per[c.id].dropped] == [cd.id]
    assert [x.request.id for x in per[e.id].added] == [new.id]
    assert [pc.reg.latin_name for pc in diff.people] == ["Anna", "Boris", "Chingiz", "Dana", "Erlan", "Farida"]
    # Publishing does what the preview said: ab moved (the old row cancelled, a new one live), cd cancelled.
    old_ab = live[ab.id]
    scheduling.publish(r, by=org)
    after = _live(db, forum)
    assert old_ab.state is MeetingState.CANCELLED and after[ab.id].slot_id == moved.new.slot.id
    assert cd.id not in after and live[cd.id].state is MeetingState.CANCELLED
    assert after[ae.id].id == live[ae.id].id and new.id in after


def test_a_dropped_meeting_carries_the_solvers_reason(db):
    forum = f.forum()
    slots, _ = grid(forum, 2, 1)
    a, b = [f.participant(forum, languages=["ru"]) for _ in range(2)]
    req = f.meeting_request(a, b, accept=True)
    org = f.organizer()
    _published(db, forum, org)
    unavailable(a, slots[0])
    unavailable(b, slots[1])
    r = scheduling.run(forum, by=org, time_limit=5)
    diff = scheduling.preview(r)
    assert [(x.request.id, x.reason) for x in diff.dropped] == [(req.id, "no_common_slot")]
    scheduling.publish(r, by=org)
    assert _live(db, forum) == {} and req.unscheduled_reason == "no_common_slot"


def test_a_stale_run_is_refused_and_a_published_one_is_not_published_twice(db):
    forum = f.forum()
    grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    f.meeting_request(uz, ja, accept=True)
    org = f.organizer()
    r = scheduling.run(forum, by=org, time_limit=5)
    assert not scheduling.is_stale(r)
    f.meeting_request(kz, uz, accept=True)  # the accepted requests changed since
    assert scheduling.is_stale(r)
    with pytest.raises(DomainError) as e:
        scheduling.publish(r, by=org)
    assert e.value.code == "stale_run" and r.status is RunStatus.DRAFT and _live(db, forum) == {}
    fresh = scheduling.run(forum, by=org, time_limit=5)
    scheduling.publish(fresh, by=org)
    assert r.status is RunStatus.SUPERSEDED  # an older draft cannot be published over the new schedule
    for again in (fresh, r):
        with pytest.raises(DomainError) as e:
            scheduling.publish(again, by=org)
        assert e.value.code == "run_not_draft"


def test_a_grid_change_makes_a_run_stale(db):
    forum = f.forum()
    slots, (t1,) = grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    f.meeting_request(uz, ja, accept=True)
    org = f.organizer()
    r = scheduling.run(forum, by=org, time_limit=5)
    t1.active = False
    table(forum, 2)
    with pytest.raises(DomainError) as e:
        scheduling.publish(r, by=org)
    assert e.value.code == "stale_run"


def test_cancelling_an_accepted_request_cancels_its_published_meeting(db):
    forum = f.forum()
    grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    req = f.meeting_request(uz, ja, accept=True)
    _published(db, forum, f.organizer())
    m = _live(db, forum)[req.id]
    requests.cancel(req, by=uz.user, reason="Plans changed")
    assert m.state is MeetingState.CANCELLED and m.cancelled_at is not None
    assert _live(db, forum) == {} and req.unscheduled_reason is None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject_type == "meeting"))
    assert entry.subject_id == m.id and entry.to_state == "cancelled" and entry.actor_id == uz.user_id


def test_a_delegate_leaving_the_forum_cancels_their_published_meetings(db):
    from forum.registration import states as reg_states
    from forum.registration.models import RegState

    forum = f.forum()
    grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    req = f.meeting_request(uz, ja, accept=True)
    _published(db, forum, f.organizer())
    reg_states.transition(uz, RegState.WITHDRAWN, by=uz.user, notify=False)
    assert _live(db, forum) == {} and req.state.value == "cancelled"


# --- e-mails ---------------------------------------------------------------------------------------------------

def test_one_mail_per_affected_delegate_in_their_language_with_the_meetings_and_the_changes(db, app):
    forum = f.forum()
    slots, tables = grid(forum, 2, 1)
    tables[0].label = "Зал B"
    ja, kz, uz = _people(forum)
    interpreter(forum, ["ja", "kk"], name="Гульнара Ахметова")
    req = f.meeting_request(ja, kz, priority="must", accept=True)
    org = f.organizer()
    _published(db, forum, org)
    mails = _mails(db)
    assert sorted(m.to_addr for m in mails) == sorted([ja.email, kz.email])  # uz has no meeting and no change
    by_to = {m.to_addr: m for m in mails}
    assert by_to[ja.email].language == "ja" and by_to[kz.email].language == "ru"
    body = by_to[kz.email].body_text
    assert "田中 一郎 (TANAKA Ichiro)" in body and "Гульнара Ахметова" in body and "Зал B" in body
    assert "Asia/Almaty" in body and "UTC+05:00" in body
    assert f"/forums/{forum.slug}/b2b/meetings" in body
    m = _live(db, forum)[req.id]
    assert f"{forum.local(m.slot.starts_at):%H:%M}" in body
    assert "Айгерім Сәрсенбаева (Aigerim Sarsenbayeva)" in by_to[ja.email].body_text
    # A re-run that changes nothing for them sends nothing; a change mails only those it concerns.
    before = len(_mails(db))
    _published(db, forum, org)
    assert len(_mails(db)) == before
    f.meeting_request(uz, ja, accept=True)
    _published(db, forum, org)
    new = _mails(db)[before:]
    assert sorted(m.to_addr for m in new) == sorted([uz.email, ja.email])
    ja_mail = next(m for m in new if m.to_addr == ja.email)
    assert "Oʻlmas Gʻaniyev (Ulmas Ganiyev)" in ja_mail.body_text
    assert "Айгерім Сәрсенбаева" in ja_mail.body_text  # the whole schedule, not only what changed


def test_the_mail_of_a_cancelled_meeting_says_why(db):
    forum = f.forum()
    slots, _ = grid(forum, 2, 1)
    a = f.participant(forum, languages=["ru"], full_name="Анна", latin_name="Anna")
    b = f.participant(forum, languages=["ru"], full_name="Борис", latin_name="Boris")
    f.meeting_request(a, b, accept=True)
    org = f.organizer()
    _published(db, forum, org)
    before = len(_mails(db))
    unavailable(a, slots[0])
    unavailable(b, slots[1])
    _published(db, forum, org)
    new = {m.to_addr: m for m in _mails(db)[before:]}
    assert set(new) == {a.email, b.email}
    assert "You and Борис (Boris) are never free at the same time." in new[a.email].body_text
    assert "You have no B2B meeting in the schedule now." in new[a.email].body_text


# --- reasons in plain words, each from a case built for it ----------------------------------------------------

def _reason_of(forum, req):
    r = scheduling.run(forum, by=f.organizer(), time_limit=5)
    return {u["request"]: u["reason"] for u in r.plan["unscheduled"]}.get(f"r{req.id}")


def test_no_common_slot_in_plain_words(db):
    forum = f.forum()
    slots, _ = grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    req = f.meeting_request(uz, ja, accept=True)
    unavailable(uz, slots[0])
    unavailable(ja, slots[1])
    assert _reason_of(forum, req) == "no_common_slot"
    assert scheduling.reason_text("no_common_slot", uz, ja) == \
        "You and 田中 一郎 (TANAKA Ichiro) are never free at the same time."


def test_participant_full_in_plain_words(db):
    forum = f.forum()
    grid(forum, 2, 2)
    ja, kz, uz = _people(forum)
    b = f.participant(forum, languages=["en"], full_name="Bob Smith", latin_name="Bob Smith")
    first = f.meeting_request(uz, b, priority="must", accept=True)
    second = f.meeting_request(ja, uz, accept=True)
    cap(uz, 1)
    assert first.weight > second.weight
    assert _reason_of(forum, second) == "participant_full"
    assert scheduling.reason_text("participant_full", uz, ja, full="me").startswith(
        "You already have the most meetings you accepted")
    assert scheduling.reason_text("participant_full", ja, uz, full="other") == (
        "Oʻlmas Gʻaniyev (Ulmas Ganiyev) already has the most meetings they accepted, or is busy at every time "
        "you are both free.")
    assert "You or Bob Smith already have" in scheduling.reason_text("participant_full", uz, b)


def test_no_table_in_plain_words(db):
    forum = f.forum()
    slots, _ = grid(forum, 2, 0)
    table(forum, 1, slots=[slots[0]])
    ja, kz, uz = _people(forum)
    req = f.meeting_request(uz, ja, accept=True)
    unavailable(uz, slots[0])
    assert _reason_of(forum, req) == "no_table"
    assert scheduling.reason_text("no_table", ja, uz) == \
        "No table was free at the times you and Oʻlmas Gʻaniyev (Ulmas Ganiyev) are both free."


def test_no_interpreter_in_plain_words(db):
    forum = f.forum()
    grid(forum, 2, 1)
    ja = f.participant(forum, languages=["ja"], full_name="田中 一郎", latin_name="TANAKA Ichiro")
    kz = f.participant(forum, languages=["kk"], full_name="Айгерім", latin_name="Aigerim")
    interpreter(forum, ["ja", "ru"])  # speaks Japanese, not Kazakh
    req = f.meeting_request(ja, kz, accept=True)
    assert _reason_of(forum, req) == "no_interpreter"
    assert scheduling.reason_text("no_interpreter", ja, kz) == \
        "No interpreter for Japanese–Kazakh at the times you and Айгерім (Aigerim) are both free."


def test_not_selected_in_plain_words(db):
    forum = f.forum()
    grid(forum, 1, 1)
    a, b, c, d = [f.participant(forum, languages=["ru"]) for _ in range(4)]
    f.meeting_request(a, b, priority="must", accept=True)
    loser = f.meeting_request(c, d, accept=True)
    assert _reason_of(forum, loser) == "not_selected"
    assert scheduling.reason_text("not_selected", c, d).startswith(
        "It fitted, but the schedule left it out to place more important meetings")


def test_reasons_are_translated(db, app):
    from flask_babel import force_locale

    forum = f.forum()
    a = f.participant(forum, languages=["ja"], full_name="田中 一郎", latin_name="TANAKA Ichiro")
    b = f.participant(forum, languages=["kk"], full_name="Айгерім", latin_name="Aigerim")
    with force_locale("ru"):
        text = scheduling.reason_text("no_interpreter", a, b)
    assert "Японский" in text and "Казахский" in text  # the language names follow the reader's language


# --- races on PostgreSQL ---------------------------------------------------------------------------------------

from tests.meetings.test_requests import _race, pg  # noqa: E402,F401 - the shared race fixture and runner


def test_the_same_run_published_twice_at_once_publishes_once(app, pg):
    from forum.db import db as _db

    forum = f.forum()
    grid(forum, 2, 2)
    ja, kz, uz = _people(forum)
    interpreter(forum, ["ja", "kk"])
    f.meeting_request(ja, kz, accept=True)
    f.meeting_request(uz, ja, accept=True)
    org = f.organizer()
    run_id, org_id = scheduling.run(forum, by=org, time_limit=5).id, org.id
    pg.session.commit()
    refused = []

    def work(i):
        from forum.accounts.models import User

        try:
            scheduling.publish(_db.session.get(ScheduleRun, run_id), by=_db.session.get(User, org_id))
            _db.session.commit()
        except DomainError as e:
            _db.session.rollback()
            refused.append(e.code)

    assert _race(app, 4, work) == []
    assert sorted(refused) == ["run_not_draft"] * 3
    assert pg.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 2
    assert len(_mails(pg)) == 3  # ja, kz, uz: once each


def test_publishing_while_a_request_is_cancelled_leaves_no_meeting_for_it(app, pg):
    from forum.db import db as _db

    for _ in range(3):
        forum = f.forum()
        grid(forum, 2, 1)
        ja, kz, uz = _people(forum)
        req = f.meeting_request(uz, ja, accept=True)
        org = f.organizer()
        run_id, org_id, req_id, uz_user = scheduling.run(forum, by=org, time_limit=5).id, org.id, req.id, uz.user_id
        pg.session.commit()

        def work(i):
            from forum.accounts.models import User

            try:
                if i == 0:
                    scheduling.publish(_db.session.get(ScheduleRun, run_id), by=_db.session.get(User, org_id))
                else:
                    requests.cancel(_db.session.get(MeetingRequest, req_id), by=_db.session.get(User, uz_user))
                _db.session.commit()
            except DomainError:
                _db.session.rollback()  # stale_run when the cancellation came first

        assert _race(app, 2, work) == []
        pg.session.expire_all()
        live = pg.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
            Meeting.request_id == req_id, Meeting.state == MeetingState.SCHEDULED))
        assert pg.session.get(MeetingRequest, req_id).state.value == "cancelled" and live == 0


def test_caps_follow_participation_max_meetings_and_building_writes_nothing(db):
    from forum.meetings import participation
    from forum.meetings.models import B2BSettings

    forum = f.forum()
    grid(forum, 2, 1)
    ja, kz, uz = _people(forum)
    f.meeting_request(ja, kz, accept=True)
    f.meeting_request(uz, ja, accept=True)
    cap(kz, 2)
    db.session.execute(sa.delete(B2BSettings))
    problem, _ = problem_mod.build(forum)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(B2BSettings)) == 0  # a GET may build it
    caps = {p["id"]: p["max_meetings"] for p in problem["participants"]}
    assert caps == {f"p{r.id}": participation.max_meetings(r) for r in (ja, kz, uz)} == \
        {f"p{ja.id}": 8, f"p{kz.id}": 2, f"p{uz.id}": 8}
    participation.settings(forum).default_max_meetings = 5
    db.session.flush()
    caps = {p["id"]: p["max_meetings"] for p in problem_mod.build(forum)[0]["participants"]}
    assert caps == {f"p{ja.id}": 5, f"p{kz.id}": 2, f"p{uz.id}": 5}
