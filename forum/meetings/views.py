"""A delegate's B2B pages under /forums/<slug>/b2b: the overview, their requests (sent and received), a new
request, one request and the answers to it. Profiles, the directory, suggestions, availability and the
published meetings have their own modules beside this one.

Who sees what: a request only its two sides (and the B2B team, read-only here: it acts from the organizer's
pages); anyone else gets a 404, as for an address that does not exist.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.db import db
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.meetings import participation, request_queries as q, requests as service
from forum.meetings.models import MeetingRequest, Priority, RequestState
from forum.meetings.request_forms import AcceptForm, CancelForm, DeclineForm, RequestForm
from forum.registration.models import CompanyRegistration, Registration
from forum.urls import safe_next
from forum.meetings.pages import forum_and_me, forum_or_404 as _forum, paginate as _page  # noqa: F401

bp = Blueprint("b2b", __name__, url_prefix="/forums/<slug>/b2b")

@bp.get("/")
@login_required
def home(slug: str):
    """The delegate's B2B overview; someone registered who does not take part is told why (not a 404)."""
    forum = _forum(slug)
    reg = q.registration_in(current_user, forum)
    if reg is None:
        abort(404)
    status = q.status_of(reg)
    counts = q.counts(reg) if status.takes_part else None
    return render_template("meetings/home.html", forum=forum, me=reg, status=status, counts=counts,
                           deadline=service.deadline(forum), quota=q.quota(forum),
                           pending_sent=counts.sent_waiting if counts else 0)


@bp.get("/requests")
@login_required
def requests(slug: str):
    forum, me = forum_and_me(slug)
    received = _page(q.received(me), "page")
    sent = _page(q.sent(me), "sent_page")
    return render_template("meetings/requests.html", forum=forum, me=me, received=received, sent=sent,
                           accept_form=AcceptForm(formdata=None), decline_form=DeclineForm(formdata=None),
                           cancel_form=CancelForm(formdata=None), S=RequestState)


def _target(forum: Forum, me: Registration) -> tuple[CompanyRegistration, Registration | None]:
    """The company (and delegate) of the query string, when they take part in this forum; else 404."""
    company_pid = (request.args.get("company") or "").strip().lower()
    delegate_pid = (request.args.get("delegate") or "").strip().lower()
    company = db.session.scalar(sa.select(CompanyRegistration).where(
        CompanyRegistration.forum_id == forum.id, CompanyRegistration.public_id == company_pid)) if company_pid else None
    if company is None or not company.directory_consent:
        abort(404)
    if delegate_pid:
        delegate = db.session.scalar(sa.select(Registration).where(
            Registration.company_id == company.id, Registration.public_id == delegate_pid))
        if delegate is None or not participation.takes_part(delegate):
            abort(404)
        return company, delegate
    if not any(participation.takes_part(r) for r in company.delegates):
        abort(404)
    return company, None


@bp.route("/requests/new", methods=["GET", "POST"])
@login_required
def new_request(slug: str):
    forum, me = forum_and_me(slug)
    company, delegate = _target(forum, me)
    form = RequestForm()
    status, target_error = 200, None
    if form.validate_on_submit():
        try:
            service.create(me, company=company, recipient=delegate, message=form.message.data or "",
                           priority=Priority(form.priority.data), by=current_user)
        except DomainError as e:
            db.session.rollback()
            field = getattr(form, e.field, None) if e.field else None
            if field is not None:
                field.errors = [e.message]
                status = 422
            elif e.field in ("company", "recipient"):
                target_error, status = e.message, 422
            else:
                flash(e.message, "error")
                status = e.status
        else:
            db.session.commit()
            flash(_("Your request to %(name)s has been sent.",
                    name=delegate.full_name if delegate else company.legal_name), "success")
            return redirect(url_for(".requests", slug=slug))
    elif request.method == "POST":
        status = 422
    return render_template("meetings/new_request.html", forum=forum, me=me, company=company, delegate=delegate,
                           form=form, target_error=target_error, deadline=service.deadline(forum)), status


def _request_for(forum: Forum, req_pid: str, *, sides_only: bool) -> MeetingRequest:
    """The request when the signed-in user may see it (a side; or the B2B team unless sides_only), else 404."""
    req = q.request_in(forum, req_pid)
    if req is None:
        abort(404)
    allowed = service.side_of(current_user, req) is not None if sides_only else service.can_view(current_user, req)
    if not allowed:
        abort(404)
    return req


def _render_request(forum: Forum, req: MeetingRequest, status: int = 200, **forms):
    forms.setdefault("accept_form", AcceptForm(formdata=None))
    forms.setdefault("decline_form", DeclineForm(formdata=None))
    forms.setdefault("cancel_form", CancelForm(formdata=None))
    return render_template("meetings/request.html", forum=forum, req=req, side=service.side_of(current_user, req),
                           is_team=service.is_team(current_user, forum), S=RequestState, **forms), status


@bp.get("/requests/<pid:req_pid>", endpoint="request")  # the function's name would shadow flask.request
@login_required
def request_detail(slug: str, req_pid: str):
    forum = _forum(slug)
    return _render_request(forum, _request_for(forum, req_pid, sides_only=False))


def _act(slug: str, req_pid: str, form_name: str, form, act, done: str):
    """POST accept/decline/cancel: 404 for anyone not a side; on a refusal the request's page again with the
    error (422 when the input was wrong, else the error's status), nothing saved."""
    forum = _forum(slug)
    req = _request_for(forum, req_pid, sides_only=True)
    if form.validate_on_submit():
        try:
            act(req, form)
        except DomainError as e:
            db.session.rollback()
            req = _request_for(forum, req_pid, sides_only=True)
            field = getattr(form, e.field, None) if e.field else None
            if field is not None:
                field.errors = [e.message]
                return _render_request(forum, req, 422, **{form_name: form})
            flash(e.message, "error")
            return _render_request(forum, req, e.status, **{form_name: form})
        db.session.commit()
        flash(done, "success")
        return redirect(safe_next(url_for(".requests", slug=slug)))
    return _render_request(forum, req, 422, **{form_name: form})


@bp.post("/requests/<pid:req_pid>/accept")
@login_required
def accept(slug: str, req_pid: str):
    return _act(slug, req_pid, "accept_form", AcceptForm(), lambda req, form: service.accept(
        req, by=current_user, priority=Priority(form.priority.data), as_side=True),
        _("You accepted the meeting. It will be placed at a time and table when the schedule is published."))


@bp.post("/requests/<pid:req_pid>/decline")
@login_required
def decline(slug: str, req_pid: str):
    return _act(slug, req_pid, "decline_form", DeclineForm(), lambda req, form: service.decline(
        req, by=current_user, reason=form.reason.data or "", as_side=True), _("You declined the request."))


def _cancel(req: MeetingRequest, form: CancelForm) -> None:
    if req.state is RequestState.ACCEPTED and not form.confirm.data:
        raise DomainError(_("Tick the box to confirm: the other side expects this meeting."),
                          code="confirm_required", field="confirm")
    service.cancel(req, by=current_user, reason=form.reason.data or "", as_side=True)


@bp.post("/requests/<pid:req_pid>/cancel")
@login_required
def cancel(slug: str, req_pid: str):
    return _act(slug, req_pid, "cancel_form", CancelForm(), _cancel, _("The request is cancelled."))
