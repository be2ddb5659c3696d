from flask import Blueprint, abort, render_template
from flask_login import current_user

from forum.forums import services

bp = Blueprint("forums", __name__)


@bp.get("/")
def index():
    return render_template("forums/index.html", forums=services.public_forums())


@bp.get("/forums/<slug>")
def detail(slug: str):
    forum = services.get_public(slug, current_user)
    if forum is None:
        abort(404)
    return render_template("forums/detail.html", forum=forum)


@bp.get("/privacy")
def privacy():
    return render_template("forums/privacy.html")


@bp.get("/healthz")
def healthz():
    from forum.db import db
    import sqlalchemy as sa

    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
