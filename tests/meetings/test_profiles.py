"""The company B2B profile service: who may edit it, what a valid profile is, the audit trail, the search key."""
from __future__ import annotations

import unicodedata

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import NotAllowed
from forum.meetings import profiles
from forum.meetings.models import B2BProfile, MeetingPrefs
from forum.meetings.profiles import ProfileError, ProfileInput
from forum.registration import states
from forum.registration.models import RegState
from forum.search import search_key
from forum.teams.models import Permission
from tests import factories as f


def _entries():
    return list(db_scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "b2b_profile")
                           .order_by(AuditEntry.id)))


def db_scalars(stmt):
    from forum.db import db

    return db.session.scalars(stmt)


def _count_profiles() -> int:
    from forum.db import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(B2BProfile))


# --- who may edit ------------------------------------------------------------------------------

def test_the_contact_person_edits_and_the_change_is_audited_as_their_own(db):
    forum = f.forum()
    reg = f.participant(forum)
    company = reg.company
    decomposed = unicodedata.normalize("NFD", "Су тазарту технологиялары, Қазақстан")
    changes = profiles.update(company, ProfileInput(offers="  " + decomposed + "  ", seeks="水処理技術",
                                                    sectors=["energy", "environment"]), by=company.contact_user)
    assert set(changes) == {"offers", "seeks", "sectors"}
    p = profiles.profile_of(company)
    assert p.offers == unicodedata.normalize("NFC", decomposed.strip())
    assert p.forum_id == forum.id and p.updated_by_id == company.contact_user_id
    [entry] = _entries()
    assert entry.action == "edited" and entry.actor_id == company.contact_user_id and entry.forum_id == forum.id
    assert entry.subject_id == p.id
    assert entry.details["fields"] == ["offers", "sectors", "seeks"]
    assert entry.details["after"]["sectors"] == ["energy", "environment"]
    assert entry.details["before"]["sectors"] == []
    assert "on_behalf" not in entry.details


def test_an_approved_delegate_edits_but_a_pending_one_may_not(db):
    forum = f.forum()
    company = f.company(forum, 2, directory_consent=True)
    approved, pending = company.delegates
    states.transition(approved, RegState.APPROVED, by=None, notify=False)
    profiles.update(company, ProfileInput(offers="Cotton"), by=approved.user)
    assert profiles.profile_of(company).offers == "Cotton"
    with pytest.raises(NotAllowed) as e:
        profiles.update(company, ProfileInput(offers="Wheat"), by=pending.user)
    assert e.value.code == "not_allowed"
    assert profiles.profile_of(company).offers == "Cotton"
    assert profiles.editor_role(approved.user, company) == "delegate"
    assert profiles.editor_role(company.contact_user, company) == "contact"
    assert profiles.editor_role(pending.user, company) is None


def test_an_opted_out_delegate_still_edits_their_companys_profile(db):
    forum = f.forum()
    reg = f.participant(forum)
    db.session.add(MeetingPrefs(registration_id=reg.id, opted_out=True))
    db.session.flush()
    profiles.update(reg.company, ProfileInput(seeks="Investors"), by=reg.user)
    assert profiles.profile_of(reg.company).seeks == "Investors"


def test_the_b2b_team_edits_on_behalf_and_the_audit_says_so(db):
    forum = f.forum()
    company = f.participant(forum).company
    team = f.member(forum, Permission.B2B)
    profiles.update(company, ProfileInput(offers="Solar panels"), by=team)
    [entry] = _entries()
    assert entry.actor_id == team.id and entry.details["on_behalf"] is True
    assert profiles.editor_role(team, company) == "team"


@pytest.mark.parametrize("who", ["stranger", "other_delegate", "other_contact", "checkin_member",
                                 "b2b_of_other_forum", "anonymous"])
def test_everyone_else_is_refused_and_nothing_is_saved(db, who):
    forum = f.forum()
    company = f.participant(forum).company
    other = f.participant(forum)
    user = {"stranger": lambda: f.user(), "other_delegate": lambda: other.user,
            "other_contact": lambda: other.company.contact_user,
            "checkin_member": lambda: f.member(forum, Permission.CHECKIN),
            "b2b_of_other_forum": lambda: f.member(f.forum(), Permission.B2B),
            "anonymous": lambda: None}[who]()
    with pytest.raises(NotAllowed) as e:
        profiles.update(company, ProfileInput(offers="Hijack"), by=user)
    assert e.value.code == "not_allowed"
    assert _count_profiles() == 0 and _entries() == []
    assert not profiles.may_edit(user, company)


# --- what a valid profile is --------------------------------------------------------------------

