"""A delegate's agenda (issue 12): the phone page with what changed since they last looked, its ICS download,
and renewing the private calendar subscription URL. Only for a delegate who takes part in the forum's B2B
meetings, and only their own agenda (meetings.pages.forum_and_me: a 404 for anyone else).

Opening the page is "looking at it": the GET records seen_at (changes.look). It changes nothing anybody else
sees and repeating it is harmless, so a GET is the right verb for it."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum import clock
from forum.agendas import changes, ics, queries, status, subscription
from forum.agendas.forms import RenewCalendarForm
from forum.db import db
from forum.meetings.pages import forum_and_me
from forum.meetings.reasons import both_scripts

bp = Blueprint("agendas", __name__, url_prefix="/forums/<slug>/b2b/agenda")


def _days(meetings, forum):
    """[(local date, [meetings])] in time order."""
    out: list[tuple] = []
    for m in meetings:
        day = forum.local(m.slot.starts_at).date()
        if not out or out[-1][0] != day:
            out.append((day, []))
        out[-1][1].append(m)
    return out


@bp.get("")
@login_required
def mine(slug: str):
    forum, me = forum_and_me(slug)
    now = clock.now()
    seen = changes.look(me, now=now)
    meetings = queries.agenda_of(me)
    url = subscription.url_for_reg(me)
    # Drawn before the commit: committing expires every loaded row, and the page would load each meeting again.
    page = render_template("agendas/agenda.html", forum=forum, me=me, days=_days(meetings, forum),
                           n_meetings=len(meetings), changes=seen, now=now, other_side=queries.other_side,
                           company_names=ics.company_names, both_scripts=both_scripts, subscription_url=url,
                           webcal_url=subscription.webcal_url(url), at_venue=status.at_venue,
                           status_label=status.label, status_styles=status.STYLES)
    db.session.commit()
    return page


@bp.get("/agenda.ics")
@login_required
def download(slug: str):
    _forum, me = forum_and_me(slug)
    resp = Response(ics.calendar_for(me), mimetype="text/calendar")
    resp.headers["Content-Type"] = "text/calendar; charset=utf-8"
    resp.headers["Content-Disposition"] = f'attachment; filename="{ics.FILENAME}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/calendar-link/renew", methods=["GET", "POST"])
@login_required
def renew(slug: str):
    """Renew the subscription URL: a confirmation page, then the POST (the old URL is a 404 from then on)."""
    forum, me = forum_and_me(slug)
    form = RenewCalendarForm()
    if form.validate_on_submit():
        subscription.renew(me, by=current_user)
        db.session.commit()
        flash(_("Your calendar link is renewed. Add the new link to your calendar app; the old one no longer "
                "works."), "success")
        return redirect(url_for(".mine", slug=forum.slug, _anchor="calendar"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("agendas/renew.html", forum=forum, me=me, form=form), status
