"""A forum's texts in several languages (issue 13 §2): the fallback order, the public page in each language,
the e-mails in the recipient's language, and the organizer's form that fills them."""
from __future__ import annotations

import re
import threading
import unicodedata

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext

from forum.audit.models import AuditEntry
from forum.errors import NotAllowed
from forum.forums import content
from forum.forums.models import Forum, ForumText
from forum.forums.services import ForumFormError, input_of, save_forum
from forum.notifications.models import OutboxMessage
from forum.registration import states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f

TITLES = {"en": "Japan Business Forum", "ja": "日本ビジネスフォーラム", "ru": "Японский бизнес-форум",
          "kk": "Жапон бизнес форумы", "uz": "Yaponiya biznes forumi"}


def _texts(forum: Forum, **by_lang: dict[str, str]) -> Forum:
    """Give the forum texts: en=... sets its columns, other languages get ForumText rows."""
    for lang, fields in by_lang.items():
        if lang == "en":
            for k, v in fields.items():
                setattr(forum, k, v)
        else:
            forum.texts.append(ForumText(language=lang, **fields))
    f.db.session.flush()
    return forum


# --- the fallback order ------------------------------------------------------------------------------------

@pytest.mark.parametrize("reader, filled, shown", [
    ("kk", "kk ru en", "kk"), ("kk", "ru en", "ru"), ("kk", "en", "en"), ("kk", "ja", "ja"),
    ("kk", "ja en", "en"), ("kk", "uz en", "en"), ("kk", "ja uz", "ja"),
    ("uz", "uz ru en", "uz"), ("uz", "ru en", "ru"), ("uz", "en", "en"), ("uz", "kk en", "en"),
    ("ja", "ja ru en", "ja"), ("ja", "ru en", "en"), ("ja", "ru", "ru"), ("ja", "kk ru", "ru"),
    ("ru", "ru en", "ru"), ("ru", "ja en", "en"), ("ru", "kk uz en", "en"), ("ru", "uz", "uz"),
    ("en", "en ru", "en"), ("en", "ru", "ru"), ("en", "ja kk", "ja"),
])
def test_the_fallback_order(app, reader, filled, shown):
    texts = {lang: TITLES[lang] for lang in filled.split()}
    assert content.pick(texts, reader) == TITLES[shown]
    assert content.picked_language(texts, reader) == shown


def test_blank_and_spaces_are_not_filled_and_nothing_filled_is_empty(app):
    assert content.pick({"kk": "   ", "ru": "", "en": "Forum"}, "kk") == "Forum"
    assert content.pick({}, "kk") == "" and content.picked_language({"en": " "}, "en") is None


def test_an_english_reader_with_only_a_russian_description_sees_it(db):
    forum = _texts(f.forum(), ru={"description": "Описание на русском"})
    assert forum.description == ""
    assert content.text(forum, "description", "en") == "Описание на русском"
    with force_locale("en"):
        assert forum.shown_description == "Описание на русском"
    with force_locale("kk"):
        assert forum.shown_title == forum.title  # no Kazakh or Russian title: the English one


# --- the public page in each language ---------------------------------------------------------------------

def _page(client, forum: Forum, lang: str) -> str:
    r = client.get(f"/forums/{forum.slug}", headers={"Accept-Language": lang})
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _h1(html: str) -> str:
    return re.search(r"<h1[^>]*>.*?</h1>", html, re.S).group(0)


@pytest.mark.parametrize("lang", ["en", "ja", "ru", "kk", "uz"])
def test_the_public_page_shows_the_readers_title_when_filled(client, db, lang):
    forum = f.forum(slug="all-five")
    _texts(forum, en={"title": TITLES["en"]}, **{code: {"title": TITLES[code]} for code in ("ja", "ru", "kk", "uz")})
    html = _page(client, forum, lang)
    assert f'<html lang="{lang}">' in html
    h1 = _h1(html)
    assert TITLES[lang] in h1 and "lang=" not in h1  # the page's own language: no mark
    assert [t for code, t in TITLES.items() if code != lang and t in h1] == []


