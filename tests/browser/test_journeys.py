"""A company registers, an organizer decides, a late company asks to come anyway: through real pages."""
from __future__ import annotations

import re

import pytest

from tests.browser.helpers import (
    Company, Delegate, delegate_card, fill_company, fill_delegate, playwright_expect, sakura, seed_company, seed_forum,
    sign_in,
)

expect = playwright_expect()

PRIVACY = "I have read the privacy notice and agree to it"


def _expect_typed(page, c: Company, *, delegates: int) -> None:
    """Everything the person typed is still in the form."""
    expect(page.get_by_label("Company legal name, as written natively")).to_have_value(c.legal_name)
    expect(page.get_by_label("Company name in English")).to_have_value(c.name_en)
    expect(page.get_by_label("Country", exact=True)).to_have_value("JP")
    expect(page.get_by_label("Sector", exact=True)).to_have_value("trade")
    expect(page.get_by_label("Contact person", exact=True)).to_have_value(c.contact_name)
    expect(page.get_by_label("Contact e-mail")).to_have_value(c.contact_email)
    for n, d in enumerate(c.delegates[:delegates], start=1):
        card = delegate_card(page, n)
        expect(card.get_by_label("Full name, as written natively")).to_have_value(d.full_name)
        expect(card.get_by_label("Name in Latin letters")).to_have_value(d.latin_name)
        expect(card.get_by_label("E-mail")).to_have_value(d.email)
        for language in d.languages:
            expect(card.get_by_label(language, exact=True)).to_be_checked()


# --- a. a company registers two delegates -------------------------------------------------------

def test_company_registers_a_japanese_and_a_kazakh_delegate(page, live_server):
    slug = seed_forum(live_server, phase="open", title="Japan – Central Asia Business Forum")
    c = sakura()

    page.goto(f"/forums/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Japan – Central Asia Business Forum")
    page.get_by_role("link", name="Register your company").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register your company")

    fill_company(page, c)
    fill_delegate(page, 1, c.delegates[0])
    expect(delegate_card(page, 2)).to_have_count(0)
    page.get_by_role("button", name="Add another delegate").click()

    # A round trip to the server: the second card is there and nothing typed was lost.
    expect(delegate_card(page, 2)).to_be_visible()
    expect(delegate_card(page, 2).get_by_label("Full name, as written natively")).to_have_value("")
    _expect_typed(page, c, delegates=1)

    fill_delegate(page, 2, c.delegates[1])
    page.get_by_label(PRIVACY).check()
    page.get_by_role("button", name="Submit the registration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you — your registration has been received")
    expect(page.get_by_text(f"A confirmation is on its way to {c.contact_email}.")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_contain_text("株式会社さくら商事")
    delegates = page.get_by_role("main").get_by_role("listitem")
    expect(delegates).to_have_count(2)
    expect(delegates.nth(0)).to_contain_text("山田 太郎")
    expect(delegates.nth(0)).to_contain_text("YAMADA Taro")
    expect(delegates.nth(0).get_by_text(re.compile(r"^pending$", re.I))).to_be_visible()
    expect(delegates.nth(1)).to_contain_text("Әлия Нұрланқызы")
    expect(delegates.nth(1)).to_contain_text("Aliya Nurlankyzy")
    expect(page.get_by_text(re.compile(r"^Reference: [0-9A-F]{8}$"))).to_be_visible()


def test_missing_required_field_is_marked_next_to_it_and_nothing_typed_is_lost(page, live_server):
    slug = seed_forum(live_server, phase="open", title="Japan – Central Asia Business Forum")
    c = sakura()
    c.delegates = c.delegates[:1]

    page.goto(f"/forums/{slug}/register")
    fill_company(page, c, skip=("City",))
    fill_delegate(page, 1, c.delegates[0])
    page.get_by_label(PRIVACY).check()
    page.get_by_role("button", name="Submit the registration").click()

    expect(page.get_by_role("alert")).to_have_text("Please correct the marked fields. Nothing has been saved yet.")
    city = page.get_by_label("City", exact=True)
    expect(city).to_have_attribute("aria-invalid", "true")
    expect(city).to_have_accessible_description("This field is required.")
    # Next to the field: in the field's own block, visible, and the only error on the page.
    expect(page.locator("div.mb-3", has=city).get_by_text("This field is required.")).to_be_visible()
    expect(page.locator(".invalid-feedback:visible")).to_have_count(1)
    _expect_typed(page, c, delegates=1)
    expect(page.get_by_label(PRIVACY)).to_be_checked()

    city.fill("東京")
    page.get_by_role("button", name="Submit the registration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you — your registration has been received")
    expect(page.get_by_role("main").get_by_role("listitem")).to_have_text(re.compile("山田 太郎"))



def test_country_left_unchosen_still_asks_to_choose_one(page, live_server):
    slug = seed_forum(live_server, phase="open", title="Japan – Central Asia Business Forum")
    page.goto(f"/forums/{slug}/register")
    page.get_by_role("button", name="Submit the registration").click()
    country = page.get_by_label("Country", exact=True)
    expect(country).to_have_attribute("aria-invalid", "true")
    expect(country.locator("option:checked")).to_have_text("Choose a country", timeout=1000)

# --- b. the organizer approves one delegate and rejects the other ------------------------------

def test_organizer_approves_one_and_rejects_the_other_with_a_reason(page, live_server, organizer):
    slug = seed_forum(live_server, phase="open", title="Japan – Central Asia Business Forum")
    seed_company(live_server, slug, sakura())

    sign_in(page, organizer["email"], organizer["password"])
    page.goto(f"/manage/{slug}/registrations")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    yamada, aliya = rows.filter(has_text="YAMADA Taro"), rows.filter(has_text="Aliya Nurlankyzy")
    expect(yamada.get_by_text(re.compile(r"^pending$", re.I))).to_be_visible()
    expect(aliya.get_by_text(re.compile(r"^pending$", re.I))).to_be_visible()

    page.get_by_role("link", name="山田 太郎").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("山田 太郎")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_have_text("山田 太郎 is now approved.")
    expect(page.get_by_role("listitem").filter(has_text="pending → approved")).to_be_visible()

    page.get_by_role("link", name="Registrations", exact=True).click()
    page.get_by_role("link", name="Әлия Нұрланқызы").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Әлия Нұрланқызы")

    # Rejecting without a reason: refused, the error sits at the Reason box, nothing changed.
    page.get_by_role("button", name="Reject").click()
    reason = page.get_by_label("Reason for the decision", exact=True)
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("Give a reason for the rejection: the company receives it."))
    expect(page.locator("div.mb-3", has=reason).get_by_text("Give a reason for the rejection")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="→ rejected")).to_have_count(0)

    why = "One delegate per company this year; Mr Yamada is confirmed."
    reason.fill(why)
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status")).to_have_text("Әлия Нұрланқызы is now rejected.")
    expect(page.get_by_role("listitem").filter(has_text="pending → rejected")).to_contain_text(why)

    page.get_by_role("link", name="Registrations", exact=True).click()
    expect(rows).to_have_count(2)
    expect(yamada.get_by_text(re.compile(r"^approved$", re.I))).to_be_visible()
    expect(aliya.get_by_text(re.compile(r"^rejected$", re.I))).to_be_visible()
    counts = page.locator(".counts")
    expect(counts).to_contain_text(re.compile(r"\bapproved: 1\b", re.I))
    expect(counts).to_contain_text(re.compile(r"\brejected: 1\b", re.I))
    expect(counts).to_contain_text(re.compile(r"\bpending: 0\b", re.I))


