"""Whom a message reaches: each filter alone includes and excludes the right people; one per address; never
another forum's registrants; the count by language."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from forum.announcements import targeting
from forum.announcements.targeting import Filter, Tri
from forum.registration.models import Category, RegState
from tests import factories as f
from tests.announcements.people import ids, person

ALL_STATES = tuple(RegState)


def test_default_is_the_active_states(db):
    forum = f.forum()
    active = {person(forum, state=s).id for s in ("pending", "approved", "waitlisted")}
    person(forum, state="rejected"), person(forum, state="withdrawn"), person(forum, state="cancelled")
    assert ids(forum, Filter()) == active
    assert targeting.parse(MultiDict()).states == (RegState.PENDING, RegState.APPROVED, RegState.WAITLISTED)


@pytest.mark.parametrize("state", [s.value for s in RegState])
def test_state_filter(db, state):
    forum = f.forum()
    people = {s.value: person(forum, state=s.value) for s in RegState}
    assert ids(forum, targeting.parse(MultiDict([("state", state)]))) == {people[state].id}


def test_country_filter_is_the_company_country(db):
    forum = f.forum()
    jp, kz, uz = person(forum, country="JP"), person(forum, country="KZ"), person(forum, country="UZ")
    assert ids(forum, Filter(countries=("JP",))) == {jp.id}
    assert ids(forum, targeting.parse(MultiDict([("country", "kz"), ("country", "UZ")]))) == {kz.id, uz.id}


def test_category_filter(db):
    forum = f.forum()
    delegate, speaker = person(forum, category="delegate"), person(forum, category="speaker")
    assert ids(forum, Filter(categories=(Category.SPEAKER,))) == {speaker.id}
    assert ids(forum, Filter(categories=(Category.DELEGATE,))) == {delegate.id}


def test_language_filter_is_the_recipients_language_not_their_country(db):
    forum = f.forum()
    ja_in_kz = person(forum, language="ja", country="KZ")
    ru_in_jp = person(forum, language="ru", country="JP")
    assert ids(forum, Filter(languages=("ja",))) == {ja_in_kz.id}
    assert ids(forum, Filter(countries=("JP",))) == {ru_in_jp.id}


def test_late_filter(db):
    forum = f.forum()
    late, on_time = person(forum, late=True), person(forum, late=False)
    assert ids(forum, Filter(late=Tri.YES)) == {late.id}
    assert ids(forum, Filter(late=Tri.NO)) == {on_time.id}
    assert ids(forum, Filter(late=Tri.ANY)) == {late.id, on_time.id}


def test_checked_in_filter_reads_the_live_badge(db):
    from forum import clock
    from forum.badges import issuing

    forum = f.forum()
    inside, not_yet = person(forum, checked_in=True), person(forum)
    revoked = person(forum, checked_in=True)
    badge = issuing.badge_for(revoked)
    badge.revoked_at, badge.revoked_reason = clock.now(), "manual"  # an entry on a dead badge is no arrival
    db.session.flush()
    assert ids(forum, Filter(checked_in=Tri.YES)) == {inside.id}
    assert ids(forum, Filter(checked_in=Tri.NO)) == {not_yet.id, revoked.id}


def test_meetings_filter_counts_scheduled_meetings_on_either_side(db):
    forum = f.forum()
    a, b = person(forum, directory=True), person(forum, directory=True)
    c, d = person(forum, directory=True), person(forum, directory=True)
    nobody = person(forum)
    session = f.session(forum)
    table = f.table(forum, 1)
    f.meeting(a, b, session.slots[0], table)
    f.meeting(c, d, session.slots[1], table, state="cancelled")
    assert ids(forum, Filter(meetings=Tri.YES)) == {a.id, b.id}
    assert ids(forum, Filter(meetings=Tri.NO)) == {c.id, d.id, nobody.id}


def test_filters_combine(db):
    forum = f.forum()
    target = person(forum, language="ja", country="JP")
    person(forum, language="ja", country="JP", checked_in=True)
    person(forum, language="ru", country="JP")
    assert ids(forum, Filter(languages=("ja",), checked_in=Tri.NO)) == {target.id}


def test_one_per_address_the_newest_registration(db):
    forum = f.forum()
    old = person(forum, email="same@example.org", state="withdrawn", language="ru")
    new = person(forum, email="same@example.org", state="pending", language="ja")
    other = person(forum)
    everyone = Filter(states=ALL_STATES)
    people = targeting.recipients(forum.id, everyone)
    assert sorted(r.registration_id for r in people) == sorted([new.id, other.id])
    assert {r.email: r.language for r in people}["same@example.org"] == "ja"
    assert old.id not in ids(forum, everyone)
    assert targeting.reach(forum.id, everyone).total == 2


def test_other_forums_registrants_are_never_included(db):
    forum, other = f.forum(), f.forum()
    mine = person(forum, language="ja")
    person(other, language="ja"), person(other, email="shared@example.org")
    rejected_here = person(forum, email="shared@example.org", state="rejected")
    assert ids(forum, Filter()) == {mine.id}
    assert ids(forum, Filter(states=ALL_STATES)) == {mine.id, rejected_here.id}
    assert targeting.reach(forum.id, Filter(states=ALL_STATES)).total == 2


def test_count_by_language_most_first(app, db):
    forum = f.forum()
    for lang, n in (("en", 1), ("ja", 4), ("ru", 3), ("kk", 2), ("uz", 2)):
        for _ in range(n):
            person(forum, language=lang)
    r = targeting.reach(forum.id, Filter())
    assert r.total == 12
    assert r.by_language == [("ja", 4), ("ru", 3), ("kk", 2), ("uz", 2), ("en", 1)]
    with app.test_request_context("/"):
        assert r.sentence() == "This will reach 12 people: 4 ja, 3 ru, 2 kk, 2 uz, 1 en"
        assert targeting.Reach(total=1, by_language=[("ja", 1)]).sentence() == "This will reach 1 person: 1 ja"


def test_unknown_language_code_counts_as_english(db):
    forum = f.forum()
    reg = person(forum, language="ja")
    reg.language = "de"
    db.session.flush()
    assert targeting.reach(forum.id, Filter()).by_language == [("en", 1)]
    assert ids(forum, Filter(languages=("en",))) == {reg.id}
    assert ids(forum, Filter(languages=("ja",))) == set()


# --- parsing ----------------------------------------------------------------------------------

def test_parse_reads_every_field():
    flt = targeting.parse(MultiDict([("state", "approved"), ("country", "jp"), ("category", "vip"),
                                     ("language", "ja"), ("language", "kk"), ("late", "no"), ("checked_in", "no"),
                                     ("meetings", "yes")]))
    assert flt == Filter(states=(RegState.APPROVED,), countries=("JP",), categories=(Category.VIP,),
                         languages=("ja", "kk"), late=Tri.NO, checked_in=Tri.NO, meetings=Tri.YES)
    assert Filter.from_dict(flt.as_dict()) == flt


@pytest.mark.parametrize("field,value", [
    ("state", "approvedd"), ("country", "XX"), ("country", "Japan"), ("category", "minister"),
    ("language", "de"), ("late", "maybe"), ("checked_in", "1"), ("meetings", "true"),
])
def test_parse_refuses_bad_values_by_field(field, value):
    with pytest.raises(targeting.FilterError) as e:
        targeting.parse(MultiDict([(field, value)]))
    assert e.value.code == "invalid_filter" and e.value.status == 400
    assert list(e.value.errors) == [field]


def test_a_form_with_no_state_ticked_is_refused_not_read_as_any():
    with pytest.raises(targeting.FilterError) as e:
        targeting.parse(MultiDict([("state", "")]), form=True)
    assert list(e.value.errors) == ["state"]
    assert targeting.parse(MultiDict([("state", ""), ("state", "approved")]), form=True).states == (RegState.APPROVED,)


def test_parse_reports_every_bad_field_at_once():
    with pytest.raises(targeting.FilterError) as e:
        targeting.parse(MultiDict([("country", "ZZZ"), ("late", "x"), ("meetings", "yes"), ("meetings", "no")]))
    assert set(e.value.errors) == {"country", "late", "meetings"}


def test_a_stored_filter_without_states_reads_as_the_active_ones():
    assert Filter.from_dict({}) == Filter()
    assert Filter.from_dict(Filter(languages=("kk",), late=Tri.YES).as_dict()) == Filter(languages=("kk",),
                                                                                         late=Tri.YES)
