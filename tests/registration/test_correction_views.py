"""The correction and substitution pages through HTTP with CSRF on: links on "My registrations", public ids in
the URL, someone else's id a 404, the badge deadline refused on the server, the organizer's pages and list."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.forums.models import Forum
from forum.registration import states
from forum.registration.models import RegState, Registration
from tests import factories as f
from tests.test_small_things import EDIT

MISSPELT, RIGHT = "Әлибек Сейтқалиев", "Әлібек Сейтқалиев"


def world(db, *, approved: bool = False):
    forum = f.forum(slug="astana", capacity=10)
    delegates = [f.delegate_input(full_name=MISSPELT, latin_name="SEITKALIYEV Alibek", email="alibek@qazaq.example",
                                  languages=["kk", "ru"], language="ru"), f.delegate_input()]
    company = f.company(forum, country="KZ", city="Almaty", contact_email="contact@qazaq.example",
                        delegates=delegates)
    if approved:
        states.transition(company.delegates[0], RegState.APPROVED, by=f.organizer())
    db.session.commit()
    return forum, company, company.delegates[0]


def correction_form(reg, **kw) -> dict:
    data = {"full_name": reg.full_name, "latin_name": reg.latin_name, "position": reg.position, "email": reg.email,
            "phone": reg.phone, "languages": list(reg.languages), "language": reg.language}
    data.update(kw)
    return data


COLLEAGUE = {"full_name": "Нұрлан Әбенов", "latin_name": "ABENOV Nurlan", "email": "nurlan@qazaq.example",
             "position": "Директор", "phone": "", "languages": ["kk"], "language": "ru", "confirm": "y"}


@pytest.fixture()
def moved_clock(monkeypatch):
    """Set the app's clock: moved_clock(when)."""
    def move(when):
        monkeypatch.setattr(clock, "now", lambda: when)
    return move


# --- My registrations ---------------------------------------------------------------------------

def test_my_registrations_offers_correct_and_substitute_by_public_id(client, db, login):
    forum, company, reg = world(db)
    login(company.contact_user)
    html = client.get("/my").get_data(as_text=True)
    assert f'/my/registrations/{reg.public_id}/correct' in html
    assert f'/my/registrations/{reg.public_id}/substitute' in html
    assert f'/my/registrations/{reg.id}/correct' not in html
    assert "can be corrected until the forum starts" in html


def test_the_delegate_sees_correct_for_their_own_record_but_no_substitute(client, db, login):
    forum, company, reg = world(db)
    login(reg.user)
    html = client.get("/my").get_data(as_text=True)
    assert f'/my/registrations/{reg.public_id}/correct' in html
    assert "/substitute" not in html
    assert client.get(f"/my/registrations/{reg.public_id}/correct").status_code == 200
    assert client.get(f"/my/registrations/{reg.public_id}/substitute").status_code == 404


def test_after_the_deadline_my_registrations_offers_nothing(client, db, login, moved_clock):
    forum, company, reg = world(db)
    forum.badge_deadline = clock.now() + timedelta(days=1)
    db.session.commit()
    moved_clock(forum.badge_deadline)
    login(company.contact_user)
    html = client.get("/my").get_data(as_text=True)
    assert "/correct" not in html and "/substitute" not in html
    assert "since then only the organizers can change" in html


def test_someone_elses_public_id_is_not_found_and_guessing_finds_nothing(client, db, login, post):
    forum, company, reg = world(db)
    other = f.company(forum, 1).delegates[0]
    db.session.commit()
    login(company.contact_user)
    for url in (f"/my/registrations/{other.public_id}/correct", f"/my/registrations/{other.public_id}/substitute",
                f"/my/registrations/{reg.id}/correct", f"/my/registrations/{reg.public_id[:-1]}{'1' if reg.public_id.endswith('0') else '0'}/correct",
                "/my/registrations/00000000-0000-4000-8000-000000000000/correct",
                f"/my/companies/{other.company.public_id}/correct", f"/my/companies/{company.id}/correct"):
        assert client.get(url).status_code == 404, url
        assert post(url, correction_form(other, full_name="Hacked")).status_code == 404, url
    db.session.expire_all()
    assert db.session.get(Registration, other.id).full_name != "Hacked"


def test_anonymous_is_asked_to_sign_in(client, db):
    forum, company, reg = world(db)
    r = client.get(f"/my/registrations/{reg.public_id}/correct")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


# --- correcting --------------------------------------------------------------------------------------

def test_the_contact_person_corrects_a_name_and_the_page_was_filled_in(client, db, login, post):
    forum, company, reg = world(db)
    login(company.contact_user)
    url = f"/my/registrations/{reg.public_id}/correct"
    html = client.get(url).get_data(as_text=True)
    assert f'value="{MISSPELT}"' in html and 'value="alibek@qazaq.example"' in html
    r = post(url, correction_form(reg, full_name=RIGHT), token_from=url)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/my/companies/{company.public_id}")
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).full_name == RIGHT
    assert RIGHT in client.get(r.headers["Location"]).get_data(as_text=True)


