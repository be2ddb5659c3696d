"""The organizer's scheduling pages (/manage/<slug>/b2b/schedule): the published schedule, the runs, a run's
figures, reasons and preview, publishing it, and its problem and plan as JSON (for check_plan.py)."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from forum.db import db
from forum.errors import DomainError
from forum.forms_util import show_error
from forum.meetings import solver, scheduling
from forum.meetings.models import Meeting, MeetingRequest, MeetingSlot, MeetingState, MeetingTable, RequestState, ScheduleRun
from forum.meetings.problem import row_id
from forum.meetings.schedule_forms import PublishForm, RunForm
from forum.registration.models import Registration
from forum.security import Permission, current_forum, forum_permission
from forum.meetings.pages import page_number as _page

bp = Blueprint("b2b_schedule", __name__, url_prefix="/manage/<slug>/b2b/schedule")

RUNS_SHOWN = 20  # the newest runs on the index; each is kept and reachable by its page


class ListPage(Pagination):
    """One page of a list already in memory, for the usual pager."""

    def _query_items(self) -> list:
        items, start = self._query_args["items"], (self.page - 1) * self.per_page
        return items[start:start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def _default_seconds() -> int:
    value = current_app.config.get("B2B_SOLVE_SECONDS", 20)
    return max(scheduling.MIN_SECONDS, min(scheduling.MAX_SECONDS, int(value)))


def _index_page(form: RunForm, status: int = 200):
    forum = current_forum()
    per_page = current_app.config["PER_PAGE"]
    meetings = db.paginate(
        sa.select(Meeting).join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .join(MeetingTable, MeetingTable.id == Meeting.table_id)
        .options(joinedload(Meeting.slot), joinedload(Meeting.table), joinedload(Meeting.interpreter),
                 joinedload(Meeting.a).joinedload(Registration.company),
                 joinedload(Meeting.b).joinedload(Registration.company))
        .where(Meeting.forum_id == forum.id, Meeting.state == MeetingState.SCHEDULED)
        .order_by(MeetingSlot.starts_at, MeetingTable.number, Meeting.id),
        page=_page(), per_page=per_page, error_out=False)
    accepted = db.session.scalar(sa.select(sa.func.count()).select_from(MeetingRequest).where(
        MeetingRequest.forum_id == forum.id, MeetingRequest.state == RequestState.ACCEPTED)) or 0
    runs = db.session.scalars(sa.select(ScheduleRun).options(joinedload(ScheduleRun.created_by))
                              .where(ScheduleRun.forum_id == forum.id)
                              .order_by(ScheduleRun.created_at.desc(), ScheduleRun.id.desc()).limit(RUNS_SHOWN)).all()
    n_runs = db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleRun)
                               .where(ScheduleRun.forum_id == forum.id)) or 0
    return render_template("meetings/manage/schedule.html", forum=forum, meetings=meetings, accepted=accepted,
                           runs=runs, n_runs=n_runs, form=form), status


@bp.get("/")
@forum_permission(Permission.B2B)
def index(slug: str):
    form = RunForm(formdata=None, time_limit=_default_seconds())
    return _index_page(form)


@bp.post("/runs")
@forum_permission(Permission.B2B)
def run(slug: str):
    form = RunForm()
    if not form.validate():
        return _index_page(form, 422)
    seconds = form.time_limit.data
    try:
        problem = scheduling.prepare(current_forum(), by=current_user, time_limit=seconds)
    except DomainError as e:
        db.session.rollback()
        return _index_page(form, 422 if show_error(form, e) else 409)
    # No transaction stays open while the solver works (up to two minutes): on SQLite it would hold the write
    # lock, and every check-in and registration would wait for it. The problem read above is what gets solved.
    db.session.commit()
    plan = solver.solve(problem, time_limit=float(seconds))
    r = scheduling.record(current_forum(), problem, plan, by=current_user, time_limit=seconds)
    db.session.commit()
    flash(_("The scheduler placed %(n)d of %(total)d accepted requests. Check the preview, then publish.",
            n=r.n_scheduled, total=r.n_requests), "success")
    return redirect(url_for(".run_page", slug=slug, run_id=r.id))


def _run(run_id: int) -> ScheduleRun:
    r = db.session.scalar(sa.select(ScheduleRun).where(ScheduleRun.id == run_id,
                                                       ScheduleRun.forum_id == current_forum().id))
    if r is None:
        abort(404)
    return r


def _unscheduled(r: ScheduleRun) -> list[tuple[MeetingRequest | None, str, str]]:
    """(request, reason code, plain words) for each unscheduled request of the run, in the plan's order."""
    ids = [row_id(u["request"]) for u in r.plan["unscheduled"]]
    reqs = {q.id: q for q in db.session.scalars(sa.select(MeetingRequest).options(
        joinedload(MeetingRequest.requester).joinedload(Registration.company),
        joinedload(MeetingRequest.recipient).joinedload(Registration.company))
        .where(MeetingRequest.forum_id == r.forum_id, MeetingRequest.id.in_(ids)))} if ids else {}
    out = []
    for u in r.plan["unscheduled"]:
        q = reqs.get(row_id(u["request"]))
        if q is not None and q.recipient is not None:
            out.append((q, u["reason"], scheduling.reason_label(u["reason"], q.requester, q.recipient)))
    return out


