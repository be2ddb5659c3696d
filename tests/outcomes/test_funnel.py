"""The funnel equals a hand count on the small fixture (tests/outcomes/conftest.py `small`)."""
from __future__ import annotations

from forum.outcomes import funnel
from forum.outcomes.models import OutcomeKind as K

D = "\u2013"


def counts(c) -> tuple:
    return tuple(c.values())  # requested, accepted, scheduled, held, cooperation likely


def test_total(db, forum, small):
    fun = funnel.funnel(forum.id)
    assert counts(fun.total) == (7, 5, 3, 2, 1)


def test_by_country_pair(db, forum, small):
    fun = funnel.funnel(forum.id)
    assert {k: counts(c) for k, c in fun.by_pair.items()} == {
        f"JP{D}JP": (1, 1, 0, 0, 0),  # r7
        f"JP{D}KZ": (2, 2, 1, 1, 1),  # r1, r5
        f"JP{D}UZ": (2, 1, 1, 0, 0),  # r3, r4
        f"KZ{D}UZ": (2, 1, 1, 1, 0),  # r2, r6
    }
    assert list(fun.by_pair) == sorted(fun.by_pair)
    # Each request in exactly one pair: the pairs add up to the total.
    assert tuple(map(sum, zip(*(counts(c) for c in fun.by_pair.values())))) == counts(fun.total)


def test_by_sector_counts_each_sector_of_either_side_once(db, forum, small):
    fun = funnel.funnel(forum.id)
    assert {k: counts(c) for k, c in fun.by_sector.items()} == {
        "agriculture": (3, 3, 2, 2, 1),  # r1, r2, r5 (Әлия's profile)
        "energy": (3, 3, 2, 1, 1),  # r1, r3, r7
        "it": (5, 4, 2, 2, 1),  # r1, r2 (Әлия's profile), r4, r5 (once, though both sides are it), r7
        "mining": (1, 0, 0, 0, 0),  # r6
        "textiles": (4, 2, 2, 1, 0),  # r2, r3, r4, r6
    }


def test_outcome_distribution_and_next_steps(db, forum, small):
    fun = funnel.funnel(forum.id)
    assert fun.outcomes == {K.NOT_HELD: 1, K.NO_INTEREST: 1, K.INFORMATIVE: 2, K.COOPERATION: 1}
    assert fun.next_steps == 1


def test_cooperation_counts_only_for_a_held_meeting(db, forum, small):
    m1, m2, m3 = small["meetings"]
    m1.held_at = m1.held_via = None  # 田中 recorded "cooperation likely", but the venue never confirmed it
    db.session.flush()
    fun = funnel.funnel(forum.id)
    assert counts(fun.total) == (7, 5, 3, 1, 0)
    assert counts(fun.by_pair[f"JP{D}KZ"]) == (2, 2, 1, 0, 0)
    assert fun.outcomes[K.COOPERATION] == 1  # still recorded: the distribution is what people said


def test_an_outcome_of_a_cancelled_meeting_is_left_out(db, forum, small):
    from forum.meetings.models import MeetingState

    m1, m2, m3 = small["meetings"]
    m2.state = MeetingState.CANCELLED
    db.session.flush()
    fun = funnel.funnel(forum.id)
    assert fun.outcomes == {K.NOT_HELD: 1, K.NO_INTEREST: 0, K.INFORMATIVE: 1, K.COOPERATION: 1}
    # Held, then cancelled: it still happened, so it stays scheduled and held.
    assert counts(fun.by_pair[f"KZ{D}UZ"]) == (2, 1, 1, 1, 0)


def test_another_forums_figures_are_apart(db, forum, small):
    from tests import factories as f

    other = f.forum()
    assert counts(funnel.funnel(other.id).total) == (0, 0, 0, 0, 0)
    assert funnel.funnel(other.id).by_pair == {}
