"""The rules of contacts (forum.contacts.services) and the list's search (forum.contacts.queries), one test per
rule, asserting the error code; the race of two saves of the same pair on PostgreSQL."""
from __future__ import annotations

import unicodedata

import pytest
import sqlalchemy as sa

from forum import clock
from forum.badges.models import Badge
from forum.contacts import queries, services
from forum.contacts.models import NOTE_MAX, Contact
from forum.errors import InvalidInput, NotAllowed
from forum.forums import cancellation
from forum.meetings import participation
from forum.registration import states
from forum.registration.models import RegState
from tests import factories as f
from tests.contacts.helpers import JA, KZ, UZ, badge_of, delegate
from tests.concurrency import postgres_only, race


def _rows(db) -> list[Contact]:
    return list(db.session.scalars(sa.select(Contact).order_by(Contact.id)))


def _code(excinfo) -> str:
    return excinfo.value.code


# --- saving -----------------------------------------------------------------------------------------------

def test_save_stores_the_note_in_nfc_and_saving_again_updates_it(db, forum, me, aliya):
    decomposed = unicodedata.normalize("NFD", "Встреча в павильоне Қазақстан, стенд 12")
    contact, created = services.save(me, badge_of(aliya), "  " + decomposed + "\r\nПозвонить в мае  ")
    assert created and contact.owner_id == me.id and contact.person_id == aliya.id and contact.forum_id == forum.id
    assert contact.note == unicodedata.normalize("NFC", decomposed) + "\nПозвонить в мае"
    first_saved = contact.created_at

    again, created = services.save(me, badge_of(aliya), "Second talk")
    assert not created and again.id == contact.id
    assert [(c.note, c.created_at) for c in _rows(db)] == [("Second talk", first_saved)]


def test_an_empty_note_is_fine(db, me, aliya):
    contact, _ = services.save(me, badge_of(aliya), None)
    assert contact.note == ""


def test_only_an_approved_delegate_of_the_forum_saves(db, forum, aliya):
    with pytest.raises(NotAllowed) as e:
        services.save(None, badge_of(aliya), "")
    assert _code(e) == "not_a_delegate"
    pending = f.registration_(forum)
    assert services.owner_in(pending.user, forum) is None
    with pytest.raises(NotAllowed) as e:
        services.save(pending, badge_of(aliya), "")
    assert _code(e) == "not_a_delegate"
    assert _rows(db) == []


def test_a_badge_of_another_forum_is_refused(db, me):
    elsewhere = delegate(f.forum(), UZ)
    with pytest.raises(NotAllowed) as e:
        services.save(me, badge_of(elsewhere), "")
    assert _code(e) == "other_forum"


def test_a_delegate_whose_company_did_not_consent_cannot_be_saved(db, forum, me):
    hidden = delegate(forum, UZ, consent=False)
    with pytest.raises(NotAllowed) as e:
        services.save(me, badge_of(hidden), "")
    assert _code(e) == "not_shared"
    assert _rows(db) == []


def test_a_revoked_badge_cannot_be_saved(db, me, aliya):
    badge = badge_of(aliya)
    badge.revoked_at = clock.now()
    with pytest.raises(NotAllowed) as e:
        services.save(me, badge, "")
    assert _code(e) == "not_shared"


def test_a_withdrawn_delegate_cannot_be_saved_even_by_an_old_badge(db, me, aliya):
    badge = badge_of(aliya)
    aliya.state = RegState.WITHDRAWN  # the state alone: the badge's revocation is another domain's receiver
    with pytest.raises(NotAllowed) as e:
        services.save(me, badge, "")
    assert _code(e) == "not_shared"


def test_a_team_badge_is_not_a_contact(db, forum, me):
    from forum.badges import issuing
    from forum.teams.models import Permission

    team = issuing.team_badge(forum, f.member(forum, Permission.CHECKIN), by=f.organizer())
    with pytest.raises(NotAllowed) as e:
        services.save(me, team, "")
    assert _code(e) == "not_shared"


def test_nobody_saves_themselves(db, me):
    with pytest.raises(NotAllowed) as e:
        services.save(me, badge_of(me), "")
    assert _code(e) == "self"


