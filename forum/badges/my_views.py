"""A delegate's own badge: the e-badge page for the phone (with the QR code) and the A6 PDF.

For the delegate themself and their company's contact person, while the registration is approved; for
anyone else, and for any other public id, a 404 that does not tell whether the registration exists.
"""
from __future__ import annotations

import tempfile

from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user, login_required
from markupsafe import Markup

from forum.badges import printing, qr
from forum.forums import gone
from forum.db import db, writes
from forum.errors import InvalidState

bp = Blueprint("my_badge", __name__, url_prefix="/my/registrations")


def _own(reg_pid: str):
    """The badge, or (for a badge the organizers revoked) None; 404 for anything not the user's own."""
    reg = printing.own_registration(reg_pid, current_user)
    if reg is None:
        # Their badge went with the forum: 410 with the cancellation banner rather than a bare 404.
        gone.abort_if_cancelled(printing.own_cancelled_forum(reg_pid, current_user))
        abort(404)
    try:
        badge = printing.own_badge(reg)
    except InvalidState:  # revoked by the organizers: no badge comes by itself
        return reg, None
    db.session.commit()  # a badge issued just now (approved before badges existed) is kept
    return reg, badge


@bp.get("/<pid:reg_pid>/badge")
@writes  # the first visit may issue the badge
@login_required
def ebadge(reg_pid: str):
    reg, badge = _own(reg_pid)
    if badge is None:
        return render_template("badges/my_badge.html", reg=reg, forum=reg.forum, badge=None), 409
    # The SVG is made here from numbers and an escaped label: safe to put in the page as markup.
    qr_svg = Markup(qr.svg(printing.badge_url(badge), label=reg.latin_name))
    return render_template("badges/my_badge.html", reg=reg, forum=reg.forum, badge=badge, qr_svg=qr_svg,
                           band_label=printing.band_label(badge.category), dates=printing.dates_text(reg.forum))


@bp.get("/<pid:reg_pid>/badge.pdf")
@writes
@login_required
def pdf(reg_pid: str):
    _reg, badge = _own(reg_pid)
    if badge is None:
        abort(404)
    out = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    printing.own_badge_pdf(badge, out)
    out.seek(0)
    return send_file(out, mimetype="application/pdf", as_attachment=True, download_name=printing.file_name(badge),
                     max_age=0)
