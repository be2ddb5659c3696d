"""Scanned signed copies (issue 10, section 1): what is taken, where it is kept, and how a copy is verified.

- The type is decided by the content alone (PDF, PNG, JPEG, TIFF, WebP); the browser's content type and the
  file's name are never believed. The name is kept only to be shown, cleaned.
- At most DOCUMENT_SCAN_MAX_BYTES is read; a larger file is refused before anything is stored.
- The bytes are kept outside the web root in DOCUMENTS_DIR under a random name: written to a temporary file
  in the same folder, then renamed into place (a reader never sees half a file); the SHA-256 is computed
  while writing. A new upload adds a row; none is removed.
- A withdrawn document still takes a scan: it keeps its record (number, parties, history), and the signed
  paper is part of that record, often the very evidence of why it was withdrawn.
"""
from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO, Iterator

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_decimal, gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.security import safe_join

from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.documents.models import Document, DocumentScan
from forum.errors import InvalidInput, NotFound
from forum.forums.models import Forum
from forum.teams.models import Permission
from forum.teams.permissions import require

CHUNK = 64 * 1024
HEAD = 16  # bytes enough to tell every accepted type apart

# (content type, extension) by signature. PDF must start with its header: readers tolerate junk before it,
# which is how an HTML page or a script gets passed off as a PDF, so we do not.
PDF, PNG, JPEG, TIFF, WEBP = (("application/pdf", "pdf"), ("image/png", "png"), ("image/jpeg", "jpg"),
                              ("image/tiff", "tif"), ("image/webp", "webp"))
TYPES = {t for t, _e in (PDF, PNG, JPEG, TIFF, WEBP)}
EXTENSIONS = dict((PDF, PNG, JPEG, TIFF, WEBP))

# Bidirectional controls turn "gpj.exe" into something that reads as "exe.jpg"; they never belong in a name.
_BIDI = {"\u200e", "\u200f", "\u061c", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}
FIELD = "scan"  # the form field the errors belong to


