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


# --- decide: the phone's verdict on its downloaded data against check_in on the server ------------------------

PHONE_LABEL = "Phone 7"
# Where the two may differ, on purpose (offline-verdict.js, decide): (server, phone).
DIVERGENCES = {
    "issued_after_download": None,  # same status (ok): the phone flags it as not in its data
    "never_issued_but_signed": ("invalid", "ok"),  # only the private key's holder could make one
    "revoked_after_download": ("revoked", "ok"),  # the upload flags it (revoked_after_sync)
    "foreign_key_not_of_this_site": ("invalid", "wrong_forum"),  # offline, every foreign tag is another forum
    "entered_at_another_door_unseen": ("already_checked_in", "ok"),  # the upload flags it (duplicate_offline)
}


def _door(live_server) -> dict:
    """A forum's door in every state check_in tells apart, the scanner data taken part-way, and the scans after
    it; returns, per scenario, the server's answer and what the phone needs to decide it."""
    import json

    from forum.api import schemas
    from forum.api.scanner_data import scanner_data
    from forum.badges import issuing, keys
    from forum.checkin import services as checkin
    from forum.forums import cancellation
    from forum.registration import states
    from forum.registration.models import RegState
    from forum.teams.models import Permission
    from tests import factories

    names = iter([("山田 花子", "YAMADA Hanako", "JP"), ("Гүлнұр Әбілқасымова", "ABILKASSYMOVA Gulnur", "KZ"),
                  ("Oʻgʻiloy Gʻulomova", "GULOMOVA Ogiloy", "UZ")] * 20)
    nonces = iter(range(10**6))

    def build():
        forum = factories.forum(slug=live_server.new_slug("offline"))
        other = factories.forum(slug=live_server.new_slug("other"))
        boss = factories.member(forum, Permission.MANAGE, name="Айгерим Сапарова")
        staff = factories.member(forum, Permission.CHECKIN, name="佐藤 健")

        def badge():
            full, latin, country = next(names)
            return factories.badge(forum, full_name=full, latin_name=latin, country=country)

        def scan(b, direction="in", device="Gate 1", forum_=forum):
            code = b if isinstance(b, str) else b.token
            return checkin.check_in(forum_, code, by=staff if forum_ is forum else boss, device=device,
                                    nonce=f"n{next(nonces)}", direction=direction)

        def data_of(f, by):
            return json.loads(schemas.ScannerData.model_validate(scanner_data(f, by=by)).model_dump_json())

        b = {name: badge() for name in (
            "fresh", "url", "inside", "left", "out_inside", "out_never", "old", "withdrawn", "waitlisted",
            "own_in", "own_in_out", "own_in_out_in", "own_out_of_inside", "own_refused", "revoked_after",
            "revoked_seen", "waitlisted_seen", "entered_elsewhere", "left_elsewhere", "entered_unseen",
            "back_here", "pending_revoked")}
        b["organizer"] = issuing.team_badge(forum, boss, by=boss)
        b["staff_inside"] = issuing.team_badge(forum, staff, by=boss)
        for name in ("inside", "left", "out_inside", "old", "staff_inside", "own_out_of_inside", "own_refused",
                     "left_elsewhere", "back_here"):
            scan(b[name])
        scan(b["left"], "out")
        b["reissued"] = issuing.reissue(b["old"], by=boss, reason="Lost")  # inside carries over
        states.transition(b["withdrawn"].registration, RegState.WITHDRAWN, by=None, reason="r", notify=False)
        states.transition(b["waitlisted"].registration, RegState.WAITLISTED, by=None, notify=False)
        b["pending_revoked"].registration.state = RegState.PENDING  # (a transition would promote "waitlisted")
        data = data_of(forum, staff)

        # After the download: what the phone cannot know.
        b["late"] = badge()
        issuing.revoke(b["revoked_after"], by=boss, reason="Stolen")
        issuing.revoke(b["revoked_seen"], by=boss, reason="Stolen")
        issuing.revoke(b["pending_revoked"], by=boss, reason="Stolen")
        # Not by states.transition: the place it frees would promote "waitlisted" from the waiting list (the phone
        # cannot know that either: it would say not_approved to a delegate the server now admits).
        b["waitlisted_seen"].registration.state = RegState.PENDING
        scan(b["entered_unseen"], "in", "Gate 2")
        never = tokens.sign(keys.key_pair(forum), tokens.new_badge_id())
        stranger = tokens.sign(tokens.new_key_pair(), tokens.new_badge_id())
        foreign = issuing.badge_for(factories.approved(other)).token

        # (scenario, code, the phone's own scans before it [(badge, direction)], direction)
        plan = [
            ("approved_not_inside", b["fresh"], [], "in"),
            ("badge_url_lower_case", f"  https://x/b/{b['url'].token.lower()}?q=1 ", [], "in"),
            ("approved_inside", b["inside"], [], "in"),
            ("came_and_left", b["left"], [], "in"),
            ("out_when_inside", b["out_inside"], [], "out"),
            ("out_when_not_inside", b["out_never"], [], "out"),
            ("replaced_badge", b["old"], [], "in"),
            ("its_replacement_inside", b["reissued"], [], "in"),
            ("withdrawn", b["withdrawn"], [], "in"),
            ("waitlisted", b["waitlisted"], [], "in"),
            ("team_organizer", b["organizer"], [], "in"),
            ("team_staff_inside", b["staff_inside"], [], "in"),
            ("own_in", b["own_in"], [(b["own_in"], "in")], "in"),
            ("own_in_out", b["own_in_out"], [(b["own_in_out"], "in"), (b["own_in_out"], "out")], "in"),
            ("own_in_out_in_then_out", b["own_in_out_in"],
             [(b["own_in_out_in"], "in"), (b["own_in_out_in"], "out"), (b["own_in_out_in"], "in")], "out"),
            ("own_out_of_inside", b["own_out_of_inside"], [(b["own_out_of_inside"], "out")], "out"),
            ("own_refused_scan_changes_nothing", b["own_refused"], [(b["own_refused"], "in")], "in"),
            # What the phone heard from the server since the download (online scans) is newer than its data.
            ("revoked_after_download_seen_online", b["revoked_seen"], [(b["revoked_seen"], "in")], "in"),
            ("waitlisted_after_download_seen_online", b["waitlisted_seen"], [(b["waitlisted_seen"], "in")], "in"),
            ("entered_at_another_door_seen_online", b["entered_elsewhere"],
             [(b["entered_elsewhere"], "in", "Gate 2"), (b["entered_elsewhere"], "in")], "in"),
            ("left_at_another_door_seen_online", b["left_elsewhere"],
             [(b["left_elsewhere"], "out", "Gate 2"), (b["left_elsewhere"], "out")], "in"),
            ("entered_at_another_door_unseen", b["entered_unseen"], [], "in"),
            ("not_approved_then_revoked_seen_online", b["pending_revoked"], [(b["pending_revoked"], "in")], "in"),
            ("left_and_came_back_here", b["back_here"], [(b["back_here"], "out"), (b["back_here"], "in")], "in"),
            ("another_forum", foreign, [], "in"),
            ("garbage", "hello", [], "in"),
            ("issued_after_download", b["late"], [], "in"),
            ("never_issued_but_signed", never, [], "in"),
            ("revoked_after_download", b["revoked_after"], [], "in"),
            ("foreign_key_not_of_this_site", stranger, [], "in"),
        ]
        own: list[dict] = []  # every scan of the phone since the download, oldest first, as it keeps them
        cases = []
        for name, subject, before, direction in plan:
            for target, way, *device in before:
                out = scan(target, way, device[0] if device else PHONE_LABEL)
                if not device:  # another door's scans are not the phone's
                    own.append(_own(out, way))
            code = subject if isinstance(subject, str) else subject.token
            out = scan(code, direction, PHONE_LABEL)
            cases.append(_case(name, 0, code, direction, list(own), out, checkin))
            if out.badge is not None:
                own.append(_own(out, direction))

        # A cancelled forum refuses everything, whatever the badge.
        gone = factories.forum(slug=live_server.new_slug("cancelled"))
        gone_badge = factories.badge(gone)
        team_badge = issuing.team_badge(gone, factories.member(gone, Permission.MANAGE), by=factories.organizer())
        cancellation.cancel(gone, reason="Flooding", confirmed=True, by=factories.organizer())
        door_keeper = factories.member(gone, Permission.CHECKIN)
        gone_data = data_of(gone, door_keeper)
        for name, code in (("cancelled_revoked_badge", gone_badge.token), ("cancelled_team_badge", team_badge.token),
                           ("cancelled_garbage", "hello")):
            out = checkin.check_in(gone, code, by=door_keeper, device=PHONE_LABEL, nonce=f"n{next(nonces)}")
            cases.append(_case(name, 1, code, "in", [], out, checkin))
        return {"datas": [data, gone_data], "cases": cases}

    return live_server.seed(build)


