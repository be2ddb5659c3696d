"""Follow-up (section 1): status, review dates, notes, the documents due for review.

The status and note forms live in a partial (`documents/manage/_detail_followup.html`) that the document's detail
page includes; they post here. Success goes back to the page the form was on (`next`); a refusal renders this
module's own follow-up page with the forms as typed and the error next to its field (422), so nothing is lost.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.db import db
from forum.documents import followup
from forum.documents.followup_forms import FollowUpForm, NoteForm
from forum.documents.models import Document
from forum.errors import DomainError
from forum.forms_util import show_error
from forum.security import Permission, current_forum, forum_permission
from forum.urls import safe_next

bp = Blueprint("documents_followup", __name__, url_prefix="/manage/<slug>/documents")


def _doc(doc_id: int) -> Document:
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.forum_id != current_forum().id:
        abort(404)
    return doc


def followup_context(doc: Document, status_form: FollowUpForm | None = None,
                     note_form: NoteForm | None = None) -> dict:
    """What the partial shows: the two forms (fresh unless given, as posted) and the notes, newest first."""
    forum = doc.forum
    here = request.full_path.rstrip("?") if request.method == "GET" else None
    if status_form is None:
        status_form = FollowUpForm(formdata=None, status=doc.status.value,
                                   next_review_on=doc.next_review_on.isoformat() if doc.next_review_on else "",
                                   next=here)
    if note_form is None:
        note_form = NoteForm(formdata=None, noted_on=followup.today_in(forum).isoformat(), next=here)
    return {"status_form": status_form, "note_form": note_form, "notes": followup.notes_of(doc),
            "today": followup.today_in(forum)}


@bp.app_context_processor
def _partial_helpers():
    # The detail page (built elsewhere) includes the partial with only `doc` and `forum`: it asks for the rest.
    return {"followup_context": followup_context}


def _back(doc: Document) -> str:
    return safe_next(url_for(followup.detail_endpoint(), slug=doc.forum.slug, doc_id=doc.id))


def _page(doc: Document, status: int = 200, **forms):
    return render_template("documents/manage/followup.html", forum=doc.forum, doc=doc,
                           followup_state=followup_context(doc, **forms)), status


@bp.get("/<int:doc_id>/follow-up")
@forum_permission(Permission.DOCUMENTS)
def page(slug: str, doc_id: int):
    return _page(_doc(doc_id))


@bp.post("/<int:doc_id>/follow-up")
@forum_permission(Permission.DOCUMENTS)
def status(slug: str, doc_id: int):
    doc = _doc(doc_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _page(doc, 422, status_form=form)
    try:
        changed = followup.set_status(doc, form.status.data, form.next_review_on.data, by=current_user)
    except DomainError as e:
        db.session.rollback()
        return _page(_doc(doc_id), 422 if show_error(form, e) else e.status, status_form=form)
    db.session.commit()
    flash(_("Follow-up saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(_back(doc))


@bp.post("/<int:doc_id>/notes")
@forum_permission(Permission.DOCUMENTS)
def note(slug: str, doc_id: int):
    doc = _doc(doc_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(doc, 422, note_form=form)
    try:
        followup.add_note(doc, form.noted_on.data, form.text.data, by=current_user)
    except DomainError as e:
        db.session.rollback()
        return _page(_doc(doc_id), 422 if show_error(form, e) else e.status, note_form=form)
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(_back(doc))


@bp.get("/review-due")
@forum_permission(Permission.DOCUMENTS)
def due(slug: str):
    forum = current_forum()
    today = followup.today_in(forum)
    docs = followup.due(forum, today)
    return render_template("documents/manage/review_due.html", forum=forum, docs=docs, today=today,
                           last=followup.last_notes(docs), detail_endpoint=followup.detail_endpoint())
