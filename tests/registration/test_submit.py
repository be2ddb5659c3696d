"""Submitting a company's registration: phases, validation, normalisation, uniqueness."""
import unicodedata
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.errors import InvalidState
from forum.forums.models import ForumStatus
from forum.registration import services
from forum.registration.models import CompanyRegistration, RegState, Registration, Source
from forum.registration.services import SubmissionError
from forum.review import services as review
from tests import factories as f


def count(model):
    return db_session().scalar(sa.select(sa.func.count()).select_from(model))


def db_session():
    from forum.db import db

    return db.session


def test_open_forum_creates_pending_delegates_users_and_audit(db):
    forum = f.forum(phase="open")
    company = f.company(forum, 2)
    assert company.source is Source.ONLINE and not company.is_late
    assert [r.state for r in company.delegates] == [RegState.PENDING, RegState.PENDING]
    assert all(r.user is not None and r.user.email == r.email for r in company.delegates)
    assert company.contact_user.email == company.contact_email
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions.count("created") == 2 and actions.count("submitted") == 1


def test_after_deadline_it_is_a_late_request_and_needs_a_reason(db):
    forum = f.forum(phase="late")
    with pytest.raises(SubmissionError) as e:
        f.company(forum, 1)
    assert "late_reason" in e.value.errors
    assert count(CompanyRegistration) == 0
    company = f.company(forum, 1, late_reason="Our director's visit was confirmed yesterday",
                        endorsed_by="Chamber of Commerce of Uzbekistan")
    assert company.is_late and company.source is Source.LATE_REQUEST
    assert company.delegates[0].is_late and company.delegates[0].state is RegState.PENDING


def test_organizer_closing_registration_makes_it_late(db):
    forum = f.forum(phase="open", status=ForumStatus.CLOSED)
    company = f.company(forum, 1, late_reason="please")
    assert company.is_late


@pytest.mark.parametrize("phase,status,code", [
    ("not_yet_open", ForumStatus.PUBLISHED, "not_open_yet"),
    ("over", ForumStatus.PUBLISHED, "forum_unavailable"),
    ("open", ForumStatus.CANCELLED, "forum_unavailable"),
    ("open", ForumStatus.POSTPONED, "forum_unavailable"),
    ("open", ForumStatus.DRAFT, "forum_unavailable"),
])
def test_no_registration_when_the_forum_does_not_take_any(db, phase, status, code):
    forum = f.forum(phase=phase, status=status)
    with pytest.raises(InvalidState) as e:
        f.company(forum, 1)
    assert e.value.code == code
    assert count(Registration) == 0


def test_invalid_input_saves_nothing_and_names_every_field(db):
    forum = f.forum()
    data = f.company_input(2, country="XX", sector="piracy", contact_email="nope", privacy_accepted=False)
    data.delegates[1].latin_name = "Әлия"
    data.delegates[1].phone = "12"
    with pytest.raises(SubmissionError) as e:
        services.submit(forum, data)
    assert {"country", "sector", "contact_email", "privacy_accepted", "delegates-1-latin_name",
            "delegates-1-phone"} <= set(e.value.errors)
    assert count(CompanyRegistration) == 0 and count(Registration) == 0 and count(User) == 0


# Really decomposed input, as some keyboards and macOS file names produce it: и + combining breve
# (U+0306) for й, and Japanese voiced kana as the base kana + combining dakuten (U+3099).
DECOMPOSED_RU = "Арсении\u0306 Кузнецов"  # Арсений: the last и + breve
DECOMPOSED_JA = "か\u3099んは\u3099 やまだ"  # がんば やまだ


def test_names_are_nfc_normalised_and_phones_e164(db):
    assert DECOMPOSED_RU != "Арсений Кузнецов" and DECOMPOSED_JA != "がんば やまだ"  # the input is decomposed
    forum = f.forum()
    data = f.company_input(2, country="KZ", legal_name="ТОО «Жаи\u0306ык»", contact_name=DECOMPOSED_JA)
    data.delegates[0].full_name = "  " + DECOMPOSED_RU + " "
    data.delegates[1].full_name = DECOMPOSED_JA
    data.delegates[0].latin_name = "Oʻktam Gʻulomov"
    data.delegates[0].phone = "8 (701) 123-45-67"
    data.delegates[0].email = "Aliya@Example.KZ"
    company = services.submit(forum, data)
    reg, reg_ja = company.delegates
    assert reg.full_name == "Арсений Кузнецов" and len(reg.full_name) == 16
    assert reg_ja.full_name == "がんば やまだ" and len(reg_ja.full_name) == 7
    assert company.legal_name == "ТОО «Жайык»" and company.contact_name == "がんば やまだ"
    assert reg.latin_name == "Oʻktam Gʻulomov"  # Uzbek ʻ is a letter, not an error
    assert reg.phone == "+77011234567"
    assert reg.email == "aliya@example.kz"


