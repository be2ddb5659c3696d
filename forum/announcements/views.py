"""Messages to registrants (/manage/<slug>/messages): compose, preview as a recipient, send, the log."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forum import languages
from forum.announcements import queries, services, targeting
from forum.announcements.forms import ComposeForm, ConfirmForm
from forum.announcements.models import Announcement
from forum.db import db
from forum.errors import DomainError
from forum.forms_util import apply_errors, show_error
from forum.forums import content
from forum.meetings.pages import paginate
from forum.registration.models import CompanyRegistration, Registration
from forum.security import Permission, current_forum, forum_permission
from forum.urls import ascii_int

bp = Blueprint("announcements", __name__, url_prefix="/manage/<slug>/messages")

PREVIEW_CHOICES = 200  # the select of recipients to preview as; a search finds the others


def _announcement(announcement_id: int) -> Announcement:
    ann = db.session.get(Announcement, announcement_id)
    if ann is None or ann.forum_id != current_forum().id:  # another forum's message is not found here
        abort(404)
    return ann


def _forum_countries(forum_id: int) -> list[str]:
    return sorted(db.session.scalars(sa.select(CompanyRegistration.country).distinct()
                                     .where(CompanyRegistration.forum_id == forum_id)))


def _compose_form(flt: targeting.Filter | None = None) -> ComposeForm:
    forum = current_forum()
    form = ComposeForm()
    countries = set(_forum_countries(forum.id))
    if flt is not None:
        countries |= set(flt.countries)
    form.set_choices(sorted(countries))
    return form


def _names() -> dict:
    return {"ui_names": languages.UI_LANGUAGES}


@bp.get("/")
@forum_permission(Permission.MANAGE)
def index(slug: str):
    forum = current_forum()
    page = paginate(queries.forum_announcements(forum.id))
    return render_template("announcements/index.html", forum=forum, page=page, pick=content.pick,
                           complete=services.complete_languages, **_names())


def _compose(ann: Announcement | None):
    """The compose form of a new message or a draft: "Count" shows whom the filter reaches; "Save" saves."""
    forum = current_forum()
    status = 200
    flt: targeting.Filter | None = None
    if request.method == "POST":
        form = _compose_form()
        form.validate_on_submit()  # the CSRF token; the rules are the services'
        if form.csrf_token.errors:
            abort(400)
        errors: dict[str, str] = {}
        try:
            flt = targeting.parse(request.form, form=True)
        except targeting.FilterError as e:
            errors.update(e.errors)
        if flt is not None:
            form = _compose_form(flt)  # the countries chosen stay on the form
        if request.form.get("action") == "count":
            status = 422 if errors else 200
            for msg in apply_errors(form, errors):
                flash(msg, "error")
        else:
            try:
                services.clean_texts(*form.texts())
            except services.ComposeError as e:
                errors.update(e.errors)
            if not errors:
                try:
                    saved = services.save_draft(forum, subjects=form.texts()[0], bodies=form.texts()[1], flt=flt,
                                                by=current_user, announcement=ann)
                except services.ComposeError as e:
                    errors.update(e.errors)
                except DomainError as e:
                    db.session.rollback()
                    flash(e.message, "error")
                    return redirect(url_for(".show", slug=forum.slug, announcement_id=ann.id) if ann else
                                    url_for(".index", slug=forum.slug), 303)
                else:
                    db.session.commit()
                    flash(_("The draft is saved. Check whom it reaches and preview it before sending."), "success")
                    return redirect(url_for(".show", slug=forum.slug, announcement_id=saved.id), 303)
            db.session.rollback()
            status = 422
            for msg in apply_errors(form, errors):
                flash(msg, "error")
    else:
        if ann is not None:
            flt = targeting.Filter.from_dict(ann.filters)
        else:
            try:  # a link may prefill the filter: ?language=ja&checked_in=no
                flt = targeting.parse(request.args)
            except targeting.FilterError as e:
                form = _compose_form()
                apply_errors(form, e.errors)
                return _render_compose(form, ann, None), 400
        form = _compose_form(flt)
        form.load_filter(flt)
        if ann is not None:
            form.load_texts(ann.subjects, ann.bodies)
    reach = targeting.reach(forum.id, flt) if flt is not None else None
    return _render_compose(form, ann, reach), status


def _render_compose(form, ann, reach):
    return render_template("announcements/compose.html", forum=current_forum(), form=form, ann=ann, reach=reach,
                           codes=languages.CODES, **_names())


@bp.route("/new", methods=["GET", "POST"])
@forum_permission(Permission.MANAGE)
def new(slug: str):
    return _compose(None)


@bp.route("/<int:announcement_id>/edit", methods=["GET", "POST"])
@forum_permission(Permission.MANAGE)
def edit(slug: str, announcement_id: int):
    ann = _announcement(announcement_id)
    if ann.is_sent:
        flash(_("This message has already been sent: it can no longer be changed."), "info")
        return redirect(url_for(".show", slug=slug, announcement_id=ann.id), 303)
    return _compose(ann)


def _send_form(total: int) -> ConfirmForm:
    form = ConfirmForm(data={"expected": total})
    form.confirm.label.text = ngettext("Send it to %(num)d person now", "Send it to %(num)d people now", total)
    return form


@bp.get("/<int:announcement_id>")
@forum_permission(Permission.MANAGE)
def show(slug: str, announcement_id: int, send_form: ConfirmForm | None = None, status: int = 200):
    """A draft: whom it reaches, the texts, the confirmation to send. A sent message: its log."""
    forum = current_forum()
    ann = _announcement(announcement_id)
    flt = targeting.Filter.from_dict(ann.filters)
    common = dict(forum=forum, ann=ann, flt=flt, complete=services.complete_languages(ann), codes=languages.CODES,
                  pick_subject=content.pick(ann.subjects), **_names())
    if not ann.is_sent:
        reach = targeting.reach(forum.id, flt)
        return render_template("announcements/draft.html", reach=reach,
                               send_form=send_form or _send_form(reach.total),
                               delete_form=ConfirmForm(formdata=None), **common), status
    failed_only = request.args.get("failed") == "1"
    page = paginate(queries.log(ann.id, failed_only=failed_only))
    resend_form = ConfirmForm(formdata=None)
    return render_template("announcements/log.html", page=page, failed_only=failed_only,
                           counts=queries.deliveries(ann.id), resend_form=resend_form,
                           send_form=send_form, **common), status


@bp.post("/<int:announcement_id>/send")
@forum_permission(Permission.MANAGE)
def send(slug: str, announcement_id: int):
    ann = _announcement(announcement_id)
    form = ConfirmForm()  # `expected` as the page sent it: the number the organizer saw
    if not form.validate_on_submit():
        abort(400)
    try:
        done = services.send(ann, confirmed=bool(form.confirm.data), by=current_user, expected=form.expected.data)
    except DomainError as e:
        db.session.rollback()
        if e.field == "confirm":
            show_error(form, e)
            form.confirm.label.text = _send_form(form.expected.data or 0).confirm.label.text
            return show(slug=slug, announcement_id=announcement_id, send_form=form, status=422)
        flash(e.message, "error")
        return redirect(url_for(".show", slug=slug, announcement_id=announcement_id), 303)
    db.session.commit()
    flash(ngettext("The message is queued for %(num)d person.", "The message is queued for %(num)d people.",
                   done.total), "success")
    return redirect(url_for(".show", slug=slug, announcement_id=announcement_id), 303)


@bp.post("/<int:announcement_id>/delete")
@forum_permission(Permission.MANAGE)
def delete(slug: str, announcement_id: int):
    ann = _announcement(announcement_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.confirm.data:
        flash(_("Tick the box to delete the draft."), "error")
        return redirect(url_for(".show", slug=slug, announcement_id=ann.id), 303)
    try:
        services.delete_draft(ann, by=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for(".show", slug=slug, announcement_id=announcement_id), 303)
    db.session.commit()
    flash(_("The draft is deleted."), "success")
    return redirect(url_for(".index", slug=slug), 303)


@bp.post("/<int:announcement_id>/resend")
@forum_permission(Permission.MANAGE)
def resend(slug: str, announcement_id: int):
    ann = _announcement(announcement_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        n = services.resend_failed(ann, confirmed=bool(form.confirm.data), by=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for(".show", slug=slug, announcement_id=announcement_id), 303)
    db.session.commit()
    if n:
        flash(ngettext("%(num)d failed delivery is queued again.", "%(num)d failed deliveries are queued again.", n),
              "success")
    else:
        flash(_("No delivery has failed: nothing to send again."), "info")
    return redirect(url_for(".show", slug=slug, announcement_id=announcement_id), 303)


@bp.get("/<int:announcement_id>/preview")
@forum_permission(Permission.MANAGE)
def preview(slug: str, announcement_id: int):
    """The e-mail one recipient would get: chosen from the first matching ones, or found by name or e-mail."""
    forum = current_forum()
    ann = _announcement(announcement_id)
    flt = targeting.Filter.from_dict(ann.filters)
    q = (request.args.get("q") or "").strip()[:200]
    people = list(db.session.scalars(targeting.recipients_query(forum.id, flt, q or None).limit(PREVIEW_CHOICES)))
    chosen: Registration | None = None
    to = request.args.get("to")
    if to:
        reg_id = ascii_int(to)
        chosen = db.session.scalar(targeting.recipients_query(forum.id, flt).where(Registration.id == reg_id)) \
            if reg_id is not None else None
        if chosen is None:  # not one of this message's recipients (another forum's, or filtered out)
            abort(404)
    elif people and not q:
        chosen = people[0]
    mail_letter = None
    if chosen is not None and services.complete_languages(ann):
        mail_letter = services.letter(ann, targeting.recipient_of(chosen))
    return render_template("announcements/preview.html", forum=forum, ann=ann, people=people, q=q, chosen=chosen,
                           letter=mail_letter, limit=PREVIEW_CHOICES, **_names())
