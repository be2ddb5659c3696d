"""`forum api-token create|list|revoke`: the new token alone on the last line, and it works."""
import sqlalchemy as sa

from forum.api.models import ApiToken
from forum.audit.models import AuditEntry
from forum.teams.models import Permission
from tests import factories as f


def _fresh(db, token_id):
    db.session.expire_all()
    return db.session.get(ApiToken, token_id)


def test_create_prints_the_token_alone_on_its_last_line_and_it_works(app, client, db):
    forum = f.forum(slug="astana")
    f.member(forum, Permission.CHECKIN, email="staff@example.org")
    badge = f.badge(forum)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["api-token", "create", "--email", "Staff@Example.org",
                                                "--label", "Gate 1"])
    assert result.exit_code == 0, result.output
    secret = result.output.rstrip("\n").splitlines()[-1]
    assert secret.startswith("fdt_") and len(secret) == 47 and secret == secret.strip()
    assert result.stdout.strip() == secret  # the explanation goes to stderr: `$(forum api-token create ...)` works
    token = db.session.scalar(sa.select(ApiToken))
    assert (token.label, token.forum_id, token.created_by_id) == ("Gate 1", None, None)
    assert secret not in (token.token_hash, token.prefix)
    r = client.post("/api/v1/forums/astana/checkins", json={"code": badge.token, "nonce": "cli-1"},
                    headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200 and r.get_json()["status"] == "ok"


def test_create_limited_to_a_forum(app, client, db):
    forum, other = f.forum(slug="astana"), f.forum(slug="tashkent")
    staff = f.member(forum, Permission.CHECKIN, email="staff@example.org")
    from forum.teams import services as teams

    teams.grant(other, staff, [Permission.CHECKIN], by=None)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["api-token", "create", "--email", "staff@example.org",
                                                "--label", "Gate 1", "--forum", "astana"])
    assert result.exit_code == 0, result.output
    secret = result.output.splitlines()[-1]
    assert db.session.scalar(sa.select(ApiToken.forum_id)) == forum.id
    r = client.post("/api/v1/forums/tashkent/checkins", json={"code": "x", "nonce": "n"},
                    headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 403 and r.get_json()["error"] == "token_other_forum"


def test_create_refuses_unknown_people_forums_and_people_who_may_not_check_in(app, db):
    forum = f.forum(slug="astana")
    f.member(forum, Permission.REVIEW, email="reviewer@example.org")
    db.session.commit()
    runner = app.test_cli_runner()
    for args, says in [(["--email", "nobody@example.org", "--label", "G"], "No account"),
                       (["--email", "reviewer@example.org", "--label", "G", "--forum", "nope"], "No forum"),
                       (["--email", "reviewer@example.org", "--label", "G", "--forum", "astana"], "check-in"),
                       (["--email", "reviewer@example.org", "--label", "G"], "check-in"),
                       (["--email", "reviewer@example.org", "--label", " "], "name")]:
        result = runner.invoke(args=["api-token", "create", *args])
        assert result.exit_code != 0 and says in result.output, (args, result.output)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_list_and_revoke(app, client, db):
    forum = f.forum(slug="astana")
    f.member(forum, Permission.CHECKIN, email="staff@example.org")
    db.session.commit()
    runner = app.test_cli_runner()
    secret = runner.invoke(args=["api-token", "create", "--email", "staff@example.org", "--label", "Gate 1",
                                 "--forum", "astana"]).output.splitlines()[-1]
    token = db.session.scalar(sa.select(ApiToken))
    listed = runner.invoke(args=["api-token", "list"]).output
    assert "Gate 1" in listed and token.prefix in listed and "staff@example.org" in listed and "live" in listed
    assert secret not in listed
    assert runner.invoke(args=["api-token", "list", "--forum", "astana"]).output == listed
    result = runner.invoke(args=["api-token", "revoke", str(token.id)])
    assert result.exit_code == 0, result.output
    assert _fresh(db, token.id).revoked_at is not None
    assert "revoked" in runner.invoke(args=["api-token", "list"]).output
    again = runner.invoke(args=["api-token", "revoke", str(token.id)])
    assert again.exit_code != 0 and "already" in again.output
    assert runner.invoke(args=["api-token", "revoke", "999"]).exit_code != 0
    r = client.post("/api/v1/forums/astana/checkins", json={"code": "x", "nonce": "n"},
                    headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject_type == "api_token")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["api_token_created", "api_token_revoked"]
