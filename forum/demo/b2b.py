"""The demo's B2B meetings (issue 9) in `central-asia-japan`, through the real services.

Companies that joined the directory have profiles in their own languages (Japanese technology offers, Central
Asian needs); delegates sent about 1,500 meeting requests over the last weeks, answered, declined, cancelled,
some expired at a first deadline that the organizers then extended; a morning and an afternoon session with 50
tables and interpreters (ja–ru, ja–kk, ja–uz, en–ru); speakers are away during the plenary; a schedule was run
and published, and a few requests were accepted after it, so that a re-run shows what it would add (and that
nothing published moves).

The demo delegate (田中 健一, Aoba Trading) has a profile, suggestions, requests waiting for an answer,
published meetings and one accepted request the schedule could not place, with its reason.

Its own random generator (seeded), so the rest of the demo stays as it was.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from forum.accounts.models import User
from forum.db import db
from forum.demo import b2b_texts as texts
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.meetings import availability, grid, participation, profiles, requests, scheduling
from forum.meetings.models import MeetingRequest, Priority, RequestState
from forum.registration.models import Category, CompanyRegistration, Registration

SEED = 2024_09
CENTRAL_ASIA = ("KZ", "UZ", "KG", "TJ", "TM")
REQUESTS_TARGET = 1500
INTERPRETERS = [  # name, languages, only in the morning
    ("佐々木 美穂", ["ja", "ru"], False), ("Ирина Ким", ["ja", "ru"], False), ("Алексей Петров", ["ja", "ru"], False),
    ("中村 裕子", ["ja", "ru"], True), ("Dmitriy Pak", ["ja", "ru"], False),
    ("Асель Жұмабекова", ["ja", "kk", "ru"], False), ("Нұржан Әлиев", ["ja", "kk"], False),
    ("Shahnoza Toʻxtayeva", ["ja", "uz", "ru"], False), ("Jasur Gʻofurov", ["ja", "uz"], True),
    ("Elena Sokolova", ["en", "ru"], False), ("Тимур Ахмедов", ["en", "ru"], False),
]


def _local(forum: Forum, day_offset: int, hhmm: str) -> str:
    day = forum.local(forum.starts_at).date() + timedelta(days=day_offset)
    return f"{day.isoformat()} {hhmm}"


class B2BSeeder:
    def __init__(self, forum: Forum, organizer: User, now: datetime, tanaka_email: str) -> None:
        self.forum, self.organizer, self.now = forum, organizer, now
        self.rng = random.Random(SEED)
        self.tanaka_email = tanaka_email

    def run(self) -> None:
        forum, org = self.forum, self.organizer
        first_deadline = self.now - timedelta(days=3)
        grid.save_settings(forum, grid.SettingsInput(
            enabled=True, request_deadline=forum.local(first_deadline).strftime("%Y-%m-%d %H:%M"),
            open_request_quota=25, default_max_meetings=8), by=org)
        self._grid()
        people = participation.participants(forum)
        self.people = people
        self.by_company: dict[int, list[Registration]] = {}
        for reg in people:
            self.by_company.setdefault(reg.company_id, []).append(reg)
        self._profiles()
        self._unavailability()
        # Two rounds of requests: the first before the first deadline (its unanswered ones expired), the second
        # after the organizers extended it to two days before the forum.
        self._requests(first_deadline - timedelta(days=18), first_deadline - timedelta(days=1), share=0.35,
                       leave_pending=0.12)
        requests.expire_due(first_deadline)
        grid.save_settings(forum, grid.SettingsInput(
            enabled=True, request_deadline=_local(forum, -2, "18:00"), open_request_quota=25,
            default_max_meetings=8), by=org)
        self._requests(first_deadline, self.now - timedelta(hours=2), share=1.0, leave_pending=0.25)
        self._tanaka()
        run = scheduling.run(forum, by=org, time_limit=20)
        scheduling.publish(run, by=org)
        self._after_publication()

    # --- the grid -------------------------------------------------------------------------------------

    def _grid(self) -> None:
        forum, org = self.forum, self.organizer
        grid.create_session(forum, grid.SessionInput(
            name="B2B · Day 1 morning", day=_local(forum, 0, "")[:10], start="10:30", end="13:00", slot_minutes=20,
            gap_minutes=5, breaks=""), by=org)
        grid.create_session(forum, grid.SessionInput(
            name="B2B · Day 1 afternoon", day=_local(forum, 0, "")[:10], start="14:30", end="18:00",
            slot_minutes=20, gap_minutes=5, breaks="16:10-16:30"), by=org)
        grid.add_tables(forum, "1-44", label="Hall B", by=org)
        extra = grid.add_tables(forum, "45-50", label="Hall C (afternoon only)", by=org)
        afternoon = [s.id for s in grid.forum_slots(forum) if forum.local(s.starts_at).hour >= 14]
        for table in extra:
            grid.update_table(table, grid.TableInput(number=table.number, label=table.label, active=True,
                                                     all_slots=False, slot_ids=afternoon), by=org)
        morning = [s.id for s in grid.forum_slots(forum) if forum.local(s.starts_at).hour < 14]
        for i, (name, langs, morning_only) in enumerate(INTERPRETERS):
            grid.save_interpreter(forum, grid.InterpreterInput(
                name=name, email=f"interpreter{i + 1}@central-asia-japan.example", languages=langs,
                all_slots=not morning_only, slot_ids=morning if morning_only else []), by=org)

    # --- profiles -------------------------------------------------------------------------------------

    def _profiles(self) -> None:
        rng = self.rng
        companies = db.session.scalars(sa.select(CompanyRegistration).where(
            CompanyRegistration.id.in_(list(self.by_company))).order_by(CompanyRegistration.id)).all()
        self.topics: dict[int, list[str]] = {}
        for company in companies:
            if company.sector in texts.TOPICS:
                own = texts.TOPICS[company.sector]
            else:
                own = texts.TOPICS[rng.choice(sorted(texts.TOPICS))]
            lang = texts.LANGUAGE_OF_COUNTRY.get(company.country, "ru")
            picked = rng.sample(own, min(len(own), rng.choice((1, 2, 2, 3))))
            other_sector = rng.choice(sorted(texts.TOPICS))
            spoken = sorted({code for reg in self.by_company[company.id] for code in reg.languages})
            if company.country == "JP":
                offers = "、".join(texts.term(t, "ja") for t in picked)
                seeks_items = [texts.ca_offer(o, "ru") for o in rng.sample(texts.CA_OFFERS, 2)]
                seeks = "、".join(seeks_items)
                kinds = ["partners", "distribution"] + (["suppliers"] if rng.random() < 0.4 else [])
                targets = rng.sample(list(CENTRAL_ASIA), rng.choice((2, 3, 5)))
            else:
                wanted = picked + rng.sample(texts.TOPICS[other_sector], 1)
                seeks = "; ".join(texts.term(t, lang) for t in wanted)
                offers = "; ".join(texts.ca_offer(o, lang) for o in rng.sample(texts.CA_OFFERS, 2))
                kinds = ["technology"] + (["investment"] if rng.random() < 0.5 else []) + (
                    ["partners"] if rng.random() < 0.5 else [])
                targets = ["JP"] + (["UZ"] if company.country != "UZ" and rng.random() < 0.3 else [])
            sectors = [company.sector] if company.sector in profiles_sectors() else []
            if other_sector != company.sector and other_sector in profiles_sectors() and company.country != "JP":
                sectors.append(other_sector)
            profiles.update(company, profiles.ProfileInput(
                offers=offers, seeks=seeks, seek_kinds=kinds, sectors=sectors, target_countries=targets,
                languages=spoken), by=self.organizer)
            self.topics[company.id] = [t[0] for t in picked]

    # --- availability ---------------------------------------------------------------------------------

    def _unavailability(self) -> None:
        rng = self.rng
        slots = grid.forum_slots(self.forum)
        for reg in self.people:
            if reg.category is Category.SPEAKER:
                # The plenary: speakers are away for the first two morning slots.
                availability.set_unavailable(reg, {slots[0].id: "Plenary speech", slots[1].id: "Plenary speech"},
                                     by=self.organizer)
            elif rng.random() < 0.08:
                s = rng.choice(slots)
                availability.set_unavailable(reg, {s.id: "Ministry visit"}, by=self.organizer)

    # --- requests -------------------------------------------------------------------------------------

    def _score(self, a: Registration, b: Registration) -> float:
        ca, cb = a.company, b.company
        japan_ca = (ca.country == "JP") != (cb.country == "JP")
        same_topic = bool(set(self.topics.get(ca.id, [])) & set(self.topics.get(cb.id, [])))
        return (6 if japan_ca else 1) * (3 if same_topic or ca.sector == cb.sector else 1)

    def _requests(self, start: datetime, end: datetime, *, share: float, leave_pending: float) -> None:
        rng, people = self.rng, self.people
        total = int(REQUESTS_TARGET * (0.35 if share < 1 else 0.65))
        made = 0
        tries = 0
        while made < total and tries < total * 6:
            tries += 1
            a = rng.choice(people)
            candidates = rng.sample(people, 12)
            weights = [self._score(a, b) if b.company_id != a.company_id else 0 for b in candidates]
            if not any(weights):
                continue
            b = rng.choices(candidates, weights=weights)[0]
            to_company = rng.random() < 0.15
            when = start + (end - start) * rng.random()
            try:
                with db.session.begin_nested():
                    req = requests.create(a, company=b.company, recipient=None if to_company else b,
                                          message=self._message(a, b), by=a.user,
                                          priority=Priority.MUST if rng.random() < 0.3 else Priority.NICE, now=when)
            except DomainError:
                continue
            made += 1
            self._answer(req, b, when, end, leave_pending)

    def _message(self, a: Registration, b: Registration) -> str:
        topics = self.topics.get(b.company_id) or self.topics.get(a.company_id) or []
        if not topics:
            return ""
        if a.company.country == "JP":
            return f"{topics[0]}について、ぜひお話ししたいです。"
        return f"Хотели бы обсудить: {topics[0]}."

    def _answer(self, req: MeetingRequest, b: Registration, when: datetime, end: datetime, leave_pending: float):
        rng = self.rng
        roll = rng.random()
        later = when + (end - when) * rng.random()
        try:
            with db.session.begin_nested():
                if roll < leave_pending:
                    return
                if roll < leave_pending + (1 - leave_pending) * 0.72:
                    requests.accept(req, by=b.user, priority=Priority.MUST if rng.random() < 0.35 else Priority.NICE,
                                    now=later)
                    if rng.random() < 0.05:
                        requests.cancel(req, by=req.requester.user, reason="Our delegation changed.",
                                        now=later + (end - later) * rng.random())
                elif roll < leave_pending + (1 - leave_pending) * 0.9:
                    requests.decline(req, by=b.user, reason=rng.choice(
                        ["", "Not our field, sorry.", "Наш профиль не совпадает.", "今回は見送ります。"]), now=later)
                else:
                    requests.cancel(req, by=req.requester.user, reason="", now=later)
        except DomainError:
            pass

    # --- the demo delegate -----------------------------------------------------------------------------

    def _tanaka(self) -> None:
        """Requests waiting for 田中 健一's answer, accepted ones the schedule places, and one it cannot."""
        tanaka = next((r for r in self.people if r.email == self.tanaka_email), None)
        if tanaka is None:
            return
        ca = [r for r in self.people if r.company.country in CENTRAL_ASIA]
        now = self.now - timedelta(hours=1)
        waiting = 0
        for reg in ca:
            if waiting >= 3:
                break
            try:
                with db.session.begin_nested():
                    requests.create(reg, company=tanaka.company, recipient=tanaka, by=reg.user, now=now,
                                    message=self._message(reg, tanaka), priority=Priority.MUST)
                waiting += 1
            except DomainError:
                continue
        accepted = 0
        for reg in reversed(ca):
            if accepted >= 4:
                break
            try:
                with db.session.begin_nested():
                    req = requests.create(tanaka, company=reg.company, recipient=reg, by=tanaka.user, now=now,
                                          message=self._message(tanaka, reg), priority=Priority.MUST)
                    requests.accept(req, by=reg.user, priority=Priority.NICE, now=now)
                accepted += 1
            except DomainError:
                continue
        # One counterpart who is away whenever Tanaka is free: "never free at the same time".
        slots = grid.forum_slots(self.forum)
        mine = {c for q in self._requests_of(tanaka) for c in (q.target_company_id, q.requester.company_id)}
        away = next((r for r in ca if r.company_id not in mine), None)
        if away is not None:
            availability.set_unavailable(tanaka, {s.id: "Plenary panel" for s in slots[:2]}, by=self.organizer)
            availability.set_unavailable(away, {s.id: "Ministry visit" for s in slots[2:]}, by=self.organizer)
            req = requests.create(tanaka, company=away.company, recipient=away, by=tanaka.user, now=now,
                                  message="", priority=Priority.NICE)
            requests.accept(req, by=away.user, now=now)

    def _requests_of(self, reg: Registration) -> list[MeetingRequest]:
        return list(db.session.scalars(sa.select(MeetingRequest).where(
            sa.or_(MeetingRequest.requester_id == reg.id, MeetingRequest.recipient_id == reg.id))))

    def _after_publication(self) -> None:
        """After the schedule was published, six more tables and a few requests accepted, each with a slot where
        both sides are free and a table is too (and a shared language): a re-run adds them, and moves nothing
        published."""
        from forum.meetings.models import Meeting, MeetingState, MeetingTable, Unavailability

        forum = self.forum
        # The venue found room for six more tables after the schedule went out.
        grid.add_tables(forum, "51-56", label="Hall D (added after publication)", by=self.organizer)
        slots = grid.forum_slots(forum)
        busy: dict[int, set[int]] = {}
        used: dict[int, int] = {}
        for a, b, slot_id in db.session.execute(sa.select(Meeting.a_id, Meeting.b_id, Meeting.slot_id).where(
                Meeting.forum_id == forum.id, Meeting.state == MeetingState.SCHEDULED)):
            busy.setdefault(a, set()).add(slot_id)
            busy.setdefault(b, set()).add(slot_id)
            used[slot_id] = used.get(slot_id, 0) + 1
        usable = {s.id: 0 for s in slots}
        for table in db.session.scalars(sa.select(MeetingTable).where(MeetingTable.forum_id == forum.id)):
            for s in (slots if table.all_slots else table.slots):
                usable[s.id] += 1
        away: dict[int, set[int]] = {}
        for reg_id, slot_id in db.session.execute(sa.select(Unavailability.registration_id, Unavailability.slot_id)):
            away.setdefault(reg_id, set()).add(slot_id)
        pending = db.session.scalars(sa.select(MeetingRequest).where(
            MeetingRequest.forum_id == forum.id, MeetingRequest.state == RequestState.PENDING,
            MeetingRequest.recipient_id.is_not(None)).order_by(MeetingRequest.id)).all()
        accepted = 0
        for req in pending:
            if accepted >= 6:
                break
            a, b = req.requester, req.recipient
            if b.email == self.tanaka_email or not set(a.languages) & set(b.languages):
                continue
            if max(len(busy.get(a.id, ())), len(busy.get(b.id, ()))) >= participation.max_meetings(a) - 1:
                continue
            free = [s.id for s in slots if used.get(s.id, 0) < usable[s.id]
                    and not ({s.id} & (busy.get(a.id, set()) | busy.get(b.id, set())
                                       | away.get(a.id, set()) | away.get(b.id, set())))]
            if not free:
                continue
            try:
                with db.session.begin_nested():
                    requests.accept(req, by=b.user, now=self.now - timedelta(minutes=30))
            except DomainError:
                continue
            accepted += 1
            used[free[0]] = used.get(free[0], 0) + 1  # keep one table for it
            busy.setdefault(a.id, set()).add(free[0])
            busy.setdefault(b.id, set()).add(free[0])


def profiles_sectors() -> set[str]:
    from forum.registration.choices import SECTORS

    return set(SECTORS)


def seed(forum: Forum, organizer: User, now: datetime, tanaka_email: str) -> None:
    B2BSeeder(forum, organizer, now, tanaka_email).run()