@pytest.mark.parametrize("lang, shown", [("en", "en"), ("ja", "en"), ("ru", "ru"), ("kk", "ru"), ("uz", "ru")])
def test_the_public_page_falls_back_and_marks_the_language_it_shows(client, db, lang, shown):
    forum = f.forum(slug="two-titles")
    _texts(forum, en={"title": TITLES["en"]}, ru={"title": TITLES["ru"]})
    h1 = _h1(_page(client, forum, lang))
    assert TITLES[shown] in h1
    other = "ru" if shown == "en" else "en"
    assert TITLES[other] not in h1
    assert ('lang="%s"' % shown in h1) == (shown != lang)


def test_practical_information_and_programme_in_the_readers_language_escaped_with_their_lines(client, db):
    forum = f.forum(slug="practical")
    _texts(forum, en={"practical_info": "Visa on arrival.\n\nDress code: <b>business</b>", "programme": "09:00 Opening"},
           ru={"practical_info": "Виза по прибытии.\nДресс-код: деловой"})
    kk = _page(client, forum, "kk")
    with force_locale("kk"):
        heading, programme = gettext("Practical information"), gettext("Programme")
    assert heading in kk and programme in kk
    block = re.search(r'<div class="text-pre-line"( lang="ru")?>(.*?)</div>', kk, re.S)
    assert block.group(1) == ' lang="ru"' and block.group(2) == "Виза по прибытии.\nДресс-код: деловой"
    # The programme has only English: shown, marked English on the Kazakh page.
    assert '<div class="text-pre-line" lang="en">09:00 Opening</div>' in kk
    en = _page(client, forum, "en")
    assert "Visa on arrival.\n\nDress code: &lt;b&gt;business&lt;/b&gt;" in en and "<b>business" not in en
    assert '<div class="text-pre-line">09:00 Opening</div>' in en


def test_no_practical_section_when_no_language_has_one(client, db):
    forum = f.forum(slug="bare")
    html = _page(client, forum, "en")
    assert "Practical information" not in html and "Programme" not in html


# --- e-mails ------------------------------------------------------------------------------------------------

def _approve(forum: Forum, language: str):
    reg = f.company(forum, delegates=[f.delegate_input(language=language)]).delegates[0]
    states.transition(reg, RegState.APPROVED, by=None)
    mails = db_outbox(reg.email)
    assert [m.template for m in mails][-1] == "approved"
    return mails[-1]


def db_outbox(addr: str) -> list[OutboxMessage]:
    return list(f.db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_addr == addr)
                                     .order_by(OutboxMessage.id)))


def test_an_approval_mail_takes_the_title_and_practical_information_in_the_recipients_language(db):
    forum = _texts(f.forum(), en={"title": TITLES["en"], "practical_info": "Bring your passport."},
                   ru={"title": TITLES["ru"], "venue": "Дворец Независимости", "practical_info": "Возьмите паспорт."})
    kk = _approve(forum, "kk")
    assert TITLES["ru"] in kk.subject and TITLES["en"] not in kk.subject
    assert "Дворец Независимости" in kk.body_text and "Возьмите паспорт." in kk.body_text
    with force_locale("kk"):
        assert gettext("Practical information:") in kk.body_text
    assert "Bring your passport." not in kk.body_text
    ja = _approve(forum, "ja")
    assert TITLES["en"] in ja.subject and TITLES["ru"] not in ja.subject
    assert "Bring your passport." in ja.body_text and "Возьмите паспорт." not in ja.body_text
    assert "Palace of Independence" in ja.body_text  # the English venue


def test_an_approval_mail_without_practical_information_has_no_such_section(db):
    forum = f.forum()
    mail = _approve(forum, "en")
    assert "Practical information" not in mail.body_text
    assert "\n\n\n" not in mail.body_text


# --- the organizer's form ------------------------------------------------------------------------------------

