"""The contact card on /b/<token>, its save form (POST /b/<token>/contact) and "My contacts" with its exports:
who sees and does what, checked on the server, with CSRF on."""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
import vobject

from forum.contacts import services
from forum.contacts.models import Contact
from forum.forums import cancellation
from forum.teams.models import Permission
from tests import factories as f
from tests.conftest import CSRF_RE
from tests.contacts.helpers import JA, UZ, badge_of, delegate


@pytest.fixture()
def uktam(forum):
    """A delegate whose company did not consent to the directory."""
    return delegate(forum, UZ, consent=False)


def _main(r) -> str:
    html = r.get_data(as_text=True)
    return html[html.index('<main id="main"'):html.index("</main>")]


def _csrf(client, url: str = "/") -> str:
    m = CSRF_RE.search(client.get(url).get_data(as_text=True))
    return m.group(1) or m.group(2)


def _rows(db) -> list[Contact]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Contact).order_by(Contact.id)))


def _save(client, badge, note, **kw):
    return client.post(f"/b/{badge.token}/contact", data={"csrf_token": _csrf(client), "note": note, **kw})


# --- the card ---------------------------------------------------------------------------------------------

def test_a_delegate_sees_the_card_and_saves_then_updates_the_note(client, db, login, forum, me, aliya):
    f.profile(aliya.company, offers="Rail freight Astana–Tokyo", seeks="Forwarders", sectors=["energy"])
    badge = badge_of(aliya)
    login(me.user)
    main = _main(client.get(f"/b/{badge.token}"))
    for shown in ("Әлия Нұрланқызы", "Aliya NURLANKYZY", "Басқарушы директор", "«Қазақстан Темір Жолы»",
                  "Kazakhstan Temir Zholy National Company JSC", "Kazakhstan", "Rail freight Astana–Tokyo",
                  "Forwarders", "Energy, oil and gas", "Save contact", 'name="note"'):
        assert shown in main, shown
    assert "aliya@example.kz" not in main and "Saved on" not in main

    r = _save(client, badge, "Стенд 12; позвонить, в мае")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/b/{badge.token}")
    main = _main(client.get(r.headers["Location"]))
    assert "Saved in your contacts." in main and "Saved on" in main
    assert "Стенд 12; позвонить, в мае</textarea>" in main  # the form now updates the note

    r = _save(client, badge, "Second talk")  # scanning again
    assert r.status_code == 303
    assert "The note is updated." in _main(client.get(r.headers["Location"]))
    assert [(c.owner_id, c.person_id, c.note) for c in _rows(db)] == [(me.id, aliya.id, "Second talk")]


def test_the_country_is_named_in_the_readers_language(client, db, login, me, aliya):
    login(me.user)
    with client.session_transaction() as s:
        s["lang"] = "ru"
    main = _main(client.get(f"/b/{badge_of(aliya).token}", headers={"Accept-Language": "ru"}))
    assert "Казахстан" in main


def test_a_note_too_long_is_refused_next_to_the_field_and_kept(client, db, login, me, aliya):
    login(me.user)
    note = "Қ" * 501
    r = _save(client, badge_of(aliya), note)
    assert r.status_code == 422
    main = _main(r)
    assert "At most 500 characters" in main and 'aria-invalid="true"' in main
    assert f"{note}</textarea>" in main
    assert _rows(db) == []


def test_a_delegate_who_did_not_consent_shows_nothing_but_valid_badge(client, db, login, me, uktam):
    login(me.user)
    badge = badge_of(uktam)
    main = _main(client.get(f"/b/{badge.token}"))
    assert "Valid badge" in main
    for hidden in ("Oʻktam", "Uktam", "GULOMOV", "Oʻzbekiston", "Uzbek-Japanese", "Uzbekistan", "Bosh muhandis",
                   'name="note"', "Save contact"):
        assert hidden not in main, hidden
    assert _save(client, badge, "x").status_code == 403
    assert _rows(db) == []


def test_own_badge_says_so_without_a_form(client, db, login, me):
    login(me.user)
    main = _main(client.get(f"/b/{badge_of(me).token}"))
    assert "This is your badge." in main and 'name="note"' not in main
    assert _save(client, badge_of(me), "x").status_code == 403
    assert _rows(db) == []


