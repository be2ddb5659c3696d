"""The signing ceremony's rules (documents.ceremony): the register's settings, the order of exchange (dense and
unique, also when two organizers move at once), the tap that marks a document exchanged and its undo (once,
also when two devices tap at the same moment on PostgreSQL), and the tally following the tap."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.db import db as _db
from forum.documents import ceremony, numbering, tally
from forum.documents.models import Document, DocumentRegister
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.teams.models import Permission
from tests import factories as f
from tests.concurrency import postgres_only, race


def _positions(forum) -> list[tuple[int, int]]:
    from forum.db import db

    return db.session.execute(sa.select(Document.id, Document.ceremony_position)
                              .where(Document.forum_id == forum.id, Document.ceremony_position.is_not(None))
                              .order_by(Document.ceremony_position)).all()


def _order_ids(forum) -> list[int]:
    return [d.id for d in ceremony.order(forum)]


def _audit(doc, action) -> list[AuditEntry]:
    from forum.db import db

    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_type == "document", AuditEntry.subject_id == doc.id, AuditEntry.action == action)
        .order_by(AuditEntry.id)))


def _counted(forum) -> int:
    from forum.db import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(Document)
                             .where(Document.forum_id == forum.id, tally.counted()))


@pytest.fixture()
def three(db):
    forum = f.forum(slug="central-asia-japan")
    docs = [f.document(forum, exchanged=False, titles={"en": f"MOU {i}"}) for i in range(3)]
    for d in docs:
        ceremony.add(d)
    return forum, docs


# --- the order -------------------------------------------------------------------------------------------------

def test_add_puts_documents_last_in_a_dense_order(three):
    forum, (a, b, c) = three
    assert _positions(forum) == [(a.id, 1), (b.id, 2), (c.id, 3)]
    d = f.document(forum, exchanged=False)
    assert ceremony.add(d) == 4
    assert [p for _i, p in _positions(forum)] == [1, 2, 3, 4]
    assert len(_audit(d, "ceremony_added")) == 1


def test_a_document_is_added_once(three):
    forum, (a, _b, _c) = three
    with pytest.raises(DomainError) as e:
        ceremony.add(a)
    assert e.value.code == "already_in_ceremony"
    assert [p for _i, p in _positions(forum)] == [1, 2, 3]


def test_remove_closes_the_gap(three):
    forum, (a, b, c) = three
    ceremony.remove(b)
    assert _positions(forum) == [(a.id, 1), (c.id, 2)]
    assert b.ceremony_position is None
    with pytest.raises(DomainError) as e:
        ceremony.remove(b)
    assert e.value.code == "not_in_ceremony"


def test_move_keeps_the_others_in_their_order(three):
    forum, (a, b, c) = three
    assert ceremony.move(c, 1) == 1
    assert _order_ids(forum) == [c.id, a.id, b.id]
    assert [p for _i, p in _positions(forum)] == [1, 2, 3]
    ceremony.move(c, 3)
    assert _order_ids(forum) == [a.id, b.id, c.id]
    assert [e.details for e in _audit(c, "ceremony_moved")] == [{"from_position": 3, "to_position": 1},
                                                                {"from_position": 1, "to_position": 3}]


@pytest.mark.parametrize("to", [0, 4, -1, "x", None, "", "٢", "1.5", "99999999999999999999999"])
def test_a_move_outside_the_order_is_refused_and_changes_nothing(three, to):
    forum, (a, b, c) = three
    with pytest.raises(DomainError) as e:
        ceremony.move(a, to)
    assert e.value.code == "invalid_position" and e.value.field == "position"
    assert _order_ids(forum) == [a.id, b.id, c.id]


def test_a_place_typed_in_full_width_digits_is_understood(three):
    forum, (a, b, c) = three
    assert ceremony.move(a, "２") == 2
    assert _order_ids(forum) == [b.id, a.id, c.id]


def test_up_and_down_swap_neighbours_and_stop_at_the_ends(three):
    forum, (a, b, c) = three
    ceremony.move_up(b)
    assert _order_ids(forum) == [b.id, a.id, c.id]
    ceremony.move_down(b)
    ceremony.move_down(b)
    assert _order_ids(forum) == [a.id, c.id, b.id]
    with pytest.raises(DomainError) as e:
        ceremony.move_down(b)
    assert e.value.code == "already_last"
    with pytest.raises(DomainError) as e:
        ceremony.move_up(a)
    assert e.value.code == "already_first"
    assert _order_ids(forum) == [a.id, c.id, b.id]


def test_moving_a_document_not_in_the_order_is_refused(db):
    forum = f.forum()
    doc = f.document(forum)
    with pytest.raises(DomainError) as e:
        ceremony.move(doc, 1)
    assert e.value.code == "not_in_ceremony"


def test_a_withdrawn_document_leaves_the_order_and_cannot_join_it(three):
    forum, (a, b, c) = three
    b.withdrawn_at, b.withdrawn_reason = datetime.now(timezone.utc), "Signed twice"
    ceremony.withdrawn(b)
    assert _positions(forum) == [(a.id, 1), (c.id, 2)]
    with pytest.raises(DomainError) as e:
        ceremony.add(b)
    assert e.value.code == "withdrawn"
    assert b.ceremony_position is None


def test_a_withdrawn_document_left_in_place_is_dropped_at_the_next_change(three):
    forum, (a, b, c) = three
    a.withdrawn_at, a.withdrawn_reason = datetime.now(timezone.utc), "Withdrawn by the ministry"
    _db.session.flush()
    assert _order_ids(forum) == [b.id, c.id]  # never shown
    d = f.document(forum, exchanged=False)
    assert ceremony.add(d) == 3
    assert _positions(forum) == [(b.id, 1), (c.id, 2), (d.id, 3)]


def test_orders_are_per_forum(three):
    forum, docs = three
    other = f.forum()
    x = f.document(other, exchanged=False)
    assert ceremony.add(x) == 1
    assert [p for _i, p in _positions(forum)] == [1, 2, 3]


# --- the tap -------------------------------------------------------------------------------------------------------

def test_marking_exchanged_counts_the_document_in_the_tally(three):
    forum, (a, b, c) = three
    user = f.member(forum, Permission.DOCUMENTS)
    assert _counted(forum) == 0
    at = datetime(2026, 12, 7, 4, 30, tzinfo=timezone.utc)
    ceremony.mark_exchanged(a, by=user, now=at)
    assert a.exchanged_at == at
    assert _counted(forum) == 1
    assert tally.summary(forum.id).total == 1
    entry = _audit(a, "exchanged")[0]
    assert entry.actor_id == user.id and entry.from_state == "not_exchanged" and entry.to_state == "exchanged"
    assert ceremony.progress(forum) == ceremony.Progress(exchanged=1, total=3)


def test_a_second_tap_is_refused_with_its_code_and_keeps_the_first_time(three):
    forum, (a, _b, _c) = three
    first = datetime(2026, 12, 7, 4, 30, tzinfo=timezone.utc)
    ceremony.mark_exchanged(a, by=None, now=first)
    with pytest.raises(DomainError) as e:
        ceremony.mark_exchanged(a, by=None, now=datetime(2026, 12, 7, 4, 31, tzinfo=timezone.utc))
    assert e.value.code == "already_exchanged"
    assert a.exchanged_at == first and len(_audit(a, "exchanged")) == 1


def test_undo_takes_it_out_of_the_tally(three):
    forum, (a, _b, _c) = three
    ceremony.mark_exchanged(a, by=None)
    ceremony.undo_exchanged(a, by=None)
    assert a.exchanged_at is None and _counted(forum) == 0
    assert len(_audit(a, "exchange_undone")) == 1
    with pytest.raises(DomainError) as e:
        ceremony.undo_exchanged(a, by=None)
    assert e.value.code == "not_exchanged"
    assert len(_audit(a, "exchange_undone")) == 1


def test_a_withdrawn_document_cannot_be_exchanged(db):
    forum = f.forum()
    doc = f.document(forum, exchanged=False)
    doc.withdrawn_at, doc.withdrawn_reason = datetime.now(timezone.utc), "Replaced by CAJ-2024-020"
    with pytest.raises(DomainError) as e:
        ceremony.mark_exchanged(doc, by=None)
    assert e.value.code == "withdrawn"
    assert doc.exchanged_at is None and _audit(doc, "exchanged") == []


def test_a_document_that_does_not_count_is_exchanged_but_not_counted(db):
    forum = f.forum()
    doc = f.document(forum, exchanged=False, counts=False)
    ceremony.mark_exchanged(doc, by=None)
    assert doc.exchanged_at is not None and _counted(forum) == 0


# --- the register's settings ---------------------------------------------------------------------------------

def test_settings_save_prefix_languages_in_order_time_in_the_forum_zone_and_place(db):
    forum = f.forum(slug="central-asia-japan", tz="Asia/Almaty")
    user = f.member(forum, Permission.DOCUMENTS)
    reg = ceremony.update_register(forum, " caj-2024 ", ["ja", "kk", "ru", "uz"], "2026-12-07 10:00",
                                   "  Зал «Астана»,  Palace of Independence ", by=user)
    assert reg.prefix == "CAJ-2024"
    assert reg.languages == ["ja", "kk", "ru", "uz"]
    offset = forum.tz.utcoffset(datetime(2026, 12, 7, 10, 0))
    assert reg.ceremony_at == datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc) - offset
    assert reg.ceremony_place == "Зал «Астана», Palace of Independence"
    entry = _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "register_changed")).one()
    assert entry.actor_id == user.id and entry.details["after"]["languages"] == ["ja", "kk", "ru", "uz"]
    assert f.document(forum).reference == "CAJ-2024-001"


def test_languages_keep_their_order_once_each_and_blanks_are_skipped(db):
    forum = f.forum()
    reg = ceremony.update_register(forum, "X", ["ru", "", "ja", "ru"], "", "", by=None)
    assert reg.languages == ["ru", "ja"] and reg.ceremony_at is None


@pytest.mark.parametrize("langs, code", [([], "no_language"), (["", ""], "no_language"), (["xx"], "unknown_language"),
                                         (["ja", "<script>"], "unknown_language"),
                                         (["kk", "ru", "uz", "ky", "tg", "tk", "ja"], "too_many_languages")])
def test_bad_languages_are_refused(db, langs, code):
    forum = f.forum()
    with pytest.raises(ceremony.CeremonyErrors) as e:
        ceremony.update_register(forum, "CAJ-2024", langs, "", "", by=None)
    assert e.value.errors["languages"][0] == code
    assert numbering.register_of(forum) is None


def test_every_wrong_field_is_named_and_nothing_is_saved(db):
    forum = f.forum()
    f.document(forum)
    reg = numbering.register_of(forum)
    before = (reg.prefix, list(reg.languages), reg.ceremony_at, reg.ceremony_place)
    with pytest.raises(ceremony.CeremonyErrors) as e:
        ceremony.update_register(forum, "КАЖ", ["ja"], "7 December", "x" * 201, by=None)
    assert e.value.codes == {"invalid_prefix", "invalid_time", "place_too_long"}
    assert set(e.value.by_field()) == {"prefix", "ceremony_at", "ceremony_place"}
    _db.session.refresh(reg)
    assert (reg.prefix, list(reg.languages), reg.ceremony_at, reg.ceremony_place) == before
    assert _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "register_changed")).all() == []


def test_a_time_that_does_not_exist_in_the_forum_zone_is_refused(db):
    forum = f.forum(tz="Europe/Berlin")
    with pytest.raises(ceremony.CeremonyErrors) as e:
        ceremony.update_register(forum, "X", ["en"], "2027-03-28 02:30", "", by=None)
    assert e.value.errors["ceremony_at"][0] == "invalid_time"


# --- the run-sheet's content ------------------------------------------------------------------------------------

def test_run_sheet_items_follow_the_order_with_titles_in_the_event_languages(db):
    forum = f.forum()
    ceremony.update_register(forum, "CAJ-2024", ["ja", "kk", "en"], "", "", by=None)
    proxy = dict(organisation="Oʻzbekiston filiali", country="UZ", kind="private_company",
                 signatory_name="Gʻayrat Oʻrinboyev", signatory_position="Branch manager", capacity="on_behalf",
                 principal_name="Ренат Жақсыбеков", principal_position="Director", poa_reference="PoA-17",
                 exchanged_by_name="Айгүл Нұрланова", exchanged_by_position="Deputy", side="right")
    chamber = dict(organisation="Қазақстан сауда-өнеркәсіп палатасы", country="KZ", kind="association",
                   signatory_name="Әлихан Сәрсенов", signatory_position="Chairman", side="left")
    a = f.document(forum, parties=[chamber, proxy], titles={"en": "MOU on water", "ja": "水処理に関する覚書",
                                                             "ru": "Меморандум"})
    b = f.document(forum, titles={"ru": "Только по-русски"})
    ceremony.add(b)
    ceremony.add(a)
    items = ceremony.run_sheet_items(forum)
    assert [i.reference for i in items] == [b.reference, a.reference] and [i.position for i in items] == [1, 2]
    assert items[1].titles == [("Japanese", "水処理に関する覚書"), ("English", "MOU on water")]  # no Kazakh one
    assert items[0].titles == [("Russian", "Только по-русски")]  # none in the event's languages: the authoritative
    p = items[1].parties[1]
    assert p.announcement == "Gʻayrat Oʻrinboyev, Branch manager, on behalf of Ренат Жақсыбеков"
    assert p.exchanged_by == "Айгүл Нұрланова, Deputy" and p.side == "right" and p.side_label == "Right"
    assert items[1].parties[0].exchanged_by == "" and items[1].parties[0].country == "Kazakhstan"


# --- races on PostgreSQL -------------------------------------------------------------------------------------------

_race, _postgres_only = race, postgres_only


def test_two_devices_tapping_the_same_document_record_it_once(app, db):
    _postgres_only(db)
    forum = f.forum()
    doc = f.document(forum, exchanged=False)
    ceremony.add(doc)
    doc_id = doc.id
    db.session.commit()
    n = 4
    errors, codes = _race(app, n, lambda i: ceremony.mark_exchanged(_db.session.get(Document, doc_id), by=None))
    assert errors == []
    assert codes == ["already_exchanged"] * (n - 1)
    db.session.expire_all()
    assert db.session.get(Document, doc_id).exchanged_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.subject_id == doc_id, AuditEntry.action == "exchanged")) == 1


def test_concurrent_adds_and_moves_keep_the_order_dense_and_unique(app, db):
    _postgres_only(db)
    forum = f.forum()
    docs = [f.document(forum, exchanged=False) for _ in range(8)]
    for d in docs[:4]:
        ceremony.add(d)
    ids = [d.id for d in docs]
    forum_id = forum.id
    db.session.commit()

    def work(i):
        doc = _db.session.get(Document, ids[i])
        if i >= 4:
            ceremony.add(doc)
        else:
            ceremony.move(doc, 4 - i)

    errors, codes = _race(app, 8, work)
    assert errors == [] and codes == []
    positions = sorted(db.session.scalars(sa.select(Document.ceremony_position).where(
        Document.forum_id == forum_id, Document.ceremony_position.is_not(None))))
    assert positions == list(range(1, 9))
    assert db.session.get(Forum, forum_id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentRegister)) == 1
