"""The rules of a forum's team (forum/teams/services.py), one test per rule, asserting the error codes."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.audit.models import AuditEntry
from forum.errors import DomainError
from forum.notifications.models import OutboxMessage
from forum.teams import services as teams
from forum.teams.models import Permission, TeamMember
from tests import factories as f


def _code(call) -> str:
    with pytest.raises(DomainError) as e:
        call()
    return e.value.code


def _audit(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _mails(db, to: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_addr == to)))


@pytest.fixture()
def forum(db):
    return f.forum(slug="astana")


def test_a_new_email_gets_an_account_without_password_and_an_invitation_in_its_language(db, forum):
    boss = f.member(forum, "manage", name="Aigerim")
    added = teams.add_member(forum, "Tanaka@Example.JP", ["review", "checkin"], by=boss, name="田中 健一", language="ja")
    assert added.invited
    user = added.member.user
    assert (user.email, user.display_name, user.language, user.has_password) == (
        "tanaka@example.jp", "田中 健一", "ja", False)
    assert added.member.permissions == [Permission.REVIEW, Permission.CHECKIN]
    [mail] = _mails(db, "tanaka@example.jp")
    assert mail.template == "team_invitation" and mail.language == "ja" and mail.forum_id == forum.id
    assert "Central Asia + Japan Business Forum" in mail.subject
    # Rendered in Japanese (the new sentences are translated by the merger; these already are).
    assert "田中 健一 様" in mail.body_text and "日時：" in mail.body_text
    link = next(line for line in mail.body_text.splitlines() if "/password/set/" in line).strip()
    assert accounts.user_from_token(link.rsplit("/", 1)[1]).id == user.id  # the link sets this account's password
    [created] = _audit(db, "account_created")
    assert (created.subject_id, created.actor_id, created.forum_id) == (user.id, boss.id, forum.id)
    [entry] = [e for e in _audit(db, "member_added") if e.details["user_id"] == user.id]
    assert entry.actor_id == boss.id and entry.details["after"] == ["review", "checkin"]


def test_an_existing_account_is_told_it_was_added_in_its_own_language(db, forum):
    boss = f.member(forum, "manage")
    olga = f.user(email="olga@example.kz", name="Ольга", language="ru")
    added = teams.add_member(forum, "OLGA@example.kz", ["review"], by=boss, name="ignored", language="ja")
    assert not added.invited and added.member.user_id == olga.id
    assert olga.display_name == "Ольга" and olga.language == "ru"  # an existing account keeps its own
    [mail] = _mails(db, "olga@example.kz")
    assert mail.template == "team_added" and mail.language == "ru"
    assert "Здравствуйте, Ольга!" in mail.body_text and "Когда:" in mail.body_text
    assert "http://forum.test/manage/" in mail.body_text and "/password/set/" not in mail.body_text
    assert _audit(db, "account_created") == []


def test_an_account_without_a_password_is_added_with_a_link_to_choose_one(db, forum):
    delegate = f.registration_(forum).user  # a delegate's account: never chose a password
    teams.add_member(forum, delegate.email, ["checkin"], by=f.organizer())
    [mail] = [m for m in _mails(db, delegate.email) if m.template == "team_added"]
    assert "/password/set/" in mail.body_text


@pytest.mark.parametrize("perms, code", [([], "no_permission"), (["manage", "owner"], "bad_permission")])
def test_permissions_come_from_the_fixed_list(db, forum, perms, code):
    assert _code(lambda: teams.add_member(forum, "x@example.org", perms, by=f.organizer())) == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TeamMember)) == 0


def test_adding_refuses_a_bad_address_a_member_twice_a_disabled_account_and_a_two_line_name(db, forum):
    admin = f.organizer()
    assert _code(lambda: teams.add_member(forum, "not an address", ["review"], by=admin)) == "bad_email"
    member = f.member(forum, "review")
    assert _code(lambda: teams.add_member(forum, member.email, ["checkin"], by=admin)) == "already_member"
    gone = f.user()
    accounts.deactivate(gone, by=None)
    assert _code(lambda: teams.add_member(forum, gone.email, ["checkin"], by=admin)) == "account_disabled"
    assert _code(lambda: teams.add_member(forum, "new@example.org", ["review"], by=admin,
                                          name="Anna\nBcc: x@evil.example")) == "line_break"
    assert [m.user_id for m in teams.members(forum)] == [member.id]


def test_only_managers_and_administrators_change_a_team(db, forum):
    reviewer = f.member(forum, "review", "checkin", "documents", "b2b")  # everything but manage
    other = f.member(f.forum(), "manage")
    door = f.member(forum, "checkin")
    member = db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == door.id))
    for by in (reviewer, other):
        assert _code(lambda: teams.add_member(forum, "x@example.org", ["review"], by=by)) == "forbidden"
        assert _code(lambda: teams.change_member(member, ["review"], by=by)) == "forbidden"
        assert _code(lambda: teams.revoke(member, by=by)) == "forbidden"
    assert accounts.find_by_email("x@example.org") is None
    teams.change_member(member, ["checkin", "b2b"], by=f.member(forum, "manage"))
    assert member.permissions == [Permission.CHECKIN, Permission.B2B]


def test_changes_are_audited_with_before_and_after(db, forum):
    boss = f.member(forum, "manage")
    door = f.member(forum, "checkin")
    member = db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == door.id))
    teams.change_member(member, ["review", "checkin"], by=boss)
    teams.change_member(member, ["review", "checkin"], by=boss)  # no change: no entry
    [changed] = _audit(db, "member_changed")
    assert (changed.actor_id, changed.forum_id, changed.details["before"], changed.details["after"]) == (
        boss.id, forum.id, ["checkin"], ["review", "checkin"])
    member_id = member.id
    teams.revoke(member, by=boss)
    [removed] = _audit(db, "member_removed")
    assert (removed.subject_id, removed.actor_id, removed.details["before"], removed.details["email"]) == (
        member_id, boss.id, ["review", "checkin"], door.email)
    assert db.session.get(TeamMember, member_id) is None
    assert accounts.find_by_email(door.email) is not None  # the account stays


def test_nobody_gives_themselves_more(db, forum):
    f.member(forum, "manage")
    me = f.member(forum, "review")
    mine = db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == me.id))
    assert _code(lambda: teams.change_member(mine, ["review", "manage"], by=me)) == "own_permissions"
    assert _code(lambda: teams.change_member(mine, ["checkin"], by=me)) == "own_permissions"
    assert mine.permissions == [Permission.REVIEW]


def test_a_manager_may_lower_their_own_permissions_when_another_manager_remains(db, forum):
    f.member(forum, "manage")
    me = f.member(forum, "manage")
    mine = db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == me.id))
    teams.change_member(mine, ["review"], by=me)
    assert mine.permissions == [Permission.REVIEW]


def test_the_last_manager_stays_unless_an_administrator_removes_them(db, forum):
    boss = f.member(forum, "manage")
    f.member(forum, "review", "checkin")
    mine = db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == boss.id))
    assert _code(lambda: teams.change_member(mine, ["review"], by=boss)) == "last_manager"
    assert _code(lambda: teams.revoke(mine, by=boss)) == "last_manager"
    # A manager whose account is disabled manages nothing: they do not count.
    gone = f.member(forum, "manage")
    accounts.deactivate(gone, by=None)
    assert _code(lambda: teams.revoke(mine, by=boss)) == "last_manager"
    # With a second active manager, either may go.
    second = f.member(forum, "manage")
    teams.change_member(mine, ["review"], by=boss)
    theirs = db.session.scalar(sa.select(TeamMember).where(TeamMember.user_id == second.id))
    # An administrator may leave the forum to the administrators.
    teams.revoke(theirs, by=f.organizer())
    assert not any(m.manage and m.user.active for m in teams.members(forum))


def test_the_creator_of_a_forum_manages_it_and_only_administrators_create_forums(db):
    from forum.forums.services import save_forum
    from tests.teams.test_permission_matrix import forum_input_from

    template = f.forum(slug="template")
    admin = f.organizer()
    created = save_forum(forum_input_from(template, slug="new-forum"), by=admin)
    [member] = teams.members(created)
    assert member.user_id == admin.id and member.permissions == [Permission.MANAGE]
    manager = f.member(template, "manage")
    assert _code(lambda: save_forum(forum_input_from(template, slug="another"), by=manager)) == "not_admin"
