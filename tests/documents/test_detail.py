"""A document's page for the documents team (/manage/<slug>/documents/<id>): every field, the titles with the
authoritative one marked, the parties with the proxy written "Name (on behalf of Principal, Position)", the linked
delegate, company and B2B meetings, the value and its confidentiality, why it does not count, and the history
(the document's audit entries and those of its scans and notes, in the forum's time zone)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import escape

from forum import clock
from forum.audit import services as audit
from forum.db import db as _db
from forum.documents import money
from forum.documents.models import DocumentScan, FollowUpNote, FollowUpStatus, document_meetings
from forum.meetings import grid
from forum.meetings.models import Meeting, MeetingTable
from forum.teams.models import Permission
from tests import factories as f
from tests.documents.helpers import keyed, withdraw
from tests.meetings.test_grid import _input

PROXY = dict(organisation="Oʻzbekiston filiali, Aoba Trading", country="UZ", kind="private_company",
             signatory_name="Jasur Toʻxtayev", signatory_position="Branch manager", capacity="on_behalf",
             principal_name="青葉 一郎", principal_position="Director", poa_reference="PoA-2026/17",
             exchanged_by_name="Дина Ахметова", exchanged_by_position="Protocol officer")


def _entry(when: tuple, **kw):
    entry = audit.record(**kw)
    entry.at = datetime(*when, tzinfo=timezone.utc)  # the column's default is clock.now as imported
    return entry


@pytest.fixture()
def page(db):
    forum = f.forum(slug="central-asia-japan", tz="Asia/Almaty")
    company = f.company(forum, 1, legal_name="株式会社青葉商事", name_en="Aoba Trading Co., Ltd.", country="JP")
    doc = keyed(f.document(
        forum, kind="agreement", parties=[company, PROXY],
        titles={"ru": "Соглашение о поставках оборудования", "ja": "設備供給契約", "kk": "Жабдық жеткізу туралы келісім"},
        place="Astana, Palace of Independence", sectors=("energy", "it"), value_minor=150_000_050, currency="KZT",
        expected_jobs=120, confidentiality="value_withheld", status=FollowUpStatus.IN_PROGRESS,
        next_review_on=date(2026, 6, 1), notes="Ask the ministry about the tender", exchanged=False))
    org = f.member(forum, Permission.DOCUMENTS, name="Гүлнар Ержанова")
    # The history: recorded, changed, a scan, a note; at times that are another day in Astana than in UTC.
    # 11 Mar 2026, 01:30 in Astana
    _entry((2026, 3, 10, 20, 30), subject_type="document", subject_id=doc.id, action="created", actor=org,
           forum_id=forum.id)
    _entry((2026, 3, 11, 4, 0), subject_type="document", subject_id=doc.id, action="updated", actor=org,
           forum_id=forum.id,
                 reason="Typo in the place", changes={"place": ["Astana", "Astana, Palace of Independence"]})
    scan = DocumentScan(document_id=doc.id, storage_name="a" * 40, filename="signed.pdf",
                        content_type="application/pdf", size=1234, sha256="b" * 64, uploaded_by_id=org.id)
    note = FollowUpNote(document_id=doc.id, noted_on=date(2026, 4, 1), text="Equipment list agreed", author_id=org.id)
    _db.session.add_all([scan, note])
    _db.session.flush()
    _entry((2026, 3, 12, 6, 0), subject_type="document_scan", subject_id=scan.id, action="scan_uploaded", actor=org,
           forum_id=forum.id, sha256="b" * 64)
    _entry((2026, 4, 1, 5, 0), subject_type="document_note", subject_id=note.id, action="note_added", actor=org,
           forum_id=forum.id)
    # Another document's entries, and a subject of another kind that shares the note's id: not this history.
    other = f.document(forum, titles={"en": "Another MOU"})
    audit.record(subject_type="document", subject_id=other.id, action="withdrawn", actor=org, forum_id=forum.id,
                 reason="NOT THIS DOCUMENT")
    audit.record(subject_type="registration", subject_id=note.id, action="state_change", actor=org,
                 forum_id=forum.id, reason="NOT A DOCUMENT ENTRY")
    audit.record(subject_type="document", subject_id=doc.id + 1000, action="updated", actor=org, forum_id=forum.id,
                 reason="NOT THIS ID")
    _db.session.flush()
    return dict(forum=forum, doc=doc, company=company, org=org, other=other)


def _get(client, login, w, doc=None) -> str:
    login(w["org"])
    r = client.get(f"/manage/central-asia-japan/documents/{(doc or w['doc']).id}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start:html.index("</section>", start)]


def test_every_field_is_shown(client, login, page):
    doc = page["doc"]
    html = _get(client, login, page)
    facts = _section(html, "h-facts")
    for text in (doc.reference, "Agreement", doc.signed_on.isoformat(), "Astana, Palace of Independence", "Main stage",
                 "Energy, oil and gas", "IT and telecommunications",
                 str(escape(money.format_amount(150_000_050, "KZT"))),
                 "not shown publicly", "120", "Public, value withheld", "In progress", "2026-06-01",
                 "Ask the ministry about the tender", "Not yet"):
        assert text in facts, text
    assert "1,500,000.50" in facts  # KZT has two decimals: 150000050 tiyn


def test_titles_in_each_language_with_the_authoritative_one_marked(client, login, page):
    titles = _section(_get(client, login, page), "h-titles")
    items = titles.split('<li class="list-group-item"')[1:]
    assert len(items) == 3
    ru, ja, kk = items
    assert 'lang="ru"' in ru and "Соглашение о поставках оборудования" in ru and "authoritative" in ru
    assert 'lang="ja"' in ja and "設備供給契約" in ja and "authoritative" not in ja
    assert 'lang="kk"' in kk and "Жабдық жеткізу туралы келісім" in kk and "authoritative" not in kk


def test_parties_with_the_proxy_line_the_linked_delegate_and_company_and_who_exchanged(client, login, page):
    parties = _section(_get(client, login, page), "h-parties")
    delegate = page["company"].delegates[0]
    first, second = parties.split('class="card mb-2 party"')[1:]
    assert "株式会社青葉商事" in first and "Japan" in first and "Private company" in first
    assert f'<span class="linked-company">株式会社青葉商事</span> (Aoba Trading Co., Ltd.)' in first
    assert f'<span class="linked-delegate">{escape(delegate.full_name)}</span>' in first
    assert "On their own authority" in first and "poa" not in first
    assert ('<span class="signatory-line">Jasur Toʻxtayev (on behalf of 青葉 一郎, Director)</span>' in second)
    assert "Uzbekistan" in second and "On behalf of someone (power of attorney)" in second
    assert '<span class="poa">PoA-2026/17</span>' in second
    assert '<span class="exchanged-by">Дина Ахметова, Protocol officer</span>' in second
    assert "linked-delegate" not in second and "linked-company" not in second


def test_the_history_lists_the_documents_scans_and_notes_entries_in_the_forums_time_zone(client, login, page):
    history = _section(_get(client, login, page), "h-history")
    entries = history.split('class="list-group-item small history-entry"')[1:]
    assert len(entries) == 4
    created, updated, scanned, noted = entries
    assert "11 Mar 2026, 01:30 (Astana, UTC+05:00)" in created and "Recorded" in created
    assert "Гүлнар Ержанова" in created
    assert "11 Mar 2026, 09:00 (Astana, UTC+05:00)" in updated and "Changed" in updated
    assert "Typo in the place" in updated
    assert "<del>Astana</del> → <ins>Astana, Palace of Independence</ins>" in updated and "Place:" in updated
    assert "12 Mar 2026, 11:00" in scanned and "Signed copy uploaded" in scanned and "b" * 64 in scanned
    assert "1 Apr 2026, 10:00" in noted and "Follow-up note added" in noted
    assert "NOT THIS" not in history and "NOT A DOCUMENT" not in history


def test_why_a_document_does_not_count(client, login, page):
    facts = _section(_get(client, login, page), "h-facts")
    assert "Does not count: it has not been exchanged yet." in facts
    doc = page["doc"]
    doc.exchanged_at = clock.now()
    doc.counts_in_tally = False
    withdraw(doc, "Replaced by a new version")
    html = _get(client, login, page)
    facts = _section(html, "h-facts")
    assert "Does not count: it is withdrawn; the organizers marked it not to count." in facts
    assert '<span class="withdrawn-reason">Replaced by a new version</span>' in html
    assert f"<del>{doc.reference}</del>" in html
    alert = html[html.index('class="alert alert-secondary withdrawn"'):]
    assert "by an organizer." in alert[:alert.index("</div>")]  # no one recorded as withdrawing


def test_a_document_that_counts_and_a_confidential_one(client, login, page):
    other = page["other"]
    facts = _section(_get(client, login, page, other), "h-facts")
    assert "<dd class=\"col-7 tally\">Counts.</dd>" in facts
    other.confidentiality = other.confidentiality.CONFIDENTIAL
    facts = _section(_get(client, login, page, other), "h-facts")
    assert "Counted, but not listed publicly (confidential)." in facts
    assert "Nothing recorded yet." not in _get(client, login, page, other)  # its withdrawn entry


def test_linked_b2b_meetings(client, login, page):
    forum, doc = page["forum"], page["doc"]
    session = grid.create_session(forum, _input(forum), by=f.member(forum, Permission.B2B))
    table = MeetingTable(forum_id=forum.id, number=7)
    _db.session.add(table)
    a = f.participant(forum, full_name="Айгерім Сәрсенбаева")
    b = f.participant(forum, full_name="田中 一郎")
    req = f.meeting_request(a, b, accept=True)
    meeting = Meeting(forum_id=forum.id, request_id=req.id, a_id=a.id, b_id=b.id, slot_id=session.slots[0].id,
                      table_id=table.id)
    _db.session.add(meeting)
    _db.session.flush()
    _db.session.execute(document_meetings.insert().values(document_id=doc.id, meeting_id=meeting.id))
    meetings = _section(_get(client, login, page), "h-meetings")
    assert "table 7" in meetings and "Айгерім Сәрсенбаева" in meetings and "田中 一郎" in meetings
    assert "09:00 (Astana, UTC+05:00)" in meetings  # the slot in the forum's time zone
    assert "None linked." in _section(_get(client, login, page, page["other"]), "h-meetings")


def test_another_forums_document_is_a_404(client, login, page):
    elsewhere = f.forum(slug="tashkent-forum")
    theirs = f.document(elsewhere, titles={"en": "Not yours"})
    login(page["org"])
    assert client.get(f"/manage/central-asia-japan/documents/{theirs.id}").status_code == 404
    assert client.get("/manage/central-asia-japan/documents/999999").status_code == 404
    # ...and their team sees theirs, not ours.
    login(f.member(elsewhere, Permission.DOCUMENTS))
    assert client.get(f"/manage/tashkent-forum/documents/{theirs.id}").status_code == 200
    assert client.get(f"/manage/tashkent-forum/documents/{page['doc'].id}").status_code == 404
    assert client.get(f"/manage/central-asia-japan/documents/{page['doc'].id}").status_code == 403


def test_the_other_parts_partials_are_included_with_the_document_and_the_forum(app, client, login, page, monkeypatch):
    partials = {f"documents/manage/_detail_{name}.html": f"<p id='partial-{name}'>{name}:{{{{ doc.reference }}}}:"
                f"{{{{ forum.slug }}}}</p>" for name in ("actions", "scans", "followup", "ceremony")}
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader(partials), app.jinja_env.loader]))
    app.jinja_env.cache.clear()
    try:
        html = _get(client, login, page)
    finally:
        monkeypatch.undo()
        app.jinja_env.cache.clear()
    for name in ("actions", "scans", "followup", "ceremony"):
        assert f"<p id='partial-{name}'>{name}:{page['doc'].reference}:central-asia-japan</p>" in html


def test_history_values_are_written_in_words(client, login, page):
    doc, org, forum = page["doc"], page["org"], page["forum"]
    _entry((2026, 5, 1, 3, 0), subject_type="document", subject_id=doc.id, action="status_changed", actor=org,
           forum_id=forum.id, from_state="signed", to_state="in_progress",
           changes={"kind": ["mou", "agreement"], "counts_in_tally": [True, False],
                    "sectors": [["energy"], ["energy", "it"]], "expected_jobs": [None, 120]})
    history = _section(_get(client, login, page), "h-history")
    last = history.split('class="list-group-item small history-entry"')[-1]
    assert "1 May 2026, 08:00 (Astana, UTC+05:00)" in last
    assert "Follow-up status changed" in last and '<span class="states">Signed → In progress</span>' in last
    assert "Type: <del>Memorandum of understanding</del> → <ins>Agreement</ins>" in last
    assert "Counts in the tally: <del>Yes</del> → <ins>No</ins>" in last
    assert ("Sectors: <del>Energy, oil and gas</del> → <ins>Energy, oil and gas, IT and telecommunications</ins>"
            in last)
    assert "Expected jobs: <del>—</del> → <ins>120</ins>" in last


def test_the_page_does_not_grow_with_parties_entries_and_meetings(client, login, db):
    from tests.test_query_counts import statements_for

    counts = []
    for n in (1, 12):
        forum = f.forum()
        org = f.organizer()
        parties = [f.company(forum, 1) for _ in range(n)] + [PROXY]
        doc = f.document(forum, parties=parties)
        for i in range(n):
            audit.record(subject_type="document", subject_id=doc.id, action="updated", actor=f.organizer(),
                         forum_id=forum.id, changes={"place": [str(i), str(i + 1)]})
            scan = DocumentScan(document_id=doc.id, storage_name=f"s{forum.id}-{i}", filename="x.pdf",
                                content_type="application/pdf", size=1, sha256="c" * 64)
            _db.session.add(scan)
            _db.session.flush()
            audit.record(subject_type="document_scan", subject_id=scan.id, action="scan_uploaded",
                         actor=f.organizer(), forum_id=forum.id)
        login(org)
        counts.append(statements_for(client, f"/manage/{forum.slug}/documents/{doc.id}"))
    assert counts[0] == counts[1], f"{counts[0]} statements with 1, {counts[1]} with 12"


def test_the_ceremonys_tap_and_a_scan_in_the_history(client, login, page):
    from forum.documents import ceremony

    doc, org = page["doc"], page["org"]
    ceremony.mark_exchanged(doc, org, now=datetime(2026, 5, 2, 19, 15, tzinfo=timezone.utc))
    _db.session.flush()
    _entry((2026, 5, 3, 0, 0), subject_type="document", subject_id=doc.id, action="scan_added", actor=org,
           forum_id=doc.forum_id, scan_id=987654, version=2, sha256="d" * 64, size=1234, filename="mou.pdf",
           content_type="application/pdf")
    history = _section(_get(client, login, page), "h-history")
    entries = history.split('class="list-group-item small history-entry"')
    tap = next(e for e in entries if "Marked as exchanged" in e)
    scan = next(e for e in entries if "mou.pdf" in e)
    assert "Marked as exchanged" in tap and '<span class="states">not exchanged → exchanged</span>' in tap
    assert "Exchanged at: 3 May 2026, 00:15 (Astana, UTC+05:00)" in tap  # the tap's time on the forum's clock
    assert "Signed copy uploaded" in scan and "SHA-256: " + "d" * 64 in scan and "Version: 2" in scan
    assert "File: mou.pdf" in scan and "Type of file: PDF" in scan and "987654" not in scan


def test_the_history_reads_an_edit_from_its_before_and_after_snapshots():
    """An entry's before/after snapshots show as field changes, never as a printed dict; a record's first
    snapshot (no "before") is not a change."""
    from forum.documents.views import HIDDEN_DETAILS, entry_changes

    assert entry_changes({"before": {"kind": "mou", "place": "Астана"},
                          "after": {"kind": "agreement", "place": "Астана"}}) == {"kind": ["mou", "agreement"]}
    assert entry_changes({"before": {}, "after": {"status": "implemented"}}) == {"status": [None, "implemented"]}
    assert entry_changes({"after": {"kind": "mou"}, "reference": "CAJ-2027-001"}) == {}
    assert entry_changes({"changes": {"kind": ["mou", "contract"]}}) == {"kind": ["mou", "contract"]}
    assert entry_changes(None) == {}
    assert {"before", "after", "changes"} <= HIDDEN_DETAILS and "reference" not in HIDDEN_DETAILS
