"""Scanned signed copies (issue 10, section 1 and section 4): the upload checks by content, storage outside the
web root under a random name, the SHA-256 and the verify box, downloads for the team and for the parties."""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from forum import clock
from forum.audit.models import AuditEntry
from forum.documents import scans
from forum.documents.models import DocumentScan
from forum.errors import InvalidInput, NotAllowed
from forum.teams.models import Permission
from tests import factories as f

LIMIT = 4096
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 200 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 300
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 300 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 300
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script>%PDF-1.7</body></html>"
ZIP = b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 100
TEXT = "Меморандум о взаимопонимании, подписан 14 мая.\n".encode()


@pytest.fixture()
def store(app, tmp_path, monkeypatch) -> Path:
    """A fresh DOCUMENTS_DIR under the test's tmp_path, and a small limit."""
    folder = tmp_path / "signed-copies"
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(folder))
    monkeypatch.setitem(app.config, "DOCUMENT_SCAN_MAX_BYTES", LIMIT)
    return folder


def upload(data: bytes, name: str = "契約書.pdf", content_type: str = "application/pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=content_type)


def stored_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def nothing_stored(db, folder: Path) -> bool:
    db.session.expire_all()
    return (stored_files(folder) == []
            and db.session.scalar(sa.select(sa.func.count()).select_from(DocumentScan)) == 0
            and db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "scan_added")) == 0)


# --- the checks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data, name, content_type, code", [
    (b"", "Қазақстан келісімі.pdf", "application/pdf", "scan_empty"),
    (EXE, "Oʻzbekiston shartnomasi.pdf", "application/pdf", "scan_wrong_type"),
    (EXE, "setup.exe", "application/x-msdownload", "scan_wrong_type"),
    (HTML, "契約書.pdf", "application/pdf", "scan_wrong_type"),
    (ZIP, "scan.pdf", "application/pdf", "scan_wrong_type"),
    (TEXT, "memo.pdf", "application/pdf", "scan_wrong_type"),
    (b" " + PDF, "leading-space.pdf", "application/pdf", "scan_wrong_type"),  # %PDF- must come first
    (b"%PDF-" + b"x" * (LIMIT - 4), "big.pdf", "application/pdf", "scan_too_big"),  # LIMIT + 1 bytes
])
def test_refused_uploads_store_nothing(db, store, data, name, content_type, code):
    forum = f.forum()
    doc = f.document(forum)
    with pytest.raises(InvalidInput) as e:
        scans.attach(doc, upload(data, name, content_type), by=f.member(forum, Permission.DOCUMENTS))
    assert e.value.code == code and e.value.field == "scan"
    assert nothing_stored(db, store)


def test_exactly_the_limit_is_taken_and_one_byte_more_is_not(db, store):
    forum = f.forum()
    doc = f.document(forum)
    by = f.member(forum, Permission.DOCUMENTS)
    at_limit = b"%PDF-" + b"x" * (LIMIT - 5)
    assert len(at_limit) == LIMIT
    with pytest.raises(InvalidInput) as e:
        scans.check(at_limit + b"x")
    assert e.value.code == "scan_too_big"
    assert "than 0.0039 MB," in e.value.message  # a small limit is not rounded to "0 MB"
    scan = scans.attach(doc, upload(at_limit), by=by)
    assert scan.size == LIMIT and stored_files(store) == [scan.storage_name]


