"""The record form end to end (documents.record_views): record an MOU with a proxy signatory, edit, withdraw with a
confirmation, errors that keep what was typed, "Add a party" without JavaScript, the signatory lookup in any
script and by badge, and permissions."""
from __future__ import annotations

import hashlib
import io
import re
from html import unescape

import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.badges import issuing
from forum.documents.models import Capacity, Document, DocumentParty
from forum.teams.models import Permission
from tests import factories as f


def form_data(**kw) -> dict:
    data = {
        "kind": "mou", "signed_on": "2027-05-20", "place": "Palace of Independence", "ceremony": "main_stage",
        "titles-0-language": "en", "titles-0-title": "MOU on railway logistics",
        "titles-1-language": "ja", "titles-1-title": "鉄道物流に関する覚書",
        "titles-2-language": "ru", "titles-2-title": "",
        "authoritative_language": "en",
        "parties-0-company": "", "parties-0-organisation": "Oʻzbekiston Temir Yoʻllari, Tashkent branch",
        "parties-0-country": "UZ", "parties-0-kind": "state_company",
        "parties-0-signatory_name": "Oʻktam Gʻulomov", "parties-0-signatory_position": "Branch manager",
        "parties-0-capacity": "on_behalf", "parties-0-principal_name": "Jasur Rahimov",
        "parties-0-principal_position": "Director", "parties-0-poa_reference": "No. 12/2024", "parties-0-side": "left",
        "parties-1-company": "", "parties-1-organisation": "Қазақстан сауда-өнеркәсіп палатасы",
        "parties-1-country": "KZ", "parties-1-kind": "association",
        "parties-1-signatory_name": "Әлихан Сәрсенов", "parties-1-signatory_position": "Төраға",
        "parties-1-capacity": "own", "parties-1-side": "right",
        "value": "1,000.50", "currency": "USD", "expected_jobs": "40", "confidentiality": "public",
        "counts_in_tally": "y", "exchanged_now": "y", "sectors": ["transport"],
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def _team(db, login, perm=Permission.DOCUMENTS):
    forum = f.forum(slug="central-asia-japan")
    user = login(f.member(forum, perm))
    return forum, user


def _docs(db):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Document).order_by(Document.id)))


def test_the_form_offers_a_title_per_event_language_and_two_parties(client, db, login):
    forum, _ = _team(db, login)
    r = client.get(f"/manage/{forum.slug}/documents/new")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html and 'name="scan"' in html
    for i, lang in enumerate(("en", "ja", "ru")):  # the register's languages (the interface's by default)
        assert f'name="titles-{i}-language" type="hidden" value="{lang}"' in html
        assert f'name="authoritative_language" value="{lang}"' in html
    assert 'name="parties-1-signatory_name"' in html and 'name="parties-2-signatory_name"' not in html
    assert 'name="add_party"' in html
    assert "js/document-record.js" in html
    today = forum.local(__import__("forum").clock.now()).date().isoformat()
    assert f'name="signed_on" value="{today}"' in html


def test_an_mou_with_a_proxy_signatory_is_recorded_and_exchanged(client, db, login, post):
    forum, user = _team(db, login)
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
    r = post(f"/manage/{forum.slug}/documents/new", form_data(scan=(io.BytesIO(pdf), "mou.pdf")),
             content_type="multipart/form-data")
    assert r.status_code == 302
    [doc] = _docs(db)
    assert r.headers["Location"].endswith(f"/manage/{forum.slug}/documents/{doc.id}")  # documents.detail
    [scan] = doc.scans  # attached through the scans service, in the same transaction
    assert scan.sha256 == hashlib.sha256(pdf).hexdigest() and scan.content_type == "application/pdf"
    assert doc.reference == "CAJ-%d-001" % forum.local(forum.starts_at).year
    assert {t.language: t.title for t in doc.titles} == {"en": "MOU on railway logistics", "ja": "鉄道物流に関する覚書"}
    proxy = doc.parties[0]
    assert proxy.capacity is Capacity.ON_BEHALF and proxy.principal_name == "Jasur Rahimov"
    assert proxy.poa_reference == "No. 12/2024" and proxy.signatory_name == "Oʻktam Gʻulomov"
    assert (doc.value_minor, doc.currency, doc.expected_jobs, doc.sectors) == (100050, "USD", 40, ["transport"])
    assert doc.exchanged_at is not None and doc.created_by_id == user.id
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f"Recorded as {doc.reference}" in unescape(page)
    assert f"/documents/{doc.id}/edit" in page and f"/documents/{doc.id}/withdraw" in page  # _detail_actions