@pytest.mark.parametrize("who", ["anonymous", "account with nothing", "pending delegate", "other forum's delegate"])
def test_others_see_what_they_saw_before_and_cannot_save(client, db, login, forum, aliya, who):
    if who != "anonymous":
        login({"account with nothing": lambda: f.user(),
               "pending delegate": lambda: f.registration_(forum).user,
               "other forum's delegate": lambda: delegate(f.forum(), dict(JA, email="x@example.jp")).user}[who]())
    badge = badge_of(aliya)
    main = _main(client.get(f"/b/{badge.token}"))
    assert "Valid badge" in main and "Әлия Нұрланқызы" in main and "«Қазақстан Темір Жолы»" in main
    for hidden in ("Басқарушы директор", 'name="note"', "Save contact", "This is your badge"):
        assert hidden not in main, hidden
    r = _save(client, badge, "x")
    if who == "anonymous":
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    else:
        assert r.status_code == 403
    assert _rows(db) == []


def test_staff_with_the_check_in_permission_still_get_the_check_in_view(client, db, login, forum, me, aliya):
    staff = f.member(forum, Permission.CHECKIN)
    login(staff)
    main = _main(client.get(f"/b/{badge_of(aliya).token}"))
    assert 'id="check-in"' in main and 'name="note"' not in main
    # ... even a delegate of the forum who is also on its door team
    from forum.teams import services as teams

    teams.grant(forum, me.user, [Permission.CHECKIN], by=None)
    login(me.user)
    main = _main(client.get(f"/b/{badge_of(aliya).token}"))
    assert 'id="check-in"' in main and 'name="note"' not in main


def test_saving_without_the_csrf_token_is_refused(client, db, login, me, aliya):
    login(me.user)
    r = client.post(f"/b/{badge_of(aliya).token}/contact", data={"note": "x"})
    assert r.status_code == 400
    assert _rows(db) == []


def test_saving_from_a_forged_or_revoked_badge_is_a_404(client, db, login, me, aliya):
    from forum.badges import issuing

    login(me.user)
    badge = badge_of(aliya)
    token = badge.token
    assert client.post("/b/NOTATOKEN/contact", data={"csrf_token": _csrf(client), "note": ""}).status_code == 404
    issuing.revoke(badge, by=f.organizer(), reason="Lost")
    assert client.post(f"/b/{token}/contact", data={"csrf_token": _csrf(client), "note": ""}).status_code == 404
    assert _rows(db) == []


def test_a_cancelled_forum_saves_nothing_new(client, db, login, forum, me, aliya):
    badge = badge_of(aliya)
    cancellation.cancel(forum, reason="Venue closed", confirmed=True, by=f.organizer())
    login(me.user)
    assert _save(client, badge, "x").status_code == 404  # the badge is no longer valid
    assert _rows(db) == []


# --- My contacts --------------------------------------------------------------------------------------------

@pytest.fixture()
def saved(db, me, aliya, forum):
    kz, _ = services.save(me, badge_of(aliya), "Стенд 12")
    uz = delegate(forum, dict(UZ, email="uz2@example.uz"))
    uzc, _ = services.save(me, badge_of(uz), "Qoʻshma korxona, rail")
    kz.created_at, uzc.created_at = f.utc(2027, 5, 20, 4, 0), f.utc(2027, 5, 20, 5, 30)
    db.session.flush()
    return aliya, uz


def test_my_contacts_lists_newest_first_with_forum_time_and_searches_in_any_script(client, db, login, me, saved):
    aliya, uz = saved
    login(me.user)
    r = client.get("/forums/astana/contacts")
    assert r.status_code == 200
    main = _main(r)
    assert main.index("Oʻktam Gʻulomov") < main.index("Әлия Нұрланқызы")
    assert "20 May 2027, 10:30 (Astana, UTC+05:00)" in main  # 05:30 UTC in forum time
    for shown in ("Uktam GULOMOV", "Aliya NURLANKYZY", "Басқарушы директор", "Kazakhstan", "Стенд 12",
                  "Qoʻshma korxona, rail"):
        assert shown in main, shown
    by_name = _main(client.get("/forums/astana/contacts?sort=name"))
    assert by_name.index("Әлия Нұрланқызы") < by_name.index("Oʻktam Gʻulomov")
    found = _main(client.get("/forums/astana/contacts", query_string={"q": "казакстан"}))
    assert "Әлия Нұрланқызы" in found and "Oʻktam" not in found
    found = _main(client.get("/forums/astana/contacts", query_string={"q": "qoshma"}))
    assert "Oʻktam Gʻulomov" in found and "Әлия" not in found
    assert "No contact matches" in _main(client.get("/forums/astana/contacts?q=aliya%40example"))


