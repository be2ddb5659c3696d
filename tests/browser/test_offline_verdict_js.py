"""The offline verdict in JavaScript (forum/static/js/offline-verdict.js) against the Python it copies (issue 11).

verifyToken must give, for every code, exactly what forum/badges/tokens.verify gives: the badge id, or the
TokenError's code. The vectors are made here with the Python code (valid spellings, every byte of a token's
body flipped, non-canonical base32, wrong lengths, unknown versions, another forum's genuine token ...) and
run in Chromium on both paths: WebCrypto's Ed25519 and the vendored @noble/ed25519, forced.

decide must give what checkin.services.check_in gives on the same state: a forum is built on the live
server, its scanner data taken, then each scenario's scans go through check_in (the server's verdict) and
through decide on the data taken before them (the phone's verdict, offline), and the two are compared.

crypto.subtle exists only in a secure context: the page is the live server's, on http://127.0.0.1.
"""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from forum.badges import tokens

STATIC = Path(__file__).resolve().parents[2] / "forum" / "static"
NOBLE = STATIC / "vendor" / "noble-ed25519"
SCRIPTS = ("/static/vendor/noble-ed25519/noble-ed25519.js", "/static/js/offline-verdict.js")


def _python_verdict(public: bytes, code) -> str:
    try:
        return "ok:" + tokens.verify(public, code).hex()
    except tokens.TokenError as e:
        return e.code


def _body(token: str) -> bytearray:
    body = token[1:]
    return bytearray(base64.b32decode(body + "=" * (-len(body) % 8)))


def _token(raw: bytes, version: str = "1") -> str:
    return version + base64.b32encode(bytes(raw)).decode().rstrip("=")


def _vectors() -> tuple[bytes, list]:
    """(this forum's public key, codes): every kind of code a camera or a hand may give."""
    ours, theirs = tokens.new_key_pair(), tokens.new_key_pair()
    good = tokens.sign(ours, tokens.new_badge_id())
    other = tokens.sign(ours, tokens.new_badge_id())
    foreign = tokens.sign(theirs, tokens.new_badge_id())
    codes: list = [
        # The spellings of a valid token.
        good, good.lower(), good[:40].lower() + good[40:], f"https://x/b/{good}", f"https://forum.example/b/{good}/",
        f"https://x/b/{good}?utm=1", f"https://x/b/{good}#top", f"HTTPS://X/B/{good.lower()}", f"  {good}  ",
        f"\t{good}\r\n", f"\u3000{good}\u3000", f"\x1c{good}\x1f", f"\x85{good}", f"\u00a0{good}\u2028",
        f"https://x/b/{good}?a\rb", f"/b/{good}/b/{other}", other,
        # Python's strip() keeps these, so they are not ASCII or not a token: JavaScript's trim() would drop them.
        f"\ufeff{good}", f"{good}\u200b", f"https://x/b/{good}?a\nb", f"https://x/b/{good}\n?x",
        # Another forum's genuine token; a token made of two.
        foreign, f"https://x/b/{foreign}", foreign.lower(),
        good[:1 + 21] + other[1 + 21:],  # our tag and badge id, the signature of another badge
        # Wrong lengths, versions, alphabets.
        good[:-1], good + "A", good + "AAAAAAAA", good + "====", good[:-8], "1", "", " ", "2" + good[1:],
        "0" + good[1:], "A" + good[1:], good[1:] + "A", "https://x/b/", "https://x/b/" + good[:-1], "hello",
        "山田/b/" + good, good[:60] + "é" + good[61:], None, 12345, ["x"], {"code": good},
    ]
    codes += [good[:60] + c + good[61:] for c in "0189=-_ "]
    # Every byte of the 77-byte body flipped, one at a time, spelt canonically: the tag's bytes give wrong_forum,
    # the badge id's and the signature's invalid.
    raw = _body(good)
    for i in range(len(raw)):
        for mask in (0x01, 0x80):
            flipped = bytearray(raw)
            flipped[i] ^= mask
            codes.append(_token(flipped))
    # Base32 that is not canonical: the last character carries one bit of the body and four that must be 0.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(good[-1])
    codes += [good[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(last & 0x10) | pad] for pad in range(1, 16)]
    return ours.public, codes


