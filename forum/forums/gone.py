"""A delegate's page of a cancelled forum (their badge, their B2B agenda, meetings, requests ...) exists no more:
instead of a bare 404 it answers 410 Gone with the cancellation banner (base.html), so that whoever follows an
old link learns why, and the reason, in their language. The forum's status is public: this tells nobody more
than the forum's own page does."""
from __future__ import annotations

from flask import abort, make_response, render_template

from forum.forums.models import Forum, ForumStatus


def abort_if_cancelled(forum: Forum | None) -> None:
    if forum is not None and forum.status is ForumStatus.CANCELLED:
        abort(make_response(render_template("forums/cancelled.html", forum=forum), 410))
