"""The register's list page (/manage/<slug>/documents/): the forum's documents in number order, names in any
script; reached from the organizer tabs and the Manage menu by those with the documents permission."""
from __future__ import annotations

from forum.teams.models import Permission
from tests import factories as f


def test_the_register_lists_the_forums_documents_in_number_order(client, db, login):
    forum = f.forum(slug="central-asia-japan")
    one = f.document(forum, titles={"ja": "水処理に関する覚書", "en": "MOU on water treatment"})
    two = f.document(forum, titles={"ru": "Соглашение о поставках"})
    f.document(f.forum(slug="other-forum"), titles={"en": "Not this forum's"})
    login(f.member(forum, Permission.DOCUMENTS))
    html = client.get("/manage/central-asia-japan/documents/").get_data(as_text=True)
    table = html[html.index("<table"):]
    assert (table.index(one.reference) < table.index("MOU on water treatment")  # the reader's language
            < table.index(two.reference) < table.index("Соглашение о поставках"))
    assert "Not this forum" not in html and "Қазақстан сауда-өнеркәсіп палатасы" in html
    assert 'href="/manage/central-asia-japan/documents/"' in html  # the organizer tab


def test_the_documents_tab_and_menu_show_for_the_documents_permission_only(client, db, login):
    forum = f.forum(slug="astana")
    login(f.member(forum, Permission.DOCUMENTS))
    html = client.get("/manage/").get_data(as_text=True)
    assert 'href="/manage/astana/documents/"' in html
    login(f.member(forum, Permission.CHECKIN))
    assert "/manage/astana/documents/" not in client.get("/manage/astana/checkin/").get_data(as_text=True)
