from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from forum.accounts import services
from forum.accounts.forms import ForgotPasswordForm, LanguageForm, LoginForm, ProfileForm, SetPasswordForm
from forum.db import db
from forum.errors import DomainError
from forum.extensions import limiter

bp = Blueprint("accounts", __name__)


def _safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    # Only local paths: never redirect to another site.
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return default


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _reset_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(url_for("registration.my")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as e:
            form.password.errors.append(e.message)
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            session["lang"] = user.language
            default = url_for("forums_manage.index") if user.is_organizer else url_for("registration.my")
            return redirect(_safe_next(default))
    return render_template("accounts/login.html", form=form), (200 if request.method == "GET" or form.errors == {} else 422)


@bp.post("/logout")
def logout():
    logout_user()
    session.pop("lang", None)
    flash(_("You have signed out."), "info")
    return redirect(url_for("forums.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account exists for %(email)s, we have sent it a link to choose a new password.",
                email=form.email.data), "info")
        return redirect(url_for(".login"))
    return render_template("accounts/forgot.html", form=form), (422 if form.errors else 200)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def set_password(token: str):
    try:
        user = services.user_from_token(token)
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for(".forgot_password"))
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(user, form.password.data)
        except DomainError as e:
            form.password.errors.append(e.message)
        else:
            db.session.commit()
            login_user(user)
            session["lang"] = user.language
            flash(_("Your password is set. You are signed in."), "success")
            return redirect(url_for("forums_manage.index") if user.is_organizer else url_for("registration.my"))
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
    return redirect(_safe_next(url_for("forums.index")))
