"""The agenda PDFs (forum.agendas.pdf): every script prints and is read back out of every page, times in the
forum's zone with the zone named once a page, the table sign's QR code decodes to the table's URL, long names
stay inside their column, and the help desk's bundle holds every delegate, table and interpreter."""
from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from forum.agendas import pdf, pdf_layout
from forum.attendance.tokens import table_url
from tests import factories as f
from tests.badges.pdfcheck import fonts, images, qr_codes, texts

ZONE = "Asia/Almaty"


def world(tz: str = ZONE) -> SimpleNamespace:
    """A forum with a Japanese, a Kazakh and an Uzbek delegate, two tables, an interpreter and three meetings:
    tanaka–aliya at 09:00 (table 12, interpreted), tanaka–otkir at 09:20 (table 3), otkir–aliya at 09:40
    (table 12). A fourth delegate has no meeting."""
    forum = f.forum(tz=tz)
    tanaka = f.participant(forum, full_name="田中 健一", latin_name="TANAKA Kenichi", legal_name="株式会社さくら精機",
                           name_en="Sakura Seiki Co., Ltd.", country="JP", languages=["ja", "en"])
    aliya = f.participant(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy",
                          legal_name="«Қазақ Астық» ЖШС", name_en="Kazakh Astyk LLP", country="KZ",
                          languages=["kk", "ru"])
    otkir = f.participant(forum, full_name="Oʻtkir Gʻaniyev", latin_name="Oʻtkir Gʻaniyev",
                          legal_name="Oʻzbekiston Toʻqimachilik MChJ", name_en="Uzbek Textile LLC", country="UZ",
                          languages=["uz", "ru"])
    idle = f.participant(forum, full_name="Берік Сейітов", latin_name="Berik Seitov", country="KZ")
    s = f.session(forum, "2027-05-20 09:00", "2027-05-20 12:00", slot_minutes=20)
    t12 = f.table(forum, 12, label="Hall B, by the window")
    t3 = f.table(forum, 3)
    interpreter = f.interpreter(forum, ["ja", "kk"], name="Сәуле Жұмабекова")
    m1 = f.meeting(tanaka, aliya, s.slots[0], t12, interpreter=interpreter)
    m2 = f.meeting(tanaka, otkir, s.slots[1], t3)
    m3 = f.meeting(otkir, aliya, s.slots[2], t12)
    return SimpleNamespace(forum=forum, tanaka=tanaka, aliya=aliya, otkir=otkir, idle=idle, session=s, t12=t12,
                           t3=t3, interpreter=interpreter, meetings=[m1, m2, m3])


@pytest.fixture()
def w(app, db):
    with app.test_request_context("/"):
        yield world()


def draw(fn, *args, **kw) -> bytes:
    out = io.BytesIO()
    fn(*args, out, **kw)
    return out.getvalue()


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_prints(data: bytes) -> list[str]:
    """Every page has text, and the only font is the embedded VL PGothic (no Helvetica to miss glyphs)."""
    pages = texts(data)
    assert pages and all(p.strip() for p in pages)
    used = fonts(data)
    assert used and all(x["embedded"] and "VL-PGothic" in x["name"] for x in used), used
    return [flat(p) for p in pages]


def test_a_delegates_agenda_prints_both_scripts_counterparts_tables_and_forum_local_times(w):
    pages = assert_prints(draw(pdf.delegate_agenda, w.tanaka))
    assert len(pages) == 1
    text = pages[0]
    for expected in ("Central Asia + Japan Business Forum", "田中 健一", "TANAKA Kenichi", "株式会社さくら精機",
                     "Sakura Seiki Co., Ltd.",
                     "Әлия Нұрланқызы", "Aliya Nurlankyzy", "«Қазақ Астық» ЖШС", "Kazakh Astyk LLP", "Kazakhstan",
                     "Oʻtkir Gʻaniyev", "Oʻzbekiston Toʻqimachilik MChJ", "Uzbek Textile LLC", "Uzbekistan",
                     "Thursday, 20 May 2027", "09:00–09:20", "09:20–09:40", "Table 12", "Hall B, by", "Table 3",
                     "Сәуле Жұмабекова"):
        assert expected in text, expected
    assert text.count(ZONE) == 1  # the zone named once on the page, not on every row
    assert "09:40–10:00" not in text  # otkir–aliya is not tanaka's meeting
    assert text.index("09:00–09:20") < text.index("Әлия Нұрланқызы") < text.index("09:20–09:40") \
        < text.index("Oʻtkir Gʻaniyev")


