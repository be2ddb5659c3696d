from tests import factories as f
from forum.agendas import queries
def test_agendas_list_live_meetings_and_no_shows_in_time_order_never_cancelled_ones(db):
    forum = f.forum()
    a = f.participant(forum); b = f.participant(forum); c = f.participant(forum)
    s = f.session(forum); t = f.table(forum, 1); t2 = f.table(forum, 2)
    m1 = f.meeting(a, b, s.slots[1], t)
    m2 = f.meeting(a, c, s.slots[0], t2, state="cancelled")
    m3 = f.meeting(a, c, s.slots[2], t2, request=m2.request)
    assert [m.id for m in queries.agenda_of(a)] == [m1.id, m3.id]
    assert {k: [m.id for m in v] for k, v in queries.agendas_of(forum.id).items()} == {a.id: [m1.id, m3.id], b.id: [m1.id], c.id: [m3.id]}
    assert {k: [m.id for m in v] for k, v in queries.table_meetings(forum.id).items()} == {t.id: [m1.id], t2.id: [m3.id]}
    m1.state = m1.state.NO_SHOW
    m1.no_show_at = s.slots[1].starts_at
    db.session.flush()
    assert [m.id for m in queries.agenda_of(b)] == [m1.id]  # a no-show stays on the agenda, marked
    assert queries.other_side(m1, a).id == b.id and queries.other_side(m1, b).id == a.id
