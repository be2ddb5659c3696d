"""The demo's B2B day that is happening now (issue 12): `almaty-b2b-day`, a one-day B2B forum in Almaty whose
meeting slots run around the moment the demo is loaded, so that the venue can be tried live.

- 30-minute slots: four before the load, the fifth starting two minutes after it, five more after that.
- Twenty delegates of nine companies (Japan, Kazakhstan, Uzbekistan, Kyrgyzstan), each with a badge; accepted
  meeting requests placed by a real scheduler run and published (yesterday).
- What happened this morning, through the real services: meetings confirmed by a badge scan, by the staff on
  the live board and by a table host; three nobody confirmed became no-shows; a walk-in was booked on one
  no-show's table and held; both sides recorded outcomes of the first meetings.
- The demo delegate (田中 健一) has a meeting in the slot that starts just after the load: scanning his
  counterpart's badge (the link `forum demo` prints) confirms it as held, for half an hour.

Fixed data, no random draws, so the rest of the demo stays as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from forum.accounts.models import User
from forum.attendance import rules as attendance
from forum.db import db
from forum.errors import DomainError
from forum.forums.models import Forum, ForumStatus
from forum.forums.services import ForumInput, save_forum
from forum.meetings import availability, grid, requests, scheduling
from forum.meetings.models import HeldVia, Meeting, MeetingSession, MeetingSlot, MeetingState
from forum.notifications.models import OutboxMessage
from forum.outcomes import services as outcomes
from forum.outcomes.models import OutcomeKind
from forum.registration import services as registration, states
from forum.registration.models import Category, Registration, RegState
from forum.registration.services import CompanyInput, DelegateInput

SLUG = "almaty-b2b-day"
TZ = "Asia/Almaty"
SLOT_MINUTES = 30
SLOTS_BEFORE, SLOTS_AFTER = 4, 6  # before the one that starts just after the load; it and the rest after
DELEGATE_EMAIL = "delegate@example.org"


@dataclass(frozen=True)
class _Company:
    country: str
    legal_name: str
    name_en: str
    city: str
    sector: str
    people: tuple[tuple[str, str, str, str, str], ...]  # full name, Latin name, e-mail, position, e-mail language


COMPANIES = (
    _Company("JP", "株式会社青葉トレーディング", "Aoba Trading Co., Ltd.", "Tokyo", "trade", (
        ("田中 健一", "TANAKA Kenichi", DELEGATE_EMAIL, "海外事業部長", "ja"),
        ("小林 さくら", "KOBAYASHI Sakura", "s.kobayashi@aoba-trading.example", "営業担当", "ja"))),
    _Company("JP", "瀬戸内プラント株式会社", "Setouchi Plant Co., Ltd.", "Okayama", "energy", (
        ("佐藤 美咲", "SATO Misaki", "m.sato@setouchi-plant.example", "プロジェクトマネージャー", "ja"),
        ("山本 翔太", "YAMAMOTO Shota", "s.yamamoto@setouchi-plant.example", "技術部長", "ja"))),
    _Company("JP", "株式会社みらい農業", "Mirai Agri Inc.", "Niigata", "agriculture", (
        ("鈴木 大輔", "SUZUKI Daisuke", "d.suzuki@mirai-agri.example", "代表取締役", "ja"),)),
    _Company("KZ", "«Астана Энерго Сервис» ЖШС", "Astana Energo Service LLP", "Астана", "energy", (
        ("Әлия Нұрланқызы", "NURLANKYZY Aliya", "a.nurlankyzy@astana-energo.example", "Бас директор", "ru"),
        ("Данияр Серікбаев", "SERIKBAYEV Daniyar", "d.serikbayev@astana-energo.example", "Бас инженер", "ru"))),
    _Company("KZ", "«Қазақ Логистика» АҚ", "Kazakh Logistics JSC", "Алматы", "transport", (
        ("Ержан Тоқтаров", "TOKTAROV Yerzhan", "y.toktarov@kaz-logistics.example", "Коммерциялық директор", "ru"),
        ("Мадина Әбенова", "ABENOVA Madina", "m.abenova@kaz-logistics.example", "Менеджер", "en"))),
    _Company("KZ", "ТОО «Алатау Фарм»", "Alatau Pharm LLP", "Алматы", "healthcare", (
        ("Гүлмира Оспанова", "OSPANOVA Gulmira", "g.ospanova@alatau-pharm.example", "Директор по развитию", "ru"),)),
    _Company("UZ", "«Toshkent Tekstil» MChJ", "Tashkent Textile LLC", "Toshkent", "textiles", (
        ("Oʻtkir Gʻaniyev", "GANIYEV Utkir", "u.ganiyev@toshkent-tekstil.example", "Direktor", "ru"),
        ("Dilnoza Yoʻldosheva", "YULDOSHEVA Dilnoza", "d.yuldosheva@toshkent-tekstil.example", "Eksport menejeri",
         "en"))),
    _Company("UZ", "«Samarqand Agro Invest» AJ", "Samarkand Agro Invest JSC", "Samarqand", "agriculture", (
        ("Shoxrux Qodirov", "KODIROV Shokhrukh", "s.kodirov@samarqand-agro.example", "Boshqaruv raisi", "ru"),)),
    _Company("KG", "«Бишкек Тех» ОсОО", "Bishkek Tech LLC", "Бишкек", "it", (
        ("Айбек Осмонов", "OSMONOV Aibek", "a.osmonov@bishkek-tech.example", "Генеральный директор", "ru"),
        ("Нургуль Асанова", "ASANOVA Nurgul", "n.asanova@bishkek-tech.example", "CTO", "en"))),
)

# Accepted meeting requests, by Latin name: (requester, recipient). 田中 健一's four come first.
PAIRS = (
    ("TANAKA Kenichi", "NURLANKYZY Aliya"), ("TANAKA Kenichi", "TOKTAROV Yerzhan"),
    ("GANIYEV Utkir", "TANAKA Kenichi"), ("TANAKA Kenichi", "OSPANOVA Gulmira"),
    ("SATO Misaki", "NURLANKYZY Aliya"), ("SERIKBAYEV Daniyar", "SATO Misaki"), ("YAMAMOTO Shota", "OSMONOV Aibek"),
    ("SUZUKI Daisuke", "KODIROV Shokhrukh"), ("SUZUKI Daisuke", "ABENOVA Madina"),
    ("KOBAYASHI Sakura", "YULDOSHEVA Dilnoza"), ("KOBAYASHI Sakura", "ASANOVA Nurgul"),
    ("SATO Misaki", "GANIYEV Utkir"), ("YAMAMOTO Shota", "TOKTAROV Yerzhan"), ("SUZUKI Daisuke", "OSPANOVA Gulmira"),
    ("KODIROV Shokhrukh", "SERIKBAYEV Daniyar"), ("OSMONOV Aibek", "ABENOVA Madina"),
    ("YAMAMOTO Shota", "YULDOSHEVA Dilnoza"), ("KOBAYASHI Sakura", "TOKTAROV Yerzhan"),
    ("SATO Misaki", "OSMONOV Aibek"), ("SUZUKI Daisuke", "ASANOVA Nurgul"),
)
# 田中 健一's meetings land in these slots (0: the one starting just after the load): he is busy in the others.
TANAKA_SLOTS = (-3, -1, 0, 2)


def _ceil_minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0) + timedelta(minutes=1)


class VenueDay:
    def __init__(self, organizer: User, now: datetime) -> None:
        self.organizer, self.now = organizer, now
        self.zone = ZoneInfo(TZ)
        # The slot that starts just after the load, in forum-local wall-clock time.
        self.t0 = _ceil_minute(now + timedelta(minutes=1)).astimezone(self.zone).replace(tzinfo=None)
        self.first = self.t0 - timedelta(minutes=SLOT_MINUTES * SLOTS_BEFORE)
        self.last = self.t0 + timedelta(minutes=SLOT_MINUTES * (SLOTS_AFTER + 1))

    def run(self) -> Forum:
        forum = self._forum()
        self.people = self._people(forum)
        self._grid(forum)
        self._requests(forum)
        run = scheduling.run(forum, by=self.organizer, time_limit=5, now=self.now - timedelta(days=1))
        scheduling.publish(run, by=self.organizer, now=self.now - timedelta(days=1))
        self.forum = forum
        self._this_morning(forum)
        # The demo queues no mail of its own: the registrations', requests', schedule's and walk-in's mails go.
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.forum_id == forum.id))
        return forum

    # --- this morning at the venue ------------------------------------------------------------------

    def _slot_meetings(self, k: int) -> list[Meeting]:
        slot = self.slot_at.get(k)
        if slot is None:
            return []
        return list(db.session.scalars(sa.select(Meeting).where(Meeting.slot_id == slot.id).order_by(Meeting.id)))

    def _this_morning(self, forum: Forum) -> None:
        """Confirmations as they come at a real venue, three no-shows, a walk-in on a freed table, outcomes."""
        tanaka = self.people["TANAKA Kenichi"]
        ways = (HeldVia.SCAN, HeldVia.SCAN, HeldVia.STAFF, HeldVia.TABLE)
        missed: list[Meeting] = []
        for k in range(-SLOTS_BEFORE, 0):
            skipped = k not in (-4, -2, -1)
            for i, m in enumerate(self._slot_meetings(k)):
                mine = tanaka.id in (m.a_id, m.b_id)
                if not mine and not skipped:
                    missed.append(m)  # nobody came, or nobody told anyone
                    skipped = True
                    continue
                via = HeldVia.TABLE if (mine and k == -1) else HeldVia.SCAN if mine else ways[(i + k) % len(ways)]
                by = {HeldVia.SCAN: (tanaka.user if mine else m.b.user), HeldVia.STAFF: self.organizer,
                      HeldVia.TABLE: None}[via]
                attendance.confirm(m, via=via, by=by, now=m.slot.starts_at + timedelta(minutes=2 + i % 4))
        # Twelve minutes into the slot of the latest no-show the organizer books a walk-in on its freed table.
        self.walk_in = self._walk_in(forum, missed[-1]) if missed else None
        attendance.mark_no_shows(self.now, forum_id=forum.id)
        self._outcomes(tanaka)

    def _walk_in(self, forum: Forum, freed: Meeting) -> Meeting | None:
        at = freed.slot.starts_at + timedelta(minutes=12)
        busy = {p for m in db.session.scalars(sa.select(Meeting).where(Meeting.slot_id == freed.slot_id))
                if m.id != freed.id for p in (m.a_id, m.b_id)}
        free = [r for r in self.people.values() if r.id not in busy and r.id not in (freed.a_id, freed.b_id)]
        for a in free:
            for b in free:
                if a.company_id == b.company_id or a.company.country == b.company.country:
                    continue
                try:
                    with db.session.begin_nested():
                        m = attendance.book_walk_in(forum, a, b, freed.slot, freed.table, by=self.organizer, now=at)
                except DomainError:
                    continue
                attendance.confirm(m, via=HeldVia.STAFF, by=self.organizer, now=at + timedelta(minutes=3))
                return m
        return None

    def _outcomes(self, tanaka: Registration) -> None:
        kinds = (OutcomeKind.COOPERATION, OutcomeKind.INFORMATIVE, OutcomeKind.COOPERATION, OutcomeKind.NO_INTEREST)
        steps = {"ja": "覚書の草案を金曜日までに送る", "ru": "Отправить проект меморандума до пятницы",
                 "en": "Send the draft MOU by Friday"}
        n = 0
        for k in range(-SLOTS_BEFORE, -1):
            for m in self._slot_meetings(k):
                at = min(m.slot.ends_at + timedelta(minutes=20), self.now)
                for side in (m.a, m.b):
                    if side.id == tanaka.id:
                        continue  # his own to record in the demo
                    if m.state is MeetingState.NO_SHOW:
                        if side.id == m.a_id:
                            outcomes.record(m, side, kind=OutcomeKind.NOT_HELD, by=side.user, now=at)
                        continue
                    kind = kinds[n % len(kinds)]
                    n += 1
                    outcomes.record(m, side, kind=kind, by=side.user, now=at,
                                    next_step=steps.get(side.language, steps["en"])
                                    if kind is OutcomeKind.COOPERATION else "",
                                    next_step_on=(at + timedelta(days=14)).date()
                                    if kind is OutcomeKind.COOPERATION else None)

    # --- the forum and its people -------------------------------------------------------------------

    def _forum(self) -> Forum:
        day = self.first.replace(hour=0, minute=0)
        starts = min(self.first - timedelta(minutes=30), day.replace(hour=9))
        ends = max(self.last + timedelta(minutes=30), day.replace(hour=19))
        return save_forum(ForumInput(
            slug=SLUG, title="Almaty–Japan B2B Day", city="Almaty", country="KZ", timezone=TZ,
            venue="Rixos Almaty, Hall A", capacity=60, status=ForumStatus.PUBLISHED.value,
            public_categories=[c.value for c in Category],
            starts_local=starts.replace(second=0), ends_local=ends.replace(second=0),
            opens_local=(day - timedelta(days=30)).replace(hour=9), closes_local=(day - timedelta(days=2)).replace(hour=18),
            description="One day of B2B meetings between Japanese and Central Asian companies, "
                        "with the live board, table signs and outcomes of issue 12.",
        ), by=self.organizer)

    def _people(self, forum: Forum) -> dict[str, Registration]:
        when = forum.registration_opens_at + timedelta(days=5)
        out: dict[str, Registration] = {}
        for c in COMPANIES:
            contact = c.people[0]
            data = CompanyInput(
                legal_name=c.legal_name, name_en=c.name_en, country=c.country, city=c.city, sector=c.sector,
                contact_name=contact[0], contact_email=contact[2], contact_phone="", contact_position=contact[3],
                privacy_accepted=True, directory_consent=True, language=contact[4],
                delegates=[DelegateInput(full_name=n, latin_name=latin, email=email, position=pos, language=lang,
                                         languages=[lang, "en"]) for n, latin, email, pos, lang in c.people])
            company = registration.submit(forum, data, now=when)
            for reg in company.delegates:
                states.transition(reg, RegState.APPROVED, by=self.organizer, notify=False, now=when)
                out[reg.latin_name] = reg
        from forum.badges import issuing

        issuing.ensure_badges(forum)
        return out

    # --- the meeting grid, availability and requests --------------------------------------------------

    def _grid(self, forum: Forum) -> None:
        # One session from the first slot to the last. The organizer's form takes one day; a demo loaded late in
        # the evening runs past midnight, so the session is written here and its slots generated by the grid.
        session = MeetingSession(forum_id=forum.id, name="B2B · Hall A", slot_minutes=SLOT_MINUTES, gap_minutes=0,
                                 breaks=[], starts_at=self.first.replace(tzinfo=self.zone).astimezone(timezone.utc),
                                 ends_at=self.last.replace(tzinfo=self.zone).astimezone(timezone.utc))
        db.session.add(session)
        db.session.flush()
        grid.generate_slots(session)
        grid.add_tables(forum, "1-6", label="Hall A", by=self.organizer)
        slots = grid.forum_slots(forum)
        t0 = self.t0.replace(tzinfo=self.zone)
        self.slot_at = {round((s.starts_at - t0).total_seconds() / 60 / SLOT_MINUTES): s for s in slots}
        tanaka = self.people["TANAKA Kenichi"]
        busy = {str(s.id): "Plenary and ministry visit" for k, s in self.slot_at.items() if k not in TANAKA_SLOTS}
        availability.set_unavailable(tanaka, busy, by=self.organizer)

    def _requests(self, forum: Forum) -> None:
        when = self.now - timedelta(days=3)
        for a_name, b_name in PAIRS:
            a, b = self.people[a_name], self.people[b_name]
            req = requests.create(a, company=b.company, recipient=b, by=a.user, now=when)
            requests.accept(req, by=b.user, now=when + timedelta(hours=2))
            when += timedelta(minutes=17)

    # --- what the demo prints -----------------------------------------------------------------------

    def tanaka_now(self) -> Meeting | None:
        """The demo delegate's meeting in the slot starting just after the load."""
        tanaka = self.people["TANAKA Kenichi"]
        slot = self.slot_at.get(0)
        if slot is None:
            return None
        return db.session.scalar(sa.select(Meeting).where(
            Meeting.slot_id == slot.id, Meeting.state == MeetingState.SCHEDULED,
            sa.or_(Meeting.a_id == tanaka.id, Meeting.b_id == tanaka.id)))


def slots_of(forum: Forum) -> list[MeetingSlot]:
    return grid.forum_slots(forum)