def test_times_are_the_forums_wall_clock_whatever_the_zone(app, db):
    with app.test_request_context("/"):
        tokyo = world(tz="Asia/Tokyo")
        text = assert_prints(draw(pdf.delegate_agenda, tokyo.aliya))[0]
    assert "09:00–09:20" in text and "09:40–10:00" in text and "Asia/Tokyo" in text and "UTC+09:00" in text
    assert tokyo.session.slots[0].starts_at.hour == 0  # 09:00 in Tokyo is midnight UTC: not what is printed
    assert "00:00" not in text


def test_an_agenda_without_meetings_says_so(w):
    text = assert_prints(draw(pdf.delegate_agenda, w.idle))[0]
    assert "Берік Сейітов" in text and "Berik Seitov" in text and "No meetings on this agenda." in text


def test_cancelled_meetings_are_left_out_no_shows_and_held_ones_are_marked(w, db):
    from forum import clock
    from forum.meetings.models import HeldVia, MeetingState

    m1, m2, m3 = w.meetings
    m1.held_at, m1.held_via = clock.now(), HeldVia.SCAN
    m2.state, m2.no_show_at = MeetingState.NO_SHOW, clock.now()
    m3.state = MeetingState.CANCELLED
    db.session.flush()
    text = assert_prints(draw(pdf.delegate_agenda, w.tanaka))[0]
    assert "Held" in text and "No-show" in text
    text = assert_prints(draw(pdf.delegate_agenda, w.otkir))[0]
    assert "09:40–10:00" not in text and "No-show" in text


def test_the_table_sign_has_its_number_label_meetings_and_a_qr_code_of_the_table_url(w):
    data = draw(pdf.table_sign, w.t12)
    text = assert_prints(data)[0]
    for expected in ("Table", "12", "Hall B, by the window", "Table host: scan to confirm meetings as held",
                     "09:00–09:20", "田中 健一", "株式会社さくら精機", "Әлия Нұрланқызы", "Сәуле Жұмабекова",
                     "09:40–10:00", "Oʻtkir Gʻaniyev", "Uzbek Textile LLC"):
        assert expected in text, expected
    assert "09:20–09:40" not in text and text.count(ZONE) == 1
    found = qr_codes(images(data)[0])
    assert [q.text for q in found] == [table_url(w.t12)]
    assert found[0].width_mm > 35  # read from across the table
    assert "/b2b/table/" in found[0].text


def test_a_long_table_sign_continues_on_pages_that_each_name_the_zone_once(w):
    friday = f.session(w.forum, "2027-05-21 09:00", "2027-05-21 12:00", slot_minutes=20)
    slots = w.session.slots[3:] + friday.slots
    people = [f.participant(w.forum, full_name=f"Дәулет Құрманғазы {i}", latin_name=f"Daulet Kurmangazy {i}")
              for i in range(2 * len(slots))]
    for i, slot in enumerate(slots):
        f.meeting(people[2 * i], people[2 * i + 1], slot, w.t12)
    data = draw(pdf.table_sign, w.t12)
    pages = assert_prints(data)
    assert len(pages) >= 2
    assert all(p.count(ZONE) == 1 for p in pages)
    assert all("Table 12 (continued)" in p for p in pages[1:])
    joined = " ".join(pages)
    assert all(f"Дәулет Құрманғазы {i} Daulet Kurmangazy {i} " in joined for i in range(len(people)))
    assert "Thursday, 20 May 2027" in joined and "Friday, 21 May 2027" in joined
    assert len(qr_codes(images(data)[0])) == 1


def test_the_interpreter_sheet_lists_time_table_both_sides_and_their_languages(w):
    text = assert_prints(draw(pdf.interpreter_sheet, w.interpreter))[0]
    for expected in ("Сәуле Жұмабекова", "Japanese / Kazakh", "09:00–09:20", "Table 12", "田中 健一",
                     "Japanese / English", "Әлия Нұрланқызы", "Kazakh / Russian"):
        assert expected in text, expected
    assert "Oʻtkir" not in text  # not interpreted