def test_errors_show_next_to_their_fields_and_keep_every_typed_value(client, db, login, post):
    forum, _ = _team(db, login)
    r = post(f"/manage/{forum.slug}/documents/new", form_data(**{
        "parties-0-principal_name": "", "parties-0-poa_reference": "", "value": "1000.5", "currency": "JPY"}))
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 422 and _docs(db) == []
    assert re.search(r'id="parties-0-principal_name"[^>]*aria-invalid="true"', html) or \
        re.search(r'aria-invalid="true"[^>]*id="parties-0-principal_name"', html)
    assert 'id="parties-0-principal_name-error">Name the person they signed on behalf of.' in html
    assert 'id="parties-0-poa_reference-error">Give the reference of the power of attorney.' in html
    assert 'id="value-error">JPY has no minor units: write a whole amount.' in html
    for typed in ("鉄道物流に関する覚書", "Oʻktam Gʻulomov", "Қазақстан сауда-өнеркәсіп палатасы", "Jasur" if False else
                  "Director", "1000.5", "Төраға"):
        assert f'value="{typed}"' in html, typed
    assert re.search(r'<option selected value="JPY">|<option value="JPY" selected>', html)
    assert re.search(r'checked[^>]*value="on_behalf"|value="on_behalf"[^>]*checked', html)


def test_a_refused_scan_saves_nothing_and_keeps_the_typed_values(client, db, login, post):
    forum, _ = _team(db, login)
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    for content, name in ((b"<html><script>alert(1)</script></html>", "mou.pdf"), (b"MZ\x90\x00binary", "mou.pdf"),
                          (b"", "empty.pdf")):
        r = post(f"/manage/{forum.slug}/documents/new", form_data(scan=(io.BytesIO(content), name)),
                 content_type="multipart/form-data")
        html = unescape(r.get_data(as_text=True))
        assert r.status_code == 422 and _docs(db) == []
        assert 'id="scan-error"' in html
        assert 'value="Oʻktam Gʻulomov"' in html and 'value="鉄道物流に関する覚書"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audits


def test_a_document_needs_two_parties_said_above_the_parties(client, db, login, post):
    forum, _ = _team(db, login)
    blank = {k: "" for k in form_data() if k.startswith("parties-1-")}
    r = post(f"/manage/{forum.slug}/documents/new", form_data(**blank))
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 422 and _docs(db) == []
    assert 'id="parties-error" role="alert">A document needs at least two parties.' in html


def test_add_a_party_without_javascript_keeps_everything_and_saves_nothing(client, db, login, post):
    forum, _ = _team(db, login)
    r = post(f"/manage/{forum.slug}/documents/new", form_data(add_party="1"))
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 200 and _docs(db) == []
    assert 'name="parties-2-organisation"' in html and 'name="parties-3-organisation"' not in html
    assert 'value="Oʻktam Gʻulomov"' in html and 'value="鉄道物流に関する覚書"' in html
    r = post(f"/manage/{forum.slug}/documents/new", form_data(**{
        "parties-2-organisation": "JICA", "parties-2-country": "JP", "parties-2-kind": "international",
        "parties-2-signatory_name": "田中 一郎", "parties-2-signatory_position": "Chief Representative",
        "parties-2-capacity": "own", "parties-2-side": ""}))
    assert r.status_code == 302
    [doc] = _docs(db)
    assert [(p.organisation, p.side) for p in doc.parties][2] == ("JICA", "left")


def test_a_linked_delegate_of_another_forum_is_refused(client, db, login, post):
    forum, _ = _team(db, login)
    stranger = f.approved(f.forum())
    r = post(f"/manage/{forum.slug}/documents/new",
             form_data(**{"parties-1-signatory_registration": stranger.public_id}))
    assert r.status_code == 422 and _docs(db) == []
    assert "This delegate is registered at another forum." in unescape(r.get_data(as_text=True))


def test_hostile_list_keys_never_500(client, db, login, post):
    forum, _ = _team(db, login)
    r = post(f"/manage/{forum.slug}/documents/new", form_data(**{"parties-²-kind": "x", "titles-x": "y",
                                                                  "parties-1-country": "\x00"}))
    assert r.status_code in (400, 422) and _docs(db) == []


