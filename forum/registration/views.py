from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.db import db
from forum.errors import DomainError
from forum.extensions import limiter
from forum.forms_util import apply_errors, show_error
from forum.forums import services as forums
from forum.forums.models import Forum
from forum.documents import access as documents_access
from forum.registration import abuse, disputes, prefill, services, waitlist
from forum.registration.forms import DisputeForm, RegistrationForm, WithdrawForm, delegate_formdata, with_delegate_removed
from forum.registration.models import CompanyRegistration, LateInvitation, Registration, Source
from forum.registration.services import MAX_DELEGATES, SubmissionError
from forum.teams import permissions
from forum.urls import ascii_int

bp = Blueprint("registration", __name__)


def _limit(name: str):
    return lambda: current_app.config[name]


def _saved(response) -> bool:
    # Only a saved submission counts (it redirects): adding a delegate or correcting an error does not.
    return response.status_code in (302, 303)


def _forum_key() -> str:
    return "forum:" + str((request.view_args or {}).get("slug", ""))


def _public_forum(slug: str) -> Forum:
    forum = forums.get_public(slug, current_user)
    if forum is None:
        abort(404)
    return forum


def form_flow(forum: Forum, source: Source, *, template: str, invitation: LateInvitation | None = None,
              initial: dict | None = None, **context):
    """GET shows the form; 'add/remove delegate' re-render it with nothing lost; submit saves or shows errors.

    `source` is what services.entry_kind() said this submission is; `initial` fills the form on GET (an earlier
    registration to start from, registration.prefill). Returns (response, company): company is set once
    saved and committed.
    """
    late = services.needs_late_reason(source)
    manual = source is Source.MANUAL
    formdata, n_delegates = delegate_formdata(request.form) if request.method == "POST" else (None, 0)
    remove = request.form.get("remove_delegate")
    if formdata is not None and remove is not None:
        index = ascii_int(remove, maximum=MAX_DELEGATES)
        if index is None:
            abort(400)  # only a crafted form sends anything but the button's own number
        formdata, n_delegates = delegate_formdata(with_delegate_removed(formdata, index))
    form = RegistrationForm(formdata=formdata, late=late, data=initial if formdata is None else None)
    # An organizer enters any category; the public form offers the forum's public ones.
    categories = None if manual else services.public_categories(forum)
    form.offer_categories(categories)
    if invitation is not None and request.method == "GET":
        form.name_en.data = invitation.company_name
        form.contact_email.data = invitation.email
    status = 200
    if request.method == "POST":
        if "add_delegate" in request.form:
            if len(form.delegates) < MAX_DELEGATES:
                form.delegates.append_entry()
                form.offer_categories(categories)
        elif remove is not None:
            if len(form.delegates) == 0:
                form.delegates.append_entry()
                form.offer_categories(categories)
        elif not manual and form.comment.data:
            # The honeypot was filled in: a bot. It is told "thank you"; nothing is saved or mailed.
            abuse.caught_by_honeypot(forum, form.comment.data, address=request.remote_addr,
                                     contact_email=form.contact_email.data or "")
            db.session.commit()
            return redirect(url_for("registration.received", slug=forum.slug)), None
        elif n_delegates > MAX_DELEGATES:
            # Only a crafted form gets here (the page offers no 11th): refuse rather than drop one unseen.
            flash(_("Register between 1 and %(n)d delegates.", n=MAX_DELEGATES), "error")
            status = 422
        elif form.validate():
            try:
                company = services.submit(forum, form.to_input(str(get_locale() or "en")), invitation=invitation,
                                          manual=manual, by=current_user if manual else None,
                                          address=None if manual else request.remote_addr)
            except SubmissionError as e:
                db.session.commit()  # nothing but the notices to the owners of refused addresses
                for msg in apply_errors(form, e.errors):
                    flash(msg, "error")
                status = 422
            except abuse.TooManyRegistrations as e:
                show_error(form, e)
                if e.field:
                    flash(e.message, "error")
                status = 429
            except DomainError as e:
                flash(e.message, "error")
                status = 409
            else:
                db.session.commit()
                return None, company
        else:
            # Show the rules' errors too (duplicate delegate, bad phone ...), all in one round.
            data = form.to_input(str(get_locale() or "en"))
            apply_errors(form, services.validate(forum, data, needs_reason=late, manual=manual,
                                                 tell_owners=not manual))
            db.session.commit()  # nothing but the notices to the owners of refused addresses
            status = 422
    if status == 422:
        flash(_("Please correct the marked fields. Nothing has been saved yet."), "error")
    page = render_template(template, form=form, forum=forum, late=late, manual=manual, invitation=invitation,
                           max_delegates=MAX_DELEGATES, **context)
    return (page, status), None


