"""The demo's register of documents (issue 10) in `central-asia-japan`: 34 documents between its companies,
ministries, agencies and chambers of commerce.

Most were signed and exchanged over the past year at the forum's preparatory rounds and B2B talks, and have
follow-ups at every stage (in progress, implemented, stalled, one cancelled; some reviews due now); the last
five are on the run-sheet of the coming signing ceremony, in their order of exchange, not yet exchanged, so the
live view has something to tap. A few are signed by proxy (the Uzbek branch manager who signs for his director),
a few are confidential (counted, never listed), a few list without their value; one was withdrawn (registered twice) and keeps its
number; one does not count in the tally (signed before the forum's programme began). Some B2B-table documents
link to the B2B meetings they came from.

Its own random generator (seeded), so the rest of the demo stays as it was.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from io import BytesIO

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from forum.accounts.models import User
from forum.db import db
from forum.demo import document_texts as texts
from forum.documents import access, ceremony as ceremonies, followup, records, scans
from forum.documents.models import Document, FollowUpStatus
from forum.documents.record_rules import DocumentInput, PartyInput, TitleInput
from forum.forums.models import Forum
from forum.registration.models import CompanyRegistration, Registration, RegState

SEED = 2024_08
N_DOCUMENTS = 34
N_WAITING = 5  # on the run-sheet of the coming ceremony, not yet exchanged
CENTRAL_ASIA = ("KZ", "UZ", "KG", "TJ", "TM")
CURRENCIES = {"JP": "JPY", "KZ": "KZT", "UZ": "UZS", "KG": "USD", "TJ": "USD", "TM": "USD", "PH": "USD"}
# Amounts in whole units per currency (the value is value * 10**minor digits).
AMOUNTS = {"USD": (250_000, 40_000_000), "JPY": (30_000_000, 5_000_000_000), "KZT": (100_000_000, 20_000_000_000),
           "UZS": (2_000_000_000, 300_000_000_000)}
STATUS_PLAN = ([FollowUpStatus.IN_PROGRESS] * 9 + [FollowUpStatus.IMPLEMENTED] * 4 + [FollowUpStatus.STALLED] * 3
               + [FollowUpStatus.CANCELLED] * 1)


@dataclass
class _Plan:
    """One document as the organizers will record it (the form's fields), and what happens to it afterwards."""

    kind: str
    sector: str
    titles: dict[str, str]
    authoritative: str
    parties: list[dict]  # PartyInput fields
    signed_on: date
    ceremony: str
    exchanged_at: datetime | None = None
    waiting: bool = False  # on the coming ceremony's run-sheet
    currency: str = ""
    value: str = ""
    jobs: int | None = None
    confidentiality: str = "public"
    counts: bool = True
    meeting: str = ""  # public id of the B2B meeting it came from
    notes: str = ""
    status: FollowUpStatus = FollowUpStatus.SIGNED
    withdraw_reason: str = ""
    doc: Document | None = field(default=None, repr=False)


class _DocumentSeeder:
    def __init__(self, forum: Forum, organizer: User, now: datetime, contact_email: str) -> None:
        self.forum, self.organizer, self.now = forum, organizer, now
        self.rng = random.Random(SEED)
        self.today = forum.local(now).date()
        self.contact = db.session.scalar(sa.select(User).where(User.email == contact_email))

    # --- parties ---------------------------------------------------------------------------------------------

    def _companies(self) -> dict[str, list[CompanyRegistration]]:
        companies = db.session.scalars(
            sa.select(CompanyRegistration).where(CompanyRegistration.forum_id == self.forum.id)
            .where(CompanyRegistration.id.in_(sa.select(Registration.company_id).where(
                Registration.forum_id == self.forum.id, Registration.state == RegState.APPROVED)))
            .order_by(CompanyRegistration.id)).all()
        by_country: dict[str, list[CompanyRegistration]] = {}
        for c in companies:
            if c.sector not in ("association", "government"):
                by_country.setdefault(c.country, []).append(c)
        return by_country

    def _named(self, name_en: str) -> CompanyRegistration | None:
        return db.session.scalar(sa.select(CompanyRegistration).where(
            CompanyRegistration.forum_id == self.forum.id, CompanyRegistration.name_en == name_en).limit(1))

    @staticmethod
    def _company_party(company: CompanyRegistration) -> dict:
        """A registered company, signed by its first approved delegate (picked in the form's signatory picker)."""
        signer = next((d for d in company.delegates if d.state is RegState.APPROVED), None)
        return dict(company=company.public_id, organisation=company.legal_name, country=company.country,
                    kind="private_company",
                    signatory_name=signer.full_name if signer else company.contact_name,
                    signatory_position=(signer.position if signer else company.contact_position) or "Director",
                    signatory_registration=signer.public_id if signer else "")

    @staticmethod
    def _body_party(body: tuple) -> dict:
        organisation, country, kind, name, position = body
        return dict(organisation=organisation, country=country, kind=kind, signatory_name=name,
                    signatory_position=position)

    # --- the plan --------------------------------------------------------------------------------------------

    def _plans(self) -> list[_Plan]:
        rng = self.rng
        by_country = self._companies()
        japanese = by_country.get("JP", [])
        asian = [c for cc in CENTRAL_ASIA for c in by_country.get(cc, [])]
        bodies_jp = [b for b in texts.PUBLIC_BODIES if b[1] == "JP"]
        bodies_ca = [b for b in texts.PUBLIC_BODIES if b[1] in CENTRAL_ASIA]
        adb = next(b for b in texts.PUBLIC_BODIES if b[1] == "PH")
        sectors = list(texts.SUBJECTS)
        plans: list[_Plan] = []
        for i in range(N_DOCUMENTS):
            waiting = i >= N_DOCUMENTS - N_WAITING
            shape = rng.random()
            if shape < 0.55 and japanese and asian:  # company to company
                parties = [self._company_party(rng.choice(japanese)), self._company_party(rng.choice(asian))]
            elif shape < 0.85 and japanese:  # a company with a public body
                parties = [self._company_party(rng.choice(japanese)), self._body_party(rng.choice(bodies_ca))]
            else:  # governments and agencies
                parties = [self._body_party(rng.choice(bodies_jp)), self._body_party(rng.choice(bodies_ca))]
            if i == 0:  # the demo logins' companies: Aoba Trading (田中 健一) and Sairan Agro (its contact person)
                aoba, sairan = self._named("Aoba Trading Co., Ltd."), self._named("Sairan Agro Export LLP")
                if aoba is not None and sairan is not None:
                    parties = [self._company_party(aoba), self._company_party(sairan)]
            if i in (7, 21):  # the Asian Development Bank joins as a third party
                parties.append(self._body_party(adb))
            kind = rng.choices(list(texts.KIND_WORDS), weights=[14, 8, 4, 5, 1])[0]
            if i in (4, 15):  # two joint statements, of governments and chambers
                kind = "joint_statement"
            sector = sectors[i % len(sectors)] if i < len(sectors) else rng.choice(sectors)
            titles = texts.titles(kind, sector)
            authoritative = "ru" if parties[0]["country"] in CENTRAL_ASIA else rng.choice(["ru", "ja"])
            if rng.random() < 0.25:  # signed in two languages only
                titles.pop("en")
            if waiting:
                plan = _Plan(kind, sector, titles, authoritative, parties, ceremony="main_stage", waiting=True,
                             signed_on=self.forum.local(self.forum.starts_at).date())
            else:
                signed_on = self.today - timedelta(days=rng.randint(12, 330))
                local = datetime.combine(signed_on, time(11 + rng.randint(0, 6), rng.choice((0, 15, 30, 45))),
                                         tzinfo=self.forum.tz)
                plan = _Plan(kind, sector, titles, authoritative, parties, signed_on=signed_on,
                             ceremony=rng.choices(["main_stage", "sidelines", "b2b_table"], weights=[6, 3, 2])[0],
                             exchanged_at=local.astimezone(self.now.tzinfo))
            if rng.random() < 0.6:
                currency = CURRENCIES[parties[1]["country"]]
                lo, hi = AMOUNTS[currency]
                plan.currency, plan.value = currency, str(rng.randrange(lo, hi) // 1000 * 1000)
            plan.jobs = rng.choice([None, None, 25, 40, 120, 300, 1200])
            plans.append(plan)
        return plans

    def _from_meetings(self, plans: list[_Plan]) -> None:
        """Documents signed at a B2B table come from a published meeting: their two companies are the meeting's,
        and the document links to it."""
        from forum.meetings.models import Meeting, MeetingState

        meetings = db.session.scalars(sa.select(Meeting).where(
            Meeting.forum_id == self.forum.id, Meeting.state == MeetingState.SCHEDULED).order_by(Meeting.id)).all()
        at_tables = [p for p in plans[1:] if p.ceremony == "b2b_table"]  # the first is the demo logins' own
        for plan, meeting in zip(at_tables, self.rng.sample(meetings, min(len(meetings), len(at_tables)))):
            plan.parties[:2] = [self._company_party(meeting.a.company), self._company_party(meeting.b.company)]
            plan.meeting = meeting.public_id

    def _proxies(self, plans: list[_Plan]) -> None:
        """Four signatures by proxy; the first is the Uzbek branch manager signing for his director."""
        uz = next((p for plan in plans for p in plan.parties if p["country"] == "UZ" and p.get("company")), None)
        if uz is not None:
            uz.update(principal_name=uz["signatory_name"], principal_position="Bosh direktor",
                      signatory_name="Bahodir Karimov", signatory_position="Toshkent filiali rahbari",
                      signatory_registration="", capacity="on_behalf", poa_reference="Ishonchnoma № 17/2024")
        others = [p for plan in plans[3:] for p in plan.parties if p.get("capacity", "own") == "own"][::11][:3]
        deputies = {"JP": [("佐藤 直樹", "海外事業部長"), ("山本 美咲", "アスタナ駐在員事務所長"), ("高橋 誠", "取締役")],
                    "KZ": [("Ахметова Динара", "Заместитель директора")],
                    "UZ": [("Dilshod Rahimov", f"Direktor o{texts.UZ_OKINA}rinbosari")]}
        for j, party in enumerate(others):
            names = deputies.get(party["country"], [("Нурлан Сейткали", "Руководитель представительства")])
            name, position = names[j % len(names)]
            party.update(principal_name=party["signatory_name"], principal_position=party["signatory_position"],
                         signatory_name=name, signatory_position=position, signatory_registration="",
                         capacity="on_behalf", poa_reference=f"POA-{self.rng.randint(100, 999)}")

    def _choices(self, plans: list[_Plan]) -> None:
        """Confidential ones, withheld values, the one not counted, the one withdrawn, the local-language titles."""
        exchanged = [p for p in plans if not p.waiting]
        for plan in exchanged[4:20:6]:  # three confidential: counted, never listed
            plan.confidentiality = "confidential"
        for plan in [p for p in exchanged if p.value and p.confidentiality == "public"][1::4][:3]:
            plan.confidentiality = "value_withheld"
        exchanged[5].counts = False
        exchanged[5].notes = "Signed in Tokyo before the forum's programme began: in the register, not in the tally."
        exchanged[12].withdraw_reason = "Registered twice: the same memorandum as the one before it."
        for plan in plans:
            countries = {p["country"] for p in plan.parties}
            for lang, country in (("kk", "KZ"), ("uz", "UZ")):  # also in the Central Asian party's state language
                if country in countries and (title := texts.local_title(lang, plan.kind, plan.sector)):
                    plan.titles[lang] = title
        waiting = [p for p in plans if p.waiting]
        if waiting:  # the ambassador's deputy hands over the first one on stage
            waiting[0].parties[0].update(exchanged_by_name="Kenji Watanabe", exchanged_by_position="Deputy Head of Mission")

    # --- recording, through the services ---------------------------------------------------------------------

    def _record(self, plan: _Plan) -> Document:
        data = DocumentInput(
            titles=[TitleInput(lang, title) for lang, title in plan.titles.items()],
            authoritative_language=plan.authoritative, kind=plan.kind, signed_on=plan.signed_on,
            place="Astana, B2B hall" if plan.ceremony == "b2b_table" else "Astana", ceremony=plan.ceremony,
            sectors=[plan.sector], value=plan.value, currency=plan.currency,
            expected_jobs=plan.jobs if plan.jobs is not None else "", confidentiality=plan.confidentiality,
            counts_in_tally=plan.counts, parties=[PartyInput(**p) for p in plan.parties],
            meetings=[plan.meeting] if plan.meeting else [], notes=plan.notes)
        doc = records.create(self.forum, data, by=self.organizer)
        if plan.exchanged_at is not None:
            ceremonies.mark_exchanged(doc, self.organizer, now=plan.exchanged_at)
        if plan.waiting:
            ceremonies.add(doc, by=self.organizer)
        return doc

    def _follow_up(self, plans: list[_Plan]) -> None:
        statuses = list(STATUS_PLAN)
        self.rng.shuffle(statuses)
        exchanged = [p for p in plans if not p.waiting and not p.withdraw_reason]
        for plan, status in zip(exchanged[1::2] + exchanged[0::2], statuses):
            plan.status = status
            doc, days = plan.doc, (self.today - plan.signed_on).days
            author = self.organizer
            if (self.contact is not None and access.contact_party(self.contact, doc) is not None
                    and plan.confidentiality != "confidential"):
                author = self.contact  # Sairan Agro's contact person writes for their side
            for k, text in enumerate(texts.NOTES[status.value][: 1 + (days > 120)]):
                noted = plan.signed_on + timedelta(days=max(1, days * (k + 1) // 3))
                followup.add_note(doc, min(noted, self.today).isoformat(), text, by=author)
        reviewed = [p for p in exchanged if p.status in (FollowUpStatus.SIGNED, FollowUpStatus.IN_PROGRESS,
                                                         FollowUpStatus.STALLED)]
        for k, plan in enumerate(reviewed):
            # Reviews every few months; the first six are due now (some a few days overdue).
            review = self.today - timedelta(days=k) if k < 6 else self.today + timedelta(days=7 * k)
            followup.set_status(plan.doc, plan.status.value, review.isoformat(), by=self.organizer)
        for plan in exchanged:
            if plan not in reviewed and plan.status is not FollowUpStatus.SIGNED:
                followup.set_status(plan.doc, plan.status.value, None, by=self.organizer)

    def _scans(self, docs: list[Document]) -> None:
        """Signed copies of the first documents (a small generated PDF each, through the upload service); the
        first has two versions, so that *Verify a copy* can say a file is an earlier version."""
        exchanged = [d for d in docs if d.exchanged_at is not None]
        for k, d in enumerate(exchanged[:8]):
            for label in ("scan, first page missing", "signed copy") if k == 0 else ("signed copy",):
                scans.attach(d, FileStorage(BytesIO(_scan_pdf(d, label)), filename=f"{d.reference} {label}.pdf"),
                             by=self.organizer)

    def run(self) -> list[Document]:
        first_day = self.forum.local(self.forum.starts_at).date()
        ceremonies.update_register(self.forum, f"CAJ-{first_day.year}", ["ru", "ja", "kk", "uz", "en"],
                                   f"{first_day.isoformat()} 16:00", "Palace of Independence, Main Hall",
                                   by=self.organizer)
        plans = self._plans()
        self._from_meetings(plans)
        self._proxies(plans)
        self._choices(plans)
        for plan in plans:
            plan.doc = self._record(plan)
        self._follow_up(plans)
        docs = [plan.doc for plan in plans]
        self._scans(docs)
        for plan in plans:
            if plan.withdraw_reason:
                records.withdraw(plan.doc, plan.withdraw_reason, by=self.organizer)
        db.session.flush()
        return docs


def _scan_pdf(doc: Document, label: str) -> bytes:
    """A one-page PDF standing in for a scanned signed copy: the number, the titles and who signed."""
    from io import BytesIO

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from forum.badges import render
    from forum.documents.labels import signatory_line

    render.font()
    out = BytesIO()
    c = Canvas(out, pagesize=A4, invariant=True)
    c.setTitle(f"{doc.reference} ({label})")
    y = A4[1] - 60
    c.setFont(render.FONT, 11)
    for line in (f"{doc.reference} · {label}", *(t.title for t in doc.titles), "",
                 *(f"{p.organisation}: {signatory_line(p)}" for p in doc.parties)):
        c.drawString(50, y, line[:90])
        y -= 20
    c.showPage()
    c.save()
    return out.getvalue()


def seed(forum: Forum, organizer: User, now: datetime, contact_email: str) -> list[Document]:
    return _DocumentSeeder(forum, organizer, now, contact_email).run()
