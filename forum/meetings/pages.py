"""What the B2B views take from a request, written once: the forum in the URL, the signed-in delegate who takes
part in its B2B meetings, and a page number."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, request
from flask_login import current_user

from forum.db import db
from forum.forums import gone
from forum.forums.models import Forum
from forum.meetings import participation
from forum.registration.models import Registration
from forum.urls import ascii_int

MAX_PAGE = 1_000_000  # keeps OFFSET = page x size inside 64 bits; a larger page is a 404


def forum_or_404(slug: str) -> Forum:
    forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
    if forum is None:
        abort(404)
    return forum


def forum_and_me(slug: str) -> tuple[Forum, Registration]:
    """The forum and the signed-in user's participating registration in it; 404 when they take no part (410 with
    the cancellation banner when the forum is cancelled)."""
    forum = forum_or_404(slug)
    me = participation.participation_in(current_user, forum)
    if me is None:
        gone.abort_if_cancelled(forum)  # 410 with the cancellation banner: an old link learns why
        abort(404)
    return forum, me


def page_number(arg: str = "page") -> int:
    """The page asked for in `arg`: 1 for nonsense, a 404 past MAX_PAGE."""
    raw = request.args.get(arg, "")
    if raw.isascii() and raw.isdigit() and (len(raw) > 19 or int(raw) > MAX_PAGE):
        abort(404)
    return ascii_int(raw, maximum=MAX_PAGE) or 1


def paginate(stmt, arg: str = "page"):
    return db.paginate(stmt, page=page_number(arg), per_page=current_app.config["PER_PAGE"], max_per_page=200,
                       error_out=False)