# --- c. a late entry after the deadline -----------------------------------------------------------

def test_late_entry_is_requested_then_approved_from_the_late_queue(page, new_page, live_server, organizer):
    slug = seed_forum(live_server, phase="late", title="Astana Agro Forum")
    c = Company(
        legal_name="ТОО «Дала Агро»", name_en="Dala Agro LLP", country="Kazakhstan", city="Алматы",
        sector="Agriculture and food", contact_name="Ержан Сапарбаев", contact_email="yerzhan@dala-agro.kz",
        delegates=[Delegate("Ержан Сапарбаев", "Yerzhan Saparbayev", "yerzhan@dala-agro.kz", "CEO", ["Kazakh"])],
    )
    why = "Our export licence for Japan was only issued yesterday."

    page.goto(f"/forums/{slug}")
    expect(page.get_by_text("Registration closed — you can request a late entry")).to_be_visible()
    page.get_by_role("link", name="Request a late entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a late entry")
    fill_company(page, c)
    fill_delegate(page, 1, c.delegates[0])
    page.get_by_label("Why are you registering after the deadline?").fill(why)
    page.get_by_label("Endorsing organisation (optional)").fill("Atameken Chamber of Entrepreneurs")
    page.get_by_label(PRIVACY).check()
    page.get_by_role("button", name="Send the late-entry request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your late-entry request has been received")
    expect(page.get_by_role("main").get_by_role("listitem")).to_contain_text("Ержан Сапарбаев")

    org = new_page()
    sign_in(org, organizer["email"], organizer["password"])
    org.goto(f"/manage/{slug}/registrations")
    org.get_by_role("link", name="Late entries").click()
    request = org.locator(".card").filter(has_text="Yerzhan Saparbayev")
    expect(request).to_have_count(1)
    expect(request).to_contain_text(re.compile(r"Waiting for (less than a minute|\d+ (second|minute|hour|day)s?)"))
    expect(request).to_contain_text(f"Why late: {why}")
    expect(request).to_contain_text("Endorsed by: Atameken Chamber of Entrepreneurs")
    request.get_by_role("button", name="Approve").click()

    expect(org).to_have_url(re.compile(rf"/manage/{slug}/late$"))
    expect(org.get_by_role("status")).to_have_text("Ержан Сапарбаев is now approved.")
    expect(org.locator(".card")).to_have_count(0)
    expect(org.get_by_text("No late entry is waiting.")).to_be_visible()