def test_the_too_big_message_names_the_limit_in_megabytes(app, db, store, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_SCAN_MAX_BYTES", 20 * 1024 * 1024)
    with pytest.raises(InvalidInput) as e:
        scans.check(b"%PDF-" + b"x" * (20 * 1024 * 1024))
    assert e.value.code == "scan_too_big" and "20 MB" in e.value.message


def test_the_type_is_decided_by_content_not_by_name_or_browser(db, store):
    for data, expected, ext in ((PDF, "application/pdf", "pdf"), (PNG, "image/png", "png"),
                                (JPEG, "image/jpeg", "jpg")):
        checked = scans.check(upload(data, "no-extension", "text/html"))
        assert (checked.content_type, checked.extension, checked.size) == (expected, ext, len(data))
        assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert scans.check(b"II*\x00" + b"\x00" * 20).content_type == "image/tiff"
    assert scans.check(b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20).content_type == "image/webp"
    assert stored_files(store) == []  # check() stores nothing


def test_a_form_sent_without_a_file_is_told_to_choose_one(db, store):
    for source in (None, FileStorage(stream=io.BytesIO(b""), filename="", content_type="application/octet-stream")):
        with pytest.raises(InvalidInput) as e:
            scans.check(source)
        assert e.value.code == "scan_missing"


def test_the_name_is_cleaned_for_display_only():
    assert scans.clean_filename("C:\\fakepath\\Қазақстан келісімі.pdf") == "Қазақстан келісімі.pdf"
    assert scans.clean_filename("../../etc/passwd") == "passwd"
    assert scans.clean_filename("Oʻzbekiston\u202egpj.exe") == "Oʻzbekistongpj.exe"  # no right-to-left override
    assert scans.clean_filename("И\u0306ылдыз.pdf") == "Йылдыз.pdf"  # NFC
    assert scans.clean_filename("a\x00b\nc.pdf") == "abc.pdf"
    long = scans.clean_filename("契" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


# --- storage ------------------------------------------------------------------------------------

def test_pdf_png_and_jpeg_are_stored_outside_the_web_root_under_random_names(app, db, store):
    forum = f.forum()
    doc = f.document(forum)
    by = f.member(forum, Permission.DOCUMENTS, name="Айгерим Сейтқали")
    stored = [scans.attach(doc, upload(data, name), by=by)
              for data, name in ((PDF, "Меморандум.pdf"), (PNG, "契約書.png"), (JPEG, "Oʻzbek.jpeg"))]
    db.session.commit()
    assert [s.content_type for s in doc.scans] == ["application/pdf", "image/png", "image/jpeg"]
    assert doc.current_scan.id == stored[-1].id
    assert stored_files(store) == sorted(s.storage_name for s in stored)  # no temporary file left behind
    static = Path(app.static_folder).resolve()
    for s, data in zip(stored, (PDF, PNG, JPEG)):
        assert re.fullmatch(r"[0-9a-f]{40}\.(pdf|png|jpg)", s.storage_name)
        path = (store / s.storage_name).resolve()
        assert static not in path.parents and Path(app.root_path).resolve() not in path.parents
        assert path.read_bytes() == data
        assert s.sha256 == hashlib.sha256(data).hexdigest() and s.size == len(data)
        assert s.uploaded_by_id == by.id
    assert [s.filename for s in stored] == ["Меморандум.pdf", "契約書.png", "Oʻzbek.jpeg"]
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "scan_added")
                               .order_by(AuditEntry.id)).all()
    assert [(a.subject_type, a.subject_id, a.actor_id, a.forum_id) for a in audit] == \
        [("document", doc.id, by.id, forum.id)] * 3
    assert [a.details["sha256"] for a in audit] == [s.sha256 for s in stored]
    assert [a.details["version"] for a in audit] == [1, 2, 3]


