"""A delegate's own badge: the e-badge page with its QR code and the A6 PDF, for the delegate and their
company's contact person only, while approved; everyone and everything else gets a 404, ids guessed or not."""
import re
import uuid

import pytest

from forum.badges import issuing, keys, qr, tokens
from forum.badges.models import Badge
from forum.db import db as _db
from forum.registration import states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f
from tests.badges import pdfcheck


@pytest.fixture()
def yamada(db):
    forum = f.forum()
    return f.approved(forum, full_name="山田 太郎", latin_name="YAMADA Taro", position="代表取締役社長",
                      legal_name="株式会社青葉商事", name_en="Aoba Trading Co., Ltd.")


def test_the_delegate_sees_their_e_badge_with_its_qr_code(client, login, yamada):
    badge = issuing.live_badge(yamada)
    login(yamada.user)
    r = client.get(f"/my/registrations/{yamada.public_id}/badge")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for text in ("山田 太郎", "YAMADA Taro", "株式会社青葉商事", "Aoba Trading Co., Ltd.", "Japan", "band-delegate"):
        assert text in html
    url = f"http://forum.test/b/{badge.token}"
    assert qr.svg(url, label="YAMADA Taro") in html  # the code of this very badge, drawn on the server
    assert "style=" not in html
    assert f"/my/registrations/{yamada.public_id}/badge.pdf" in html


def test_the_link_is_on_my_registrations_when_approved(client, login, yamada):
    login(yamada.user)
    assert f"/my/registrations/{yamada.public_id}/badge" in client.get("/my").get_data(as_text=True)
    login(yamada.company.contact_user)
    assert f"/my/registrations/{yamada.public_id}/badge" in client.get("/my").get_data(as_text=True)
    pending = f.registration_(yamada.forum)
    login(pending.user)
    assert "/badge" not in client.get("/my").get_data(as_text=True)


def test_the_pdf_is_their_badge_and_is_not_marked_printed(client, login, yamada):
    login(yamada.company.contact_user)  # the contact person may fetch it for them
    r = client.get(f"/my/registrations/{yamada.public_id}/badge.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == "attachment; filename=badge-YAMADA-Taro.pdf"
    pdf = r.get_data()
    assert [tuple(round(x) for x in s) for s in pdfcheck.page_sizes_mm(pdf)] == [(105, 148)]
    (found,) = pdfcheck.qr_codes(pdfcheck.images(pdf)[0])
    badge = issuing.live_badge(yamada)
    assert tokens.verify(keys.public_key(yamada.forum), found.text) == badge.badge_id
    assert "山田 太郎" in pdfcheck.texts(pdf)[0]
    assert _db.session.get(Badge, badge.id).printed_at is None


def test_nobody_else_gets_it_and_guessed_ids_are_not_found(client, db, login, yamada):
    forum = yamada.forum
    other = f.approved(forum, full_name="佐藤 健二", latin_name="SATO Kenji")
    urls = [f"/my/registrations/{yamada.public_id}/badge", f"/my/registrations/{yamada.public_id}/badge.pdf"]
    for user in (other.user, other.company.contact_user, f.user(), f.member(forum, Permission.REVIEW),
                 f.organizer()):
        login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.email, url)
    login(yamada.user)
    for guess in (str(uuid.uuid4()), other.public_id, yamada.company.public_id, str(yamada.id),
                  yamada.public_id[:-1] + ("1" if yamada.public_id.endswith("0") else "0"), "../" + yamada.public_id):
        assert client.get(f"/my/registrations/{guess}/badge").status_code == 404, guess
        assert client.get(f"/my/registrations/{guess}/badge.pdf").status_code == 404, guess
    assert client.get(f"/my/registrations/{yamada.public_id.upper()}/badge").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client, yamada):
    r = client.get(f"/my/registrations/{yamada.public_id}/badge")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("state", [RegState.WITHDRAWN, RegState.REJECTED, RegState.WAITLISTED, RegState.CANCELLED])
def test_only_while_approved(client, login, yamada, state):
    states.transition(yamada, state, by=None, reason="r", notify=False)
    login(yamada.user)
    assert client.get(f"/my/registrations/{yamada.public_id}/badge").status_code == 404
    assert client.get(f"/my/registrations/{yamada.public_id}/badge.pdf").status_code == 404


def test_a_badge_revoked_by_the_organizers_is_not_issued_again_by_the_delegate(client, login, yamada):
    badge = issuing.live_badge(yamada)
    issuing.revoke(badge, by=f.organizer(), reason="Stolen")
    login(yamada.user)
    r = client.get(f"/my/registrations/{yamada.public_id}/badge")
    assert r.status_code == 409 and "revoked this badge" in r.get_data(as_text=True)
    assert client.get(f"/my/registrations/{yamada.public_id}/badge.pdf").status_code == 404
    assert issuing.live_badge(yamada) is None


def test_a_delegate_approved_before_badges_gets_one_on_the_first_visit(client, login, yamada):
    _db.session.delete(issuing.live_badge(yamada))
    _db.session.flush()
    login(yamada.user)
    html = client.get(f"/my/registrations/{yamada.public_id}/badge").get_data(as_text=True)
    badge = issuing.live_badge(yamada)
    assert badge is not None and qr.svg(f"http://forum.test/b/{badge.token}", label="YAMADA Taro") in html
    assert re.search(r"band-delegate", html)
