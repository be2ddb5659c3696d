from flask import Blueprint, abort, render_template
from flask_login import current_user

from forum.forums import content, services
from forum.forums.models import TEXT_FIELDS

bp = Blueprint("forums", __name__)


@bp.get("/")
def index():
    return render_template("forums/index.html", forums=services.public_forums())


@bp.get("/forums/<slug>")
def detail(slug: str):
    forum = services.get_public(slug, current_user)
    if forum is None:
        abort(404)
    # The language each shown text is in: a text that falls back to another language than the page's is marked
    # with its own (`lang`), so that screen readers and fonts switch.
    shown_lang = {field: content.picked_language(content.texts_of(forum, field)) for field in TEXT_FIELDS}
    return render_template("forums/detail.html", forum=forum, shown_lang=shown_lang)


@bp.get("/privacy")
def privacy():
    return render_template("forums/privacy.html")


@bp.get("/healthz")
def healthz():
    from forum.db import db
    import sqlalchemy as sa

    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
