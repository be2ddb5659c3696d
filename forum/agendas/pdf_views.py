"""A delegate's own agenda as a PDF (the organizers' PDFs are in manage_views.py)."""
from __future__ import annotations

import tempfile
from typing import Callable, Iterator

from flask import Blueprint, Response
from flask_login import login_required

from forum.agendas import pdf
from forum.documents.scan_views import content_disposition
from forum.meetings.pages import forum_and_me

bp = Blueprint("agenda_pdf", __name__, url_prefix="/forums/<slug>/b2b/agenda")

CHUNK_BYTES = 256 * 1024


def _chunks(tmp) -> Iterator[bytes]:
    with tmp:
        while chunk := tmp.read(CHUNK_BYTES):
            yield chunk


def pdf_response(write: Callable, file_name: str, fallback_stem: str) -> Response:
    """The PDF that `write(out)` draws, written to a temporary file (a bundle of a large forum never sits in
    memory) and streamed back from it in chunks; the file is gone once the last chunk is read or the download is
    abandoned. Everything that needs the database or the request's language runs here, before the first byte."""
    tmp = tempfile.TemporaryFile()
    try:
        write(tmp)
        size = tmp.tell()
        tmp.seek(0)
    except BaseException:
        tmp.close()
        raise
    return Response(_chunks(tmp), mimetype="application/pdf", direct_passthrough=True,
                    headers={"Content-Disposition": content_disposition(file_name, fallback_stem),
                             "Content-Length": str(size), "Cache-Control": "private, no-store"})


@bp.get("/agenda.pdf")
@login_required
def mine(slug: str):
    """The signed-in delegate's own agenda; someone who takes no part in the forum's meetings gets a 404."""
    forum, me = forum_and_me(slug)
    return pdf_response(lambda out: pdf.delegate_agenda(me, out), f"{forum.slug}-agenda-{me.latin_name}.pdf",
                        f"{forum.slug}-agenda")
