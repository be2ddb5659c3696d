"""The documents team's register pages (/manage/<slug>/documents): the list of the forum's documents."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from sqlalchemy.orm import selectinload

from forum.documents.models import Document
from forum.documents.numbering import register_of
from forum.meetings.pages import paginate
from forum.security import Permission, current_forum, forum_permission

bp = Blueprint("documents", __name__, url_prefix="/manage/<slug>/documents")


@bp.get("/")
@forum_permission(Permission.DOCUMENTS)
def index(slug: str):
    forum = current_forum()
    stmt = (sa.select(Document).where(Document.forum_id == forum.id)
            .options(selectinload(Document.titles), selectinload(Document.parties))
            .order_by(Document.number))
    return render_template("documents/manage/index.html", forum=forum, page=paginate(stmt),
                           register=register_of(forum))