def _own(out, direction) -> dict:
    """A scan as the phone keeps it, with the verdict it got (here the server's, as when it went online)."""
    first = out.first_checked_in_at
    return {"badgeId": out.badge.code, "direction": direction, "status": out.status.value,
            "scannedAt": out.scan.recorded_at.isoformat(), "firstCheckedInAt": first.isoformat() if first else None,
            "firstCheckedInDevice": out.first_checked_in_device if first else None}


def _case(name, data_index, code, direction, own, out, checkin) -> dict:
    first = out.first_checked_in_at.isoformat() if out.first_checked_in_at else None
    described = checkin.describe(out.badge)
    return {"name": name, "data": data_index, "code": code, "direction": direction, "own": own,
            "server": {"status": out.status.value, "badgeId": out.badge.code if out.badge else None,
                       "firstAt": first, "firstDevice": out.first_checked_in_device if first else None,
                       "name": described["full_name"] if described else None}}


DECIDE_ALL = """async ([datas, cases, device]) => {
  const out = [];
  for (const c of cases) {
    for (const engine of ['webcrypto', 'noble']) {
      const r = await ForumOffline.decide(datas[c.data], c.code, c.direction, c.own, {device, engine});
      out.push({name: c.name, engine, status: r.status, badgeId: r.badgeId, firstAt: r.firstCheckedInAt,
                firstDevice: r.firstCheckedInDevice, name_: r.delegate ? r.delegate.full_name : null,
                admitted: r.admitted, unknownBadge: r.unknownBadge});
    }
  }
  return out;
}"""


