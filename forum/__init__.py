"""forum: run international business forums end to end."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_login import current_user

from forum import config as config_mod

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("FORUM_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(config_mod.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    config_mod.from_environment(app.config)
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'forum.sqlite'}"
    if not app.config.get("MAIL_FOLDER"):
        app.config["MAIL_FOLDER"] = str(Path(app.instance_path) / "mail")
    config_mod.ensure_secret_key(app.config, app.instance_path)
    config_mod.check_production(app.config)
    if app.config["PROXY_COUNT"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's real address for rate limits and the audit log; trust only as many hops as the operator says.
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from forum.urls import IdConverter, PublicIdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.url_map.converters["pid"] = PublicIdConverter
    _init_extensions(app)
    _register_blueprints(app)
    _retry_views(app)
    _register_template_helpers(app)
    from forum import security_headers

    security_headers.init_app(app)

    from forum.errors import register_error_handlers

    register_error_handlers(app)

    @app.before_request
    def _refuse_nul_bytes():
        # No address, form or query value ever needs a NUL; PostgreSQL refuses them (a 500). Say 400 instead.
        from flask import abort

        if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.values.items(multi=True)):
            abort(400)

    from forum.cli import register_commands

    register_commands(app)
    return app


def _select_locale() -> str:
    from flask import current_app, has_request_context

    langs = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in langs:
        return chosen
    # A page reached from a personal e-mail link (a postponement's answer) speaks the language that e-mail was in.
    from flask import g

    if g.get("reader_language") in langs:
        return g.reader_language
    if current_user and current_user.is_authenticated and current_user.language in langs:
        return current_user.language
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_extensions(app: Flask) -> None:
    from forum.db import configure_sqlite
    from forum.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    from forum.api.auth import CookieFreeApi

    app.session_interface = CookieFreeApi()  # no session cookie is read or written under /api/
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories=str(Path(__file__).parent / "translations"))
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    from forum.accounts import services as accounts
    from forum.accounts.models import User

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # "<id>:<session generation>" from the session or the remember-me cookie; a stale generation is refused.
        return accounts.user_for_session(session_id)

    # Import every model so metadata is complete for Alembic and create_all.
    from forum import models  # noqa: F401

    # Badges follow registrations' state changes (issued on approval, revoked on rejection, withdrawal, cancellation).
    from forum.badges.issuing import connect_signals

    connect_signals()
    # B2B requests follow them too: a delegate who leaves the forum has their open requests cancelled.
    from forum.meetings.requests import connect_signals as connect_meeting_signals

    connect_meeting_signals()
    # Published B2B meetings follow their requests: a cancelled request cancels its meeting.
    from forum.meetings.scheduling import connect_signals as connect_schedule_signals

    connect_schedule_signals()


def _register_blueprints(app: Flask) -> None:
    from forum.accounts.admin_views import bp as admin_bp
    from forum.accounts.views import bp as accounts_bp
    from forum.forums.views import bp as forums_bp
    from forum.forums.manage_views import bp as forums_manage_bp
    from forum.notifications.views import bp as mail_bp
    from forum.organisations.views import bp as organisations_bp
    from forum.registration.correction_views import bp as corrections_bp
    from forum.registration.views import bp as registration_bp
    from forum.review.views import bp as review_bp
    from forum.teams.views import bp as teams_bp
    from forum.badges.views import bp as badges_bp
    from forum.badges.public_views import bp as badge_page_bp
    from forum.badges.my_views import bp as my_badge_bp
    from forum.checkin.scanner_views import bp as scanner_bp
    from forum.checkin.views import bp as checkin_bp
    from forum.api.views import bp as api_bp
    from forum.api.token_views import bp as api_tokens_bp
    from forum.meetings.views import bp as b2b_bp
    from forum.meetings.profile_views import bp as b2b_directory_bp
    from forum.meetings.manage_request_views import bp as b2b_manage_requests_bp
    from forum.meetings.schedule_views import bp as b2b_schedule_bp
    from forum.meetings.my_meetings_views import bp as b2b_meetings_bp
    from forum.meetings.grid_views import bp as b2b_setup_bp
    from forum.meetings.availability_views import bp as b2b_availability_bp
    from forum.documents.views import bp as documents_bp
    from forum.documents.record_views import bp as documents_record_bp
    from forum.documents.scan_views import bp as documents_scans_bp
    from forum.documents.ceremony_views import bp as documents_ceremony_bp
    from forum.documents.followup_views import bp as documents_followup_bp
    from forum.documents.public_views import bp as public_documents_bp
    from forum.documents.party_views import bp as documents_party_bp
    from forum.documents.my_views import bp as my_documents_bp
    from forum.contacts.views import bp as contacts_bp
    from forum.agendas.views import bp as agendas_bp
    from forum.agendas.calendar_views import bp as agenda_calendar_bp
    from forum.agendas.pdf_views import bp as agenda_pdf_bp
    from forum.agendas.manage_views import bp as agendas_manage_bp
    from forum.attendance.views import bp as attendance_bp
    from forum.attendance.table_views import bp as attendance_table_bp
    from forum.attendance.walkin_views import bp as walk_ins_bp
    from forum.outcomes.views import bp as outcomes_bp
    from forum.outcomes.manage_views import bp as outcomes_manage_bp
    from forum.announcements.views import bp as announcements_bp
    from forum.postponements.views import bp as postponements_bp
    from forum.postponements.manage_views import bp as postponements_manage_bp
    import forum.api.documents  # noqa: F401  # its routes join api_bp before it is registered

    for bp in (forums_bp, accounts_bp, registration_bp, forums_manage_bp, review_bp, mail_bp, corrections_bp,
               organisations_bp, teams_bp, admin_bp, badges_bp, badge_page_bp, scanner_bp, checkin_bp, api_bp,
               api_tokens_bp, my_badge_bp, b2b_bp, b2b_directory_bp, b2b_manage_requests_bp, b2b_schedule_bp,
               b2b_meetings_bp, b2b_setup_bp, b2b_availability_bp, documents_bp, documents_record_bp,
               documents_scans_bp, documents_ceremony_bp, documents_followup_bp, public_documents_bp, documents_party_bp,
               my_documents_bp, contacts_bp, agendas_bp, agenda_calendar_bp, agenda_pdf_bp,
               agendas_manage_bp, attendance_bp,
               attendance_table_bp, walk_ins_bp, outcomes_bp, outcomes_manage_bp, announcements_bp, postponements_bp,
               postponements_manage_bp):
        app.register_blueprint(bp)


def _retry_views(app: Flask) -> None:
    """Every view runs again, once, when PostgreSQL aborts its transaction for a deadlock or serialisation failure."""
    from forum.db import retry_once_on_conflict

    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = retry_once_on_conflict(view)


def _register_template_helpers(app: Flask) -> None:
    from forum import templating

    templating.init_app(app)
