"""`forum catalogs`: per language, how many messages are translated, and which are missing, fuzzy or lose a
placeholder; it fails (exit 1) unless every interface language is complete."""
from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from forum import catalogs


def _po(folder: Path, lang: str, entries) -> None:
    cat = Catalog(locale=lang)
    for msgid, string, flags in entries:
        cat.add(msgid, string, flags=flags)
    (folder / lang / "LC_MESSAGES").mkdir(parents=True)
    with (folder / lang / "LC_MESSAGES" / "messages.po").open("wb") as fh:
        write_po(fh, cat)


def test_a_missing_a_fuzzy_and_a_broken_placeholder_each_count_against_the_language(tmp_path):
    _po(tmp_path, "kk", [
        ("Save", "Сақтау", ()),
        ("Dear %(name)s,", "Құрметті %(name)s,", ()),
        ("Cancel", "", ()),  # missing
        ("Delete", "Жою", ("fuzzy",)),  # a guess nobody checked
        ("Table %(n)d", "Үстел %(num)d", ()),  # the placeholder renamed
        (("%(num)d meeting", "%(num)d meetings"), ("%(num)d кездесу", "%(num)d кездесу"), ()),
        (("%(num)d seat", "%(num)d seats"), ("%(num)d орын", ""), ()),  # a plural form left empty
    ])
    c = catalogs.check("kk", tmp_path)
    assert (c.total, c.translated) == (7, 3)
    assert c.missing == ["Cancel", "%(num)d seat"] and c.fuzzy == ["Delete"] and c.placeholders == ["Table %(n)d"]
    assert not c.complete and round(c.percent, 1) == 42.9


def test_the_shipped_catalogs_are_complete_and_the_command_says_so(app):
    rows = catalogs.report()
    assert [c.language for c in rows] == [code for code in app.config["LANGUAGES"] if code != "en"]
    assert all(c.complete and c.total > 2000 for c in rows)
    result = app.test_cli_runner().invoke(args=["catalogs"])
    assert result.exit_code == 0
    for c in rows:
        assert f"{c.language}: {c.total}/{c.total} translated (100.0 %)" in result.output


def test_the_command_fails_when_a_language_is_incomplete(app, monkeypatch):
    broken = catalogs.Completeness("kk", total=3, translated=2, missing=["Cancel"])
    monkeypatch.setattr(catalogs, "report", lambda: [broken])
    result = app.test_cli_runner().invoke(args=["catalogs"])
    assert result.exit_code == 1 and "missing: 'Cancel'" in result.output
