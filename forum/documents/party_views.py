"""The parties' own way to the signed copy (section 1), outside /manage: the delegates and contact persons of a
company that is a party download the current scan of a document that is not confidential. Anyone else gets a
404 (not a 403: the document's existence is not theirs to learn); the anonymous are sent to sign in."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort
from flask_login import current_user

from forum.db import db
from forum.documents import access
from forum.documents.models import Document
from forum.documents.scan_views import send_scan
from forum.forums.models import Forum
from forum.extensions import login_manager

bp = Blueprint("documents_party", __name__, url_prefix="/forums/<slug>/documents")


@bp.get("/<pid:doc_pid>/signed-copy")
def signed_copy(slug: str, doc_pid: str):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    doc = db.session.scalar(sa.select(Document).join(Forum).where(Forum.slug == slug, Document.public_id == doc_pid))
    if doc is None or not access.can_download_scan(current_user, doc) or doc.current_scan is None:
        abort(404)
    return send_scan(doc.current_scan)
