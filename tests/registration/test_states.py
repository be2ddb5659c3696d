"""The one transition function: allowed moves, reasons, capacity, audit."""
import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import CapacityReached, InvalidInput, InvalidState
from forum.registration import states
from forum.registration.models import RegState
from forum.review import services as review
from tests import factories as f


@pytest.fixture()
def org(db):
    return f.organizer()


def test_approve_pending_writes_audit_with_from_to_and_actor(db, org):
    reg = f.registration_(f.forum())
    review.decide(reg, "approve", by=org)
    assert reg.state is RegState.APPROVED
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "state_change")).one()
    assert (entry.subject_id, entry.actor_id, entry.from_state, entry.to_state) == (reg.id, org.id, "pending", "approved")


def test_reject_needs_a_reason_and_changes_nothing_without_one(db, org):
    reg = f.registration_(f.forum())
    with pytest.raises(InvalidInput) as e:
        review.decide(reg, "reject", by=org, reason="   ")
    assert e.value.code == "reason_required"
    assert reg.state is RegState.PENDING
    review.decide(reg, "reject", by=org, reason="Not a business delegate")
    assert reg.state is RegState.REJECTED and reg.decision_reason == "Not a business delegate"


@pytest.mark.parametrize("start,to", [
    (RegState.REJECTED, RegState.APPROVED),
    (RegState.WITHDRAWN, RegState.APPROVED),
    (RegState.CANCELLED, RegState.PENDING),
    (RegState.APPROVED, RegState.PENDING),
])
def test_forbidden_transitions_are_refused(db, org, start, to):
    reg = f.registration_(f.forum())
    reg.state = start
    db.session.flush()
    with pytest.raises(InvalidState) as e:
        states.transition(reg, to, by=org, reason="x")
    assert e.value.code == "transition_not_allowed"
    assert reg.state is start


def test_same_state_is_refused(db, org):
    reg = f.registration_(f.forum())
    with pytest.raises(InvalidState) as e:
        states.transition(reg, RegState.PENDING, by=org)
    assert e.value.code == "same_state"


def test_waitlisted_can_be_approved_later(db, org):
    reg = f.registration_(f.forum())
    review.decide(reg, "waitlist", by=org)
    review.decide(reg, "approve", by=org)
    assert reg.state is RegState.APPROVED


def test_capacity_refuses_approval_past_the_limit(db, org):
    forum = f.forum(capacity=2)
    regs = f.company(forum, 3).delegates
    review.decide(regs[0], "approve", by=org)
    review.decide(regs[1], "approve", by=org)
    with pytest.raises(CapacityReached) as e:
        review.decide(regs[2], "approve", by=org)
    assert e.value.code == "capacity_reached"
    assert "2 of 2" in e.value.message
    assert regs[2].state is RegState.PENDING
    # ... but it can be waitlisted
    review.decide(regs[2], "waitlist", by=org)
    assert regs[2].state is RegState.WAITLISTED


def test_capacity_override_needs_a_reason_and_is_logged(db, org):
    forum = f.forum(capacity=1)
    a, b = f.company(forum, 2).delegates
    review.decide(a, "approve", by=org)
    with pytest.raises(InvalidInput) as e:
        review.decide(b, "approve", by=org, override_capacity=True)
    assert e.value.code == "override_reason_required"
    review.decide(b, "approve", by=org, override_capacity=True, reason="Minister's delegation")
    assert b.state is RegState.APPROVED
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.subject_id == b.id, AuditEntry.action == "state_change")).one()
    assert entry.details == {"capacity_override": True}
    assert entry.reason == "Minister's delegation"


def test_withdrawn_and_rejected_do_not_count_against_capacity(db, org):
    forum = f.forum(capacity=1)
    a, b = f.company(forum, 2).delegates
    review.decide(a, "approve", by=org)
    states.transition(a, RegState.WITHDRAWN, by=org)
    review.decide(b, "approve", by=org)
    assert b.state is RegState.APPROVED


def test_only_organizers_decide(db):
    from forum.errors import NotAllowed
    reg = f.registration_(f.forum())
    staff = f.member(reg.forum, "checkin")
    with pytest.raises(NotAllowed):
        review.decide(reg, "approve", by=staff)
    assert reg.state is RegState.PENDING


def test_bulk_decides_each_and_reports_the_refused(db, org):
    forum = f.forum(capacity=2)
    regs = f.company(forum, 3).delegates
    result = review.decide_many(forum, [r.id for r in regs], "approve", by=org)
    assert len(result.done) == 2
    assert [e.code for _r, e in result.refused] == ["capacity_reached"]
    assert sorted(r.state.value for r in regs) == ["approved", "approved", "pending"]


def test_bulk_reject_without_reason_changes_nothing(db, org):
    forum = f.forum()
    regs = f.company(forum, 2).delegates
    with pytest.raises(InvalidInput):
        review.decide_many(forum, [r.id for r in regs], "reject", by=org, reason="")
    assert {r.state for r in regs} == {RegState.PENDING}


def test_bulk_ignores_ids_of_other_forums(db, org):
    mine, other = f.forum(), f.forum()
    foreign = f.registration_(other)
    result = review.decide_many(mine, [foreign.id], "approve", by=org)
    assert result.done == [] and foreign.state is RegState.PENDING