def _instant(text):
    from datetime import datetime

    return datetime.fromisoformat(text) if text else None


def test_decide_gives_check_ins_verdict_on_the_same_state(page, live_server):
    door = _door(live_server)
    _load(page, live_server)
    got = page.evaluate(DECIDE_ALL, [door["datas"], door["cases"], PHONE_LABEL])
    cases = {c["name"]: c for c in door["cases"]}
    assert len(got) == 2 * len(cases) > 50
    statuses = {c["server"]["status"] for c in cases.values()}
    assert statuses == {"ok", "already_checked_in", "not_checked_in", "invalid", "revoked", "not_approved",
                        "wrong_forum", "forum_cancelled"}  # every Result
    mismatches = []
    unknown = {"issued_after_download", "never_issued_but_signed", "revoked_after_download"}
    for phone in got:
        server = cases[phone["name"]]["server"]
        where = f"{phone['name']} ({phone['engine']})"
        if DIVERGENCES.get(phone["name"]):
            if (server["status"], phone["status"]) != DIVERGENCES[phone["name"]]:
                mismatches.append(f"{where}: expected the divergence {DIVERGENCES[phone['name']]}, got "
                                  f"server {server['status']}, phone {phone['status']}")
            continue
        if phone["status"] != server["status"]:
            mismatches.append(f"{where}: server {server['status']}, phone {phone['status']}")
            continue
        expected = {"admitted": server["status"] == "ok", "badgeId": server["badgeId"],
                    "firstAt": _instant(server["firstAt"]), "firstDevice": server["firstDevice"],
                    "unknownBadge": phone["name"] in unknown}
        seen = {"admitted": phone["admitted"], "badgeId": phone["badgeId"], "firstAt": _instant(phone["firstAt"]),
                "firstDevice": phone["firstDevice"], "unknownBadge": phone["unknownBadge"]}
        if phone["name_"] is not None:
            expected["name"], seen["name"] = server["name"], phone["name_"]
        if seen != expected:
            mismatches.append(f"{where}: server {expected}, phone {seen}")
    assert not mismatches, "The phone and the server disagree:\n" + "\n".join(mismatches)
    # Names in the three scripts came from the data, and the first entry from the phone's own scan.
    by_name = {(p["name"], p["engine"]): p for p in got}
    assert by_name[("approved_not_inside", "noble")]["name_"] == "山田 花子"
    assert by_name[("approved_inside", "webcrypto")]["firstDevice"] == "Gate 1"
    assert by_name[("own_in", "webcrypto")]["firstDevice"] == PHONE_LABEL
    assert by_name[("left_and_came_back_here", "webcrypto")]["firstDevice"] == "Gate 1"
    assert by_name[("entered_at_another_door_seen_online", "noble")]["firstDevice"] == "Gate 2"
    assert by_name[("issued_after_download", "webcrypto")]["name_"] is None