@pytest.mark.parametrize("field_, value, code", [
    ("offers", "x" * (profiles.TEXT_MAX + 1), "offers_too_long"),
    ("seeks", "я" * (profiles.TEXT_MAX + 1), "seeks_too_long"),
    ("offers", "Cotton\x00", "control_characters"),
    ("seeks", "Water\x1btreatment", "control_characters"),
    ("seek_kinds", ["technology", "world_domination"], "unknown_seek_kind"),
    ("sectors", ["energy", "space_piracy"], "unknown_sector"),
    ("sectors", ["energy", "mining", "agriculture", "manufacturing", "automotive", "it"], "too_many_sectors"),
    ("target_countries", ["KZ", "XX"], "unknown_country"),
    ("target_countries", sorted(__import__("forum.registration.choices", fromlist=["x"]).COUNTRY_CODES)[:31],
     "too_many_countries"),
    ("languages", ["ja", "klingon"], "unknown_language"),
    ("languages", "ja", "unknown_language"),  # a string is not a list of codes
    ("sectors", ["energy", 7], "unknown_sector"),
])
def test_each_rule_has_its_code_and_nothing_is_saved(db, field_, value, code):
    forum = f.forum()
    company = f.participant(forum).company
    f.profile(company, offers="Before", sectors=["it"])
    before = (profiles.profile_of(company).offers, list(profiles.profile_of(company).sectors))
    n_entries = len(_entries())
    db.session.commit()  # so that the rollback below shows what the database holds
    data = profiles.input_from(profiles.profile_of(company))
    data.offers = "After"
    setattr(data, field_, value)
    with pytest.raises(ProfileError) as e:
        profiles.update(company, data, by=company.contact_user)
    assert e.value.codes == {field_: code}
    assert e.value.errors[field_]  # a message for the person, next to the field
    db.session.rollback()
    p = profiles.profile_of(company)
    assert (p.offers, list(p.sectors)) == before
    assert len(_entries()) == n_entries


def test_the_limits_themselves_are_allowed(db):
    forum = f.forum()
    company = f.participant(forum).company
    p = f.profile(company, offers="ж" * profiles.TEXT_MAX, seeks="Line one\r\nline two\ttabbed",
                  sectors=["energy", "mining", "agriculture", "manufacturing", "automotive"],
                  target_countries=["kz", "JP", "KZ"], languages=["ru", "ja", "kk"],
                  seek_kinds=["suppliers", "technology"])
    assert len(p.offers) == profiles.TEXT_MAX
    assert p.seeks == "Line one\nline two\ttabbed"
    # codes are upper-cased, de-duplicated and kept in the order of their lists
    assert p.target_countries == ["JP", "KZ"]
    assert p.languages == ["kk", "ru", "ja"]
    assert p.seek_kinds == ["technology", "suppliers"]


def test_several_bad_fields_are_reported_together_and_no_profile_is_created(db):
    forum = f.forum()
    company = f.participant(forum).company
    with pytest.raises(ProfileError) as e:
        profiles.update(company, ProfileInput(offers="o" * 5000, sectors=["nope"], languages=["xx"]),
                        by=company.contact_user)
    assert e.value.codes == {"offers": "offers_too_long", "sectors": "unknown_sector", "languages": "unknown_language"}
    assert e.value.code == "invalid_profile"
    assert _count_profiles() == 0 and _entries() == []


def test_saving_the_same_profile_again_changes_and_logs_nothing(db):
    forum = f.forum()
    company = f.participant(forum).company
    f.profile(company, offers="Cotton", sectors=["textiles"])
    assert len(_entries()) == 1
    data = profiles.input_from(profiles.profile_of(company))
    assert profiles.update(company, data, by=company.contact_user) == {}
    assert len(_entries()) == 1


def test_get_or_create_makes_one_profile_per_company(db):
    forum = f.forum()
    company = f.participant(forum).company
    first = profiles.get_or_create(company)
    assert profiles.get_or_create(company).id == first.id
    assert _count_profiles() == 1


# --- the search key ------------------------------------------------------------------------------

def test_the_search_key_holds_offers_and_seeks_then_the_names_of_the_company_and_its_participants(db):
    forum = f.forum()
    reg = f.participant(forum, legal_name="ТОО «Қазақ Су»", name_en="Kazakh Su LLP", full_name="Әлия Нұрланқызы",
                        latin_name="Aliya NURLANKYZY")
    p = f.profile(reg.company, offers="Oʻzbek paxtasi", seeks="Water | treatment")
    text, sep, names = p.search_key.partition(f" {profiles.SECTION} ")
    assert sep and profiles.SECTION not in text and profiles.SECTION not in names
    assert "ozbek paxtasi" in text and "water" in text and "treatment" in text
    assert "казак су" in names and "kazakh su llp" in names and "алия нурланкызы" in names
    assert "aliya nurlankyzy" in names
    assert "water" not in names and "алия" not in text


def test_the_key_follows_a_delegate_who_opts_out_once_refreshed(db):
    forum = f.forum()
    reg = f.participant(forum, full_name="田中 一郎", latin_name="TANAKA Ichiro")
    company = reg.company
    f.profile(company, offers="Pumps")
    assert search_key("田中 一郎") in profiles.profile_of(company).search_key
    db.session.add(MeetingPrefs(registration_id=reg.id, opted_out=True))
    db.session.flush()
    profiles.refresh_search_key(company)
    assert "田中" not in profiles.profile_of(company).search_key
    assert "pumps" in profiles.profile_of(company).search_key


def test_the_factory_updates_an_existing_profile_through_the_service(db):
    forum = f.forum()
    company = f.participant(forum).company
    f.profile(company, offers="One")
    p = f.profile(company, seeks="Two")
    assert (p.offers, p.seeks) == ("One", "Two")
    assert len(_entries()) == 2
