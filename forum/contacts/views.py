"""A delegate's saved contacts: "My contacts" (list, search, note, remove, export as vCard or CSV).

Only the signed-in owner's own list (contacts.services.reader_in): anonymous visitors are sent to sign in,
anyone without an approved registration in the forum gets a 404 (as the B2B pages: the forum's delegates
are nobody else's business), and a contact is named in URLs by the person's public id, looked up in the
owner's list only (another owner's contact is a 404 like one that does not exist).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.contacts import exporting, queries, services
from forum.contacts.forms import ConfirmForm, NoteForm
from forum.contacts.models import Contact
from forum.db import db
from forum.documents.scan_views import content_disposition
from forum.errors import DomainError
from forum.forms_util import show_error
from forum.forums.models import Forum
from forum.meetings.pages import forum_or_404, page_number
from forum.meetings.schedule_views import ListPage
from forum.registration.choices import country_name
from forum.registration.models import Registration

bp = Blueprint("contacts", __name__, url_prefix="/forums/<slug>/contacts")

VCARD_VERSIONS = {"3": "3.0", "4": "4.0"}


def _forum_and_reader(slug: str) -> tuple[Forum, Registration]:
    forum = forum_or_404(slug)
    reader = services.reader_in(current_user, forum)
    if reader is None:
        abort(404)
    return forum, reader


def _contact(reader: Registration, person_pid: str) -> Contact:
    contact = db.session.scalar(sa.select(Contact).join(Registration, Registration.id == Contact.person_id)
                                .where(Contact.owner_id == reader.id, Registration.public_id == person_pid))
    if contact is None:
        abort(404)
    return contact


def _sort() -> str:
    sort = request.args.get("sort", "")
    return sort if sort in queries.SORTS else "newest"


@bp.get("")
@login_required
def index(slug: str):
    forum, reader = _forum_and_reader(slug)
    q = (request.args.get("q") or "").strip()[:200]
    sort = _sort()
    items = queries.contacts_of(reader, q, sort)
    page = ListPage(items=items, page=page_number(), per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("contacts/index.html", forum=forum, me=reader, page=page, q=q, sort=sort,
                           total=queries.count_of(reader) if q else len(items))


@bp.route("/<pid:person_pid>/note", methods=["GET", "POST"])
@login_required
def note(slug: str, person_pid: str):
    forum, reader = _forum_and_reader(slug)
    contact = _contact(reader, person_pid)
    form = NoteForm(data={"note": contact.note})
    status = 200
    if form.validate_on_submit():
        try:
            services.update_note(contact, form.note.data)
        except DomainError as e:
            db.session.rollback()
            show_error(form, e)
            status = 422
        else:
            db.session.commit()
            flash(_("Note saved."), "success")
            return redirect(url_for(".index", slug=forum.slug), 303)
    elif request.method == "POST":
        status = 400
    return render_template("contacts/note.html", forum=forum, contact=contact, form=form), status


@bp.route("/<pid:person_pid>/remove", methods=["GET", "POST"])
@login_required
def remove(slug: str, person_pid: str):
    forum, reader = _forum_and_reader(slug)
    contact = _contact(reader, person_pid)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = contact.person.full_name
        services.remove(contact)
        db.session.commit()
        flash(_("%(name)s was removed from your contacts.", name=name), "success")
        return redirect(url_for(".index", slug=forum.slug), 303)
    return render_template("contacts/remove.html", forum=forum, contact=contact, form=form), \
        400 if request.method == "POST" else 200


def _entries(forum: Forum, reader: Registration) -> list[exporting.Entry]:
    return [exporting.Entry(
        full_name=c.person.full_name, latin_name=c.person.latin_name, position=c.person.position,
        company=c.person.company.legal_name, company_en=c.person.company.name_en,
        country=country_name(c.person.company.country) if c.person.company.country else "",
        country_code=c.person.company.country or "", note=c.note, saved_at=exporting.saved_text(c.created_at, forum.tz),
        uid=exporting.uid_for(reader.public_id, c.person.public_id))
        for c in queries.contacts_of(reader, "", _sort())]


def _download(body: bytes, mimetype: str, forum: Forum, ext: str) -> Response:
    response = Response(body, content_type=f"{mimetype}; charset=utf-8")
    name = _("Contacts – %(forum)s", forum=forum.shown_title) + "." + ext
    response.headers["Content-Disposition"] = content_disposition(name, f"contacts-{forum.slug}")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/export.vcf")
@login_required
def vcard(slug: str):
    forum, reader = _forum_and_reader(slug)
    version = VCARD_VERSIONS.get(request.args.get("version", "4"))
    if version is None:
        abort(400)
    text = exporting.vcard(_entries(forum, reader), version)
    return _download(text.encode("utf-8"), "text/vcard", forum, "vcf")


@bp.get("/export.csv")
@login_required
def csv(slug: str):
    forum, reader = _forum_and_reader(slug)
    header = (_("Name"), _("Name (Latin)"), _("Position"), _("Company"), _("Company (English)"), _("Country"),
              _("Note"), _("Saved (%(zone)s)", zone=forum.timezone))
    return _download(exporting.to_csv_bytes(_entries(forum, reader), header), "text/csv", forum, "csv")
