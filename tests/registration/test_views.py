"""The public registration form and the company's own pages, through HTTP with CSRF on."""
import sqlalchemy as sa

from forum.registration.models import CompanyRegistration, RegState, Registration
from tests import factories as f


def value_of(html: str, name: str) -> str | None:
    import re

    m = re.search(r'<input[^>]*name="%s"[^>]*>' % re.escape(name), html)
    if not m:
        return None
    v = re.search(r'value="([^"]*)"', m.group(0))
    return v.group(1) if v else ""


def form_data(**kw):
    data = {
        "legal_name": "«Қазақ Телеком» АҚ", "name_en": "Kazakhtelecom", "country": "KZ", "city": "Астана",
        "sector": "it", "contact_name": "Әлия Нұрланқызы", "contact_email": "aliya@telecom.kz",
        "contact_phone": "+7 701 123 45 67", "privacy_accepted": "y",
        "delegates-0-full_name": "Әлия Нұрланқызы", "delegates-0-latin_name": "Aliya Nurlankyzy",
        "delegates-0-email": "aliya@telecom.kz", "delegates-0-category": "delegate",
        "delegates-0-languages": ["kk", "ru"],
        "delegates-1-full_name": "山田 太郎", "delegates-1-latin_name": "YAMADA Taro",
        "delegates-1-email": "yamada@example.jp", "delegates-1-category": "delegate", "delegates-1-phone": "+81 90 1234 5678",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_register_two_delegates_and_see_confirmation(client, db, post):
    f.forum(slug="astana")
    r = post("/forums/astana/register", form_data())
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Әлия Нұрланқызы" in page and "山田 太郎" in page and "aliya@telecom.kz" in page
    regs = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
    assert [(r.full_name, r.state) for r in regs] == [("Әлия Нұрланқызы", RegState.PENDING), ("山田 太郎", RegState.PENDING)]
    assert regs[0].languages == ["kk", "ru"] and regs[1].phone == "+819012345678"


def test_errors_show_next_to_fields_and_nothing_is_saved_or_lost(client, db, post):
    f.forum(slug="astana")
    r = post("/forums/astana/register", form_data(**{"delegates-1-email": "not-an-email", "city": ""}))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="delegates-1-email" name="delegates-1-email" aria-invalid="true"' in html or \
        ('name="delegates-1-email"' in html and 'delegates-1-email-error' in html)
    assert 'id="city-error"' in html
    assert "Әлия Нұрланқызы" in html and "山田 太郎" in html  # what was typed is still there
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CompanyRegistration)) == 0


def test_service_errors_land_next_to_their_field(client, db, post):
    forum = f.forum(slug="astana")
    existing = f.registration_(forum)
    r = post("/forums/astana/register", form_data(**{"delegates-1-email": existing.email}))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "This address cannot be registered with this form. If it is yours, check your inbox." in html
    assert "already registered" not in html


def test_all_errors_come_in_one_round(client, db, post):
    """A form error (empty city) does not hide a rule error (duplicate delegate, bad phone)."""
    forum = f.forum(slug="astana")
    existing = f.registration_(forum)
    r = post("/forums/astana/register", form_data(**{"city": "", "delegates-1-email": existing.email,
                                                     "contact_phone": "12"}))
    html = r.get_data(as_text=True)
    assert 'id="city-error"' in html
    assert "This address cannot be registered with this form. If it is yours, check your inbox." in html
    assert 'id="contact_phone-error"' in html


def test_add_and_remove_delegate_keep_what_was_typed(client, db, post):
    f.forum(slug="astana")
    r = post("/forums/astana/register", form_data(add_delegate="1"))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="delegates-2-full_name"' in html and "山田 太郎" in html
    r = post("/forums/astana/register", form_data(remove_delegate="0"))
    html = r.get_data(as_text=True)
    # the first was removed, the second moved up, with what was typed in it
    assert value_of(html, "delegates-0-full_name") == "山田 太郎"
    assert value_of(html, "delegates-0-latin_name") == "YAMADA Taro"
    assert 'name="delegates-1-full_name"' not in html
    assert value_of(html, "contact_name") == "Әлия Нұрланқызы"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CompanyRegistration)) == 0


