"""The agenda PDFs over HTTP: a delegate downloads only their own agenda; organizers with the B2B permission list
who has meetings and download any agenda, table sign, interpreter sheet or the bundle of their forum, and
nothing of another forum."""
from __future__ import annotations

import pytest

from forum.teams.models import Permission
from tests import factories as f
from tests.agendas.test_pdf import assert_prints, world
from tests.badges.pdfcheck import texts


@pytest.fixture()
def w(app, db):
    with app.test_request_context("/"):
        data = world()
        data.other = world()  # a second forum, the same people's names, its own ids
        data.b2b = f.member(data.forum, Permission.B2B)
        data.reviewer = f.member(data.forum, Permission.REVIEW)
        data.other_b2b = f.member(data.other.forum, Permission.B2B)
    db.session.commit()
    return data


def pdf_text(r) -> str:
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "application/pdf" and r.headers["Content-Disposition"].startswith("attachment;")
    assert int(r.headers["Content-Length"]) == len(r.data)
    assert "no-store" in r.headers["Cache-Control"]
    return " ".join(assert_prints(r.data))


def base(w) -> str:
    return f"/manage/{w.forum.slug}/b2b/agendas"


def test_a_delegate_downloads_their_own_agenda_only(client, login, w):
    login(w.tanaka.user)
    r = client.get(f"/forums/{w.forum.slug}/b2b/agenda/agenda.pdf")
    text = pdf_text(r)
    assert "田中 健一" in text and "Әлия Нұрланқызы" in text and "Oʻtkir Gʻaniyev" in text
    assert "09:40–10:00" not in text  # otkir–aliya is theirs, not his
    assert 'filename="' in r.headers["Content-Disposition"] and "TANAKA" in r.headers["Content-Disposition"]
    # Aliya gets hers, with otkir's meeting and without tanaka–otkir.
    login(w.aliya.user)
    text = pdf_text(client.get(f"/forums/{w.forum.slug}/b2b/agenda/agenda.pdf"))
    assert text.split(" · B2B meetings agenda ")[1].startswith("Әлия Нұрланқызы")
    assert "09:40–10:00" in text and "09:20–09:40" not in text


def test_the_agenda_pdf_is_for_delegates_of_that_forum(client, login, w):
    url = f"/forums/{w.forum.slug}/b2b/agenda/agenda.pdf"
    r = client.get(url)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login(w.other.tanaka.user)  # a delegate of the other forum
    assert client.get(url).status_code == 404
    login(w.b2b)  # an organizer is no delegate
    assert client.get(url).status_code == 404
    assert client.get("/forums/no-such-forum/b2b/agenda/agenda.pdf").status_code == 404


def test_the_index_lists_delegates_with_meetings_tables_and_interpreters_with_links(client, login, w):
    login(w.b2b)
    r = client.get(base(w) + "/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for expected in ("田中 健一", "Әлия Нұрланқызы", "Oʻtkir Gʻaniyev", "Table 12", "Hall B, by the window", "Table 3",
                     "Сәуле Жұмабекова", f"{base(w)}/delegates/{w.tanaka.public_id}.pdf", f"{base(w)}/tables/12.pdf",
                     f"{base(w)}/interpreters/{w.interpreter.id}.pdf", f"{base(w)}/bundle.pdf"):
        assert expected in html, expected
    assert "Берік Сейітов" not in html  # no meetings
    assert html.count('class="agenda-delegate"') == 3


@pytest.mark.parametrize("q, found", [("Әлия", ["Әлия Нұрланқызы"]), ("алия", ["Әлия Нұрланқызы"]),
                                      ("otkir", ["Oʻtkir Gʻaniyev"]), ("田中健一", ["田中 健一"]),
                                      ("tanaka", ["田中 健一"]), ("nobody", [])])
def test_the_index_searches_names_in_any_script(client, login, w, q, found):
    login(w.b2b)
    html = client.get(base(w) + "/", query_string={"q": q}).get_data(as_text=True)
    rows = html.count('class="agenda-delegate"')
    assert rows == len(found) and all(name in html for name in found)