FORM = {"title": "Uzbekistan–Japan Business Forum", "slug": "tashkent", "city": "Tashkent", "venue": "",
        "country": "UZ", "timezone": "Asia/Tashkent", "starts_local": "2030-05-20T09:00",
        "ends_local": "2030-05-21T18:00", "opens_local": "2030-03-01T09:00", "closes_local": "2030-05-10T18:00",
        "capacity": "100", "status": "published", "description": ""}


@pytest.fixture()
def tashkent(db):
    return f.forum(slug="tashkent")


def _rows(forum_id: int) -> dict[str, ForumText]:
    f.db.session.expire_all()
    return {t.language: t for t in f.db.session.scalars(sa.select(ForumText).where(ForumText.forum_id == forum_id))}


def test_the_form_shows_each_language_named_in_itself_with_what_is_filled(client, login, tashkent):
    _texts(tashkent, en={"description": "About", "practical_info": "Visa"},
           ja={"title": TITLES["ja"], "programme": "09:00 開会"})
    login(f.organizer())
    html = client.get("/manage/tashkent/edit").get_data(as_text=True)
    summary = re.search(r'<p class="languages-filled".*?</p>', html, re.S).group(0)
    # English: title, venue (the factory's), description, practical information; Japanese: 2; the rest none.
    spans = dict(re.findall(r'data-lang="(\w+)"><span lang="\w+">[^<]+</span> (\d/5|<span[^>]*>—)', summary))
    assert spans == {"en": "4/5", "ja": "2/5", "ru": '<span aria-label="nothing">—', "kk": '<span aria-label="nothing">—',
                     "uz": '<span aria-label="nothing">—'}
    for code, name in (("en", "English"), ("ja", "日本語"), ("ru", "Русский"), ("kk", "Қазақша"), ("uz", "Oʻzbekcha")):
        assert f'<span lang="{code}">{name}</span>' in summary
    assert re.search(r'<input[^>]*name="kk_title"[^>]*>', html).group(0).count('lang="kk"') == 1
    assert 'lang="uz"' in re.search(r'<textarea[^>]*name="uz_practical_info"[^>]*>', html).group(0)
    assert 'lang="en"' in re.search(r'<textarea[^>]*name="programme"[^>]*>', html).group(0)
    assert re.search(r'<details[^>]*id="texts-ja"[^>]*\bopen\b', html)  # has text: open
    assert not re.search(r'<details[^>]*id="texts-kk"[^>]*\bopen\b', html)  # empty: closed
    assert ">2 of 5 filled<" in html and ">0 of 5 filled<" in html and ">4 of 5 filled<" in html
    assert TITLES["ja"] in html and "09:00 開会" in html


def test_the_form_creates_a_languages_row_and_normalises_it(client, db, login, post, tashkent):
    login(f.organizer())
    decomposed = unicodedata.normalize("NFD", "Байқоңыр–Жапония форумы")
    assert decomposed != "Байқоңыр–Жапония форумы"
    r = post("/manage/tashkent/edit", dict(FORM, practical_info="Visa:\r\nnone needed", programme="Day 1\n\t09:00",
                                           kk_title=f"  {decomposed} ", kk_programme="1-күн\r\n\r\n2-күн",
                                           ja_venue="ヒルトン"))
    assert r.status_code == 302, r.get_data(as_text=True)
    rows = _rows(tashkent.id)
    assert set(rows) == {"kk", "ja"}
    assert rows["kk"].title == "Байқоңыр–Жапония форумы" and rows["kk"].programme == "1-күн\n\n2-күн"
    assert rows["kk"].venue == "" and rows["ja"].venue == "ヒルトン" and rows["ja"].title == ""
    forum = f.db.session.get(Forum, tashkent.id)
    assert forum.practical_info == "Visa:\nnone needed" and forum.programme == "Day 1\n\t09:00"
    entry = f.db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "forum")
                                 .order_by(AuditEntry.id.desc())).first()
    assert entry.details["changes"]["kk_title"] == [None, "Байқоңыр–Жапония форумы"]
    html = client.get("/manage/tashkent/edit").get_data(as_text=True)
    assert 'data-lang="kk"><span lang="kk">Қазақша</span> 2/5' in html


