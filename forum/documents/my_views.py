"""The parties' own view of their documents (/forums/<slug>/my-documents): the documents of the forum where the
signed-in user is an approved delegate or the contact person of a party, each with its parties and signatories,
its follow-up and notes, and the signed copy. A party's contact person adds follow-up notes here. Confidential
documents are never shown to parties (access.can_see); the documents team has the register for those.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from forum.db import db
from forum.documents import access, followup
from forum.documents.followup_forms import NoteForm
from forum.documents.models import Confidentiality, Document, DocumentParty, FollowUpNote
from forum.errors import DomainError
from forum.forms_util import show_error
from forum.meetings.pages import forum_or_404

bp = Blueprint("my_documents", __name__, url_prefix="/forums/<slug>/my-documents")

SIGNED_COPY = "documents_party.signed_copy"  # the parties' download of the signed copy (scan helper's page)


def my_documents(user, forum) -> list[Document]:
    """The forum's documents one of whose parties is a company of `user` (approved delegate or contact person) and
    that `user` may see as a party: never the confidential ones. Ordered by register number."""
    companies = access.user_company_ids(user, forum.id)
    if not companies:
        return []
    docs = db.session.scalars(
        sa.select(Document)
        .options(selectinload(Document.titles), selectinload(Document.scans),
                 selectinload(Document.parties).selectinload(DocumentParty.company))
        .where(Document.forum_id == forum.id, Document.confidentiality != Confidentiality.CONFIDENTIAL,
               Document.id.in_(sa.select(DocumentParty.document_id).where(DocumentParty.company_id.in_(companies))))
        .order_by(Document.number)).all()
    # access.can_see holds for each by construction (a party's member, not confidential): asking it per document
    # would look up the user's companies once per document. tests/documents/test_my_documents.py checks both agree.
    return list(docs)


def _notes(docs: list[Document]) -> dict[int, list[FollowUpNote]]:
    out: dict[int, list[FollowUpNote]] = defaultdict(list)
    if docs:
        for n in db.session.scalars(
                sa.select(FollowUpNote).options(selectinload(FollowUpNote.author), selectinload(FollowUpNote.party))
                .where(FollowUpNote.document_id.in_([d.id for d in docs]))
                .order_by(FollowUpNote.noted_on.desc(), FollowUpNote.id.desc())):
            out[n.document_id].append(n)
    return out


def _signed_copy_url(forum, doc: Document) -> str | None:
    if doc.current_scan is None or SIGNED_COPY not in current_app.view_functions:
        return None
    try:
        return url_for(SIGNED_COPY, slug=forum.slug, doc_pid=doc.public_id)
    except BuildError:  # the endpoint takes other arguments than expected: no link rather than a 500
        return None


def _render(forum, status: int = 200, posted: tuple[str, NoteForm] | None = None):
    docs = my_documents(current_user, forum)
    today = followup.today_in(forum)
    rows = []
    for d in docs:
        party = access.contact_party(current_user, d)
        form = None
        if party is not None and not d.is_withdrawn:
            form = posted[1] if posted and posted[0] == d.public_id else NoteForm(formdata=None,
                                                                                  noted_on=today.isoformat())
        rows.append((d, party, form, _signed_copy_url(forum, d)))
    return render_template("documents/my_documents.html", forum=forum, rows=rows, notes=_notes(docs),
                           today=today), status


@bp.get("")
@login_required
def index(slug: str):
    return _render(forum_or_404(slug))


@bp.post("/<pid:doc_pid>/notes")
@login_required
def note(slug: str, doc_pid: str):
    forum = forum_or_404(slug)
    doc = db.session.scalar(sa.select(Document).where(Document.public_id == doc_pid, Document.forum_id == forum.id))
    # Only a party's contact person may write here, and never on a confidential document: 404 for anyone else,
    # so the address tells nothing about documents they may not see.
    if (doc is None or doc.confidentiality is Confidentiality.CONFIDENTIAL or not access.can_see(current_user, doc)
            or access.contact_party(current_user, doc) is None):
        abort(404)
    form = NoteForm()
    if not form.validate_on_submit():
        return _render(forum, 422, (doc.public_id, form))
    try:
        followup.add_note(doc, form.noted_on.data, form.text.data, by=current_user)
    except DomainError as e:
        db.session.rollback()
        return _render(forum, 422 if show_error(form, e) else e.status, (doc_pid, form))
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(url_for(".index", slug=forum.slug) + f"#doc-{doc.public_id}")
