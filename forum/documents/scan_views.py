"""Signed copies (section 1): upload, download, and the verify box.

The site refuses bodies over MAX_CONTENT_LENGTH (1 MiB); the two routes that take a scan allow the scan limit
plus the form around it. The limit must be raised before anything reads the body, and the CSRF check (an
app-wide before_request, run before any blueprint's) reads it; a blueprint's URL value preprocessor runs before
every before_request, so that is where it is raised. A body over even that gets a 413, answered here with the
form and the message next to its file field rather than the bare error page.
"""
from __future__ import annotations

import os
import unicodedata
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from forum.db import db
from forum.documents import scans
from forum.documents.models import Document, DocumentScan
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.security import Permission, current_forum, forum_permission
from forum.teams.permissions import has_permission

bp = Blueprint("documents_scans", __name__, url_prefix="/manage/<slug>/documents")

FORM_OVERHEAD = 64 * 1024  # the multipart framing, the CSRF token, a long file name
UPLOAD_ENDPOINTS = {"documents_scans.upload", "documents_scans.verify"}
# The document's page, once it exists (built in parallel): where an upload returns to.
DETAIL_ENDPOINTS = ("documents.detail", "documents_record.detail")


@bp.url_value_preprocessor
def _allow_scan_sized_bodies(endpoint: str | None, values: dict | None) -> None:
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = scans.max_bytes() + FORM_OVERHEAD


@bp.app_template_global("scan_size")
def scan_size(n: int) -> str:
    """1 234 567 -> "1.2 MB", 34 000 -> "33 KB", in the reader's locale."""
    from flask_babel import format_decimal

    if n >= 1024 * 1024:
        return _("%(n)s MB", n=format_decimal(n / (1024 * 1024), format="#,##0.#"))
    if n >= 1024:
        return _("%(n)s KB", n=format_decimal(n / 1024, format="#,##0"))
    return _("%(n)s bytes", n=format_decimal(n, format="#,##0"))


@bp.app_template_global("scan_limit_mb")
def scan_limit_mb() -> str:
    return scans.megabytes(scans.max_bytes())


@bp.app_template_global("scan_type_label")
def scan_type_label(content_type: str) -> str:
    return {"application/pdf": "PDF", "image/png": _("PNG image"), "image/jpeg": _("JPEG image"),
            "image/tiff": _("TIFF image"), "image/webp": _("WebP image")}.get(content_type, content_type)


def _doc(forum: Forum, doc_id: int) -> Document:
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.forum_id != forum.id:
        abort(404)
    return doc


def detail_url(doc: Document) -> str:
    from flask import current_app

    for endpoint in DETAIL_ENDPOINTS:
        if endpoint in current_app.view_functions:
            return url_for(endpoint, slug=doc.forum.slug, doc_id=doc.id)
    return url_for("documents_scans.scans", slug=doc.forum.slug, doc_id=doc.id)


def _too_big_message() -> str:
    return _("The file is larger than %(mb)s MB, the most a signed copy may be.", mb=scans.megabytes(scans.max_bytes()))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(e: RequestEntityTooLarge):
    # Raised while the body is read, before the route's guard has run: check the permission here too.
    from forum.errors import _render

    args = request.view_args or {}
    forum = db.session.scalar(sa.select(Forum).where(Forum.slug == args.get("slug", "")))
    if forum is None or not has_permission(current_user, forum, Permission.DOCUMENTS):
        return _render(413, None, "413")
    if request.endpoint == "documents_scans.upload":
        doc = db.session.get(Document, args.get("doc_id") or 0)
        if doc is not None and doc.forum_id == forum.id:
            return render_template("documents/manage/scans.html", forum=forum, doc=doc,
                                   scan_error=_too_big_message()), 413
    if request.endpoint == "documents_scans.verify":
        return render_template("documents/manage/verify.html", forum=forum, result=None,
                               scan_error=_too_big_message()), 413
    return _render(413, _too_big_message(), "scan_too_big")


@bp.get("/<int:doc_id>/scans", endpoint="scans")
@forum_permission(Permission.DOCUMENTS)
def scans_page(slug: str, doc_id: int):
    forum = current_forum()
    return render_template("documents/manage/scans.html", forum=forum, doc=_doc(forum, doc_id))


@bp.post("/<int:doc_id>/scans")
@forum_permission(Permission.DOCUMENTS)
def upload(slug: str, doc_id: int):
    forum = current_forum()
    doc = _doc(forum, doc_id)
    try:
        scan = scans.attach(doc, request.files.get(scans.FIELD), by=current_user)
    except DomainError as e:
        db.session.rollback()
        return render_template("documents/manage/scans.html", forum=forum, doc=_doc(forum, doc_id),
                               scan_error=e.message), (413 if e.code == "scan_too_big" else 422)
    db.session.commit()
    flash(_("Signed copy added to %(ref)s. SHA-256: %(sha)s", ref=doc.reference, sha=scan.sha256), "success")
    return redirect(detail_url(doc) + "#scans")


def send_scan(scan: DocumentScan):
    """The stored file as a download: attachment, the type found in its content, never sniffed, never cached."""
    fh = scans.open_scan(scan)
    name = scans.download_name(scan)
    response = send_file(fh, mimetype=scan.content_type, as_attachment=True, download_name=name, conditional=False,
                         max_age=0, etag=False)
    response.content_length = os.fstat(fh.fileno()).st_size
    response.headers.set("Content-Disposition", content_disposition(name, scan.document.reference))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def content_disposition(name: str, fallback_stem: str) -> str:
    """attachment; filename="<ASCII>"; filename*=UTF-8''<the name> (RFC 6266 / 5987). The ASCII name is the
    name itself when it is ASCII, else its accents stripped, else the register number."""
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    try:
        name.encode("ascii")
        ascii_name = name
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        stem = simple.rsplit(".", 1)[0] if ext else simple
        if sum(c.isalnum() for c in stem) < 3:
            simple = f"{fallback_stem}.{ext}" if ext else fallback_stem
        ascii_name = simple
    ascii_name = "".join(c for c in ascii_name if 32 <= ord(c) < 127 and c not in '"\\') or "scan"
    value = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        value += f"; filename*=UTF-8''{quote(name, safe='!#$&+-.^_`|~')}"
    return value


@bp.get("/<int:doc_id>/scans/<int:scan_id>")
@forum_permission(Permission.DOCUMENTS)
def download(slug: str, doc_id: int, scan_id: int):
    forum = current_forum()
    doc = _doc(forum, doc_id)
    scan = db.session.get(DocumentScan, scan_id)
    if scan is None or scan.document_id != doc.id:
        abort(404)
    return send_scan(scan)


@bp.route("/verify", methods=["GET", "POST"])
@forum_permission(Permission.DOCUMENTS)
def verify(slug: str):
    forum = current_forum()
    if request.method == "GET":
        return render_template("documents/manage/verify.html", forum=forum, result=None)
    try:
        result = scans.verify(forum, request.files.get(scans.FIELD))
    except DomainError as e:
        return render_template("documents/manage/verify.html", forum=forum, result=None,
                               scan_error=e.message), (413 if e.code == "scan_too_big" else 422)
    return render_template("documents/manage/verify.html", forum=forum, result=result,
                           filename=scans.clean_filename(getattr(request.files.get(scans.FIELD), "filename", "")))
