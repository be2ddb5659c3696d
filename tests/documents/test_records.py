"""The records service (documents.records): every rule of a document's record, one test each, asserting the code,
the field it shows next to, and that nothing was saved after a refusal."""
from __future__ import annotations

import unicodedata
from datetime import date

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.documents import records, tally
from forum.documents.models import Capacity, Document, DocumentParty, DocumentRegister, DocumentTitle, document_meetings
from forum.documents.records import DocumentInput, PartyInput, TitleInput
from forum.errors import InvalidInput, InvalidState
from forum.search import fold
from tests import factories as f


def party(**kw) -> PartyInput:
    data = dict(organisation="Aoba Trading Co., Ltd.", country="JP", kind="private_company",
                signatory_name="青葉 太郎", signatory_position="President")
    data.update(kw)
    return PartyInput(**data)


def chamber(**kw) -> PartyInput:
    data = dict(organisation="Қазақстан сауда-өнеркәсіп палатасы", country="KZ", kind="association",
                signatory_name="Әлихан Сәрсенов", signatory_position="Төраға")
    data.update(kw)
    return PartyInput(**data)


def data(**kw) -> DocumentInput:
    values = dict(titles=[TitleInput("en", "MOU on water treatment"),
                          TitleInput("ru", "Меморандум о водоочистке")],
                  authoritative_language="en", kind="mou", signed_on="2027-05-20", place="Astana",
                  ceremony="main_stage", sectors=["energy"], parties=[party(), chamber()])
    values.update(kw)
    return DocumentInput(**values)


def count(db, model=Document) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _state(db) -> tuple:
    return (count(db), count(db, DocumentParty), count(db, DocumentTitle), count(db, AuditEntry),
            count(db, document_meetings), tuple(db.session.scalars(sa.select(DocumentRegister.next_number))))


def refused(db, forum, d: DocumentInput, by=None) -> records.RecordError:
    db.session.commit()  # what the test built stays; only the refused recording may go
    before = _state(db)
    with pytest.raises(records.RecordError) as e:
        records.create(forum, d, by=by)
    db.session.rollback()
    assert _state(db) == before
    return e.value


# --- recording --------------------------------------------------------------------------------------------


def test_a_document_is_recorded_numbered_searchable_and_audited(db):
    forum = f.forum(slug="central-asia-japan")
    by = f.organizer()
    doc = records.create(forum, data(), by=by)
    db.session.commit()
    assert doc.number == 1 and doc.reference.endswith("-001")
    assert {t.language: t.title for t in doc.titles} == {"en": "MOU on water treatment",
                                                         "ru": "Меморандум о водоочистке"}
    assert doc.authoritative_language == "en" and doc.signed_on == date(2027, 5, 20)
    assert [(p.position, p.organisation, p.country, p.side) for p in doc.parties] == [
        (1, "Aoba Trading Co., Ltd.", "JP", "left"), (2, "Қазақстан сауда-өнеркәсіп палатасы", "KZ", "right")]
    assert doc.exchanged_at is None and not tally.counts(doc)
    assert doc.created_by_id == by.id
    for word in (doc.reference, "водоочистке", "青葉", "Сарсенов", "палатасы"):
        assert fold(word) in doc.search_key
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.subject_type, entry.subject_id, entry.action, entry.actor_id, entry.forum_id) == (
        "document", doc.id, "created", by.id, forum.id)
    assert entry.details["reference"] == doc.reference
    assert entry.details["after"]["parties"][1]["signatory_name"] == "Әлихан Сәрсенов"


def test_numbers_follow_each_other(db):
    forum = f.forum()
    a = records.create(forum, data(), by=None)
    b = records.create(forum, data(), by=None)
    assert (a.number, b.number) == (1, 2)


def test_recorded_as_exchanged_now_counts_in_the_tally(db):
    forum = f.forum()
    doc = records.create(forum, data(exchanged_now=True), by=None)
    assert doc.exchanged_at is not None and tally.counts(doc)


