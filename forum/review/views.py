"""Organizer review: the registration list, decisions, the late-entry queue, invitations, exports."""
from __future__ import annotations

import sqlalchemy as sa
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, stream_with_context,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forum import clock
from forum.audit import services as audit
from forum.db import db, writes
from forum.forms_util import show_error
from forum.errors import DomainError, InvalidInput
from forum.forums.models import Forum
from forum.registration import choices
from forum.registration.models import CompanyRegistration, LateInvitation, Registration
from forum.registration import states, waitlist
from forum.registration.states import state_label
from forum.registration.views import form_flow
from forum.registration import services as registration
from forum.review import dashboard as overview_data
from forum.review import exporting, queries, services
from forum.review.forms import BulkForm, CategoryRequestForm, DecisionForm, InvitationForm
from forum.security import Permission, admin_required, current_forum, forum_permission, team_member_required
from forum.urls import ascii_int, safe_next

MAX_PAGE = 1_000_000  # far beyond any list; keeps OFFSET = page x size inside 64 bits
# A printout has every row of the filter, up to this many (about 150 A4 pages); past it the page says so.
PRINT_MAX_ROWS = 5_000

bp = Blueprint("review", __name__, url_prefix="/manage/<slug>")


def _forum(slug: str) -> Forum:
    return current_forum()  # loaded and checked by the forum_permission guard


def _reg(forum: Forum, reg_id: int) -> Registration:
    reg = db.get_or_404(Registration, reg_id)
    if reg.forum_id != forum.id:
        abort(404)
    return reg


def _trail(reg: Registration) -> list:
    """The delegate's history, with the company's submission it came in with."""
    entries = audit.trail("registration", [reg.id]) + audit.trail("company", [reg.company_id])
    return sorted(entries, key=lambda e: (e.at, e.id))


@bp.get("/dashboard")
@bp.get("/")  # registered first, so url_for() gives /manage/<slug>/
@forum_permission(Permission.REVIEW)
def dashboard(slug: str):
    """The forum's landing page for its team: counts per country, sector, category and state, each a link."""
    forum = _forum(slug)
    return render_template("review/dashboard.html", forum=forum, o=overview_data.overview(forum))


@bp.get("/registrations")
@forum_permission(Permission.REVIEW)
def registrations(slug: str):
    forum = _forum(slug)
    f = queries.Filters.from_args(request.args)
    if request.args.get("print") == "1":
        total, companies = queries.totals(forum.id, f)
        return render_template("review/print_registrations.html", forum=forum, filters=f, total=total,
                               companies=companies, rows=queries.all_rows(forum.id, f, PRINT_MAX_ROWS),
                               printed_at=clock.now())
    raw = request.args.get("page", "")
    number = ascii_int(raw, maximum=MAX_PAGE) or 1  # nonsense ('abc', '²') is ignored like any other filter
    if raw.isascii() and raw.isdigit() and int(raw) > MAX_PAGE:
        abort(404)  # a page so far out that its OFFSET would overflow: there is no such page
    page = db.paginate(queries.registrations(forum.id, f), page=number, per_page=current_app.config["PER_PAGE"],
                       max_per_page=200, error_out=False)
    return render_template(
        "review/registrations.html", forum=forum, page=page, filters=f, counts=queries.state_counts(forum.id),
        bulk_form=BulkForm(), countries=choices.country_list(), sectors=choices.sector_choices(),
        waitlist_positions=waitlist.positions([forum.id]),
        companies=queries.totals(forum.id, f)[1],
    )


@bp.get("/participants")
@forum_permission(Permission.REVIEW)
def participants(slug: str):
    """The approved delegates by country then name, laid out to print (A4 landscape)."""
    forum = _forum(slug)
    f = queries.Filters.from_args(request.args)
    f.state = ""  # always the approved ones; the other criteria narrow them
    rows, total = queries.participants(forum.id, f, PRINT_MAX_ROWS)
    return render_template("review/print_participants.html", forum=forum, filters=f, rows=rows, total=total,
                           printed_at=clock.now())


@bp.post("/registrations/bulk")
@forum_permission(Permission.REVIEW)
def bulk(slug: str):
    forum = _forum(slug)
    form = BulkForm()
    back = safe_next(url_for(".registrations", slug=slug), "back")
    if not form.validate() or not form.action.data:
        flash(_("Choose what to do with the selected registrations."), "error")
        return redirect(back)
    ids = [ascii_int(i) for i in request.form.getlist("ids")]
    if None in ids:
        # The page sends the registrations' own ids; anything else ('²', 20 digits) is a crafted request.
        raise InvalidInput(_("The selection is not valid. Reload the list and select again."), code="bad_ids")
    try:
        result = services.decide_many(forum, ids, form.action.data, by=current_user, reason=form.reason.data or "",
                                      at_most=current_app.config["PER_PAGE"])
    except DomainError as e:
        flash(e.message, "error")
        return redirect(back)
    db.session.commit()
    if result.done:
        flash(ngettext("%(num)d registration updated.", "%(num)d registrations updated.", len(result.done)), "success")
    for reg, err in result.refused:
        flash(f"{reg.full_name}: {err.message}", "error")
    return redirect(back)


