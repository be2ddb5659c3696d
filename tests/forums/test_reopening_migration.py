"""Migration 0009_decisions: forums cancelled before it can be reopened too, from what the audit trail says
the cancellation undid."""
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from forum.forums import cancellation, reopening
from forum.forums.models import Forum, ForumStatus
from forum.registration import services as registration, states
from forum.registration.models import RegState, Registration
from forum.review import services as review
from tests import factories as f


def test_the_upgrade_reads_what_each_cancellation_undid_from_the_audit_trail(db):
    forum, org = f.forum(slug="cancelled-long-ago"), f.organizer()
    approved, waitlisted, pending, rejected, withdrawn = f.company(forum, 5).delegates
    review.decide(approved, "approve", by=org)
    review.decide(waitlisted, "waitlist", by=org)
    review.decide(rejected, "reject", by=org, reason="Duplicate")
    registration.withdraw(withdrawn, by=org)
    forum.status = ForumStatus.CLOSED
    cancellation.cancel(forum, reason="Storm", confirmed=True, by=org)
    untouched = f.forum(slug="still-on")
    on_time = f.registration_(untouched)
    states.transition(on_time, RegState.CANCELLED, by=org, reason="Cancelled on its own")
    ids = dict(approved=approved.id, waitlisted=waitlisted.id, pending=pending.id, rejected=rejected.id,
               withdrawn=withdrawn.id, on_its_own=on_time.id)
    forum_id, untouched_id, org_id = forum.id, untouched.id, org.id
    db.session.commit()
    db.session.remove()
    try:
        downgrade(revision="0008_corrections")  # what the cancellation wrote is gone with the columns
    finally:
        upgrade()
    before = {k: db.session.get(Registration, i).state_before_cancellation for k, i in ids.items()}
    assert before == dict(approved=RegState.APPROVED, waitlisted=RegState.WAITLISTED, pending=RegState.PENDING,
                          rejected=None, withdrawn=None, on_its_own=None)
    forum = db.session.get(Forum, forum_id)
    assert forum.status_before_cancellation is ForumStatus.CLOSED
    assert db.session.get(Forum, untouched_id).waitlist_mode.value == "auto"
    from forum.accounts.models import User

    reopening.reopen(forum, reason="The storm passed", confirmed=True, by=db.session.get(User, org_id))
    assert forum.status is ForumStatus.CLOSED
    assert {k: db.session.get(Registration, i).state for k, i in ids.items()} == dict(
        approved=RegState.APPROVED, waitlisted=RegState.WAITLISTED, pending=RegState.PENDING,
        rejected=RegState.REJECTED, withdrawn=RegState.WITHDRAWN, on_its_own=RegState.CANCELLED)