@bp.route("/forums/<slug>/register", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_REGISTRATION_PER_ADDRESS"), methods=["POST"], deduct_when=_saved)
@limiter.limit(_limit("RATELIMIT_REGISTRATION_PER_FORUM"), key_func=_forum_key, methods=["POST"], deduct_when=_saved)
def register(slug: str):
    forum = _public_forum(slug)
    try:
        source, _late = services.entry_kind(forum)
    except DomainError:
        return render_template("registration/unavailable.html", forum=forum), 409 if request.method == "POST" else 200
    # A returning contact person may start from an earlier registration (?from=<its public id>).
    start_from, initial = None, None
    if request.args.get("from") is not None:
        if not current_user.is_authenticated:
            if request.method == "GET":
                flash(_("Sign in to start from your earlier registration."), "info")
                return redirect(url_for("accounts.login", next=request.full_path))
        else:
            try:
                start_from = prefill.source_for(current_user, request.args.get("from"))
            except DomainError:
                abort(404)
            initial = prefill.initial_data(start_from, forum, max_delegates=MAX_DELEGATES)
    response, company = form_flow(forum, source, template="registration/form.html", initial=initial,
                                  start_from=start_from, start_choices=prefill.sources(current_user, forum))
    if company is None:
        return response
    _remember_submitted(company)
    return redirect(url_for(".done", slug=forum.slug, company_pid=company.public_id))


@bp.get("/forums/<slug>/register/received")
def received(slug: str):
    """Where the honeypot sends a bot: thanks, and nothing else."""
    return render_template("registration/received.html", forum=_public_forum(slug))


@bp.route("/registration/not-me/<token>", methods=["GET", "POST"])
def dispute(token: str):
    """'This wasn't me': the link in the mail to a registered address; POST withdraws the registration."""
    try:
        reg = disputes.registration_from_token(token)
    except DomainError as e:
        return render_template("registration/dispute.html", reg=None, error=e.message, form=None), 404
    form = DisputeForm()
    if form.validate_on_submit():
        try:
            disputes.dispute(reg, address=request.remote_addr)
        except DomainError as e:
            flash(e.message, "info")
        else:
            db.session.commit()
            flash(_("The registration is withdrawn and your address is free. The organizers can see that you "
                    "disputed it."), "success")
        return redirect(url_for(".dispute", token=token))
    return render_template("registration/dispute.html", reg=reg, forum=reg.forum, error=None, form=form), \
        (400 if request.method == "POST" else 200)


def _remember_submitted(company: CompanyRegistration) -> None:
    """This browser submitted it: it may see the confirmation page without signing in."""
    session["submitted"] = ([p for p in session.get("submitted", []) if isinstance(p, str)] + [company.public_id])[-20:]


@bp.get("/forums/<slug>/register/done/<pid:company_pid>")
def done(slug: str, company_pid: str):
    submitted_here = company_pid in session.get("submitted", [])
    if not submitted_here and not current_user.is_authenticated:
        # Opened on another device (a link sent to oneself): sign in, then come back here. Asked
        # before looking the id up, so that the answer does not tell which ids exist.
        flash(_("Sign in with the contact person's e-mail to see this registration."), "info")
        return redirect(url_for("accounts.login", next=request.path))
    company = services.company_by_public_id(company_pid) or abort(404)
    # Only the browser that submitted it (or its contact person / an organizer) sees this page.
    if company.forum.slug != slug or not (submitted_here or services.can_view_company(current_user, company)):
        abort(404)
    return render_template("registration/done.html", company=company, forum=company.forum)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    inv, usable = services.usable_invitation(token)
    if not usable:
        return render_template("registration/invitation_unusable.html", invitation=inv), 410
    forum = inv.forum
    response, company = form_flow(forum, Source.INVITATION, template="registration/form.html", invitation=inv)
    if company is None:
        return response
    _remember_submitted(company)
    return redirect(url_for(".done", slug=forum.slug, company_pid=company.public_id))


@bp.get("/my")
@login_required
def my():
    companies, registrations = services.my_companies(current_user), services.my_registrations(current_user)
    # The page asks for each registration whether its "Correct" link shows: one query for all the forums.
    permissions.preload_memberships(current_user, {c.forum_id for c in companies} | {r.forum_id for r in registrations})
    return render_template(
        "registration/my.html", companies=companies, registrations=registrations,
        # Where each waitlisted one stands in its forum's line (one query for all of them).
        waitlist_positions=waitlist.positions({r.forum_id for r in registrations if r.state.value == "waitlisted"}),
        # The companies that are a party to a document (a link to the forum's "My documents"), in one query.
        document_parties=documents_access.companies_with_documents(
            {c.id for c in companies} | {r.company_id for r in registrations if r.state.value == "approved"}),
    )


@bp.get("/my/companies/<pid:company_pid>")
@login_required
def company(company_pid: str):
    company = services.company_by_public_id(company_pid)
    if company is None or not services.can_view_company(current_user, company):
        abort(404)  # not 403: do not confirm that the id exists
    services.link_delegates(company)
    waiting = any(r.state.value == "waitlisted" for r in company.delegates)
    return render_template("registration/company.html", company=company, forum=company.forum,
                           waitlist_positions=waitlist.positions([company.forum_id]) if waiting else {})


@bp.post("/my/registrations/<pid:reg_pid>/withdraw")
@login_required
def withdraw(reg_pid: str):
    reg = services.registration_by_public_id(reg_pid)
    if reg is None or not services.can_view_registration(current_user, reg):
        abort(404)
    form = WithdrawForm()
    if not form.validate():
        abort(400)
    try:
        services.withdraw(reg, by=current_user, reason=form.reason.data or "")
    except DomainError as e:
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s has been withdrawn.", name=reg.full_name), "success")
    if reg.company.contact_user_id == current_user.id:
        return redirect(url_for(".company", company_pid=reg.company.public_id))
    return redirect(url_for(".my"))