def test_editing_changes_the_record_and_is_audited(client, db, login, post):
    forum, user = _team(db, login)
    post(f"/manage/{forum.slug}/documents/new", form_data())
    [doc] = _docs(db)
    url = f"/manage/{forum.slug}/documents/{doc.id}/edit"
    html = unescape(client.get(url).get_data(as_text=True))
    assert 'value="Jasur Rahimov"' in html and 'value="1000.50"' in html and "Exchanged " in html
    r = post(url, form_data(kind="agreement", **{"parties-1-signatory_name": "Ерлан Ахметов"}))
    assert r.status_code == 302
    [doc] = _docs(db)
    assert doc.kind.value == "agreement" and doc.parties[1].signatory_name == "Ерлан Ахметов"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "updated")).one()
    assert entry.actor_id == user.id and entry.details["after"]["kind"] == "agreement"
    assert set(entry.details["after"]) == {"kind", "parties"}


def test_withdrawing_asks_first_needs_a_reason_and_keeps_the_number(client, db, login, post):
    forum, _ = _team(db, login)
    doc = f.document(forum)
    url = f"/manage/{forum.slug}/documents/{doc.id}/withdraw"
    page = unescape(client.get(url).get_data(as_text=True))
    assert f"it keeps its register number {doc.reference}" in page and "no longer counts in the public tally" in page
    r = post(url, {"reason": "  "})
    assert r.status_code == 422 and "Say why it is withdrawn." in unescape(r.get_data(as_text=True))
    assert _docs(db)[0].withdrawn_at is None
    r = post(url, {"reason": "Signed twice by mistake"})
    assert r.status_code == 302
    [doc] = _docs(db)
    assert doc.is_withdrawn and doc.withdrawn_reason == "Signed twice by mistake" and doc.number == 1
    r = post(url, {"reason": "again"})
    assert r.status_code == 409 and _docs(db)[0].withdrawn_reason == "Signed twice by mistake"
    r = post(f"/manage/{forum.slug}/documents/{doc.id}/edit", form_data(kind="agreement"))
    assert r.status_code == 302 and _docs(db)[0].kind.value == "mou"


def test_the_detail_actions_partial(app, db):
    from flask import render_template

    forum = f.forum()
    doc = f.document(forum)
    with app.test_request_context("/"):
        html = render_template("documents/manage/_detail_actions.html", doc=doc, forum=forum)
        assert f"/documents/{doc.id}/edit" in html and f"/documents/{doc.id}/withdraw" in html
        doc.withdrawn_at, doc.withdrawn_reason = __import__("forum").clock.now(), "x"
        html = render_template("documents/manage/_detail_actions.html", doc=doc, forum=forum)
        assert "/edit" not in html and "/withdraw" not in html


# --- the signatory picker ----------------------------------------------------------------------------------


def test_the_lookup_finds_approved_delegates_in_any_script(client, db, login):
    forum, _ = _team(db, login)
    kz = f.approved(forum, full_name="Әлихан Сәрсенов", latin_name="SARSENOV Alikhan", position="Төраға",
                    legal_name="Қазақстан сауда-өнеркәсіп палатасы", country="KZ")
    jp = f.approved(forum, full_name="青葉 太郎", latin_name="AOBA Taro", position="President")
    uz = f.approved(forum, full_name="Oʻktam Gʻulomov", latin_name="GULOMOV Oktam", position="Branch manager",
                    country="UZ")
    f.company(forum, delegates=[f.delegate_input(full_name="Әлихан Пендинг", latin_name="PENDING Alikhan")])
    f.approved(f.forum(), full_name="Әлихан Сәрсенов", latin_name="SARSENOV Alikhan")  # another forum

    def found(q):
        r = client.get(f"/manage/{forum.slug}/documents/signatories", query_string={"q": q, "format": "json"})
        assert r.status_code == 200
        return r.get_json()["results"]

    for q in ("Сәрсенов", "сарсенов", "sarsenov alikhan"):
        assert [s["public_id"] for s in found(q)] == [kz.public_id], q
    [s] = found("Сәрсенов")
    assert (s["full_name"], s["latin_name"], s["position"], s["company"], s["country"]) == (
        "Әлихан Сәрсенов", "SARSENOV Alikhan", "Төраға", "Қазақстан сауда-өнеркәсіп палатасы", "KZ")
    assert s["company_id"] == kz.company.public_id
    assert [s["public_id"] for s in found("青葉")] == [jp.public_id]
    assert [s["public_id"] for s in found("Oktam")] == [uz.public_id]  # no ʻ typed
    assert found("Пендинг") == []
    r = client.get(f"/manage/{forum.slug}/documents/signatories", query_string={"q": "Сә", "format": "json"})
    assert r.get_json()["too_short"] is True and r.get_json()["results"] == []
    page = client.get(f"/manage/{forum.slug}/documents/signatories", query_string={"q": "青葉"})
    assert page.status_code == 200 and "青葉 太郎" in page.get_data(as_text=True)


