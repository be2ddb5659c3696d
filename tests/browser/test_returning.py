"""Browser journey: a returning contact person registers for a second forum from the first one's data.

Signs in, opens the second forum's form, starts from the first registration, edits one delegate, removes
another, submits; screenshots of the pre-filled form at desktop and phone width go to screenshots/.
"""
from __future__ import annotations

import re
from pathlib import Path

from tests.browser.helpers import DESKTOP, PHONE, delegate_card, playwright_expect, seed_forum, sign_in

expect = playwright_expect()

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
CONTACT = "gulnara@sairan-agro.example"
PASSWORD = "correct horse battery"
COMPANY = ("«Сайран Агро Экспорт» ЖШС", "Sairan Agro Export LLP")


def _seed_returning_company(live_server) -> tuple[str, str]:
    """Astana (closed, approved) with three delegates; Tashkent open. Returns the two slugs."""
    import sqlalchemy as sa

    from forum.db import db
    from forum.forums.models import Forum
    from forum.registration import services, states
    from forum.registration.models import RegState
    from tests import factories

    astana = seed_forum(live_server, phase="open", title="Central Asia + Japan Business Forum")
    tashkent = seed_forum(live_server, phase="open", title="Uzbekistan–Japan Business Forum")

    def build():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == astana))
        admin = factories.organizer()
        factories.user(email=CONTACT, password=PASSWORD, name="Гүлнара Есенова")
        delegates = [
            factories.delegate_input(full_name="Гүлнара Есенова", latin_name="Gulnara YESSENOVA", email=CONTACT,
                                     position="Директор по развитию", phone="+7 701 555 20 24",
                                     languages=["kk", "ru", "en"], language="ru"),
            factories.delegate_input(full_name="Нұрлан Әбдіров", latin_name="Nurlan ABDIROV",
                                     email="n.abdirov@sairan-agro.example", position="Export Manager",
                                     phone="+7 777 301 45 12", languages=["kk", "ru"], language="ru"),
            factories.delegate_input(full_name="Айгүл Серікова", latin_name="Aigul SERIKOVA",
                                     email="a.serikova@sairan-agro.example", position="Chief Agronomist",
                                     phone="", languages=["kk", "ru", "en"], language="en"),
        ]
        data = factories.company_input(
            legal_name=COMPANY[0], name_en=COMPANY[1], country="KZ", city="Almaty", sector="agriculture",
            website="www.sairan-agro.example", contact_name="Гүлнара Есенова", contact_email=CONTACT,
            contact_phone="+7 701 555 20 24", contact_position="Директор по развитию", delegates=delegates,
            profile="Grain, pulses and oilseeds from the Almaty region.")
        company = services.submit(forum, data)
        for reg in company.delegates:
            states.transition(reg, RegState.APPROVED, by=admin)
        return company.organisation_id

    return astana, tashkent, live_server.seed(build)


def _open_prefilled(page, tashkent: str, shot: str = "") -> None:
    sign_in(page, CONTACT, PASSWORD)
    page.goto(f"/forums/{tashkent}/register")
    start = page.get_by_role("link", name=re.compile(r"Start from Sairan Agro Export LLP's registration"))
    expect(start).to_be_visible()
    if shot:
        page.screenshot(path=SHOTS / shot)
    start.click()
    expect(page.locator("#start-from-note")).to_contain_text("Filled in from Sairan Agro Export LLP's registration")
    expect(page.get_by_label("Company legal name, as written natively")).to_have_value(COMPANY[0])
    expect(delegate_card(page, 2).get_by_label("Full name, as written natively")).to_have_value("Нұрлан Әбдіров")
    expect(delegate_card(page, 3).get_by_label("E-mail")).to_have_value("a.serikova@sairan-agro.example")