def test_the_index_runs_as_many_statements_for_one_delegate_as_for_twenty(client, login, app, db):
    from tests.test_query_counts import statements_for

    def forum_with(n: int):
        forum = f.forum()
        s = f.session(forum, "2027-05-20 09:00", "2027-05-20 12:00")
        people = [f.participant(forum) for _ in range(n + 1)]
        for i in range(n):
            f.meeting(people[i], people[i + 1], s.slots[i % 2], f.table(forum, i + 1),
                      interpreter=f.interpreter(forum, ["ja", "ru"]))
        return forum

    with app.test_request_context("/"):
        small, large = forum_with(1), forum_with(20)
        user = f.organizer()
    login(user)
    counts = [statements_for(client, f"/manage/{x.slug}/b2b/agendas/") for x in (small, large)]
    assert counts[0] == counts[1]


def test_organizers_download_each_pdf_of_their_forum(client, login, w):
    login(w.b2b)
    text = pdf_text(client.get(f"{base(w)}/delegates/{w.aliya.public_id}.pdf"))
    assert "Әлия Нұрланқызы" in text and "田中 健一" in text and "Oʻtkir Gʻaniyev" in text
    text = pdf_text(client.get(f"{base(w)}/delegates/{w.idle.public_id}.pdf"))
    assert "No meetings on this agenda." in text
    r = client.get(f"{base(w)}/tables/12.pdf")
    text = pdf_text(r)
    assert "Table host: scan to confirm meetings as held" in text and "Hall B, by the window" in text
    assert f'filename="{w.forum.slug}-table-12.pdf"' in r.headers["Content-Disposition"]
    r = client.get(f"{base(w)}/interpreters/{w.interpreter.id}.pdf")
    text = pdf_text(r)
    assert "Сәуле Жұмабекова" in text and "Japanese / Kazakh" in text
    # A Cyrillic name: an ASCII file name, and the real one in filename*.
    disposition = r.headers["Content-Disposition"]
    assert disposition.isascii() and "filename*=UTF-8''" in disposition
    text = pdf_text(client.get(f"{base(w)}/bundle.pdf"))
    for name in ("田中 健一", "Әлия Нұрланқызы", "Oʻtkir Gʻaniyev", "Table 12", "Table 3", "Сәуле Жұмабекова"):
        assert name in text


def test_the_bundle_streams_every_page_with_text(client, login, w):
    login(w.b2b)
    r = client.get(f"{base(w)}/bundle.pdf", buffered=False)
    assert r.is_streamed
    data = b"".join(r.response)
    r.close()
    assert len(texts(data)) == 6 and all(t.strip() for t in texts(data))


def test_nothing_of_another_forum_and_nothing_without_the_b2b_permission(client, login, w):
    other = w.other
    login(w.b2b)
    for url in (f"{base(w)}/delegates/{other.tanaka.public_id}.pdf", f"{base(w)}/delegates/not-an-id.pdf",
                f"{base(w)}/interpreters/{other.interpreter.id}.pdf", f"{base(w)}/tables/99.pdf",
                f"{base(w)}/tables/99999999999999999999.pdf", f"{base(w)}/interpreters/99999999999999999999.pdf"):
        assert client.get(url).status_code == 404, url
    # The other forum's organizer: refused on this forum, 404 for this forum's things under their own slug.
    login(w.other_b2b)
    assert client.get(f"{base(w)}/delegates/{w.tanaka.public_id}.pdf").status_code == 403
    assert client.get(f"{base(w)}/bundle.pdf").status_code == 403
    theirs = f"/manage/{other.forum.slug}/b2b/agendas"
    assert client.get(f"{theirs}/delegates/{w.tanaka.public_id}.pdf").status_code == 404
    assert client.get(f"{theirs}/interpreters/{w.interpreter.id}.pdf").status_code == 404
    assert "Oʻtkir Gʻaniyev" in pdf_text(client.get(f"{theirs}/tables/12.pdf"))  # their own table 12
    # A delegate, or a team member without B2B: 403, even for their own registration's agenda here.
    for user in (w.tanaka.user, w.reviewer):
        login(user)
        for url in (f"{base(w)}/", f"{base(w)}/delegates/{w.tanaka.public_id}.pdf", f"{base(w)}/tables/12.pdf",
                    f"{base(w)}/interpreters/{w.interpreter.id}.pdf", f"{base(w)}/bundle.pdf"):
            assert client.get(url).status_code == 403, url
