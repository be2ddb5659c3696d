"""THE permission matrix: every route under /manage and /admin has a guard, and each guard lets in exactly
whom it should (issue 7, sections 1 and 5).

It walks `app.url_map`, so a new route is checked without anyone listing it here:
- it must carry a guard (`forum_permission`, `admin_required` or `team_member_required`; a route with a
  forum slug must use `forum_permission`), or `test_every_manage_and_admin_route_has_a_guard` fails;
- the guard must be what REQUIRED says for its blueprint (or endpoint): a new blueprint adds one line;
- its URL arguments must be in URL_ARGS below, or the matrix fails and says which one to add (with a
  value from the World fixture; add the object to the World when it has none yet).

Then, for every GET route: anonymous -> the sign-in page; a delegate of the forum -> 403; a manager of
another forum -> 403 (and 404 with their own forum's slug and this forum's ids); each single permission
-> 200 exactly when it grants the route's permission (manage grants all), else 403; an administrator -> 200.
For every POST route: everyone without the permission is refused and nothing changes (audit, outbox,
team, accounts, registrations, forums).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from forum.accounts.models import User
from forum.api import tokens as api_tokens
from forum.announcements.models import Announcement, AnnouncementRecipient
from forum.api.models import ApiToken
from forum.audit.models import AuditEntry
from forum.badges.models import Badge
from forum.checkin.models import Scan
from forum.errors import NotAllowed
from forum.forums.models import Forum
from forum.meetings.models import MeetingRequest
from forum.notifications.models import OutboxMessage
from forum.registration.models import CompanyRegistration, LateInvitation, Registration
from forum.teams.models import Permission, TeamMember
from tests import factories as f
from tests.conftest import csrf_token

GUARDED_PREFIXES = ("/manage", "/admin")
GUARD_ATTRS = ("forum_permission", "admin_only", "team_only")


@dataclass
class World:
    """Two forums, A and B, each with a registration, a queued mail and a team member; the people who try."""

    forums: dict[str, Forum]
    regs: dict[str, Registration]
    messages: dict[str, OutboxMessage]
    members: dict[str, TeamMember]
    admin: User
    delegate: User  # has a registration in forum A, is on no team
    plain: User  # an account with nothing
    manager_b: User  # manages forum B only
    single: dict[Permission, User]  # one member of forum A per permission, holding only that one
    tokens: dict[str, ApiToken]  # a device token of each forum's door keeper / manager
    badges: dict[str, Badge] = field(default_factory=dict)  # a live badge of an approved delegate in each forum
    requests: dict[str, Any] = field(default_factory=dict)  # a B2B meeting request in each forum
    runs: dict[str, Any] = field(default_factory=dict)  # a B2B scheduler run (meetings.ScheduleRun) in each forum
    grid: dict[str, dict] = field(default_factory=dict)  # each forum's B2B session, table and interpreter
    docs: dict[str, Any] = field(default_factory=dict)  # a registered document in each forum
    scans: dict[str, Any] = field(default_factory=dict)  # a signed copy of each forum's document
    conflicts: dict[str, Any] = field(default_factory=dict)  # an offline check-in conflict in each forum
    announcements: dict[str, Any] = field(default_factory=dict)  # a draft message to registrants in each forum


# --- the one table to extend ------------------------------------------------------------------
# A value for every URL argument a /manage or /admin route may have, from the World: `side` is "a" or
# "b", the forum whose thing is meant. A new route with another argument fails the matrix until its
# argument is added here.
URL_ARGS: dict[str, Callable[[World, str], Any]] = {
    "slug": lambda w, side: w.forums[side].slug,
    "reg_id": lambda w, side: w.regs[side].id,
    "msg_id": lambda w, side: w.messages[side].id,
    "member_id": lambda w, side: w.members[side].id,
    "user_id": lambda w, side: w.plain.id,
    "fmt": lambda w, side: "csv",
    "company_id": lambda w, side: w.regs[side].company_id,
    "org_id": lambda w, side: w.regs[side].company.organisation_id,
    "badge_id": lambda w, side: w.badges[side].id,
    "token_id": lambda w, side: w.tokens[side].id,
    "request_id": lambda w, side: w.requests[side].id,
    "run_id": lambda w, side: w.runs[side].id,
    "session_id": lambda w, side: w.grid[side]["session"].id,
    "table_id": lambda w, side: w.grid[side]["table"].id,
    "interpreter_id": lambda w, side: w.grid[side]["interpreter"].id,
    "doc_id": lambda w, side: w.docs[side].id,
    "scan_id": lambda w, side: w.scans[side].id,
    "conflict_id": lambda w, side: w.conflicts[side].id,
    "reg_public_id": lambda w, side: w.regs[side].public_id,
    "table_number": lambda w, side: w.grid[side]["table"].number,  # each forum has its table 1: not an id
    "announcement_id": lambda w, side: w.announcements[side].id,
}
# Query strings a GET route needs to show its page rather than a 404 (the URL arguments come from URL_ARGS).
QUERY_ARGS: dict[str, Callable[[World], dict]] = {
    "organisations.merge": lambda w: {"keep": w.regs["a"].company.organisation_id,
                                      "away": w.regs["b"].company.organisation_id},
}
# The arguments that name something inside one forum: forum B's slug with forum A's value is a 404.
IDS_IN_A_FORUM = {"reg_id", "msg_id", "member_id", "company_id", "badge_id", "token_id", "request_id", "run_id",
                  "session_id", "table_id", "interpreter_id", "doc_id", "scan_id",
                  "conflict_id", "reg_public_id", "announcement_id"}


# What the routes must require: a blueprint's line covers its routes, an endpoint's own line overrides it.
# The decorators are the check; this is the specification they are held to, so a route guarded by the
# wrong permission fails as well as one without a guard. A new blueprint under /manage or /admin adds a line.
ADMIN, TEAM = ("admin_only", True), ("team_only", True)
REQUIRED: dict[str, tuple[str, Any]] = {
    "review": ("forum_permission", Permission.REVIEW),
    "mail": ("forum_permission", Permission.MANAGE),
    "teams": ("forum_permission", Permission.MANAGE),
    "forums_manage": ("forum_permission", Permission.MANAGE),
    "forums_manage.index": TEAM,
    "forums_manage.new": ADMIN,
    "admin": ADMIN,
    "corrections": ("forum_permission", Permission.REVIEW),  # its /manage routes; its /my routes are the delegates'
    "organisations": ADMIN,  # organisations span forums
    "checkin": ("forum_permission", Permission.CHECKIN),  # the check-in dashboard
    "scanner": ("forum_permission", Permission.CHECKIN),
    "badges": ("forum_permission", Permission.REVIEW),  # the badge desk: printing, reissue, revoke
    "api_tokens": ("forum_permission", Permission.MANAGE),
    "b2b_manage_requests": ("forum_permission", Permission.B2B),
    "b2b_schedule": ("forum_permission", Permission.B2B),  # the B2B scheduler: runs, preview, publish
    "b2b_setup": ("forum_permission", Permission.B2B),  # sessions, slots, tables, interpreters, B2B settings
    "documents": ("forum_permission", Permission.DOCUMENTS),  # the register: list, detail, exports
    "documents_record": ("forum_permission", Permission.DOCUMENTS),  # recording, editing, withdrawing
    "documents_scans": ("forum_permission", Permission.DOCUMENTS),  # signed copies: upload, download, verify
    "documents_ceremony": ("forum_permission", Permission.DOCUMENTS),  # the ceremony, run-sheet, report
    "documents_followup": ("forum_permission", Permission.DOCUMENTS),  # follow-up status, notes, review due
    "attendance": ("forum_permission", Permission.B2B),  # the live board: staff mark held, walk-in booking
    "agendas_manage": ("forum_permission", Permission.B2B),  # agenda PDFs, table signs, interpreter sheets, bundle
    "outcomes_manage": ("forum_permission", Permission.B2B),  # the B2B results: funnel, outcomes, CSV/XLSX
    # Postponing a forum and who still comes. Its delegates' answers (/postponed/<token>) are outside /manage:
    # a signed personal link is their guard (tests/postponements/test_links.py), as for the calendar feed.
    "postponements_manage": ("forum_permission", Permission.MANAGE),
    "announcements": ("forum_permission", Permission.MANAGE),  # messages to registrants: compose, send, the log
}


# --- the guards -------------------------------------------------------------------------------

def guarded_rules(app: Flask) -> list:
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith(GUARDED_PREFIXES)),
                  key=lambda r: (r.rule, r.endpoint))


def guard_of(app: Flask, rule) -> tuple[str, Any] | None:
    """("forum_permission", Permission) / ("admin_only", True) / ("team_only", True), read from the view."""
    view = app.view_functions[rule.endpoint]
    found = [(attr, getattr(view, attr)) for attr in GUARD_ATTRS if getattr(view, attr, None)]
    return found[0] if len(found) == 1 else None


def unguarded(app: Flask) -> list[str]:
    """What is wrong with the guards of the /manage and /admin routes (nothing: an empty list)."""
    problems = []
    for rule in guarded_rules(app):
        guard = guard_of(app, rule)
        if guard is None:
            problems.append(f"{rule.rule} ({rule.endpoint}): no guard, or more than one")
        elif "slug" in rule.arguments and guard[0] != "forum_permission":
            problems.append(f"{rule.rule} ({rule.endpoint}): about one forum, but not guarded by forum_permission")
        elif guard[0] == "forum_permission" and not isinstance(guard[1], Permission):
            problems.append(f"{rule.rule} ({rule.endpoint}): forum_permission without a Permission")
    return problems


def test_every_manage_and_admin_route_has_a_guard(app):
    assert unguarded(app) == []
    endpoints = {r.endpoint for r in guarded_rules(app)}
    # The walk sees the routes at all (a prefix typo would make the test pass on nothing).
    assert {"forums_manage.index", "review.registrations", "teams.index", "teams.remove", "admin.users",
            "admin.set_admin"} <= endpoints


def test_each_route_requires_what_its_line_in_REQUIRED_says(app):
    wrong = []
    for rule in guarded_rules(app):
        spec = REQUIRED.get(rule.endpoint) or REQUIRED.get(rule.endpoint.split(".")[0])
        if spec is None:
            wrong.append(f"{rule.rule} ({rule.endpoint}): not in REQUIRED in {__file__}; add its blueprint or endpoint")
        elif guard_of(app, rule) != spec:
            wrong.append(f"{rule.rule} ({rule.endpoint}): guarded by {guard_of(app, rule)}, REQUIRED says {spec}")
    assert wrong == []


def test_the_walk_catches_a_route_without_a_guard():
    from forum.security import Permission as P, admin_required, forum_permission

    mini = Flask("mini")

    def plain(**kw):
        return ""

    mini.add_url_rule("/manage/<slug>/guarded", "guarded", forum_permission(P.REVIEW)(plain))
    mini.add_url_rule("/admin/ok", "ok", admin_required(plain))
    mini.add_url_rule("/public", "public", plain)
    assert unguarded(mini) == []
    mini.add_url_rule("/manage/<slug>/forgotten", "forgotten", plain)
    mini.add_url_rule("/manage/<slug>/admin-only", "admin_only_for_a_forum", admin_required(plain))
    problems = unguarded(mini)
    assert len(problems) == 2
    assert "forgotten" in problems[0] + problems[1] and "admin-only" in problems[0] + problems[1]


# --- the matrix -------------------------------------------------------------------------------

@pytest.fixture()
def world(db) -> World:
    forums = {"a": f.forum(slug="forum-a"), "b": f.forum(slug="forum-b")}
    regs = {side: f.registration_(forum) for side, forum in forums.items()}  # each queues mail for its forum
    messages = {side: db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.forum_id == forum.id)
                                         .order_by(OutboxMessage.id)).first() for side, forum in forums.items()}
    single = {p: f.member(forums["a"], p, name=f"Only {p.value}") for p in Permission}
    manager_b = f.member(forums["b"], Permission.MANAGE, name="Manager of B")
    door = f.member(forums["a"], Permission.CHECKIN, name="Door keeper")
    members = {"a": _member(forums["a"], door), "b": _member(forums["b"], manager_b)}
    device_tokens = {"a": api_tokens.create(door, label="Gate A", forum=forums["a"], by=None).token,
                     "b": api_tokens.create(manager_b, label="Gate B", forum=forums["b"], by=None).token}
    w = World(forums=forums, regs=regs, messages=messages, members=members, admin=f.organizer(),
              delegate=regs["a"].user, plain=f.user(name="Nobody Special"), manager_b=manager_b, single=single,
              tokens=device_tokens, badges={side: f.badge(forum) for side, forum in forums.items()},
              requests={side: f.meeting_request(f.participant(forum), f.participant(forum))
                        for side, forum in forums.items()},
              runs={side: _schedule_run(forum) for side, forum in forums.items()},
              grid={side: {"session": f.session(forum), "table": f.table(forum, 1),
                           "interpreter": f.interpreter(forum, ["ja", "ru"])} for side, forum in forums.items()},
              docs={side: f.document(forum) for side, forum in forums.items()})
    w.scans = {side: _scan(doc) for side, doc in w.docs.items()}
    w.conflicts = {"a": _conflict(forums["a"], door), "b": _conflict(forums["b"], manager_b)}
    w.announcements = {side: _announcement(forum, w.admin) for side, forum in forums.items()}
    assert all(messages.values()) and w.delegate is not None
    db.session.commit()
    return w


def _schedule_run(forum: Forum):
    """A draft scheduler run, stored as the scheduler keeps one (its problem and plan are minimal)."""
    from forum.db import db
    from forum.meetings.models import ScheduleRun

    run = ScheduleRun(forum_id=forum.id, time_limit=5, objective=0, bound=0, solve_seconds=0.1, n_requests=0,
                      n_scheduled=0, problem={"format": "forum-b2b-problem/1", "slots": [], "tables": [],
                                              "participants": [], "interpreters": [], "requests": []},
                      plan={"format": "forum-b2b-plan/1", "meetings": [], "unscheduled": [], "objective": 0,
                            "bound": 0, "solve_seconds": 0.1})
    db.session.add(run)
    db.session.flush()
    return run


def _scan(doc):
    """A stored signed copy (in the test run's DOCUMENTS_DIR), so its download answers 200 to whoever may."""
    from forum.documents import scans

    return scans.attach(doc, b"%PDF-1.7\n%%EOF\n", by=f.organizer())


def _conflict(forum: Forum, staff: User):
    """An offline scan uploaded by a device whose clock is an hour fast: one clock_skew conflict."""
    from datetime import timedelta

    from forum import clock
    from forum.checkin import offline
    from forum.checkin.models import Conflict
    from forum.db import db

    now = clock.now()
    offline.record_batch(forum, [offline.Item(code="garbage", nonce=f"skew-{forum.slug}", scanned_at=now)],
                         by=staff, device="Phone", sent_at=now + timedelta(hours=1))
    return db.session.scalar(sa.select(Conflict).where(Conflict.forum_id == forum.id))


def _announcement(forum: Forum, by: User):
    """A draft message to the forum's registrants (its GET pages show it; a POST would send or delete it)."""
    from forum.announcements import services, targeting

    return services.save_draft(forum, subjects={"en": "Hello"}, bodies={"en": "Dear delegates"},
                               flt=targeting.Filter(), by=by)


def _member(forum: Forum, user: User) -> TeamMember:
    from forum.db import db

    return db.session.scalar(sa.select(TeamMember).where(TeamMember.forum_id == forum.id,
                                                         TeamMember.user_id == user.id))


def _url(app: Flask, w: World, rule, method: str, side: str = "a", ids_side: str | None = None) -> str:
    values = {}
    for name in rule.arguments:
        if name not in URL_ARGS:
            pytest.fail(f"{rule.rule} ({rule.endpoint}) has the URL argument <{name}>, which the permission matrix "
                        f"has no value for: add it to URL_ARGS in {__file__}", pytrace=False)
        values[name] = URL_ARGS[name](w, ids_side if (ids_side and name in IDS_IN_A_FORUM) else side)
    if method == "GET" and rule.endpoint in QUERY_ARGS:
        values.update(QUERY_ARGS[rule.endpoint](w))
    return app.url_map.bind("forum.test").build(rule.endpoint, values, method=method)


def _as(client, user: User | None) -> None:
    with client.session_transaction() as s:
        s.pop("_user_id", None)
        if user is not None:
            s["_user_id"] = user.get_id()
            s["_fresh"] = True


def _expected(guard: tuple[str, Any], held: Permission) -> int:
    kind, needed = guard
    if kind == "admin_only":
        return 403
    if kind == "team_only":
        return 200
    return 200 if held in (needed, Permission.MANAGE) else 403


def _routes(app: Flask, method: str) -> list:
    return [r for r in guarded_rules(app) if method in r.methods]


def _is_login_redirect(r) -> bool:
    return r.status_code == 302 and "/login" in r.headers.get("Location", "")


def test_get_routes_let_in_exactly_who_holds_the_permission(app, client, world):
    w, failures = world, []
    routes = _routes(app, "GET")
    assert len(routes) >= 10

    def check(rule, who: str, user: User | None, expected: int | str, url: str) -> None:
        _as(client, user)
        r = client.get(url)
        ok = _is_login_redirect(r) if expected == "login" else r.status_code == expected
        if not ok:
            failures.append(f"GET {url} ({rule.endpoint}) as {who}: {r.status_code}, expected {expected}")

    for rule in routes:
        guard = guard_of(app, rule)
        if guard is None:  # reported by the test above; here it must still refuse whoever is not an administrator
            failures.append(f"{rule.rule} ({rule.endpoint}) has no guard")
            guard = ("admin_only", True)
        url = _url(app, w, rule, "GET")
        check(rule, "anonymous", None, "login", url)
        check(rule, "a delegate", w.delegate, 403, url)
        check(rule, "an account with nothing", w.plain, 403, url)
        check(rule, "the manager of another forum", w.manager_b, 200 if guard[0] == "team_only" else 403, url)
        if IDS_IN_A_FORUM & set(rule.arguments):
            check(rule, "the manager of B, with B's slug and A's ids", w.manager_b, 404,
                  _url(app, w, rule, "GET", side="b", ids_side="a"))
        for perm, user in w.single.items():
            check(rule, f"a member with only {perm.value}", user, _expected(guard, perm), url)
        check(rule, "an administrator", w.admin, 200, url)
    assert not failures, "\n".join(failures)


def snapshot(db) -> tuple:
    """Everything a refused POST must leave as it was."""
    def rows(stmt):
        return tuple(tuple(r) for r in db.session.execute(stmt).all())

    db.session.expire_all()
    counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                   for m in (AuditEntry, OutboxMessage, TeamMember, User, Registration, CompanyRegistration,
                             LateInvitation, Forum, Scan, Badge, Announcement, AnnouncementRecipient))
    return counts + (
        rows(sa.select(Registration.id, Registration.state, Registration.category, Registration.requested_category)
             .order_by(Registration.id)),
        rows(sa.select(User.id, User.is_admin, User.active, User.session_generation).order_by(User.id)),
        rows(sa.select(TeamMember.id, TeamMember.manage, TeamMember.review, TeamMember.checkin, TeamMember.documents,
                       TeamMember.b2b).order_by(TeamMember.id)),
        rows(sa.select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts).order_by(OutboxMessage.id)),
        rows(sa.select(Forum.id, Forum.status, Forum.title, Forum.capacity).order_by(Forum.id)),
        rows(sa.select(MeetingRequest.id, MeetingRequest.state, MeetingRequest.recipient_id).order_by(MeetingRequest.id)),
        rows(sa.select(Announcement.id, Announcement.sent_at, Announcement.subjects).order_by(Announcement.id)),
    )