def test_the_bundle_has_every_delegate_by_latin_name_then_every_table_then_every_interpreter(w):
    data = draw(pdf.bundle, w.forum)
    pages = assert_prints(data)
    assert len(pages) == 3 + 2 + 1
    firsts = [p.split(" · B2B meetings agenda ")[1][:20] for p in pages[:3]]
    assert [x.split()[0] for x in firsts] == ["Әлия", "Oʻtkir", "田中"]  # Aliya, Oʻtkir, TANAKA
    assert "Table 3" in pages[3] and "Table 12" in pages[4]
    assert "Сәуле Жұмабекова" in pages[5] and "Japanese / Kazakh" in pages[5]
    assert not any("Берік" in p for p in pages)  # no meetings: no agenda
    assert [f"Page {i}" in p for i, p in enumerate(pages, 1)] == [True] * 6
    assert len([q for img in images(data) for q in qr_codes(img)]) == 2  # the two signs


def test_the_bundle_in_batches_of_one_is_the_same_document(w):
    assert texts(draw(pdf.bundle, w.forum, batch=1)) == texts(draw(pdf.bundle, w.forum))


def test_a_forum_without_anything_still_gives_a_valid_bundle(app, db):
    with app.test_request_context("/"):
        data = draw(pdf.bundle, f.forum())
    assert len(texts(data)) == 1


def test_long_names_shrink_and_wrap_inside_their_column_and_are_printed_whole(w, db):
    long_name = "Дінмұхамед Құдайбергенов-Иманғалиев Сәрсенбайұлы Нұрпейісов-Жақыпбеков"
    long_company = "Oʻzbekiston Respublikasi Toʻqimachilik va Tikuvchilik Sanoati Korxonalari Uyushmasi Xalqaro Savdo"
    w.aliya.full_name = long_name
    w.aliya.company.legal_name = long_company
    db.session.flush()
    text = assert_prints(draw(pdf.delegate_agenda, w.tanaka))[0]
    for word in (long_name + " " + long_company).split():
        assert word in text, word
    # Every line the layout places is at most its column's width.
    section = pdf.delegate_section(w.forum, w.tanaka, pdf.queries.agenda_of(w.tanaka))
    for row in section.rows:
        blocks, _height = pdf_layout._row_blocks(section, row, 500)
        assert blocks and all(b.widest() <= b.width + 1e-6 for b in blocks)
        assert all(b.x + b.width <= pdf_layout.PAGE[0] - pdf_layout.MARGIN + 1e-6 for b in blocks)


def test_a_name_the_font_cannot_draw_prints_in_latin_letters_and_nothing_crashes(w, db):
    w.aliya.full_name = "김민준"  # Hangul: not in the font
    w.aliya.latin_name = "Kim Minjun"
    w.aliya.company.legal_name = "Ａｌｉｙａ 🚀 Trading\u200b\x07"
    w.interpreter.name = "Интерпретатор\u200b\x07"
    db.session.flush()
    text = assert_prints(draw(pdf.delegate_agenda, w.tanaka))[0]
    assert "Kim Minjun" in text and "김" not in text and "Интерпретатор" in text
    # A company name with a character the font lacks is printed by its Latin name, as on the badges.
    assert "Kazakh Astyk LLP" in text and "Trading" not in text


def test_a_delegates_agenda_names_the_forum_in_the_readers_language(app, db):
    from flask_babel import force_locale

    from forum.forums.models import ForumText

    with app.test_request_context("/"):
        w = world()
        w.forum.texts.append(ForumText(language="ru", title="Бизнес-форум Центральная Азия + Япония"))
        db.session.flush()
        with force_locale("kk"):
            [page] = assert_prints(draw(pdf.delegate_agenda, w.aliya))
        assert "Бизнес-форум Центральная Азия + Япония" in page and "Central Asia + Japan" not in page
        with force_locale("ja"):
            [page] = assert_prints(draw(pdf.delegate_agenda, w.tanaka))
        assert "Central Asia + Japan Business Forum" in page and "Бизнес-форум" not in page
