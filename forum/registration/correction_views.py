"""Corrections and substitutions: the contact person's and the delegate's pages (by public id), and the same
pages for the forum's reviewers (under /manage/<slug>/, also after the badge deadline)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum import languages as ui_languages
from forum.db import db
from forum.errors import DomainError, NotAllowed
from forum.forms_util import apply_errors
from forum.registration import choices, corrections, services, substitution
from forum.registration.corrections import CorrectionError, CorrectionInput, CompanyNamesInput
from forum.registration.forms import AcknowledgeForm, CompanyNamesForm, CorrectionForm, SubstituteForm
from forum.registration.models import CompanyRegistration, Registration
from forum.registration.substitution import SubstituteInput
from forum.security import Permission, current_forum, forum_permission
from forum.urls import ascii_int

bp = Blueprint("corrections", __name__)


@bp.app_template_global()
def badge_deadline_passed(forum) -> bool:
    return corrections.deadline_passed(forum)


@bp.app_template_global()
def may_correct(reg: Registration) -> bool:
    """Whether the page shows a "Correct" link for this delegate to the signed-in person."""
    return corrections.may_change(current_user, reg)


@bp.app_template_global()
def may_substitute(reg: Registration) -> bool:
    return substitution.may_substitute(current_user, reg)


@bp.app_template_global()
def may_correct_company(company: CompanyRegistration) -> bool:
    return corrections.may_change_company(current_user, company)


@bp.app_template_global()
def field_label(name: str) -> str:
    """What a corrected field is called in the history."""
    return {
        "full_name": _("Full name"), "latin_name": _("Name in Latin letters"), "position": _("Position"),
        "email": _("E-mail"), "phone": _("Phone"), "languages": _("Languages spoken"),
        "language": _("Correspondence language"), "legal_name": _("Company legal name"),
        "name_en": _("Company name in English"),
    }.get(name, name)


@bp.app_template_global()
def change_value(name: str, value) -> str:
    """A value of the history's before/after as a person reads it."""
    if name == "languages":
        return ", ".join(choices.language_name(code) for code in value or []) or "—"
    if name == "language":
        return dict(ui_languages.choices()).get(value, value) or "—"
    return str(value) if value not in (None, "") else "—"


def _by_public_id(model, public_id: str):
    obj = db.session.scalar(sa.select(model).where(model.public_id == public_id))
    if obj is None:
        abort(404)
    return obj


def _own_registration(public_id: str) -> Registration:
    reg = _by_public_id(Registration, public_id)
    if not services.can_view_registration(current_user, reg):
        abort(404)  # someone else's: do not confirm that it exists
    return reg


def _forum_registration(reg_id: int) -> Registration:
    reg = db.get_or_404(Registration, reg_id)
    if reg.forum_id != current_forum().id:
        abort(404)
    return reg


def _back_to_my(reg: Registration) -> str:
    if reg.company.contact_user_id == current_user.id:
        return url_for("registration.company", company_pid=reg.company.public_id)
    return url_for("registration.my")


# --- correcting a delegate ---------------------------------------------------------------------

def _correction_page(reg: Registration, *, back: str, manage: bool):
    """GET shows the form (or why it cannot be used); POST corrects, or shows the errors with nothing saved."""
    form = CorrectionForm()
    blocked, status = None, 200
    try:
        corrections.check_may_change(current_user, reg)
    except NotAllowed:
        abort(404)
    except DomainError as e:
        blocked = e  # after the badge deadline, or no longer active: the page says so and offers nothing
    if request.method == "GET" and blocked is None:
        form.load(reg)
    elif request.method == "POST":
        if form.validate():
            try:
                changes = corrections.correct(reg, CorrectionInput(**form.values()), by=current_user)
            except CorrectionError as e:
                db.session.rollback()
                apply_errors(form, e.errors)
                status = 422
            except NotAllowed:
                abort(404)
            except DomainError as e:
                db.session.rollback()
                blocked, status = e, 409
            else:
                db.session.commit()
                if changes:
                    flash(_("The correction of %(name)s is saved.", name=reg.full_name), "success")
                else:
                    flash(_("Nothing was changed."), "info")
                return redirect(back)
        else:
            # The rules' errors too (Latin letters, phone, a taken address), all in one round.
            _d, errors = corrections.validate(reg, CorrectionInput(**form.values()))
            apply_errors(form, errors)
            db.session.rollback()
            status = 422
        if status == 422:
            flash(_("Please correct the marked fields. Nothing has been saved yet."), "error")
    return render_template("registration/correct.html", reg=reg, forum=reg.forum, company=reg.company, form=form,
                           blocked=blocked, back=back, manage=manage), status


@bp.route("/my/registrations/<pid:public_id>/correct", methods=["GET", "POST"])
@login_required
def correct(public_id: str):
    reg = _own_registration(public_id)
    return _correction_page(reg, back=_back_to_my(reg), manage=False)


@bp.route("/manage/<slug>/registrations/<int:reg_id>/correct", methods=["GET", "POST"])
@forum_permission(Permission.REVIEW)
def manage_correct(slug: str, reg_id: int):
    reg = _forum_registration(reg_id)
    return _correction_page(reg, back=url_for("review.detail", slug=slug, reg_id=reg.id), manage=True)