def _post_data(w: World, token: str) -> dict:
    """What each form would send, so a POST that wrongly got through would change something."""
    a = w.forums["a"]
    member = w.members["a"]
    return {
        "csrf_token": token, "action": "approve", "ids": [str(w.regs["a"].id)], "reason": "because",
        "decision": "confirm", "company_name": "Intruder LLP", "email": "intruder@example.org", "days_valid": "7",
        "language": "en", "note": "", "permissions": ["manage"], f"m{member.id}-permissions": ["manage"],
        "name": "Intruder", "value": "on", "confirm": "y", "template": "", "title": a.title + " (changed)",
        "subject_en": "Intruder", "body_en": "Intruder", "state": "approved",
        "slug": a.slug, "city": a.city, "country": "KZ", "timezone": "Asia/Almaty", "capacity": "7",
    }


def test_post_routes_refuse_everyone_without_the_permission_and_change_nothing(app, client, db, world):
    w, failures = world, []
    routes = _routes(app, "POST")
    assert len(routes) >= 10
    token = csrf_token(client)
    data = _post_data(w, token)

    def check(rule, who: str, user: User | None, expected: int | str, url: str) -> None:
        _as(client, user)
        before = snapshot(db)
        r = client.post(url, data=data)
        ok = _is_login_redirect(r) if expected == "login" else r.status_code == expected
        if not ok:
            failures.append(f"POST {url} ({rule.endpoint}) as {who}: {r.status_code}, expected {expected}")
        if snapshot(db) != before:
            failures.append(f"POST {url} ({rule.endpoint}) as {who} changed something")

    for rule in routes:
        guard = guard_of(app, rule)
        if guard is None:  # reported by the test above; here it must still refuse whoever is not an administrator
            failures.append(f"{rule.rule} ({rule.endpoint}) has no guard")
            guard = ("admin_only", True)
        url = _url(app, w, rule, "POST")
        check(rule, "anonymous", None, "login", url)
        check(rule, "a delegate", w.delegate, 403, url)
        check(rule, "an account with nothing", w.plain, 403, url)
        if guard[0] != "team_only":
            check(rule, "the manager of another forum", w.manager_b, 403, url)
        if IDS_IN_A_FORUM & set(rule.arguments):
            check(rule, "the manager of B, with B's slug and A's ids", w.manager_b, 404,
                  _url(app, w, rule, "POST", side="b", ids_side="a"))
        for perm, user in w.single.items():
            if _expected(guard, perm) == 403:
                check(rule, f"a member with only {perm.value}", user, 403, url)
    assert not failures, "\n".join(failures)


