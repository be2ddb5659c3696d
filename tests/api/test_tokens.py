"""Device tokens (forum/api/tokens.py): made only for someone who may check in, stored as a hash, found by
the hash, refused when revoked or when the account is disabled; creating and revoking are audited."""
import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.api import tokens
from forum.api.models import ApiToken
from forum.audit.models import AuditEntry
from forum.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from forum.teams import services as teams
from forum.teams.models import Permission
from tests import factories as f


def _entries(db, action):
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_a_new_token_is_shown_once_and_only_its_hash_and_prefix_are_stored(db):
    forum = f.forum()
    staff = f.member(forum, Permission.CHECKIN)
    boss = f.member(forum, Permission.MANAGE)
    new = tokens.create(staff, label="  Gate 1  ", forum=forum, by=boss)
    assert new.secret.startswith("fdt_") and len(new.secret) == 4 + 43
    row = db.session.get(ApiToken, new.token.id)
    assert row.token_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert row.prefix == new.secret[:12] and row.label == "Gate 1"
    assert (row.user_id, row.forum_id, row.created_by_id) == (staff.id, forum.id, boss.id)
    stored = db.session.execute(sa.select(ApiToken.__table__)).one()
    assert not any(new.secret in str(value) for value in stored)
    (entry,) = _entries(db, "api_token_created")
    assert (entry.actor_id, entry.forum_id, entry.subject_id) == (boss.id, forum.id, row.id)
    assert new.secret not in str(entry.details) and entry.details["label"] == "Gate 1"
    assert tokens.create(staff, label="Gate 2", forum=forum, by=None).secret != new.secret


@pytest.mark.parametrize("label,code", [("", "label_required"), ("   ", "label_required"), (None, "label_required"),
                                        ("x" * 101, "label_too_long"), ("Gate\x001", "label_invalid"),
                                        ("Gate\n1", "label_invalid")])
def test_a_label_is_required_printable_and_fits(db, label, code):
    forum = f.forum()
    with pytest.raises(InvalidInput) as e:
        tokens.create(f.member(forum, Permission.CHECKIN), label=label, forum=forum, by=None)
    assert (e.value.code, e.value.field) == (code, "label")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_label_is_kept_in_nfc_in_any_script(db):
    forum = f.forum()
    decomposed = "Кіру қақпасы — 入口 — Oʻzbek"
    import unicodedata

    new = tokens.create(f.member(forum, Permission.CHECKIN), label=unicodedata.normalize("NFD", decomposed),
                        forum=forum, by=None)
    assert new.token.label == unicodedata.normalize("NFC", decomposed)


def test_only_someone_who_may_check_in_there_gets_a_token(db):
    forum, other = f.forum(), f.forum()
    reviewer = f.member(forum, Permission.REVIEW)
    elsewhere = f.member(other, Permission.CHECKIN)
    for user, limit in [(reviewer, forum), (reviewer, None), (elsewhere, forum), (f.user(), None)]:
        with pytest.raises(InvalidInput) as e:
            tokens.create(user, label="Gate", forum=limit, by=None)
        assert (e.value.code, e.value.field) == ("no_checkin_permission", "user")
    # manage includes check-in; an unlimited token needs check-in somewhere; administrators may everywhere
    assert tokens.create(f.member(forum, Permission.MANAGE), label="Gate", forum=forum, by=None)
    assert tokens.create(elsewhere, label="Gate", forum=None, by=None).token.forum_id is None
    assert tokens.create(f.organizer(), label="Gate", forum=None, by=None)


def test_a_disabled_account_gets_no_token(db):
    forum = f.forum()
    staff = f.member(forum, Permission.CHECKIN)
    accounts.deactivate(staff, by=None)
    with pytest.raises(InvalidInput) as e:
        tokens.create(staff, label="Gate", forum=forum, by=None)
    assert e.value.code == "user_disabled"


def test_in_the_web_only_the_forums_managers_make_tokens_and_only_administrators_unlimited_ones(db):
    forum, other = f.forum(), f.forum()
    staff = f.member(forum, Permission.CHECKIN)
    for by in (staff, f.member(forum, Permission.REVIEW), f.member(other, Permission.MANAGE)):
        with pytest.raises(NotAllowed):
            tokens.create(staff, label="Gate", forum=forum, by=by)
    with pytest.raises(NotAllowed):
        tokens.create(staff, label="Gate", forum=None, by=f.member(forum, Permission.MANAGE))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert tokens.create(staff, label="Gate", forum=None, by=f.organizer()).token.forum_id is None


