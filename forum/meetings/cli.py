"""B2B commands: `forum schedule solve PROBLEM.json --output PLAN.json [--time-limit SECONDS]` (../shared/b2b/FORMAT.md)
and `forum b2b expire` (pending requests past their forum's deadline expire)."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext


@click.group("schedule")
def schedule_group() -> None:
    """B2B meeting schedules."""


@schedule_group.command("solve")
@click.argument("problem", type=click.File("r", encoding="utf-8"))
@click.option("--output", "-o", required=True, type=click.File("w", encoding="utf-8"), help="Where the plan goes.")
@click.option("--time-limit", default=60.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds the solver may take.")
def solve_command(problem, output, time_limit: float) -> None:
    """Schedule the accepted requests of a problem file; print the objective, the proven bound and the time."""
    from forum.meetings import solver

    try:
        data = json.load(problem)
    except json.JSONDecodeError as e:
        raise click.ClickException(f"{problem.name} is not JSON: {e}")
    try:
        plan = solver.solve(data, time_limit=time_limit)
    except solver.ProblemError as e:
        raise click.ClickException(str(e))
    json.dump(plan, output, ensure_ascii=False, indent=1)
    gap = (plan["bound"] - plan["objective"]) / plan["bound"] * 100 if plan["bound"] else 0.0
    click.echo(f"objective {plan['objective']}  bound {plan['bound']}  gap {gap:.2f}%  "
               f"{len(plan['meetings'])} meetings, {len(plan['unscheduled'])} unscheduled  "
               f"{plan['solve_seconds']:.2f} s")


@click.group("b2b")
def b2b_group() -> None:
    """B2B meeting requests."""


@b2b_group.command("expire")
@with_appcontext
def expire_command() -> None:
    """Expire the pending requests of every forum whose request deadline has passed (the mail worker also does
    this once a minute); print how many."""
    from forum.db import db
    from forum.meetings import requests

    n = requests.expire_due()
    db.session.commit()
    click.echo(f"{n} request(s) expired")
