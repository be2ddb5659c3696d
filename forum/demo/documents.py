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
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.demo import document_texts as texts
from forum.documents import ceremony as ceremonies, numbering
from forum.documents.models import (Capacity, Ceremony, Confidentiality, DocKind, Document, DocumentParty,
                                    DocumentTitle, FollowUpNote, FollowUpStatus, PartyKind, document_meetings)
from forum.forums.models import Forum
from forum.registration.models import CompanyRegistration, Registration, RegState
from forum.search import search_key

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


class _DocumentSeeder:
    def __init__(self, forum: Forum, organizer: User, now: datetime, contact_email: str) -> None:
        self.forum, self.organizer, self.now = forum, organizer, now
        self.rng = random.Random(SEED)
        self.today = forum.local(now).date()
        self.contact_email = contact_email

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
    def _company_party(company: CompanyRegistration, **kw) -> dict:
        signer = next((d for d in company.delegates if d.state is RegState.APPROVED), None)
        return dict(company_id=company.id, organisation=company.legal_name, country=company.country,
                    kind=PartyKind.PRIVATE_COMPANY,
                    signatory_name=signer.full_name if signer else company.contact_name,
                    signatory_position=(signer.position if signer else company.contact_position) or "Director",
                    signatory_registration_id=signer.id if signer else None, **kw)

    @staticmethod
    def _body_party(body: tuple) -> dict:
        organisation, country, kind, name, position = body
        return dict(organisation=organisation, country=country, kind=PartyKind(kind), signatory_name=name,
                    signatory_position=position)

    # --- the documents ---------------------------------------------------------------------------------------

    def run(self) -> list[Document]:
        rng = self.rng
        by_country = self._companies()
        japanese = by_country.get("JP", [])
        asian = [c for cc in CENTRAL_ASIA for c in by_country.get(cc, [])]
        bodies_jp = [b for b in texts.PUBLIC_BODIES if b[1] == "JP"]
        bodies_ca = [b for b in texts.PUBLIC_BODIES if b[1] in CENTRAL_ASIA]
        adb = next(b for b in texts.PUBLIC_BODIES if b[1] == "PH")
        first_day = self.forum.local(self.forum.starts_at).date()
        ceremonies.update_register(self.forum, f"CAJ-{first_day.year}", ["ru", "ja", "kk", "uz", "en"],
                                 f"{first_day.isoformat()} 16:00", "Palace of Independence, Main Hall",
                                 by=self.organizer)
        sectors = list(texts.SUBJECTS)
        statuses = list(STATUS_PLAN)
        rng.shuffle(statuses)
        docs: list[Document] = []
        for i in range(N_DOCUMENTS):
            waiting = i >= N_DOCUMENTS - N_WAITING
            shape = rng.random()
            if shape < 0.55 and japanese and asian:  # company to company
                jp, ca = rng.choice(japanese), rng.choice(asian)
                parties = [self._company_party(jp), self._company_party(ca)]
            elif shape < 0.85 and japanese:  # a company with a public body
                jp = rng.choice(japanese)
                parties = [self._company_party(jp), self._body_party(rng.choice(bodies_ca))]
            else:  # governments and agencies
                parties = [self._body_party(rng.choice(bodies_jp)), self._body_party(rng.choice(bodies_ca))]
            if i == 0:  # the demo logins' companies: Aoba Trading (田中 健一) and Sairan Agro (its contact person)
                aoba, sairan = self._named("Aoba Trading Co., Ltd."), self._named("Sairan Agro Export LLP")
                if aoba is not None and sairan is not None:
                    parties = [self._company_party(aoba), self._company_party(sairan)]
            if i in (7, 21):  # the Asian Development Bank joins as a third party
                parties.append(self._body_party(adb))
            kind = rng.choices(list(texts.KIND_WORDS), weights=[14, 8, 4, 5, 1])[0]
            sector = sectors[i % len(sectors)] if i < len(sectors) else rng.choice(sectors)
            doc_titles = texts.titles(kind, sector)
            authoritative = "ru" if any(p["country"] in CENTRAL_ASIA for p in parties[:1]) else rng.choice(["ru", "ja"])
            if rng.random() < 0.25:  # signed in two languages only
                doc_titles.pop("en")
            countries = {p["country"] for p in parties}
            for lang, country in (("kk", "KZ"), ("uz", "UZ")):  # also in the Central Asian party's state language
                if country in countries and (title := texts.local_title(lang, kind, sector)):
                    doc_titles[lang] = title
            if waiting:
                signed_on = self.forum.local(self.forum.starts_at).date()
                exchanged_at, ceremony = None, Ceremony.MAIN_STAGE
            else:
                days_ago = rng.randint(12, 330)
                signed_on = self.today - timedelta(days=days_ago)
                local = datetime.combine(signed_on, time(11 + rng.randint(0, 6), rng.choice((0, 15, 30, 45))),
                                         tzinfo=self.forum.tz)
                exchanged_at = local.astimezone(self.now.tzinfo)
                ceremony = rng.choices(list(Ceremony), weights=[6, 3, 2])[0]
            currency = CURRENCIES[parties[1]["country"]] if rng.random() < 0.6 else None
            if currency in ("KGS", "TJS", "TMT"):
                currency = "USD"
            value_minor = None
            if currency:
                lo, hi = AMOUNTS[currency]
                whole = rng.randrange(lo, hi) // 1000 * 1000
                value_minor = whole * (1 if currency == "JPY" else 100)
            doc = Document(kind=DocKind(kind), authoritative_language=authoritative, signed_on=signed_on,
                           place="Astana" if ceremony is not Ceremony.B2B_TABLE else "Astana, B2B hall",
                           ceremony=ceremony, sectors=[sector], value_minor=value_minor, currency=currency,
                           expected_jobs=rng.choice([None, None, 25, 40, 120, 300, 1200]),
                           confidentiality=Confidentiality.PUBLIC, counts_in_tally=True,
                           exchanged_at=exchanged_at, created_by_id=self.organizer.id,
                           status=FollowUpStatus.SIGNED)
            for lang, title in doc_titles.items():
                doc.titles.append(DocumentTitle(language=lang, title=title))
            for pos, p in enumerate(parties, start=1):
                p.setdefault("capacity", Capacity.OWN)
                doc.parties.append(DocumentParty(position=pos, side="left" if pos % 2 else "right", **p))
            numbering.assign(doc, self.forum)
            docs.append(doc)
        self._meetings(docs)
        self._proxies(docs)
        self._confidentiality(docs)
        self._ceremony(docs)
        self._follow_up(docs, statuses)
        self._withdrawn_and_not_counted(docs)
        self._scans(docs)
        for doc in docs:
            doc.search_key = search_key(doc.reference, *(t.title for t in doc.titles),
                                        *(p.organisation for p in doc.parties),
                                        *(p.signatory_name for p in doc.parties))
            audit.record(subject_type="document", subject_id=doc.id, action="created", actor=self.organizer,
                         forum_id=self.forum.id, reference=doc.reference)
        db.session.flush()
        return docs

    def _proxies(self, docs: list[Document]) -> None:
        """Four signatures by proxy; the first is the Uzbek branch manager signing for his director."""
        uz_party = next((p for d in docs for p in d.parties if p.country == "UZ" and p.company_id), None)
        if uz_party is not None:
            uz_party.principal_name = uz_party.signatory_name
            uz_party.principal_position = "Bosh direktor"
            uz_party.signatory_name = "Bahodir Karimov"
            uz_party.signatory_position = "Toshkent filiali rahbari"
            uz_party.signatory_registration_id = None
            uz_party.capacity = Capacity.ON_BEHALF
            uz_party.poa_reference = "Ishonchnoma № 17/2024"
        others = [p for d in docs[3:] for p in d.parties if p.capacity is Capacity.OWN][::11][:3]
        deputies = {"JP": [("佐藤 直樹", "海外事業部長"), ("山本 美咲", "アスタナ駐在員事務所長"), ("高橋 誠", "取締役")],
                    "KZ": [("Ахметова Динара", "Заместитель директора")],
                    "UZ": [("Dilshod Rahimov", f"Direktor o{texts.UZ_OKINA}rinbosari")]}
        for j, party in enumerate(others):
            names = deputies.get(party.country, [("Нурлан Сейткали", "Руководитель представительства")])
            name, position = names[j % len(names)]
            party.principal_name, party.principal_position = party.signatory_name, party.signatory_position
            party.signatory_name, party.signatory_position = name, position
            party.signatory_registration_id = None
            party.capacity = Capacity.ON_BEHALF
            party.poa_reference = f"POA-{self.rng.randint(100, 999)}"

    def _confidentiality(self, docs: list[Document]) -> None:
        exchanged = [d for d in docs if d.exchanged_at is not None]
        for d in exchanged[4:20:6]:  # three confidential: counted, never listed
            d.confidentiality = Confidentiality.CONFIDENTIAL
        for d in [d for d in exchanged[2::7] if d.value_minor is not None][:4] or exchanged[2:6]:
            if d.confidentiality is Confidentiality.PUBLIC:
                d.confidentiality = Confidentiality.VALUE_WITHHELD

    def _ceremony(self, docs: list[Document]) -> None:
        """The run-sheet of the coming ceremony: the five documents not yet exchanged, in order; exchanged-by
        and sides filled for the master of ceremonies."""
        waiting = [d for d in docs if d.exchanged_at is None]
        for d in waiting:
            ceremonies.add(d, by=self.organizer)
        if waiting:
            waiting[0].parties[0].exchanged_by_name = "Kenji Watanabe"
            waiting[0].parties[0].exchanged_by_position = "Deputy Head of Mission"

    def _follow_up(self, docs: list[Document], statuses: list[FollowUpStatus]) -> None:
        exchanged = [d for d in docs if d.exchanged_at is not None]
        contact = db.session.scalar(sa.select(User).where(User.email == self.contact_email))
        for d, status in zip(exchanged[1::2] + exchanged[0::2], statuses):
            d.status = status
            days = (self.today - d.signed_on).days
            for k, text in enumerate(texts.NOTES[status.value][: 1 + (days > 120)]):
                noted = d.signed_on + timedelta(days=max(1, days * (k + 1) // 3))
                party = next((p for p in d.parties if p.company is not None and contact is not None
                              and p.company.contact_user_id == contact.id), None)
                db.session.add(FollowUpNote(document=d, noted_on=min(noted, self.today), text=text,
                                            author_id=(contact.id if party is not None else self.organizer.id),
                                            party_id=party.id if party is not None else None))
        for k, d in enumerate(d for d in exchanged if d.status in (FollowUpStatus.SIGNED, FollowUpStatus.IN_PROGRESS,
                                                                  FollowUpStatus.STALLED)):
            # Reviews every few months; the first six are due now (some overdue).
            d.next_review_on = self.today - timedelta(days=k * 4) if k < 6 else self.today + timedelta(days=7 * k)

    def _withdrawn_and_not_counted(self, docs: list[Document]) -> None:
        exchanged = [d for d in docs if d.exchanged_at is not None]
        twin = exchanged[12]
        twin.withdrawn_at = self.now - timedelta(days=3)
        twin.withdrawn_reason = f"Registered twice: the same memorandum as {exchanged[11].reference}."
        twin.withdrawn_by_id = self.organizer.id
        twin.next_review_on = None
        outside = exchanged[5]
        outside.counts_in_tally = False
        outside.notes = "Signed in Tokyo before the forum's programme began: shown in the register, not in the tally."

    def _scans(self, docs: list[Document]) -> None:
        """Signed copies of the first documents (a small generated PDF each, through the real upload service);
        the first has two versions, so that *Verify a copy* can say a file is an earlier version."""
        from io import BytesIO

        from werkzeug.datastructures import FileStorage

        from forum.documents import scans

        exchanged = [d for d in docs if d.exchanged_at is not None]
        for k, d in enumerate(exchanged[:8]):
            versions = ("scan, first page missing", "signed copy") if k == 0 else ("signed copy",)
            for label in versions:
                pdf = _scan_pdf(d, label)
                scans.attach(d, FileStorage(BytesIO(pdf), filename=f"{d.reference} {label}.pdf"), by=self.organizer)

    def _meetings(self, docs: list[Document]) -> None:
        """Documents signed at a B2B table come from a published meeting: their two companies are the meeting's,
        and the document links to it."""
        from forum.meetings.models import Meeting, MeetingState

        meetings = db.session.scalars(sa.select(Meeting).where(
            Meeting.forum_id == self.forum.id, Meeting.state == MeetingState.SCHEDULED).order_by(Meeting.id)).all()
        at_tables = [d for d in docs if d.ceremony is Ceremony.B2B_TABLE and d.exchanged_at is not None]
        for d, meeting in zip(at_tables, self.rng.sample(meetings, min(len(meetings), len(at_tables)))):
            for party, person in zip(d.parties[:2], (meeting.a, meeting.b)):
                for key, value in self._company_party(person.company).items():
                    setattr(party, key, value)
                party.capacity = Capacity.OWN
                party.principal_name = party.principal_position = party.poa_reference = ""
            db.session.execute(document_meetings.insert().values(document_id=d.id, meeting_id=meeting.id))


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