def test_a_scanned_badge_gives_its_delegate_of_this_forum_only(client, db, login):
    forum, _ = _team(db, login)
    badge = f.badge(forum, full_name="Әлихан Сәрсенов", position="Төраға")
    other = f.badge(f.forum())
    url = f"/manage/{forum.slug}/documents/signatories/badge"

    def look(code):
        r = client.get(url, query_string={"code": code, "format": "json"})
        return r.status_code, r.get_json()

    status, body = look(f"http://forum.test/b/{badge.token}")
    assert status == 200 and body["found"] and body["signatory"]["full_name"] == "Әлихан Сәрсенов"
    assert body["signatory"]["public_id"] == badge.registration.public_id
    assert look(badge.token.lower())[1]["signatory"]["position"] == "Төраға"
    page = client.get(url, query_string={"code": badge.token}).get_data(as_text=True)
    assert "Әлихан Сәрсенов" in page and badge.registration.public_id in page
    status, body = look(other.token)
    assert status == 404 and not body["found"] and body["message"] == "This is not a badge of this forum."
    status, body = look("garbage")
    assert status == 404 and not body["found"]
    issuing.revoke(badge, reason="Lost at the venue", by=f.organizer())
    db.session.commit()
    status, body = look(badge.token)
    assert status == 409 and not body["found"] and "revoked" in body["message"]
    status, body = look("")
    assert status == 200 and not body["found"]
    page = client.get(url, query_string={"code": other.token})  # the page without JavaScript
    assert page.status_code == 404 and "This is not a badge of this forum." in page.get_data(as_text=True)


# --- permissions beyond the matrix -------------------------------------------------------------------------


def test_a_review_only_member_cannot_record_edit_or_withdraw(client, db, login, post):
    forum, _ = _team(db, login, Permission.REVIEW)
    doc = f.document(forum)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    assert post(f"/manage/{forum.slug}/documents/new", form_data()).status_code == 403
    assert post(f"/manage/{forum.slug}/documents/{doc.id}/edit", form_data(kind="agreement")).status_code == 403
    assert post(f"/manage/{forum.slug}/documents/{doc.id}/withdraw", {"reason": "x"}).status_code == 403
    assert client.get(f"/manage/{forum.slug}/documents/signatories?q=abc&format=json").status_code == 403
    [doc] = _docs(db)
    assert doc.kind.value == "mou" and doc.withdrawn_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentParty)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_another_forums_document_is_not_found(client, db, login, post):
    forum, _ = _team(db, login)
    theirs = f.document(f.forum())
    assert client.get(f"/manage/{forum.slug}/documents/{theirs.id}/edit").status_code == 404
    assert post(f"/manage/{forum.slug}/documents/{theirs.id}/withdraw", {"reason": "x"}).status_code == 404
    assert _docs(db)[0].withdrawn_at is None


def test_the_meetings_between_the_parties_delegates_are_offered_and_linked(client, db, login, post):
    from tests.documents.test_records import _meeting

    forum, _ = _team(db, login)
    meeting, a, b = _meeting(forum)
    elsewhere, _c, _d = _meeting(forum, table=2)  # between two other companies
    doc = f.document(forum, parties=[a.company, b.company])
    url = f"/manage/{forum.slug}/documents/{doc.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert f'value="{meeting.public_id}"' in html and f'value="{elsewhere.public_id}"' not in html
    data = form_data(**{"parties-0-company": a.company.public_id, "parties-1-company": b.company.public_id,
                        "parties-0-capacity": "own", "meetings": [meeting.public_id]})
    assert post(url, data).status_code == 302
    from forum.documents.records import meeting_ids_of

    [doc] = _docs(db)
    assert meeting_ids_of(doc) == [meeting.id]
    assert [(p.company_id, p.organisation) for p in doc.parties] == [(a.company_id, a.company.legal_name),
                                                                     (b.company_id, b.company.legal_name)]
