"""The ceremony pages (documents_ceremony): the plan with its order buttons, the register's settings with errors
next to their fields and nothing typed lost, the live view's tap (plain form post and the script's JSON), and a
check-in-only team member refused with nothing changed."""
from __future__ import annotations

import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.documents import ceremony, numbering, tally
from forum.documents.models import Document
from forum.teams.models import Permission
from tests import factories as f

PROXY = dict(organisation="Oʻzbekiston filiali", country="UZ", kind="private_company",
             signatory_name="Gʻayrat Oʻrinboyev", signatory_position="Branch manager", capacity="on_behalf",
             principal_name="Ренат Жақсыбеков", principal_position="Director", poa_reference="PoA-17", side="right")
CHAMBER = dict(organisation="Қазақстан сауда-өнеркәсіп палатасы", country="KZ", kind="association",
               signatory_name="Әлихан Сәрсенов", signatory_position="Chairman", side="left")


def _base(forum) -> str:
    return f"/manage/{forum.slug}/documents"


def _counted(db, forum) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Document)
                             .where(Document.forum_id == forum.id, tally.counted()))


def _reload(db, doc) -> Document:
    db.session.expire_all()
    return db.session.get(Document, doc.id)


def _setup(db, login, *perms):
    forum = f.forum(slug="central-asia-japan")
    a = f.document(forum, parties=[CHAMBER, PROXY], exchanged=False,
                   titles={"ja": "水処理に関する覚書", "en": "MOU on water treatment"})
    b = f.document(forum, exchanged=False, titles={"en": "Rail freight agreement"}, kind="agreement")
    c = f.document(forum, exchanged=False, titles={"kk": "Ұлттық ғылым орталығы туралы келісім"})
    ceremony.add(a)
    ceremony.add(b)
    login(f.member(forum, *(perms or (Permission.DOCUMENTS,))))
    db.session.commit()
    return forum, a, b, c


# --- the plan ---------------------------------------------------------------------------------------------------

def test_the_plan_shows_the_order_with_sides_and_the_documents_to_add(client, db, login):
    forum, a, b, c = _setup(db, login)
    r = client.get(_base(forum) + "/ceremony")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert page.index(a.reference) < page.index(b.reference)
    assert "Gʻayrat Oʻrinboyev, Branch manager, on behalf of Ренат Жақсыбеков" in page
    assert "Left" in page and "Right" in page
    assert f'action="{_base(forum)}/ceremony/{c.id}/add"' in page
    assert f'action="{_base(forum)}/ceremony/{a.id}/add"' not in page
    assert f'action="{_base(forum)}/ceremony/{b.id}/up"' in page
    assert f'action="{_base(forum)}/ceremony/{a.id}/remove"' in page
    assert "0 of 2 exchanged" in page
    assert 'aria-current="page"' in page


