"""The private calendar subscription URL: no sign-in, the token in the URL is the key (agendas.subscription).

Calendar apps fetch it every few hours from wherever the delegate is, so it is rate-limited per address like
the badge page, never cached by anyone in between, never indexed. A wrong, renewed-away or withdrawn link is a
plain 404: it says no more than an address that never existed."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app

from forum.agendas import ics, subscription
from forum.extensions import limiter

bp = Blueprint("agenda_calendar", __name__, url_prefix="/calendar")


def _limit() -> str:
    return current_app.config.get("RATELIMIT_CALENDAR") or current_app.config["RATELIMIT_BADGE_PAGE"]


@bp.get("/<pid:reg_pid>/<token>.ics")
@limiter.limit(_limit)
def feed(reg_pid: str, token: str):
    reg = subscription.find(reg_pid, token)
    if reg is None:
        abort(404)
    resp = Response(ics.calendar_for(reg), mimetype="text/calendar")
    resp.headers["Content-Type"] = "text/calendar; charset=utf-8"
    resp.headers["Content-Disposition"] = f'inline; filename="{ics.FILENAME}"'
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    return resp
