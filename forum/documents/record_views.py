"""Recording a document (section 1): the form, editing, withdrawing, the signatory picker.

- GET/POST /manage/<slug>/documents/new                    the record form (also "Add a party" without JS)
- GET/POST /manage/<slug>/documents/<doc_id>/edit          the same form, filled
- GET/POST /manage/<slug>/documents/<doc_id>/withdraw      what withdrawing does; POST with a reason
- GET      /manage/<slug>/documents/signatories?q=         approved delegates matching a name in any script
- GET      /manage/<slug>/documents/signatories/badge?code= the delegate a scanned badge names (same forum)

The two lookups answer JSON to the page's script (Accept: application/json, or ?format=json) and a small page
otherwise. The rules are in documents.records and documents.signatories.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from forum import clock
from forum.db import db
from forum.documents import numbering, records, scans, signatories
from forum.documents.models import Document
from forum.documents.record_forms import RecordForm, WithdrawForm, record_formdata
from forum.errors import DomainError
from forum.forms_util import apply_errors, show_error
from forum.forums.models import Forum
from forum.meetings.models import Meeting, MeetingSlot, MeetingState
from forum.registration.models import CompanyRegistration, Registration
from forum.search import MAX_QUERY_CHARS
from forum.security import Permission, current_forum, forum_permission

bp = Blueprint("documents_record", __name__, url_prefix="/manage/<slug>/documents")


def _document(forum: Forum, doc_id: int) -> Document:
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.forum_id != forum.id:
        abort(404)
    return doc


def _companies(forum: Forum) -> list[tuple[str, str]]:
    rows = db.session.execute(sa.select(CompanyRegistration.public_id, CompanyRegistration.name_en,
                                        CompanyRegistration.legal_name, CompanyRegistration.country)
                              .where(CompanyRegistration.forum_id == forum.id)
                              .order_by(CompanyRegistration.name_en, CompanyRegistration.id)).all()
    return [(pid, (f"{name_en} · {legal}" if legal and legal != name_en else name_en) + f" ({country})")
            for pid, name_en, legal, country in rows]


def _meetings(forum: Forum, company_pids: list[str], chosen: list[str]) -> list[tuple[str, str]]:
    """The B2B meetings between the parties' companies' delegates, and any already chosen: (public id, label)."""
    a, b = sa.orm.aliased(Registration), sa.orm.aliased(Registration)
    ca, cb = sa.orm.aliased(CompanyRegistration), sa.orm.aliased(CompanyRegistration)
    between = sa.false()
    pids = [p for p in company_pids if p]
    if len(set(pids)) >= 2:
        between = sa.and_(Meeting.state == MeetingState.SCHEDULED, ca.public_id.in_(pids), cb.public_id.in_(pids),
                          ca.id != cb.id)
    wanted = [c for c in chosen if isinstance(c, str) and c][:50]
    if wanted:
        between = sa.or_(between, Meeting.public_id.in_(wanted))
    rows = db.session.execute(
        sa.select(Meeting.public_id, MeetingSlot.starts_at, a.full_name, ca.name_en, b.full_name, cb.name_en)
        .join(a, a.id == Meeting.a_id).join(b, b.id == Meeting.b_id)
        .join(ca, ca.id == a.company_id).join(cb, cb.id == b.company_id)
        .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .where(Meeting.forum_id == forum.id, between)
        .order_by(MeetingSlot.starts_at, Meeting.id).limit(200)).all()
    return [(pid, f"{forum.local(at):%d.%m %H:%M} · {na} ({ca_}) – {nb} ({cb_})")
            for pid, at, na, ca_, nb, cb_ in rows]


def _languages(forum: Forum, form: RecordForm) -> list[str]:
    reg = numbering.register_of(forum) or numbering.ensure_register(forum)
    extra = [e.form.language.data for e in form.titles.entries if e.form.language.data]
    return list(dict.fromkeys([*reg.languages, *extra]))[:records.MAX_TITLES]


def _default_sides(form: RecordForm) -> None:
    for i, entry in enumerate(form.parties.entries):
        if not entry.form.side.data:
            entry.form.side.data = records.SIDES[i % 2]


def _after_save(forum: Forum, doc: Document):
    if "documents.detail" in current_app.view_functions:
        return redirect(url_for("documents.detail", slug=forum.slug, doc_id=doc.id))
    return redirect(url_for("documents.index", slug=forum.slug))


def _form_page(forum: Forum, doc: Document | None):
    """GET shows the form; "Add a party" posts back with one more block and nothing lost; submit saves."""
    formdata, n_parties = record_formdata(request.form) if request.method == "POST" else (None, 0)
    upload = request.files.get(scans.FIELD) if request.method == "POST" else None
    if upload is not None and not upload.filename:
        upload = None  # the file input left empty
    form = RecordForm(formdata=formdata)
    if formdata is None:
        if doc is not None:
            form.load(records.input_from(doc))
            form.exchanged_now.data = False
        else:
            reg = numbering.register_of(forum)
            form.signed_on.data = forum.local(clock.now()).date().isoformat()
            form.place.data = (reg.ceremony_place if reg else "") or forum.venue
            form.counts_in_tally.data = True
    form.offer(languages=_languages(forum, form), companies=_companies(forum),
               meetings=_meetings(forum, form.party_company_ids(), list(form.meetings.data or [])))
    if formdata is None and doc is None and form.titles.entries:
        form.authoritative_language.data = form.titles.entries[0].form.language.data
    status, list_errors = 200, {}
    if request.method == "POST":
        if "add_party" in request.form:
            if len(form.parties) < records.MAX_PARTIES:
                form.parties.append_entry()
                form.parties.entries[-1].form.offer(_companies(forum))
        elif n_parties > records.MAX_PARTIES:
            flash(_("At most %(n)d parties.", n=records.MAX_PARTIES), "error")
            status = 422
        elif form.validate():
            try:
                if doc is None:
                    saved = records.create(forum, form.to_input(), by=current_user)
                    changed = True
                else:
                    changed = bool(records.update(doc, form.to_input(), by=current_user))
                    saved = doc
                if upload is not None:
                    # The signed copy through the scans service, in the same transaction: a refused file
                    # (empty, too big, not a PDF or image by its content) saves nothing of the record either.
                    scans.attach(saved, upload, by=current_user)
                    changed = True
            except records.RecordError as e:
                db.session.rollback()
                # The lists' own errors go above them (a FieldList's `errors` holds its entries' errors).
                list_errors = {name: e.errors[name] for name in ("titles", "parties") if name in e.errors}
                for message in apply_errors(form, {k: v for k, v in e.errors.items() if k not in list_errors}):
                    flash(message, "error")
                status = 422
            except DomainError as e:
                db.session.rollback()
                status = 422 if show_error(form, e) else e.status
                if e.code == "scan_too_big":
                    status = 413
            else:
                reference = saved.reference
                db.session.commit()
                if doc is None:
                    flash(_("Recorded as %(ref)s.", ref=reference), "success")
                elif changed:
                    flash(_("%(ref)s saved.", ref=reference), "success")
                else:
                    flash(_("Nothing was changed in %(ref)s.", ref=reference), "info")
                return _after_save(forum, saved)
        else:
            status = 422
    if status == 422:
        flash(_("Please correct the marked fields. Nothing has been saved yet."), "error")
    _default_sides(form)
    return render_template("documents/manage/record.html", forum=forum, form=form, doc=doc,
                           file_dropped=upload is not None and not form.scan.errors,
                           max_parties=records.MAX_PARTIES, titles_error=list_errors.get("titles"),
                           parties_error=list_errors.get("parties")), status


@bp.route("/new", methods=["GET", "POST"])
@forum_permission(Permission.DOCUMENTS)
def new(slug: str):
    return _form_page(current_forum(), None)


@bp.route("/<int:doc_id>/edit", methods=["GET", "POST"])
@forum_permission(Permission.DOCUMENTS)
def edit(slug: str, doc_id: int):
    forum = current_forum()
    doc = _document(forum, doc_id)
    if doc.is_withdrawn:
        flash(_("%(ref)s was withdrawn: it can no longer be changed.", ref=doc.reference), "error")
        return _after_save(forum, doc)
    return _form_page(forum, doc)


@bp.route("/<int:doc_id>/withdraw", methods=["GET", "POST"])
@forum_permission(Permission.DOCUMENTS)
def withdraw(slug: str, doc_id: int):
    forum = current_forum()
    doc = _document(forum, doc_id)
    form = WithdrawForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                records.withdraw(doc, form.reason.data or "", by=current_user)
            except DomainError as e:
                db.session.rollback()
                status = 422 if show_error(form, e) else e.status
            else:
                reference = doc.reference
                db.session.commit()
                flash(_("%(ref)s is withdrawn. It keeps its number and no longer counts in the tally.",
                        ref=reference), "success")
                return _after_save(forum, doc)
        else:
            status = 422
    return render_template("documents/manage/withdraw.html", forum=forum, doc=doc, form=form), status


def _wants_json() -> bool:
    return request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json"


@bp.get("/signatories")
@forum_permission(Permission.DOCUMENTS)
def signatories_(slug: str):
    forum = current_forum()
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]
    found = signatories.search(forum, q)
    if _wants_json():
        return jsonify(found.as_dict())
    return render_template("documents/manage/signatories.html", forum=forum, q=q, found=found, badge=None)


@bp.get("/signatories/badge")
@forum_permission(Permission.DOCUMENTS)
def badge(slug: str):
    forum = current_forum()
    code = request.args.get("code", "")[:500]
    status = 200
    try:
        person = signatories.from_badge(forum, code) if code.strip() else None
        message = "" if person else _("Scan a badge or type its code.")
    except DomainError as e:
        person, message, status = None, e.message, e.status
    if _wants_json():
        return jsonify(found=person is not None, signatory=person.as_dict() if person else None,
                       message=str(message)), status
    return render_template("documents/manage/signatories.html", forum=forum, q="", found=None,
                           badge={"code": code, "person": person, "message": message}), status
