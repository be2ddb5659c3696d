"""The organizers' results (/manage/<slug>/b2b/results): the funnel by country pair and by sector as charts
(inline SVG, each bar with its number as text) and tables, the outcomes with their next steps and documents,
and the same as CSV and XLSX."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, stream_with_context
from flask_babel import lazy_gettext as _l, lazy_pgettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from forum.db import db, writes
from forum.documents.models import Document
from forum.meetings.models import Meeting
from forum.meetings.pages import page_number
from forum.meetings.reasons import both_scripts
from forum.outcomes import exporting, funnel
from forum.outcomes.forms import kind_label
from forum.outcomes.models import MeetingOutcome, OutcomeKind
from forum.registration import choices
from forum.registration.models import Registration
from forum.security import Permission, current_forum, forum_permission

bp = Blueprint("outcomes_manage", __name__, url_prefix="/manage/<slug>/b2b/results")

STAGE_LABELS = {"requested": _l("Requested"), "accepted": _l("Accepted"), "scheduled": _l("Scheduled"),
                "held": lazy_pgettext("meeting", "Held"), "cooperation": _l("Cooperation likely")}


@bp.get("/")
@forum_permission(Permission.B2B)
def index(slug: str):
    forum = current_forum()
    fun = funnel.funnel(forum.id)
    outcomes = db.paginate(
        funnel.outcomes_list(forum.id).options(
            joinedload(MeetingOutcome.meeting).joinedload(Meeting.slot),
            joinedload(MeetingOutcome.meeting).joinedload(Meeting.a).joinedload(Registration.company),
            joinedload(MeetingOutcome.meeting).joinedload(Meeting.b).joinedload(Registration.company),
            selectinload(MeetingOutcome.document).selectinload(Document.titles)),
        page=page_number(), per_page=current_app.config["PER_PAGE"], error_out=False)
    stages = [(s, str(STAGE_LABELS[s])) for s in funnel.STAGES]
    return render_template(
        "outcomes/manage/results.html", forum=forum, fun=fun, stages=stages, outcomes=outcomes,
        kinds=[(k, kind_label(k)) for k in OutcomeKind], kind_label=kind_label, both_scripts=both_scripts,
        pair_names={k: exporting.pair_label(p, {c: choices.country_name(c) for c in p})
                    for k, p in fun.pairs.items()})


def _export(slug: str, fmt: str):
    forum = current_forum()
    n = exporting.names(forum)
    part = exporting.funnel_rows(funnel.funnel(forum.id), n)
    ids = exporting.outcome_ids(forum.id)
    tz = forum.tz
    exporting.record(forum, fmt, rows=len(ids), by=current_user)
    db.session.commit()  # the audit entry is stored before a byte leaves
    return Response(stream_with_context(exporting.stream(part, ids, fmt, n, tz)), mimetype=exporting.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{slug}-b2b-results.{fmt}"',
                             "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@bp.get("/results.csv")
@writes
@forum_permission(Permission.B2B)
def export_csv(slug: str):
    return _export(slug, "csv")


@bp.get("/results.xlsx")
@writes
@forum_permission(Permission.B2B)
def export_xlsx(slug: str):
    return _export(slug, "xlsx")