def test_my_contacts_is_paginated_by_50(client, db, login, forum, me):
    people = [p for _ in range(11) for p in f.participant_company(forum, 5)][:51]
    for p in people:
        services.save(me, badge_of(p), "")
    login(me.user)
    first = _main(client.get("/forums/astana/contacts"))
    second = _main(client.get("/forums/astana/contacts?page=2"))
    assert first.count('class="card mb-2 contact') == 50 and second.count('class="card mb-2 contact') == 1
    assert client.get("/forums/astana/contacts?page=99999999999999999999").status_code == 404


def test_my_contacts_takes_as_many_queries_for_20_contacts_as_for_1(client, db, login, forum, me):
    from tests.test_query_counts import statements_for

    people = [p for _ in range(4) for p in f.participant_company(forum, 5)]
    services.save(me, badge_of(people[0]), "")
    login(me.user)
    counts = []
    for n in (1, 20):
        for p in people[1:n]:
            services.save(me, badge_of(p), "")
        counts.append(statements_for(client, "/forums/astana/contacts?q=test"))
        counts.append(statements_for(client, "/forums/astana/contacts"))
    assert counts[:2] == counts[2:]


def test_permissions_of_my_contacts(client, db, login, forum, me, saved):
    assert "/login" in client.get("/forums/astana/contacts").headers["Location"]
    assert client.get("/forums/astana/contacts/export.vcf").status_code == 302
    for user in (f.user(), f.registration_(forum).user, f.member(forum, Permission.MANAGE)):
        login(user)
        for url in ("/forums/astana/contacts", "/forums/astana/contacts/export.vcf",
                    "/forums/astana/contacts/export.csv", f"/forums/astana/contacts/{saved[0].public_id}/note"):
            assert client.get(url).status_code == 404, url
    login(me.user)
    assert client.get("/forums/nowhere/contacts").status_code == 404


def test_another_owners_contact_is_never_reachable(client, db, login, forum, me, saved):
    aliya, _uz = saved
    other = delegate(forum, dict(JA, email="other@example.jp"))
    services.save(other, badge_of(aliya), "theirs")
    login(other.user)
    # the other owner's own list shows only their note
    main = _main(client.get("/forums/astana/contacts"))
    assert "theirs" in main and "Стенд 12" not in main
    # a person in my list but not in theirs: 404 for the note and the removal
    uz_pid = saved[1].public_id
    assert client.get(f"/forums/astana/contacts/{uz_pid}/note").status_code == 404
    token = _csrf(client)
    assert client.post(f"/forums/astana/contacts/{uz_pid}/note", data={"csrf_token": token, "note": "x"}).status_code == 404
    assert client.post(f"/forums/astana/contacts/{uz_pid}/remove", data={"csrf_token": token}).status_code == 404
    assert client.get("/forums/astana/contacts/00000000-0000-4000-8000-000000000000/note").status_code == 404
    assert sorted(c.note for c in _rows(db)) == sorted(["Стенд 12", "Qoʻshma korxona, rail", "theirs"])


def test_edit_the_note(client, db, login, me, saved):
    aliya, _ = saved
    login(me.user)
    url = f"/forums/astana/contacts/{aliya.public_id}/note"
    assert "Стенд 12</textarea>" in _main(client.get(url))
    r = client.post(url, data={"csrf_token": _csrf(client, url), "note": "Стенд 14\r\nпозвонить"})
    assert r.status_code == 303
    assert [c.note for c in _rows(db) if c.person_id == aliya.id] == ["Стенд 14\nпозвонить"]
    r = client.post(url, data={"csrf_token": _csrf(client, url), "note": "x" * 501})
    assert r.status_code == 422 and "At most 500 characters" in _main(r) and "x" * 501 in _main(r)
    assert client.post(url, data={"note": "no token"}).status_code == 400
    assert [c.note for c in _rows(db) if c.person_id == aliya.id] == ["Стенд 14\nпозвонить"]