def test_names_and_titles_are_stored_nfc(db):
    forum = f.forum()
    decomposed = unicodedata.normalize("NFD", "Йўлдош Ёқубов")  # й, ў, Ё decompose
    title = unicodedata.normalize("NFD", "がいこう協定 й")
    assert decomposed != "Йўлдош Ёқубов" and len(title) > len("がいこう協定 й")
    doc = records.create(forum, data(titles=[TitleInput("ru", "  " + title + " ")], authoritative_language="ru",
                                     parties=[party(), chamber(signatory_name=decomposed)]), by=None)
    assert doc.parties[1].signatory_name == "Йўлдош Ёқубов"
    assert doc.titles[0].title == "がいこう協定 й"


def test_the_date_is_the_date_typed_in_the_forums_zone_not_shifted(db):
    forum = f.forum(tz="Asia/Tokyo")
    doc = records.create(forum, data(signed_on="2027-01-01"), by=None)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Document, doc.id).signed_on == date(2027, 1, 1)


def test_a_proxy_signature_keeps_its_principal_and_power_of_attorney(db):
    forum = f.forum()
    doc = records.create(forum, data(parties=[
        party(organisation="Oʻzbekiston Temir Yoʻllari, Tashkent branch", country="UZ", kind="state_company",
              signatory_name="Oʻktam Gʻulomov", signatory_position="Branch manager", capacity="on_behalf",
              principal_name="Jasur Rahimov", principal_position="Director", poa_reference="No. 12/2024"),
        chamber()]), by=None)
    p = doc.parties[0]
    assert p.capacity is Capacity.ON_BEHALF and p.is_proxy
    assert (p.principal_name, p.principal_position, p.poa_reference) == ("Jasur Rahimov", "Director", "No. 12/2024")
    assert fold("Jasur Rahimov") in doc.search_key


def test_own_authority_drops_a_principal_typed_before(db):
    doc = records.create(f.forum(), data(parties=[party(capacity="own", principal_name="Someone"), chamber()]),
                         by=None)
    assert doc.parties[0].principal_name == "" and doc.parties[0].capacity is Capacity.OWN


def test_a_registered_company_is_copied_by_its_public_id(db):
    forum = f.forum()
    company = f.company(forum, legal_name="株式会社青葉商事", country="JP")
    doc = records.create(forum, data(parties=[party(company=company.public_id, organisation="", country=""),
                                              chamber()]), by=None)
    assert (doc.parties[0].company_id, doc.parties[0].organisation, doc.parties[0].country) == (
        company.id, "株式会社青葉商事", "JP")


def test_a_signatory_is_linked_to_an_approved_delegate_of_the_forum(db):
    forum = f.forum()
    reg = f.approved(forum, full_name="Сәрсенов Әлихан", position="Chairman")
    doc = records.create(forum, data(parties=[party(), chamber(signatory_registration=reg.public_id,
                                                               signatory_name="", signatory_position="")]), by=None)
    p = doc.parties[1]
    assert (p.signatory_registration_id, p.signatory_name, p.signatory_position) == (
        reg.id, "Сәрсенов Әлихан", "Chairman")


def test_a_blank_spare_party_block_is_ignored(db):
    doc = records.create(f.forum(), data(parties=[party(), PartyInput(), chamber()]), by=None)
    assert [p.organisation for p in doc.parties] == ["Aoba Trading Co., Ltd.", "Қазақстан сауда-өнеркәсіп палатасы"]


@pytest.mark.parametrize("text, currency, minor", [
    ("1,000.50", "USD", 100050), ("1 000 000", "JPY", 1000000), ("2500000,75", "KZT", 250000075),
    ("1000.5", "KZT", 100050)])
def test_values_in_minor_units_per_currency(db, text, currency, minor):
    doc = records.create(f.forum(), data(value=text, currency=currency.lower()), by=None)
    assert (doc.value_minor, doc.currency) == (minor, currency)


def test_jobs_are_a_whole_number(db):
    doc = records.create(f.forum(), data(expected_jobs="1 200"), by=None)
    assert doc.expected_jobs == 1200