def test_add_up_down_move_and_remove_from_the_plan(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    base = _base(forum)
    r = post(f"{base}/ceremony/{c.id}/add")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/ceremony#doc-{c.id}")
    assert [d.id for d in ceremony.order(forum)] == [a.id, b.id, c.id]
    post(f"{base}/ceremony/{c.id}/up")
    assert [d.id for d in ceremony.order(forum)] == [a.id, c.id, b.id]
    post(f"{base}/ceremony/{a.id}/down")
    assert [d.id for d in ceremony.order(forum)] == [c.id, a.id, b.id]
    post(f"{base}/ceremony/{b.id}/move", {"position": "1"})
    assert [d.id for d in ceremony.order(forum)] == [b.id, c.id, a.id]
    post(f"{base}/ceremony/{c.id}/remove")
    db.session.expire_all()
    assert [(d.id, d.ceremony_position) for d in ceremony.order(forum)] == [(b.id, 1), (a.id, 2)]


def test_a_bad_place_shows_next_to_the_field_and_keeps_what_was_typed(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    r = post(f"{_base(forum)}/ceremony/{a.id}/move", {"position": "9"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f'id="position-{a.id}-error"' in page and "Choose a place from 1 to 2." in page
    assert 'value="9"' in page
    assert [d.id for d in ceremony.order(forum)] == [a.id, b.id]


def test_moving_the_first_one_up_is_refused_with_a_message(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    r = post(f"{_base(forum)}/ceremony/{a.id}/up", follow_redirects=True)
    assert "exchanged first already" in r.get_data(as_text=True)
    assert [d.id for d in ceremony.order(forum)] == [a.id, b.id]


def test_a_document_of_another_forum_is_not_found(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    other = f.document(f.forum(), exchanged=False)
    db.session.commit()
    assert post(f"{_base(forum)}/ceremony/{other.id}/add").status_code == 404
    assert post(f"{_base(forum)}/ceremony/{other.id}/exchanged").status_code == 404
    assert _reload(db, other).ceremony_position is None and _reload(db, other).exchanged_at is None


# --- the live view -------------------------------------------------------------------------------------------------

def test_the_live_view_shows_cards_in_order_with_the_tap_and_the_count(client, db, login):
    forum, a, b, c = _setup(db, login)
    r = client.get(_base(forum) + "/ceremony/live")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert page.index(f'id="doc-{a.id}"') < page.index(f'id="doc-{b.id}"') and f'id="doc-{c.id}"' not in page
    assert f'action="{_base(forum)}/ceremony/{a.id}/exchanged"' in page
    assert "0 of 2 exchanged" in page and "No documents have been exchanged at this forum yet." in page
    assert "js/ceremony-live.js" in page
    assert "MOU on water treatment" in page
    assert "Gʻayrat Oʻrinboyev, Branch manager, on behalf of Ренат Жақсыбеков" in page


def test_a_tap_marks_it_exchanged_updates_the_count_and_returns_to_the_card(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    r = post(f"{_base(forum)}/ceremony/{a.id}/exchanged")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/ceremony/live#doc-{a.id}")
    assert _reload(db, a).exchanged_at is not None and _counted(db, forum) == 1
    page = client.get(_base(forum) + "/ceremony/live").get_data(as_text=True)
    assert "1 of 2 exchanged" in page and "1 document exchanged: 1 MOU" in page
    assert "Kazakhstan – Uzbekistan: 1" in page
    assert f'action="{_base(forum)}/ceremony/{a.id}/undo"' in page


def test_a_second_tap_from_another_device_is_said_once_and_recorded_once(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    post(f"{_base(forum)}/ceremony/{a.id}/exchanged")
    first = _reload(db, a).exchanged_at
    r = post(f"{_base(forum)}/ceremony/{a.id}/exchanged", follow_redirects=True)
    assert "is marked exchanged already" in r.get_data(as_text=True)
    assert _reload(db, a).exchanged_at == first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.subject_id == a.id, AuditEntry.action == "exchanged")) == 1


def test_the_script_taps_with_json_and_reads_the_state(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    r = post(f"{_base(forum)}/ceremony/{b.id}/exchanged", headers={"Accept": "application/json"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["ok"] is True and body["code"] is None and body["exchanged"] == 1 and body["total"] == 2
    assert body["progress"] == "1 of 2 exchanged" and body["tally"] == "1 document exchanged: 1 agreement"
    assert body["documents"] == {str(a.id): False, str(b.id): True}
    again = post(f"{_base(forum)}/ceremony/{b.id}/exchanged", headers={"Accept": "application/json"}).get_json()
    assert again["ok"] is False and again["code"] == "already_exchanged" and again["exchanged"] == 1
    assert again["message"] == f"{b.reference} is marked exchanged already."
    state = client.get(_base(forum) + "/ceremony/live.json").get_json()
    assert state["exchanged"] == 1 and state["documents"][str(b.id)] is True
    undone = post(f"{_base(forum)}/ceremony/{b.id}/undo", headers={"Accept": "application/json"}).get_json()
    assert undone["ok"] is True and undone["exchanged"] == 0 and _counted(db, forum) == 0


def test_undo_from_the_document_page_goes_back_there(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    ceremony.mark_exchanged(a, by=None)
    db.session.commit()
    r = post(f"{_base(forum)}/ceremony/{a.id}/undo?next=/manage/{forum.slug}/documents/")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/manage/{forum.slug}/documents/")
    assert _reload(db, a).exchanged_at is None
    r = post(f"{_base(forum)}/ceremony/{a.id}/exchanged?next=//evil.example/")
    assert "evil.example" not in r.headers["Location"]


def test_a_withdrawn_document_cannot_be_tapped(client, db, login, post):
    from datetime import datetime, timezone

    forum, a, b, c = _setup(db, login)
    c.withdrawn_at, c.withdrawn_reason = datetime.now(timezone.utc), "Replaced"
    db.session.commit()
    r = post(f"{_base(forum)}/ceremony/{c.id}/exchanged", follow_redirects=True)
    assert "A withdrawn document cannot be exchanged." in r.get_data(as_text=True)
    r = post(f"{_base(forum)}/ceremony/{c.id}/exchanged", headers={"Accept": "application/json"})
    assert r.status_code == 409 and r.get_json()["code"] == "withdrawn"
    assert _reload(db, c).exchanged_at is None


def test_the_detail_partial_shows_the_place_and_the_tap(app, db):
    from flask import render_template

    forum = f.forum()
    doc = f.document(forum, exchanged=False)
    ceremony.add(doc)
    with app.test_request_context(f"/manage/{forum.slug}/documents/{doc.id}"):
        html = render_template("documents/manage/_detail_ceremony.html", doc=doc, forum=forum)
    assert "Number 1 in the order of exchange." in html
    assert f"/ceremony/{doc.id}/exchanged?next=/manage/{forum.slug}/documents/{doc.id}" in html
    assert "Mark exchanged" in html and "/undo" not in html


# --- the settings -------------------------------------------------------------------------------------------------

def _settings(**kw) -> dict:
    data = {"prefix": "CAJ-2024", "language_1": "ja", "language_2": "kk", "language_3": "uz", "language_4": "",
            "language_5": "", "language_6": "", "ceremony_at": "2026-12-07T10:00",
            "ceremony_place": "Тәуелсіздік сарайы"}
    data.update(kw)
    return data


def test_settings_are_shown_and_saved(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    page = client.get(_base(forum) + "/settings").get_data(as_text=True)
    assert numbering.register_of(forum).prefix in page and 'type="datetime-local"' in page
    r = post(_base(forum) + "/settings", _settings())
    assert r.status_code == 302
    db.session.expire_all()
    reg = numbering.register_of(forum)
    assert (reg.prefix, reg.languages, reg.ceremony_place) == ("CAJ-2024", ["ja", "kk", "uz"], "Тәуелсіздік сарайы")
    assert reg.ceremony_at.astimezone(forum.tz).strftime("%Y-%m-%d %H:%M") == "2026-12-07 10:00"
    page = client.get(_base(forum) + "/settings").get_data(as_text=True)
    assert 'value="2026-12-07T10:00"' in page


def test_bad_settings_come_back_next_to_their_fields_with_nothing_lost_or_saved(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    reg = numbering.register_of(forum)
    before = (reg.prefix, list(reg.languages), reg.ceremony_at, reg.ceremony_place)
    r = post(_base(forum) + "/settings", _settings(prefix="КАЖ 2024", language_1="xx", language_2="",
                                                    language_3="", ceremony_at="tomorrow",
                                                    ceremony_place="Зал «Астана»"))
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="prefix-error"' in page and 'id="language_1-error"' in page and 'id="ceremony_at-error"' in page
    assert 'value="КАЖ 2024"' in page and 'value="tomorrow"' in page and "Зал «Астана»" in page
    db.session.expire_all()
    reg = numbering.register_of(forum)
    assert (reg.prefix, list(reg.languages), reg.ceremony_at, reg.ceremony_place) == before


# --- permissions ------------------------------------------------------------------------------------------------------

def test_a_checkin_only_member_is_refused_and_nothing_changes(client, db, login, post):
    forum, a, b, c = _setup(db, login, Permission.CHECKIN)
    base = _base(forum)
    for url in ("/ceremony", "/ceremony/live", "/ceremony/live.json", "/settings", "/ceremony/run-sheet.pdf",
                "/report.pdf"):
        assert client.get(base + url).status_code == 403, url
    for url in (f"/ceremony/{a.id}/exchanged", f"/ceremony/{c.id}/add", f"/ceremony/{a.id}/remove",
                f"/ceremony/{b.id}/up", f"/ceremony/{a.id}/undo"):
        assert post(base + url).status_code == 403, url
    assert post(base + f"/ceremony/{b.id}/move", {"position": "1"}).status_code == 403
    assert post(base + "/settings", _settings()).status_code == 403
    db.session.expire_all()
    assert [(d.id, d.ceremony_position, d.exchanged_at) for d in ceremony.order(forum)] == [(a.id, 1, None),
                                                                                           (b.id, 2, None)]
    assert numbering.register_of(forum).prefix != "CAJ-2024"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(["exchanged", "ceremony_moved", "register_changed"]))) == 0


def test_the_plan_and_the_live_view_ask_as_many_queries_for_1_document_as_for_20(client, db, login):
    from tests.test_query_counts import statements_for

    counts = {"plan": [], "live": []}
    for n in (1, 20):
        forum = f.forum()
        for i in range(n):
            doc = f.document(forum, parties=[CHAMBER, PROXY], exchanged=i % 2 == 0)
            ceremony.add(doc)
            f.document(forum, exchanged=False)  # not in the ceremony
        login(f.member(forum, Permission.DOCUMENTS))
        counts["plan"].append(statements_for(client, _base(forum) + "/ceremony"))
        counts["live"].append(statements_for(client, _base(forum) + "/ceremony/live"))
    assert counts["plan"][0] == counts["plan"][1]
    assert counts["live"][0] == counts["live"][1]


def test_hostile_settings_never_give_a_500_nor_half_save(client, db, login, post):
    forum, a, b, c = _setup(db, login)
    reg = numbering.register_of(forum)
    before = (reg.prefix, list(reg.languages), reg.ceremony_at)
    for bad in ("\x00", "2026-12-07T25:99", "9" * 50, "<script>", "２０２６-12-07T10:00", "\u202e"):
        r = post(_base(forum) + "/settings", _settings(prefix=bad, language_2=bad, ceremony_at=bad))
        assert r.status_code in (400, 422), repr(bad)  # a NUL is refused by the app before any view
    db.session.expire_all()
    reg = numbering.register_of(forum)
    assert (reg.prefix, list(reg.languages), reg.ceremony_at) == before
    r = post(_base(forum) + "/settings", _settings(ceremony_place="Hall\x07 A\x1b"))
    assert r.status_code == 302
    db.session.expire_all()
    assert numbering.register_of(forum).ceremony_place == "Hall A"
