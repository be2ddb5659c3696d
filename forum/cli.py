"""The `forum` command: Flask's CLI (run, db, shell, routes) plus the project's own commands."""
from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from forum import languages
from forum.db import retry_once_on_conflict


def _create_app() -> Flask:
    from forum import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Run international business forums: `forum run`, `forum db upgrade`, `forum demo`, `forum worker`."""


@click.group("user")
def user_group() -> None:
    """Manage accounts."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--admin", is_flag=True, help="A site administrator: manages users, creates forums, may do everything. "
              "The first account made while the site has no administrator is one anyway.")
@click.option("--language", type=click.Choice(languages.CODES), default=languages.DEFAULT, show_default=True)
@with_appcontext
def create_user(email: str, name: str, admin: bool, language: str) -> None:
    """Create an account; the password comes from FORUM_PASSWORD or a prompt."""
    from forum.accounts import administration, services
    from forum.db import db
    from forum.errors import DomainError

    password = os.environ.get("FORUM_PASSWORD") or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    # Without an administrator nobody could create a forum or manage users: the first one is made here.
    first = not administration.has_admin()
    try:
        user = services.create_user(email, name, password, language, is_admin=admin or first)
    except DomainError as e:
        raise click.ClickException(e.message)
    db.session.commit()
    click.echo(f"Created {'administrator' if user.is_admin else 'user'} {user.email}")
    if first and not admin:
        click.echo("The site had no administrator yet, so this account is one (--admin was not needed). "
                   "Administrators manage users and create forums.")


@user_group.command("deactivate")
@click.option("--email", required=True)
@click.option("--reason", default="", help="Kept in the audit log.")
@with_appcontext
def deactivate_user(email: str, reason: str) -> None:
    """Disable an account: it can no longer sign in, and every session and remember-me cookie ends now."""
    from forum.accounts import services
    from forum.db import db
    from forum.errors import DomainError

    user = services.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the e-mail address {email}")
    try:
        services.deactivate(user, by=None, reason=reason)
    except DomainError as e:
        raise click.ClickException(e.message)
    db.session.commit()
    click.echo(f"Deactivated {user.email}; its sessions have ended.")


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now and exit.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls when idle.")
@click.option("--batch", default=20, show_default=True)
@with_appcontext
def worker(once: bool, interval: float, batch: int) -> None:
    """Send queued e-mail from the outbox (safe to run as several processes)."""
    import signal
    import sys

    from flask import current_app

    from forum.notifications.worker import run_forever, send_due

    if once:
        sent, failed = send_due(batch=batch)
        click.echo(f"{sent} sent, {failed} failed")
        return
    cfg = current_app.config
    where = (f"SMTP {cfg['MAIL_SERVER']}:{cfg.get('MAIL_PORT') or 25}" if cfg.get("MAIL_SERVER")
             else f"no MAIL_SERVER: .eml files in {cfg['MAIL_FOLDER']}")
    click.echo(f"Outbox worker running ({where}); links in mail use {cfg['BASE_URL']}. Ctrl+C stops it.")
    # SIGTERM (systemd, `make run` ending) stops like Ctrl+C: the worker gives back the claims it
    # has not started instead of leaving them until their lease expires.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run_forever(interval=interval, batch=batch)
    except KeyboardInterrupt:
        pass


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no forum yet.")
@with_appcontext
@retry_once_on_conflict
def demo(if_empty: bool) -> None:
    """Load the demo forums, companies, delegates and logins (running it twice changes nothing)."""
    from forum.demo import load

    load(if_empty=if_empty, echo=click.echo)


@click.command("catalogs")
def catalogs_command() -> None:
    """How complete each interface language's translation is; exits 1 when one is not."""
    from forum import catalogs

    rows = catalogs.report()
    for c in rows:
        click.echo(f"{c.language}: {c.translated}/{c.total} translated ({c.percent:.1f} %); "
                   f"missing {len(c.missing)}, fuzzy {len(c.fuzzy)}, placeholders differ {len(c.placeholders)}")
        for what, keys in (("missing", c.missing), ("fuzzy", c.fuzzy), ("placeholders differ", c.placeholders)):
            for key in keys[:10]:
                click.echo(f"    {what}: {key[:100]!r}")
            if len(keys) > 10:
                click.echo(f"    … and {len(keys) - 10} more {what}")
    if not all(c.complete for c in rows):
        raise SystemExit(1)


def register_commands(app: Flask) -> None:
    from forum.notifications.cli import mail_group

    app.cli.add_command(catalogs_command)

    app.cli.add_command(user_group)
    app.cli.add_command(worker)
    app.cli.add_command(demo)
    app.cli.add_command(mail_group)
    from forum.badges.cli import badges

    app.cli.add_command(badges)

    from forum.api.cli import api_token_group

    app.cli.add_command(api_token_group)

    from forum.meetings.cli import b2b_group, schedule_group

    app.cli.add_command(schedule_group)
    app.cli.add_command(b2b_group)
    from forum.documents.cli import documents_group

    app.cli.add_command(documents_group)
    from forum.meetings.schedule_cli import b2b_schedule_command

    app.cli.add_command(b2b_schedule_command)