def _render_detail(forum: Forum, reg: Registration, form: DecisionForm, status: int = 200):
    return render_template("review/detail.html", forum=forum, reg=reg, company=reg.company, trail=_trail(reg),
                           form=form, category_form=CategoryRequestForm(formdata=None),
                           waitlist_position=waitlist.position(reg), **_decisions(forum, [reg])), status


def _render_late(forum: Forum, failed: tuple[int, DecisionForm] | None = None, status: int = 200):
    """The late queue; `failed` = (registration id, its form with the error) keeps the organizer in the queue."""
    queue = queries.late_queue(forum.id)
    return render_template("review/late.html", forum=forum, queue=queue, form=DecisionForm(formdata=None),
                           failed=failed, **_decisions(forum, queue)), status


def _decisions(forum: Forum, regs: list[Registration]) -> dict:
    """What the decision forms offer: the allowed decisions per registration; the override once per page."""
    return {"allowed_actions": {r.id: services.allowed_actions(r) for r in regs},
            "forum_full": services.is_full(forum)}


@bp.get("/registrations/<int:reg_id>")
@forum_permission(Permission.REVIEW)
def detail(slug: str, reg_id: int):
    forum = _forum(slug)
    return _render_detail(forum, _reg(forum, reg_id), DecisionForm())


@bp.post("/registrations/<int:reg_id>/decide")
@forum_permission(Permission.REVIEW)
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
            show_error(form, e)
        else:
            db.session.commit()
            flash(_("%(name)s is now %(state)s.", name=reg.full_name, state=state_label(reg.state)), "success")
            return redirect(safe_next(url_for(".detail", slug=slug, reg_id=reg.id)))
    # An error: the organizer stays where they decided, with the message next to the field.
    if safe_next("") == url_for(".late", slug=slug):
        return _render_late(forum, failed=(reg_id, form), status=422)
    return _render_detail(forum, _reg(forum, reg_id), form, 422)


@bp.post("/registrations/<int:reg_id>/category")
@forum_permission(Permission.REVIEW)
def category(slug: str, reg_id: int):
    """Confirm or decline the privileged category a delegate asked for on the public form."""
    forum = _forum(slug)
    reg = _reg(forum, reg_id)
    form = CategoryRequestForm()
    if not form.validate():
        abort(400)
    try:
        if form.decision.data == "confirm":
            services.confirm_category(reg, by=current_user)
        else:
            services.decline_category(reg, by=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s: the category is now %(category)s.", name=reg.full_name,
                category=choices.category_label(reg.category.value)), "success")
    return redirect(url_for(".detail", slug=slug, reg_id=reg_id))


@bp.post("/registrations/<int:reg_id>/promote")
@forum_permission(Permission.REVIEW)
def promote(slug: str, reg_id: int):
    """The one-click answer to "1 place free — promote …?" (a forum in "ask" mode)."""
    forum = _forum(slug)
    reg = _reg(forum, reg_id)
    try:
        waitlist.promote(forum, reg, by=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s is approved from the waiting list; the e-mail is queued.", name=reg.full_name), "success")
    return redirect(safe_next(url_for(".registrations", slug=slug)))


@bp.get("/late")
@forum_permission(Permission.REVIEW)
def late(slug: str):
    return _render_late(_forum(slug))


@bp.route("/invitations", methods=["GET", "POST"])
@forum_permission(Permission.REVIEW)
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
            status = 422 if show_error(form, e) else 409
        else:
            db.session.commit()
            flash(_("Invitation created. The e-mail with the link is on its way to %(email)s.", email=inv.email), "success")
            return redirect(url_for(".invitations", slug=slug))
    elif request.method == "POST":
        status = 422
    return render_template("review/invitations.html", forum=forum, form=form,
                           invitations=queries.invitations(forum.id)), status


@bp.route("/registrations/new", methods=["GET", "POST"])
@forum_permission(Permission.REVIEW)
def new(slug: str):
    forum = _forum(slug)
    source, _late = registration.entry_kind(forum, manual=True, by=current_user)
    response, company = form_flow(forum, source, template="registration/form.html")
    if company is None:
        return response
    flash(_("Registration of %(company)s added.", company=company.name_en), "success")
    return redirect(url_for(".registrations", slug=slug, q=company.name_en))


@bp.get("/registrations.<fmt>")
@writes  # outermost: the permission check's user query is the transaction's first statement
@forum_permission(Permission.REVIEW)
def export(slug: str, fmt: str):
    forum = _forum(slug)
    if fmt not in exporting.MIMETYPES:
        abort(404)
    f = queries.Filters.from_args(request.args)
    forum_id = forum.id
    # Labels in the organizer's language, before the commit: after it, finding that language would
    # reload the user in a transaction of its own.
    names = exporting.labels()
    exporting.record(forum, f, fmt, by=current_user)
    db.session.commit()  # the audit entry is stored before a byte leaves, and no write lock is held while streaming
    return Response(stream_with_context(exporting.stream(forum_id, f, fmt, names)), mimetype=exporting.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{slug}-registrations.{fmt}"'})
