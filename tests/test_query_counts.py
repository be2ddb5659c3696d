"""List pages run the same number of SQL statements with 1 row as with 20 (no N+1)."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from forum.db import db as _db
from forum.registration import services as registration
from forum.review import services as review
from tests import factories as f


@contextmanager
def counting(engine):
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def statements_for(client, url: str) -> int:
    _db.session.commit()
    with counting(_db.engine) as statements:
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    # the session's own bookkeeping (SQLite BEGIN, PostgreSQL none) is the same for every page
    return len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))])


def _forum_with(n: int, org, *, late: bool = False):
    forum = f.forum(phase="late" if late else "open")
    for i in range(n):
        c = f.company(forum, 1, **({"late_reason": "Visa"} if late else {}))
        reg = c.delegates[0]
        if i % 3 == 0:
            review.decide(reg, "approve", by=org)  # history with an actor
        registration.create_invitation(forum, company_name=f"Co {i}", email=f"i{i}@example.org",
                                       by=f.organizer()) if late else None
    return forum


PAGES = {
    "registrations": lambda fo, r: f"/manage/{fo.slug}/registrations",
    "late": lambda fo, r: f"/manage/{fo.slug}/late",
    "invitations": lambda fo, r: f"/manage/{fo.slug}/invitations",
    "detail": lambda fo, r: f"/manage/{fo.slug}/registrations/{r.id}",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_organizer_list_pages_do_not_grow_with_rows(client, db, login, page):
    org = f.organizer()
    counts = []
    for n in (1, 20):
        late = page in ("late", "invitations")
        forum = _forum_with(n, org, late=late)
        reg = f.company(forum, min(n, 10), **({"late_reason": "Visa"} if late else {})).delegates[0]
        for i in range(n):  # n entries in its history, each by another organizer
            review.decide(reg, "waitlist" if i % 2 == 0 else "approve", by=f.organizer())
        login(org)
        counts.append(statements_for(client, PAGES[page](forum, reg)))
    assert counts[0] == counts[1], f"{page}: {counts[0]} statements with 1 row, {counts[1]} with 20"


def test_forum_list_does_not_grow_with_forums(client, db, login):
    org = f.organizer()
    login(org)
    _forum_with(2, org)
    one = statements_for(client, "/manage/")
    for _ in range(19):
        _forum_with(2, org)
    assert statements_for(client, "/manage/") == one


def test_my_page_does_not_grow_with_companies_and_registrations(client, db, login):
    contact = f.user(email="contact@example.org")
    counts = []
    for n in (1, 20):
        for i in range(n if not counts else n - 1):
            forum = f.forum()
            data = f.company_input(2, contact_email="contact@example.org")
            data.delegates[0].email = "contact@example.org"
            registration.submit(forum, data)
        login(contact)
        counts.append(statements_for(client, "/my"))
    assert counts[0] == counts[1]


def test_mail_page_does_not_grow_with_messages(client, db, login):
    from forum.notifications.models import MailStatus, OutboxMessage

    statuses = list(MailStatus)
    login(f.organizer())
    counts = []
    for n in (1, 20):
        forum = f.forum()
        for i in range(n):
            status = statuses[i % len(statuses)] if n > 1 else MailStatus.FAILED
            db.session.add(OutboxMessage(
                template=("delegate_registered", "approved", "password_reset")[i % 3], to_addr=f"p{i}@example.kz",
                to_name="Ерлан Қасымов", subject="Subject", body_text="Body\n", status=status, forum_id=forum.id,
                last_error="SMTPServerDisconnected: timed out" if status is MailStatus.FAILED else "",
                sent_at=forum.starts_at if status is MailStatus.SENT else None,
            ))
        counts.append(statements_for(client, f"/manage/{forum.slug}/mail"))
    assert counts[0] == counts[1], f"mail: {counts[0]} statements with 1 row, {counts[1]} with 20"