def forum_input_from(forum: Forum, **changes):
    """The forum as its edit form would send it back, with `changes`."""
    from forum.forums.services import ForumInput

    def local(dt):
        return forum.local(dt).replace(tzinfo=None)

    data = dict(slug=forum.slug, title=forum.title, city=forum.city, country=forum.country, timezone=forum.timezone,
                starts_local=local(forum.starts_at), ends_local=local(forum.ends_at),
                opens_local=local(forum.registration_opens_at), closes_local=local(forum.registration_closes_at),
                capacity=forum.capacity, venue=forum.venue or "", description=forum.description or "",
                status=forum.status.value)
    data.update(changes)
    return ForumInput(**data)


# --- the services guard too -------------------------------------------------------------------
# A view is one way in; the API and the CLI will be others. Each service that changes a forum checks the
# permission itself (teams.permissions.require), with the code "forbidden".

def _forbidden(call) -> None:
    with pytest.raises(NotAllowed) as e:
        call()
    assert e.value.code == "forbidden"


def _outsiders(w: World, needed: Permission) -> list[User]:
    return [w.manager_b] + [u for p, u in w.single.items() if p not in (needed, Permission.MANAGE)]


def test_review_services_refuse_members_without_review(db, world):
    from forum.registration import services as registration
    from forum.registration.models import RegState
    from forum.review import services as review

    w = world
    forum, reg = w.forums["a"], w.regs["a"]
    outsiders = _outsiders(w, Permission.REVIEW)
    assert {u.id for u in outsiders} >= {w.single[Permission.CHECKIN].id, w.manager_b.id}
    for user in outsiders:
        _forbidden(lambda: review.decide(reg, "approve", by=user))
        _forbidden(lambda: review.decide_many(forum, [reg.id], "approve", by=user))
        _forbidden(lambda: review.confirm_category(reg, by=user))
        _forbidden(lambda: review.decline_category(reg, by=user))
        _forbidden(lambda: registration.create_invitation(forum, company_name="X", email="x@example.org", by=user))
        _forbidden(lambda: f.company(forum, manual=True, by=user))
    assert db.session.get(Registration, reg.id).state is RegState.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LateInvitation)) == 0
    # ...and the one who holds it may.
    review.decide(reg, "approve", by=w.single[Permission.REVIEW])
    assert reg.state is RegState.APPROVED


def test_manage_services_refuse_members_without_manage(db, world):
    from forum.forums import cancellation
    from forum.forums.services import save_forum
    from forum.forums.models import ForumStatus
    from forum.teams import services as teams

    w = world
    forum = w.forums["a"]
    member = w.members["a"]
    for user in _outsiders(w, Permission.MANAGE):
        _forbidden(lambda: cancellation.cancel(forum, reason="No venue", confirmed=True, by=user))
        _forbidden(lambda: save_forum(forum_input_from(forum, capacity=3), by=user, forum=forum))
        _forbidden(lambda: teams.add_member(forum, "someone@example.org", ["review"], by=user))
        _forbidden(lambda: teams.change_member(member, ["review", "checkin"], by=user))
        _forbidden(lambda: teams.revoke(member, by=user))
    assert forum.status is ForumStatus.PUBLISHED and forum.capacity == 100
    assert len(teams.members(forum)) == len(Permission) + 1
    assert member.permissions == [Permission.CHECKIN]