def _load(page, live_server) -> None:
    page.goto(live_server.url + "/")
    for src in SCRIPTS:
        page.add_script_tag(url=src)
    page.wait_for_function("() => window.ForumOffline && window.nobleEd25519")


VERIFY_ALL = """async ([pub, codes, engine]) => {
  const out = [];
  for (const code of codes) {
    const r = await ForumOffline.verifyToken(pub, code, {engine});
    out.push(r.ok ? 'ok:' + r.badgeId : r.status);
  }
  return out;
}"""


def test_verify_token_gives_the_python_verdict_for_every_vector_on_both_paths(page, live_server):
    public, codes = _vectors()
    expected = [_python_verdict(public, code) for code in codes]
    # The vectors cover all three answers, and flipping any byte never leaves a valid token.
    assert {e.split(":")[0] for e in expected} == {"ok", "invalid", "wrong_forum"}
    assert expected.count("wrong_forum") >= 4 * 2 + 3 and len(codes) > 200
    _load(page, live_server)
    assert page.evaluate("() => ForumOffline.hasWebCryptoEd25519()") is True  # so "webcrypto" is really tested
    pub = base64.b64encode(public).decode()
    for engine in ("webcrypto", "noble", "auto"):
        got = page.evaluate(VERIFY_ALL, [pub, codes, engine])
        wrong = [(repr(c), e, g) for c, e, g in zip(codes, expected, got) if e != g]
        assert not wrong, f"{engine}: {len(wrong)} codes differ from tokens.verify, e.g. {wrong[:5]}"


def test_parse_and_normalize_give_the_canonical_token(page, live_server):
    keys = tokens.new_key_pair()
    good = tokens.sign(keys, tokens.new_badge_id())
    _load(page, live_server)
    got = page.evaluate("""(codes) => codes.map((c) => ForumOffline.normalize(c))""",
                        [f" https://x/b/{good.lower()}?x ", good, good[:-1], None])
    assert got == [good, good, None, None]
    assert page.evaluate("() => ForumOffline.TOKEN_CHARS") == tokens.TOKEN_CHARS


def test_a_bad_public_key_is_an_error_not_a_verdict(page, live_server):
    _load(page, live_server)
    message = page.evaluate("""async () => {
      try { await ForumOffline.verifyToken('AAAA', '1ABC'); return 'no error'; } catch (e) { return e.message; }
    }""")
    assert "32 bytes" in message


def test_the_vendored_noble_is_the_npm_package_and_its_wrapper_only_adds_a_global():
    index = (NOBLE / "index.js").read_bytes()
    readme = (NOBLE / "README").read_text()
    assert hashlib.sha256(index).hexdigest() in readme
    assert hashlib.sha256((NOBLE / "LICENSE").read_bytes()).hexdigest() in readme
    assert hashlib.sha256(index).hexdigest() == "a4f631d1876b5d9e43a86cd71194ca27b5e1451edf4ba4db9a418f40a475569a"
    lines = index.decode().splitlines(keepends=True)
    assert lines[-1].startswith("export {") and not any(line.startswith("export") for line in lines[:-1])
    names = lines[-1][len("export {"):].split("}")[0].strip()
    inside = ('(function () {\n"use strict";\n' + "".join(lines[:-1])
              + "globalThis.nobleEd25519 = Object.freeze({" + names + "});\n})();\n")
    wrapper = (NOBLE / "noble-ed25519.js").read_text()
    assert wrapper.endswith(inside)
    assert all(line.startswith("//") for line in wrapper[:-len(inside)].splitlines())  # only comments before