def test_an_invalid_field_is_marked_next_to_it_and_nothing_is_saved(client, db, login, post):
    forum, company, reg = world(db)
    login(company.contact_user)
    url = f"/my/registrations/{reg.public_id}/correct"
    r = post(url, correction_form(reg, full_name=RIGHT, latin_name="Сейтқалиев", phone="12"), token_from=url)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="latin_name-error"' in html and 'id="phone-error"' in html
    assert RIGHT in html  # what was typed is still there
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).full_name == MISSPELT


def test_a_taken_address_is_a_field_error(client, db, login, post):
    forum, company, reg = world(db)
    login(company.contact_user)
    url = f"/my/registrations/{reg.public_id}/correct"
    r = post(url, correction_form(reg, email=company.delegates[1].email), token_from=url)
    assert r.status_code == 422
    assert re.search(r'id="email-error">[^<]*already registered for this forum', r.get_data(as_text=True))


def test_at_the_deadline_the_page_says_so_and_the_post_is_refused(client, db, login, post, moved_clock):
    forum, company, reg = world(db)
    deadline = clock.now().replace(microsecond=0) + timedelta(days=2)
    forum.badge_deadline = deadline
    db.session.commit()
    login(company.contact_user)
    url = f"/my/registrations/{reg.public_id}/correct"
    moved_clock(deadline - timedelta(seconds=1))
    assert 'name="full_name"' in client.get(url).get_data(as_text=True)
    token_page = url
    moved_clock(deadline + timedelta(seconds=1))
    page = client.get(url).get_data(as_text=True)
    assert 'name="full_name"' not in page and 'data-code="badge_deadline_passed"' in page
    r = post(url, correction_form(reg, full_name=RIGHT), token_from=token_page)
    assert r.status_code == 409 and 'data-code="badge_deadline_passed"' in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).full_name == MISSPELT
    moved_clock(deadline - timedelta(seconds=1))
    assert post(url, correction_form(reg, full_name=RIGHT)).status_code == 302


def test_company_names_are_corrected_by_the_contact_person(client, db, login, post):
    forum, company, reg = world(db)
    login(company.contact_user)
    html = client.get(f"/my/companies/{company.public_id}").get_data(as_text=True)
    url = f"/my/companies/{company.public_id}/correct"
    assert url in html
    r = post(url, {"legal_name": "«Қазақ Технологиялары» ЖШС", "name_en": company.name_en}, token_from=url)
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(company), company.id).legal_name == "«Қазақ Технологиялары» ЖШС"
    login(reg.user)  # a delegate is not the company's contact
    assert client.get(url).status_code == 404


# --- substituting --------------------------------------------------------------------------------------

def test_substitution_needs_the_confirmation_then_replaces_the_delegate(client, db, login, post):
    forum, company, reg = world(db, approved=True)
    login(company.contact_user)
    url = f"/my/registrations/{reg.public_id}/substitute"
    html = client.get(url).get_data(as_text=True)
    assert "the colleague is approved at once" in html
    r = post(url, dict(COLLEAGUE, confirm=""), token_from=url)
    assert r.status_code == 422 and 'id="confirm-error"' in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 2
    r = post(url, COLLEAGUE, token_from=url)
    assert r.status_code == 302
    db.session.expire_all()
    old = db.session.get(Registration, reg.id)
    assert old.state is RegState.WITHDRAWN and old.substituted_by.full_name == "Нұрлан Әбенов"
    assert old.substituted_by.state is RegState.APPROVED
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Replaced by Нұрлан Әбенов" in page


def test_a_forum_without_substitutions_says_so_and_offers_no_link(client, db, login, post):
    forum, company, reg = world(db)
    forum.allow_substitutions = False
    db.session.commit()
    login(company.contact_user)
    assert "/substitute" not in client.get("/my").get_data(as_text=True)
    url = f"/my/registrations/{reg.public_id}/substitute"
    assert 'data-code="substitutions_not_allowed"' in client.get(url).get_data(as_text=True)
    r = post(url, COLLEAGUE)
    assert r.status_code == 409 and 'data-code="substitutions_not_allowed"' in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 2


# --- the organizer's side --------------------------------------------------------------------------

