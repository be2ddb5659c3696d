"""`forum demo`: two forums full of companies and delegates, and three logins to look around with.

Everything goes through the real services, as if companies had filled in the public form over
the last two months and the organizer had worked through the queue since; then one commit. A
fixed random seed makes the names and numbers the same every time; the dates follow today.
"""
from __future__ import annotations

import copy
import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from time import perf_counter
from typing import Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from forum import clock
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.db import db
from forum.demo import languages as demo_languages
from forum.demo import names
from forum.forums.models import Forum, ForumStatus, WaitlistMode
from forum.forums.services import ForumInput, save_forum, to_utc
from forum.notifications.models import MailStatus, OutboxMessage
from forum.registration import services as registration, states
from forum.registration.models import Category, CompanyRegistration, LateInvitation, RegState, Registration
from forum.registration.services import CompanyInput, DelegateInput
from forum.review import services as review
from forum.teams import services as teams
from forum.teams.models import Permission

MAIN_SLUG = "central-asia-japan"
SECOND_SLUG = "tashkent-japan"
SEED = 2024

MAIN_COMPANIES = 192  # on time; with the late requests below, 200
LATE_COMPANIES = 8
MAIN_DELEGATES = 450
PENDING_AT_LEAST = 20  # the newest on-time registrations the organizer has not reached yet
REJECTED, WAITLISTED = 5, 6
SECOND_COMPANIES = 10

COUNTRY_WEIGHTS = {"KZ": 30, "UZ": 20, "KG": 10, "TJ": 8, "TM": 7, "JP": 25}
SECTOR_WEIGHTS = {
    "energy": 8, "mining": 6, "agriculture": 9, "manufacturing": 7, "automotive": 4, "chemicals": 4, "textiles": 4,
    "construction": 7, "transport": 7, "it": 8, "finance": 5, "trade": 8, "healthcare": 4, "education": 3,
    "tourism": 3, "environment": 3, "consulting": 4, "media": 2,
}
DELEGATES_PER_COMPANY = {1: 30, 2: 31, 3: 21, 4: 12, 5: 6}
# A Kazakh name typed on a Russian keyboard (и for і), for the demo delegate to correct: Әлібек Сейтқалиев.
MISSPELT_NAME = "Әлибек Сейтқалиев"
# The rejected Astana delegate the README asks the organizer to reconsider (_reversible_decisions).
RECONSIDER_EMAIL = "serik@dala-agro.example"
RECONSIDER_REASON = "We could not confirm the company: no website, and the Chamber of Commerce did not know it."


@dataclass(frozen=True)
class Login:
    email: str
    name: str
    kind: str  # what the login shows: "admin", "organizer" (one forum), "staff" (one door), "delegate"
    password: str


ADMIN, ORGANIZER, STAFF, DELEGATE, CONTACT = "admin", "organizer", "staff", "delegate", "contact"
LOGINS = (
    Login("organizer@example.org", "Aigerim Sarsenbayeva", ADMIN, "organizer-demo-2024"),
    Login("tashkent@example.org", "Dilnoza Yusupova", ORGANIZER, "tashkent-demo-2024"),
    Login("staff@example.org", "Daniyar Omarov", STAFF, "staff-demo-2024"),
    Login("delegate@example.org", "田中 健一", DELEGATE, "delegate-demo-2024"),
    Login("contact@example.org", "Гүлнара Есенова", CONTACT, "contact-demo-2024"),
)
# The staff's scanning device (issue 8): published like the passwords, so that `make run` prints it every time.
DEMO_DEVICE_TOKEN = "fdt_demo-gate-1-central-asia-japan-staff-device-token"
DEMO_DEVICE_LABEL = "Gate 1 (demo device)"
# The documents register's full view in the API (issue 10): a token of the organizer for the same forum.
DEMO_REGISTER_TOKEN = "fdt_demo-register-central-asia-japan-organizer-api-token"

# What each login may do, printed beside it.
LOGIN_NOTES = {
    ADMIN: "administrator: every forum, users",
    ORGANIZER: "manages tashkent-japan only",
    STAFF: "check-in at central-asia-japan only",
    DELEGATE: "a delegate of Aoba Trading (B2B meetings); contact person of its Almaty office (corrections)",
    CONTACT: "Sairan Agro's contact person: Astana done, Tashkent not yet",
}
# The returning company: registered and approved for Astana, not yet for Tashkent (its contact person signs in
# as CONTACT and starts Tashkent's registration from the Astana one).
RETURNING_COMPANY = ("«Сайран Агро Экспорт» ЖШС", "Sairan Agro Export LLP")


