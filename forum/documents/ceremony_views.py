"""The signing ceremony (section 2): the order, the register's settings, the live view with its tap, the run-sheet
PDF; and the outcome report PDF. Thin: each POST calls one service of documents.ceremony and commits."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.db import db
from forum.documents import ceremony, numbering, outcome, pdf, tally
from forum.documents.ceremony_forms import LANGUAGE_FIELDS, MoveForm, SettingsForm
from forum.documents.models import Document
from forum.errors import DomainError
from forum.forms_util import show_error
from forum.security import Permission, current_forum, forum_permission
from forum.templating import local_datetime_zoned
from forum.urls import safe_next

bp = Blueprint("documents_ceremony", __name__, url_prefix="/manage/<slug>/documents")


def _doc(doc_id: int) -> Document:
    doc = db.session.scalar(sa.select(Document).where(Document.id == doc_id, Document.forum_id == current_forum().id))
    if doc is None:
        abort(404)
    return doc


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _act(doc: Document, call, done: str, *, quiet: tuple[str, ...] = ()) -> DomainError | None:
    """Call one service; commit and flash `done`, or roll back and flash the refusal. Codes in `quiet` mean the
    wish already holds (another device got there first): said, not shown as an error. Returns the refusal."""
    try:
        call()
    except DomainError as e:
        db.session.rollback()
        if not _wants_json():
            flash(e.message, "info" if e.code in quiet else "error")
        return e
    db.session.commit()
    if not _wants_json():
        flash(done, "success")
    return None


# --- the plan ---------------------------------------------------------------------------------------------------

@bp.get("/ceremony")
@forum_permission(Permission.DOCUMENTS)
def plan(slug: str):
    forum = current_forum()
    return render_template("documents/manage/ceremony_plan.html", forum=forum, items=ceremony.order(forum),
                           others=ceremony.not_in_order(forum), register=numbering.register_of(forum),
                           progress=ceremony.progress(forum), move_form=MoveForm(formdata=None), move_doc_id=None)


def _back_to_plan(doc: Document):
    return redirect(url_for(".plan", slug=current_forum().slug) + f"#doc-{doc.id}")


@bp.post("/ceremony/<int:doc_id>/add")
@forum_permission(Permission.DOCUMENTS)
def add(slug: str, doc_id: int):
    doc = _doc(doc_id)
    _act(doc, lambda: ceremony.add(doc, by=current_user),
         _("%(ref)s is added to the ceremony.", ref=doc.reference), quiet=("already_in_ceremony",))
    return _back_to_plan(doc)


@bp.post("/ceremony/<int:doc_id>/remove")
@forum_permission(Permission.DOCUMENTS)
def remove(slug: str, doc_id: int):
    doc = _doc(doc_id)
    _act(doc, lambda: ceremony.remove(doc, by=current_user),
         _("%(ref)s is taken out of the ceremony.", ref=doc.reference), quiet=("not_in_ceremony",))
    return redirect(url_for(".plan", slug=slug))


@bp.post("/ceremony/<int:doc_id>/up")
@forum_permission(Permission.DOCUMENTS)
def up(slug: str, doc_id: int):
    doc = _doc(doc_id)
    _act(doc, lambda: ceremony.move_up(doc, by=current_user), _("%(ref)s moves up.", ref=doc.reference))
    return _back_to_plan(doc)


@bp.post("/ceremony/<int:doc_id>/down")
@forum_permission(Permission.DOCUMENTS)
def down(slug: str, doc_id: int):
    doc = _doc(doc_id)
    _act(doc, lambda: ceremony.move_down(doc, by=current_user), _("%(ref)s moves down.", ref=doc.reference))
    return _back_to_plan(doc)


@bp.post("/ceremony/<int:doc_id>/move")
@forum_permission(Permission.DOCUMENTS)
def move(slug: str, doc_id: int):
    doc = _doc(doc_id)
    form = MoveForm()
    if form.validate():
        try:
            ceremony.move(doc, form.position.data, by=current_user)
        except DomainError as e:
            db.session.rollback()
            forum = current_forum()
            show_error(form, e)
            return render_template("documents/manage/ceremony_plan.html", forum=forum, items=ceremony.order(forum),
                                   others=ceremony.not_in_order(forum), register=numbering.register_of(forum),
                                   progress=ceremony.progress(forum), move_form=form, move_doc_id=doc.id), 422
        db.session.commit()
        flash(_("%(ref)s is now number %(n)d in the order.", ref=doc.reference, n=doc.ceremony_position), "success")
    return _back_to_plan(doc)


# --- the register's settings ----------------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@forum_permission(Permission.DOCUMENTS)
def settings(slug: str):
    forum = current_forum()
    form = SettingsForm()
    if request.method == "GET":
        reg = numbering.register_of(forum)
        form.prefix.data = reg.prefix if reg else numbering.default_prefix(forum)
        langs = list(reg.languages) if reg and reg.languages else ["en", "ja", "ru"]
        for name, code in zip(LANGUAGE_FIELDS, langs):
            getattr(form, name).data = code
        form.ceremony_at.data = (reg.ceremony_at.astimezone(forum.tz).strftime("%Y-%m-%dT%H:%M")
                                 if reg and reg.ceremony_at else "")
        form.ceremony_place.data = reg.ceremony_place if reg else ""
    elif form.validate_on_submit():
        try:
            ceremony.update_register(forum, form.prefix.data, form.languages(), form.ceremony_at.data,
                                     form.ceremony_place.data, by=current_user)
        except ceremony.CeremonyErrors as e:
            db.session.rollback()
            for field_, message in e.by_field().items():
                getattr(form, "language_1" if field_ == "languages" else field_).errors = [message]
        else:
            db.session.commit()
            flash(_("The register's settings are saved."), "success")
            return redirect(url_for(".settings", slug=slug))
    status = 422 if request.method == "POST" else 200
    return render_template("documents/manage/ceremony_settings.html", forum=forum, form=form), status


# --- the live view ----------------------------------------------------------------------------------------------

def _state(forum) -> dict:
    p = ceremony.progress(forum)
    summary = tally.summary(forum.id)
    exchanged = dict(db.session.execute(
        sa.select(Document.id, Document.exchanged_at.is_not(None)).where(
            Document.forum_id == forum.id, Document.ceremony_position.is_not(None),
            Document.withdrawn_at.is_(None))).all())
    return {"exchanged": p.exchanged, "total": p.total,
            "progress": _("%(n)d of %(total)d exchanged", n=p.exchanged, total=p.total),
            "tally": outcome.tally_sentence(summary),
            "pairs": [{"pair": outcome.pair_label(pair), "n": n} for pair, n in summary.by_pair],
            "documents": {str(k): bool(v) for k, v in exchanged.items()}}


@bp.get("/ceremony/live")
@forum_permission(Permission.DOCUMENTS)
def live(slug: str):
    forum = current_forum()
    return render_template("documents/manage/ceremony_live.html", forum=forum, items=ceremony.order(forum),
                           state=_state(forum))


@bp.get("/ceremony/live.json")
@forum_permission(Permission.DOCUMENTS)
def live_state(slug: str):
    """What the live view's script polls, so two devices at the ceremony agree within seconds."""
    return jsonify(_state(current_forum()))


