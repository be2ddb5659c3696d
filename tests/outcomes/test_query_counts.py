"""The delegate's outcome list and the results page do not grow in SQL statements with their rows."""
from __future__ import annotations

from datetime import timedelta

from forum.outcomes import services
from forum.outcomes.models import OutcomeKind
from forum.teams.models import Permission
from tests import factories as f
from tests.outcomes.conftest import START
from tests.test_query_counts import statements_for

LATER = START + timedelta(days=1)


def _meetings(forum, tanaka, grid, n):
    slots, tables = grid
    doc = None
    for i in range(n):
        other = f.participant(forum, full_name=f"Oʻtkir Gʻaniyev {i}", latin_name=f"Otkir Ganiyev {i}", country="UZ")
        m = f.meeting(tanaka, other, slots[i], tables[0])
        if doc is None:
            doc = f.document(forum, parties=[tanaka.company, other.company])
        services.record(m, tanaka, kind=OutcomeKind.COOPERATION, next_step="見積書", document=doc if i == 0 else None,
                        by=tanaka.user, now=LATER)
        services.record(m, other, kind=OutcomeKind.INFORMATIVE, by=other.user, now=LATER)


def test_pages_do_not_grow(app, db, client, login, at):
    from tests.outcomes.conftest import people

    built = {}
    for n in (1, 6):
        forum = f.forum()
        trio = people(forum)
        s = f.session(forum, "2027-05-20 09:00", "2027-05-20 12:00", slot_minutes=20)
        _meetings(forum, trio[0], (s.slots, [f.table(forum, 1)]), n)
        built[n] = (forum, trio[0].user, f.member(forum, Permission.B2B))
    at(LATER)
    figures = {}
    for n, (forum, delegate, team) in built.items():
        login(delegate)
        figures[("mine", n)] = statements_for(client, f"/forums/{forum.slug}/b2b/outcomes/")
        login(team)
        figures[("results", n)] = statements_for(client, f"/manage/{forum.slug}/b2b/results/")
    assert figures[("mine", 1)] == figures[("mine", 6)]
    assert figures[("results", 1)] == figures[("results", 6)]
