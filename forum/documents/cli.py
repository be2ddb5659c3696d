"""Documents register commands: `forum documents digest [--now ISO]` queues this week's review digests (the mail
worker also does this, at most once an hour)."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask.cli import with_appcontext


@click.group("documents")
def documents_group() -> None:
    """The register of documents exchanged."""


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("an ISO 8601 date and time, e.g. 2026-11-23T08:00+05:00", param_hint="--now")
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


@documents_group.command("digest")
@click.option("--now", "now_text", default=None, metavar="ISO",
              help="Act as if it were this moment (ISO 8601; without a zone: UTC). Default: now.")
@with_appcontext
def digest_command(now_text: str | None) -> None:
    """Queue the weekly review digest for each forum with documents due, once per recipient and ISO week (from
    Monday 08:00 in the forum's time zone); print how many were queued."""
    from forum.db import db
    from forum.documents import followup

    result = followup.send_weekly_digests(_parse_now(now_text))
    db.session.commit()
    click.echo(f"{result.sent} digest(s) queued for {result.forums} forum(s) with documents due; "
               f"{result.skipped} already sent this week")
