"""The agenda PDFs (issue 12): a delegate's agenda, a table's sign, an interpreter's sheet, and the help desk's
bundle of the whole forum. This module turns the agendas' queries (forum.agendas.queries) into plain sections,
every label translated in the reader's language and every time in the forum's zone (named once on each page);
forum.agendas.pdf_layout draws them with the badges' embedded font.

Each function writes to a binary file object; the views hand a temporary file and stream it back in chunks."""
from __future__ import annotations

from itertools import islice
from typing import BinaryIO, Iterable, Iterator, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _, pgettext

from forum.agendas import queries
from forum.agendas.pdf_layout import Cell, Item, Row, Section, write
from forum.attendance.tokens import table_url
from forum.badges import render
from forum.db import db
from forum.forums.models import Forum
from forum.meetings.models import Interpreter, Meeting, MeetingState, MeetingTable
from forum.meetings.reasons import languages_text
from forum.registration.choices import country_name
from forum.registration.models import Registration
from forum.templating import local_date, local_time, zone_label

BATCH = 100  # delegates whose agendas the bundle loads in one query


# --- the texts of one meeting -------------------------------------------------------------------------

def _same(a: str, b: str) -> bool:
    return a.casefold().replace("ʻ", "'") == b.casefold().replace("ʻ", "'")


def names(reg: Registration) -> tuple[str, str]:
    """(the name as written, the Latin name when it differs, else ''), each printable in the font: a native
    name the font cannot draw gives way to the Latin one."""
    latin = render.printable(reg.latin_name)
    native = render.printable(reg.full_name, latin)
    return native, ("" if not latin or _same(latin, native) else latin)


def _company(reg: Registration) -> tuple[str, str]:
    c = reg.company
    latin = render.printable(c.name_en)
    native = render.printable(c.legal_name, latin)
    return native, ("" if not latin or _same(latin, native) else latin)


def both_scripts(reg: Registration) -> str:
    native, latin = names(reg)
    return f"{native} ({latin})" if latin else native


def _person(reg: Registration, *, languages: bool = False, country: bool = True) -> Cell:
    native, latin = names(reg)
    company, company_latin = _company(reg)
    items = [Item(native, "strong"), Item(latin), Item(company), Item(company_latin, "small"),
             Item(country_name(reg.company.country) if country else "", "small")]
    if languages:
        items.append(Item(languages_text(reg.languages or []), "small"))
    return tuple(i for i in items if i.text)


def _when(m: Meeting, forum: Forum) -> Cell:
    items = [Item(f"{local_time(m.slot.starts_at, forum)}–{local_time(m.slot.ends_at, forum)}", "strong")]
    if m.state is MeetingState.NO_SHOW:
        items.append(Item(_("No-show"), "alert"))
    elif m.held_at is not None:
        items.append(Item(pgettext("meeting", "Held"), "small"))
    if m.walk_in:
        items.append(Item(_("Walk-in"), "small"))
    return tuple(items)


def _table(m: Meeting) -> Cell:
    return (Item(_("Table %(n)d", n=m.table.number), "strong"), Item(m.table.label or "", "small"))


def _interpreter(m: Meeting) -> Cell:
    return (Item(m.interpreter.name),) if m.interpreter is not None else (Item("—", "small"),)


def _day(m: Meeting, forum: Forum) -> str:
    return local_date(m.slot.starts_at, forum, "full")


def _zone(forum: Forum, meetings: Sequence[Meeting]) -> str:
    at = meetings[0].slot.starts_at if meetings else forum.starts_at
    return _("All times: %(zone)s", zone=zone_label(forum, at))


def _frame(forum: Forum, **kw) -> Section:
    return Section(empty=_("No meetings on this agenda."), continued=_("%(name)s (continued)"), **kw)


# --- the sections ------------------------------------------------------------------------------------

def delegate_section(forum: Forum, reg: Registration, meetings: Sequence[Meeting]) -> Section:
    native, latin = names(reg)
    company, company_latin = _company(reg)
    rows = [Row(_day(m, forum), (_when(m, forum), _table(m), _person(queries.other_side(m, reg)), _interpreter(m)))
            for m in meetings]
    return _frame(forum, short=both_scripts(reg), heading=f"{forum.shown_title} · {_('B2B meetings agenda')}",
                  title=native, lines=(Item(latin), Item(company, "strong"), Item(company_latin, "small")),
                  zone=_zone(forum, meetings),
                  columns=((_("Time"), 0.15), (_("Table"), 0.16), (_("Meeting with"), 0.47), (_("Interpreter"), 0.22)),
                  rows=rows)


def table_section(forum: Forum, table: MeetingTable, meetings: Sequence[Meeting]) -> Section:
    # Without the countries: a table's eight meetings of a day fit on its one sheet.
    rows = [Row(_day(m, forum), (_when(m, forum), _person(m.a, country=False), _person(m.b, country=False),
                                 _interpreter(m))) for m in meetings]
    return _frame(forum, short=_("Table %(n)d", n=table.number), heading=forum.shown_title, title=_("Table"),
                  big=str(table.number), lines=(Item(table.label or "", "strong"),), zone=_zone(forum, meetings),
                  qr_url=table_url(table), qr_caption=_("Table host: scan to confirm meetings as held"),
                  columns=((_("Time"), 0.14), (_("Requested by"), 0.34), (_("Meeting with"), 0.34),
                           (_("Interpreter"), 0.18)),
                  rows=rows)


