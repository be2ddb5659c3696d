"""`forum b2b-schedule SLUG [--time-limit S] [--publish] [--as EMAIL]`."""
import sqlalchemy as sa

from forum.meetings.models import Meeting, MeetingState, RunStatus, ScheduleRun
from forum.teams.models import Permission
from tests import factories as f
from tests.meetings.schedule_fixtures import grid


def _forum(db):
    forum = f.forum(slug="central-asia-japan")
    grid(forum, 2, 1)
    a = f.participant(forum, languages=["ru"], full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy")
    b = f.participant(forum, languages=["ru", "ja"], full_name="山田 太郎", latin_name="YAMADA Taro")
    f.meeting_request(a, b, priority="must", accept=True)
    return forum


def test_runs_prints_the_figures_and_keeps_a_draft(app, db):
    _forum(db)
    f.organizer()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["b2b-schedule", "central-asia-japan", "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    run = db.session.scalar(sa.select(ScheduleRun))
    assert f"run {run.id}: objective 2  bound 2  gap 0.00%  1 of 1 scheduled" in result.output
    assert run.status is RunStatus.DRAFT and db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_publish_as_a_team_member(app, db):
    forum = _forum(db)
    team = f.member(forum, Permission.B2B, email="b2b@example.org")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["b2b-schedule", "central-asia-japan", "--publish", "--as",
                                                "B2B@example.org", "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    assert "published: 1 new, 0 moved, 0 cancelled, 0 unchanged; 2 delegates e-mailed" in result.output
    run = db.session.scalar(sa.select(ScheduleRun))
    assert run.status is RunStatus.PUBLISHED and run.published_by_id == team.id
    assert db.session.scalar(sa.select(Meeting)).state is MeetingState.SCHEDULED


def test_refusals_are_reported_with_their_code(app, db):
    forum = f.forum(slug="empty")
    f.organizer()
    outsider = f.user(email="nobody@example.org")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["b2b-schedule", "empty"])
    assert result.exit_code == 1 and "no_slots" in result.output
    result = runner.invoke(args=["b2b-schedule", "empty", "--as", outsider.email])
    assert result.exit_code == 1 and "forbidden" in result.output
    result = runner.invoke(args=["b2b-schedule", "no-such-forum"])
    assert result.exit_code == 1 and "no forum 'no-such-forum'" in result.output
    result = runner.invoke(args=["b2b-schedule", "empty", "--time-limit", "500"])
    assert result.exit_code == 2
    assert forum.id and db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleRun)) == 0