def test_authenticate_finds_a_live_token_by_its_secret_only(db):
    forum = f.forum()
    staff = f.member(forum, Permission.CHECKIN)
    new = tokens.create(staff, label="Gate", forum=forum, by=None)
    assert tokens.authenticate(new.secret).token.id == new.token.id
    for wrong in (None, "", new.secret[:-1], new.secret + "x", new.secret.upper(), new.token.token_hash,
                  new.token.prefix, "fdt_" + "é" * 43, "x" * 10_000):
        assert tokens.authenticate(wrong) is None


def test_with_a_forum_slug_the_same_query_brings_the_forum_the_membership_and_the_public_key(db):
    from forum.badges import keys
    from forum.badges.models import ForumKey
    from tests.test_query_counts import counting

    forum, other = f.forum(slug="astana"), f.forum(slug="tashkent")
    staff = f.member(forum, Permission.CHECKIN)
    secret = tokens.create(staff, label="Gate", forum=forum, by=None).secret
    public = keys.public_key(forum)
    tokens.authenticate(secret)  # the first use is noted
    db.session.commit()
    with counting(db.engine) as seen:
        here = tokens.authenticate(secret, forum_slug="astana")
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1
    assert (here.forum.id, here.member.user_id, here.member.checkin, here.public_key) == (
        forum.id, staff.id, True, public)
    there = tokens.authenticate(secret, forum_slug="tashkent")
    assert (there.forum.id, there.member, there.public_key) == (other.id, None, None)  # no key made yet
    assert tokens.authenticate(secret, forum_slug="nowhere").forum is None
    assert tokens.authenticate("fdt_wrong", forum_slug="astana") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumKey)) == 1


def test_a_revoked_token_or_a_disabled_account_is_refused(db):
    forum = f.forum()
    staff = f.member(forum, Permission.CHECKIN)
    one = tokens.create(staff, label="One", forum=forum, by=None)
    two = tokens.create(staff, label="Two", forum=forum, by=None)
    tokens.revoke(one.token, by=None)
    assert tokens.authenticate(one.secret) is None and tokens.authenticate(two.secret) is not None
    accounts.deactivate(staff, by=None)
    assert tokens.authenticate(two.secret) is None


def test_the_last_use_is_noted_at_most_once_a_minute(db):
    forum = f.forum()
    new = tokens.create(f.member(forum, Permission.CHECKIN), label="Gate", forum=forum, by=None)
    t0 = f.utc(2026, 9, 1, 8)

    def last_used():
        db.session.expire_all()
        return db.session.get(ApiToken, new.token.id).last_used_at

    tokens.authenticate(new.secret, now=t0)
    assert last_used() == t0
    tokens.authenticate(new.secret, now=t0 + timedelta(seconds=59))
    assert last_used() == t0
    tokens.authenticate(new.secret, now=t0 + timedelta(seconds=61))
    assert last_used() == t0 + timedelta(seconds=61)
    assert _entries(db, "api_token_used") == []


def test_authorize_needs_the_permission_on_that_forum_and_the_forum_limit(db):
    forum, other = f.forum(), f.forum()
    both = f.member(forum, Permission.CHECKIN)
    teams.grant(other, both, [Permission.CHECKIN], by=None)
    limited = tokens.create(both, label="A only", forum=forum, by=None).token
    unlimited = tokens.create(both, label="Anywhere", forum=None, by=None).token
    tokens.authorize(limited, forum)
    tokens.authorize(unlimited, forum)
    tokens.authorize(unlimited, other)
    with pytest.raises(NotAllowed) as e:
        tokens.authorize(limited, other)
    assert e.value.code == "token_other_forum"
    with pytest.raises(NotAllowed) as e:
        tokens.authorize(unlimited, f.forum())
    assert e.value.code == "forbidden"