def test_the_documents_dir_defaults_to_the_instance_folder(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", "")
    monkeypatch.setattr(app, "instance_path", str(Path(app.config["MAIL_FOLDER"]).parent / "inst"))
    assert scans.documents_dir() == Path(app.instance_path) / "documents"
    assert scans.documents_dir().is_dir()


def test_a_withdrawn_document_still_takes_a_scan(db, store):
    forum = f.forum()
    doc = f.document(forum, withdrawn_at=clock.now(), withdrawn_reason="Signed twice by mistake")
    scan = scans.attach(doc, upload(PDF), by=f.member(forum, Permission.DOCUMENTS))
    assert doc.current_scan is scan and stored_files(store) == [scan.storage_name]


def test_an_upload_read_once_is_read_again_from_its_start(db, store):
    """A view run again (a retried transaction) hands the service the same, already read, upload."""
    forum = f.forum()
    doc = f.document(forum)
    fs = upload(PDF)
    scans.check(fs)
    scan = scans.attach(doc, fs, by=f.member(forum, Permission.DOCUMENTS))
    assert scan.size == len(PDF) and scan.sha256 == hashlib.sha256(PDF).hexdigest()


def test_attaching_needs_the_documents_permission(db, store):
    forum = f.forum()
    doc = f.document(forum)
    for user in (f.member(forum, Permission.REVIEW), f.member(f.forum(), Permission.DOCUMENTS), None):
        with pytest.raises(NotAllowed) as e:
            scans.attach(doc, upload(PDF), by=user)
        assert e.value.code == "forbidden"
    assert nothing_stored(db, store)


# --- verify -------------------------------------------------------------------------------------

def test_verify_finds_the_document_by_a_copy_and_not_by_a_changed_one(db, store):
    forum, other_forum = f.forum(), f.forum()
    doc = f.document(forum)
    f.document(forum)  # another document without a scan
    by = f.member(forum, Permission.DOCUMENTS)
    first = scans.attach(doc, upload(PDF), by=by)
    scans.attach(doc, upload(PNG, "rescan.png"), by=by)
    elsewhere = f.document(other_forum)
    scans.attach(elsewhere, upload(JPEG), by=f.organizer())

    found = scans.verify(forum, upload(PNG, "whatever.pdf"))
    assert found.sha256 == hashlib.sha256(PNG).hexdigest() and found.size == len(PNG)
    assert [(m.document.id, m.version, m.is_current) for m in found.matches] == [(doc.id, 2, True)]
    older = scans.verify(forum, PDF)
    assert [(m.document.id, m.scan.id, m.version, m.is_current) for m in older.matches] == \
        [(doc.id, first.id, 1, False)]
    changed = PNG[:-1] + bytes([PNG[-1] ^ 1])
    assert scans.verify(forum, changed).matches == []
    assert scans.verify(forum, JPEG).matches == []  # another forum's document
    assert [m.document.id for m in scans.verify(other_forum, JPEG).matches] == [elsewhere.id]
    assert len(stored_files(store)) == 3  # verifying stores nothing


def test_verify_refuses_empty_and_too_big_files(db, store):
    forum = f.forum()
    for data, code in ((b"", "scan_empty"), (b"x" * (LIMIT + 1), "scan_too_big")):
        with pytest.raises(InvalidInput) as e:
            scans.verify(forum, upload(data))
        assert e.value.code == code
    assert scans.verify(forum, TEXT).matches == []  # any type is hashed; it just matches nothing


# --- the pages ----------------------------------------------------------------------------------

def _doc_url(doc, tail: str = "") -> str:
    return f"/manage/{doc.forum.slug}/documents/{doc.id}/scans{tail}"


def test_upload_page_stores_a_scan_and_shows_its_hash(client, db, login, post, store):
    forum = f.forum()
    doc = f.document(forum)
    login(f.member(forum, Permission.DOCUMENTS, name="青葉 花子"))
    r = post(_doc_url(doc), {"scan": (io.BytesIO(PDF), "Меморандум №17.pdf", "application/pdf")})
    assert r.status_code == 302 and r.headers["Location"].endswith("#scans")
    scan = db.session.scalars(sa.select(DocumentScan)).one()
    page = client.get(_doc_url(doc)).get_data(as_text=True)
    assert hashlib.sha256(PDF).hexdigest() in page and "Меморандум №17.pdf" in page and "青葉 花子" in page
    assert f"/manage/{forum.slug}/documents/{doc.id}/scans/{scan.id}" in page
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page


@pytest.mark.parametrize("data, name, content_type, code_text", [
    (b"", "пусто.pdf", "application/pdf", "The file is empty."),
    (EXE, "invoice.pdf", "application/pdf", "not a PDF or an image"),
    (HTML, "契約書.pdf", "application/pdf", "not a PDF or an image"),
    (TEXT, "notes.txt", "text/plain", "not a PDF or an image"),
    (b"%PDF-" + b"x" * LIMIT, "big.pdf", "application/pdf", "larger than"),
])
def test_upload_page_refusals_show_next_to_the_field_and_store_nothing(client, db, login, post, store, data, name,
                                                                       content_type, code_text):
    forum = f.forum()
    doc = f.document(forum)
    login(f.member(forum, Permission.DOCUMENTS))
    r = post(_doc_url(doc), {"scan": (io.BytesIO(data), name, content_type)})
    html = r.get_data(as_text=True)
    assert r.status_code in (413, 422)
    assert re.search(r'id="scan-file-error">[^<]*' + re.escape(code_text), html)
    assert 'aria-invalid="true"' in html
    assert nothing_stored(db, store)


def test_a_body_over_the_routes_limit_gets_the_form_with_a_clear_message(app, client, db, login, post, store,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_SCAN_MAX_BYTES", 2 * 1024 * 1024)  # above the site's 1 MiB
    forum = f.forum()
    doc = f.document(forum)
    login(f.member(forum, Permission.DOCUMENTS))
    exactly = b"%PDF-" + b"x" * (2 * 1024 * 1024 - 5)
    r = post(_doc_url(doc), {"scan": (io.BytesIO(exactly), "big.pdf", "application/pdf")})
    assert r.status_code == 302  # more than MAX_CONTENT_LENGTH reaches this route
    assert db.session.scalar(sa.select(DocumentScan.size)) == 2 * 1024 * 1024
    r = post(_doc_url(doc), {"scan": (io.BytesIO(exactly + b"x" * 200_000), "bigger.pdf", "application/pdf")})
    html = r.get_data(as_text=True)
    assert r.status_code == 413
    assert re.search(r'id="scan-file-error">The file is larger than 2 MB', html) and 'name="scan"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentScan)) == 1
    assert len(stored_files(store)) == 1
    # the verify box too
    r = post(f"/manage/{forum.slug}/documents/verify", {"scan": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "a.pdf")})
    assert r.status_code == 413 and "The file is larger than 2 MB" in r.get_data(as_text=True)
    # ...and every other route keeps the site's limit.
    r = post("/login", {"scan": (io.BytesIO(exactly), "big.pdf", "application/pdf")})
    assert r.status_code == 413


def test_the_413_answer_checks_the_permission_too(app, client, db, login, post, store):
    forum = f.forum()
    doc = f.document(forum)
    login(f.member(forum, Permission.REVIEW))
    r = post(_doc_url(doc), {"scan": (io.BytesIO(b"x" * (LIMIT + 200_000)), "a.pdf")})
    html = r.get_data(as_text=True)
    assert r.status_code == 413 and "scan-file-error" not in html and doc.reference not in html


def test_verify_page_answers_with_the_match_and_the_hash(client, db, login, post, store):
    forum = f.forum()
    doc = f.document(forum)
    by = f.member(forum, Permission.DOCUMENTS, name="Dilnoza Yoʻldosheva")
    scans.attach(doc, upload(PDF), by=by)
    login(by)
    assert client.get(f"/manage/{forum.slug}/documents/verify").status_code == 200
    html = post(f"/manage/{forum.slug}/documents/verify", {"scan": (io.BytesIO(PDF), "copy.pdf")}).get_data(
        as_text=True)
    assert f"Matches {doc.reference} (current signed copy, uploaded" in html and "Dilnoza Yoʻldosheva" in html
    assert hashlib.sha256(PDF).hexdigest() in html
    html = post(f"/manage/{forum.slug}/documents/verify", {"scan": (io.BytesIO(PDF + b" "), "copy.pdf")}).get_data(
        as_text=True)
    assert "Matches no registered document of this forum." in html
    assert hashlib.sha256(PDF + b" ").hexdigest() in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentScan)) == 1