# --- substituting a delegate -------------------------------------------------------------------

def _substitution_page(reg: Registration, *, back: str, manage: bool, done):
    form = SubstituteForm()
    blocked, status = None, 200
    try:
        substitution.check_may_substitute(current_user, reg)
    except NotAllowed:
        abort(404)
    except DomainError as e:
        blocked = e
    if request.method == "GET" and blocked is None:
        form.language.data = reg.language
    elif request.method == "POST":
        values = form.values()
        if form.validate():
            try:
                new = substitution.substitute(reg, SubstituteInput(**values), by=current_user)
            except CorrectionError as e:
                db.session.rollback()
                apply_errors(form, e.errors)
                status = 422
            except NotAllowed:
                abort(404)
            except DomainError as e:
                db.session.rollback()
                blocked, status = e, 409
            else:
                db.session.commit()
                flash(_("%(new)s takes the place of %(old)s. Both have been told by e-mail.", new=new.full_name,
                        old=reg.full_name), "success")
                return redirect(done(new))
        else:
            _d, errors = substitution.validate(reg, SubstituteInput(**values))
            apply_errors(form, errors)
            db.session.rollback()
            status = 422
        if status == 422:
            flash(_("Please correct the marked fields. Nothing has been saved yet."), "error")
    return render_template("registration/substitute.html", reg=reg, forum=reg.forum, company=reg.company, form=form,
                           blocked=blocked, back=back, manage=manage), status


@bp.route("/my/registrations/<pid:public_id>/substitute", methods=["GET", "POST"])
@login_required
def substitute(public_id: str):
    reg = _own_registration(public_id)
    back = _back_to_my(reg)
    return _substitution_page(reg, back=back, manage=False, done=lambda new: back)


@bp.route("/manage/<slug>/registrations/<int:reg_id>/substitute", methods=["GET", "POST"])
@forum_permission(Permission.REVIEW)
def manage_substitute(slug: str, reg_id: int):
    reg = _forum_registration(reg_id)
    return _substitution_page(reg, back=url_for("review.detail", slug=slug, reg_id=reg.id), manage=True,
                              done=lambda new: url_for("review.detail", slug=slug, reg_id=new.id))


# --- the company's names -----------------------------------------------------------------------

def _company_page(company: CompanyRegistration, *, back: str, manage: bool):
    form = CompanyNamesForm()
    blocked, status = None, 200
    try:
        corrections.check_may_change_company(current_user, company)
    except NotAllowed:
        abort(404)
    except DomainError as e:
        blocked = e
    if request.method == "GET" and blocked is None:
        form.legal_name.data, form.name_en.data = company.legal_name, company.name_en
    elif request.method == "POST":
        if form.validate():
            try:
                changes = corrections.correct_company(
                    company, CompanyNamesInput(legal_name=form.legal_name.data, name_en=form.name_en.data),
                    by=current_user)
            except CorrectionError as e:
                db.session.rollback()
                apply_errors(form, e.errors)
                status = 422
            except NotAllowed:
                abort(404)
            except DomainError as e:
                db.session.rollback()
                blocked, status = e, 409
            else:
                db.session.commit()
                flash(_("The company's names are corrected.") if changes else _("Nothing was changed."),
                      "success" if changes else "info")
                return redirect(back)
        else:
            status = 422
        if status == 422:
            flash(_("Please correct the marked fields. Nothing has been saved yet."), "error")
    return render_template("registration/correct_company.html", company=company, forum=company.forum, form=form,
                           blocked=blocked, back=back, manage=manage), status


@bp.route("/my/companies/<pid:public_id>/correct", methods=["GET", "POST"])
@login_required
def correct_company(public_id: str):
    company = _by_public_id(CompanyRegistration, public_id)
    if not services.can_view_company(current_user, company):
        abort(404)
    return _company_page(company, back=url_for("registration.company", company_pid=company.public_id), manage=False)


@bp.route("/manage/<slug>/companies/<int:company_id>/correct", methods=["GET", "POST"])
@forum_permission(Permission.REVIEW)
def manage_correct_company(slug: str, company_id: int):
    company = db.get_or_404(CompanyRegistration, company_id)
    if company.forum_id != current_forum().id:
        abort(404)
    back = ascii_int(request.args.get("back_reg"))
    back_url = (url_for("review.detail", slug=slug, reg_id=back) if back
                else url_for("review.registrations", slug=slug, q=company.name_en))
    return _company_page(company, back=back_url, manage=True)


# --- the organizer has seen the change ---------------------------------------------------------

@bp.post("/manage/<slug>/registrations/<int:reg_id>/acknowledge")
@forum_permission(Permission.REVIEW)
def acknowledge(slug: str, reg_id: int):
    reg = _forum_registration(reg_id)
    if not AcknowledgeForm().validate():
        abort(400)
    try:
        corrections.acknowledge_change(reg, by=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "info")
    else:
        db.session.commit()
        flash(_("Marked as seen: %(name)s no longer shows “changed since approval”.", name=reg.full_name), "success")
    return redirect(url_for("review.detail", slug=slug, reg_id=reg.id))
