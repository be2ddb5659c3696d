"""A forum's mail for its organizers: what is queued, sent and failed, and failed mail re-queued."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forum.db import db
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.notifications import admin
from forum.notifications.models import MailStatus, OutboxMessage
from forum.security import Permission, admin_required, current_forum, forum_permission, team_member_required
from forum.urls import safe_next

bp = Blueprint("mail", __name__, url_prefix="/manage/<slug>/mail")

MAX_PAGE = 100_000  # far beyond any forum's mail; a larger number is a typo or a probe


def _forum(slug: str) -> Forum:
    return current_forum()  # loaded and checked by the forum_permission guard


@bp.get("")
@forum_permission(Permission.MANAGE)
def index(slug: str):
    forum = _forum(slug)
    status = admin.parse_status(request.args.get("status"))
    page_no = request.args.get("page", 1, type=int)
    if not 1 <= page_no <= MAX_PAGE:
        abort(404)
    page = db.paginate(admin.forum_mail(forum.id, status), page=page_no, per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    return render_template("notifications/mail.html", forum=forum, page=page, status=status,
                           counts=admin.status_counts(forum.id), failed_kinds=admin.failed_kinds(forum.id),
                           MailStatus=MailStatus, kind_label=admin.kind_label,
                           mail_status_label=admin.status_label)


@bp.post("/<int:msg_id>/retry")
@forum_permission(Permission.MANAGE)
def retry(slug: str, msg_id: int):
    forum = _forum(slug)
    msg = db.get_or_404(OutboxMessage, msg_id)
    if msg.forum_id != forum.id:
        abort(404)
    try:
        admin.requeue(msg, by=current_user)
    except DomainError as e:
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("The message to %(address)s is queued again.", address=msg.to_addr), "success")
    return redirect(safe_next(url_for(".index", slug=slug), "back"))


@bp.post("/retry-failed")
@forum_permission(Permission.MANAGE)
def retry_failed(slug: str):
    forum = _forum(slug)
    template = (request.form.get("template") or "").strip()[:60] or None
    ids = admin.requeue_failed(forum_id=forum.id, template=template, by=current_user)
    db.session.commit()
    if ids:
        flash(ngettext("%(num)d failed message is queued again.", "%(num)d failed messages are queued again.",
                       len(ids)), "success")
    else:
        flash(_("No failed mail to queue again."), "info")
    return redirect(safe_next(url_for(".index", slug=slug), "back"))