def test_between_one_and_ten_delegates(db):
    forum = f.forum()
    with pytest.raises(SubmissionError) as e:
        services.submit(forum, f.company_input(0))
    assert "delegates" in e.value.errors
    with pytest.raises(SubmissionError):
        services.submit(forum, f.company_input(11))
    assert len(services.submit(forum, f.company_input(10)).delegates) == 10


def test_same_email_twice_in_one_form_is_refused(db):
    data = f.company_input(2)
    data.delegates[1].email = data.delegates[0].email.upper()
    with pytest.raises(SubmissionError) as e:
        services.submit(f.forum(), data)
    assert "delegates-1-email" in e.value.errors


def test_a_delegate_email_registers_once_per_forum(db):
    forum = f.forum()
    first = f.registration_(forum)
    data = f.company_input(1)
    data.delegates[0].email = first.email
    with pytest.raises(SubmissionError) as e:
        services.submit(forum, data)
    # Worded so that it does not tell an anonymous visitor that this person is registered
    assert e.value.errors == {"delegates-0-email": "This address cannot be registered with this form. "
                                                   "If it is yours, check your inbox."}
    # An organizer entering it by hand is told plainly
    with pytest.raises(SubmissionError) as e:
        services.submit(forum, data, manual=True, by=f.organizer())
    assert e.value.errors == {"delegates-0-email": "This person is already registered for this forum."}
    # ... but at another forum, fine
    services.submit(f.forum(), data)


def test_rejected_or_withdrawn_delegate_may_register_again(db):
    forum, org = f.forum(), f.organizer()
    first = f.registration_(forum)
    review.decide(first, "reject", by=org, reason="Incomplete")
    data = f.company_input(1)
    data.delegates[0].email = first.email
    again = services.submit(forum, data).delegates[0]
    assert again.state is RegState.PENDING and again.email == first.email


def test_database_refuses_two_active_registrations_of_one_email(db):
    """The constraint, not only the service check, holds the rule (two forms racing)."""
    from sqlalchemy.exc import IntegrityError

    forum = f.forum()
    reg = f.registration_(forum)
    db.session.commit()
    twin = Registration(forum_id=forum.id, company_id=reg.company_id, full_name="x", latin_name="x", email=reg.email)
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_existing_account_is_reused_for_contact_and_delegate(db):
    forum = f.forum()
    existing = f.user(email="contact@example.jp")
    data = f.company_input(1, contact_email="Contact@Example.jp")
    data.delegates[0].email = "contact@example.jp"
    company = services.submit(forum, data)
    assert company.contact_user_id == existing.id == company.delegates[0].user_id


def test_manual_entry_by_organizer_any_time_but_not_by_others(db):
    from forum.errors import NotAllowed

    forum = f.forum(phase="late")
    org = f.organizer()
    company = services.submit(forum, f.company_input(1), manual=True, by=org)
    assert company.source is Source.MANUAL and company.created_by_id == org.id
    with pytest.raises(NotAllowed):
        services.submit(forum, f.company_input(1), manual=True, by=f.user())


def test_withdraw_by_contact_or_delegate_only(db):
    from forum.errors import NotAllowed

    forum = f.forum()
    company = f.company(forum, 2)
    a, b = company.delegates
    with pytest.raises(NotAllowed):
        services.withdraw(a, by=f.user())  # a stranger
    with pytest.raises(NotAllowed):
        services.withdraw(a, by=b.user)  # a colleague is not the contact person
    services.withdraw(a, by=a.user)
    services.withdraw(b, by=company.contact_user)
    assert a.state is b.state is RegState.WITHDRAWN


def test_deadline_boundary_uses_utc_instants(db):
    forum = f.forum(phase="open")
    just_before = forum.registration_closes_at - timedelta(seconds=1)
    assert services.submit(forum, f.company_input(1), now=just_before).source is Source.ONLINE
    with pytest.raises(SubmissionError):  # at the deadline: late, and no reason given
        services.submit(forum, f.company_input(1), now=forum.registration_closes_at)
    assert clock.now() < forum.registration_closes_at
