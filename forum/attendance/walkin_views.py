"""Delegates booking a walk-in meeting at a free table themselves: a free table in the current or next slot, and
a counterpart found by name (any script) among the forum's participants."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum import clock
from forum.attendance import booking_input, rules
from forum.attendance.forms import SearchForm, WalkInForm, place_value
from forum.db import db
from forum.errors import DomainError
from forum.meetings.pages import forum_and_me
from forum.meetings.reasons import both_scripts
from forum.templating import local_time

bp = Blueprint("walk_ins", __name__, url_prefix="/forums/<slug>/b2b/walk-in")


def _page(forum, me, form: WalkInForm, q: str, status: int = 200):
    now = clock.now()
    places = rules.free_places(forum, now, person=me)
    form.place.choices = [("", "—")] + [
        (place_value(s.id, t.id), _("%(start)s–%(end)s · Table %(n)d", start=local_time(s.starts_at, forum),
                                     end=local_time(s.ends_at, forum), n=t.number) + (f" ({t.label})" if t.label else ""))
        for s, t in places]
    found = [r for r in rules.participants_matching(forum, q, exclude=me) if r.company_id != me.company_id]
    chosen = rules.participant_by_public_id(forum, form.counterpart.data or "")
    if chosen is not None and chosen.id not in {r.id for r in found}:
        found.insert(0, chosen)  # keep the one chosen when the page comes back with an error
    form.counterpart.choices = [(r.public_id, both_scripts(r)) for r in found]
    search = SearchForm(formdata=None, q=q)
    return render_template("attendance/walk_in.html", forum=forum, me=me, form=form, search=search, q=q,
                           found=found, has_places=bool(places), now=now, slots=rules.walk_in_slots(forum, now)), status


@bp.get("/")
@login_required
def form(slug: str):
    forum, me = forum_and_me(slug)
    rules.mark_no_shows(clock.now(), forum_id=forum.id)
    db.session.commit()
    q = (request.args.get("q") or "")[:100]
    return _page(forum, me, WalkInForm(formdata=None), q)


@bp.post("/")
@login_required
def book(slug: str):
    forum, me = forum_and_me(slug)
    form = WalkInForm()
    q = (request.form.get("q") or "")[:100]
    if not form.validate_on_submit():
        return _page(forum, me, form, q, 422)
    read = booking_input.read(forum, form, ("counterpart",))
    if read is None:
        return _page(forum, me, form, q, 422)
    slot, table, (other,) = read
    try:
        rules.book_walk_in(forum, me, other, slot, table, by=current_user, now=clock.now())
    except DomainError as e:
        return _page(forum, me, form, q, booking_input.show_refusal(form, e))
    db.session.commit()
    flash(_("Your meeting with %(name)s is booked: table %(n)d at %(time)s (%(zone)s).", name=both_scripts(other),
            n=table.number, time=local_time(slot.starts_at, forum), zone=forum.timezone), "success")
    return redirect(url_for("agendas.mine", slug=forum.slug), 303)