def load(if_empty: bool = False, echo: Callable[[str], object] = print) -> None:
    """Create the demo forums, companies, delegates and logins, and commit; do nothing if they exist."""
    if if_empty and db.session.scalar(sa.select(Forum.id).limit(1)) is not None:
        echo("The database already has forums: the demo was not loaded.")
        if db.session.scalar(sa.select(Forum.id).where(Forum.slug == MAIN_SLUG)) is not None:
            echo(demo_logins())
        return
    if db.session.scalar(sa.select(Forum.id).where(Forum.slug == MAIN_SLUG)) is not None:
        echo(f"The demo is already loaded (forum '{MAIN_SLUG}' exists).")
        echo(demo_logins())
        return
    started = perf_counter()
    try:
        seeder = _Seeder(clock.now())
        seeder.run()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    echo(seeder.summary(perf_counter() - started))


def venue_summary(day) -> str:
    """Issue 12's lines: the B2B day under way, and the badge the demo delegate scans to confirm his meeting."""
    from forum.badges.models import Badge
    from forum.demo.venue import SLUG
    from forum.meetings.models import Meeting, MeetingState

    forum = day.forum
    rows = db.session.scalars(sa.select(Meeting).where(Meeting.forum_id == forum.id,
                                                       Meeting.state != MeetingState.CANCELLED)).all()
    held = sum(m.held_at is not None for m in rows)
    no_shows = sum(m.state is MeetingState.NO_SHOW for m in rows)
    walk_ins = sum(m.walk_in for m in rows)
    lines = [f"  /forums/{SLUG}  {forum.title}: {len(rows)} B2B meetings around now ({held} held, {no_shows} "
             f"no-shows, {walk_ins} walk-in on a freed table); live board /manage/{SLUG}/b2b/live/"]
    now_meeting = day.tanaka_now()
    if now_meeting is not None:
        tanaka = day.people["TANAKA Kenichi"]
        other = now_meeting.b if now_meeting.a_id == tanaka.id else now_meeting.a
        badge = db.session.scalar(sa.select(Badge).where(Badge.registration_id == other.id,
                                                         Badge.revoked_at.is_(None)))
        start = forum.local(now_meeting.slot.starts_at)
        lines.append(f"  as delegate@example.org: agenda /forums/{SLUG}/b2b/agenda; his {start:%H:%M} meeting with "
                     f"{other.full_name} is held when he opens /b/{badge.token} (until "
                     f"{forum.local(now_meeting.slot.ends_at) + timedelta(minutes=5):%H:%M} {forum.timezone})")
    return "\n".join(lines)


def b2b_summary(forum: Forum) -> str:
    """One line on the forum's B2B meetings: requests by state and the published schedule (issue 9)."""
    from forum.meetings.models import MeetingRequest, RunStatus, ScheduleRun

    by_state = dict(db.session.execute(sa.select(MeetingRequest.state, sa.func.count()).where(
        MeetingRequest.forum_id == forum.id).group_by(MeetingRequest.state)).all())
    run = db.session.scalar(sa.select(ScheduleRun).where(ScheduleRun.forum_id == forum.id,
                                                         ScheduleRun.status == RunStatus.PUBLISHED))
    states = ", ".join(f"{n} {state.value}" for state, n in sorted(by_state.items(), key=lambda p: -p[1]))
    published = (f"published schedule: {run.n_scheduled} meetings, objective {run.objective}, bound {run.bound}"
                 if run is not None else "no schedule published")
    return f"  {forum.slug} B2B: {sum(by_state.values())} meeting requests ({states}); {published}"


def documents_summary(forum: Forum) -> str:
    """One line on the forum's register of documents (issue 10): how many, what the public tally says, and the
    coming ceremony's run-sheet."""
    from forum.documents import tally
    from forum.documents.models import Document

    total = db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(Document.forum_id == forum.id))
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(
        Document.forum_id == forum.id, Document.ceremony_position.is_not(None), Document.exchanged_at.is_(None)))
    s = tally.summary(forum.id)
    kinds = ", ".join(f"{n} {kind.value}" for kind, n in s.by_kind)
    return (f"  {forum.slug} documents: {total} in the register; public tally {s.total} ({kinds}); "
            f"{waiting} waiting on the ceremony's run-sheet")


def demo_logins() -> str:
    """The demo's sign-ins, for `make run` to print every time (unless someone changed them)."""
    lines = ["Demo logins (http://127.0.0.1:5000/login):"]
    for login in LOGINS:
        lines.append(f"  {login.email:<24} {login.password:<22} {LOGIN_NOTES[login.kind]}")
    lines.append(_device_token_line())
    return "\n".join(lines)


def _device_token_line() -> str:
    return (f"Demo device token of staff@example.org for {MAIN_SLUG} (API: Authorization: Bearer <token>):\n"
            f"  {DEMO_DEVICE_TOKEN}\n"
            f"Demo token of organizer@example.org for {MAIN_SLUG}'s documents register (the API's full view):\n"
            f"  {DEMO_REGISTER_TOKEN}")


def _decide(reg: Registration, to: RegState, organizer: User, reason: str = "") -> None:
    """The organizer's decision, through the state machine with its capacity check and audit entry.

    Not review.decide(): that always renders the decision e-mails, which the demo would delete
    again at once; skipping them halves the load time.
    """
    states.transition(reg, to, by=organizer, reason=reason, notify=False)


