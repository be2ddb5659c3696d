"""Corrections (issue 7, section 3): who may correct what until the badge deadline, validated like the
registration form, all or nothing, one audit entry with before and after, "changed since approval"."""
from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.errors import DomainError
from forum.notifications.models import OutboxMessage
from forum.registration import corrections, services, states
from forum.registration.corrections import CompanyNamesInput, CorrectionError, CorrectionInput
from forum.registration.models import RegState, Registration
from forum.review import queries
from forum.search import fold
from tests import factories as f

MISSPELT, RIGHT = "Әлибек Сейтқалиев", "Әлібек Сейтқалиев"


def kazakh_company(forum, n=2, **kw):
    """A Kazakh company whose first delegate's name was typed on a Russian keyboard (и for і)."""
    delegates = [f.delegate_input(full_name=MISSPELT, latin_name="SEITKALIYEV Alibek", email="alibek@qazaq.example",
                                  phone="+7 701 123 4567", languages=["kk", "ru"], language="ru")]
    delegates += [f.delegate_input() for _ in range(n - 1)]
    return f.company(forum, country="KZ", city="Almaty", legal_name="«Қазақ Тех» ЖШС", name_en="Qazaq Tech LLP",
                     contact_email="contact@qazaq.example", delegates=delegates, **kw)


def contact_of(company):
    return company.contact_user


def entries(reg, action="corrected"):
    return list(f.db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_type == "registration", AuditEntry.subject_id == reg.id, AuditEntry.action == action)))


def fix(reg, **changes) -> CorrectionInput:
    data = CorrectionInput.of(reg)
    for k, v in changes.items():
        setattr(data, k, v)
    return data


def snapshot(reg) -> dict:
    f.db.session.refresh(reg)
    return {c.name: getattr(reg, c.key) for c in Registration.__table__.columns}


@pytest.fixture()
def forum(db):
    return f.forum(capacity=10)


# --- who may correct ----------------------------------------------------------------------------