def test_late_form_asks_for_reason(client, db, post):
    f.forum(slug="astana", phase="late")
    page = client.get("/forums/astana").get_data(as_text=True)
    assert "Registration closed — you can request a late entry" in page and "Request a late entry" in page
    r = post("/forums/astana/register", form_data())
    assert r.status_code == 422 and 'id="late_reason-error"' in r.get_data(as_text=True)
    r = post("/forums/astana/register", form_data(late_reason="Visit confirmed yesterday", endorsed_by="CCI Kazakhstan"))
    assert r.status_code == 302
    assert "late-entry request has been received" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_open_forum_page_names_the_deadline_in_local_time(client, db):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    forum = f.forum(slug="astana")
    forum.registration_closes_at = datetime(2030, 8, 5, 18, 0, tzinfo=ZoneInfo("Asia/Almaty"))
    forum.starts_at = datetime(2030, 8, 20, 9, 0, tzinfo=ZoneInfo("Asia/Almaty"))
    forum.ends_at = datetime(2030, 8, 21, 18, 0, tzinfo=ZoneInfo("Asia/Almaty"))
    html = client.get("/forums/astana").get_data(as_text=True)
    assert "Registration open until 5 August, 18:00 Astana time" in html
    assert "Asia/Almaty" in html


def test_not_yet_open_and_cancelled_forums_do_not_show_the_form(client, db, post):
    from forum.forums.models import ForumStatus

    f.forum(slug="soon", phase="not_yet_open")
    f.forum(slug="gone", status=ForumStatus.CANCELLED)
    assert "Registration opens on" in client.get("/forums/soon/register").get_data(as_text=True)
    assert post("/forums/gone/register", form_data()).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CompanyRegistration)) == 0


def test_confirmation_page_is_only_for_the_submitter(client, app, db, post):
    f.forum(slug="astana")
    r = post("/forums/astana/register", form_data())
    done = r.headers["Location"]
    assert client.get(done).status_code == 200
    other = app.test_client()  # another browser: asked to sign in, not shown the registration
    r = other.get(done)
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_contact_person_sees_company_and_withdraws_a_delegate(client, db, login, post):
    forum = f.forum()
    company = f.company(forum, 2)
    contact = company.contact_user
    contact.set_password(f.PASSWORD)
    login(contact)
    html = client.get(f"/my/companies/{company.public_id}").get_data(as_text=True)
    assert company.delegates[0].full_name in html
    reg_id = company.delegates[0].id
    r = post(f"/my/registrations/{company.delegates[0].public_id}/withdraw", {})
    assert r.status_code == 302
    assert db.session.get(Registration, reg_id).state is RegState.WITHDRAWN


def test_nobody_sees_or_changes_another_companys_registration(client, db, login, post):
    forum = f.forum()
    mine, theirs = f.company(forum, 1), f.company(forum, 1)
    login(mine.contact_user)
    assert client.get(f"/my/companies/{theirs.public_id}").status_code == 404
    assert post(f"/my/registrations/{theirs.delegates[0].public_id}/withdraw", {}).status_code == 404
    assert post("/my/registrations/00000000-0000-4000-8000-000000000000/withdraw", {}).status_code == 404
    assert client.get(f"/forums/{forum.slug}/register/done/{theirs.public_id}").status_code == 404
    assert db.session.get(Registration, theirs.delegates[0].id).state is RegState.PENDING
    # a delegate sees their own registration on /my, not the company's other pages
    delegate = theirs.delegates[0].user
    login(delegate)
    assert forum.title in client.get("/my").get_data(as_text=True)
    assert client.get(f"/my/companies/{mine.public_id}").status_code == 404


def test_withdraw_without_csrf_is_refused(client, db, login):
    forum = f.forum()
    company = f.company(forum, 1)
    login(company.contact_user)
    r = client.post(f"/my/registrations/{company.delegates[0].public_id}/withdraw", data={})
    assert r.status_code == 400
    assert "This form has expired" in r.get_data(as_text=True)
    assert company.delegates[0].state is RegState.PENDING


def test_my_pages_need_login(client, db):
    assert client.get("/my").status_code == 302
    assert "/login" in client.get("/my/companies/00000000-0000-4000-8000-000000000000").headers["Location"]


def test_confirmation_opened_on_another_device_asks_to_sign_in_then_shows_it(client, db, post):
    from forum.accounts import services as accounts

    forum = f.forum()
    company = f.company(forum, 1)
    accounts.set_password(company.contact_user, "a long enough password")
    url = f"/forums/{forum.slug}/register/done/{company.public_id}"
    r = client.get(url)  # a fresh browser: not the one that submitted
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Sign in with the contact person" in page
    # the same answer for an id that does not exist: no enumeration
    assert client.get(f"/forums/{forum.slug}/register/done/00000000-0000-4000-8000-000000000000").status_code == 302
    r = post(f"/login?next={url}", {"email": company.contact_email, "password": "a long enough password"},
             token_from="/login")
    assert r.headers["Location"] == url
    assert company.legal_name in client.get(url).get_data(as_text=True)