def detect(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a file starting with `head`, or None when it is none of the accepted types."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def max_bytes() -> int:
    return int(current_app.config["DOCUMENT_SCAN_MAX_BYTES"])


def documents_dir() -> Path:
    """Where scans are kept (created on demand): DOCUMENTS_DIR, else the instance folder's documents/."""
    configured = current_app.config.get("DOCUMENTS_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "documents"
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_filename(name: str | None) -> str:
    """The uploader's name for the file, fit to be shown: the last path part only, NFC, no control or
    bidirectional characters, at most 255 characters (the extension kept when it is cut)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c not in _BIDI and unicodedata.category(c) not in ("Cc", "Cs", "Zl", "Zp"))
    name = " ".join(name.split()).lstrip(".").strip()
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        name = name[: 255 - len(ext)].rstrip() + ext
    return name


def megabytes(n: int) -> str:
    """20971520 -> "20"; a small limit (tests, a tight deployment) keeps its figures rather than reading "0"."""
    mb = n / (1024 * 1024)
    return format_decimal(mb, format="#,##0.##" if mb >= 0.1 else "0.####")


@dataclass(frozen=True)
class Checked:
    """What an upload turned out to be."""

    content_type: str
    extension: str
    size: int
    sha256: str
    filename: str  # cleaned; for display only


def _stream(source) -> tuple[IO[bytes], str | None]:
    if source is None:
        raise InvalidInput(_("Choose the scanned file to upload."), code="scan_missing", field=FIELD)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), None
    if isinstance(source, FileStorage):
        # From the start: a view run again (a retried transaction) finds the upload already read once.
        if getattr(source.stream, "seekable", lambda: False)():
            source.stream.seek(0)
        return source.stream, source.filename
    return source, getattr(source, "name", None) if isinstance(getattr(source, "name", None), str) else None


def _chunks(stream: IO[bytes], limit: int) -> Iterator[bytes]:
    """The stream's bytes, reading at most limit + 1 of them (one more tells "too big" from "exactly the limit")."""
    left = limit + 1
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


def _consume(source, sink: BinaryIO | None = None) -> Checked:
    """Read `source` once: refuse an empty file, one of another type, one over the limit; hash, count, and
    copy into `sink` (when given) as it goes. Nothing reaches `sink` before the type is known."""
    stream, name = _stream(source)
    limit = max_bytes()
    chunks = _chunks(stream, limit)
    head = b""
    for chunk in chunks:  # the head, however the stream happens to split it
        head += chunk
        if len(head) >= HEAD:
            break
    if not head:
        if not name and isinstance(source, FileStorage):
            # The browser sends an empty part with no name when no file was chosen.
            raise InvalidInput(_("Choose the scanned file to upload."), code="scan_missing", field=FIELD)
        raise InvalidInput(_("The file is empty."), code="scan_empty", field=FIELD)
    kind = detect(head)
    if kind is None:
        raise InvalidInput(
            _("This file is not a PDF or an image (PNG, JPEG, TIFF, WebP). Scan the signed copy to one of those "
              "formats; renaming a file does not change what it is."), code="scan_wrong_type", field=FIELD)
    sha, size = _hashed(_prepend(head, chunks), limit, sink)
    return Checked(content_type=kind[0], extension=kind[1], size=size, sha256=sha, filename=clean_filename(name))


def _hashed(chunks: Iterator[bytes], limit: int, sink: BinaryIO | None = None) -> tuple[str, int]:
    """The SHA-256 and size of the bytes, copied into `sink` as they come; scan_too_big past `limit` (the one
    size rule of uploads and of the verify box)."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise InvalidInput(_("The file is larger than %(mb)s MB, the most a signed copy may be.",
                                 mb=megabytes(limit)), code="scan_too_big", field=FIELD)
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
    return digest.hexdigest(), size


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def check(source) -> Checked:
    """What an upload (a FileStorage, bytes or a binary file) is, by its content; raises InvalidInput with the
    code scan_missing, scan_empty, scan_wrong_type or scan_too_big (field "scan"). Stores nothing."""
    return _consume(source)


def attach(doc: Document, source, *, by: User | None) -> DocumentScan:
    """Store a signed copy of `doc` and add it as the document's current scan (the earlier ones stay)."""
    require(by, doc.forum, Permission.DOCUMENTS)
    folder = documents_dir()
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            checked = _consume(source, out)
            out.flush()
            os.fsync(out.fileno())
        storage_name = f"{secrets.token_hex(20)}.{checked.extension}"
        os.replace(tmp, folder / storage_name)
    finally:
        tmp.unlink(missing_ok=True)
    scan = DocumentScan(document=doc, storage_name=storage_name, filename=checked.filename,
                        content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                        uploaded_by_id=by.id if by is not None else None)
    db.session.add(scan)
    db.session.flush()
    audit.record(subject_type="document", subject_id=doc.id, action="scan_added", actor=by, forum_id=doc.forum_id,
                 scan_id=scan.id, version=version_of(scan), sha256=checked.sha256, size=checked.size,
                 content_type=checked.content_type, filename=checked.filename)
    return scan


def version_of(scan: DocumentScan) -> int:
    """1 for a document's first scan, 2 for the next, ..."""
    return [s.id for s in scan.document.scans].index(scan.id) + 1


@dataclass(frozen=True)
class Match:
    document: Document
    scan: DocumentScan  # the latest of the document's scans with that content
    version: int
    is_current: bool


@dataclass(frozen=True)
class Verification:
    sha256: str
    size: int
    matches: list[Match] = field(default_factory=list)


def verify(forum: Forum, source) -> Verification:
    """Hash a file (without storing it) and find the documents of `forum` that have a scan, current or earlier,
    with the same SHA-256. Any type is hashed (a file that is no PDF or image simply matches nothing); an
    empty or too large file is refused as for an upload."""
    stream, name = _stream(source)
    limit = max_bytes()
    sha, size = _hashed(_chunks(stream, limit), limit)
    if size == 0:
        if not name and isinstance(source, FileStorage):
            raise InvalidInput(_("Choose the file to check."), code="scan_missing", field=FIELD)
        raise InvalidInput(_("The file is empty."), code="scan_empty", field=FIELD)
    scans = db.session.scalars(
        sa.select(DocumentScan).join(Document).where(Document.forum_id == forum.id, DocumentScan.sha256 == sha)
        .order_by(Document.number, DocumentScan.id)).all()
    latest: dict[int, DocumentScan] = {}
    for scan in scans:
        latest[scan.document_id] = scan  # ordered by id: the last one wins
    matches = [Match(document=s.document, scan=s, version=version_of(s), is_current=s.document.current_scan is s)
               for s in latest.values()]
    return Verification(sha256=sha, size=size, matches=matches)


def scan_path(scan: DocumentScan) -> Path:
    folder = documents_dir()
    joined = safe_join(str(folder), scan.storage_name)
    if joined is None:  # a storage name is ours and plain; this is only a second lock on the door
        raise NotFound(_("The signed copy's file is missing."), code="scan_missing_file")
    return Path(joined)


def open_scan(scan: DocumentScan) -> BinaryIO:
    """The stored bytes of `scan`, opened for reading (the caller closes it; send_file does)."""
    try:
        return scan_path(scan).open("rb")
    except FileNotFoundError:
        current_app.logger.error("Scan %s of document %s: %s is missing", scan.id, scan.document_id,
                                 scan.storage_name)
        raise NotFound(_("The signed copy's file is missing from the server's storage."),
                       code="scan_missing_file") from None


def download_name(scan: DocumentScan) -> str:
    """The name a download is saved under: the uploader's (cleaned) name with the extension its content has,
    or the register number when it had none."""
    ext = EXTENSIONS.get(scan.content_type, "bin")
    stem = scan.filename
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    stem = stem.strip() or scan.document.reference
    return f"{stem}.{ext}"