@dataclass
class _Planned:
    when: datetime
    data: CompanyInput
    late: bool = False
    keep: bool = False  # never rejected, waitlisted or left pending (the demo delegate's company)


@dataclass
class _Seeder:
    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    emails: set[str] = field(default_factory=lambda: {login.email for login in LOGINS})
    slugs: set[str] = field(default_factory=set)
    forums: list[Forum] = field(default_factory=list)
    users: dict[str, tuple[User, bool]] = field(default_factory=dict)

    def run(self) -> None:
        for login in LOGINS:
            self.users[login.kind] = self._login(login)
        organizer = self.users[ADMIN][0]
        main = self._main_forum(organizer)
        second = self._second_forum(organizer, main)
        self.forums = [main, second]
        # Issue 13: their texts in five languages (Tashkent's with no Kazakh: a Kazakh reader gets the Russian).
        demo_languages.add_texts(main, demo_languages.ASTANA)
        demo_languages.add_texts(second, demo_languages.TASHKENT)
        # The teams: a second organizer who manages only Tashkent, staff at the Astana door only.
        teams.grant(second, self.users[ORGANIZER][0], [Permission.MANAGE], by=organizer)
        teams.grant(main, self.users[STAFF][0], [Permission.CHECKIN], by=organizer)
        shared = self._fill_main(main, organizer)
        self._fill_second(second, organizer, shared)
        db.session.flush()
        # Every submission and decision above queued real e-mails (about 1,500) for made-up
        # addresses. Drop them, or `forum worker` would send them. Only these two new forums'
        # rows go: anything queued before stays queued.
        db.session.execute(
            sa.delete(OutboxMessage).where(OutboxMessage.forum_id.in_([f.id for f in self.forums]))
        )
        self._failed_mail(main)
        self._misspelt_name(main, organizer)
        self._reversible_decisions(main, second, organizer)
        self._returning_company(main, organizer)
        self._door(main, second, organizer)
        self._b2b(main, organizer)
        self._documents(main, organizer)
        self._offline(main)
        self._venue_day(organizer)
        # Issue 13 (last: its mails stay in the outbox, once per person in their language).
        self.postponed = demo_languages.postpone_tashkent(second, self.users[ORGANIZER][0], self.now)
        self.message = demo_languages.message_japanese_delegates(main, organizer)
        # Told, then delivered: the demo leaves no mail of its own to send (`make run` would mail made-up addresses);
        # the outbox keeps each registrant's message, in their language, as sent.
        db.session.execute(sa.update(OutboxMessage).where(
            OutboxMessage.forum_id.in_([main.id, second.id]), OutboxMessage.status == MailStatus.QUEUED,
            OutboxMessage.template.in_(["postponed", "announcement"])).values(status=MailStatus.SENT, sent_at=self.now))

    def _failed_mail(self, forum: Forum) -> None:
        """Two approval mails a mail server refused for good, so that Manage → Mail shows what failed and
        why. Re-queueing them in `make run` writes them to instance/mail/ (the addresses are .example)."""
        from forum.notifications.models import MailStatus
        from forum.registration.mails import decision_mail

        regs = db.session.scalars(
            sa.select(Registration).where(Registration.forum_id == forum.id, Registration.state == RegState.APPROVED)
            .order_by(Registration.id).limit(2)
        ).all()
        for reg in regs:
            decision_mail(reg, RegState.APPROVED)
        db.session.flush()
        for msg in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.forum_id == forum.id)):
            msg.status, msg.attempts = MailStatus.FAILED, current_app.config["MAIL_MAX_ATTEMPTS"]
            msg.last_error = (f"SMTPRecipientsRefused: {{'{msg.to_addr}': (550, b'5.1.1 "
                              f"<{msg.to_addr}>: Recipient address rejected: mailbox unavailable')}}")

    def _misspelt_name(self, forum: Forum, organizer: User) -> None:
        """Aoba Trading's Almaty office, whose contact person is the demo delegate: the organizer entered its two
        delegates by hand from an e-mail and typed Әлибек for Әлібек (и for і, on a Russian keyboard). Signed in
        as delegate@example.org, "My registrations" offers to correct it, and to send someone in Yerlan's place.
        No randomness: the rest of the demo stays as it was."""
        def kazakh(full_name: str, latin_name: str, email: str, position: str, phone: str) -> DelegateInput:
            return DelegateInput(full_name=full_name, latin_name=latin_name, email=email, position=position,
                                 phone=phone, languages=["kk", "ru", "en"], language="ru")

        tanaka = next(login for login in LOGINS if login.kind == DELEGATE)
        data = CompanyInput(
            legal_name="«Аоба Трейдинг Қазақстан» ЖШС", name_en="Aoba Trading Kazakhstan LLP", country="KZ",
            city="Алматы", sector="trade", contact_name=tanaka.name, contact_email=tanaka.email,
            contact_phone="+81 90 3412 7788", contact_position="海外事業部長", privacy_accepted=True, language="ja",
            website="www.aoba-trading-kz.example",
            delegates=[
                kazakh(MISSPELT_NAME, "SEITKALIYEV Alibek", "a.seitkaliyev@aoba-trading-kz.example",
                       "Алматы өкілдігінің басшысы", "+7 701 418 2290"),
                kazakh("Ерлан Жақсыбеков", "ZHAKSYBEKOV Yerlan", "y.zhaksybekov@aoba-trading-kz.example",
                       "Сауда менеджері", "+7 701 418 2291"),
            ])
        company = registration.submit(forum, data, manual=True, by=organizer,
                                      now=forum.registration_closes_at - timedelta(days=5))
        for reg in company.delegates:
            _decide(reg, RegState.APPROVED, organizer)
        db.session.execute(sa.delete(OutboxMessage).where(  # its mails only: the failed ones above stay
            OutboxMessage.forum_id == forum.id, OutboxMessage.status == MailStatus.QUEUED))

    def _reversible_decisions(self, main: Forum, second: Forum, organizer: User) -> None:
        """Issue 7's decisions to try: Astana promotes its waiting list automatically (the default), Tashkent
        asks its organizers; a rejected Astana delegate the README asks the organizer to reconsider.

        No randomness, and after everything else: the rest of the demo stays as it was.
        """
        from forum.forums.services import input_of
        from forum.notifications.models import OutboxMessage

        last_mail = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
        data = input_of(second)
        data.waitlist_mode = WaitlistMode.ASK.value
        save_forum(data, by=organizer, forum=second)
        # One Tashkent delegate on the waiting list: its organizers see "… places free — promote …?".
        waiting = db.session.scalars(
            sa.select(Registration).where(Registration.forum_id == second.id, Registration.state == RegState.PENDING)
            .order_by(Registration.created_at.desc(), Registration.id.desc()).limit(1)).first()
        if waiting is not None:
            _decide(waiting, RegState.WAITLISTED, organizer, "Waiting list until the delegation's size is confirmed.")

        self.emails.add(RECONSIDER_EMAIL)
        company = registration.submit(main, CompanyInput(
            legal_name="ТОО «Дала Агро»", name_en="Dala Agro LLP", country="KZ", city="Қостанай", sector="agriculture",
            contact_name="Серік Жұмабаев", contact_email=RECONSIDER_EMAIL, contact_phone="+7 714 255 1020",
            contact_position="Директор", privacy_accepted=True, language="ru",
            delegates=[DelegateInput(full_name="Серік Жұмабаев", latin_name="ZHUMABAYEV Serik", email=RECONSIDER_EMAIL,
                                     position="Директор", phone="+7 714 255 1020", languages=["kk", "ru"],
                                     language="ru")],
        ), now=main.registration_closes_at - timedelta(days=6))
        _decide(company.delegates[0], RegState.REJECTED, organizer, RECONSIDER_REASON)
        db.session.flush()
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id > last_mail))

    def _returning_company(self, forum: Forum, organizer: User) -> None:
        """Sairan Agro: approved for Astana, with its contact person among the delegates; not registered for
        Tashkent. Fixed data (no draws from the seeder's rng, so everything before stays as it was)."""
        contact = next(login for login in LOGINS if login.kind == CONTACT)
        first_mail = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
        legal_name, name_en = RETURNING_COMPANY
        delegates = [
            DelegateInput(full_name=contact.name, latin_name="Gulnara YESSENOVA", email=contact.email,
                          position="Директор по развитию", phone="+7 701 555 20 24", languages=["kk", "ru", "en"],
                          language="ru"),
            DelegateInput(full_name="Нұрлан Әбдіров", latin_name="Nurlan ABDIROV", email="n.abdirov@sairan-agro.example",
                          position="Export Manager", phone="+7 777 301 45 12", languages=["kk", "ru"], language="ru"),
            DelegateInput(full_name="Айгүл Серікова", latin_name="Aigul SERIKOVA", email="a.serikova@sairan-agro.example",
                          position="Chief Agronomist", languages=["kk", "ru", "en", "zh"], language="en"),
        ]
        data = CompanyInput(
            legal_name=legal_name, name_en=name_en, country="KZ", city="Almaty", sector="agriculture",
            website="www.sairan-agro.example", contact_name=contact.name, contact_email=contact.email,
            contact_phone="+7 701 555 20 24", contact_position="Директор по развитию", delegates=delegates,
            privacy_accepted=True, directory_consent=True, language="ru",
            profile="Grain, pulses and oilseeds from the Almaty region; looking for Japanese and Uzbek buyers "
                    "and for drip-irrigation partners.",
        )
        company = registration.submit(forum, data, now=forum.registration_opens_at + timedelta(days=12, hours=3))
        for reg in company.delegates:
            _decide(reg, RegState.APPROVED, organizer)
        db.session.flush()
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id > first_mail,
                                                          OutboxMessage.forum_id == forum.id))

    def _login(self, login: Login) -> tuple[User, bool]:
        existing = accounts.find_by_email(login.email)
        if existing is not None:
            return existing, False
        return accounts.create_user(login.email, login.name, login.password, "en", is_admin=login.kind == ADMIN), True

    # --- the forums -----------------------------------------------------------------------------

    def _local(self, tz: str, days: int, hour: int, minute: int = 0) -> datetime:
        """Naive wall-clock time in `tz`, `days` from today there: what save_forum expects."""
        today = self.now.astimezone(ZoneInfo(tz)).date()
        return datetime.combine(today + timedelta(days=days), time(hour, minute))

    def _main_forum(self, organizer: User) -> Forum:
        tz = "Asia/Almaty"
        return save_forum(ForumInput(
            slug=MAIN_SLUG, title="Central Asia + Japan Business Forum", city="Astana", country="KZ", timezone=tz,
            venue="Palace of Independence", capacity=500, status=ForumStatus.PUBLISHED.value,
            public_categories=[c.value for c in Category],
            starts_local=self._local(tz, 14, 9), ends_local=self._local(tz, 15, 18),
            opens_local=self._local(tz, -60, 9), closes_local=self._local(tz, -2, 18),
            # Contact persons and delegates correct names until then; the badges are printed after it.
            badge_deadline_local=self._local(tz, 11, 18),
            description=(
                "Two days of plenary sessions, sector panels and B2B meetings between companies from "
                "Kazakhstan, Uzbekistan, Kyrgyzstan, Tajikistan, Turkmenistan and Japan."
            ),
        ), by=organizer)

    def _second_forum(self, organizer: User, main: Forum) -> Forum:
        tz = "Asia/Tashkent"
        start_day = (main.local(main.starts_at).date() - self.now.astimezone(ZoneInfo(tz)).date()).days + 2
        return save_forum(ForumInput(
            slug=SECOND_SLUG, title="Uzbekistan–Japan Business Forum", city="Tashkent", country="UZ", timezone=tz,
            venue="Tashkent International Congress Centre", capacity=300, status=ForumStatus.PUBLISHED.value,
            public_categories=[c.value for c in Category],
            starts_local=self._local(tz, start_day, 9), ends_local=self._local(tz, start_day + 1, 18),
            opens_local=self._local(tz, -30, 9), closes_local=self._local(tz, 10, 18),
            description="Textiles, agriculture, energy and logistics: Uzbek and Japanese companies meet in Tashkent.",
        ), by=organizer)

    # --- the companies --------------------------------------------------------------------------

    def _email(self, local: str, domain: str) -> str:
        email, n = f"{local}@{domain}", 1
        while email in self.emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.emails.add(email)
        return email

    def _delegate(self, country: str, domain: str, sector: str) -> DelegateInput:
        rng = self.rng
        p = names.person(country, rng)
        if sector == "media":
            category = Category.PRESS
        else:
            category = rng.choices(
                [Category.DELEGATE, Category.SPEAKER, Category.VIP], weights=[92, 5, 3]
            )[0]
        # The same order of random draws as always, so the demo stays the same run after run.
        email = self._email(names.email_local(p, rng), domain)
        position = names.position(country, rng)
        phone = names.phone(country, rng) if rng.random() < 0.85 else ""
        spoken = names.languages(country, rng)
        # Each delegate's mail in a language they speak: Japanese for the Japanese; about two in five Kazakh and
        # Uzbek delegates choose their state language, the others Russian (like Kyrgyz, Tajik and Turkmen ones).
        # Chosen from the address, not the seeder's rng, so the draws (and the demo) stay as they were.
        language = "ja" if country == "JP" else ("ru" if "ru" in spoken else "en")
        own = {"KZ": "kk", "UZ": "uz"}.get(country)
        if own in spoken and int(hashlib.sha256(email.encode()).hexdigest(), 16) % 5 < 2:
            language = own
        return DelegateInput(full_name=p.full_name, latin_name=p.latin_name, email=email, position=position,
                             phone=phone, languages=spoken, category=category.value, language=language)

    def _company(self, country: str, n_delegates: int, *, sector: str | None = None,
                 name: tuple[str, str] | None = None) -> CompanyInput:
        rng = self.rng
        sector = sector or rng.choices(list(SECTOR_WEIGHTS), weights=list(SECTOR_WEIGHTS.values()))[0]
        if name is not None:
            legal_name, name_en = name
            slug = names.ascii_slug(name_en, "-")
        else:
            while True:
                cn = names.company_name(country, sector, rng)
                legal_name, name_en, slug = cn.legal_name, cn.name_en, cn.slug
                if slug not in self.slugs:
                    break
        self.slugs.add(slug)
        domain = f"{slug}.example"  # reserved TLD: the demo never names a real mailbox
        delegates = [self._delegate(country, domain, sector) for _ in range(n_delegates)]
        if rng.random() < 0.75:
            first = delegates[0]
            contact_name, contact_email, contact_phone, contact_position = (
                first.full_name, first.email, first.phone, first.position)
        else:
            p = names.person(country, rng)
            contact_name, contact_email = p.full_name, self._email(names.email_local(p, rng), domain)
            contact_phone, contact_position = names.phone(country, rng), "International Relations Officer"
        return CompanyInput(
            legal_name=legal_name, name_en=name_en, country=country, city=names.city(country, rng), sector=sector,
            contact_name=contact_name, contact_email=contact_email, contact_phone=contact_phone,
            contact_position=contact_position, delegates=delegates, privacy_accepted=True,
            website=f"www.{domain}" if rng.random() < 0.6 else "", directory_consent=rng.random() < 0.7,
            language="ja" if country == "JP" else rng.choice(("ru", "ru", "en")),
        )

    def _n_delegates(self) -> int:
        return self.rng.choices(list(DELEGATES_PER_COMPANY), weights=list(DELEGATES_PER_COMPANY.values()))[0]

    def _sizes(self, companies: int, delegates: int) -> list[int]:
        """Delegation sizes drawn as usual, then nudged one by one until they add up to `delegates`."""
        sizes = [self._n_delegates() for _ in range(companies)]
        lo, hi = min(DELEGATES_PER_COMPANY), max(DELEGATES_PER_COMPANY)
        while (diff := delegates - sum(sizes)) != 0:
            i = self.rng.randrange(companies)
            if diff > 0 and sizes[i] < hi:
                sizes[i] += 1
            elif diff < 0 and sizes[i] > lo:
                sizes[i] -= 1
        return sizes

    def _country(self) -> str:
        return self.rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()))[0]

    def _on_time(self, forum: Forum, until: datetime) -> datetime:
        """A moment in the registration window, more of them towards the deadline, in office-ish hours."""
        rng = self.rng
        opens, closes = forum.registration_opens_at, min(forum.registration_closes_at, until)
        first_day, days = forum.local(opens).date(), (closes - opens).days + 1
        while True:
            day = first_day + timedelta(days=int(rng.betavariate(2.0, 1.2) * days))
            when = to_utc(datetime.combine(day, time(rng.randrange(8, 22), rng.randrange(60))), forum.timezone)
            if opens <= when < closes:
                return when

    def _delegate_login_company(self) -> CompanyInput:
        """The demo delegate's own company: Japanese, early in the window, approved."""
        data = self._company("JP", 2, sector="trade", name=("株式会社青葉トレーディング", "Aoba Trading Co., Ltd."))
        data.city = "Tokyo"
        data.directory_consent = True  # in the B2B directory: the demo delegate has meetings (issue 9)
        login = DelegateInput(full_name="田中 健一", latin_name="TANAKA Kenichi", email="delegate@example.org",
                              position="海外事業部長", phone="+81 90 3412 7788", languages=["ja", "en", "ru"])
        data.delegates.insert(0, login)
        data.contact_name, data.contact_email = login.full_name, login.email
        data.contact_phone, data.contact_position = login.phone, login.position
        return data

    # --- the first forum: registration closed two days ago, late requests coming in -------------

    def _fill_main(self, forum: Forum, organizer: User) -> list[CompanyInput]:
        rng = self.rng
        plans = [_Planned(forum.registration_opens_at + timedelta(days=3, hours=2), self._delegate_login_company(),
                          keep=True)]
        for country, (legal_name, name_en) in names.ASSOCIATIONS.items():
            plans.append(_Planned(self._on_time(forum, self.now),
                                  self._company(country, rng.choice((1, 2)), sector="association",
                                                name=(legal_name, name_en))))
        late_sizes = [rng.choice((1, 1, 2, 2, 3)) for _ in range(LATE_COMPANIES)]
        sizes = self._sizes(MAIN_COMPANIES - len(plans),
                            MAIN_DELEGATES - sum(late_sizes) - sum(len(p.data.delegates) for p in plans))
        for size in sizes:
            plans.append(_Planned(self._on_time(forum, self.now), self._company(self._country(), size)))
        late_from, late_until = forum.registration_closes_at + timedelta(minutes=30), self.now - timedelta(minutes=5)
        reasons = rng.sample(names.LATE_REASONS, len(names.LATE_REASONS))
        for i, size in enumerate(late_sizes):
            country = "UZ" if i == 0 else self._country()
            data = self._company(country, size)
            data.late_reason = reasons[i % len(reasons)]
            if i % 2 == 0:
                data.endorsed_by = names.ENDORSERS[country]
            when = late_from + (late_until - late_from) * rng.random()
            plans.append(_Planned(when.replace(second=0, microsecond=0), data, late=True))
        # Some of the same companies go to Tashkent too; copied before submit() normalises them in place.
        shared = [copy.deepcopy(plans[0].data)] + [
            copy.deepcopy(p.data) for p in plans[len(names.ASSOCIATIONS) + 1:] if p.data.country == "JP"][:2]

        plans.sort(key=lambda p: p.when)
        submitted = [(p, registration.submit(forum, p.data, now=p.when)) for p in plans]

        on_time = [(p, c) for p, c in submitted if not p.late]
        pending: set[int] = set()
        for p, company in reversed(on_time):
            if len(pending) >= PENDING_AT_LEAST:
                break
            if not p.keep:
                pending.update(r.id for r in company.delegates)
        decided = [r for p, c in on_time for r in c.delegates if r.id not in pending]
        candidates = [r for (p, c) in on_time if not p.keep for r in c.delegates if r.id not in pending]
        picked = rng.sample(candidates, REJECTED + WAITLISTED)
        rejected, waitlisted = {r.id for r in picked[:REJECTED]}, {r.id for r in picked[REJECTED:]}
        for reg in decided:
            if reg.id in rejected:
                _decide(reg, RegState.REJECTED, organizer, rng.choice(names.REJECTION_REASONS))
            elif reg.id in waitlisted:
                _decide(reg, RegState.WAITLISTED, organizer, "Waiting list until the size of the delegation is confirmed.")
            else:
                _decide(reg, RegState.APPROVED, organizer)
                if reg.requested_category is not None:
                    # Speakers, press and VIPs ask on the form; the organizer confirmed those approved.
                    review.confirm_category(reg, by=organizer)

        registration.create_invitation(
            forum, company_name="株式会社北斗メディカル (Hokuto Medical Co., Ltd.)",
            email="overseas@hokuto-medical.example", by=organizer, days_valid=7, language="ja",
            note="At the request of the Embassy of Japan: a delegation of two, medical equipment.",
        )
        return shared

    # --- the second forum: registration open, a handful of companies so far ---------------------

    def _fill_second(self, forum: Forum, organizer: User, shared: list[CompanyInput]) -> None:
        plans = [_Planned(self._on_time(forum, self.now - timedelta(hours=1)), data) for data in shared]
        while len(plans) < SECOND_COMPANIES:
            plans.append(_Planned(self._on_time(forum, self.now - timedelta(hours=1)),
                                  self._company("UZ", self._n_delegates())))
        plans.sort(key=lambda p: p.when)
        companies = [registration.submit(forum, p.data, now=p.when) for p in plans]
        for company in companies[: len(companies) * 2 // 3]:
            for reg in company.delegates:
                _decide(reg, RegState.APPROVED, organizer)

    def _door(self, main: Forum, second: Forum, organizer: User) -> None:
        """Issue 8: every approved Astana delegate has a badge (issued on approval); a door rehearsal this
        morning at Gate 1 and Gate 2 admitted some of them, one delegate lost a badge and got a new one, and the
        failed scans the dashboard lists: the lost badge, garbage, a Tashkent badge.
        Fixed choices (no draws from the seeder's rng), so everything before stays as it was."""
        from forum.badges import issuing
        from forum.checkin import services as checkin

        staff = self.users[STAFF][0]
        issuing.ensure_badges(main)
        issuing.ensure_badges(second)
        badges = issuing.live_badges(main)
        start = self.now - timedelta(minutes=100)

        def scan(code: str, minute: float, device: str, nonce: str, direction: str = "in") -> None:
            checkin.check_in(main, code, by=staff, device=device, nonce=f"demo-{nonce}", direction=direction,
                             now=start + timedelta(minutes=minute))

        admitted = badges[::7]  # about one in seven of the approved delegates
        for i, badge in enumerate(admitted):
            # arrivals bunch up early, as at a real door: the i-th at about 1.5 * sqrt(i) * 10 minutes
            scan(badge.token, 15 * (i / max(len(admitted), 1)) ** 0.5 * 6, "Gate 1" if i % 3 else "Gate 2",
                 f"in-{i}")
        scan(admitted[1].token, 40, "Gate 2", "again-1")  # already checked in
        scan(admitted[2].token, 70, "Gate 1", "out-2", direction="out")  # stepped out for a call
        lost = badges[3]
        new = issuing.reissue(lost, by=organizer, reason="Lost at the hotel; a new badge was printed.")
        scan(lost.token, 75, "Gate 1", "lost")  # the old badge: revoked
        scan(new.token, 76, "Gate 1", "lost-new")
        scan("https://example.org/b/1NOTAREALBADGE", 80, "Gate 2", "garbage")
        from forum.api import tokens as device_tokens

        device_tokens.create(staff, label=DEMO_DEVICE_LABEL, forum=main, by=organizer,
                             known_secret=DEMO_DEVICE_TOKEN)
        tashkent = issuing.live_badges(second)
        if tashkent:
            scan(tashkent[0].token, 85, "Gate 2", "wrong-forum")
        db.session.flush()

    def _b2b(self, main: Forum, organizer: User) -> None:
        """Issue 9: profiles, about 1,500 meeting requests, the meeting grid and a published schedule
        (forum.demo.b2b, with its own seeded random generator). Its e-mails are dropped like the others'."""
        from forum.demo import b2b

        first_mail = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
        tanaka = next(login for login in LOGINS if login.kind == DELEGATE)
        b2b.seed(main, organizer, self.now, tanaka.email)
        db.session.flush()
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id > first_mail))

    def _documents(self, main: Forum, organizer: User) -> None:
        """Issue 10: the register of 34 documents, their follow-ups and the coming ceremony's run-sheet
        (forum.demo.documents, with its own seeded random generator)."""
        from forum.demo import documents

        from forum.api import tokens as device_tokens

        contact = next(login for login in LOGINS if login.kind == CONTACT)
        documents.seed(main, organizer, self.now, contact.email)
        device_tokens.create(organizer, label="Documents register (demo)", forum=main, by=organizer,
                             known_secret=DEMO_REGISTER_TOKEN)

    def _offline(self, main: Forum) -> None:
        """Issue 11: two phones admitted people offline while the Wi-Fi was down (one conflict of each kind on the
        dashboard), and delegate@example.org saved contacts by scanning badges (forum.demo.offline)."""
        from forum.demo import offline

        tanaka = next(login for login in LOGINS if login.kind == DELEGATE)
        self.offline = offline.seed(main, self.users[STAFF][0], self.now, tanaka.email)

    def _venue_day(self, organizer: User) -> None:
        """Issue 12: a one-day B2B forum in Almaty whose meetings are happening now (forum.demo.venue): held,
        no-shows, a walk-in, outcomes; the demo delegate's next meeting confirmed by scanning a badge."""
        from forum.demo import venue

        self.venue = venue.VenueDay(organizer, self.now)
        self.forums.append(self.venue.run())

    # --- what `forum demo` prints -----------------------------------------------------------------

    def summary(self, seconds: float) -> str:
        lines = [f"Demo loaded in {seconds:.1f} s.", "", "Forums:"]
        for forum in db.session.scalars(sa.select(Forum).where(Forum.slug.in_([MAIN_SLUG, SECOND_SLUG]))
                                        .order_by(Forum.starts_at)):
            counts = dict(db.session.execute(
                sa.select(Registration.state, sa.func.count()).where(Registration.forum_id == forum.id)
                .group_by(Registration.state)
            ).all())
            companies = db.session.scalar(sa.select(sa.func.count()).select_from(CompanyRegistration)
                                          .where(CompanyRegistration.forum_id == forum.id))
            start = forum.local(forum.starts_at)
            by_state = ", ".join(f"{counts[s]} {s.value}" for s in RegState if counts.get(s))
            lines.append(f"  /forums/{forum.slug}  {forum.title}, {forum.city}, {start:%d %b %Y} "
                         f"({forum.phase().value}): {companies} companies; delegates {by_state}")
        invitations = db.session.scalar(
            sa.select(sa.func.count()).select_from(LateInvitation)
            .where(LateInvitation.forum_id.in_([f.id for f in self.forums]), LateInvitation.used_at.is_(None))
        )
        lines.append(f"  open late-entry invitations: {invitations}")
        from forum.checkin import queries as door

        main = next(f for f in self.forums if f.slug == MAIN_SLUG)
        seen = door.arrivals(main)
        lines.append(f"  {MAIN_SLUG}: every approved delegate has a badge; the door rehearsal admitted "
                     f"{seen.arrived} of {seen.expected} ({seen.present} inside now)")
        lines.append(b2b_summary(main))
        lines.append(documents_summary(main))
        seeded = getattr(self, "offline", None)
        if seeded is not None:
            lines.append(f"  offline: {seeded.offline_scans} scans uploaded by two phones after a Wi-Fi outage, "
                         f"{seeded.conflicts} conflicts on the check-in dashboard")
            lines.append(f"  contacts: delegate@example.org saved {seeded.contacts}; signed in as them, open "
                         f"{seeded.try_badge} to save another")
        message = getattr(self, "message", None)
        if message is not None:
            lines.append(f"  {MAIN_SLUG}: a message to the Japanese delegates not yet checked in went to "
                         f"{message['sent']} people in Japanese (one refused by their mail server: resend it from "
                         f"/manage/{MAIN_SLUG}/messages/{message['id']})")
        postponed = getattr(self, "postponed", None)
        if postponed is not None:
            lines.append(f"  /forums/{SECOND_SLUG} is postponed by four weeks: every registrant's e-mail is in the "
                         f"outbox in their language; answers so far: {postponed['confirmed']} still come, "
                         f"{postponed['declined']} cannot, {postponed['pending']} not yet "
                         f"(/manage/{SECOND_SLUG}/postponement)")
        venue_day = getattr(self, "venue", None)
        if venue_day is not None:
            lines.append(venue_summary(venue_day))
        lines += ["", "Logins (e-mail / password):"]
        for login in LOGINS:
            created = self.users[login.kind][1]
            password = login.password if created else "(existing account: password unchanged)"
            lines.append(f"  {login.email:<24} {password:<22} {LOGIN_NOTES[login.kind]}")
        lines.append(_device_token_line())
        return "\n".join(lines)