# --- downloads ----------------------------------------------------------------------------------

@pytest.fixture()
def parties(db, store):
    """A forum with a document between a company (with an approved delegate) and the Kazakh chamber, a
    confidential one between the same, the delegate of a company that is no party, each with a scan."""
    forum = f.forum()
    party = f.approved(forum, full_name="Сейтқали Айгерім")
    outsider = f.approved(forum, full_name="山田 太郎")
    chamber = dict(organisation="Қазақстан сауда-өнеркәсіп палатасы", country="KZ", kind="association",
                   signatory_name="Әлихан Сәрсенов")
    doc = f.document(forum, parties=[party.company, chamber])
    secret = f.document(forum, parties=[party.company, chamber], confidentiality="confidential")
    team = f.member(forum, Permission.DOCUMENTS)
    scan = scans.attach(doc, upload(PDF, "Қазақстан–Жапония меморандумы.pdf"), by=team)
    scans.attach(secret, upload(PNG, "secret.png"), by=team)
    db.session.commit()
    return dict(forum=forum, doc=doc, secret=secret, scan=scan, team=team, party=party.user, outsider=outsider.user,
                company=party.company)


def test_the_documents_team_downloads_with_safe_headers(client, login, parties):
    doc, scan = parties["doc"], parties["scan"]
    login(parties["team"])
    r = client.get(_doc_url(doc, f"/{scan.id}"))
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["Content-Length"] == str(len(PDF))
    name = "Қазақстан–Жапония меморандумы.pdf"
    assert r.headers["Content-Disposition"] == \
        f"attachment; filename=\"{doc.reference}.pdf\"; filename*=UTF-8''{quote(name, safe='')}"


