"""A delegate records the outcome of their meetings (/forums/<slug>/b2b/outcomes): the list of their meetings
that have started, each with their outcome or "not recorded", and one meeting's form. Another delegate's meeting
is a 404; the forum's B2B team sees a meeting's two outcomes read-only (they record nothing for delegates)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from forum import clock
from forum.agendas.queries import agenda_of, other_side
from forum.db import db
from forum.documents.models import Document
from forum.errors import DomainError, InvalidInput
from forum.forms_util import show_error
from forum.meetings.models import Meeting
from forum.meetings.pages import forum_and_me, forum_or_404, page_number
from forum.meetings.reasons import both_scripts
from forum.meetings.schedule_views import ListPage
from forum.outcomes import services
from forum.outcomes.forms import OutcomeForm, kind_label
from forum.outcomes.models import MeetingOutcome, OutcomeKind
from forum.registration.models import CompanyRegistration, RegState, Registration
from forum.teams.models import Permission
from forum.teams.permissions import has_permission

bp = Blueprint("outcomes", __name__, url_prefix="/forums/<slug>/b2b/outcomes")


@bp.get("/")
@login_required
def index(slug: str):
    forum, me = forum_and_me(slug)
    now = clock.now()
    started = [m for m in agenda_of(me) if services.has_started(m, now)]
    started.reverse()  # the latest first: the one just held is the one to record
    mine = {o.meeting_id: o for o in db.session.scalars(sa.select(MeetingOutcome).where(
        MeetingOutcome.registration_id == me.id, MeetingOutcome.meeting_id.in_([m.id for m in started])))}
    page = ListPage(items=started, page=page_number(), per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("outcomes/index.html", forum=forum, me=me, page=page, outcomes=mine,
                           other_side=other_side, kind_label=kind_label, both_scripts=both_scripts)


def _meeting(forum, meeting_pid: str) -> Meeting:
    m = db.session.scalar(sa.select(Meeting).options(
        joinedload(Meeting.slot), joinedload(Meeting.table),
        joinedload(Meeting.a).joinedload(Registration.company).joinedload(CompanyRegistration.organisation),
        joinedload(Meeting.b).joinedload(Registration.company).joinedload(CompanyRegistration.organisation))
        .where(Meeting.public_id == meeting_pid, Meeting.forum_id == forum.id))
    if m is None:
        abort(404)
    return m


def _my_side(m: Meeting) -> Registration | None:
    """The side of `m` that is the signed-in user (an approved delegate), or None."""
    for reg in (m.a, m.b):
        if reg.user_id is not None and reg.user_id == current_user.id and reg.state is RegState.APPROVED:
            return reg
    return None


@bp.route("/<pid:meeting_pid>", methods=["GET", "POST"])
@login_required
def record(slug: str, meeting_pid: str):
    forum = forum_or_404(slug)
    m = _meeting(forum, meeting_pid)
    me = _my_side(m)
    if me is None:
        if request.method == "GET" and has_permission(current_user, forum, Permission.B2B):
            outcomes = {o.registration_id: o for o in db.session.scalars(
                sa.select(MeetingOutcome).options(joinedload(MeetingOutcome.document))
                .where(MeetingOutcome.meeting_id == m.id))}
            return render_template("outcomes/team_view.html", forum=forum, m=m, outcomes=outcomes,
                                   kind_label=kind_label, both_scripts=both_scripts)
        abort(404)
    now = clock.now()
    found = services.outcome_of(m, me)
    documents = services.linkable_documents(m, me)
    # Prefilled on GET only: a POST is the whole answer (an emptied date field must empty the date).
    form = OutcomeForm(data={} if found is None or request.method != "GET" else {
        "kind": found.kind.value, "next_step": found.next_step, "next_step_on": found.next_step_on,
        "document": found.document.public_id if found.document else ""})
    form.document.choices = [("", _("None"))] + [(d.public_id, f"{d.reference} · {d.title_in(None)}")
                                                 for d in documents]
    form.kind.choices = [(k.value, kind_label(k)) for k in services.allowed_kinds(m)]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.record(m, me, kind=OutcomeKind(form.kind.data), next_step=form.next_step.data or "",
                                next_step_on=form.next_step_on.data, document=_document(form.document.data),
                                by=current_user, now=now)
            except DomainError as e:
                db.session.rollback()
                status = 422 if show_error(form, e) else e.status
            else:
                db.session.commit()
                flash(_("Outcome saved. Thank you."), "success")
                return redirect(url_for(".index", slug=forum.slug), 303)
        else:
            status = 400
    return render_template("outcomes/record.html", forum=forum, m=m, me=me, other=other_side(m, me), form=form,
                           found=found, open=services.can_record(m, now), now=now, kind_label=kind_label,
                           both_scripts=both_scripts), status


def _document(public_id: str | None) -> Document | None:
    if not public_id:
        return None
    doc = db.session.scalar(sa.select(Document).where(Document.public_id == public_id))
    if doc is None:
        raise InvalidInput(_("Choose a document your company signed at this forum."), code="document_not_yours",
                           field="document")
    return doc