# --- refusals: one per rule -------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, field, code", [
    (dict(titles=[TitleInput("en", ""), TitleInput("ru", " ")]), "titles", "title_required"),
    (dict(titles=[TitleInput("en", "x" * 501)]), "titles-0-title", "title_too_long"),
    (dict(titles=[TitleInput("xx", "Title")], authoritative_language="xx"), "titles-0-title", "language_invalid"),
    (dict(authoritative_language="ja"), "authoritative_language", "authoritative_invalid"),
    (dict(kind="treaty"), "kind", "kind_invalid"),
    (dict(ceremony="balcony"), "ceremony", "ceremony_invalid"),
    (dict(confidentiality="secret"), "confidentiality", "confidentiality_invalid"),
    (dict(signed_on=""), "signed_on", "date_required"),
    (dict(signed_on="20.05.2027"), "signed_on", "date_invalid"),
    (dict(signed_on="2027-02-30"), "signed_on", "date_invalid"),
    (dict(sectors=["energy", "piracy"]), "sectors", "sector_invalid"),
    (dict(value="1000"), "currency", "currency_required"),
    (dict(currency="USD"), "value", "value_required"),
    (dict(value="1000.5", currency="JPY"), "value", "too_many_decimals"),
    (dict(value="10.555", currency="KZT"), "value", "too_many_decimals"),
    (dict(value="ten", currency="USD"), "value", "invalid_amount"),
    (dict(value="10", currency="XAU"), "currency", "invalid_currency"),
    (dict(expected_jobs="-3"), "expected_jobs", "jobs_invalid"),
    (dict(expected_jobs="2.5"), "expected_jobs", "jobs_invalid"),
    (dict(parties=[party()]), "parties", "too_few_parties"),
    (dict(parties=[party(), PartyInput()]), "parties", "too_few_parties"),
    (dict(parties=[party(), chamber(organisation="")]), "parties-1-organisation", "organisation_required"),
    (dict(parties=[party(), chamber(country="QQ")]), "parties-1-country", "country_invalid"),
    (dict(parties=[party(), chamber(kind="club")]), "parties-1-kind", "party_kind_invalid"),
    (dict(parties=[party(), chamber(signatory_name=" ")]), "parties-1-signatory_name", "signatory_required"),
    (dict(parties=[party(), chamber(signatory_position="")]), "parties-1-signatory_position",
     "signatory_position_required"),
    (dict(parties=[party(), chamber(capacity="deputy")]), "parties-1-capacity", "capacity_invalid"),
    (dict(parties=[party(), chamber(side="centre")]), "parties-1-side", "side_invalid"),
    (dict(parties=[party(), chamber(company="0" * 32)]), "parties-1-company", "company_unknown"),
    (dict(parties=[party(), chamber(signatory_name="Әлихан\nСәрсенов")]), "parties-1-signatory_name", "one_line"),
    (dict(meetings=["f" * 32]), "meetings", "meeting_unknown"),
])
def test_each_rule_refuses_with_its_code_next_to_its_field_and_saves_nothing(db, changes, field, code):
    e = refused(db, f.forum(), data(**changes))
    assert e.codes.get(field) == code
    assert isinstance(e, InvalidInput) and e.status == 400


def test_a_single_problem_is_the_errors_own_code_and_field(db):
    e = refused(db, f.forum(), data(parties=[party()]))
    assert (e.code, e.field) == ("too_few_parties", "parties")
    assert e.codes == {"parties": "too_few_parties"}


def test_a_proxy_needs_the_principal_name_position_and_power_of_attorney(db):
    forum = f.forum()
    e = refused(db, forum, data(parties=[party(), chamber(capacity="on_behalf")]))
    assert e.codes == {"parties-1-principal_name": "principal_required",
                       "parties-1-principal_position": "principal_required",
                       "parties-1-poa_reference": "poa_required"}
    e = refused(db, forum, data(parties=[party(), chamber(capacity="on_behalf", principal_name="Ерлан Ахметов",
                                                          principal_position="Chairman")]))
    assert e.codes == {"parties-1-poa_reference": "poa_required"}


