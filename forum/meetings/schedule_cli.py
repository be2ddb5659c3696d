"""`forum b2b-schedule SLUG [--time-limit S] [--publish]`: run the scheduler on a forum's database, print the
figures, and publish the run when asked (as the site's system, audited without an actor)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext


@click.command("b2b-schedule")
@click.argument("slug")
@click.option("--time-limit", default=20, show_default=True, type=click.IntRange(1, 120),
              help="Seconds the solver may take.")
@click.option("--publish", "publish_", is_flag=True, help="Publish the run at once (e-mails the delegates concerned).")
@click.option("--as", "as_email", default=None, help="The e-mail address of the team member it is done as "
              "(default: the first site administrator).")
@with_appcontext
def b2b_schedule_command(slug: str, time_limit: int, publish_: bool, as_email: str | None) -> None:
    """Schedule a forum's accepted B2B requests; print the objective, the proven bound and the time."""
    from forum.accounts.models import User
    from forum.db import db
    from forum.errors import DomainError
    from forum.forums.models import Forum
    from forum.meetings import scheduling

    forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
    if forum is None:
        raise click.ClickException(f"no forum {slug!r}")
    if as_email:
        by = db.session.scalar(sa.select(User).where(User.email == as_email.strip().lower()))
    else:
        by = db.session.scalar(sa.select(User).where(User.is_admin.is_(True)).order_by(User.id).limit(1))
    if by is None:
        raise click.ClickException("no such user: give --as the e-mail of a team member with the B2B permission")
    try:
        run = scheduling.run(forum, by=by, time_limit=time_limit)
        db.session.commit()
        click.echo(f"run {run.id}: objective {run.objective}  bound {run.bound}  gap {run.gap * 100:.2f}%  "
                   f"{run.n_scheduled} of {run.n_requests} scheduled  {run.solve_seconds:.2f} s")
        if publish_:
            diff = scheduling.publish(run, by=by)
            db.session.commit()
            click.echo(f"published: {len(diff.added)} new, {len(diff.moved)} moved, {len(diff.dropped)} cancelled, "
                       f"{diff.unchanged} unchanged; {len(diff.people)} delegates e-mailed")
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(f"{e.code}: {e.message}")
