"""The check-in dashboard: arrived vs expected by country and category, present now, arrivals per quarter
hour (an SVG chart drawn here, checkin.chart), and the scans the door refused, with their reasons.

For the forum's team members with the check-in permission (manage grants it too): the people at the door
and whoever coordinates them. Review alone does not open it: reviewers have the registrations' own
overview; the door's figures belong to those who run the door.
"""
from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_babel import ngettext
from markupsafe import Markup

from forum import clock
from forum.checkin import chart, messages, offline, queries
from forum.checkin.models import FAILED, ConflictKind, Result
from forum.db import db
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.teams.models import Permission
from forum.teams.permissions import current_forum, forum_permission
from forum.templating import local_day_month, local_time, zone_label
from forum.urls import ascii_int

bp = Blueprint("checkin", __name__, url_prefix="/manage/<slug>/checkin")

PER_PAGE = 25  # refused scans per page
MAX_PAGE = 100_000  # far beyond any door's refusals; a larger number is a typo or a probe


def _day(raw: str | None) -> date | None:
    """?day=2026-12-07 (the forum's local day); anything else is ignored like a filter that does not apply."""
    if not raw or len(raw) != 10 or not raw.isascii():
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _listed(raw: str | None) -> Result | None:
    """?result=revoked: one result's scans instead of all refusals; unknown values are ignored."""
    try:
        result = Result(raw)
    except ValueError:
        return None
    return result if result in queries.LISTABLE else None


def _page_number(name: str = "page") -> int:
    raw = request.args.get(name, "")
    if raw.isascii() and raw.isdigit() and (len(raw) > 19 or int(raw) > MAX_PAGE):
        abort(404)  # a page so far out that there is none (and no 5,000-digit int() to parse)
    return ascii_int(raw, maximum=MAX_PAGE) or 1


# The chart twice: wide for a desktop, narrow for a phone (the page shows one); each scrolls sideways when a long
# day needs more room. A server cannot know the screen, and a scaled-down wide chart has unreadable text.
CHART_WIDTHS = {"wide": chart.TARGET_WIDTH, "narrow": 360}


def _charts(forum: Forum, curve: queries.Curve) -> dict[str, Markup]:
    quarters = curve.quarters
    bars = []
    for q in quarters:
        start, end = local_time(q.start, forum), local_time(q.start + queries.QUARTER, forum)
        bars.append(chart.Bar(
            label=start, value=q.count, major=q.start.astimezone(forum.tz).minute == 0,
            tooltip=ngettext("%(start)s–%(end)s: %(num)d arrival", "%(start)s–%(end)s: %(num)d arrivals", q.count,
                             start=start, end=end)))
    description = ""
    if quarters and curve.day is not None:
        peak = curve.peak
        description = _("%(total)d arrivals from %(start)s to %(end)s on %(day)s; the busiest quarter hour began "
                        "at %(peak)s with %(n)d.", total=curve.total, start=local_time(quarters[0].start, forum),
                        end=local_time(quarters[-1].start + queries.QUARTER, forum),
                        day=local_day_month(quarters[0].start, forum), peak=local_time(peak.start, forum),
                        n=peak.count)
    return {size: Markup(chart.bar_chart(  # every text in it was escaped by chart.bar_chart
        bars, title=_("Arrivals per 15 minutes"), description=description,
        x_label=_("Time of first entry, %(zone)s", zone=zone_label(forum)), y_label=_("Arrivals"),
        empty_text=_("Nobody has arrived yet."), id_prefix=f"arrivals-{size}", target_width=width))
        for size, width in CHART_WIDTHS.items()}


def day_label(day: date, forum: Forum) -> str:
    """'23 November' for a forum-local day (noon of it, on the forum's clock, is surely that day)."""
    return local_day_month(datetime.combine(day, time(12), tzinfo=forum.tz), forum)


@bp.get("")
@forum_permission(Permission.CHECKIN)
def dashboard(slug: str):
    forum = current_forum()
    listed = _listed(request.args.get("result"))
    page = db.paginate(queries.failed_scans(forum, frozenset({listed}) if listed else None), page=_page_number(),
                       per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    curve = queries.arrival_curve(forum, _day(request.args.get("day")))
    counts = queries.scan_counts(forum)
    show_reviewed = request.args.get("reviewed") == "1"
    conflicts = db.paginate(queries.conflicts(forum, reviewed=show_reviewed), page=_page_number("cpage"),
                            per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    return render_template(
        "checkin/dashboard.html", forum=forum, presence=queries.presence(forum), curve=curve,
        charts=_charts(forum, curve), counts=counts, refused=sum(counts[r] for r in FAILED), page=page,
        listed=listed, listable=queries.LISTABLE, now=clock.now(), result_label=messages.title,
        result_tone=messages.bootstrap_tone, reason=messages.scan_reason, badge_category=messages.category_label,
        quarter=queries.QUARTER, day_label=day_label, conflicts=conflicts, show_reviewed=show_reviewed,
        open_conflicts=queries.open_conflicts(forum), conflict_label=conflict_label, skew_text=skew_text,
    )


def conflict_label(kind: ConflictKind) -> str:
    return {
        ConflictKind.DUPLICATE_OFFLINE: _("Admitted on two devices while offline"),
        ConflictKind.REVOKED_AFTER_SYNC: _("Badge revoked after the device last downloaded its data"),
        ConflictKind.CLOCK_SKEW: _("Device clock far from the server's"),
    }[kind]


def skew_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes = round(abs(seconds) / 60)
    if seconds > 0:
        return ngettext("%(num)d minute ahead", "%(num)d minutes ahead", minutes)
    return ngettext("%(num)d minute behind", "%(num)d minutes behind", minutes)


@bp.post("/conflicts/<int:conflict_id>/review")
@forum_permission(Permission.CHECKIN)
def review_conflict(slug: str, conflict_id: int):
    forum = current_forum()
    try:
        offline.review(forum, conflict_id, by=current_user)
    except DomainError as e:
        if e.status == 404:
            abort(404)
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Marked reviewed."), "success")
    return redirect(url_for(".dashboard", slug=forum.slug, _anchor="conflicts-h"))
