"""Abuse of the public form (issue 6 §5): rate limits and hourly caps, the honeypot, "this wasn't me",
privileged categories as requests, and mail content nobody can bend (links, header values)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.errors import InvalidInput, NotAllowed
from forum.forums.models import Forum
from forum.notifications.models import OutboxMessage
from forum.registration import disputes, services
from forum.registration.abuse import TooManyRegistrations
from forum.registration.models import Category, CompanyRegistration, RegState, Registration
from forum.registration.services import SubmissionError
from forum.review import services as review
from tests import factories as f
from tests.registration.test_views import form_data

REFUSAL = "This address cannot be registered with this form. If it is yours, check your inbox."


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def outbox(db, **where) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(OutboxMessage, k) == v)
    return list(db.session.scalars(stmt))


def ten_delegates(prefix: str, **kw) -> dict:
    """The public form with ten delegates, as a browser posts it."""
    data = form_data(**{"contact_email": f"{prefix}-contact@example.kz", **kw})
    for i in range(10):
        data.update({f"delegates-{i}-full_name": f"Делегат {i}", f"delegates-{i}-latin_name": f"Delegate {i}",
                     f"delegates-{i}-email": f"{prefix}-{i}@example.kz", f"delegates-{i}-category": "delegate"})
    data.pop("delegates-0-languages", None)
    return data


@pytest.fixture()
def limits_on(monkeypatch):
    """Flask-Limiter's `enabled` is process-wide, and an app created elsewhere in the run with
    RATELIMIT_ENABLED=False (tests/accounts, the browser tests) leaves it off: these tests need it on."""
    from forum.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", True)


def submit_from(post, slug: str, data: dict, address: str = "10.0.0.1"):
    return post(f"/forums/{slug}/register", data, environ_base={"REMOTE_ADDR": address})


# --- hourly caps (service rule, counted in the database) -------------------------------------

def test_a_chamber_registering_five_companies_of_ten_in_an_hour_fits_the_cap_and_the_sixth_does_not(db):
    forum = f.forum()
    now = clock.now()
    for _ in range(5):
        services.submit(forum, f.company_input(10, contact_email="chamber@cci.kz"), address="10.1.1.1", now=now)
    before = count(db, Registration)
    with pytest.raises(TooManyRegistrations) as e:
        services.submit(forum, f.company_input(1, contact_email="chamber@cci.kz"), address="10.1.1.2", now=now)
    assert e.value.code == "hourly_cap_contact" and e.value.field == "contact_email"
    assert count(db, Registration) == before  # nothing saved
    # an hour later it is free again; another contact address was never held back
    services.submit(forum, f.company_input(1, contact_email="other@cci.kz"), address="10.1.1.3", now=now)
    services.submit(forum, f.company_input(1, contact_email="chamber@cci.kz"), address="10.1.1.2",
                    now=now + timedelta(minutes=61))


def test_one_network_address_is_capped_over_all_contacts_and_forums(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_HOURLY_DELEGATES_PER_ADDRESS", 25)
    services.submit(f.forum(), f.company_input(10), address="10.2.2.2")
    services.submit(f.forum(), f.company_input(10), address="10.2.2.2")
    with pytest.raises(TooManyRegistrations) as e:
        services.submit(f.forum(), f.company_input(10), address="10.2.2.2")
    assert e.value.code == "hourly_cap_address"
    services.submit(f.forum(), f.company_input(10), address="10.2.2.3")  # another address


def test_organizers_entries_and_their_invitations_are_not_capped(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_HOURLY_DELEGATES_PER_CONTACT", 1)
    forum, org = f.forum(), f.organizer()
    for _ in range(3):
        services.submit(forum, f.company_input(5, contact_email="office@example.kz"), manual=True, by=org)
    assert count(db, Registration) == 15


def test_the_cap_answers_429_next_to_the_contact_field_with_nothing_lost(app, client, db, post, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_HOURLY_DELEGATES_PER_CONTACT", 2)
    f.forum(slug="astana")
    assert submit_from(post, "astana", form_data()).status_code == 302
    r = submit_from(post, "astana", form_data(**{"delegates-0-email": "x1@telecom.kz",
                                                 "delegates-1-email": "x2@telecom.kz"}))
    assert r.status_code == 429
    html = r.get_data(as_text=True)
    assert 'id="contact_email-error"' in html and "most delegates allowed in one hour" in html
    assert "x1@telecom.kz" in html and "Әлия Нұрланқызы" in html  # what was typed is still there
    assert count(db, CompanyRegistration) == 1


# --- request rate limits (Flask-Limiter) ------------------------------------------------------

def test_a_company_of_ten_and_a_chamber_of_four_companies_pass_with_the_default_limits(client, db, post, limits_on):
    f.forum(slug="astana")
    for n in range(4):
        r = submit_from(post, "astana", ten_delegates(f"c{n}", contact_email="chamber@cci.kz"))
        assert r.status_code == 302, r.get_data(as_text=True)
    assert count(db, Registration) == 40


def test_saved_submissions_are_limited_per_network_address(app, client, db, post, monkeypatch, limits_on):
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTRATION_PER_ADDRESS", "3 per hour")
    f.forum(slug="astana")
    # adding delegates and correcting mistakes do not count: only saved submissions do
    for _ in range(5):
        assert submit_from(post, "astana", form_data(add_delegate="1")).status_code == 200
    codes = [submit_from(post, "astana", ten_delegates(f"a{n}")).status_code for n in range(4)]
    assert codes == [302, 302, 302, 429]
    assert submit_from(post, "astana", ten_delegates("b"), address="10.0.0.2").status_code == 302
    assert count(db, CompanyRegistration) == 4


def test_saved_submissions_are_limited_per_forum_from_every_address(app, client, db, post, monkeypatch, limits_on):
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTRATION_PER_FORUM", "2 per hour")
    f.forum(slug="astana")
    f.forum(slug="tashkent")
    codes = [submit_from(post, "astana", ten_delegates(f"a{n}"), address=f"10.3.0.{n}").status_code
             for n in range(3)]
    assert codes == [302, 302, 429]
    assert submit_from(post, "tashkent", ten_delegates("t"), address="10.3.0.9").status_code == 302


# --- the honeypot -------------------------------------------------------------------------------

def test_the_honeypot_is_hidden_by_css_not_inline_and_out_of_the_tab_order(client, db):
    f.forum(slug="astana")
    html = client.get("/forums/astana/register").get_data(as_text=True)
    box = re.search(r'<div class="hp-field" aria-hidden="true">(.*?)</div>', html, re.S)
    assert box and 'name="comment"' in box.group(1) and 'tabindex="-1"' in box.group(1)
    assert 'style=' not in box.group(0)


def test_a_filled_honeypot_pretends_success_and_saves_and_mails_nothing(client, db, post):
    forum = f.forum(slug="astana")
    r = submit_from(post, "astana", form_data(comment="Great forum! http://spam.example"), address="10.6.6.6")
    assert r.status_code == 302 and r.headers["Location"].endswith("/forums/astana/register/received")
    assert "your registration has been received" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert count(db, CompanyRegistration) == 0 and count(db, Registration) == 0 and outbox(db) == []
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "honeypot")).one()
    assert entry.forum_id == forum.id and entry.details["address"] == "10.6.6.6"
    assert entry.details["contact_email"] == "aliya@telecom.kz"


def test_an_empty_honeypot_is_a_normal_submission(client, db, post):
    f.forum(slug="astana")
    assert submit_from(post, "astana", form_data(comment="")).status_code == 302
    assert count(db, CompanyRegistration) == 1


# --- "this wasn't me" ---------------------------------------------------------------------------

def _not_me_link(db, to: str) -> str:
    msg = outbox(db, to_addr=to)[-1]
    links = re.findall(r"http://forum\.test(/registration/not-me/\S+)", msg.body_text)
    assert len(links) == 1, msg.body_text
    return links[0]


def test_the_owner_frees_an_address_a_stranger_registered(client, db, post):
    forum = f.forum(slug="astana")
    stranger = f.company(forum, 1, delegates=[f.delegate_input(email="victim@example.kz")])
    reg = stranger.delegates[0]
    db.session.commit()
    link = _not_me_link(db, "victim@example.kz")
    # GET only shows what the link would do (mail scanners open links)
    page = client.get(link)
    assert page.status_code == 200 and stranger.legal_name in page.get_data(as_text=True)
    assert db.session.get(Registration, reg.id).state is RegState.PENDING
    # without the CSRF token: refused
    assert client.post(link).status_code == 400
    r = post(link, token_from=link)
    assert r.status_code == 302
    reg = db.session.get(Registration, reg.id)
    assert reg.state is RegState.WITHDRAWN and reg.disputed_at is not None
    change = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "state_change",
                                                            AuditEntry.subject_id == reg.id)).one()
    assert change.reason == "disputed by the address owner" and change.to_state == "withdrawn"
    assert change.actor_id == reg.user_id  # the address's owner, not the company
    assert db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "disputed")).one()
    assert "no longer active" in client.get(link).get_data(as_text=True)
    # the real person can now register
    assert submit_from(post, "astana", form_data(**{"delegates-1-email": "victim@example.kz"})).status_code == 302


def test_disputing_twice_changes_nothing_more(db):
    reg = f.registration_(f.forum())
    disputes.dispute(reg)
    with pytest.raises(Exception) as e:
        disputes.dispute(reg)
    assert e.value.code == "not_active"


@pytest.mark.parametrize("tamper", ["garbage", "other-registration", "expired"])
def test_a_forged_or_expired_link_frees_nothing(app, client, db, post, monkeypatch, tamper):
    forum = f.forum()
    reg, other = f.registration_(forum), f.registration_(forum)
    if tamper == "garbage":
        token = "not-a-token"
    elif tamper == "other-registration":
        # signed with another key: a made-up link for someone else's registration
        from itsdangerous import URLSafeTimedSerializer

        token = URLSafeTimedSerializer("guessed", salt="forum.dispute").dumps({"r": other.id, "e": other.email})
    else:
        token = disputes.dispute_token(reg)
        monkeypatch.setitem(app.config, "DISPUTE_LINK_MAX_AGE", -1)
    with pytest.raises(NotAllowed):
        disputes.registration_from_token(token)
    url = f"/registration/not-me/{token}"
    assert client.get(url).status_code == 404
    assert post(url).status_code == 404
    assert {r.state for r in db.session.scalars(sa.select(Registration))} == {RegState.PENDING}


def test_a_link_names_its_own_address(db):
    """The id and the address are signed together: a registration whose address differs is not freed."""
    forum = f.forum()
    reg = f.registration_(forum)
    token = disputes.dispute_token(reg)
    reg.email = "someone-else@example.kz"
    with pytest.raises(NotAllowed):
        disputes.registration_from_token(token)


def test_mails_that_register_an_address_carry_the_link(db):
    forum = f.forum()
    data = f.company_input(0, contact_email="boss@example.kz")
    data.delegates = [f.delegate_input(email="boss@example.kz"), f.delegate_input(email="staff@example.kz")]
    services.submit(forum, data)
    assert "/registration/not-me/" in outbox(db, to_addr="staff@example.kz")[0].body_text  # delegate_registered
    assert "/registration/not-me/" in outbox(db, to_addr="boss@example.kz")[0].body_text  # summary, own reg


def test_a_refused_address_is_not_confirmed_to_the_visitor_and_its_owner_is_told_once_a_day(client, db, post):
    forum = f.forum(slug="astana")
    f.company(forum, 1, delegates=[f.delegate_input(email="owner@example.kz", language="ru")])
    db.session.commit()
    before = len(outbox(db))
    for _ in range(3):
        r = submit_from(post, "astana", form_data(**{"delegates-1-email": "owner@example.kz"}))
        assert r.status_code == 422
        html = r.get_data(as_text=True)
        assert REFUSAL in html and "already registered" not in html
    notices = outbox(db, template="address_taken")
    assert len(outbox(db)) == before + 1 and len(notices) == 1  # once, however often someone tries
    notice = notices[0]
    assert notice.to_addr == "owner@example.kz" and notice.language == "ru"
    assert "/registration/not-me/" in notice.body_text
    assert count(db, CompanyRegistration) == 1


def test_a_refusal_found_among_other_errors_tells_the_owner_too(client, db, post):
    forum = f.forum(slug="astana")
    f.registration_(forum, delegates=[f.delegate_input(email="owner@example.kz")])
    db.session.commit()
    r = submit_from(post, "astana", form_data(city="", **{"delegates-1-email": "owner@example.kz"}))
    assert r.status_code == 422 and REFUSAL in r.get_data(as_text=True)
    assert len(outbox(db, template="address_taken")) == 1


def test_an_organizer_is_told_plainly_and_nobody_is_mailed(db):
    forum = f.forum()
    f.registration_(forum, delegates=[f.delegate_input(email="owner@example.kz")])
    data = f.company_input(1)
    data.delegates[0].email = "owner@example.kz"
    with pytest.raises(SubmissionError) as e:
        services.submit(forum, data, manual=True, by=f.organizer())
    assert e.value.errors["delegates-0-email"] == "This person is already registered for this forum."
    assert outbox(db, template="address_taken") == []


def test_organizers_see_disputes_in_the_list_and_on_the_detail_page(client, db, login):
    forum = f.forum(slug="astana")
    disputed, kept = f.registration_(forum), f.registration_(forum)
    disputes.dispute(disputed)
    login(f.organizer())
    html = client.get("/manage/astana/registrations?disputed=yes").get_data(as_text=True)
    assert disputed.email in html and kept.email not in html and 'class="badge text-bg-danger disputed"' in html
    html = client.get("/manage/astana/registrations").get_data(as_text=True)
    assert disputed.email in html and kept.email in html
    html = client.get(f"/manage/astana/registrations/{disputed.id}").get_data(as_text=True)
    assert 'alert alert-danger disputed' in html and "Disputed by the owner of the e-mail address" in html


# --- privileged categories --------------------------------------------------------------------

def test_the_public_form_offers_only_the_forums_public_categories(client, db, post):
    forum = f.forum(slug="astana")
    html = client.get("/forums/astana/register").get_data(as_text=True)
    assert 'name="delegates-0-category"' not in html  # delegate only: nothing to choose
    r = submit_from(post, "astana", form_data(**{"delegates-1-category": "vip"}))
    assert r.status_code == 422 and 'id="delegates-1-category-error"' in r.get_data(as_text=True)
    assert count(db, CompanyRegistration) == 0
    forum.public_categories = ["delegate", "speaker"]
    html = client.get("/forums/astana/register").get_data(as_text=True)
    assert 'value="speaker"' in html and 'value="vip"' not in html


def test_a_privileged_category_from_the_public_form_is_a_request(db):
    forum = f.forum()
    forum.public_categories = ["delegate", "speaker", "press", "vip"]
    reg = services.submit(forum, f.company_input(1, delegates=[f.delegate_input(category="vip")])).delegates[0]
    assert reg.category is Category.DELEGATE and reg.requested_category is Category.VIP
    created = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "created")).one()
    assert created.details["requested_category"] == "vip"


def test_the_service_refuses_a_category_the_forum_does_not_offer(db):
    forum = f.forum()
    with pytest.raises(SubmissionError) as e:
        services.submit(forum, f.company_input(1, delegates=[f.delegate_input(category="speaker")]))
    assert "delegates-0-category" in e.value.errors


def test_an_organizers_entry_sets_any_category(db):
    forum = f.forum()
    reg = services.submit(forum, f.company_input(1, delegates=[f.delegate_input(category="press")]),
                          manual=True, by=f.organizer()).delegates[0]
    assert reg.category is Category.PRESS and reg.requested_category is None


def test_an_organizer_confirms_or_declines_a_request(db):
    forum, org = f.forum(), f.organizer()
    forum.public_categories = ["delegate", "speaker"]
    a, b = services.submit(forum, f.company_input(2, delegates=[f.delegate_input(category="speaker"),
                                                                f.delegate_input(category="speaker")])).delegates
    with pytest.raises(NotAllowed) as e:
        review.confirm_category(a, by=a.user)
    assert e.value.code == "forbidden"
    review.confirm_category(a, by=org)
    review.decline_category(b, by=org)
    assert (a.category, a.requested_category) == (Category.SPEAKER, None)
    assert (b.category, b.requested_category) == (Category.DELEGATE, None)
    with pytest.raises(InvalidInput) as e:
        review.confirm_category(b, by=org)
    assert e.value.code == "no_category_request"
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("category_%"))
                                 .order_by(AuditEntry.id)).all()
    assert [(x.action, x.details["to_category"], x.actor_id) for x in entries] == [
        ("category_confirmed", "speaker", org.id), ("category_declined", "delegate", org.id)]


def test_the_detail_page_shows_the_request_and_confirms_it(client, db, login, post):
    forum = f.forum(slug="astana")
    forum.public_categories = ["delegate", "press"]
    reg = services.submit(forum, f.company_input(1, delegates=[f.delegate_input(category="press")])).delegates[0]
    login(f.organizer())
    url = f"/manage/astana/registrations/{reg.id}"
    html = client.get(url).get_data(as_text=True)
    assert "asks for: Press" in html and "Confirm as Press" in html
    assert client.post(f"{url}/category", data={"decision": "confirm"}).status_code == 400  # no CSRF token
    assert db.session.get(Registration, reg.id).category is Category.DELEGATE
    r = post(f"{url}/category", {"decision": "confirm"}, token_from=url)
    assert r.status_code == 302
    assert db.session.get(Registration, reg.id).category is Category.PRESS
    assert "asks for" not in client.get(url).get_data(as_text=True)


def test_the_forum_form_sets_the_public_categories(client, db, login, post):
    from tests.test_small_things import EDIT

    login(f.organizer())
    html = client.get("/manage/forums/new").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="delegate"|value="delegate"[^>]*checked', html)
    r = post("/manage/forums/new", dict(EDIT, public_categories=["speaker", "press"]))
    assert r.status_code == 302, r.get_data(as_text=True)
    forum = db.session.scalars(sa.select(Forum).where(Forum.slug == "berlin")).one()
    assert forum.public_categories == ["delegate", "speaker", "press"]  # delegate always
    r = post("/manage/berlin/edit", dict(EDIT, public_categories=["king"]))
    assert r.status_code == 422 and 'public_categories-error' in r.get_data(as_text=True)


# --- mail content --------------------------------------------------------------------------------

def test_a_name_that_looks_like_a_url_is_not_a_link_in_html_mail(db):
    forum = f.forum()
    data = f.company_input(0, legal_name="https://evil.example/win", contact_name="www.evil.example")
    data.delegates = [f.delegate_input(full_name="http://evil.example/login", email="d@example.kz")]
    services.submit(forum, data)
    for msg in outbox(db):
        assert "evil.example" in msg.body_html  # there, as text
        assert not re.search(r'<a [^>]*evil', msg.body_html), msg.body_html
        hrefs = re.findall(r'<a href="([^"]+)"', msg.body_html)
        assert hrefs and all(h.startswith("http://forum.test/") for h in hrefs)


def test_the_apps_own_links_are_still_links(db):
    forum = f.forum()
    services.submit(forum, f.company_input(1))
    msg = outbox(db, template="registration_received")[0]
    assert re.search(r'<a href="http://forum\.test/password/set/[^"]+">http://forum\.test/password/set/', msg.body_html)


@pytest.mark.parametrize("field", ["legal_name", "name_en", "contact_name", "city", "delegates-0-full_name",
                                   "delegates-0-latin_name", "delegates-0-position"])
@pytest.mark.parametrize("brk", ["\r\n", "\n", "\r", "\u2028"])
def test_a_line_break_in_a_name_is_refused_next_to_its_field(client, db, post, field, brk):
    f.forum(slug="astana")
    value = {"delegates-0-latin_name": "Aliya", "delegates-0-position": "CEO"}.get(field, "Әлия") + brk + "Bcc: x@evil.example"
    r = submit_from(post, "astana", form_data(**{field: value}))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert f'id="{field}-error"' in html and "line breaks are not allowed" in html
    assert count(db, CompanyRegistration) == 0 and outbox(db) == []


def test_an_address_with_a_line_break_is_refused_by_the_service(db):
    data = f.company_input(1, contact_email="a@example.kz\r\nBcc: x@evil.example")
    data.delegates[0].email = "d@example.kz\nBcc: y@evil.example"
    with pytest.raises(SubmissionError) as e:
        services.submit(f.forum(), data)
    assert {"contact_email", "delegates-0-email"} <= set(e.value.errors)


def test_a_line_break_in_a_forum_title_is_refused_next_to_the_field(client, db, login, post):
    from tests.test_small_things import EDIT

    login(f.organizer())
    r = post("/manage/forums/new", dict(EDIT, title="Forum\r\nBcc: x@evil.example", venue="Hall\nB"))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="title-error"' in html and 'id="venue-error"' in html
    assert count(db, Forum) == 0


def test_a_line_break_in_an_invitation_name_or_a_display_name_is_refused(db):
    from forum.accounts import services as accounts

    org = f.organizer()
    with pytest.raises(InvalidInput) as e:
        services.create_invitation(f.forum(), company_name="ACME\r\nBcc: x@evil.example", email="a@example.kz", by=org)
    assert (e.value.code, e.value.field) == ("line_break", "company_name")
    with pytest.raises(InvalidInput) as e:
        accounts.update_profile(org, "Org\nBcc: x@evil.example", "en")
    assert e.value.code == "line_break"
