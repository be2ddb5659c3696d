"""Plain functions that build objects through the services, flush and return them."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from forum import clock
from forum.accounts import services as accounts
from forum.db import db
from forum.forums.models import Forum, ForumStatus
from forum.registration import services as registration
from forum.registration.services import CompanyInput, DelegateInput
from forum.teams import services as teams
from forum.teams.models import Permission

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


_password_hash: str | None = None


def _factory_password_hash() -> str:
    """One real hash of PASSWORD (werkzeug's method and cost, as User.set_password makes it), made once per run.

    Hashing is deliberately slow (scrypt, ~0.1 s), and the suite makes thousands of users with this password.
    They all get this same hash (same salt): signing in still checks it at full cost, and any password set
    through the app afterwards is hashed afresh, so a changed password still changes the hash.
    """
    global _password_hash
    if _password_hash is None:
        from werkzeug.security import generate_password_hash

        _password_hash = generate_password_hash(PASSWORD)
    return _password_hash


def user(email: str | None = None, password: str | None = PASSWORD, name: str = "Test User", language: str = "en",
         *, admin: bool = False):
    email = email or f"user{next(_seq)}@example.org"
    if password != PASSWORD:
        return accounts.create_user(email, name, password, language, is_admin=admin)
    u = accounts.create_user(email, name, None, language, is_admin=admin)
    accounts.check_password_strength(password)
    u.password_hash = _factory_password_hash()
    db.session.flush()
    return u


def organizer(**kw):
    """A site administrator: every permission on every forum."""
    return user(name=kw.pop("name", "Organizer"), admin=True, **kw)


def member(forum: Forum, *perms: Permission | str, **kw):
    """A user on this forum's team with these permissions (and nothing elsewhere)."""
    u = user(name=kw.pop("name", "Team Member"), **kw)
    teams.grant(forum, u, perms or [Permission.MANAGE], by=None)
    return u


def forum(*, phase: str = "open", capacity: int = 100, status: ForumStatus = ForumStatus.PUBLISHED,
          slug: str | None = None, now: datetime | None = None, tz: str = "Asia/Almaty") -> Forum:
    """phase: 'open' (closes in 5 days), 'late' (closed 2 days ago), 'not_yet_open', 'over'."""
    now = now or clock.now()
    starts = {"open": now + timedelta(days=14), "late": now + timedelta(days=14),
              "not_yet_open": now + timedelta(days=60), "over": now - timedelta(days=10)}[phase]
    opens = {"open": now - timedelta(days=30), "late": now - timedelta(days=30),
             "not_yet_open": now + timedelta(days=5), "over": now - timedelta(days=60)}[phase]
    closes = {"open": now + timedelta(days=5), "late": now - timedelta(days=2),
              "not_yet_open": now + timedelta(days=30), "over": now - timedelta(days=20)}[phase]
    f = Forum(slug=slug or f"forum-{next(_seq)}", title="Central Asia + Japan Business Forum", city="Astana",
              venue="Palace of Independence", country="KZ", timezone=tz, starts_at=starts,
              ends_at=starts + timedelta(days=2), registration_opens_at=opens, registration_closes_at=closes,
              capacity=capacity, status=status)
    db.session.add(f)
    db.session.flush()
    return f


def delegate_input(i: int | None = None, **kw) -> DelegateInput:
    i = i if i is not None else next(_seq)
    data = dict(full_name=f"山田 太郎 {i}", latin_name=f"YAMADA Taro {i}", email=f"delegate{i}@example.jp",
                position="Director", phone="+81 90 1234 5678", languages=["ja", "en"], category="delegate")
    data.update(kw)
    return DelegateInput(**data)


def company_input(n_delegates: int = 1, **kw) -> CompanyInput:
    i = next(_seq)
    data = dict(legal_name=f"株式会社テスト{i}", name_en=f"Test Corp {i}", country="JP", city="Tokyo", sector="it",
                contact_name="佐藤 花子", contact_email=f"contact{i}@example.jp", privacy_accepted=True,
                delegates=[delegate_input() for _ in range(n_delegates)])
    data.update(kw)
    return CompanyInput(**data)


def company(forum: Forum, n_delegates: int = 1, **kw):
    submit_kw = {k: kw.pop(k) for k in ("now", "by", "invitation", "manual") if k in kw}
    return registration.submit(forum, company_input(n_delegates, **kw), **submit_kw)


def registration_(forum: Forum, **kw):
    return company(forum, 1, **kw).delegates[0]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def approved(forum: Forum, **kw):
    """An approved delegate (with the badge approval issues); the delegate's own fields (full_name, latin_name,
    position, email, category, language) go to the delegate, the rest to the company."""
    from forum.registration import states
    from forum.registration.models import RegState

    person = {k: kw.pop(k) for k in ("full_name", "latin_name", "position", "email", "category", "language")
              if k in kw}
    reg = company(forum, 1, delegates=[delegate_input(**person)], **kw).delegates[0]
    states.transition(reg, RegState.APPROVED, by=None, notify=False)
    return reg


def badge(forum: Forum, **kw):
    """The live badge of a newly approved delegate of the forum."""
    from forum.badges import issuing

    return issuing.badge_for(approved(forum, **kw))


def participant(forum: Forum, **kw):
    """An approved delegate of a company that consented to the directory: takes part in the B2B meetings.
    `languages` goes to the delegate; the rest as for `approved`."""
    from forum.registration import states
    from forum.registration.models import RegState

    person = {k: kw.pop(k) for k in ("full_name", "latin_name", "position", "email", "category", "language",
                                     "languages") if k in kw}
    kw.setdefault("directory_consent", True)
    reg = company(forum, 1, delegates=[delegate_input(**person)], **kw).delegates[0]
    states.transition(reg, RegState.APPROVED, by=None, notify=False)
    return reg


def participant_company(forum: Forum, n: int = 2, **kw):
    """A company that consented to the directory with n approved delegates; returns the delegates."""
    from forum.registration import states
    from forum.registration.models import RegState

    kw.setdefault("directory_consent", True)
    regs = company(forum, n, **kw).delegates
    for reg in regs:
        states.transition(reg, RegState.APPROVED, by=None, notify=False)
    return list(regs)


def meeting_request(requester, recipient, *, by=None, priority="nice", accept: bool = False, **kw):
    """requester asks recipient (a Registration, or a CompanyRegistration for the whole company)."""
    from forum.meetings import requests
    from forum.meetings.models import Priority
    from forum.registration.models import CompanyRegistration

    company_ = recipient if isinstance(recipient, CompanyRegistration) else recipient.company
    reg = None if isinstance(recipient, CompanyRegistration) else recipient
    req = requests.create(requester, company=company_, recipient=reg, priority=Priority(priority),
                          by=by or requester.user, **kw)
    if accept:
        requests.accept(req, by=(reg or company_.delegates[0]).user)
    return req


def profile(company_registration, *, by=None, **fields):
    """Create or update the company's B2B profile through the service (as its contact person unless `by`);
    fields as in meetings.profiles.ProfileInput. Returns the profile."""
    from forum.meetings import profiles

    data = profiles.input_from(profiles.profile_of(company_registration))
    for name, value in fields.items():
        setattr(data, name, value)
    user_ = by or company_registration.contact_user
    profiles.update(company_registration, data, by=user_)
    db.session.flush()
    return profiles.profile_of(company_registration)


def session(forum: Forum, start_local: str = "2027-05-20 09:00", end_local: str = "2027-05-20 12:00",
            slot_minutes: int = 20, gap_minutes: int = 0, breaks=(), name: str | None = None):
    """A meeting session with its generated slots. The times are forum-local 'YYYY-MM-DD HH:MM'; like any other
    fixture it skips the organizer's form rules (the forum's dates), so the default day fits every test forum."""
    from forum.meetings import grid
    from forum.meetings.models import MeetingSession

    day_s, start_s = start_local.split(" ")
    _day_e, end_s = end_local.split(" ")
    day = grid.parse_day(day_s)
    s = MeetingSession(forum_id=forum.id, name=name or f"Session {next(_seq)}",
                       starts_at=grid.local_to_utc(day, grid.parse_hhmm(start_s), forum.tz),
                       ends_at=grid.local_to_utc(grid.parse_day(_day_e), grid.parse_hhmm(end_s), forum.tz),
                       slot_minutes=slot_minutes, gap_minutes=gap_minutes, breaks=[list(b) for b in breaks])
    db.session.add(s)
    db.session.flush()
    grid.generate_slots(s)
    return s


def table(forum: Forum, number: int, label: str = "", slots=None):
    """A meeting table; `slots` (MeetingSlot list) restricts it to those slots."""
    from forum.meetings.models import MeetingTable

    t = MeetingTable(forum_id=forum.id, number=number, label=label, all_slots=slots is None, slots=list(slots or []))
    db.session.add(t)
    db.session.flush()
    return t


def interpreter(forum: Forum, languages, slots=None, name: str | None = None, email: str = ""):
    """An interpreter working between `languages` (ISO 639-1 codes); `slots` restricts them to those slots."""
    from forum.meetings.models import Interpreter

    i = Interpreter(forum_id=forum.id, name=name or f"Interpreter {next(_seq)}", email=email,
                    languages=list(languages), all_slots=slots is None, slots=list(slots or []))
    db.session.add(i)
    db.session.flush()
    return i


def meeting(a, b, slot, table, *, interpreter=None, request=None, state: str = "scheduled", walk_in: bool = False):
    """A published meeting between delegates a and b at slot and table, written straight to the table as a
    scheduler run's publication would (an accepted request from a to b is made unless `request` is given).
    Use the real publication (meetings.scheduling) where the publication itself is under test."""
    from forum.meetings.models import Meeting, MeetingState

    req = request or meeting_request(a, b, accept=True)
    m = Meeting(forum_id=a.forum_id, request_id=req.id, a_id=req.requester_id, b_id=req.recipient_id, slot_id=slot.id,
                table_id=table.id, interpreter_id=interpreter.id if interpreter is not None else None,
                state=MeetingState(state), walk_in=walk_in)
    db.session.add(m)
    db.session.flush()
    return m


def document(forum: Forum, *, parties=None, kind: str = "mou", titles: dict | None = None, exchanged: bool = True,
             confidentiality: str = "public", counts: bool = True, sectors=("energy",), by=None, **kw):
    """A numbered document of the forum, written straight to the tables (the records service validates forms;
    this builds the state a test needs). parties: a list of dicts of DocumentParty fields, or of
    CompanyRegistration (then linked, signed by its first delegate); default: a Japanese company and the
    Kazakh chamber of commerce."""
    from forum import clock
    from forum.documents import numbering
    from forum.documents.models import (Capacity, Ceremony, Confidentiality, DocKind, Document, DocumentParty,
                                        DocumentTitle, PartyKind)
    from forum.registration.models import CompanyRegistration

    parties = parties if parties is not None else [
        dict(organisation="Aoba Trading Co., Ltd.", country="JP", kind="private_company",
             signatory_name="青葉 太郎", signatory_position="President"),
        dict(organisation="Қазақстан сауда-өнеркәсіп палатасы", country="KZ", kind="association",
             signatory_name="Әлихан Сәрсенов", signatory_position="Chairman"),
    ]
    titles = titles or {"en": "Memorandum of understanding on water treatment",
                        "ru": "Меморандум о взаимопонимании в области водоочистки"}
    doc = Document(kind=DocKind(kind), authoritative_language=next(iter(titles)),
                   signed_on=kw.pop("signed_on", forum.local(forum.starts_at).date()),
                   ceremony=Ceremony(kw.pop("ceremony", "main_stage")), sectors=list(sectors),
                   confidentiality=Confidentiality(confidentiality), counts_in_tally=counts,
                   exchanged_at=clock.now() if exchanged else None, created_by_id=getattr(by, "id", None), **kw)
    for lang, title in titles.items():
        doc.titles.append(DocumentTitle(language=lang, title=title))
    for i, p in enumerate(parties, start=1):
        if isinstance(p, CompanyRegistration):
            signer = p.delegates[0] if p.delegates else None
            p = dict(company_id=p.id, organisation=p.legal_name, country=p.country, kind="private_company",
                     signatory_name=signer.full_name if signer else p.contact_name,
                     signatory_position=signer.position if signer else p.contact_position,
                     signatory_registration_id=signer.id if signer else None)
        p = dict(p)
        p["kind"] = PartyKind(p.get("kind", "private_company"))
        p["capacity"] = Capacity(p.get("capacity", "own"))
        p.setdefault("side", "left" if i % 2 else "right")
        doc.parties.append(DocumentParty(position=i, **p))
    numbering.assign(doc, forum)
    db.session.add(doc)
    db.session.flush()
    return doc
