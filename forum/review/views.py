"""Organizer review: the registration list, decisions, the late-entry queue, invitations, exports."""
from __future__ import annotations

import sqlalchemy as sa
from flask import (Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forum.audit import services as audit
from forum.db import db
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.registration import choices
from forum.registration.models import Company, LateInvitation, Registration
from forum.registration import states
from forum.registration.states import state_label
from forum.registration.views import form_flow
from forum.registration import services as registration
from forum.review import exporting, queries, services
from forum.review.forms import BulkForm, DecisionForm, InvitationForm
from forum.security import organizer_required

bp = Blueprint("review", __name__, url_prefix="/manage/<slug>")


def _forum(slug: str) -> Forum:
    return db.session.scalar(sa.select(Forum).where(Forum.slug == slug)) or abort(404)


def _reg(forum: Forum, reg_id: int) -> Registration:
    reg = db.get_or_404(Registration, reg_id)
    if reg.forum_id != forum.id:
        abort(404)
    return reg


def _is_full(forum: Forum) -> bool:
    """Once per page: the decision forms offer the capacity override only when it is needed."""
    return states.approved_count(forum.id) >= forum.capacity


def _trail(reg: Registration) -> list:
    """The delegate's history, with the company's submission it came in with."""
    entries = audit.trail("registration", [reg.id]) + audit.trail("company", [reg.company_id])
    return sorted(entries, key=lambda e: (e.at, e.id))


@bp.get("/registrations")
@organizer_required
def registrations(slug: str):
    forum = _forum(slug)
    f = queries.Filters.from_args(request.args)
    page = db.paginate(queries.registrations(forum.id, f), per_page=50, max_per_page=200, error_out=False)
    return render_template(
        "review/registrations.html", forum=forum, page=page, filters=f, counts=queries.state_counts(forum.id),
        bulk_form=BulkForm(), countries=choices.country_list(), sectors=choices.sector_choices(),
    )


@bp.post("/registrations/bulk")
@organizer_required
def bulk(slug: str):
    forum = _forum(slug)
    form = BulkForm()
    back = request.form.get("back") or url_for(".registrations", slug=slug)
    if not back.startswith("/") or back.startswith("//"):
        back = url_for(".registrations", slug=slug)
    if not form.validate() or not form.action.data:
        flash(_("Choose what to do with the selected registrations."), "error")
        return redirect(back)
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    try:
        result = services.decide_many(forum, ids, form.action.data, by=current_user, reason=form.reason.data or "")
    except DomainError as e:
        flash(e.message, "error")
        return redirect(back)
    db.session.commit()
    if result.done:
        flash(ngettext("%(num)d registration updated.", "%(num)d registrations updated.", len(result.done)), "success")
    for reg, err in result.refused:
        flash(f"{reg.full_name}: {err.message}", "error")
    return redirect(back)


@bp.get("/registrations/<int:reg_id>")
@organizer_required
def detail(slug: str, reg_id: int):
    forum = _forum(slug)
    reg = _reg(forum, reg_id)
    trail = _trail(reg)
    return render_template("review/detail.html", forum=forum, reg=reg, company=reg.company, trail=trail,
                           form=DecisionForm(), forum_full=_is_full(forum))


@bp.post("/registrations/<int:reg_id>/decide")
@organizer_required
def decide(slug: str, reg_id: int):
    forum = _forum(slug)
    reg = _reg(forum, reg_id)
    form = DecisionForm()
    if form.validate():
        try:
            services.decide(reg, form.action.data, by=current_user, reason=form.reason.data or "",
                            override_capacity=form.override_capacity.data)
        except DomainError as e:
            db.session.rollback()
            form.reason.errors = [e.message] if e.field == "reason" else []
            if e.field != "reason":
                flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is now %(state)s.", name=reg.full_name, state=state_label(reg.state)), "success")
            return redirect(request.form.get("next") if request.form.get("next", "").startswith("/manage/")
                            else url_for(".detail", slug=slug, reg_id=reg.id))
    reg = _reg(forum, reg_id)
    trail = _trail(reg)
    return render_template("review/detail.html", forum=forum, reg=reg, company=reg.company, trail=trail,
                           form=form, forum_full=_is_full(forum)), 422


@bp.get("/late")
@organizer_required
def late(slug: str):
    forum = _forum(slug)
    return render_template("review/late.html", forum=forum, queue=queries.late_queue(forum.id), form=DecisionForm(),
                           forum_full=_is_full(forum))


@bp.route("/invitations", methods=["GET", "POST"])
@organizer_required
def invitations(slug: str):
    forum = _forum(slug)
    form = InvitationForm()
    status = 200
    if form.validate_on_submit():
        try:
            inv, _token = registration.create_invitation(
                forum, company_name=form.company_name.data, email=form.email.data, by=current_user,
                days_valid=form.days_valid.data, auto_approve=form.auto_approve.data, note=form.note.data or "",
                language=form.language.data,
            )
        except DomainError as e:
            field = getattr(form, e.field, None) if e.field else None
            if field is not None:
                field.errors = [e.message]
            else:
                flash(e.message, "error")
            status = 422
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=inv.email), "success")
            return redirect(url_for(".invitations", slug=slug))
    elif request.method == "POST":
        status = 422
    items = db.session.scalars(
        sa.select(LateInvitation).where(LateInvitation.forum_id == forum.id).order_by(LateInvitation.created_at.desc())
    ).all()
    return render_template("review/invitations.html", forum=forum, form=form, invitations=items), status


@bp.route("/registrations/new", methods=["GET", "POST"])
@organizer_required
def new(slug: str):
    forum = _forum(slug)
    response, company = form_flow(forum, late=False, template="registration/form.html", manual=True)
    if company is None:
        return response
    flash(_("Registration of %(company)s added.", company=company.name_en), "success")
    return redirect(url_for(".registrations", slug=slug, q=company.name_en))


@bp.get("/registrations.<fmt>")
@organizer_required
def export(slug: str, fmt: str):
    forum = _forum(slug)
    if fmt not in exporting.MIMETYPES:
        abort(404)
    f = queries.Filters.from_args(request.args)
    forum_id = forum.id
    exporting.record(forum, f, fmt, by=current_user)
    db.session.commit()  # the audit entry is stored before a byte leaves, and no write lock is held while streaming
    return Response(stream_with_context(exporting.stream(forum_id, f, fmt)), mimetype=exporting.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{slug}-registrations.{fmt}"'})
