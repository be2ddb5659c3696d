"""The badge desk's pages: counts, filters, downloads (streamed PDF, marked printed), reissue and revoke with
their confirmation pages, and the list's query count."""
import re

import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.badges import issuing, keys, tokens
from forum.badges.models import Badge, RevokeReason
from forum.db import db as _db
from forum.teams.models import Permission
from tests import factories as f
from tests.badges import pdfcheck
from tests.test_query_counts import statements_for


def _approved(forum, latin, country="JP", full=None):
    return f.approved(forum, full_name=full or latin, latin_name=latin, country=country)


def _fresh(badge) -> Badge:
    return _db.session.get(Badge, badge.id)


def test_the_desk_shows_counts_names_and_statuses(client, db, login):
    forum = f.forum()
    jp = _approved(forum, "YAMADA Taro", full="山田 太郎")
    kz = _approved(forum, "Aliya Nurlankyzy", "KZ", full="Әлия Нұрланқызы")
    _approved(forum, "Gʻayrat Yoʻldoshev", "UZ")
    issuing.mark_printed([issuing.live_badge(kz)])
    login(f.member(forum, Permission.REVIEW))
    html = client.get(f"/manage/{forum.slug}/badges/").get_data(as_text=True)
    assert "山田 太郎" in html and "Әлия Нұрланқызы" in html and "Gʻayrat Yoʻldoshev" in html
    assert re.search(r"Approved delegates: 3<", html) and re.search(r"Printed: 1<", html)
    assert re.search(r"Not printed yet: 2<", html) and re.search(r"Changed since printed: 0<", html)
    assert html.index("山田 太郎") < html.index("Әлия Нұрланқызы") < html.index("Gʻayrat")  # Japan, Kazakhstan, Uzbekistan
    filtered = client.get(f"/manage/{forum.slug}/badges/?status=not_printed").get_data(as_text=True)
    assert "山田 太郎" in filtered and "Әлия Нұрланқызы" not in filtered
    assert client.get(f"/manage/{forum.slug}/badges/?country=KZ&status=bogus&page=x").status_code == 200
    # the tab is there for reviewers
    assert f'href="/manage/{forum.slug}/badges/"' in client.get(f"/manage/{forum.slug}/registrations").get_data(as_text=True)
    assert jp.id


def test_the_desk_list_does_not_grow_in_queries_with_rows(client, db, login):
    org = f.organizer()
    counts = []
    for n in (1, 20):
        forum = f.forum()
        for i in range(n):
            reg = _approved(forum, f"Person{i} SURNAME{i}", ("KZ", "JP")[i % 2])
            if i % 3 == 0:
                issuing.mark_printed([issuing.live_badge(reg)])
        login(org)
        counts.append(statements_for(client, f"/manage/{forum.slug}/badges/"))
    assert counts[0] == counts[1]


def test_download_a4_streams_the_pdf_and_marks_the_batch_printed(client, db, login, post):
    forum = f.forum()
    regs = [_approved(forum, f"Person{i} SURNAME{i}", "KZ") for i in range(5)]
    login(f.member(forum, Permission.REVIEW))
    r = post(f"/manage/{forum.slug}/badges/download", {"layout": "a4", "language": "ru"})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == f"attachment; filename={forum.slug}-badges-a4.pdf"
    pdf = r.get_data()
    pages = pdfcheck.images(pdf)
    assert len(pages) == 2
    assert len(pdfcheck.qr_codes(pages[0])) == 4 and len(pdfcheck.qr_codes(pages[1])) == 1
    assert "ДЕЛЕГАТ" in pdfcheck.texts(pdf)[0] and "Казахстан" in pdfcheck.texts(pdf)[0]  # labels in Russian
    public = keys.public_key(forum)
    for page in pages:
        for found in pdfcheck.qr_codes(page):
            badge = _db.session.scalar(sa.select(Badge).where(Badge.code == tokens.verify(public, found.text).hex()))
            assert badge.is_live and badge.printed_at is not None
    assert all(issuing.live_badge(r).printed_fingerprint == issuing.fingerprint(issuing.live_badge(r)) for r in regs)
    # nothing left to print: the page says so instead of an empty PDF
    r = post(f"/manage/{forum.slug}/badges/download", {"layout": "a6", "status": "to_print"})
    assert r.status_code == 302 and "status=to_print" in r.headers["Location"]


def test_download_follows_the_filter_and_a6_has_one_page_per_badge(client, db, login, post):
    forum = f.forum()
    _approved(forum, "YAMADA Taro", "JP", full="山田 太郎")
    kz = _approved(forum, "Aliya Nurlankyzy", "KZ", full="Әлия Нұрланқызы")
    login(f.organizer())
    r = post(f"/manage/{forum.slug}/badges/download", {"layout": "a6", "country": "KZ"})
    (text,) = pdfcheck.texts(r.get_data())
    assert "Әлия Нұрланқызы" in text and "山田" not in text
    assert _fresh(issuing.live_badge(kz)).printed_at is not None


def test_bad_download_input_is_a_400_and_marks_nothing(client, db, login, post):
    forum = f.forum()
    reg = _approved(forum, "YAMADA Taro")
    login(f.organizer())
    assert post(f"/manage/{forum.slug}/badges/download", {"layout": "letter"}).status_code == 400
    assert post(f"/manage/{forum.slug}/badges/download", {"language": "xx"}).status_code == 400
    assert client.post(f"/manage/{forum.slug}/badges/download", data={"layout": "a4"}).status_code == 400  # no CSRF
    assert _fresh(issuing.live_badge(reg)).printed_at is None


