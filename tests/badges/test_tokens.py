"""Badge tokens (forum.badges.tokens): signed, short, ASCII, versioned; forged or foreign tokens never verify."""
import base64

import pytest
import qrcode

from forum.badges import tokens as t


@pytest.fixture(scope="module")
def keys():
    return t.new_key_pair()


@pytest.fixture(scope="module")
def token(keys):
    return t.sign(keys, bytes(range(t.ID_BYTES)))


def test_a_token_verifies_with_its_forums_key_and_gives_back_the_badge_id(keys, token):
    assert t.verify(keys.public, token) == bytes(range(t.ID_BYTES))


def test_a_token_is_short_ascii_upper_case_base32_with_a_version_first(token):
    assert len(token) == t.TOKEN_CHARS == 125
    assert token.isascii() and token[0] == "1"
    assert set(token[1:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_a_token_names_no_person_and_no_database_id(keys):
    a, b = t.sign(keys, t.new_badge_id()), t.sign(keys, t.new_badge_id())
    assert a != b and a[:7] == b[:7]  # the same forum tag (the first 30 bits shown here); the rest differs
    assert t.parse(a).forum_tag == t.forum_tag(keys.public)


@pytest.mark.parametrize("wrap", [
    lambda s: s, lambda s: f"  {s}\n", lambda s: s.lower(), lambda s: f"https://forum.example.org/b/{s}",
    lambda s: f"HTTPS://FORUM.EXAMPLE.ORG/B/{s}", lambda s: f"https://forum.example.org/b/{s}?utm=x#top",
    lambda s: f"http://10.0.0.5:8080/b/{s}/",
])
def test_what_a_camera_or_a_person_hands_over_is_read(keys, token, wrap):
    assert t.verify(keys.public, wrap(token)) == bytes(range(t.ID_BYTES))


def test_every_single_byte_flipped_fails(keys, token):
    raw = bytearray(base64.b32decode(token[1:] + "=" * (-len(token[1:]) % 8)))
    for i in range(len(raw)):
        for bit in (0x01, 0x80):
            forged = bytearray(raw)
            forged[i] ^= bit
            code = "1" + base64.b32encode(bytes(forged)).decode().rstrip("=")
            with pytest.raises(t.TokenError) as e:
                t.verify(keys.public, code)
            # a flip in the forum tag names another forum; anywhere else the signature fails
            assert e.value.code == ("wrong_forum" if i < t.TAG_BYTES else "invalid"), i


def test_every_character_changed_fails(keys, token):
    for i in range(1, len(token)):
        other = "A" if token[i] != "A" else "B"
        with pytest.raises(t.TokenError):
            t.verify(keys.public, token[:i] + other + token[i + 1:])


def test_another_forums_key_says_wrong_forum(token):
    with pytest.raises(t.TokenError) as e:
        t.verify(t.new_key_pair().public, token)
    assert e.value.code == "wrong_forum"


def test_a_token_signed_by_another_key_under_this_forums_tag_is_invalid(keys):
    thief = t.new_key_pair()
    badge = t.new_badge_id()
    signature = t.Ed25519PrivateKey.from_private_bytes(thief.private).sign(
        t._message(t.forum_tag(keys.public), badge))
    forged = "1" + base64.b32encode(t.forum_tag(keys.public) + badge + signature).decode().rstrip("=")
    with pytest.raises(t.TokenError) as e:
        t.verify(keys.public, forged)
    assert e.value.code == "invalid"


@pytest.mark.parametrize("code", [
    None, "", "   ", "2" + "A" * 124, "0" + "A" * 124, "1" + "A" * 123, "1" + "A" * 126, "1" + "A" * 123 + "1",
    "1" + "8" * 124, "Ｉ" + "A" * 124, "1" + "А" * 124, "https://forum.example.org/b/", "名前", "\x00" * 125,
    "1" + "A" * 124 + "=", 12345,
])
def test_garbage_and_unknown_versions_are_invalid_never_an_exception_of_another_kind(keys, code):
    with pytest.raises(t.TokenError) as e:
        t.verify(keys.public, code)
    assert e.value.code == "invalid"


def test_a_second_spelling_with_trailing_bits_set_is_refused(keys, token):
    # 77 bytes are 616 bits: the last base32 character carries 4 unused bits, which must be zero.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(token[-1])
    other = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last | 1 if not last & 1 else last & ~1]
    assert other != token[-1]
    with pytest.raises(t.TokenError):
        t.verify(keys.public, token[:-1] + other)


@pytest.mark.parametrize("base", ["https://forum.example.org", "https://business-forum.chamber-of-commerce.kz"])
def test_the_badge_url_fits_a_qr_code_of_version_8_or_lower(token, base):
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(f"{base}/b/{token}", optimize=20)
    qr.make(fit=True)
    assert qr.version <= 8
