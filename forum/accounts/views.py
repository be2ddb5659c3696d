from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from forum.teams.models import Permission
from forum.teams.permissions import has_permission, is_on_a_team, visible_forums_query
from forum.accounts import services
from forum.accounts.forms import ForgotPasswordForm, LanguageForm, LoginForm, ProfileForm, SetPasswordForm
from forum.db import db
from forum.errors import DomainError
from forum.extensions import limiter
from forum.urls import safe_next

bp = Blueprint("accounts", __name__)


def _landing(user) -> str:
    """Where signing in leads (without a ?next=): the forum's overview for whoever is on one forum's team and
    reviews it, the door scanner for that forum's check-in staff, the list of forums for other team members,
    their own registrations for everyone else."""
    if not is_on_a_team(user):
        return url_for("registration.my")
    forums = db.session.scalars(visible_forums_query(user).limit(2)).all()
    if len(forums) == 1 and has_permission(user, forums[0], Permission.REVIEW):
        return url_for("review.dashboard", slug=forums[0].slug)
    if len(forums) == 1 and has_permission(user, forums[0], Permission.CHECKIN):
        return url_for("scanner.page", slug=forums[0].slug)
    return url_for("forums_manage.index")


def _account_key() -> str:
    """Limits per account: guessing one account's password is slowed down wherever it comes from."""
    return "account:" + services.normalize_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failed attempts count against an account (a sign-in redirects; a refusal re-renders).
    return response.status_code not in (302, 303)


def _limit(name: str):
    return lambda: current_app.config[name]


# Per address the limits are generous: a venue's delegates share one network address.
login_limits = [
    limiter.limit(_limit("RATELIMIT_LOGIN"), key_func=_account_key, methods=["POST"], deduct_when=_failed),
    limiter.limit(_limit("RATELIMIT_LOGIN_PER_ADDRESS"), methods=["POST"]),
]
reset_limits = [
    limiter.limit(_limit("RATELIMIT_PASSWORD_RESET"), key_func=_account_key, methods=["POST"]),
    limiter.limit(_limit("RATELIMIT_PASSWORD_RESET_PER_ADDRESS"), methods=["POST"]),
]


def _limited(limits):
    def decorator(view):
        for lim in reversed(limits):
            view = lim(view)
        return view
    return decorator


def _signed_in(user, remember: bool = False) -> None:
    """Start a new session: nothing of the anonymous one survives (its CSRF token included, so a
    token planted or read before sign-in is useless after it) but the language chosen before signing
    in, which is kept and saved to the account."""
    lang = services.language_after_sign_in(user, session.get("lang"))
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's copy for this request
    session["lang"] = lang
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@_limited(login_limits)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("registration.my")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, address=request.remote_addr)
        except DomainError as e:
            db.session.commit()  # the failed attempt's audit entry
            form.password.errors.append(e.message)
        else:
            _signed_in(user, remember=form.remember.data)
            db.session.commit()
            return redirect(safe_next(_landing(user)))
    return render_template("accounts/login.html", form=form), (200 if request.method == "GET" or form.errors == {} else 422)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.sign_out(current_user, address=request.remote_addr)
        db.session.commit()
    logout_user()
    session.pop("lang", None)
    flash(_("You have signed out."), "info")
    return redirect(url_for("forums.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@_limited(reset_limits)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, address=request.remote_addr)
        db.session.commit()
        flash(_("If an account exists for %(email)s, a link to choose a new password is on its way to it.",
                email=form.email.data), "info")
        return redirect(url_for(".login"))
    return render_template("accounts/forgot.html", form=form), (422 if form.errors else 200)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_PASSWORD_RESET_PER_ADDRESS"), methods=["POST"])
def set_password(token: str):
    try:
        user, purpose = services.user_and_purpose_from_token(token)
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for(".forgot_password"))
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(user, form.password.data, purpose=purpose, address=request.remote_addr)
        except DomainError as e:
            form.password.errors.append(e.message)
        else:
            _signed_in(user)
            db.session.commit()
            flash(_("Your password is set. You are signed in."), "success")
            return redirect(_landing(user))
    return render_template("accounts/set_password.html", form=form, user=user), (422 if form.errors else 200)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.display_name.data, form.language.data)
        except DomainError as e:
            form.display_name.errors.append(e.message)
        else:
            db.session.commit()
            session["lang"] = current_user.language
            flash(_("Saved."), "success")
            return redirect(url_for(".account"))
    return render_template("accounts/account.html", form=form), (422 if form.errors else 200)


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            services.set_language(current_user, form.lang.data)
            db.session.commit()
    return redirect(safe_next(url_for("forums.index")))
