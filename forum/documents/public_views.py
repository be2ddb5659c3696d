"""The public page of a forum's documents (section 3): the tally, by country pair and by sector, the list of
public documents, and the counting rules."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from forum.documents import public
from forum.meetings.pages import forum_or_404, paginate
from forum.teams.models import Permission
from forum.teams.permissions import has_permission

bp = Blueprint("public_documents", __name__, url_prefix="/forums/<slug>/documents")
# The forum's page links here once a document counts (templates/forums/detail.html).
bp.add_app_template_global(public.has_counted_documents, "has_counted_documents")


@bp.get("/")
def tally(slug: str):
    # As the forum's own page: a draft forum is not there; its documents team may preview it (the register's
    # "Public page" link).
    forum = forum_or_404(slug)
    if not forum.is_public and not has_permission(current_user, forum, Permission.DOCUMENTS):
        abort(404)
    page = paginate(public.listed_query(forum))
    return render_template("documents/public.html", forum=forum, tally=public.public_tally(forum), page=page,
                           entries=[public.entry(d) for d in page.items], counting_rules=public.counting_rules())
