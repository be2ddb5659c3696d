"""A delegate's B2B pages under /forums/<slug>/b2b: their requests (sent and received). Profiles, the
directory, suggestions, availability and the published meetings have their own modules beside this one."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from forum.db import db
from forum.forums.models import Forum
from forum.meetings import participation
from forum.meetings.models import MeetingRequest

bp = Blueprint("b2b", __name__, url_prefix="/forums/<slug>/b2b")


def forum_and_me(slug: str):
    """The forum and the signed-in user's participating registration in it; 404 when they take no part."""
    forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
    if forum is None:
        abort(404)
    me = participation.participation_in(current_user, forum)
    if me is None:
        abort(404)
    return forum, me


@bp.get("/requests")
@login_required
def requests(slug: str):
    forum, me = forum_and_me(slug)
    opts = (joinedload(MeetingRequest.requester), joinedload(MeetingRequest.recipient),
            joinedload(MeetingRequest.target_company))
    sent = db.session.scalars(sa.select(MeetingRequest).options(*opts).where(MeetingRequest.requester_id == me.id)
                              .order_by(MeetingRequest.created_at.desc(), MeetingRequest.id.desc())).all()
    received = db.session.scalars(sa.select(MeetingRequest).options(*opts).where(
        MeetingRequest.requester_id != me.id,
        sa.or_(MeetingRequest.recipient_id == me.id,
               sa.and_(MeetingRequest.recipient_id.is_(None), MeetingRequest.target_company_id == me.company_id)))
        .order_by(MeetingRequest.created_at.desc(), MeetingRequest.id.desc())).all()
    return render_template("meetings/requests.html", forum=forum, me=me, sent=sent, received=received)
