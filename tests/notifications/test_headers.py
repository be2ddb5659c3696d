"""Every subject and display name, in every language, decodes back exactly — also when it is long
enough to be folded over several lines, where the standard library's folder lost or doubled spaces
("зарегистрированы нафорум")."""
import email
import email.policy
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa

from forum.notifications import headers
from forum.notifications.models import OutboxMessage
from forum.notifications.worker import build_email, send_due
from forum.registration import services as registration
from forum.review import services as review
from tests import factories as f

LONG_TITLES = {
    "ru": "Деловой форум «Центральная Азия + Япония»: торговля, инвестиции и логистика в Астане, 2026",
    "ja": "中央アジア＋日本ビジネスフォーラム：貿易・投資・物流に関する官民対話（アスタナ、二〇二六年）",
    "en": "Central Asia + Japan Business Forum: trade, investment and logistics dialogue in Astana, 2026",
}
NAMES = ["Әлия Нұрланқызы Сәрсенбаева-Қожахметова", "山田 太郎", "Oʻktam Gʻulomov", "O'Brien, \"Jack\" <Jr>",
         "Иванов Иван Иванович " * 4]
SENDER = "Форум «Центральная Азия + Япония» <noreply@forum.example.kz>"


def rfc2047(raw_value: str) -> str:
    """What an RFC 2047 reader (a mail client) shows: encoded words decoded and joined."""
    return str(make_header(decode_header(raw_value)))


def as_smtplib_sends_it(em) -> bytes:
    """smtplib.send_message flattens with a BytesGenerator and no policy of its own: the message's."""
    import io
    from email.generator import BytesGenerator

    buf = io.BytesIO()
    BytesGenerator(buf).flatten(em, linesep="\r\n")
    return buf.getvalue()


def parsed_both_ways(raw: bytes):
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    legacy = email.message_from_bytes(raw, policy=email.policy.compat32)
    return modern, legacy


@pytest.mark.parametrize("subject", [t for t in LONG_TITLES.values()] + [
    "Вы зарегистрированы на форум Central Asia + Japan Business Forum, Astana, Kazakhstan 2026",
    "Short", "  spaces   inside  are  one  space  ", "Line\nbreak and\ttab",
])
@pytest.mark.parametrize("name", NAMES)
def test_headers_decode_back_exactly_with_either_parser(subject, name):
    em = email.message.EmailMessage(policy=headers.POLICY)
    em.set_content("x")
    headers.set_header(em, "Subject", subject)
    headers.set_address(em, "To", name, "to@example.kz")
    headers.set_address(em, "From", "Форум Центральная Азия + Япония", "noreply@example.kz")
    raw = as_smtplib_sends_it(em)
    want_subject, want_name = " ".join(subject.split()), " ".join(name.split())
    modern, legacy = parsed_both_ways(raw)
    assert modern["Subject"] == want_subject and rfc2047(legacy["Subject"]) == want_subject
    to = modern["To"].addresses[0]
    assert (to.display_name, to.addr_spec) == (want_name, "to@example.kz")
    assert rfc2047(legacy["To"]).endswith(" <to@example.kz>")
    assert rfc2047(legacy["To"]).removesuffix(" <to@example.kz>").strip('"').replace('\\"', '"') == want_name
    assert modern["From"].addresses[0].display_name == "Форум Центральная Азия + Япония"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_a_long_non_latin_subject_is_folded_over_several_lines():
    raw = headers.encode("Subject", LONG_TITLES["ru"])
    assert raw.count("\n") >= 2 and all(len(line) <= 77 for line in raw.splitlines())


@pytest.mark.parametrize("lang", ["en", "ja", "ru"])
def test_every_generated_mail_decodes_back_to_its_subject_and_names(app, db, monkeypatch, tmp_path, lang):
    """Real mails of every kind (received, registered, approved, rejected, waitlisted, invitation,
    cancellation), sent by the worker to .eml files, parsed back."""
    from forum.forums import cancellation

    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    monkeypatch.setitem(app.config, "MAIL_SENDER", SENDER)
    forum, org = f.forum(phase="late"), f.organizer()
    forum.title = LONG_TITLES[lang]
    data = f.company_input(0, language=lang, contact_name=NAMES[0], late_reason="Visa")
    data.delegates = [f.delegate_input(full_name=n, language=lang) for n in NAMES[1:4]]
    company = registration.submit(forum, data)
    a, b, c = company.delegates
    review.decide(a, "approve", by=org)
    review.decide(b, "reject", by=org, reason="Full")
    review.decide(c, "waitlist", by=org)
    registration.create_invitation(forum, company_name=NAMES[1], email="inv@example.jp", by=org, language=lang)
    cancellation.cancel(forum, reason="Storm", confirmed=True, by=org)
    queued = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
    assert {m.template for m in queued} >= {"late_received", "delegate_registered", "late_decided", "waitlisted",
                                            "invitation", "forum_cancelled"}
    assert send_due(batch=100) == (len(queued), 0)
    for m in queued:
        raw = (tmp_path / f"{m.id:08d}.eml").read_bytes()
        modern, legacy = parsed_both_ways(raw)
        assert modern["Subject"] == m.subject and rfc2047(legacy["Subject"]) == m.subject, m.template
        assert forum.title in m.subject or m.template == "password_reset"
        to = modern["To"].addresses[0]
        assert (to.display_name, to.addr_spec) == (" ".join(m.to_name.split()), m.to_addr), m.template
        assert modern["From"].addresses[0].display_name == "Форум «Центральная Азия + Япония»"
        assert modern["Content-Language"] == lang
