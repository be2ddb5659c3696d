"""The demo's reversible decisions and waiting lists (README: "Reversible decisions and the waitlist"):
Astana promotes automatically, Tashkent asks; the demo delegate's withdrawal of a colleague promotes
Astana's first waitlisted delegate; a rejected Astana delegate waits to be reconsidered."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.audit.models import AuditEntry
from forum.db import db as _db
from forum.demo.seed import MAIN_SLUG, RECONSIDER_EMAIL, RECONSIDER_REASON, SECOND_SLUG
from forum.forums.models import Forum, WaitlistMode
from forum.notifications.models import MailStatus, OutboxMessage
from forum.registration import services as registration, waitlist
from forum.registration.models import RegState, Registration
from forum.review import services as review


@pytest.fixture(scope="module")
def demo(app):
    """The demo: `app` is this module's own copy of it (tests/demo/conftest.py). Tests roll back their changes."""
    with app.app_context():
        yield
        _db.session.remove()


@pytest.fixture()
def fresh(demo):
    yield
    _db.session.rollback()


def forum(slug: str) -> Forum:
    return _db.session.scalars(sa.select(Forum).where(Forum.slug == slug)).one()


def test_astana_promotes_automatically_and_tashkent_asks(fresh):
    main, second = forum(MAIN_SLUG), forum(SECOND_SLUG)
    assert (main.waitlist_mode, second.waitlist_mode) == (WaitlistMode.AUTO, WaitlistMode.ASK)
    assert len(waitlist.positions([main.id])) >= 3
    offer = waitlist.offer(second)
    assert offer is not None and offer.first.state is RegState.WAITLISTED and offer.free > 0
    entry = _db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_type == "forum", AuditEntry.subject_id == second.id, AuditEntry.action == "updated")).one()
    assert entry.details["changes"] == {"waitlist_mode": ["auto", "ask"]}


def test_the_demo_delegate_withdraws_a_colleague_and_the_first_waitlisted_is_approved(fresh):
    main = forum(MAIN_SLUG)
    delegate = accounts.find_by_email("delegate@example.org")
    company = next(c for c in registration.my_companies(delegate) if c.forum_id == main.id)
    colleague = next(r for r in company.delegates if r.email != delegate.email and r.state is RegState.APPROVED)
    first = waitlist.first_in_line(main.id)
    second_in_line = _db.session.scalars(waitlist._queue(main.id).offset(1).limit(1)).one()
    registration.withdraw(colleague, by=delegate)
    assert colleague.state is RegState.WITHDRAWN
    assert first.state is RegState.APPROVED and second_in_line.state is RegState.WAITLISTED
    mail = _db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == "waitlist_promoted", OutboxMessage.to_addr == first.email)).one()
    assert mail.status is MailStatus.QUEUED


def test_an_organizer_reconsiders_the_rejected_kazakh_delegate(fresh):
    main = forum(MAIN_SLUG)
    reg = _db.session.scalars(sa.select(Registration).where(
        Registration.forum_id == main.id, Registration.email == RECONSIDER_EMAIL)).one()
    assert (reg.state, reg.decision_reason, reg.full_name) == (RegState.REJECTED, RECONSIDER_REASON, "Серік Жұмабаев")
    assert main.registration_opens_at <= reg.created_at < main.registration_closes_at
    review.reconsider(reg, by=accounts.find_by_email("organizer@example.org"),
                      reason="The Chamber of Commerce vouched for Dala Agro.")
    assert reg.state is RegState.PENDING


def test_the_demo_queues_no_mail_of_its_own(fresh):
    queued = _db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status == MailStatus.QUEUED))
    assert queued == 0