def test_emptying_every_field_of_a_language_removes_its_row_and_a_partial_keeps_it(client, db, login, post, tashkent):
    _texts(tashkent, ru={"title": TITLES["ru"], "venue": "Хилтон"}, uz={"title": TITLES["uz"]})
    login(f.organizer())
    r = post("/manage/tashkent/edit", dict(FORM, ru_title="", ru_venue="Хилтон", uz_title="   "))
    assert r.status_code == 302
    rows = _rows(tashkent.id)
    assert set(rows) == {"ru"} and rows["ru"].title == "" and rows["ru"].venue == "Хилтон"
    entry = f.db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "forum")
                                 .order_by(AuditEntry.id.desc())).first()
    assert entry.details["changes"]["uz_title"] == [TITLES["uz"], None]


@pytest.mark.parametrize("field, value, message", [
    ("kk_title", "Ф" * 201, "At most 200 characters."),
    ("ru_venue", "Хилтон\nзал 2", "Write this on one line: line breaks are not allowed here."),
    ("uz_programme", "Ochilish\x07", "Remove the invisible control characters from this text."),
    ("ja_description", "あ" * 10_001, "At most 10000 characters."),
    ("practical_info", "Visa\x1b[31m", "Remove the invisible control characters from this text."),
    ("title", "For\x0bum", None),
    ("ja_programme", "開会\x9b31m", "Remove the invisible control characters from this text."),  # a C1 control
    ("kk_venue", "Зал\t2", "Remove the invisible control characters from this text."),  # a tab: only in long texts
])
def test_bad_text_is_refused_next_to_its_field_and_nothing_is_saved(client, db, login, post, tashkent, field, value,
                                                                     message):
    _texts(tashkent, ja={"title": TITLES["ja"]})
    login(f.organizer())
    r = post("/manage/tashkent/edit", dict(FORM, capacity="321", ru_title=TITLES["ru"], ja_title="",
                                           programme="New programme", **{field: value}))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    error = re.search(rf'<div class="invalid-feedback" id="{field}-error">(.*?)</div>', html, re.S)
    assert error, html
    if message:
        assert error.group(1) == message
    lang = field.split("_")[0] if field[:3] in ("kk_", "ru_", "uz_", "ja_") else None
    if lang:
        assert re.search(rf'<details[^>]*id="texts-{lang}"[^>]*\bopen\b', html)
    forum = f.db.session.get(Forum, tashkent.id)
    assert forum.capacity == 100 and forum.programme == ""
    assert set(_rows(tashkent.id)) == {"ja"}


def test_the_service_limits_texts_at_10000_characters_once_normalised(db, tashkent):
    org = f.organizer()
    data = input_of(tashkent)
    data.programme = "x" * 10_000
    data.texts = {"ru": {"practical_info": "я" * 10_000}}
    save_forum(data, by=org, forum=tashkent)
    assert tashkent.programme == "x" * 10_000
    data = input_of(tashkent)
    # "й" typed as и + combining breve is 2 characters, 1 once NFC: 10000 of them fit.
    data.texts["ru"]["description"] = unicodedata.normalize("NFD", "й") * 10_000
    save_forum(data, by=org, forum=tashkent)
    data = input_of(tashkent)
    data.texts["ru"]["description"] = "й" * 10_001
    with pytest.raises(ForumFormError) as e:
        save_forum(data, by=org, forum=tashkent)
    assert set(e.value.errors) == {"ru_description"}