def test_a_delegate_of_another_forum_cannot_be_the_linked_signatory(db):
    forum, other = f.forum(), f.forum()
    stranger = f.approved(other)
    e = refused(db, forum, data(parties=[party(), chamber(signatory_registration=stranger.public_id)]))
    assert e.codes == {"parties-1-signatory_registration": "signatory_other_forum"}


def test_a_delegate_not_approved_cannot_be_the_linked_signatory(db):
    forum = f.forum()
    pending = f.registration_(forum)
    e = refused(db, forum, data(parties=[party(), chamber(signatory_registration=pending.public_id)]))
    assert e.codes == {"parties-1-signatory_registration": "signatory_not_approved"}


def test_a_company_of_another_forum_is_unknown_here(db):
    forum, other = f.forum(), f.forum()
    company = f.company(other)
    e = refused(db, forum, data(parties=[party(company=company.public_id), chamber()]))
    assert e.codes == {"parties-0-company": "company_unknown"}


def test_every_problem_is_named_at_once(db):
    e = refused(db, f.forum(), data(kind="", signed_on="", parties=[party(country=""), PartyInput()]))
    assert e.codes == {"kind": "kind_invalid", "signed_on": "date_required", "parties": "too_few_parties",
                       "parties-0-country": "country_invalid"}


# --- B2B meetings ------------------------------------------------------------------------------------------


def _meeting(forum, table: int = 1):
    from forum.meetings.models import Meeting, MeetingSlot

    a = f.participant(forum, full_name="青葉 太郎")
    b = f.participant(forum, full_name="Әлихан Сәрсенов", country="KZ")
    req = f.meeting_request(a, b, accept=True)
    sess = f.session(forum)
    table = f.table(forum, table)
    slot = db_first(MeetingSlot, sess.id)
    m = Meeting(forum_id=forum.id, request_id=req.id, a_id=a.id, b_id=b.id, slot_id=slot.id, table_id=table.id)
    from forum.db import db

    db.session.add(m)
    db.session.flush()
    return m, a, b


def db_first(model, session_id):
    from forum.db import db

    return db.session.scalars(sa.select(model).where(model.session_id == session_id)).first()


def test_meetings_of_the_forum_are_linked_and_another_forums_refused(db):
    forum, other = f.forum(), f.forum()
    mine, a, b = _meeting(forum)
    theirs, _a, _b = _meeting(other)
    doc = records.create(forum, data(meetings=[mine.public_id]), by=None)
    assert records.meeting_ids_of(doc) == [mine.id]
    e = refused(db, forum, data(meetings=[mine.public_id, theirs.public_id]))
    assert e.codes == {"meetings": "meeting_unknown"}


# --- editing ------------------------------------------------------------------------------------------------


def test_an_edit_changes_the_record_keeps_the_number_and_audits_before_and_after(db):
    forum = f.forum()
    by = f.organizer()
    doc = records.create(forum, data(), by=by)
    party_ids = [p.id for p in doc.parties]
    reference = doc.reference
    changes = records.update(doc, data(kind="agreement", value="1,000.50", currency="USD",
                                       titles=[TitleInput("en", "Agreement on water treatment")],
                                       parties=[party(), chamber(signatory_name="Ерлан Ахметов")]), by=by)
    db.session.commit()
    assert doc.reference == reference and doc.number == 1
    assert [p.id for p in doc.parties] == party_ids  # changed in place: notes written for a party stay with it
    assert doc.parties[1].signatory_name == "Ерлан Ахметов"
    assert {t.language for t in doc.titles} == {"en"}
    assert set(changes) == {"kind", "value_minor", "currency", "titles", "parties"}
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "updated")).one()
    assert entry.details["before"]["kind"] == "mou" and entry.details["after"]["kind"] == "agreement"
    assert entry.details["after"]["value_minor"] == 100050 and entry.details["before"]["value_minor"] is None
    assert "place" not in entry.details["after"]
    assert fold("Ерлан") in doc.search_key and fold("Сәрсенов") not in doc.search_key


