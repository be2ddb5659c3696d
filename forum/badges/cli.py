"""`forum badges SLUG --output FILE.pdf [--layout a6|a4]`: every approved delegate's badge of a forum in one
PDF, in the badge desk's order (country, then surname), marked printed like a download from the desk."""
from __future__ import annotations

import os

import click
from flask.cli import with_appcontext

from forum import languages
from forum.badges import render


@click.command("badges")
@click.argument("slug")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The PDF file to write.")
@click.option("--layout", type=click.Choice(render.LAYOUTS), default="a4", show_default=True,
              help="a4: four badges per A4 sheet with cut marks; a6: one badge per A6 page.")
@click.option("--language", type=click.Choice(languages.CODES), default=languages.DEFAULT, show_default=True,
              help="The language of the words printed on the badges (the category band, the country).")
@click.option("--mark-printed/--no-mark-printed", default=True, show_default=True,
              help="Record the badges as printed, as a download from the badge desk does.")
@with_appcontext
def badges(slug: str, output: str, layout: str, language: str, mark_printed: bool) -> None:
    """Write the badges of every approved delegate of the forum SLUG to a PDF file."""
    import sqlalchemy as sa
    from flask_babel import force_locale

    from forum.badges import printing
    from forum.db import db
    from forum.forums.models import Forum

    forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
    if forum is None:
        known = ", ".join(db.session.scalars(sa.select(Forum.slug).order_by(Forum.slug).limit(20))) or "none"
        raise click.ClickException(f"No forum with the slug {slug!r}. Forums: {known}")
    with open(output, "wb") as out, force_locale(language):
        n = printing.print_batch(forum, printing.Filters(), out, by=None, layout=layout, mark=mark_printed)
    if n == 0:
        os.unlink(output)
        raise click.ClickException(f"{forum.title} has no approved delegate: no file written.")
    db.session.commit()
    pages = n if layout == "a6" else -(-n // 4)
    click.echo(f"Wrote {n} badge{'s' if n != 1 else ''} on {pages} page{'s' if pages != 1 else ''} to {output}"
               + (" (marked printed)." if mark_printed else "."))
