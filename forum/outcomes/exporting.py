"""The results as CSV or XLSX: one table in two sections, told apart by the first column.

- The funnel: one row for the total, one per country pair, one per sector (Section, Group, Requested, Accepted,
  Scheduled, Held, Cooperation likely).
- The outcomes: after an empty row, the outcomes' own header row, then one row per recorded outcome (Section
  "Outcome", the meeting's forum-local time, the delegate, company, country, the counterpart and company, the
  outcome, next step and date, the linked document's number).

The cells go through forum.review.exports (CSV-injection `neutralised`, the CSV's BOM and quoting) and
forum.review.xlsx (the streaming writer): no second writer. Labels come in the organizer's language (`names`),
computed in the request; the stream reads the outcomes a batch at a time after the request's commit.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import tzinfo
from typing import Iterator, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _, pgettext
from sqlalchemy.orm import joinedload, selectinload

from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.forums.models import Forum
from forum.meetings.models import Meeting
from forum.meetings.reasons import both_scripts
from forum.outcomes.forms import kind_label
from forum.outcomes.funnel import Funnel, outcomes_list
from forum.outcomes.models import MeetingOutcome, OutcomeKind
from forum.registration import choices
from forum.registration.models import Registration
from forum.review import exports, xlsx

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
WIDTH = 11  # the outcomes' columns; the funnel's header is padded to it (the XLSX sizes columns from its header)
BATCH = 500


@dataclass(frozen=True)
class Names:
    header: Sequence[str]
    outcomes_header: Sequence[str]
    total: str
    pair: str
    sector: str
    outcome: str
    kinds: dict[str, str]
    countries: dict[str, str]
    sectors: dict[str, str]
    sheet: str


def names(forum: Forum) -> Names:
    """Every label of the file in the reader's language (call in the request)."""
    header = [_("Section"), _("Group"), _("Requested"), _("Accepted"), _("Scheduled"), pgettext("meeting", "Held"),
              _("Cooperation likely")]
    return Names(
        header=header + [""] * (WIDTH - len(header)),
        outcomes_header=[_("Section"), _("Meeting (%(zone)s)", zone=forum.timezone), _("Delegate"), _("Company"),
                         _("Country"), _("Counterpart"), _("Counterpart's company"), _("Outcome"), _("Next step"),
                         _("Next step date"), _("Document")],
        total=_("Total"), pair=_("Country pair"), sector=_("Sector"), outcome=_("Outcome"),
        kinds={k.value: kind_label(k) for k in OutcomeKind},
        countries={c: choices.country_name(c) for c in choices.COUNTRY_CODES},
        sectors={k: str(v) for k, v in choices.SECTORS.items()},
        sheet=_("Results")[:31] or "Results",
    )


def pair_label(pair: tuple[str, str], countries: dict[str, str]) -> str:
    """("JP", "KZ") -> "JP–KZ (Japan – Kazakhstan)" in the reader's language."""
    a, b = pair
    return f"{a}\u2013{b} ({countries.get(a, a)} \u2013 {countries.get(b, b)})"


def funnel_rows(fun: Funnel, n: Names) -> list[tuple]:
    rows = [(n.total, "", *fun.total.values())]
    rows += [(n.pair, pair_label(fun.pairs[key], n.countries), *c.values()) for key, c in fun.by_pair.items()]
    rows += [(n.sector, n.sectors.get(s, s), *c.values()) for s, c in fun.by_sector.items()]
    return rows


def outcome_ids(forum_id: int) -> list[int]:
    return list(db.session.scalars(outcomes_list(forum_id).with_only_columns(MeetingOutcome.id)))


def load(ids: list[int]) -> list[MeetingOutcome]:
    """The outcomes of `ids` in that order with their meeting, both sides and the document."""
    found = {o.id: o for o in db.session.scalars(sa.select(MeetingOutcome).where(MeetingOutcome.id.in_(ids)).options(
        joinedload(MeetingOutcome.meeting).joinedload(Meeting.slot),
        joinedload(MeetingOutcome.meeting).joinedload(Meeting.a).joinedload(Registration.company),
        joinedload(MeetingOutcome.meeting).joinedload(Meeting.b).joinedload(Registration.company),
        selectinload(MeetingOutcome.document)))}
    return [found[i] for i in ids if i in found]


def outcome_rows(ids: list[int], n: Names, tz: tzinfo) -> Iterator[tuple]:
    for start in range(0, len(ids), BATCH):
        for o in load(ids[start:start + BATCH]):
            m = o.meeting
            reg = m.a if m.a_id == o.registration_id else m.b
            other = m.b if reg is m.a else m.a
            yield (n.outcome, m.slot.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), both_scripts(reg),
                   reg.company.legal_name, n.countries.get(reg.company.country, reg.company.country),
                   both_scripts(other), other.company.legal_name, n.kinds.get(o.kind.value, o.kind.value),
                   o.next_step, o.next_step_on.isoformat() if o.next_step_on else "",
                   o.document.reference if o.document else "")


def all_rows(funnel_part: list[tuple], ids: list[int], n: Names, tz: tzinfo) -> Iterator[tuple]:
    yield from funnel_part
    yield ()
    yield tuple(n.outcomes_header)
    yield from outcome_rows(ids, n, tz)


def stream(funnel_part: list[tuple], ids: list[int], fmt: str, n: Names, tz: tzinfo) -> Iterator[bytes]:
    """The file's bytes in chunks; takes plain values (it runs after the request's commit)."""
    data = all_rows(funnel_part, ids, n, tz)
    if fmt == "csv":
        yield from exports.csv_chunks(data, header=n.header)
        return
    with tempfile.TemporaryFile() as tmp:
        # exports.write_xlsx names its sheet "Registrations"; the same cleaning and neutralising, our sheet name.
        xlsx.write(tmp, exports.neutralised(n.header),
                   (exports.neutralised(exports._without_controls(row)) for row in data), sheet=n.sheet)
        tmp.seek(0)
        while chunk := tmp.read(exports.CHUNK_BYTES):
            yield chunk


def record(forum: Forum, fmt: str, *, rows: int, by: User) -> None:
    """Audit the export before it is sent: who, which list, which format, how many outcomes."""
    audit.record(subject_type="forum", subject_id=forum.id, action="export", actor=by, forum_id=forum.id,
                 list="b2b_results", format=fmt, rows=rows)