def _run_page(r: ScheduleRun, form: PublishForm, template: str = "meetings/manage/run.html", status: int = 200):
    forum = current_forum()
    per_page = current_app.config["PER_PAGE"]
    stale, index = scheduling.check(r)
    stale = stale and r.status.value == "draft"
    diff = scheduling.preview(r, unfixed=index.unfixed)
    unscheduled = ListPage(items=_unscheduled(r), page=_page(), per_page=per_page, error_out=False)
    people = ListPage(items=diff.people, page=_page("people_page"), per_page=per_page, error_out=False)
    return render_template(template, forum=forum, run=r, diff=diff, unscheduled=unscheduled, people=people,
                           stale=stale, form=form, reason_label=scheduling.reason_label,
                           unfixed_label=scheduling.unfixed_label), status


@bp.get("/runs/<int:run_id>")
@forum_permission(Permission.B2B)
def run_page(slug: str, run_id: int):
    return _run_page(_run(run_id), PublishForm(formdata=None))


@bp.route("/runs/<int:run_id>/publish", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def publish(slug: str, run_id: int):
    """GET: what publishing changes, and the confirmation; POST: publish."""
    r = _run(run_id)
    form = PublishForm()
    if request.method == "GET":
        return _run_page(r, PublishForm(formdata=None), "meetings/manage/publish.html")
    if not form.validate():
        return _run_page(r, form, "meetings/manage/publish.html", 422)
    try:
        diff = scheduling.publish(r, by=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return _run_page(_run(run_id), PublishForm(formdata=None), "meetings/manage/publish.html", 409)
    db.session.commit()
    flash(_("Published: %(added)d new, %(moved)d moved, %(dropped)d cancelled, %(same)d unchanged. "
            "%(people)d delegates are e-mailed.", added=len(diff.added), moved=len(diff.moved),
            dropped=len(diff.dropped), same=diff.unchanged, people=len(diff.people)), "success")
    return redirect(url_for(".index", slug=slug))


def _json(data: dict, name: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/runs/<int:run_id>/problem.json")
@forum_permission(Permission.B2B)
def problem_json(slug: str, run_id: int):
    return _json(_run(run_id).problem, f"{slug}-run-{run_id}-problem.json")


@bp.get("/runs/<int:run_id>/plan.json")
@forum_permission(Permission.B2B)
def plan_json(slug: str, run_id: int):
    return _json(_run(run_id).plan, f"{slug}-run-{run_id}-plan.json")
