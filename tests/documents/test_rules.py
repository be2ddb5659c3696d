"""The two rules every documents page, export and the API ask: what counts in the public tally
(documents.tally) and who may see a document and its signed copy (documents.access)."""
from __future__ import annotations

import sqlalchemy as sa

from forum import clock
from forum.documents import access, tally
from forum.documents.models import Document
from forum.registration import states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f


def _listed(db, forum, condition):
    return set(db.session.scalars(sa.select(Document.reference).where(Document.forum_id == forum.id, condition)))


def test_a_document_counts_when_marked_to_count_exchanged_and_not_withdrawn(db):
    forum = f.forum()
    counts = f.document(forum)
    not_marked = f.document(forum, counts=False)
    planned = f.document(forum, exchanged=False)
    withdrawn = f.document(forum, withdrawn_at=clock.now(), withdrawn_reason="Signed twice by mistake")
    confidential = f.document(forum, confidentiality="confidential")
    withheld = f.document(forum, confidentiality="value_withheld")
    assert _listed(db, forum, tally.counted()) == {counts.reference, confidential.reference, withheld.reference}
    assert _listed(db, forum, tally.publicly_listed()) == {counts.reference, withheld.reference}
    for d in (counts, not_marked, planned, withdrawn, confidential, withheld):
        assert tally.counts(d) == (d.reference in _listed(db, forum, tally.counted()))
        assert tally.is_publicly_listed(d) == (d.reference in _listed(db, forum, tally.publicly_listed()))
    assert tally.value_is_public(counts) and not tally.value_is_public(withheld)
    assert not tally.value_is_public(confidential)


def test_the_documents_team_sees_everything_and_other_team_members_do_not(db):
    forum = f.forum()
    doc = f.document(forum, confidentiality="confidential")
    assert access.can_manage(f.member(forum, Permission.DOCUMENTS), forum)
    assert access.can_download_scan(f.member(forum, Permission.MANAGE), doc)
    assert access.can_download_scan(f.organizer(), doc)  # an administrator
    for perm in (Permission.REVIEW, Permission.CHECKIN, Permission.B2B):
        user = f.member(forum, perm)
        assert not access.can_manage(user, forum) and not access.can_download_scan(user, doc)
    assert not access.can_manage(f.member(f.forum(), Permission.DOCUMENTS), forum)  # another forum's team


def test_the_parties_delegates_see_a_document_unless_it_is_confidential(db):
    forum = f.forum()
    party = f.company(forum, 2)
    for reg in party.delegates:
        states.transition(reg, RegState.APPROVED, by=None, notify=False)
    outsider = f.approved(forum)
    doc = f.document(forum, parties=[party, dict(organisation="Ministry of Energy", country="KZ", kind="government",
                                                 signatory_name="Ерлан Ахметов")])
    secret = f.document(forum, parties=[party, dict(organisation="Ministry of Energy", country="KZ",
                                                    kind="government", signatory_name="Ерлан Ахметов")],
                        confidentiality="confidential")
    delegate = party.delegates[1]
    assert access.is_party_member(delegate.user, doc)
    assert access.can_download_scan(delegate.user, doc) and access.can_see(delegate.user, doc)
    assert not access.can_download_scan(delegate.user, secret) and not access.can_see(delegate.user, secret)
    assert not access.can_download_scan(outsider.user, doc)
    assert not access.can_download_scan(None, doc)
    states.transition(delegate, RegState.WITHDRAWN, by=None, notify=False)
    assert not access.can_download_scan(delegate.user, doc)  # only approved delegates


def test_the_contact_person_of_a_party_may_add_notes_for_it(db):
    forum = f.forum()
    user = f.user()
    party = f.company(forum, 1)
    party.contact_user_id = user.id
    doc = f.document(forum, parties=[party, dict(organisation="Uzbekistan chamber of commerce", country="UZ",
                                                 kind="association", signatory_name="Oʻlmas Gʻulomov")])
    db.session.flush()
    assert access.contact_party(user, doc) is doc.parties[0]
    assert access.is_party_member(user, doc)
    assert access.contact_party(f.user(), doc) is None and access.contact_party(None, doc) is None
