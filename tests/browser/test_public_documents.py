"""The public documents page in a browser: a visitor on the forum's page follows "Documents exchanged", reads the
tally, the country pairs and the list on a desktop and on a phone (nothing wider than the screen), and the figures
move once the ceremony marks another document exchanged. Screenshots into screenshots/."""
from __future__ import annotations

from pathlib import Path

from tests.browser.helpers import DESKTOP, PHONE, new_context, playwright_expect, seed_forum, watch

expect = playwright_expect()
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _seed_documents(live_server, slug: str) -> dict:
    def build():
        import sqlalchemy as sa

        from forum.db import db
        from forum.forums.models import Forum
        from tests import factories
        from tests.documents.test_public import JP, KZ, UZ_PROXY

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        factories.document(forum, parties=[JP, KZ], value_minor=150_000_000, currency="USD",
                           titles={"ja": "水処理に関する覚書", "en": "MOU on water treatment"})
        factories.document(forum, kind="agreement", parties=[JP, KZ, UZ_PROXY], sectors=("agriculture",),
                           titles={"ru": "Трёхстороннее соглашение о зерне", "en": "Tripartite grain agreement"})
        factories.document(forum, parties=[KZ, UZ_PROXY], confidentiality="confidential",
                           titles={"en": "Confidential MOU"})
        pending = factories.document(forum, kind="letter_of_intent", parties=[JP, UZ_PROXY], exchanged=False,
                                     titles={"en": "Letter of intent on cotton"})
        return {"pending": pending.id}

    return live_server.seed(build)


def _exchange(live_server, doc_id: int) -> None:
    def build():
        from forum import clock
        from forum.db import db
        from forum.documents.models import Document

        db.session.get(Document, doc_id).exchanged_at = clock.now()

    live_server.seed(build)


def test_a_visitor_reads_the_tally_on_desktop_and_phone(browser, live_server):
    slug = seed_forum(live_server, phase="open", title="Central Asia + Japan Business Forum")
    seeded = _seed_documents(live_server, slug)
    SHOTS.mkdir(exist_ok=True)
    problems: list[str] = []
    context, page = new_context(browser, live_server, DESKTOP)
    watch(page, live_server, problems)
    try:
        page.goto(f"/forums/{slug}")
        page.get_by_role("link", name="Documents exchanged").click()
        expect(page.get_by_role("heading", name="Documents exchanged", level=1)).to_be_visible()
        expect(page.locator("#tally-sentence")).to_have_text("3 documents exchanged: 2 MOUs, 1 agreement")
        expect(page.locator("#pairs tr[data-pair='JP-KZ'] td").last).to_have_text("2")
        expect(page.locator("#pairs tr[data-pair='KZ-UZ'] td").last).to_have_text("2")
        expect(page.get_by_text("Gʻulom Toshmatov (on behalf of Shavkat Yoʻldoshev, Direktor)")).to_be_visible()
        expect(page.get_by_text("Confidential MOU")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "documents-public-desktop.png"), full_page=True)

        _exchange(live_server, seeded["pending"])  # the ceremony's tap
        page.reload()
        expect(page.locator("#tally-sentence")).to_have_text(
            "4 documents exchanged: 2 MOUs, 1 agreement, 1 letter of intent")
        expect(page.locator("#pairs tr[data-pair='JP-UZ'] td").last).to_have_text("2")
        expect(page.get_by_text("Letter of intent on cotton")).to_be_visible()
    finally:
        context.close()

    context, phone = new_context(browser, live_server, PHONE)
    watch(phone, live_server, problems)
    try:
        phone.goto(f"/forums/{slug}/documents/")
        expect(phone.locator("#tally-sentence")).to_be_visible()
        expect(phone.get_by_text("MOU on water treatment")).to_be_visible()
        scroll_width, inner_width = phone.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, (scroll_width, inner_width)
        phone.screenshot(path=str(SHOTS / "documents-public-phone.png"), full_page=True)
    finally:
        context.close()
    assert not problems, problems