def test_team_badges_need_manage(client, db, login, post):
    forum = f.forum()
    reg = _approved(forum, "YAMADA Taro")
    login(f.member(forum, Permission.REVIEW))
    assert "team" not in re.findall(r'name="(\w+)"', client.get(f"/manage/{forum.slug}/badges/").get_data(as_text=True))
    assert post(f"/manage/{forum.slug}/badges/download", {"layout": "a4", "team": "y"}).status_code == 403
    assert _fresh(issuing.live_badge(reg)).printed_at is None
    login(f.member(forum, Permission.MANAGE, name="Maria Manager"))
    assert 'name="team"' in client.get(f"/manage/{forum.slug}/badges/").get_data(as_text=True)
    r = post(f"/manage/{forum.slug}/badges/download", {"layout": "a4", "team": "y"})
    assert "Maria Manager" in pdfcheck.texts(r.get_data())[0]


def test_one_badge_as_a6(client, db, login, post):
    forum = f.forum()
    badge = issuing.live_badge(_approved(forum, "YAMADA Taro", full="山田 太郎"))
    login(f.member(forum, Permission.REVIEW))
    r = post(f"/manage/{forum.slug}/badges/{badge.id}/pdf")
    assert r.headers["Content-Disposition"] == "attachment; filename=badge-YAMADA-Taro.pdf"
    (found,) = pdfcheck.qr_codes(pdfcheck.images(r.get_data())[0])
    assert found.text == f"http://forum.test/b/{badge.token}"
    assert _fresh(badge).printed_at is not None


def test_reissue_asks_first_then_the_old_qr_stops_working(client, db, login, post):
    forum = f.forum()
    reg = _approved(forum, "YAMADA Taro", full="山田 太郎")
    old = issuing.live_badge(reg)
    reviewer = login(f.member(forum, Permission.REVIEW))
    page = client.get(f"/manage/{forum.slug}/badges/{old.id}/reissue").get_data(as_text=True)
    assert "山田 太郎" in page and "old badge stops working" in page
    assert _fresh(old).is_live  # asking changed nothing
    r = post(f"/manage/{forum.slug}/badges/{old.id}/reissue", {"reason": "Lost on the train"})
    assert r.status_code == 302
    old = _fresh(old)
    assert old.revoked_reason is RevokeReason.REISSUED and old.token in issuing.revoked_tokens(forum)
    new = issuing.live_badge(reg)
    assert new.token != old.token and new.replaces_id == old.id and new.printed_at is None
    entry = _db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "badge_reissued"))
    assert entry.actor_id == reviewer.id and entry.reason == "Lost on the train"
    # the old badge's pages are gone; a too long reason is a field error
    assert client.get(f"/manage/{forum.slug}/badges/{old.id}/reissue").status_code == 404
    r = post(f"/manage/{forum.slug}/badges/{new.id}/reissue", {"reason": "x" * 501})
    assert r.status_code == 422 and _fresh(new).is_live


def test_revoke_needs_a_reason_and_a_confirmation(client, db, login, post):
    forum = f.forum()
    reg = _approved(forum, "YAMADA Taro")
    badge = issuing.live_badge(reg)
    login(f.member(forum, Permission.REVIEW))
    assert client.get(f"/manage/{forum.slug}/badges/{badge.id}/revoke").status_code == 200
    assert post(f"/manage/{forum.slug}/badges/{badge.id}/revoke", {"reason": "", "confirm": "y"}).status_code == 422
    assert post(f"/manage/{forum.slug}/badges/{badge.id}/revoke", {"reason": "Stolen"}).status_code == 422
    assert _fresh(badge).is_live
    assert post(f"/manage/{forum.slug}/badges/{badge.id}/revoke", {"reason": "Stolen", "confirm": "y"}).status_code == 302
    badge = _fresh(badge)
    assert badge.revoked_reason is RevokeReason.MANUAL and issuing.live_badge(reg) is None
    html = client.get(f"/manage/{forum.slug}/badges/").get_data(as_text=True)
    assert "Revoked: 1" in html and "Issue a new badge" in html
    # downloading does not bring it back; "Issue a new badge" does
    assert post(f"/manage/{forum.slug}/badges/download", {"layout": "a4"}).status_code == 302
    assert issuing.live_badge(reg) is None
    assert post(f"/manage/{forum.slug}/badges/registrations/{reg.id}/issue").status_code == 302
    assert issuing.live_badge(reg) is not None


def test_another_forums_badge_is_not_found(client, db, login, post):
    forum, other = f.forum(), f.forum()
    theirs = issuing.live_badge(_approved(other, "SATO Kenji"))
    theirs_reg = theirs.registration
    login(f.member(forum, Permission.REVIEW))
    assert client.get(f"/manage/{forum.slug}/badges/{theirs.id}/reissue").status_code == 404
    assert post(f"/manage/{forum.slug}/badges/{theirs.id}/revoke", {"reason": "x", "confirm": "y"}).status_code == 404
    assert post(f"/manage/{forum.slug}/badges/{theirs.id}/pdf").status_code == 404
    assert post(f"/manage/{forum.slug}/badges/registrations/{theirs_reg.id}/issue").status_code == 404
    assert client.get(f"/manage/{forum.slug}/badges/99999999/reissue").status_code == 404
    assert _fresh(theirs).is_live and _fresh(theirs).printed_at is None