def test_a_user_registered_twice_owns_the_list_of_their_first_registration(db, forum, me, aliya):
    second = delegate(forum, UZ)
    second.user_id = me.user_id  # the same person, registered a second time with another address
    db.session.flush()
    assert services.owner_in(me.user, forum).id == min(me.id, second.id) == me.id
    # ... always the same one, and their other registration is "themselves"
    assert services.owner_in(me.user, forum).id == me.id
    with pytest.raises(NotAllowed) as e:
        services.save(me, badge_of(second), "")
    assert _code(e) == "self"
    assert queries.badge_card(me.user, badge_of(second)).is_own
    # the first registration withdrawn: the second one owns the list from then on
    states.transition(me, RegState.WITHDRAWN, by=None, notify=False)
    assert services.owner_in(me.user, forum).id == second.id


def test_note_limits(db, me, aliya):
    badge = badge_of(aliya)
    services.save(me, badge, "я" * NOTE_MAX)
    with pytest.raises(InvalidInput) as e:
        services.save(me, badge, "я" * (NOTE_MAX + 1))
    assert _code(e) == "note_too_long" and e.value.field == "note"
    # counted after NFC: 500 letters й typed as и + combining breve are 1000 code points, and fit
    services.save(me, badge, unicodedata.normalize("NFD", "й" * NOTE_MAX))
    with pytest.raises(InvalidInput) as e:
        services.save(me, badge, "bell\x07")
    assert _code(e) == "control_characters"
    with pytest.raises(InvalidInput):
        services.save(me, badge, "nul\x00")
    assert _rows(db)[0].note == "й" * NOTE_MAX


def test_nothing_new_is_saved_in_a_cancelled_forum_but_the_list_stays_readable(db, forum, me, aliya):
    services.save(me, badge_of(aliya), "met at the stand")
    other = delegate(forum, UZ)
    badge = badge_of(other)
    cancellation.cancel(forum, reason="Venue closed", confirmed=True, by=f.organizer())
    db.session.refresh(me)
    assert services.owner_in(me.user, forum) is None
    reader = services.reader_in(me.user, forum)
    assert reader.id == me.id
    with pytest.raises(NotAllowed) as e:
        services.save(reader, badge, "")
    assert _code(e) == "not_a_delegate"
    assert [c.note for c in queries.contacts_of(reader)] == ["met at the stand"]


def test_update_and_remove(db, me, aliya):
    contact, _ = services.save(me, badge_of(aliya), "a")
    services.update_note(contact, "b\r\nc")
    assert _rows(db)[0].note == "b\nc"
    with pytest.raises(InvalidInput):
        services.update_note(contact, "x" * (NOTE_MAX + 1))
    services.remove(contact)
    assert _rows(db) == []


# --- the card ---------------------------------------------------------------------------------------------

def test_the_card_is_for_delegates_of_the_forum_only(db, forum, me, aliya):
    badge = badge_of(aliya)
    assert queries.badge_card(None, badge) is None
    assert queries.badge_card(f.user(), badge) is None
    assert queries.badge_card(f.registration_(forum).user, badge) is None  # pending
    assert queries.badge_card(delegate(f.forum(), UZ).user, badge) is None  # another forum's delegate
    card = queries.badge_card(me.user, badge)
    assert card.person.id == aliya.id and card.may_save and card.contact is None and not card.is_own
    services.save(me, badge, "x")
    assert queries.badge_card(me.user, badge).contact.note == "x"
    hidden = queries.badge_card(me.user, badge_of(delegate(forum, UZ, consent=False)))
    assert hidden.person is None and not hidden.may_save


def test_the_card_shows_the_b2b_profile_while_the_forums_b2b_runs(db, forum, me, aliya):
    f.profile(aliya.company, offers="Грузоперевозки Қазақстан — Жапония", seeks="Partners", sectors=["energy"])
    card = queries.badge_card(me.user, badge_of(aliya))
    assert card.profile.offers.startswith("Грузоперевозки") and card.sectors == ("energy",)
    participation.settings(forum).enabled = False
    assert queries.badge_card(me.user, badge_of(aliya)).profile is None


# --- the list ---------------------------------------------------------------------------------------------