def test_unchanged_input_keeps_the_texts_and_none_leaves_them_alone(db, tashkent):
    _texts(tashkent, en={"practical_info": "Visa", "programme": "Day 1"}, kk={"title": TITLES["kk"]})
    org = f.organizer()
    save_forum(input_of(tashkent), by=org, forum=tashkent)
    assert set(_rows(tashkent.id)) == {"kk"}
    data = input_of(tashkent)
    data.texts, data.practical_info, data.programme = None, None, None
    save_forum(data, by=org, forum=tashkent)
    forum = f.db.session.get(Forum, tashkent.id)
    assert set(_rows(tashkent.id)) == {"kk"} and forum.practical_info == "Visa" and forum.programme == "Day 1"
    data = input_of(forum)
    data.texts = {"de": {"title": "Forum"}}
    with pytest.raises(ForumFormError) as e:
        save_forum(data, by=org, forum=forum)
    assert set(e.value.errors) == {"texts"}


def test_a_new_forum_is_created_with_its_languages(client, db, login, post):
    login(f.organizer())
    r = post("/manage/forums/new", dict(FORM, slug="samarkand-2030", uz_title=TITLES["uz"], ru_title=TITLES["ru"]))
    assert r.status_code == 302, r.get_data(as_text=True)
    forum = f.db.session.scalars(sa.select(Forum).where(Forum.slug == "samarkand-2030")).one()
    assert {lang: row.title for lang, row in _rows(forum.id).items()} == {"uz": TITLES["uz"], "ru": TITLES["ru"]}
    html = client.get("/manage/forums/new").get_data(as_text=True)
    assert 'data-lang="uz"><span lang="uz">Oʻzbekcha</span> <span aria-label="nothing">—' in html


def test_only_a_member_with_manage_edits_the_texts(client, db, login, post, tashkent):
    reviewer = f.member(tashkent, Permission.REVIEW)
    login(reviewer)
    r = post("/manage/tashkent/edit", dict(FORM, kk_title=TITLES["kk"]))
    assert r.status_code == 403 and _rows(tashkent.id) == {}
    data = input_of(tashkent)
    data.texts = {"kk": {"title": TITLES["kk"]}}
    with pytest.raises(NotAllowed):
        save_forum(data, by=reviewer, forum=tashkent)
    assert _rows(tashkent.id) == {}
    login(f.member(tashkent, Permission.MANAGE))
    r = post("/manage/tashkent/edit", dict(FORM, kk_title=TITLES["kk"]))
    assert r.status_code == 302 and _rows(tashkent.id)["kk"].title == TITLES["kk"]


# --- other places that name the forum to a reader -------------------------------------------------------------

def test_the_scanners_name_and_the_outcome_report_name_the_forum_in_the_readers_language(app, db):
    from forum.checkin import offline_app
    from forum.documents import outcome

    forum = _texts(f.forum(slug="astana"), ru={"title": TITLES["ru"]}, ja={"title": TITLES["ja"]})
    with app.test_request_context("/"):
        for lang, title in (("kk", TITLES["ru"]), ("ja", TITLES["ja"]), ("en", forum.title)):
            with force_locale(lang):
                assert title in offline_app.manifest(forum)["name"]
                assert outcome.report(forum).forum_title == title


def test_two_organizers_adding_the_same_language_at_once_leave_one_row(app, db):
    from tests.concurrency import postgres_only, race

    postgres_only(db)
    forum = f.forum(slug="race")
    org = f.organizer()
    f.db.session.commit()
    forum_id, org_id = forum.id, org.id
    both_read = threading.Barrier(2)

    def work(i):
        from forum.accounts.models import User

        mine = f.db.session.get(Forum, forum_id)
        assert mine.texts == []  # both read the forum without Japanese texts...
        both_read.wait(timeout=30)  # ...before either saves
        data = input_of(mine)
        data.texts = {"ja": {"title": f"フォーラム {i}"}}
        save_forum(data, by=f.db.session.get(User, org_id), forum=mine)

    errors, codes = race(app, 2, work)
    assert errors == [] and codes == []
    rows = _rows(forum_id)
    assert set(rows) == {"ja"} and rows["ja"].title in {"フォーラム 0", "フォーラム 1"}
