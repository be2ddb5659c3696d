"""Organisations across forums, for site administrators: the list, one organisation, edit, duplicates, merge.

Organisations span forums, so these pages belong to no forum's team: administrators only. They are organizer
pages, so they keep integer ids.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forum.audit import services as audit
from forum.db import db
from forum.errors import DomainError
from forum.forms_util import apply_errors
from forum.organisations import merging, queries, services
from forum.organisations.forms import KIND_LABELS, MergeForm, OrganisationForm, kind_label
from forum.organisations.models import Organisation
from forum.registration import choices
from forum.security import admin_required
from forum.urls import ascii_int

bp = Blueprint("organisations", __name__, url_prefix="/manage/organisations")

MAX_PAGE = 1_000_000


def org_action_label(action: str) -> str:
    return {"edited": _("Edited"), "merged": _("Another organisation was merged into this one"),
            "merged_away": _("Merged into another organisation")}.get(action, action)


@bp.context_processor
def _labels():
    return {"kind_label": kind_label, "kinds": KIND_LABELS, "org_action_label": org_action_label}


def _page_number() -> int:
    raw = request.args.get("page", "")
    if raw.isascii() and raw.isdigit() and int(raw) > MAX_PAGE:
        abort(404)
    return ascii_int(raw, maximum=MAX_PAGE) or 1


@bp.get("")
@admin_required
def index():
    f = queries.Filters.from_args(request.args)
    page = db.paginate(queries.organisations(f), page=_page_number(), per_page=current_app.config["PER_PAGE"],
                       max_per_page=200, error_out=False)
    return render_template("organisations/list.html", page=page, filters=f, usage=queries.usage([o.id for o in page.items]),
                           countries=choices.country_list())


@bp.get("/<int:org_id>")
@admin_required
def detail(org_id: int):
    org = db.get_or_404(Organisation, org_id)
    return render_template("organisations/detail.html", org=org, rows=queries.registrations(org.id),
                           merged=queries.merged_into_this(org.id), trail=audit.trail("organisation", [org.id]))


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(org_id: int):
    org = db.get_or_404(Organisation, org_id)
    form = OrganisationForm()
    if request.method == "GET":
        form.load(org)
    status = 200
    if form.validate_on_submit():
        try:
            changes = services.update(org, form.to_input(), by=current_user)
        except services.OrganisationFormError as e:
            db.session.rollback()
            for msg in apply_errors(form, e.errors):
                flash(msg, "error")
            status = 422
        except DomainError as e:
            db.session.rollback()
            flash(e.message, "error")
            status = 409
        else:
            db.session.commit()
            flash(_("Organisation saved.") if changes else _("Nothing was changed."), "success")
            return redirect(url_for(".detail", org_id=org.id))
    elif request.method == "POST":
        status = 422
    if status == 422:
        flash(_("Please correct the marked fields. Nothing has been saved yet."), "error")
    return render_template("organisations/edit.html", org=org, form=form), status


@bp.get("/duplicates")
@admin_required
def duplicates():
    pairs = queries.possible_duplicates()
    per_page = current_app.config["PER_PAGE"]
    number = _page_number()
    shown = pairs[(number - 1) * per_page: number * per_page]
    ids = {p.a for p in shown} | {p.b for p in shown}
    pages = max(1, -(-len(pairs) // per_page))
    return render_template("organisations/duplicates.html", pairs=shown, total=len(pairs), orgs=queries.load(ids),
                           usage=queries.usage(sorted(ids)), number=number, pages=pages)


@bp.get("/<int:org_id>/merge")
@admin_required
def choose(org_id: int):
    """Find the organisation to merge into this one (the one kept)."""
    keep = db.get_or_404(Organisation, org_id)
    f = queries.Filters.from_args(request.args)
    found = []
    if f.q:
        found = [o for o in db.session.scalars(queries.organisations(f).limit(current_app.config["PER_PAGE"]))
                 if o.id != keep.id]
    return render_template("organisations/choose.html", keep=keep, filters=f, found=found,
                           usage=queries.usage([o.id for o in found]), countries=choices.country_list())


def _pair(args) -> tuple[Organisation, Organisation]:
    keep_id, away_id = ascii_int(args.get("keep")), ascii_int(args.get("away"))
    if keep_id is None or away_id is None:
        abort(404)
    return db.get_or_404(Organisation, keep_id), db.get_or_404(Organisation, away_id)


@bp.route("/merge", methods=["GET", "POST"])
@admin_required
def merge():
    """What merging would move, an explicit confirmation; then every registration moves to the kept one."""
    form = MergeForm()
    keep, away = _pair(request.form if request.method == "POST" else request.args)
    status = 200
    if form.validate_on_submit():
        try:
            result = merging.merge(keep.id, away.id, by=current_user)
        except DomainError as e:
            db.session.rollback()
            flash(e.message, "error")
            status = 409
        else:
            db.session.commit()
            flash(ngettext("%(away)s was merged into %(keep)s: %(num)d registration moved.",
                           "%(away)s was merged into %(keep)s: %(num)d registrations moved.",
                           result.registrations, away=result.away.name_en, keep=result.keep.name_en), "success")
            return redirect(url_for(".detail", org_id=result.keep.id))
    elif request.method == "POST":
        status = 422
    try:
        preview = merging.preview(keep, away, by=current_user)
    except DomainError as e:
        flash(e.message, "error")
        return render_template("organisations/merge.html", preview=None, keep=keep, away=away, form=form), 409
    if request.method == "GET":
        form.keep.data, form.away.data = str(keep.id), str(away.id)
    return render_template("organisations/merge.html", preview=preview, keep=keep, away=away, form=form,
                           usage=queries.usage([keep.id, away.id])), status