def test_remove_asks_first(client, db, login, me, saved):
    aliya, _ = saved
    login(me.user)
    url = f"/forums/astana/contacts/{aliya.public_id}/remove"
    main = _main(client.get(url))
    assert "Remove Әлия Нұрланқызы from your contacts?" in main and len(_rows(db)) == 2  # GET removes nothing
    assert client.post(url, data={}).status_code == 400  # no CSRF token
    assert len(_rows(db)) == 2
    r = client.post(url, data={"csrf_token": _csrf(client, url)})
    assert r.status_code == 303
    assert [c.person_id for c in _rows(db)] == [saved[1].id]


def test_my_contacts_stays_readable_after_the_forum_is_cancelled(client, db, login, forum, me, saved):
    cancellation.cancel(forum, reason="Venue closed", confirmed=True, by=f.organizer())
    login(me.user)
    main = _main(client.get("/forums/astana/contacts"))
    assert "Әлия Нұрланқызы" in main and "not save new ones" in main
    assert client.get("/forums/astana/contacts/export.vcf").status_code == 200


# --- exports ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["3", "4"])
def test_the_vcard_download(client, db, login, me, saved, version):
    login(me.user)
    r = client.get(f"/forums/astana/contacts/export.vcf?version={version}")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/vcard; charset=utf-8"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and ".vcf\"" in disposition
    assert re.search(r'filename="[\x20-\x7e]+\.vcf"', disposition)
    star = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert star and unquote(star.group(1)) == "Contacts – Central Asia + Japan Business Forum.vcf"
    assert "no-store" in r.headers["Cache-Control"]
    cards = list(vobject.readComponents(r.get_data(as_text=True)))
    assert [c.version.value for c in cards] == [f"{version}.0"] * 2
    assert [c.contents["fn"][0].value for c in cards] == ["Oʻktam Gʻulomov", "Әлия Нұрланқызы"]
    assert cards[1].note.value == "Стенд 12" and cards[0].note.value == "Qoʻshma korxona, rail"
    assert cards[1].contents["x-phonetic-last-name"][0].value == "NURLANKYZY"
    assert "aliya@example.kz" not in r.get_data(as_text=True)


def test_a_vcard_version_we_do_not_write_is_a_bad_request(client, db, login, me, saved):
    login(me.user)
    assert client.get("/forums/astana/contacts/export.vcf?version=2").status_code == 400


def test_the_csv_download(client, db, login, forum, me):
    hostile = delegate(forum, dict(UZ, full_name="=HYPERLINK(\"http://evil\")", latin_name="+CMD Calc",
                                   legal_name="@SUM(A1)", name_en="-2+3", email="h@example.uz"))
    services.save(me, badge_of(hostile), "=1+1")
    login(me.user)
    r = client.get("/forums/astana/contacts/export.csv")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["Content-Disposition"]
    data = r.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert rows[0][:2] == ["Name", "Name (Latin)"] and rows[0][7] == "Saved (Asia/Almaty)"
    assert rows[1][:5] == ["'=HYPERLINK(\"http://evil\")", "'+CMD Calc", "Bosh muhandis", "'@SUM(A1)", "'-2+3"]
    assert rows[1][5] == "Uzbekistan" and rows[1][6] == "'=1+1"


def test_hostile_notes_never_give_a_500_nor_half_save(client, db, login, me, aliya):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    badge = badge_of(aliya)
    token = badge.token
    login(me.user)
    csrf = _csrf(client)

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(note=st.one_of(st.text(max_size=700), st.sampled_from(["\x00", "a\x00b", "x" * 5000, "=1+1"]),
                          st.lists(st.text(max_size=5), min_size=2, max_size=3)))
    def check(note):
        r = client.post(f"/b/{token}/contact", data={"csrf_token": csrf, "note": note})
        assert r.status_code in (303, 422, 400), r.status_code
        rows = _rows(db)
        assert len(rows) <= 1
        if r.status_code != 303 and rows:
            assert rows[0].note != note or len(note) <= 500

    check()
