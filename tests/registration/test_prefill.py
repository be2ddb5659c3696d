"""A returning contact person starts a new forum's registration from their organisation's last one."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.errors import DomainError
from forum.forums.models import ForumStatus
from forum.registration import prefill, services, states
from forum.registration.models import Category, CompanyRegistration, RegState, Registration
from forum.registration.services import MAX_DELEGATES
from tests import factories as f
from tests.registration.test_views import value_of
from tests.test_query_counts import statements_for


def _astana_company(forum, **kw):
    """An approved company with three delegates, one of them since withdrawn."""
    forum.public_categories = ["delegate", "speaker", "press"]
    data = f.company_input(3, legal_name="ТОО «Қазақ Ойл»", name_en="Kazakh Oil", country="KZ", city="Atyrau",
                           sector="energy", website="kazakhoil.example", profile="Oil and gas services.",
                           contact_name="Әлия Нұрланқызы", contact_email="aliya@kazakhoil.example",
                           contact_phone="+7 701 123 45 67", contact_position="Head of international relations",
                           **kw)
    data.delegates[0] = f.delegate_input(full_name="Әлия Нұрланқызы", latin_name="Aliya NURLANKYZY",
                                         email="aliya@kazakhoil.example", languages=["kk", "ru", "en"], language="ru",
                                         phone="+7 701 123 45 67")
    data.delegates[1] = f.delegate_input(full_name="Ерлан Қасымов", latin_name="Yerlan KASSYMOV",
                                         email="yerlan@kazakhoil.example", category="speaker", language="en")
    data.delegates[2] = f.delegate_input(full_name="Дана Ахметова", latin_name="Dana AKHMETOVA",
                                         email="dana@kazakhoil.example")
    company = services.submit(forum, data)
    admin = f.organizer()
    for reg in company.delegates[:2]:
        states.transition(reg, RegState.APPROVED, by=admin)
    states.transition(company.delegates[2], RegState.WITHDRAWN, by=admin)
    return company


# --- the service ----------------------------------------------------------------------------------

def test_sources_are_the_latest_registration_of_each_organisation_the_person_was_contact_for(db):
    astana, almaty, tashkent = f.forum(), f.forum(), f.forum()
    old = _astana_company(almaty)
    old.created_at = clock.now() - timedelta(days=300)  # an earlier year's forum
    new = _astana_company(astana)
    contact = new.contact_user
    assert old.contact_user_id == contact.id and old.organisation_id == new.organisation_id
    other_org = f.company(almaty, 1, contact_email=contact.email, legal_name="Aral Salt", name_en="Aral Salt",
                          country="KZ")
    f.company(astana, 1)  # someone else's
    assert [c.id for c in prefill.sources(contact, tashkent)] == [other_org.id, new.id]  # newest first
    # from Astana's own form, Astana's registration is not offered, and an organisation registered there is left out
    assert {c.id for c in prefill.sources(contact, astana)} == {other_org.id}
    assert prefill.sources(f.user(), tashkent) == []


def test_only_the_contact_person_may_start_from_a_registration(db):
    company = _astana_company(f.forum())
    assert prefill.source_for(company.contact_user, company.public_id) == company
    assert prefill.source_for(company.contact_user, company.public_id.upper()) == company
    delegate = company.delegates[1].user  # a delegate of it: not the contact person
    for user, pid in ((delegate, company.public_id), (f.user(), company.public_id), (f.organizer(), company.public_id),
                      (company.contact_user, "not-a-uuid"), (company.contact_user, company.delegates[0].public_id),
                      (company.contact_user, "00000000-0000-4000-8000-000000000000"), (company.contact_user, None)):
        with pytest.raises(DomainError) as e:
            prefill.source_for(user, pid)
        assert e.value.code == "not_found"


def test_the_company_and_the_delegates_still_on_the_list_carry_over(db):
    company = _astana_company(f.forum())
    tashkent = f.forum()
    tashkent.public_categories = ["delegate", "press"]
    data = prefill.initial_data(company, tashkent, max_delegates=MAX_DELEGATES)
    assert (data["legal_name"], data["name_en"], data["country"], data["city"], data["sector"]) == \
        ("ТОО «Қазақ Ойл»", "Kazakh Oil", "KZ", "Atyrau", "energy")
    assert data["website"] == "https://kazakhoil.example" and data["profile"] == "Oil and gas services."
    assert data["contact_email"] == "aliya@kazakhoil.example" and data["contact_position"].startswith("Head")
    assert [d["email"] for d in data["delegates"]] == ["aliya@kazakhoil.example", "yerlan@kazakhoil.example"]
    aliya, yerlan = data["delegates"]
    assert aliya["full_name"] == "Әлия Нұрланқызы" and aliya["languages"] == ["kk", "ru", "en"]
    assert aliya["language"] == "ru" and yerlan["language"] == "en"
    assert yerlan["category"] == "delegate"  # a speaker in Astana is not one in Tashkent
    for consent in ("privacy_accepted", "directory_consent", "late_reason"):
        assert consent not in data


def test_press_stays_press_where_the_form_offers_it(db):
    forum = f.forum()
    company = f.company(forum, 1)
    company.delegates[0].category = Category.PRESS
    tashkent = f.forum()
    tashkent.public_categories = ["delegate", "press"]
    assert prefill.initial_data(company, tashkent, max_delegates=10)["delegates"][0]["category"] == "press"
    tashkent.public_categories = ["delegate"]
    assert prefill.initial_data(company, tashkent, max_delegates=10)["delegates"][0]["category"] == "delegate"


def test_no_delegate_left_gives_one_empty_delegate(db):
    company = f.company(f.forum(), 1)
    states.transition(company.delegates[0], RegState.WITHDRAWN, by=company.contact_user)
    assert prefill.initial_data(company, f.forum(), max_delegates=10)["delegates"] == [{}]


def form_values(html: str) -> dict:
    """What a browser would send for the registration form as shown: filled inputs, ticked boxes, chosen options."""
    from html.parser import HTMLParser

    values: dict[str, list[str]] = {}

    class Form(HTMLParser):
        select = textarea = None
        in_form = False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and a.get("method") == "post" and "action" not in a:
                self.in_form = True
            if not self.in_form:
                return
            if tag == "input" and a.get("name") and a.get("type") not in ("submit",):
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    return
                values.setdefault(a["name"], []).append(a.get("value", "on") or "")
            elif tag == "select":
                self.select = a.get("name")
            elif tag == "option" and self.select and "selected" in a:
                values.setdefault(self.select, []).append(a.get("value", ""))
            elif tag == "textarea":
                self.textarea = a.get("name")
                values.setdefault(self.textarea, []).append("")

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None
            elif tag == "form":
                self.in_form = False

        def handle_data(self, data):
            if self.textarea:
                values[self.textarea][-1] += data

    Form().feed(html)
    return {k: (v if len(v) > 1 or k.endswith("-languages") else v[0]) for k, v in values.items()
            if k not in ("csrf_token", "comment")}


# --- the form ---------------------------------------------------------------------------------------

def test_the_form_offers_a_start_from_the_last_registration_and_fills_everything_in(client, db, login):
    astana, tashkent = f.forum(slug="astana"), f.forum(slug="tashkent")
    company = _astana_company(astana)
    login(company.contact_user)
    html = client.get("/forums/tashkent/register").get_data(as_text=True)
    assert f'/forums/tashkent/register?from={company.public_id}' in html
    assert "Start from Kazakh Oil's registration for" in html
    html = client.get(f"/forums/tashkent/register?from={company.public_id}").get_data(as_text=True)
    assert 'id="start-from-note"' in html
    assert value_of(html, "legal_name") == "ТОО «Қазақ Ойл»" and value_of(html, "city") == "Atyrau"
    assert value_of(html, "delegates-0-full_name") == "Әлия Нұрланқызы"
    assert value_of(html, "delegates-1-email") == "yerlan@kazakhoil.example"
    assert value_of(html, "delegates-2-email") is None  # the withdrawn one is not carried over
    assert re.search(r'name="privacy_accepted"(?![^>]*checked)[^>]*>', html)
    assert re.search(r'<option selected value="energy">|<option value="energy" selected>', html)


def test_a_guessed_or_foreign_public_id_is_a_404(client, db, login):
    astana, tashkent = f.forum(slug="astana"), f.forum(slug="tashkent")
    mine, theirs = _astana_company(astana), f.company(astana, 2)
    login(mine.contact_user)
    assert client.get(f"/forums/tashkent/register?from={theirs.public_id}").status_code == 404
    assert client.get("/forums/tashkent/register?from=00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/forums/tashkent/register?from=1").status_code == 404
    assert client.get(f"/forums/tashkent/register?from={theirs.id}").status_code == 404
    login(mine.delegates[1].user)  # a delegate of it, not its contact person
    assert client.get(f"/forums/tashkent/register?from={mine.public_id}").status_code == 404


def test_signed_out_it_asks_to_sign_in_first(client, db):
    f.forum(slug="tashkent")
    r = client.get("/forums/tashkent/register?from=00000000-0000-4000-8000-000000000000")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_nothing_is_offered_to_someone_who_was_never_a_contact_person(client, db, login):
    astana = f.forum(slug="astana")
    f.forum(slug="tashkent")
    company = f.company(astana, 2)
    login(company.delegates[1].user)
    assert "Registered before?" not in client.get("/forums/tashkent/register").get_data(as_text=True)
    login(company.contact_user)
    assert "Registered before?" in client.get("/forums/tashkent/register").get_data(as_text=True)


def test_submit_the_prefilled_form_after_editing_a_delegate(client, db, login, post):
    astana, tashkent = f.forum(slug="astana"), f.forum(slug="tashkent")
    company = _astana_company(astana)
    org_id = company.organisation_id
    login(company.contact_user)
    url = f"/forums/tashkent/register?from={company.public_id}"
    html = client.get(url).get_data(as_text=True)
    data = form_values(html)
    assert data["delegates-0-languages"] == ["kk", "ru", "en"] or set(data["delegates-0-languages"]) == {"kk", "ru", "en"}
    data["delegates-1-position"] = "Chief engineer"  # edited
    data["privacy_accepted"] = "y"
    r = post(url, data, token_from=url)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    new = db.session.scalars(sa.select(CompanyRegistration).where(CompanyRegistration.forum_id == tashkent.id)).one()
    assert new.organisation_id == org_id and new.contact_user_id == company.contact_user_id
    assert [(d.email, d.position) for d in new.delegates] == [
        ("aliya@kazakhoil.example", company.delegates[0].position), ("yerlan@kazakhoil.example", "Chief engineer")]
    assert [d.full_name for d in new.delegates] == ["Әлия Нұрланқызы", "Ерлан Қасымов"]
    # it is offered no more for Tashkent: the organisation is registered there now
    assert "Registered before?" not in client.get("/forums/tashkent/register").get_data(as_text=True)


def test_the_form_runs_the_same_statements_with_one_or_twenty_earlier_registrations(client, db, login):
    tashkent = f.forum(slug="tashkent")
    contact = f.user(email="aliya@example.kz")
    counts = []
    for n in (1, 20):
        for i in range(n if not counts else n - 1):
            f.company(f.forum(), 2, contact_email="aliya@example.kz", legal_name=f"Org {n} {i}",
                      name_en=f"Org {n} {i}", country="KZ")
        login(contact)
        counts.append(statements_for(client, "/forums/tashkent/register"))
    assert counts[0] == counts[1]