def test_contact_person_fixes_a_misspelt_kazakh_name_with_one_audit_entry_of_what_changed(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    changes = corrections.correct(reg, fix(reg, full_name=RIGHT), by=contact_of(company))
    assert changes == {"full_name": [MISSPELT, RIGHT]}
    assert reg.full_name == RIGHT
    [entry] = entries(reg)
    assert entry.details["changes"] == {"full_name": [MISSPELT, RIGHT]}
    assert entry.actor_id == contact_of(company).id and entry.forum_id == forum.id


def test_a_correction_of_several_fields_is_still_one_entry_with_each_before_and_after(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    corrections.correct(reg, fix(reg, full_name=RIGHT, latin_name="SEITKALIYEV Alibek Nurlanuly",
                                 position="Бас директор", languages=["kk", "ru", "en"], language="en"),
                        by=contact_of(company))
    [entry] = entries(reg)
    assert entry.details["changes"] == {
        "full_name": [MISSPELT, RIGHT], "latin_name": ["SEITKALIYEV Alibek", "SEITKALIYEV Alibek Nurlanuly"],
        "position": ["Director", "Бас директор"], "languages": [["kk", "ru"], ["kk", "ru", "en"]],
        "language": ["ru", "en"]}


def test_the_delegate_corrects_their_own_record(forum):
    reg = kazakh_company(forum).delegates[0]
    corrections.correct(reg, fix(reg, full_name=RIGHT), by=reg.user)
    assert reg.full_name == RIGHT


@pytest.mark.parametrize("who", ["stranger", "colleague", "reviewer_of_another_forum", "checkin_member"])
def test_nobody_else_may_correct(forum, who):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    by = {"stranger": lambda: f.user(),
          "colleague": lambda: company.delegates[1].user,  # a delegate of the same company, not its contact
          "reviewer_of_another_forum": lambda: f.member(f.forum(), "review"),
          "checkin_member": lambda: f.member(forum, "checkin")}[who]()
    with pytest.raises(DomainError) as e:
        corrections.correct(reg, fix(reg, full_name=RIGHT), by=by)
    assert e.value.code == "not_yours"
    assert reg.full_name == MISSPELT


@pytest.mark.parametrize("state", [RegState.WITHDRAWN, RegState.REJECTED])
def test_a_registration_that_is_no_longer_active_cannot_be_corrected(forum, state):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    states.transition(reg, state, by=f.organizer(), reason="No.")
    with pytest.raises(DomainError) as e:
        corrections.correct(reg, fix(reg, full_name=RIGHT), by=contact_of(company))
    assert e.value.code == "not_active"


# --- the badge deadline -------------------------------------------------------------------------

def test_until_one_second_before_the_badge_deadline_and_not_at_or_after_it(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    deadline = clock.now().replace(microsecond=0) + timedelta(days=3)
    forum.badge_deadline = deadline
    for now in (deadline, deadline + timedelta(seconds=1)):
        with pytest.raises(DomainError) as e:
            corrections.correct(reg, fix(reg, full_name=RIGHT), by=contact_of(company), now=now)
        assert e.value.code == "badge_deadline_passed"
        with pytest.raises(DomainError) as e:
            corrections.correct(reg, fix(reg, full_name=RIGHT), by=reg.user, now=now)
        assert e.value.code == "badge_deadline_passed"
    assert reg.full_name == MISSPELT and entries(reg) == []
    corrections.correct(reg, fix(reg, full_name=RIGHT), by=contact_of(company), now=deadline - timedelta(seconds=1))
    assert reg.full_name == RIGHT


def test_without_a_badge_deadline_corrections_are_possible_until_the_forum_starts(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    assert forum.badge_deadline is None
    with pytest.raises(DomainError) as e:
        corrections.correct(reg, fix(reg, full_name=RIGHT), by=contact_of(company), now=forum.starts_at)
    assert e.value.code == "badge_deadline_passed"
    corrections.correct(reg, fix(reg, full_name=RIGHT), by=contact_of(company),
                        now=forum.starts_at - timedelta(seconds=1))
    assert reg.full_name == RIGHT


def test_after_the_deadline_a_reviewer_still_corrects_and_the_entry_says_it_was_after(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    forum.badge_deadline = clock.now() - timedelta(hours=1)
    reviewer = f.member(forum, "review")
    corrections.correct(reg, fix(reg, full_name=RIGHT), by=reviewer)
    [entry] = entries(reg)
    assert reg.full_name == RIGHT and entry.details["after_badge_deadline"] is True


# --- validated like the form; all or nothing ------------------------------------------------------

BAD = {
    "latin_name": ("Сейтқалиев Әлібек", "latin_name"),
    "email": ("not an address", "email"),
    "phone": ("12", "phone"),
    "full_name": ("   ", "full_name"),
    "position": ("Director\nBcc: everyone@example.org", "position"),
    "languages": (["kk", "klingon"], "languages"),
    "language": ("xx", "language"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_one_invalid_field_changes_nothing_at_all(forum, name):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    before = snapshot(reg)
    value, field = BAD[name]
    # Valid changes to other fields ride along: none of them may be saved either.
    ride_along = {"full_name": RIGHT, "position": "Бас директор", "email": "alibek.s@qazaq.example"}
    data = fix(reg, **{**ride_along, name: value})
    with pytest.raises(CorrectionError) as e:
        corrections.correct(reg, data, by=contact_of(company))
    assert field in e.value.errors and e.value.code == "invalid_correction"
    assert snapshot(reg) == before
    assert entries(reg) == []
    assert f.db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template == "email_changed")) == 0


def test_too_long_after_normalisation_is_refused(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    with pytest.raises(CorrectionError) as e:
        corrections.correct(reg, fix(reg, full_name="Ә" * 201), by=contact_of(company))
    assert "full_name" in e.value.errors


def test_names_are_stored_nfc_the_email_normalised_and_the_phone_in_e164(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    decomposed = unicodedata.normalize("NFD", " " + RIGHT + " ")
    assert decomposed.strip() != RIGHT
    corrections.correct(reg, fix(reg, full_name=decomposed, email="Alibek.S@QAZAQ.example",
                                 phone="8 (701) 765-43-21"), by=contact_of(company))
    assert reg.full_name == RIGHT
    assert reg.email == "alibek.s@qazaq.example"
    assert reg.phone == "+77017654321"  # the company's country (KZ) read the local 8 (701) form


def test_the_same_values_typed_differently_are_no_change(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    assert corrections.correct(reg, fix(reg, email="ALIBEK@qazaq.example", phone="+7 701 123 45 67",
                                        languages=["ru", "kk"]), by=contact_of(company)) == {}
    assert entries(reg) == []


def test_the_search_key_follows_the_correction(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    corrections.correct(reg, fix(reg, latin_name="SEYTKALIEV Alibek", email="a.seytkaliev@qazaq.example"),
                        by=contact_of(company))
    found = f.db.session.scalars(queries.registrations(forum.id, queries.Filters(q="seytkaliev"))).all()
    assert found == [reg]
    assert "alibek@qazaq.example" not in reg.search_key
    assert f.db.session.scalars(queries.registrations(forum.id, queries.Filters(q="SEITKALIYEV"))).all() == []
    assert fold("a.seytkaliev@qazaq.example") in reg.search_key


# --- the once-per-forum e-mail rule -------------------------------------------------------------------

def test_an_address_already_active_in_this_forum_is_a_clear_field_error(forum):
    company = kazakh_company(forum)
    reg, other = company.delegates[0], f.registration_(forum)
    before = snapshot(reg)
    with pytest.raises(CorrectionError) as e:
        corrections.correct(reg, fix(reg, email=other.email.upper(), full_name=RIGHT), by=contact_of(company))
    assert "already registered for this forum" in e.value.errors["email"]
    assert snapshot(reg) == before


def test_an_address_withdrawn_here_or_registered_in_another_forum_is_free(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    gone = f.registration_(forum)
    states.transition(gone, RegState.WITHDRAWN, by=gone.user)
    elsewhere = f.registration_(f.forum())
    corrections.correct(reg, fix(reg, email=gone.email), by=contact_of(company))
    corrections.correct(reg, fix(reg, email=elsewhere.email), by=contact_of(company))
    assert reg.email == elsewhere.email


def test_the_unique_index_has_the_last_word(forum, monkeypatch):
    """When the check before it misses a taken address (it cannot under the forum lock, but the index is what
    guarantees it), the index refuses and the correction still changes nothing, with the same field error."""
    company = kazakh_company(forum)
    reg, other = company.delegates[0], f.registration_(forum)
    before = snapshot(reg)
    monkeypatch.setattr(corrections, "active_registration_with", lambda *a, **k: None)
    with pytest.raises(CorrectionError) as e:
        corrections.correct(reg, fix(reg, email=other.email, full_name=RIGHT), by=contact_of(company))
    assert "already registered for this forum" in e.value.errors["email"]
    assert snapshot(reg) == before
    assert entries(reg) == []


# --- a new e-mail address -------------------------------------------------------------------------------

def test_a_new_address_gets_the_mails_and_the_registration_and_both_addresses_are_told(forum):
    company = kazakh_company(forum)
    reg = company.delegates[0]
    old_user = reg.user
    corrections.correct(reg, fix(reg, email="alibek.seitkaliyev@qazaq.example"), by=contact_of(company))
    assert reg.user.email == "alibek.seitkaliyev@qazaq.example" and reg.user_id != old_user.id
    assert not services.can_view_registration(old_user, reg)
    mails = {m.to_addr: m for m in f.db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.template == "email_changed"))}
    assert set(mails) == {"alibek@qazaq.example", "alibek.seitkaliyev@qazaq.example"}
    assert all(m.language == "ru" for m in mails.values())  # the delegate's language
    old, new = mails["alibek@qazaq.example"], mails["alibek.seitkaliyev@qazaq.example"]
    assert "alibek.seitkaliyev@qazaq.example" in old.body_text
    assert "http://forum.test/password/set/" in new.body_text  # a new account: the link that sets its password
    assert "http://forum.test/password/set/" not in old.body_text  # the old address gets no way in
    # Later mails follow the new address.
    states.transition(reg, RegState.APPROVED, by=f.organizer())
    approved = f.db.session.scalars(sa.select(OutboxMessage.to_addr).where(OutboxMessage.template == "approved")).all()
    assert "alibek.seitkaliyev@qazaq.example" in approved and "alibek@qazaq.example" not in approved


# --- changed since approval -------------------------------------------------------------------------------

def test_correcting_an_approved_delegate_marks_it_changed_since_approval_and_a_reviewer_acknowledges(forum):
    company = kazakh_company(forum)
    reg, pending = company.delegates
    org = f.organizer()
    states.transition(reg, RegState.APPROVED, by=org)
    corrections.correct(reg, fix(reg, full_name=RIGHT), by=contact_of(company))
    corrections.correct(pending, fix(pending, position="CTO"), by=contact_of(company))
    assert reg.changed_since_approval_at is not None
    assert pending.changed_since_approval_at is None  # not approved yet: the organizer sees it when deciding
    listed = f.db.session.scalars(queries.registrations(forum.id, queries.Filters(changed="yes"))).all()
    assert listed == [reg]

    with pytest.raises(DomainError) as e:
        corrections.acknowledge_change(reg, by=contact_of(company))
    assert e.value.code == "forbidden"
    reviewer = f.member(forum, "review")
    corrections.acknowledge_change(reg, by=reviewer)
    assert reg.changed_since_approval_at is None
    [entry] = entries(reg, "change_acknowledged")
    assert entry.actor_id == reviewer.id
    assert f.db.session.scalars(queries.registrations(forum.id, queries.Filters(changed="yes"))).all() == []
    with pytest.raises(DomainError) as e:
        corrections.acknowledge_change(reg, by=reviewer)
    assert e.value.code == "nothing_to_acknowledge"


# --- the company's names ------------------------------------------------------------------------------------

def test_the_contact_person_corrects_the_company_names_and_approved_delegates_are_marked(forum):
    company = kazakh_company(forum)
    approved, pending = company.delegates
    states.transition(approved, RegState.APPROVED, by=f.organizer())
    changes = corrections.correct_company(company, CompanyNamesInput("«Қазақ Технологиялары» ЖШС", "Qazaq Tech LLP"),
                                          by=contact_of(company))
    assert changes == {"legal_name": ["«Қазақ Тех» ЖШС", "«Қазақ Технологиялары» ЖШС"]}
    assert approved.changed_since_approval_at is not None and pending.changed_since_approval_at is None
    assert f.db.session.scalars(queries.registrations(forum.id, queries.Filters(q="технологиялары"))).all()
    [entry] = f.db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "company",
                                                               AuditEntry.action == "corrected")).all()
    assert entry.details["changes"] == changes and entry.details["flagged"] == [approved.id]


def test_only_the_contact_person_or_a_reviewer_corrects_the_company_and_never_half(forum):
    company = kazakh_company(forum)
    with pytest.raises(DomainError) as e:
        corrections.correct_company(company, CompanyNamesInput("X", "X"), by=company.delegates[1].user)
    assert e.value.code == "not_yours"
    with pytest.raises(CorrectionError) as e:
        corrections.correct_company(company, CompanyNamesInput("Good name", "Line\nbreak"), by=contact_of(company))
    assert "name_en" in e.value.errors
    f.db.session.refresh(company)
    assert company.legal_name == "«Қазақ Тех» ЖШС"
    forum.badge_deadline = clock.now() - timedelta(seconds=1)
    with pytest.raises(DomainError) as e:
        corrections.correct_company(company, CompanyNamesInput("Good name", "Good"), by=contact_of(company))
    assert e.value.code == "badge_deadline_passed"
    corrections.correct_company(company, CompanyNamesInput("Good name", "Good"), by=f.member(forum, "review"))
    assert company.name_en == "Good"