def test_download_names_are_ascii_safe():
    from forum.documents.scan_views import content_disposition

    assert content_disposition("MOU signed.pdf", "CAJ-2024-017") == 'attachment; filename="MOU signed.pdf"'
    assert content_disposition('a"b\\c.pdf', "CAJ-2024-017") == \
        'attachment; filename="abc.pdf"; filename*=UTF-8\'\'a%22b%5Cc.pdf'
    assert content_disposition("Oʻzbekiston.pdf", "X").startswith('attachment; filename="Ozbekiston.pdf"; ')


def test_a_member_with_review_only_may_not_download(client, login, parties):
    login(f.member(parties["forum"], Permission.REVIEW))
    assert client.get(_doc_url(parties["doc"], f"/{parties['scan'].id}")).status_code == 403


def test_a_scan_of_another_document_is_not_found_under_this_one(client, login, parties):
    login(parties["team"])
    other = parties["secret"].current_scan
    assert client.get(_doc_url(parties["doc"], f"/{other.id}")).status_code == 404


def test_a_partys_delegate_downloads_the_current_copy_outside_manage(client, login, parties):
    forum, doc = parties["forum"], parties["doc"]
    url = f"/forums/{forum.slug}/documents/{doc.public_id}/signed-copy"
    login(parties["party"])
    r = client.get(url)
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    # but not a confidential one, nor through the organizers' route
    assert client.get(f"/forums/{forum.slug}/documents/{parties['secret'].public_id}/signed-copy").status_code == 404
    assert client.get(_doc_url(doc, f"/{parties['scan'].id}")).status_code == 403


def test_others_get_404_and_the_anonymous_are_sent_to_sign_in(client, login, parties):
    forum, doc = parties["forum"], parties["doc"]
    url = f"/forums/{forum.slug}/documents/{doc.public_id}/signed-copy"
    r = client.get(url)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login(parties["outsider"])
    assert client.get(url).status_code == 404
    login(f.member(forum, Permission.REVIEW))
    assert client.get(url).status_code == 404
    login(parties["team"])
    assert client.get(url).status_code == 200  # the documents team may use it too
    assert client.get(f"/forums/{f.forum().slug}/documents/{doc.public_id}/signed-copy").status_code == 404


def test_a_document_without_a_scan_has_no_signed_copy(client, db, login, parties):
    forum = parties["forum"]
    bare = f.document(forum, parties=[parties["company"],
                                      dict(organisation="Ministry", country="KZ", kind="government",
                                           signatory_name="Ерлан")])
    login(parties["party"])
    assert client.get(f"/forums/{forum.slug}/documents/{bare.public_id}/signed-copy").status_code == 404
