"""The B2B team's request pages (/manage/<slug>/b2b/requests): every request of the forum with filters and
counts, and creating, accepting, declining or cancelling on a delegate's behalf. The services record each
action as on behalf in the audit trail and mail the delegates as usual."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.db import db
from forum.errors import DomainError
from forum.meetings import request_queries as q, requests as service
from forum.meetings.models import MeetingRequest, Priority, RequestState
from forum.meetings.request_forms import TeamAcceptForm, TeamCancelForm, TeamCreateForm, TeamDeclineForm
from forum.registration import choices
from forum.registration.models import CompanyRegistration, Registration
from forum.security import Permission, current_forum, forum_permission
from forum.meetings.pages import paginate

bp = Blueprint("b2b_manage_requests", __name__, url_prefix="/manage/<slug>/b2b/requests")



@bp.get("/")
@forum_permission(Permission.B2B)
def index(slug: str):
    forum = current_forum()
    f = q.Filters.from_args(request.args)
    page = paginate(q.forum_requests(forum, f))
    return render_template("meetings/manage/requests.html", forum=forum, page=page, filters=f,
                           counts=q.state_counts(forum), states=q.STATE_ORDER, countries=choices.country_list(),
                           priorities=list(Priority))


def _request(forum, request_id: int) -> MeetingRequest:
    req = db.session.get(MeetingRequest, request_id)
    if req is None or req.forum_id != forum.id:
        abort(404)
    return req


def _label(reg: Registration) -> str:
    return f"{reg.full_name} ({reg.latin_name}) · {reg.company.legal_name}"


def _create_choices(form: TeamCreateForm, forum) -> dict[str, Registration]:
    """Fill the selects with the forum's participants; returns them by public id."""
    people = q.participants(forum)
    by_pid = {r.public_id: r for r in people}
    companies = {}
    for r in people:
        companies.setdefault(r.company.public_id, r.company)
    form.requester.choices = [("", _("Choose who asks"))] + [(r.public_id, _label(r)) for r in people]
    form.company.choices = [("", _("Choose the company"))] + [
        (c.public_id, f"{c.legal_name} ({choices.country_name(c.country)})")
        for c in sorted(companies.values(), key=lambda c: (c.legal_name.casefold(), c.id))]
    form.recipient.choices = [("", _("Any delegate of the company"))] + [(r.public_id, _label(r)) for r in people]
    return by_pid


@bp.route("/new", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def new(slug: str):
    """A request made for a delegate (they asked the team by phone, say); the delegate is told by e-mail."""
    forum = current_forum()
    form = TeamCreateForm()
    people = _create_choices(form, forum)
    status = 200
    if form.validate_on_submit():
        requester = people[form.requester.data]
        company = db.session.scalar(sa.select(CompanyRegistration).where(
            CompanyRegistration.forum_id == forum.id, CompanyRegistration.public_id == form.company.data))
        recipient = people.get(form.recipient.data) if form.recipient.data else None
        try:
            req = service.create(requester, company=company, recipient=recipient, message=form.message.data or "",
                                 priority=Priority(form.priority.data), by=current_user, reason=form.reason.data or "")
        except DomainError as e:
            db.session.rollback()
            status = _show(form, e)
            people = _create_choices(form, forum)
        else:
            db.session.commit()
            flash(_("The request of %(name)s is sent; they have been told it was made for them.",
                    name=requester.full_name), "success")
            return redirect(url_for(".detail", slug=slug, request_id=req.id))
    elif request.method == "POST":
        status = 422
    return render_template("meetings/manage/new_request.html", forum=forum, form=form), status


def _show(form, e: DomainError) -> int:
    """A service error next to its field (422), else as a message with the error's own status."""
    field = getattr(form, e.field, None) if e.field else None
    if field is not None:
        field.errors = [e.message]
        return 422
    flash(e.message, "error")
    return e.status


def _accept_form(req: MeetingRequest, formdata=True) -> TeamAcceptForm:
    form = TeamAcceptForm() if formdata else TeamAcceptForm(formdata=None)
    if req.recipient is not None:
        form.recipient.choices = [(req.recipient.public_id, _label(req.recipient))]
        form.recipient.data = form.recipient.data or req.recipient.public_id
    else:
        from forum.meetings import participation

        form.recipient.choices = [("", _("Choose the delegate who meets"))] + [
            (r.public_id, _label(r)) for r in req.target_company.delegates if participation.takes_part(r)]
    return form


def _render_detail(forum, req: MeetingRequest, status: int = 200, **forms):
    forms.setdefault("accept_form", _accept_form(req, formdata=False))
    forms.setdefault("decline_form", TeamDeclineForm(formdata=None))
    forms.setdefault("cancel_form", TeamCancelForm(formdata=None))
    return render_template("meetings/manage/request.html", forum=forum, req=req, trail=q.audit_trail(req),
                           S=RequestState, RequestState=RequestState, **forms), status


@bp.get("/<int:request_id>")
@forum_permission(Permission.B2B)
def detail(slug: str, request_id: int):
    forum = current_forum()
    return _render_detail(forum, _request(forum, request_id))


def _act(slug: str, request_id: int, name: str, make_form, act, done: str):
    forum = current_forum()
    req = _request(forum, request_id)
    form = make_form(req)
    if form.validate_on_submit():
        try:
            act(req, form)
        except DomainError as e:
            db.session.rollback()
            req = _request(forum, request_id)
            status = _show(form, e)
            return _render_detail(forum, req, status, **{name: form})
        db.session.commit()
        flash(done, "success")
        return redirect(url_for(".detail", slug=slug, request_id=request_id))
    return _render_detail(forum, req, 422, **{name: form})


def _accept(req: MeetingRequest, form: TeamAcceptForm) -> None:
    recipient = None
    if form.recipient.data:
        recipient = db.session.scalar(sa.select(Registration).where(
            Registration.forum_id == req.forum_id, Registration.public_id == form.recipient.data))
    service.accept(req, by=current_user, priority=Priority(form.priority.data), recipient=recipient,
                   reason=form.reason.data or "")


@bp.post("/<int:request_id>/accept")
@forum_permission(Permission.B2B)
def accept(slug: str, request_id: int):
    return _act(slug, request_id, "accept_form", _accept_form, _accept, _("Accepted on the delegate's behalf."))


@bp.post("/<int:request_id>/decline")
@forum_permission(Permission.B2B)
def decline(slug: str, request_id: int):
    return _act(slug, request_id, "decline_form", lambda req: TeamDeclineForm(),
                lambda req, form: service.decline(req, by=current_user, reason=form.reason.data or ""),
                _("Declined on the delegate's behalf."))


def _cancel(req: MeetingRequest, form: TeamCancelForm) -> None:
    if req.state is RequestState.ACCEPTED and not form.confirm.data:
        raise DomainError(_("Tick the box to confirm: both sides expect this meeting."), code="confirm_required",
                          field="confirm")
    service.cancel(req, by=current_user, reason=form.reason.data or "")


@bp.post("/<int:request_id>/cancel")
@forum_permission(Permission.B2B)
def cancel(slug: str, request_id: int):
    return _act(slug, request_id, "cancel_form", lambda req: TeamCancelForm(), _cancel,
                _("Cancelled on the delegates' behalf."))
