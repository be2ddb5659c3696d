"""The parties' own view of their documents (/forums/<slug>/my-documents): a party's delegates and contact person
see their documents (never the confidential ones), with signatories written the one way; the contact person adds
follow-up notes; anyone else gets a 404 for the notes address and nothing is saved."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from forum import clock
from forum.documents import followup
from forum.documents.models import FollowUpNote, FollowUpStatus
from forum.registration import states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f

SIGNED = date(2026, 11, 2)
MINISTRY = dict(organisation="Oʻzbekiston Respublikasi Energetika vazirligi", country="UZ", kind="government",
                signatory_name="Jasur Toʻxtayev", signatory_position="Deputy Minister", capacity="on_behalf",
                principal_name="Alisher Sultonov", principal_position="Minister", poa_reference="PoA-2026/17")


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc))


def _company(forum, **kw):
    company = f.company(forum, 2, **kw)
    for reg in company.delegates:
        states.transition(reg, RegState.APPROVED, by=None, notify=False)
    return company


def _notes(db, doc):
    return db.session.scalars(sa.select(FollowUpNote).where(FollowUpNote.document_id == doc.id)).all()


@pytest.fixture()
def world(db):
    forum = f.forum(slug="astana")
    ours = _company(forum, legal_name="Қазақ Су Тазарту АҚ", country="KZ")
    theirs = _company(forum, legal_name="株式会社青葉", country="JP")
    doc = f.document(forum, parties=[ours, MINISTRY], signed_on=SIGNED, next_review_on=date(2027, 1, 15),
                     status=FollowUpStatus.IN_PROGRESS,
                     titles={"ru": "Меморандум о строительстве станции водоочистки", "en": "MOU on a water plant"})
    secret = f.document(forum, parties=[ours, MINISTRY], signed_on=SIGNED, confidentiality="confidential",
                        titles={"en": "Confidential supply contract"})
    theirs_doc = f.document(forum, parties=[theirs, MINISTRY], signed_on=SIGNED, titles={"en": "Their own MOU"})
    followup.add_note(doc, "2026-11-20", "Техникалық-экономикалық негіздеме дайын", by=f.organizer())
    return dict(forum=forum, ours=ours, theirs=theirs, doc=doc, secret=secret, theirs_doc=theirs_doc)


def test_a_partys_contact_person_sees_their_documents_with_signatories_status_and_notes(client, login, world):
    login(world["ours"].contact_user)
    r = client.get("/forums/astana/my-documents")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    doc = world["doc"]
    assert doc.reference in html and "Меморандум о строительстве станции водоочистки" in html
    assert "Jasur Toʻxtayev (on behalf of Alisher Sultonov, Minister)" in html  # labels.signatory_line
    assert "In progress" in html and "Jan 15, 2027" in html
    assert "Техникалық-экономикалық негіздеме дайын" in html
    assert f'action="/forums/astana/my-documents/{doc.public_id}/notes"' in html
    assert world["secret"].reference not in html and "Confidential supply contract" not in html
    assert world["theirs_doc"].reference not in html and "Their own MOU" not in html


def test_an_approved_delegate_of_a_party_sees_the_documents_but_cannot_add_notes(client, db, login, post, world):
    login(world["ours"].delegates[1].user)
    html = client.get("/forums/astana/my-documents").get_data(as_text=True)
    doc = world["doc"]
    assert doc.reference in html and "Jasur Toʻxtayev (on behalf of Alisher Sultonov, Minister)" in html
    assert "/notes" not in html
    r = post(f"/forums/astana/my-documents/{doc.public_id}/notes", {"noted_on": "2026-11-24", "text": "Hello"})
    assert r.status_code == 404 and len(_notes(db, doc)) == 1


def test_the_contact_person_adds_a_note_for_their_party(client, db, login, post, world):
    login(world["ours"].contact_user)
    doc = world["doc"]
    r = post(f"/forums/astana/my-documents/{doc.public_id}/notes",
             {"noted_on": "2026-11-24", "text": "Жобалау жұмыстары басталды"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/forums/astana/my-documents#doc-{doc.public_id}")
    note = db.session.scalar(sa.select(FollowUpNote).where(FollowUpNote.document_id == doc.id,
                                                           FollowUpNote.party_id.is_not(None)))
    assert note.text == "Жобалау жұмыстары басталды" and note.party.company_id == world["ours"].id
    html = client.get("/forums/astana/my-documents").get_data(as_text=True)
    assert "Жобалау жұмыстары басталды" in html and "Қазақ Су Тазарту АҚ" in html


def test_a_refused_note_keeps_the_text_next_to_the_error(client, db, login, post, world):
    login(world["ours"].contact_user)
    doc = world["doc"]
    r = post(f"/forums/astana/my-documents/{doc.public_id}/notes",
             {"noted_on": "2026-11-26", "text": "Ertaga uchrashuv boʻladi"})  # tomorrow in Astana
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "cannot be dated in the future" in html and "Ertaga uchrashuv boʻladi</textarea>" in html
    assert 'value="2026-11-26"' in html
    assert len(_notes(db, doc)) == 1


def test_another_partys_contact_person_or_delegate_gets_404_and_nothing_is_saved(client, db, login, post, world):
    doc, secret = world["doc"], world["secret"]
    for user in (world["theirs"].contact_user, world["theirs"].delegates[0].user, f.user(),
                 f.member(world["forum"], Permission.REVIEW)):
        login(user)
        assert doc.reference not in client.get("/forums/astana/my-documents").get_data(as_text=True)
        r = post(f"/forums/astana/my-documents/{doc.public_id}/notes", {"noted_on": "2026-11-24", "text": "Hi"})
        assert r.status_code == 404
    # the party's own contact person cannot write on the confidential one either: it is not theirs to see here
    login(world["ours"].contact_user)
    assert post(f"/forums/astana/my-documents/{secret.public_id}/notes",
                {"noted_on": "2026-11-24", "text": "Hi"}).status_code == 404
    # a document of another forum, by its public id
    other = f.document(f.forum(slug="tashkent"), parties=[MINISTRY, dict(MINISTRY, organisation="Other")])
    assert post(f"/forums/astana/my-documents/{other.public_id}/notes",
                {"noted_on": "2026-11-24", "text": "Hi"}).status_code == 404
    assert len(_notes(db, doc)) == 1 and _notes(db, secret) == [] and _notes(db, other) == []


def test_a_withdrawn_document_is_shown_as_withdrawn_without_the_note_form(client, db, login, world):
    doc = world["doc"]
    doc.withdrawn_at, doc.withdrawn_reason = clock.now(), "Replaced by a contract"
    login(world["ours"].contact_user)
    html = client.get("/forums/astana/my-documents").get_data(as_text=True)
    assert doc.reference in html and "Withdrawn" in html and "/notes" not in html


def test_anonymous_visitors_are_sent_to_sign_in(client, db, post, world):
    r = client.get("/forums/astana/my-documents")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = post(f"/forums/astana/my-documents/{world['doc'].public_id}/notes", {"noted_on": "2026-11-24", "text": "x"})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert len(_notes(db, world["doc"])) == 1


def test_someone_who_is_no_party_sees_an_empty_page_and_an_unknown_forum_is_404(client, db, login, world):
    login(f.user())
    r = client.get("/forums/astana/my-documents")
    assert r.status_code == 200 and "not a party to any document" in r.get_data(as_text=True)
    assert client.get("/forums/nowhere/my-documents").status_code == 404


def test_every_listed_document_is_one_the_access_rule_lets_the_user_see(db, world):
    from forum.documents import access
    from forum.documents.my_views import my_documents

    for user in (world["ours"].contact_user, world["ours"].delegates[0].user, world["theirs"].contact_user):
        listed = my_documents(user, world["forum"])
        assert listed and all(access.can_see(user, d) for d in listed)
        others = [d for d in (world["doc"], world["secret"], world["theirs_doc"]) if d not in listed]
        assert all(not access.can_see(user, d) or d.confidentiality.value == "confidential" for d in others)
    assert [d.id for d in my_documents(world["ours"].contact_user, world["forum"])] == [world["doc"].id]


@pytest.mark.parametrize("page", ["mine", "due"])
def test_the_pages_ask_as_many_queries_for_one_document_as_for_eight(client, db, login, page):
    from tests.test_query_counts import statements_for

    counts = []
    for n in (1, 8):
        forum = f.forum()
        ours = _company(forum)
        org = f.member(forum, Permission.DOCUMENTS)
        for i in range(n):
            doc = f.document(forum, parties=[ours, MINISTRY], signed_on=SIGNED, next_review_on=date(2026, 11, 20))
            followup.add_note(doc, "2026-11-21", f"Note {i}", by=org)
            followup.add_note(doc, "2026-11-22", f"Note {i} by the party", by=ours.contact_user)
        login(ours.contact_user if page == "mine" else org)
        url = f"/forums/{forum.slug}/my-documents" if page == "mine" else f"/manage/{forum.slug}/documents/review-due"
        counts.append(statements_for(client, url))
    assert counts[0] == counts[1]


def test_the_signed_copy_is_linked_when_there_is_one(client, db, login, world):
    from forum.documents.models import DocumentScan

    login(world["ours"].contact_user)
    doc = world["doc"]
    link = f"/forums/astana/documents/{doc.public_id}/signed-copy"
    assert link not in client.get("/forums/astana/my-documents").get_data(as_text=True)  # no scan yet
    db.session.add(DocumentScan(document_id=doc.id, storage_name="a" * 40, filename="mou.pdf",
                                content_type="application/pdf", size=10, sha256="0" * 64))
    assert link in client.get("/forums/astana/my-documents").get_data(as_text=True)


def test_my_registrations_links_to_the_documents_of_a_party_and_only_of_a_party(client, db, login, world):
    forum = world["forum"]
    link = f'href="/forums/{forum.slug}/my-documents"'
    delegate = world["ours"].delegates[0]
    login(delegate.user)
    assert link in client.get("/my").get_data(as_text=True)
    outsider = _company(forum, legal_name="Oʻzbek Paxta MChJ", country="UZ").delegates[0]
    login(outsider.user)
    assert link not in client.get("/my").get_data(as_text=True)
    only_secret = _company(forum, legal_name="Жасырын ЖШС", country="KZ")
    f.document(forum, parties=[only_secret, MINISTRY], signed_on=SIGNED, confidentiality="confidential")
    login(only_secret.delegates[0].user)
    assert link not in client.get("/my").get_data(as_text=True)  # a confidential document is not theirs to see
