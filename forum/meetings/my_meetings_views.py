"""A delegate's published B2B meetings (/forums/<slug>/b2b/meetings), and their accepted requests that have
no meeting, each with the reason in plain words. Only for delegates who take part (404 otherwise)."""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template
from flask_login import login_required
from sqlalchemy.orm import joinedload

from forum.db import db
from forum.meetings import scheduling
from forum.meetings.models import Meeting, MeetingRequest, MeetingState, RequestState
from forum.meetings.problem import caps
from forum.meetings.schedule_views import ListPage
from forum.meetings.views import forum_and_me
from forum.registration.models import Registration
from forum.meetings.pages import page_number as _page

bp = Blueprint("b2b_meetings", __name__, url_prefix="/forums/<slug>/b2b")


@bp.get("/meetings")
@login_required
def mine(slug: str):
    forum, me = forum_and_me(slug)
    per_page = current_app.config["PER_PAGE"]
    meetings = scheduling.meetings_of([me.id], forum.id)[me.id]
    live = sa.select(Meeting.id).where(Meeting.request_id == MeetingRequest.id,
                                       Meeting.state == MeetingState.SCHEDULED)
    waiting = db.session.scalars(sa.select(MeetingRequest).options(
        joinedload(MeetingRequest.requester).joinedload(Registration.company),
        joinedload(MeetingRequest.recipient).joinedload(Registration.company))
        .where(MeetingRequest.forum_id == forum.id, MeetingRequest.state == RequestState.ACCEPTED,
               sa.or_(MeetingRequest.requester_id == me.id, MeetingRequest.recipient_id == me.id), ~sa.exists(live))
        .order_by(MeetingRequest.id)).all()
    others = [r.recipient if r.requester_id == me.id else r.requester for r in waiting]
    full = _who_is_full(forum, me, others)
    unscheduled = [(r, other, scheduling.reason_text(r.unscheduled_reason, me, other, full=full(other)))
                   for r, other in zip(waiting, others)]
    return render_template(
        "meetings/my_meetings.html", forum=forum, me=me,
        meetings=ListPage(items=meetings, page=_page("page"), per_page=per_page, error_out=False),
        unscheduled=ListPage(items=unscheduled, page=_page("waiting_page"), per_page=per_page, error_out=False),
        other_side=scheduling.other_side)


def _who_is_full(forum, me: Registration, others: list[Registration]):
    """For participant_full: "me" when I have as many meetings as my cap, "other" when they have, else None."""
    people = [me, *others]
    cap = caps(forum, people)
    counts: dict[int, int] = defaultdict(int)
    ids = [p.id for p in people]
    for a, b in db.session.execute(sa.select(Meeting.a_id, Meeting.b_id).where(
            Meeting.forum_id == forum.id, Meeting.state == MeetingState.SCHEDULED,
            sa.or_(Meeting.a_id.in_(ids), Meeting.b_id.in_(ids)))):
        counts[a] += 1
        counts[b] += 1

    def full(other: Registration) -> str | None:
        if counts[me.id] >= cap[me.id]:
            return "me"
        if counts[other.id] >= cap[other.id]:
            return "other"
        return None

    return full
