"""`forum badges SLUG --output FILE.pdf [--layout a6|a4]`."""
from pathlib import Path

from forum.badges import issuing
from tests import factories as f
from tests.badges import pdfcheck


def test_writes_every_approved_delegates_badge_and_says_how_many(app, db, tmp_path):
    forum = f.forum(slug="central-asia-japan")
    regs = [f.approved(forum, full_name=n, latin_name=l, country=c) for n, l, c in
            [("山田 太郎", "YAMADA Taro", "JP"), ("Әлия Нұрланқызы", "Aliya Nurlankyzy", "KZ"),
             ("Gʻayrat Yoʻldoshev", "Gʻayrat Yoʻldoshev", "UZ"), ("Ержан Қасымов", "Yerzhan Kassymov", "KZ"),
             ("Jasur Rahimov", "Jasur Rahimov", "UZ")]]
    f.registration_(forum)  # pending: no badge
    db.session.commit()
    out = tmp_path / "badges.pdf"
    result = app.test_cli_runner().invoke(args=["badges", "central-asia-japan", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote 5 badges on 2 pages to {out}" in result.output
    pdf = out.read_bytes()
    codes = [c for page in pdfcheck.images(pdf) for c in pdfcheck.qr_codes(page)]
    assert len(codes) == 5
    text = "\n".join(pdfcheck.texts(pdf))
    assert all(r.full_name in text for r in regs)
    assert text.index("山田 太郎") < text.index("Ержан Қасымов") < text.index("Әлия") < text.index("Jasur")
    assert all(issuing.live_badge(r).printed_at is not None for r in regs)

    a6 = tmp_path / "a6.pdf"
    result = app.test_cli_runner().invoke(args=["badges", "central-asia-japan", "-o", str(a6), "--layout", "a6",
                                                "--no-mark-printed"])
    assert result.exit_code == 0 and "Wrote 5 badges on 5 pages" in result.output
    assert len(pdfcheck.page_sizes_mm(a6.read_bytes())) == 5


def test_an_unknown_forum_or_layout_is_a_clear_error(app, db, tmp_path):
    f.forum(slug="astana-2026")
    db.session.commit()
    out = tmp_path / "x.pdf"
    result = app.test_cli_runner().invoke(args=["badges", "no-such-forum", "--output", str(out)])
    assert result.exit_code != 0 and "No forum with the slug 'no-such-forum'" in result.output
    assert "astana-2026" in result.output and not out.exists()
    result = app.test_cli_runner().invoke(args=["badges", "astana-2026", "--output", str(out), "--layout", "a3"])
    assert result.exit_code != 0 and "a3" in result.output
    result = app.test_cli_runner().invoke(args=["badges", "astana-2026", "--output", str(out)])
    assert result.exit_code != 0 and "no approved delegate" in result.output and not Path(out).exists()
