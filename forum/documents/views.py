"""The documents team's register pages (/manage/<slug>/documents): the filtered list, a document's page with its
history, and the list's export."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from forum.db import db, writes
from forum.documents import exporting, labels, queries, tally
from forum.documents.models import Ceremony, Confidentiality, DocKind, FollowUpStatus
from forum.documents.numbering import register_of
from forum.meetings.pages import paginate
from forum.registration import choices
from forum.security import Permission, current_forum, forum_permission
from forum.templating import local_datetime_zoned

bp = Blueprint("documents", __name__, url_prefix="/manage/<slug>/documents")


def field_label(name: str) -> str:
    """A field or detail named in a history entry (the other parts' audit entries use the model's names)."""
    names = {
        "kind": _("Type"), "titles": _("Titles"), "authoritative_language": _("Authoritative language"),
        "signed_on": _("Date"), "place": _("Place"), "ceremony": _("Ceremony"), "sectors": _("Sectors"),
        "value_minor": _("Value"), "value": _("Value"), "currency": _("Currency"),
        "expected_jobs": _("Expected jobs"), "confidentiality": _("Confidentiality"),
        "counts_in_tally": _("Counts in the tally"), "parties": _("Parties"), "status": _("Follow-up status"),
        "next_review_on": _("Next review"), "exchanged_at": _("Exchanged at"),
        "ceremony_position": _("Place in the ceremony"), "notes": _("Remarks"), "meetings": _("B2B meetings"),
        "position": _("Place in the ceremony"), "from_position": _("From place"), "to_position": _("To place"),
        "reference": _("Number"), "version": _("Version"), "sha256": _("SHA-256"), "size": _("Size in bytes"),
        "filename": _("File"), "content_type": _("Type of file"), "reason": _("Reason"), "text": _("Note"),
        "noted_on": _("Date"),
    }
    return names.get(name, name.replace("_", " "))


def change_value(name: str, value, forum=None) -> str:
    """An old or new value in a history entry, in words where it is a code: "mou" -> "Memorandum of
    understanding", ["energy"] -> "Energy, oil and gas", True -> "Yes", a UTC time -> the forum's wall clock."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(change_value(name, v, forum) for v in value)
    if name.endswith("_at") and isinstance(value, str) and forum is not None:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
        if when.tzinfo is not None:
            return local_datetime_zoned(when, forum)
        return value
    words = {"kind": labels.kind_label, "ceremony": labels.ceremony_label, "status": labels.status_label,
             "confidentiality": labels.confidentiality_label, "sectors": lambda v: str(choices.SECTORS.get(v, v)),
             "country": choices.country_name, "authoritative_language": choices.language_name,
             "content_type": lambda v: {"application/pdf": "PDF"}.get(v, v)}.get(name)
    return words(value) if words and isinstance(value, str) else str(value)


def state_text(value: str | None) -> str:
    """An audit entry's from/to state: a follow-up status, or the ceremony's exchanged / not exchanged."""
    if not value:
        return "—"
    if value in {s.value for s in FollowUpStatus}:
        return labels.status_label(value)
    return {"exchanged": _("exchanged"), "not_exchanged": _("not exchanged"),
            "withdrawn": _("withdrawn"), "active": _("active")}.get(value, value.replace("_", " "))


# Details of an entry that are internal references, not something a reader learns from.
HIDDEN_DETAILS = frozenset({"changes", "scan_id", "note_id", "document_id", "before", "after"})


def entry_changes(details: dict | None) -> dict:
    """What an entry changed, field by field: its "changes" ({name: [old, new]}), or what differs between its
    "before" and "after" snapshots. A record's first snapshot (no "before") is the page itself, not a change."""
    details = details or {}
    changes = details.get("changes")
    if isinstance(changes, dict):
        return changes
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    return {}


def action_label(action: str) -> str:
    """A document's audit action in words; an action named by a part not known here reads as its code."""
    return {
        "created": _("Recorded"), "recorded": _("Recorded"), "updated": _("Changed"), "edited": _("Changed"),
        "withdrawn": _("Withdrawn"), "exchanged": _("Marked as exchanged"), "unexchanged": _("Exchange undone"),
        "scan_added": _("Signed copy uploaded"), "scan_uploaded": _("Signed copy uploaded"),
        "uploaded": _("Signed copy uploaded"),
        "ceremony_added": _("Added to the ceremony's order"),
        "ceremony_removed": _("Taken out of the ceremony's order"),
        "ceremony_moved": _("Moved in the ceremony's order"), "exchange_undone": _("Exchange undone"),
        "scan_downloaded": _("Signed copy downloaded"), "downloaded": _("Signed copy downloaded"),
        "note_added": _("Follow-up note added"), "noted": _("Follow-up note added"),
        "status_changed": _("Follow-up status changed"), "review_set": _("Next review date set"),
        "followup": _("Follow-up changed"), "ceremony_planned": _("Placed in the ceremony order"),
        "ceremony_order": _("Ceremony order changed"), "number_assigned": _("Register number assigned"),
    }.get(action, action.replace("_", " ").capitalize())


def _filter_choices() -> dict:
    return dict(kinds=list(DocKind), ceremonies=list(Ceremony), confidentialities=list(Confidentiality),
                statuses=list(FollowUpStatus), countries=choices.country_list(), sectors=choices.sector_choices())


@bp.get("/")
@forum_permission(Permission.DOCUMENTS)
def index(slug: str):
    forum = current_forum()
    f = queries.Filters.from_args(request.args)
    return render_template("documents/manage/index.html", forum=forum, filters=f,
                           page=paginate(queries.documents(forum, f)), totals=queries.totals(forum, f),
                           register=register_of(forum), counts=tally.counts, today=queries.forum_today(forum),
                           DUE=queries.DUE, INCLUDE=queries.INCLUDE, ONLY=queries.ONLY, **_filter_choices())


@bp.get("/<int:doc_id>")
@forum_permission(Permission.DOCUMENTS)
def detail(slug: str, doc_id: int):
    forum = current_forum()
    doc = queries.forum_document_or_404(forum, doc_id)
    return render_template("documents/manage/detail.html", forum=forum, doc=doc, meetings=queries.meetings_of(doc),
                           history=queries.history(doc), counts=tally.counts(doc),
                           why_not=queries.why_not_counted(doc), value_public=tally.value_is_public(doc),
                           field_label=field_label, change_value=change_value, state_text=state_text,
                           hidden_details=HIDDEN_DETAILS, entry_changes=entry_changes, doc_action_label=action_label,
                           today=queries.forum_today(forum))


@bp.get("/export.<fmt>")
@writes  # outermost: the permission check's user query is the transaction's first statement
@forum_permission(Permission.DOCUMENTS)
def export(slug: str, fmt: str):
    forum = current_forum()
    if fmt not in exporting.MIMETYPES:
        abort(404)
    f = queries.Filters.from_args(request.args)
    # Labels, ids and the zone before the commit: the stream runs after it and needs no ORM object of the request.
    names = exporting.names(forum, f)
    ids = queries.document_ids(forum, f)
    tz = forum.tz
    exporting.record(forum, f, fmt, rows=len(ids), by=current_user)
    db.session.commit()  # the audit entry is stored before a byte leaves, and no write lock is held while streaming
    return Response(stream_with_context(exporting.stream(ids, fmt, names, tz)), mimetype=exporting.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{slug}-documents.{fmt}"'})
