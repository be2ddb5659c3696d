"""A delegate's answer to a postponement, through the signed personal link in their e-mail (no sign-in).

GET only shows (link prefetchers and mail scanners open links: they must not answer); the answers are POSTs
with CSRF. A tampered or foreign token is a 404, an expired or replaced link a 410, never anyone's data.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, refresh

from forum import clock
from forum.db import db
from forum.errors import DomainError
from forum.extensions import limiter
from forum.forms_util import show_error
from forum.postponements import links, services
from forum.postponements.forms import ConfirmForm, DeclineForm
from forum.postponements.models import Answer, Postponement

bp = Blueprint("postponements", __name__, url_prefix="/postponed")


def _limit() -> str:
    return current_app.config.get("RATELIMIT_POSTPONEMENT_LINK") or current_app.config["RATELIMIT_BADGE_PAGE"]


@bp.app_template_global("latest_postponement")
def latest_postponement(forum) -> Postponement | None:
    """For the public banner (templates/_macros/postponement.html)."""
    return links.latest_of(forum.id)


def _speak_their_language(found: links.Found) -> None:
    """The page is in the language of the e-mail that brought the delegate here (unless they chose another)."""
    if found.reply is not None:
        g.reader_language = found.reply.registration.language
        refresh()


def _page(found: links.Found, *, confirm_form=None, decline_form=None, status: int = 200):
    headers = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex, nofollow, noarchive",
               "Referrer-Policy": "no-referrer"}
    if found.status == "invalid":
        return render_template("postponements/link_invalid.html"), 404, headers
    if found.status in ("expired", "replaced"):
        return render_template("postponements/link_closed.html", found=found), 410, headers
    reply = found.reply
    return render_template("postponements/reply.html", reply=reply, reg=reply.registration,
                           postponement=reply.postponement, forum=reply.postponement.forum, Answer=Answer,
                           confirm_form=confirm_form or ConfirmForm(), decline_form=decline_form or DeclineForm(),
                           now=clock.now()), status, headers


@bp.get("/<token>")
@limiter.limit(_limit)
def reply(token: str):
    found = links.find(token)
    _speak_their_language(found)
    return _page(found)


@bp.post("/<token>")
@limiter.limit(_limit)
def answer(token: str):
    found = links.find(token)
    _speak_their_language(found)
    if found.status != "ok":
        return _page(found)
    action = request.form.get("action")
    form = DeclineForm() if action == "decline" else ConfirmForm()
    if not form.validate_on_submit():
        if action == "decline":
            return _page(found, decline_form=form, status=422)
        return _page(found, status=400)
    try:
        if action == "decline":
            services.decline(found.reply, confirmed=form.confirm.data)
        else:
            services.confirm(found.reply)
    except DomainError as e:
        db.session.rollback()
        status = 422 if show_error(form, e) else 409
        return _page(links.find(token), decline_form=form if action == "decline" else None, status=status)
    db.session.commit()
    if action == "decline":
        flash(_("You have declined: your place is given up. Thank you for telling us."), "success")
    else:
        flash(_("Thank you: we look forward to seeing you on the new dates."), "success")
    return redirect(url_for(".reply", token=token))
