"""A rejection reverted: rejected -> pending by a reviewer, with a reason, audited, the delegate told in their
language; through the one transition function; never in a cancelled forum."""
import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums import cancellation
from forum.notifications.models import OutboxMessage
from forum.registration import states
from forum.registration.models import RegState, Registration
from forum.review import services as review
from forum.teams.models import Permission
from tests import factories as f


@pytest.fixture()
def rejected(db):
    forum, org = f.forum(), f.organizer()
    company = f.company(forum, 0, language="ru", delegates=[f.delegate_input(language="ja")])
    reg = company.delegates[0]
    review.decide(reg, "reject", by=org, reason="Company could not be verified")
    db.session.execute(sa.delete(OutboxMessage))
    return forum, org, reg


def test_a_reviewer_reconsiders_with_a_reason_audited_and_the_delegate_is_told_in_their_language(db, rejected):
    forum, _org, reg = rejected
    reviewer = f.member(forum, Permission.REVIEW)
    review.reconsider(reg, by=reviewer, reason="The chamber vouched for them")
    assert reg.state is RegState.PENDING and reg.decision_reason == "The chamber vouched for them"
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_id == reg.id, AuditEntry.action == "state_change").order_by(AuditEntry.id.desc())).first()
    assert (entry.actor_id, entry.from_state, entry.to_state, entry.reason) == (
        reviewer.id, "rejected", "pending", "The chamber vouched for them")
    mails = dict(db.session.execute(sa.select(OutboxMessage.to_addr, OutboxMessage.language)
                                    .where(OutboxMessage.template == "reconsidered")).all())
    assert mails == {reg.email: "ja", reg.company.contact_email: "ru"}


def test_the_reconsidered_mail_says_so_and_keeps_the_internal_reason_out(db, rejected):
    forum, org, _reg = rejected
    reg = f.registration_(forum, language="en", delegates=[f.delegate_input(language="en")])
    review.decide(reg, "reject", by=org, reason="Duplicate")
    review.reconsider(reg, by=org, reason="Internal: the reviewer mixed up two companies")
    msg = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == "reconsidered", OutboxMessage.to_addr == reg.email)).one()
    assert msg.subject.startswith("Registration reconsidered")
    assert "reconsidering the registration" in msg.body_text
    assert "mixed up" not in msg.body_text


def test_reconsidering_needs_a_reason(db, rejected):
    _forum, org, reg = rejected
    with pytest.raises(InvalidInput) as e:
        review.reconsider(reg, by=org, reason="  ")
    assert (e.value.code, e.value.field) == ("reason_required", "reason")
    assert reg.state is RegState.REJECTED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_only_reviewers_reconsider(db, rejected):
    forum, _org, reg = rejected
    for user in (f.member(forum, Permission.CHECKIN), f.member(f.forum(), Permission.REVIEW), f.user()):
        with pytest.raises(NotAllowed):
            review.reconsider(reg, by=user, reason="Why not")
    assert reg.state is RegState.REJECTED


def test_only_a_rejection_is_reconsidered(db, rejected):
    forum, org, _reg = rejected
    for start in (RegState.APPROVED, RegState.WAITLISTED, RegState.WITHDRAWN, RegState.CANCELLED):
        other = f.registration_(forum)
        other.state = start
        db.session.flush()
        with pytest.raises(InvalidState) as e:
            review.reconsider(other, by=org, reason="Changed our mind")
        assert e.value.code == "transition_not_allowed"
        assert other.state is start


def test_not_in_a_cancelled_forum(db, rejected):
    forum, org, reg = rejected
    cancellation.cancel(forum, reason="Storm", confirmed=True, by=org)
    with pytest.raises(InvalidState) as e:
        review.reconsider(reg, by=org, reason="The chamber vouched for them")
    assert e.value.code == "forum_cancelled"
    assert reg.state is RegState.REJECTED
    assert review.allowed_actions(reg) == []


def test_the_transition_itself_keeps_cancelled_forums_free_of_active_registrations(db, rejected):
    forum, org, reg = rejected
    cancellation.cancel(forum, reason="Storm", confirmed=True, by=org)
    with pytest.raises(InvalidState) as e:
        states.transition(reg, RegState.PENDING, by=org, reason="x")
    assert e.value.code == "forum_cancelled"


def test_the_detail_page_offers_reconsider_only_for_a_rejection(db, client, login, rejected):
    forum, org, reg = rejected
    pending = f.registration_(forum)
    login(org)
    html = client.get(f"/manage/{forum.slug}/registrations/{reg.id}").get_data(as_text=True)
    assert "Reconsider (back to pending)" in html and 'value="approve"' not in html
    html = client.get(f"/manage/{forum.slug}/registrations/{pending.id}").get_data(as_text=True)
    assert "Reconsider (back to pending)" not in html and 'value="approve"' in html


def test_reconsider_from_the_page_with_csrf(db, client, login, post, rejected):
    forum, org, reg = rejected
    login(org)
    url = f"/manage/{forum.slug}/registrations/{reg.id}"
    r = post(url + "/decide", {"action": "reconsider", "reason": ""})
    assert r.status_code == 422
    assert 'id="reason-error"' in r.get_data(as_text=True) or "aria-invalid" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).state is RegState.REJECTED
    r = post(url + "/decide", {"action": "reconsider", "reason": "Verified by phone"}, follow_redirects=True)
    assert r.status_code == 200 and "is now pending" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).state is RegState.PENDING
    r = client.post(url + "/decide", data={"action": "reconsider", "reason": "no token"})
    assert r.status_code == 400  # CSRF


def test_a_cancelled_forums_page_offers_no_reconsider(db, client, login, rejected):
    forum, org, reg = rejected
    cancellation.cancel(forum, reason="Storm", confirmed=True, by=org)
    login(org)
    html = client.get(f"/manage/{forum.slug}/registrations/{reg.id}").get_data(as_text=True)
    assert "Reconsider (back to pending)" not in html
