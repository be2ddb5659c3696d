"""The demo's register of documents (issue 10) in central-asia-japan: 34 documents between companies, ministries
and chambers; proxies, confidential ones, withheld values; follow-ups at every stage with reviews due; one
withdrawn, one not counted; the coming ceremony's run-sheet; B2B-table documents linked to their meetings."""
from __future__ import annotations

import sqlalchemy as sa

from forum.db import db as _db
from forum.demo.seed import LOGINS, MAIN_SLUG, documents_summary
from forum.documents import tally
from forum.documents.models import (Capacity, Confidentiality, Document, DocumentParty, FollowUpNote,
                                    FollowUpStatus, PartyKind, document_meetings)
from tests.demo.test_demo import demo, forum  # noqa: F401 - the module-scoped demo fixture


def _docs(main):
    return _db.session.scalars(sa.select(Document).where(Document.forum_id == main.id).order_by(Document.number)).all()


def test_34_numbered_documents_between_companies_public_bodies_and_chambers(demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    docs = _docs(main)
    year = main.local(main.starts_at).year
    assert [d.reference for d in docs] == [f"CAJ-{year}-{n:03d}" for n in range(1, 35)]
    kinds = {p.kind for d in docs for p in d.parties}
    assert {PartyKind.PRIVATE_COMPANY, PartyKind.GOVERNMENT, PartyKind.ASSOCIATION} <= kinds
    assert all(len(d.parties) >= 2 for d in docs) and any(len(d.parties) == 3 for d in docs)
    assert sum(1 for d in docs for p in d.parties if p.company_id) > 20  # registered companies, linked
    titles = " ".join(t.title for d in docs for t in d.titles)
    assert "覚書" in titles and "Меморандум" in titles
    organisations = " ".join(p.organisation for d in docs for p in d.parties)
    assert "ʻ" in organisations and any(c in organisations for c in "әғқңөұүі")


def test_proxies_confidential_and_withheld_values_withdrawn_and_not_counted(demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    docs = _docs(main)
    proxies = [p for d in docs for p in d.parties if p.capacity is Capacity.ON_BEHALF]
    assert len(proxies) >= 3 and all(p.principal_name and p.principal_position and p.poa_reference for p in proxies)
    assert any(p.country == "UZ" for p in proxies)  # the branch manager who signs for his director
    by_conf = {c: sum(1 for d in docs if d.confidentiality is c) for c in Confidentiality}
    assert by_conf[Confidentiality.CONFIDENTIAL] == 3 and by_conf[Confidentiality.VALUE_WITHHELD] >= 2
    assert sum(1 for d in docs if d.withdrawn_at is not None and d.withdrawn_reason) == 1
    assert sum(1 for d in docs if not d.counts_in_tally) == 1
    assert sum(1 for d in docs if d.value_minor is not None) >= 10


def test_the_tally_the_ceremony_and_the_follow_ups(demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    docs = _docs(main)
    s = tally.summary(main.id)
    waiting = [d for d in docs if d.ceremony_position is not None]
    assert [d.ceremony_position for d in waiting] == [1, 2, 3, 4, 5] and all(d.exchanged_at is None for d in waiting)
    assert s.total == 34 - 5 - 1 - 1 and s.by_pair and s.by_sector
    assert f"public tally {s.total}" in documents_summary(main)
    assert {d.status for d in docs} == set(FollowUpStatus)
    today = main.local(demo_now()).date()
    due = [d for d in docs if d.next_review_on is not None and d.next_review_on <= today and d.withdrawn_at is None]
    assert len(due) >= 3
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpNote)) >= 15
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(document_meetings)) >= 3


def test_the_demo_logins_companies_are_parties(demo):  # noqa: F811
    main = forum(MAIN_SLUG)
    first = _docs(main)[0]
    names = {p.company.name_en for p in first.parties if p.company is not None}
    assert names == {"Aoba Trading Co., Ltd.", "Sairan Agro Export LLP"}
    contact = next(login for login in LOGINS if login.kind == "contact")
    assert any(p.company.contact_user.email == contact.email for p in first.parties if p.company.contact_user)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(DocumentParty)) >= 68


def test_signed_copies_are_stored_and_verifiable(demo):  # noqa: F811
    from forum.documents import scans
    from forum.documents.models import DocumentScan

    main = forum(MAIN_SLUG)
    stored = _db.session.scalars(sa.select(DocumentScan).order_by(DocumentScan.id)).all()
    assert len(stored) >= 8 and len({s.document_id for s in stored}) == len(stored) - 1  # one with two versions
    first = _docs(main)[0]
    older, current = first.scans
    with scans.open_scan(older) as fh:
        found = scans.verify(main, fh.read())
    assert [(m.document.reference, m.is_current) for m in found.matches] == [(first.reference, False)]
    assert scans.scan_path(current).read_bytes().startswith(b"%PDF-")


def test_the_api_answers_the_public_and_with_the_printed_token_the_whole_register(app, demo):  # noqa: F811
    from forum.demo.seed import DEMO_REGISTER_TOKEN, demo_logins

    assert DEMO_REGISTER_TOKEN in demo_logins()
    main = forum(MAIN_SLUG)
    client = app.test_client()
    public = client.get(f"/api/v1/forums/{MAIN_SLUG}/documents?per_page=200").get_json()
    full = client.get(f"/api/v1/forums/{MAIN_SLUG}/documents?per_page=200",
                      headers={"Authorization": f"Bearer {DEMO_REGISTER_TOKEN}"}).get_json()
    assert public["tally"]["total"] == tally.summary(main.id).total
    assert len(full["documents"]) == 34 > len(public["documents"])
    assert all(d["confidentiality"] != "confidential" for d in public["documents"])
    assert sum(d["confidentiality"] == "confidential" for d in full["documents"]) == 3


def test_the_readmes_proxy_example_is_the_demos(app, demo):  # noqa: F811
    from forum.documents import labels

    main = forum(MAIN_SLUG)
    doc = _docs(main)[3]
    assert doc.reference.endswith("-004")
    with app.test_request_context():
        lines = [labels.signatory_line(p) for p in doc.parties]
        spoken = [labels.announcement(p) for p in doc.parties]
    assert "Bahodir Karimov (on behalf of Gulnora Sobirova, Bosh direktor)" in lines
    assert "Bahodir Karimov, Toshkent filiali rahbari, on behalf of Gulnora Sobirova" in spoken


def test_the_weekly_digest_tells_the_organizers_what_is_due(demo):  # noqa: F811
    from datetime import datetime, time, timedelta

    from forum.documents import followup
    from forum.notifications.models import OutboxMessage

    main = forum(MAIN_SLUG)
    today = main.local(demo_now()).date()
    monday = today + timedelta(days=7 - today.weekday())  # next Monday, 09:00 in Astana
    result = followup.send_weekly_digests(datetime.combine(monday, time(9), tzinfo=main.tz))
    [mail] = _db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "documents_digest",
                                                                 OutboxMessage.forum_id == main.id)).all()
    assert result.sent >= 1 and mail.to_addr == "organizer@example.org"
    due = followup.due(main, monday)
    assert len(due) >= 6 and all(d.reference in mail.body_text for d in due)
    _db.session.rollback()


def demo_now():
    from forum import clock

    return clock.now()