def interpreter_section(forum: Forum, interpreter: Interpreter, meetings: Sequence[Meeting]) -> Section:
    rows = [Row(_day(m, forum), (_when(m, forum), _table(m), _person(m.a, languages=True),
                                 _person(m.b, languages=True))) for m in meetings]
    return _frame(forum, short=render.printable(interpreter.name),
                  heading=f"{forum.shown_title} · {_('Interpreter’s B2B meetings')}", title=interpreter.name,
                  lines=(Item(languages_text(interpreter.languages or [])),), zone=_zone(forum, meetings),
                  columns=((_("Time"), 0.14), (_("Table"), 0.14), (_("Requested by"), 0.36), (_("Meeting with"), 0.36)),
                  rows=rows)


def _write(forum: Forum, sections: Iterable[Section], out: BinaryIO, title: str) -> int:
    return write(sections, out, title=f"{forum.shown_title} · {title}", page_label=_("Page %(num)d"), footer=forum.shown_title)


# --- the documents -----------------------------------------------------------------------------------

def delegate_agenda(reg: Registration, out: BinaryIO) -> int:
    """One delegate's agenda (A4): their meetings in time order. Returns the number of pages."""
    forum = reg.forum
    return _write(forum, [delegate_section(forum, reg, queries.agenda_of(reg))], out, both_scripts(reg))


def table_sign(table: MeetingTable, out: BinaryIO) -> int:
    """A table's sign: its number very large, its label, its meetings, and the QR code its host scans to
    confirm them as held (attendance.tokens.table_url)."""
    forum = db.session.get(Forum, table.forum_id)
    meetings = queries.table_meetings(forum.id, table.id).get(table.id, [])
    return _write(forum, [table_section(forum, table, meetings)], out, _("Table %(n)d", n=table.number))


def interpreter_sheet(interpreter: Interpreter, out: BinaryIO) -> int:
    """An interpreter's meetings: time, table, the two sides and the languages they speak."""
    forum = db.session.get(Forum, interpreter.forum_id)
    meetings = queries.interpreter_meetings(forum.id, interpreter.id).get(interpreter.id, [])
    return _write(forum, [interpreter_section(forum, interpreter, meetings)], out, interpreter.name)


def _batched(items: Sequence[int], n: int) -> Iterator[list[int]]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


def _on_agenda(forum_id: int):
    return sa.and_(Meeting.forum_id == forum_id, Meeting.state.in_(queries.ON_AGENDA))


def delegates_with_meetings(forum_id: int):
    """Registration ids of the delegates with meetings on their agenda, as a subquery-able select."""
    return sa.union(sa.select(Meeting.a_id.label("reg_id")).where(_on_agenda(forum_id)),
                    sa.select(Meeting.b_id.label("reg_id")).where(_on_agenda(forum_id)))


def bundle_tables(forum_id: int) -> list[MeetingTable]:
    """The tables whose signs the bundle prints: those in use, and any other with a meeting on it."""
    used = sa.select(Meeting.table_id).where(_on_agenda(forum_id))
    return list(db.session.scalars(sa.select(MeetingTable).where(
        MeetingTable.forum_id == forum_id, sa.or_(MeetingTable.active, MeetingTable.id.in_(used)))
        .order_by(MeetingTable.number, MeetingTable.id)))


def bundle_interpreters(forum_id: int) -> list[Interpreter]:
    used = sa.select(Meeting.interpreter_id).where(_on_agenda(forum_id), Meeting.interpreter_id.is_not(None))
    return list(db.session.scalars(sa.select(Interpreter).where(
        Interpreter.forum_id == forum_id, sa.or_(Interpreter.active, Interpreter.id.in_(used)))
        .order_by(Interpreter.name, Interpreter.id)))


def bundle(forum: Forum, out: BinaryIO, *, batch: int = BATCH) -> int:
    """The help desk's bundle: every delegate with meetings (by Latin name), then every table's sign, then every
    interpreter's sheet. Agendas are loaded `batch` delegates at a time and drawn as they come, so a forum of
    any size holds one batch of meetings as objects; the sessions' identity map keeps only weak references,
    so a drawn batch is freed. Returns the number of pages."""
    forum_id = forum.id

    def sections() -> Iterator[Section]:
        people = sa.select(delegates_with_meetings(forum_id).subquery().c.reg_id)
        ids = list(db.session.scalars(sa.select(Registration.id).where(Registration.id.in_(people))
                                      .order_by(sa.func.lower(Registration.latin_name), Registration.id)))
        for chunk in _batched(ids, batch):
            agendas = queries.agendas_of(forum_id, chunk)
            for reg_id in chunk:
                meetings = agendas.get(reg_id) or []
                if meetings:
                    m = meetings[0]
                    yield delegate_section(forum, m.a if m.a_id == reg_id else m.b, meetings)
            del agendas
        for table in bundle_tables(forum_id):
            yield table_section(forum, table, queries.table_meetings(forum_id, table.id).get(table.id, []))
        for interpreter in bundle_interpreters(forum_id):
            meetings = queries.interpreter_meetings(forum_id, interpreter.id).get(interpreter.id, [])
            yield interpreter_section(forum, interpreter, meetings)

    return _write(forum, sections(), out, _("B2B agendas, table signs and interpreter sheets"))
