"""`forum demo`: what someone trying the system sees after `make run`."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.db import db as _db
from forum.demo import load
from forum.demo.seed import LOGINS, MAIN_SLUG, SECOND_SLUG
from forum.forums.models import Forum, Phase
from forum.notifications.models import MailStatus, OutboxMessage
from forum.registration import services as registration
from forum.registration.choices import FORUM_COUNTRIES
from forum.registration.models import CompanyRegistration, LateInvitation, RegState, Registration

KANA = re.compile(r"[\u3040-\u30ff]")
KANJI = re.compile(r"[\u4e00-\u9fff]")
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
TABLES = (Forum, CompanyRegistration, Registration, User, AuditEntry, OutboxMessage, LateInvitation)


@pytest.fixture(scope="module")
def demo(app):
    """The demo: `app` is this module's own copy of it (tests/demo/conftest.py), thrown away after the module.

    Tests here must not commit: they share the loaded data.
    """
    with app.app_context():
        yield
        _db.session.remove()


def forum(slug: str) -> Forum:
    return _db.session.scalars(sa.select(Forum).where(Forum.slug == slug)).one()


def regs(f: Forum, *where) -> list[Registration]:
    return list(_db.session.scalars(sa.select(Registration).where(Registration.forum_id == f.id, *where)))


def counts() -> dict[str, int]:
    return {m.__name__: _db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES}


def test_the_two_forums(demo):
    main, second = forum(MAIN_SLUG), forum(SECOND_SLUG)
    assert (main.title, main.city, main.timezone, main.capacity) == (
        "Central Asia + Japan Business Forum", "Astana", "Asia/Almaty", 500)
    assert main.phase() is Phase.LATE
    assert main.local(main.starts_at).hour == 9
    assert (second.city, second.timezone, second.capacity) == ("Tashkent", "Asia/Tashkent", 300)
    assert second.phase() is Phase.OPEN
    # Planned two days after Astana (as in 2024), then postponed by four weeks (issue 13); registration stays open.
    from forum.postponements.models import Postponement

    [moved] = _db.session.scalars(sa.select(Postponement).where(Postponement.forum_id == second.id)).all()
    assert (second.local(moved.old_starts_at).date() - main.local(main.starts_at).date()).days == 2
    assert (second.local(second.starts_at).date() - second.local(moved.old_starts_at).date()).days == 28
    assert 5 <= len(_db.session.scalars(sa.select(CompanyRegistration).where(CompanyRegistration.forum_id == second.id)).all()) <= 15


def test_first_forum_is_full_of_delegates_in_every_state(demo):
    main = forum(MAIN_SLUG)
    delegates = regs(main)
    companies = _db.session.scalars(sa.select(CompanyRegistration).where(CompanyRegistration.forum_id == main.id)).all()
    assert 420 <= len(delegates) <= 480
    assert 190 <= len(companies) <= 210
    assert {c.country for c in companies} == set(FORUM_COUNTRIES)

    by_state = {s: [r for r in delegates if r.state is s] for s in RegState}
    assert len(by_state[RegState.APPROVED]) <= main.capacity
    assert len(by_state[RegState.APPROVED]) > 350
    on_time_pending = [r for r in by_state[RegState.PENDING] if not r.is_late]
    assert 15 <= len(on_time_pending) <= 40
    late_pending = [r for r in by_state[RegState.PENDING] if r.is_late]
    assert len(late_pending) >= 8
    assert all(r.company.late_reason and r.created_at >= main.registration_closes_at for r in late_pending)
    assert any(r.company.endorsed_by == "Chamber of Commerce and Industry of Uzbekistan" for r in late_pending)
    assert all(main.registration_opens_at <= r.created_at < main.registration_closes_at
               for r in delegates if not r.is_late)
    assert len(by_state[RegState.REJECTED]) >= 3
    assert all(r.decision_reason for r in by_state[RegState.REJECTED])
    assert len(by_state[RegState.WAITLISTED]) >= 3
    assert {r.category.value for r in delegates} == {"delegate", "speaker", "press", "vip"}

    open_invitations = [i for i in _db.session.scalars(sa.select(LateInvitation)) if i.is_usable()]
    assert [i.forum_id for i in open_invitations] == [main.id]


def test_names_are_written_in_their_own_scripts(demo):
    delegates = regs(forum(MAIN_SLUG))
    by_country: dict[str, list[Registration]] = {}
    for r in delegates:
        by_country.setdefault(r.company.country, []).append(r)
    assert any(KAZAKH_LETTERS & set(r.full_name) for r in by_country["KZ"])
    assert any("\u02bb" in r.full_name for r in by_country["UZ"])  # oʻ, gʻ with the real modifier letter
    assert not any("'" in r.full_name for r in delegates)
    assert any(KANA.search(r.full_name) for r in by_country["JP"])
    assert all(KANJI.search(r.full_name) or KANA.search(r.full_name) for r in by_country["JP"])
    assert any(set("äçňöşüýž") & set(r.full_name.lower()) for r in by_country["TM"])
    assert any(KANA.search(r.company.legal_name) for r in by_country["JP"])
    assert len({r.email for r in delegates}) == len(delegates)


def test_the_logins_work_with_their_teams_and_the_delegate_has_an_approved_registration(demo):
    from forum.forums.models import Forum
    from forum.teams.permissions import has_permission, is_on_a_team
    from forum.teams.models import Permission as P

    main = _db.session.scalar(sa.select(Forum).where(Forum.slug == MAIN_SLUG))
    second = _db.session.scalar(sa.select(Forum).where(Forum.slug == SECOND_SLUG))  # by name: row order is no order
    users = {}
    for login in LOGINS:
        users[login.kind] = user = accounts.authenticate(login.email, login.password)
        assert user is not None and user.is_admin is (login.kind == "admin")
    assert all(has_permission(users["admin"], f, p) for f in (main, second) for p in P)
    assert has_permission(users["organizer"], second, P.MANAGE)
    assert not any(has_permission(users["organizer"], main, p) for p in P)
    assert has_permission(users["staff"], main, P.CHECKIN)
    assert not has_permission(users["staff"], main, P.REVIEW)
    assert not any(has_permission(users["staff"], second, p) for p in P)
    assert not is_on_a_team(users["delegate"])
    delegate = accounts.find_by_email("delegate@example.org")
    mine = registration.my_registrations(delegate)
    assert any(r.state is RegState.APPROVED and r.forum.slug == MAIN_SLUG and r.company.country == "JP"
               for r in mine)
    _db.session.rollback()  # authenticate() stamped last_login_at


def test_no_demo_mail_is_left_to_send(demo):
    queued = _db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status == MailStatus.QUEUED))
    assert queued == 0


def test_loading_again_changes_nothing(demo):
    before = counts()
    load(echo=lambda *a: None)
    assert counts() == before


def test_if_empty_does_nothing_once_any_forum_exists(demo):
    # Without the demo's own forum, only `if_empty` stands between load() and a second demo.
    before = counts()
    forum(MAIN_SLUG).slug = "someone-elses-forum"
    _db.session.flush()
    messages = []
    load(if_empty=True, echo=messages.append)
    assert counts() == before
    assert _db.session.scalar(sa.select(Forum.id).where(Forum.slug == MAIN_SLUG)) is None
    assert messages
    _db.session.rollback()
    assert forum(MAIN_SLUG)


def test_the_demo_shows_failed_mail_on_the_organizers_mail_page(demo):
    failed = _db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == MailStatus.FAILED)).all()
    assert len(failed) >= 2
    assert all("mailbox unavailable" in m.last_error and m.to_addr.endswith(".example") for m in failed)
    forum_ids = {m.forum_id for m in failed}
    main = _db.session.scalars(sa.select(Forum).where(Forum.slug == MAIN_SLUG)).one()
    assert forum_ids == {main.id}


def test_the_demo_delegate_can_fix_a_misspelt_kazakh_name_before_the_badge_deadline(demo):
    import dataclasses

    from forum import clock
    from forum.demo.seed import MISSPELT_NAME
    from forum.registration import corrections, substitution

    main = forum(MAIN_SLUG)
    assert clock.now() < main.badge_deadline < main.starts_at
    assert (main.local(main.starts_at).date() - main.local(main.badge_deadline).date()).days == 3
    delegate = accounts.find_by_email("delegate@example.org")
    [misspelt] = regs(main, Registration.full_name == MISSPELT_NAME)
    assert misspelt.state is RegState.APPROVED and misspelt.company.contact_user_id == delegate.id
    assert "і" not in misspelt.full_name and misspelt.company.country == "KZ"
    assert corrections.may_change(delegate, misspelt)
    assert substitution.may_substitute(delegate, misspelt.company.delegates[1])
    own = [r for r in registration.my_registrations(delegate) if r.forum_id == main.id]
    assert own and all(corrections.may_change(delegate, r) for r in own)
    fixed = dataclasses.replace(corrections.CorrectionInput.of(misspelt), full_name="Әлібек Сейтқалиев")
    corrections.correct(misspelt, fixed, by=delegate)
    assert misspelt.changed_since_approval_at is not None
    _db.session.rollback()  # the demo's data is shared by this module's tests


def test_the_second_organizer_and_the_staff_reach_only_their_own_pages(app, demo):
    from tests.conftest import IsolatedClient

    app.test_client_class = IsolatedClient
    client = app.test_client()

    def get(email: str, url: str):
        user = accounts.find_by_email(email)
        with client.session_transaction() as s:
            s["_user_id"] = user.get_id()
            s["_fresh"] = True
        return client.get(url)

    assert get("tashkent@example.org", f"/manage/{MAIN_SLUG}/registrations").status_code == 403
    assert get("tashkent@example.org", f"/manage/{SECOND_SLUG}/registrations").status_code == 200
    assert get("tashkent@example.org", f"/manage/{SECOND_SLUG}/team").status_code == 200
    for slug in (MAIN_SLUG, SECOND_SLUG):
        assert get("staff@example.org", f"/manage/{slug}/registrations").status_code == 403
    listing = get("staff@example.org", "/manage/").get_data(as_text=True)
    assert f'id="forum-{MAIN_SLUG}"' in listing and f'id="forum-{SECOND_SLUG}"' not in listing
    assert f"/manage/{MAIN_SLUG}/checkin" in listing and f"/manage/{MAIN_SLUG}/registrations" not in listing
    assert f'href="/manage/{MAIN_SLUG}/scan">Scanner</a>' in listing
    organizer = get("tashkent@example.org", "/manage/").get_data(as_text=True)
    assert f'id="forum-{SECOND_SLUG}"' in organizer and f'id="forum-{MAIN_SLUG}"' not in organizer