def test_after_the_deadline_a_reviewer_corrects_from_the_detail_page(client, db, login, post):
    forum, company, reg = world(db, approved=True)
    forum.badge_deadline = clock.now() - timedelta(hours=1)
    reviewer = f.member(forum, "review")
    db.session.commit()
    login(reviewer)
    detail = f"/manage/astana/registrations/{reg.id}"
    html = client.get(detail).get_data(as_text=True)
    assert f"{detail}/correct" in html and f"{detail}/substitute" in html
    r = post(f"{detail}/correct", correction_form(reg, full_name=RIGHT), token_from=f"{detail}/correct")
    assert r.status_code == 302 and r.headers["Location"].endswith(detail)
    html = client.get(detail).get_data(as_text=True)
    assert f"<del>{MISSPELT}</del> → <ins>{RIGHT}</ins>" in html  # the history shows before and after


def test_the_review_list_shows_and_filters_changed_since_approval_and_the_reviewer_acknowledges(client, db, login,
                                                                                             post):
    forum, company, reg = world(db, approved=True)
    other = company.delegates[1]
    states.transition(other, RegState.APPROVED, by=f.organizer())
    db.session.commit()
    login(company.contact_user)
    post(f"/my/registrations/{reg.public_id}/correct", correction_form(reg, full_name=RIGHT))
    login(f.member(forum, "review"))
    html = client.get("/manage/astana/registrations").get_data(as_text=True)
    assert html.count('class="badge text-bg-primary changed-since-approval"') == 1
    filtered = client.get("/manage/astana/registrations?changed=yes").get_data(as_text=True)
    assert RIGHT in filtered and other.full_name not in filtered
    detail = f"/manage/astana/registrations/{reg.id}"
    assert "Changed since approval, last on" in client.get(detail).get_data(as_text=True)
    r = post(f"{detail}/acknowledge", {}, token_from=detail)
    assert r.status_code == 302
    assert "Changed since approval, last on" not in client.get(detail).get_data(as_text=True)
    assert "changed-since-approval" not in client.get("/manage/astana/registrations").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "change_acknowledged")) == 1


@pytest.mark.parametrize("who, status", [("checkin", 403), ("other_forum", 403), ("delegate", 403), ("review", 200)])
def test_organizer_routes_need_review_on_this_forum(client, db, login, post, who, status):
    forum, company, reg = world(db, approved=True)
    user = {"checkin": lambda: f.member(forum, "checkin"), "other_forum": lambda: f.member(f.forum(), "review"),
            "delegate": lambda: company.contact_user, "review": lambda: f.member(forum, "review")}[who]()
    db.session.commit()
    login(user)
    base = f"/manage/astana/registrations/{reg.id}"
    for url in (f"{base}/correct", f"{base}/substitute", f"/manage/astana/companies/{company.id}/correct"):
        assert client.get(url).status_code == status, url
    r = post(f"{base}/acknowledge", {})
    assert r.status_code == (302 if status == 200 else status)


def test_a_registration_of_another_forum_is_not_found_under_this_forum(client, db, login):
    forum, company, reg = world(db)
    elsewhere = f.registration_(f.forum(slug="tashkent"))
    db.session.commit()
    login(f.organizer())
    assert client.get(f"/manage/astana/registrations/{elsewhere.id}/correct").status_code == 404
    assert client.get(f"/manage/astana/companies/{elsewhere.company_id}/correct").status_code == 404


# --- the forum's settings -------------------------------------------------------------------------------

def test_the_forum_form_sets_the_badge_deadline_and_substitutions_audited(client, db, login, post):
    login(f.organizer())
    r = post("/manage/forums/new", dict(EDIT, badge_deadline_local="2030-05-15T18:00", allow_substitutions="y"))
    assert r.status_code == 302, r.get_data(as_text=True)
    forum = db.session.scalars(sa.select(Forum).where(Forum.slug == "berlin")).one()
    assert forum.badge_deadline.isoformat() == "2030-05-15T16:00:00+00:00"  # Berlin summer time, UTC+2
    assert forum.allow_substitutions is True
    html = client.get("/manage/berlin/edit").get_data(as_text=True)
    assert 'value="2030-05-15T18:00"' in html
    r = post("/manage/berlin/edit", dict(EDIT, badge_deadline_local=""))  # unticked: no substitutions
    assert r.status_code == 302
    db.session.expire_all()
    forum = db.session.get(Forum, forum.id)
    assert forum.badge_deadline is None and forum.allow_substitutions is False
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "updated")).one()
    assert entry.details["changes"]["badge_deadline"] == ["2030-05-15T16:00:00+00:00", None]
    assert entry.details["changes"]["allow_substitutions"] == [True, False]
    r = post("/manage/berlin/edit", dict(EDIT, badge_deadline_local="2030-05-22T09:00"))
    assert r.status_code == 422 and 'id="badge_deadline_local-error"' in r.get_data(as_text=True)


def test_the_forum_page_shows_the_badge_deadline(client, db):
    forum = f.forum(slug="astana")
    forum.badge_deadline = forum.starts_at - timedelta(days=3)
    db.session.commit()
    html = client.get("/forums/astana").get_data(as_text=True)
    assert "Badge deadline" in html and "correct names, e-mail and languages" in html