def test_an_edit_that_changes_nothing_writes_no_audit_entry(db):
    forum = f.forum()
    doc = records.create(forum, data(), by=None)
    assert records.update(doc, records.input_from(doc), by=None) == {}
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "updated")) == 0


def test_a_refused_edit_changes_nothing(db):
    forum = f.forum()
    doc = records.create(forum, data(), by=None)
    db.session.commit()
    with pytest.raises(records.RecordError) as e:
        records.update(doc, data(kind="mou", parties=[party(organisation="Changed")]), by=None)
    db.session.rollback()
    assert e.value.codes == {"parties": "too_few_parties"}
    db.session.expire_all()
    assert db.session.get(Document, doc.id).parties[0].organisation == "Aoba Trading Co., Ltd."
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "updated")) == 0


def test_fewer_parties_on_edit_removes_the_extra_ones(db):
    doc = records.create(f.forum(), data(parties=[party(), chamber(), party(organisation="JICA", kind="international")]),
                         by=None)
    records.update(doc, data(), by=None)
    db.session.flush()
    assert len(doc.parties) == 2 and count(db, DocumentParty) == 2


# --- withdrawing ----------------------------------------------------------------------------------------------


def test_withdrawing_keeps_the_document_and_its_number_and_takes_it_out_of_the_tally(db):
    forum = f.forum()
    by = f.organizer()
    doc = records.create(forum, data(exchanged_now=True), by=by)
    assert tally.counts(doc)
    records.withdraw(doc, "  Signed twice by mistake ", by=by)
    db.session.commit()
    db.session.expire_all()
    doc = db.session.get(Document, doc.id)
    assert doc.is_withdrawn and doc.number == 1 and doc.withdrawn_reason == "Signed twice by mistake"
    assert doc.withdrawn_by_id == by.id and not tally.counts(doc)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "withdrawn")).one()
    assert (entry.reason, entry.to_state, entry.actor_id) == ("Signed twice by mistake", "withdrawn", by.id)
    # the next document gets the next number, never the withdrawn one's
    assert records.create(forum, data(), by=None).number == 2


def test_a_withdrawn_document_leaves_the_ceremonys_order_which_closes_up(db):
    from forum.documents import ceremony

    forum = f.forum()
    first, second, third = (f.document(forum, exchanged=False) for _ in range(3))
    for d in (first, second, third):
        ceremony.add(d)
    records.withdraw(second, "The ministry postponed it", by=f.organizer())
    db.session.flush()
    assert [d.id for d in ceremony.order(forum)] == [first.id, third.id]
    assert (first.ceremony_position, second.ceremony_position, third.ceremony_position) == (1, None, 2)


def test_a_withdrawal_needs_a_reason(db):
    doc = records.create(f.forum(), data(), by=None)
    with pytest.raises(InvalidInput) as e:
        records.withdraw(doc, "   ", by=None)
    assert (e.value.code, e.value.field) == ("reason_required", "reason")
    assert not doc.is_withdrawn


def test_a_withdrawn_document_cannot_be_withdrawn_again_or_edited(db):
    doc = records.create(f.forum(), data(), by=None)
    records.withdraw(doc, "Duplicate", by=None)
    db.session.commit()
    withdrawn_at = doc.withdrawn_at
    with pytest.raises(InvalidState) as e:
        records.withdraw(doc, "Again", by=None)
    assert e.value.code == "already_withdrawn"
    with pytest.raises(InvalidState) as e:
        records.update(doc, data(kind="agreement"), by=None)
    assert e.value.code == "withdrawn"
    db.session.rollback()
    db.session.expire_all()
    doc = db.session.get(Document, doc.id)
    assert (doc.withdrawn_reason, doc.withdrawn_at, doc.kind.value) == ("Duplicate", withdrawn_at, "mou")
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "withdrawn")) == 1
