"""`forum mail ...`: the outbox from the command line."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("mail")
def mail_group() -> None:
    """The outbox: mail that failed."""


@mail_group.command("retry-failed")
@click.option("--template", help="Only mail of this kind (its template name, e.g. delegate_registered).")
@click.option("--forum", "slug", help="Only the mail of this forum (its slug).")
@with_appcontext
def retry_failed(template: str | None, slug: str | None) -> None:
    """Queue failed mail again: attempts start afresh; the last error stays until it is sent."""
    import sqlalchemy as sa

    from forum.db import db
    from forum.forums.models import Forum
    from forum.notifications import admin

    forum_id = None
    if slug is not None:
        forum_id = db.session.scalar(sa.select(Forum.id).where(Forum.slug == slug))
        if forum_id is None:
            raise click.ClickException(f"No forum with the slug {slug!r}.")
    ids = admin.requeue_failed(forum_id=forum_id, template=template, by=None, via="cli")
    db.session.commit()
    click.echo(f"{len(ids)} failed message{'s' if len(ids) != 1 else ''} queued again.")
