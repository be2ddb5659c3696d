"""`forum api-token create|list|revoke`: device tokens from the command line (the operator: no web login)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from forum.db import retry_once_on_conflict


@click.group("api-token")
def api_token_group() -> None:
    """Device tokens for scanning devices (the JSON API under /api/v1)."""


def _forum(slug: str | None):
    from forum.db import db
    from forum.forums.models import Forum

    if slug is None:
        return None
    forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
    if forum is None:
        raise click.ClickException(f"No forum with the slug {slug}")
    return forum


@api_token_group.command("create")
@click.option("--email", required=True, help="Whose permissions the token acts with.")
@click.option("--label", required=True, help="The device's name, e.g. \"Gate 1\": scans record it.")
@click.option("--forum", "slug", default=None, help="Limit the token to this forum (default: every forum where "
              "the user may check in).")
@with_appcontext
@retry_once_on_conflict
def create(email: str, label: str, slug: str | None) -> None:
    """Make a token; it is printed once, alone on the last line."""
    from forum.accounts import services as accounts
    from forum.api import tokens
    from forum.db import db
    from forum.errors import DomainError

    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the e-mail address {email}")
    forum = _forum(slug)
    try:
        new = tokens.create(user, label=label, forum=forum, by=None)
    except DomainError as e:
        raise click.ClickException(e.message)
    db.session.commit()
    where = f"forum {forum.slug}" if forum else "every forum where they may check in"
    click.echo(f"Device token {new.token.id} \"{new.token.label}\" for {user.email}, {where}. "
               f"It is shown only now; send it as Authorization: Bearer <token>:", err=True)
    click.echo(new.secret)


@api_token_group.command("list")
@click.option("--forum", "slug", default=None, help="Only the tokens that can act on this forum.")
@with_appcontext
def list_tokens(slug: str | None) -> None:
    """Every token: id, prefix, label, user, forum, last use, and whether it is revoked."""
    from forum.api import tokens

    for t in tokens.all_tokens(_forum(slug)):
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}Z" if t.revoked_at else "live"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}Z" if t.last_used_at else "never"
        click.echo(f"{t.id}\t{t.prefix}…\t{t.label}\t{t.user.email}\t{t.forum.slug if t.forum else '*'}\t"
                   f"used {used}\t{state}")


@api_token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def revoke(token_id: int) -> None:
    """Revoke the token with this id (see `list`): it stops working now."""
    from forum.api import tokens
    from forum.api.models import ApiToken
    from forum.db import db
    from forum.errors import DomainError

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No device token {token_id}")
    try:
        tokens.revoke(token, by=None)
    except DomainError as e:
        raise click.ClickException(e.message)
    db.session.commit()
    click.echo(f"Revoked device token {token.id} \"{token.label}\" ({token.prefix}…).")
