"""The public page of a forum's documents (section 3): the tally, by country pair and by sector, the list of
public documents, and the counting rules."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from forum.documents import public
from forum.forums import services as forums
from forum.meetings.pages import paginate

bp = Blueprint("public_documents", __name__, url_prefix="/forums/<slug>/documents")
# The forum's page links here once a document counts (templates/forums/detail.html).
bp.add_app_template_global(public.has_counted_documents, "has_counted_documents")


@bp.get("/")
def tally(slug: str):
    # As the forum's own page: a draft forum is not there (its managers may preview it).
    forum = forums.get_public(slug, current_user)
    if forum is None:
        abort(404)
    page = paginate(public.listed_query(forum))
    return render_template("documents/public.html", forum=forum, tally=public.public_tally(forum), page=page,
                           entries=[public.entry(d) for d in page.items])