def test_revoke_is_audited_once_and_only_by_a_manager_of_a_forum_the_token_reaches(db):
    forum, other = f.forum(), f.forum()
    staff = f.member(forum, Permission.CHECKIN)
    boss = f.member(forum, Permission.MANAGE)
    token = tokens.create(staff, label="Gate", forum=forum, by=None).token
    for by, where in [(staff, forum), (f.member(forum, Permission.REVIEW), forum)]:
        with pytest.raises(NotAllowed):
            tokens.revoke(token, by=by, forum=where)
    with pytest.raises(NotFound):  # the manager of another forum, through their own forum
        tokens.revoke(token, by=f.member(other, Permission.MANAGE), forum=other)
    with pytest.raises(NotAllowed):  # outside any forum: administrators only
        tokens.revoke(token, by=boss)
    assert token.revoked_at is None and _entries(db, "api_token_revoked") == []
    tokens.revoke(token, by=boss, forum=forum, now=f.utc(2026, 9, 1))
    assert (token.revoked_at, token.revoked_by_id) == (f.utc(2026, 9, 1), boss.id)
    with pytest.raises(InvalidState):
        tokens.revoke(token, by=boss, forum=forum)
    (entry,) = _entries(db, "api_token_revoked")
    assert (entry.actor_id, entry.forum_id, entry.subject_id) == (boss.id, forum.id, token.id)


def test_a_forums_list_has_its_own_tokens_and_the_unlimited_ones_that_reach_it(db):
    forum, other = f.forum(), f.forum()
    staff = f.member(forum, Permission.CHECKIN)
    reviewer = f.member(forum, Permission.REVIEW)
    outsider = f.member(other, Permission.CHECKIN)
    admin = f.organizer()
    own = tokens.create(staff, label="Own", forum=forum, by=None).token
    staff_anywhere = tokens.create(staff, label="Staff anywhere", forum=None, by=None).token
    admin_anywhere = tokens.create(admin, label="Admin anywhere", forum=None, by=None).token
    tokens.create(outsider, label="Other forum", forum=other, by=None)
    tokens.create(outsider, label="Outsider anywhere", forum=None, by=None)
    teams.grant(other, reviewer, [Permission.CHECKIN], by=None)
    tokens.create(reviewer, label="Reviewer anywhere", forum=None, by=None)  # cannot check in on `forum`
    tokens.revoke(own, by=None)
    listed = tokens.for_forum(forum)
    assert [row.token.label for row in listed] == ["Admin anywhere", "Staff anywhere", "Own"]
    assert all(row.can_scan for row in listed)
    assert tokens.on_forum(forum, admin_anywhere.id) is admin_anywhere
    assert tokens.on_forum(forum, staff_anywhere.id) is staff_anywhere
    # Their staff left the team: the forum's own token is still listed (to revoke), marked as refused.
    teams.revoke(db.session.scalar(sa.select(teams.TeamMember).where(teams.TeamMember.user_id == staff.id,
                                                                     teams.TeamMember.forum_id == forum.id)),
                 by=admin)
    listed = {row.token.label: row.can_scan for row in tokens.for_forum(forum)}
    assert listed == {"Admin anywhere": True, "Own": False}
    assert [row.token.label for row in tokens.for_forum(other)] == ["Reviewer anywhere", "Outsider anywhere",
                                                                    "Other forum", "Admin anywhere"]


def test_scanning_members_are_the_active_team_members_with_check_in_or_documents(db):
    forum = f.forum()
    a = f.member(forum, Permission.CHECKIN, name="Aigerim")
    b = f.member(forum, Permission.MANAGE, name="Bolat")
    f.member(forum, Permission.REVIEW, name="Chika")
    f.member(forum, Permission.B2B, name="Chinara")
    gone = f.member(forum, Permission.CHECKIN, name="Dana")
    accounts.deactivate(gone, by=None)
    f.member(f.forum(), Permission.CHECKIN, name="Elsewhere")
    clerk = f.member(forum, Permission.DOCUMENTS, name="Erlan")
    assert tokens.scanning_members(forum) == [a, b, clerk]


def test_a_documents_clerk_gets_a_token_for_their_forum_only(db):
    forum = f.forum()
    clerk = f.member(forum, Permission.DOCUMENTS)
    assert tokens.create(clerk, label="Register API", forum=forum, by=None).token.forum_id == forum.id
    with pytest.raises(InvalidInput) as e:
        tokens.create(clerk, label="Everywhere", forum=None, by=None)  # a token for every forum is the door's
    assert e.value.code == "no_checkin_permission"


def test_a_known_secret_for_the_demo_must_look_like_a_real_token(db):
    forum = f.forum()
    staff = f.member(forum, Permission.CHECKIN)
    for bad in ("fdt_short", "x" * 60, "fdt_" + "é" * 50):
        with pytest.raises(ValueError):
            tokens.create(staff, label="Demo", forum=forum, by=None, known_secret=bad)
    good = "fdt_" + "d" * 50
    made = tokens.create(staff, label="Demo", forum=forum, by=None, known_secret=good)
    assert made.secret == good and tokens.authenticate(good).token.id == made.token.id
