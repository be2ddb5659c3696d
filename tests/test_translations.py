"""The ja, ru, kk and uz catalogs are complete, keep every placeholder, and are what the pages show."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "forum" / "translations"
LANGS = {"ja": 1, "ru": 3, "kk": 2, "uz": 2}  # language -> number of plural forms (Babel's CLDR rules)
PLACEHOLDER = re.compile(r"%\(([^)]+)\)")


def _catalog(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def _messages(lang: str):
    return [m for m in _catalog(lang) if m.id]


def _names(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_matches_the_template(lang):
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    assert {m.id for m in _catalog(lang) if m.id} == {m.id for m in template if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_plural_forms_header(lang):
    catalog = _catalog(lang)
    assert catalog.num_plurals == LANGS[lang]
    if lang == "ru":
        assert catalog.plural_expr == (
            "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)"
        )
    if lang in ("kk", "uz"):
        assert catalog.plural_expr == "(n != 1)"


def test_every_interface_language_has_its_catalog():
    from forum import languages

    assert set(languages.CODES) - {"en"} == set(LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated_and_not_fuzzy(lang):
    untranslated, fuzzy = [], []
    for m in _messages(lang):
        if "fuzzy" in m.flags:
            fuzzy.append(m.id)
        if m.pluralizable:
            forms = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
            if len(forms) != LANGS[lang] or not all(f.strip() for f in forms):
                untranslated.append(m.id)
        elif not (m.string or "").strip():
            untranslated.append(m.id)
    assert not untranslated, f"{lang}: untranslated {untranslated}"
    assert not fuzzy, f"{lang}: fuzzy {fuzzy}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_are_kept(lang):
    wrong = []
    for m in _messages(lang):
        if m.pluralizable:
            singular, plural = m.id
            forms = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
            for i, form in enumerate(forms):
                # The plural forms are checked against msgid_plural. Russian form 0 is also used for
                # 21, 31, ... so it needs the number as well; here msgid and msgid_plural agree anyway.
                if _names(form) != _names(plural):
                    wrong.append((m.id, i, form))
            assert _names(singular) <= _names(plural)
        elif _names(m.string) != _names(m.id):
            wrong.append((m.id, m.string))
    assert not wrong, f"{lang}: placeholders differ: {wrong}"


# --- the running app ------------------------------------------------------------------------------

NAV = {
    # lang: (translation of "Forums", translation of "Sign in")
    "ja": ("フォーラム一覧", "ログイン"),
    "ru": ("Форумы", "Войти"),
    "kk": ("Форумдар", "Кіру"),
    "uz": ("Forumlar", "Kirish"),
}


@pytest.fixture()
def compiled():
    """The .mo files are built by `make test` (target `translations`); say so if they are stale."""
    for lang in LANGS:
        po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            pytest.fail(f"{mo} is missing or older than the .po: run `make translations` "
                        "(or `.venv/bin/pybabel compile -d forum/translations`)")


@pytest.mark.parametrize("lang", NAV)
def test_home_page_in_the_browser_language(compiled, client, db, lang):
    forums, sign_in = NAV[lang]
    r = client.get("/", headers={"Accept-Language": lang})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert f">{forums}</a>" in html
    assert f">{sign_in}</a>" in html
    assert "Sign in" not in html
    assert ">Forums<" not in html
    assert "Business forums" not in html


def test_english_stays_the_default(client, db):
    html = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert ">Sign in</a>" in html and ">Forums</a>" in html


def test_uzbek_writes_its_letters_with_the_modifier_letters():
    """oʻ and gʻ take U+02BB and the tutuq belgisi U+02BC: never an ASCII apostrophe or a quotation mark."""
    wrong = []
    for m in _messages("uz"):
        forms = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
        for form in forms:
            if re.search(r"[oOgG]['‘’`]", re.sub(r"<[^>]*>|%\([^)]*\)\w", "", form)):
                wrong.append(form)
    assert not wrong, wrong[:5]
    assert sum("oʻ" in (m.string if isinstance(m.string, str) else "") for m in _messages("uz")) > 100


# --- no English left on the pages people use most ------------------------------------------------------------

LABEL = re.compile(r"<(label|legend|button|th|h1|h2)\b[^>]*>(.*?)</\1>", re.S)


def _texts(html: str) -> set[str]:
    """The visible words of labels, legends, buttons, headers and headings, tags and placeholders' values out."""
    out = set()
    for _tag, inner in LABEL.findall(html):
        text = re.sub(r"<[^>]+>", " ", inner)
        text = " ".join(text.split()).strip(" *")
        if re.search(r"[A-Za-z]{3,}", text):
            out.add(text)
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_the_registration_form_has_no_english_label_left(compiled, client, db, lang):
    from tests import factories as f

    forum = f.forum(phase="open")
    db.session.commit()
    english = _texts(client.get(f"/forums/{forum.slug}/register", headers={"Accept-Language": "en"})
                     .get_data(as_text=True))
    page = client.get(f"/forums/{forum.slug}/register", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert len(english) > 20  # the form's labels, legends and buttons were found
    # Words that are the same in every language (names, B2B) are not English left over.
    same = {forum.title, "B2B", "E-mail"} & english
    left = {t for t in english - same if t in _texts(page)}
    assert not left, f"{lang}: still in English: {sorted(left)}"


def _in(client, url: str, lang: str) -> str:
    with client.session_transaction() as s:
        s["lang"] = lang  # the language switcher's choice: it wins over the account's saved language
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


@pytest.mark.parametrize("lang", LANGS)
def test_the_delegates_page_and_the_review_list_have_no_english_label_left(compiled, client, db, login, lang):
    """The pages a delegate and an organizer use most: the delegate's own registration (/my) and the review list."""
    from forum.review import services as review
    from tests import factories as f

    forum = f.forum(phase="open")
    org = f.organizer()
    company = f.company(forum, 3)
    review.decide(company.delegates[0], "approve", by=org)
    review.decide(company.delegates[1], "waitlist", by=org)
    import sqlalchemy as sa

    from forum.accounts.models import User

    delegate = db.session.scalar(sa.select(User).where(User.email == company.delegates[0].email))
    assert delegate is not None  # every delegate gets an account on registration
    db.session.commit()
    same = {forum.title, "B2B", "E-mail", "QR"}
    for user, url in ((delegate, "/my"), (org, f"/manage/{forum.slug}/registrations")):
        login(user)
        english = _texts(_in(client, url, "en"))
        assert len(english) >= 3, (url, english)
        left = {t for t in english - same if t in _texts(_in(client, url, lang))}
        assert not left, f"{lang} {url}: still in English: {sorted(left)}"


def test_every_template_that_speaks_is_extracted():
    """Babel's directory walk skips folders starting with "_" unless told otherwise (`make messages`'
    --ignore-dirs): a template in templates/_macros/ once stayed English in every language. Each template that
    calls gettext is a location in the catalog template."""
    root = Path(__file__).resolve().parents[1]
    pot = (root / "forum/translations/messages.pot").read_text(encoding="utf-8")
    speaking = [p.relative_to(root).as_posix() for p in (root / "templates").rglob("*")
                if p.suffix in (".html", ".txt") and re.search(r"\b_\(\s*[\"']", p.read_text(encoding="utf-8"))]
    assert len(speaking) > 100
    missing = [p for p in speaking if f"{p}:" not in pot]
    assert not missing, missing
