"""Substitution (issue 7, section 3): the contact person sends a colleague; the place carries over through the
one transition function, capacity included; both people are told; the audit trail links the two."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.errors import DomainError
from forum.forums import cancellation
from forum.forums.models import ForumStatus
from forum.notifications.models import OutboxMessage
from forum.registration import states, substitution
from forum.registration.corrections import CorrectionError
from forum.registration.models import Category, RegState, Registration
from forum.registration.substitution import SubstituteInput
from forum.review import services as review
from tests import factories as f

COLLEAGUE = dict(full_name="Нұрлан Әбенов", latin_name="ABENOV Nurlan", email="nurlan@qazaq.example",
                 position="Коммерциялық директор", phone="+7 701 555 1122", languages=["kk", "ru", "en"],
                 language="en")


def colleague(**kw) -> SubstituteInput:
    return SubstituteInput(**{**COLLEAGUE, **kw})


def company(forum, n=2):
    delegates = [f.delegate_input(full_name="Әлібек Сейтқалиев", latin_name="SEITKALIYEV Alibek",
                                  email="alibek@qazaq.example", language="ru", category="speaker")]
    delegates += [f.delegate_input() for _ in range(n - 1)]
    # manual: the organizer's entry keeps the speaker category without a confirmation
    return f.company(forum, country="KZ", city="Almaty", contact_email="contact@qazaq.example",
                     delegates=delegates, manual=True, by=f.organizer())


def count(model, *where) -> int:
    return f.db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture()
def forum(db):
    return f.forum(capacity=10)


def test_a_pending_delegate_is_replaced_by_a_pending_colleague_and_the_trail_links_both_ways(forum):
    c = company(forum)
    old = c.delegates[0]
    new = substitution.substitute(old, colleague(), by=c.contact_user)
    assert (old.state, new.state) == (RegState.WITHDRAWN, RegState.PENDING)
    assert old.substituted_by_id == new.id and new.substitute_for == old
    assert new.company_id == c.id and new.category is Category.SPEAKER  # the category carries over
    assert (new.full_name, new.latin_name, new.email, new.phone, new.languages, new.language) == (
        "Нұрлан Әбенов", "ABENOV Nurlan", "nurlan@qazaq.example", "+77015551122", ["kk", "ru", "en"], "en")
    withdrawal = f.db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_id == old.id, AuditEntry.action == "state_change", AuditEntry.to_state == "withdrawn")).one()
    assert withdrawal.details["reason_code"] == states.SUBSTITUTION == "substitution"
    assert withdrawal.details["substituted_by"] == new.id
    created = f.db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_type == "registration", AuditEntry.subject_id == new.id)).one()
    assert created.action == "substitute_created" and created.details["substitute_for"] == old.id
    assert created.to_state == "pending" and created.actor_id == c.contact_user_id


def test_a_waitlisted_delegate_is_replaced_by_a_colleague_who_keeps_the_place_in_the_queue(forum):
    c = company(forum)
    old = c.delegates[0]
    states.transition(old, RegState.WAITLISTED, by=f.organizer(), now=clock.now() - timedelta(days=3))
    waitlisted_at = old.state_changed_at
    new = substitution.substitute(old, colleague(), by=c.contact_user)
    assert new.state is RegState.WAITLISTED and new.state_changed_at == waitlisted_at
    assert new.created_at > waitlisted_at


def test_in_a_full_forum_an_approved_delegate_is_replaced_without_taking_a_second_place(db):
    forum = f.forum(capacity=2)
    c = company(forum)
    org = f.organizer()
    for reg in c.delegates:
        states.transition(reg, RegState.APPROVED, by=org)
    assert states.approved_count(forum.id) == forum.capacity  # exactly full
    new = substitution.substitute(c.delegates[0], colleague(), by=c.contact_user)
    assert new.state is RegState.APPROVED
    assert states.approved_count(forum.id) == forum.capacity  # still exactly full
    assert not any(e.details.get("capacity_override") for e in f.db.session.scalars(sa.select(AuditEntry)))
    assert new.changed_since_approval_at is not None  # organizers see a person they have not looked at
    # ... and the forum is still full for everyone else.
    late = f.registration_(forum)
    with pytest.raises(DomainError) as e:
        review.decide(late, "approve", by=org)
    assert e.value.code == "capacity_reached"


def test_a_forum_that_does_not_allow_substitutions_refuses_them_even_for_its_organizers(forum):
    c = company(forum)
    forum.allow_substitutions = False
    for by in (c.contact_user, f.member(forum, "review")):
        with pytest.raises(DomainError) as e:
            substitution.substitute(c.delegates[0], colleague(), by=by)
        assert e.value.code == "substitutions_not_allowed"
    assert c.delegates[0].state is RegState.PENDING and count(Registration) == 2


def test_not_in_a_cancelled_forum(forum):
    c = company(forum)
    org = f.organizer()
    cancellation.cancel(forum, reason="The venue is closed.", confirmed=True, by=org)
    with pytest.raises(DomainError) as e:
        substitution.substitute(c.delegates[0], colleague(), by=org)
    assert e.value.code == "forum_cancelled"
    assert forum.status is ForumStatus.CANCELLED and count(Registration) == 2


@pytest.mark.parametrize("state", [RegState.REJECTED, RegState.WITHDRAWN])
def test_only_pending_waitlisted_or_approved_delegates_can_be_replaced(forum, state):
    c = company(forum)
    states.transition(c.delegates[0], state, by=f.organizer(), reason="No.")
    with pytest.raises(DomainError) as e:
        substitution.substitute(c.delegates[0], colleague(), by=c.contact_user)
    assert e.value.code == "not_active"
    assert count(Registration) == 2


def test_the_same_delegate_cannot_be_replaced_twice(forum):
    c = company(forum)
    substitution.substitute(c.delegates[0], colleague(), by=c.contact_user)
    with pytest.raises(DomainError) as e:
        substitution.substitute(c.delegates[0], colleague(email="other@qazaq.example"), by=c.contact_user)
    assert e.value.code == "not_active"


@pytest.mark.parametrize("who", ["the_delegate", "a_colleague", "stranger", "checkin_member"])
def test_only_the_contact_person_or_a_reviewer_substitutes(forum, who):
    c = company(forum)
    by = {"the_delegate": lambda: c.delegates[0].user, "a_colleague": lambda: c.delegates[1].user,
          "stranger": lambda: f.user(), "checkin_member": lambda: f.member(forum, "checkin")}[who]()
    with pytest.raises(DomainError) as e:
        substitution.substitute(c.delegates[0], colleague(), by=by)
    assert e.value.code == "not_yours"


def test_until_the_badge_deadline_then_only_reviewers(forum):
    c = company(forum, n=3)
    deadline = clock.now().replace(microsecond=0) + timedelta(days=2)
    forum.badge_deadline = deadline
    for now in (deadline, deadline + timedelta(seconds=1)):
        with pytest.raises(DomainError) as e:
            substitution.substitute(c.delegates[0], colleague(), by=c.contact_user, now=now)
        assert e.value.code == "badge_deadline_passed"
    assert count(Registration) == 3
    substitution.substitute(c.delegates[0], colleague(), by=c.contact_user, now=deadline - timedelta(seconds=1))
    new = substitution.substitute(c.delegates[1], colleague(email="second@qazaq.example"),
                                  by=f.member(forum, "review"), now=deadline + timedelta(seconds=1))
    assert new.state is RegState.PENDING


@pytest.mark.parametrize("email, message", [
    ("alibek@qazaq.example", "delegate being replaced"),
    ("taken", "already registered for this forum"),
])
def test_the_colleague_must_not_be_registered_in_this_forum_already(forum, email, message):
    c = company(forum)
    if email == "taken":
        email = f.registration_(forum).email.upper()
    before = count(Registration), count(User)
    with pytest.raises(CorrectionError) as e:
        substitution.substitute(c.delegates[0], colleague(email=email), by=c.contact_user)
    assert message in e.value.errors["email"]
    assert (count(Registration), count(User)) == before and c.delegates[0].state is RegState.PENDING


@pytest.mark.parametrize("field, value", [("latin_name", "Әбенов Нұрлан"), ("email", "nurlan"), ("phone", "123"),
                                          ("full_name", ""), ("languages", ["xx"])])
def test_an_invalid_field_changes_nothing(forum, field, value):
    c = company(forum)
    before = count(Registration), count(User), count(AuditEntry), count(OutboxMessage)
    with pytest.raises(CorrectionError) as e:
        substitution.substitute(c.delegates[0], colleague(**{field: value}), by=c.contact_user)
    assert field in e.value.errors
    assert (count(Registration), count(User), count(AuditEntry), count(OutboxMessage)) == before
    assert c.delegates[0].state is RegState.PENDING


def test_the_unique_index_has_the_last_word(forum, monkeypatch):
    c = company(forum)
    taken = f.registration_(forum)
    before = count(Registration), count(AuditEntry)
    monkeypatch.setattr(substitution, "active_registration_with", lambda *a, **k: None)
    with pytest.raises(CorrectionError) as e:
        substitution.substitute(c.delegates[0], colleague(email=taken.email), by=c.contact_user)
    assert "already registered" in e.value.errors["email"]
    assert (count(Registration), count(AuditEntry)) == before and c.delegates[0].state is RegState.PENDING


def test_both_people_are_told_each_in_their_language(forum):
    c = company(forum)
    org = f.organizer()
    states.transition(c.delegates[0], RegState.APPROVED, by=org)
    f.db.session.execute(sa.delete(OutboxMessage))
    new = substitution.substitute(c.delegates[0], colleague(language="ja"), by=c.contact_user)
    mails = {m.to_addr: m for m in f.db.session.scalars(sa.select(OutboxMessage))}
    assert set(mails) == {"alibek@qazaq.example", "nurlan@qazaq.example"}
    out, welcome = mails["alibek@qazaq.example"], mails["nurlan@qazaq.example"]
    assert (out.template, out.language) == ("substituted_out", "ru")
    assert "Нұрлан Әбенов" in out.body_text
    assert (welcome.template, welcome.language) == ("substitute_registered", "ja")
    assert "Әлібек Сейтқалиев" in welcome.body_text
    assert "http://forum.test/password/set/" in welcome.body_text  # the account link new delegates get
    assert welcome.subject != "You are registered and approved: " + forum.title  # in Japanese
    assert forum.title in welcome.subject
    assert new.user.email == "nurlan@qazaq.example"


@pytest.mark.parametrize("state, phrase", [(RegState.PENDING, "will review"), (RegState.APPROVED, "confirmed"),
                                           (RegState.WAITLISTED, "waiting list")])
def test_the_colleagues_mail_says_what_their_place_is(forum, state, phrase):
    c = company(forum)
    if state is not RegState.PENDING:
        states.transition(c.delegates[0], state, by=f.organizer())
    substitution.substitute(c.delegates[0], colleague(), by=c.contact_user)
    welcome = f.db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "substitute_registered")).one()
    assert phrase in welcome.body_text
    assert welcome.subject.startswith(("You are registered", "On the waiting list"))


def test_substituting_an_approved_delegate_promotes_nobody_from_the_waiting_list(db):
    """The substitute takes the place at once: the waiting list (registration.waitlist, auto mode) stays as it was,
    while a plain withdrawal of the same delegate would have promoted the first in line."""
    forum = f.forum(capacity=2)
    c = company(forum)
    org = f.organizer()
    for reg in c.delegates:
        states.transition(reg, RegState.APPROVED, by=org)
    waiting = f.registration_(forum)
    states.transition(waiting, RegState.WAITLISTED, by=org)
    substitution.substitute(c.delegates[0], colleague(), by=c.contact_user)
    assert waiting.state is RegState.WAITLISTED
    assert states.approved_count(forum.id) == forum.capacity
    states.transition(c.delegates[1], RegState.WITHDRAWN, by=c.contact_user)  # a real withdrawal: a place frees
    assert waiting.state is RegState.APPROVED