def test_a_returning_contact_person_registers_for_tashkent_from_the_astana_data(page, new_page, live_server):
    astana, tashkent, org_id = _seed_returning_company(live_server)
    SHOTS.mkdir(exist_ok=True)

    phone = new_page(viewport=PHONE)
    _open_prefilled(phone, tashkent)
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the pre-filled form scrolls sideways on a phone: {width}px"
    phone.screenshot(path=SHOTS / "20-prefilled-registration-phone.png", full_page=True)

    _open_prefilled(page, tashkent, shot="20-start-from-offer-desktop.png")
    page.screenshot(path=SHOTS / "20-prefilled-registration-desktop.png", full_page=True)

    # Change one delegate, remove another: the others stay as they were.
    delegate_card(page, 2).get_by_label("Position").fill("Head of Export Sales")
    delegate_card(page, 3).get_by_role("button", name="Remove").click()
    expect(page.locator(".delegate-card")).to_have_count(2)
    expect(delegate_card(page, 2).get_by_label("Position")).to_have_value("Head of Export Sales")
    page.get_by_label("I have read the privacy notice and agree to it").check()
    page.get_by_role("button", name="Submit the registration").click()
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    expect(page.get_by_text("Нұрлан Әбдіров")).to_be_visible()
    expect(page.get_by_text("Айгүл Серікова")).to_have_count(0)

    def check():
        import sqlalchemy as sa

        from forum.db import db
        from forum.forums.models import Forum
        from forum.registration.models import CompanyRegistration

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == tashkent))
        company = db.session.scalars(sa.select(CompanyRegistration).where(CompanyRegistration.forum_id == forum.id)).one()
        return company.organisation_id, [(d.full_name, d.position, d.email) for d in company.delegates]

    got_org, delegates = live_server.seed(check)
    assert got_org == org_id  # the same organisation, not a new one
    assert delegates == [("Гүлнара Есенова", "Директор по развитию", CONTACT),
                         ("Нұрлан Әбдіров", "Head of Export Sales", "n.abdirov@sairan-agro.example")]


def test_an_administrator_merges_two_spellings_of_one_organisation(page, new_page, live_server, organizer):
    import sqlalchemy as sa

    from forum.db import db
    from forum.forums.models import Forum
    from tests import factories

    one = seed_forum(live_server, phase="open", title="Astana Agro Forum")
    two = seed_forum(live_server, phase="open", title="Tashkent Textile Week")

    def build():
        forums = {s: db.session.scalar(sa.select(Forum).where(Forum.slug == s)) for s in (one, two)}
        keep = factories.company(forums[one], 2, legal_name="«Бәйтерек Холдинг» АҚ", name_en="Baiterek Holding JSC",
                                 country="KZ", website="baiterek-holding.example")
        away = factories.company(forums[two], 1, legal_name="Байтерек Холдингс", name_en="Baiterek Holdings",
                                 country="KZ", website="baiterek.example")
        return keep.organisation_id, away.organisation_id

    keep_id, away_id = live_server.seed(build)
    sign_in(page, organizer["email"], organizer["password"])
    page.goto("/manage/")
    page.get_by_role("link", name="Organisations").click()
    expect(page.get_by_role("heading", level=1, name="Organisations")).to_be_visible()
    page.get_by_role("link", name="Possible duplicates").click()
    row = page.locator("tr", has_text="Baiterek Holdings")
    expect(row).to_contain_text("Baiterek Holding JSC")
    page.screenshot(path=SHOTS / "21-possible-duplicates-desktop.png", full_page=True)
    row.get_by_role("link", name="Merge…").click()
    expect(page.get_by_text("1 company registration will move")).to_be_visible()
    expect(page.locator("#main").get_by_text("Tashkent Textile Week").first).to_be_visible()
    page.screenshot(path=SHOTS / "21-merge-confirmation-desktop.png", full_page=True)

    phone = new_page(viewport=PHONE)
    sign_in(phone, organizer["email"], organizer["password"])
    phone.goto(page.url)
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the merge page scrolls sideways on a phone: {width}px"
    phone.screenshot(path=SHOTS / "21-merge-confirmation-phone.png", full_page=True)

    page.get_by_role("button", name="Merge").click()  # not confirmed: asked again
    expect(page.get_by_text("Tick the box to confirm the merge.")).to_be_visible()
    page.get_by_label("Yes, move every registration and merge these two organisations.").check()
    page.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("status").first).to_contain_text("registration moved")
    expect(page).to_have_url(re.compile(f"/manage/organisations/{keep_id}$"))
    expect(page.locator("#main").get_by_text("Tashkent Textile Week").first).to_be_visible()
    page.screenshot(path=SHOTS / "21-organisation-after-merge-desktop.png", full_page=True)