@pytest.fixture()
def saved_three(db, forum, me):
    people = [delegate(forum, KZ), delegate(forum, UZ),
              delegate(forum, dict(JA, full_name="佐藤 花子", latin_name="SATO Hanako", email="sato@example.jp",
                                   legal_name="トヨタ通商株式会社", name_en="Toyota Tsusho"))]
    for i, (p, note) in enumerate(zip(people, ["стенд 12", "Call back; re: tariffs, rail", "名刺交換済み"])):
        contact, _ = services.save(me, badge_of(p), note)
        contact.created_at = f.utc(2027, 5, 20, 9, i)
    db.session.flush()
    return people


@pytest.mark.parametrize("query, expected", [
    ("казакстан", ["Aliya NURLANKYZY"]),  # Қазақстан typed on a Russian keyboard
    ("ҚАЗАҚСТАН ТЕМІР", ["Aliya NURLANKYZY"]),
    ("qoshma", ["Uktam GULOMOV"]),  # Qoʻshma without the oʻ
    ("Qo'shma", ["Uktam GULOMOV"]),
    ("oktam", ["Uktam GULOMOV"]),
    ("佐藤花子", ["SATO Hanako"]),  # without the space
    ("トヨタ", ["SATO Hanako"]),
    ("名刺", ["SATO Hanako"]),  # the note
    ("tariffs rail", ["Uktam GULOMOV"]),
    ("nurlankyzy", ["Aliya NURLANKYZY"]),
    ("ＳＡＴＯ", ["SATO Hanako"]),  # full-width
    ("", ["SATO Hanako", "Uktam GULOMOV", "Aliya NURLANKYZY"]),
    ("nobody", []),
    ("nurlankyzy tariffs", []),  # every word must match the same contact
    ("sato nobody", []),
])
def test_the_list_is_searched_in_any_script(db, me, saved_three, query, expected):
    assert [c.person.latin_name for c in queries.contacts_of(me, query)] == expected


def test_the_search_does_not_reveal_what_a_contact_does_not_share(db, me, saved_three):
    assert queries.contacts_of(me, "example.kz") == []  # the e-mail address
    assert queries.contacts_of(me, "aliya@") == []


def test_newest_first_or_by_name(db, me, saved_three):
    assert [c.person.latin_name for c in queries.contacts_of(me, "", "name")] == [
        "Aliya NURLANKYZY", "SATO Hanako", "Uktam GULOMOV"]


def test_the_list_holds_only_the_owners_contacts(db, forum, me, saved_three):
    other = delegate(forum, dict(JA, email="other@example.jp"))
    services.save(other, badge_of(saved_three[0]), "theirs")
    assert {c.note for c in queries.contacts_of(me)} == {"стенд 12", "Call back; re: tariffs, rail", "名刺交換済み"}
    assert [c.note for c in queries.contacts_of(other)] == ["theirs"]


# --- the race ---------------------------------------------------------------------------------------------

def test_two_saves_of_the_same_pair_at_once_end_in_one_row(app, db):
    postgres_only(db)
    forum = f.forum()
    me, aliya = delegate(forum, JA), delegate(forum, KZ)
    ids = (me.id, aliya.id)
    db.session.commit()

    def work(i):
        from forum.db import db as _db
        from forum.registration.models import Registration

        owner = _db.session.get(Registration, ids[0])
        badge = _db.session.scalar(sa.select(Badge).where(Badge.registration_id == ids[1]))
        services.save(owner, badge, f"note {i}")

    for _round in range(3):
        errors, codes = race(app, 4, work)
        assert errors == [] and codes == []
        rows = _rows(db)
        assert len(rows) == 1 and rows[0].note in {f"note {i}" for i in range(4)}
        db.session.rollback()


def test_a_cancelled_forum_has_no_owner_even_before_its_registrations_are_cancelled(db, forum, me, aliya):
    from forum.forums.models import ForumStatus

    forum.status = ForumStatus.CANCELLED  # the status alone, as in the instant before the registrations follow
    assert services.owner_in(me.user, forum) is None
    assert queries.badge_card(me.user, badge_of(aliya)) is None
    with pytest.raises(NotAllowed) as e:
        services.save(me, badge_of(aliya), "")
    assert _code(e) == "not_a_delegate"