def _after_tap(doc: Document, error: DomainError | None):
    forum = current_forum()
    if _wants_json():
        code = error.code if error else None
        body = _state(forum)
        body.update(ok=error is None, code=code, message=error.message if error else "", document=doc.id)
        return jsonify(body), (200 if code in (None, "already_exchanged", "not_exchanged") else 409)
    return redirect(safe_next(url_for(".live", slug=forum.slug) + f"#doc-{doc.id}"))


@bp.post("/ceremony/<int:doc_id>/exchanged")
@forum_permission(Permission.DOCUMENTS)
def exchanged(slug: str, doc_id: int):
    doc = _doc(doc_id)
    error = _act(doc, lambda: ceremony.mark_exchanged(doc, by=current_user),
                 _("%(ref)s is exchanged.", ref=doc.reference), quiet=("already_exchanged",))
    return _after_tap(doc, error)


@bp.post("/ceremony/<int:doc_id>/undo")
@forum_permission(Permission.DOCUMENTS)
def undo(slug: str, doc_id: int):
    doc = _doc(doc_id)
    error = _act(doc, lambda: ceremony.undo_exchanged(doc, by=current_user),
                 _("%(ref)s is no longer marked exchanged.", ref=doc.reference), quiet=("not_exchanged",))
    return _after_tap(doc, error)


# --- the PDFs -------------------------------------------------------------------------------------------------------

def _pdf(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/ceremony/run-sheet.pdf")
@forum_permission(Permission.DOCUMENTS)
def run_sheet(slug: str):
    forum = current_forum()
    reg = numbering.register_of(forum)
    data = pdf.run_sheet(
        forum_title=forum.shown_title, heading=_("Run-sheet of the signing ceremony"),
        place=(reg.ceremony_place if reg and reg.ceremony_place else ""),
        when=local_datetime_zoned(reg.ceremony_at, forum, "long") if reg and reg.ceremony_at else "",
        items=ceremony.run_sheet_items(forum),
        words={"side": _("Side"), "party": _("Party"), "announced": _("Announced as"),
               "exchanged_by": _("Exchanged on stage by"), "page": _("Page %(num)d"),
               "none": _("No document is in the ceremony yet."), "exchanged": _("Exchanged")})
    return _pdf(data, f"run-sheet-{forum.slug}.pdf")


@bp.get("/report.pdf")
@forum_permission(Permission.DOCUMENTS)
def report(slug: str):
    forum = current_forum()
    return _pdf(pdf.outcome_report(outcome.report(forum)), f"outcome-report-{forum.slug}.pdf")
