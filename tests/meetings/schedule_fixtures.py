"""Small local builders for the scheduling tests: the meeting grid as model rows (slots, tables, interpreters,
unavailability), and the plan checker. The grid UI and its own factories live elsewhere."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from forum.db import db
from forum.meetings.models import (Interpreter, MeetingPrefs, MeetingSession, MeetingSlot, MeetingTable,
                                   Unavailability)
from tests.meetings.samples import check_plan


def grid(forum, n_slots: int = 2, n_tables: int = 1, *, minutes: int = 20):
    """One session of n_slots consecutive slots from the forum's start, and n_tables tables (numbered from 1)."""
    start = forum.starts_at.replace(minute=0, second=0, microsecond=0)
    session = MeetingSession(forum_id=forum.id, name="Morning", starts_at=start,
                             ends_at=start + timedelta(minutes=minutes * max(n_slots, 1)), slot_minutes=minutes)
    db.session.add(session)
    db.session.flush()
    slots = []
    for k in range(n_slots):
        s = MeetingSlot(forum_id=forum.id, session_id=session.id, starts_at=start + timedelta(minutes=minutes * k),
                        ends_at=start + timedelta(minutes=minutes * (k + 1)))
        db.session.add(s)
        slots.append(s)
    tables = [table(forum, n) for n in range(1, n_tables + 1)]
    db.session.flush()
    return slots, tables


def table(forum, number: int, *, label: str = "", slots=None, active: bool = True) -> MeetingTable:
    t = MeetingTable(forum_id=forum.id, number=number, label=label or f"Hall A, row {number}",
                     all_slots=slots is None, active=active)
    if slots is not None:
        t.slots = list(slots)
    db.session.add(t)
    db.session.flush()
    return t


def interpreter(forum, languages, *, name: str = "Гульнара Ахметова", slots=None, active: bool = True):
    i = Interpreter(forum_id=forum.id, name=name, languages=list(languages), all_slots=slots is None, active=active)
    if slots is not None:
        i.slots = list(slots)
    db.session.add(i)
    db.session.flush()
    return i


def unavailable(reg, *slots) -> None:
    for s in slots:
        db.session.add(Unavailability(registration_id=reg.id, slot_id=s.id))
    db.session.flush()


def cap(reg, n: int) -> None:
    db.session.add(MeetingPrefs(registration_id=reg.id, max_meetings=n))
    db.session.flush()


def valid(problem: dict, plan: dict) -> int:
    """check_plan.py's verdict on a stored plan: the objective, or a test failure naming the broken rule."""
    try:
        objective, _n, _total = check_plan.check(json.loads(json.dumps(problem)), json.loads(json.dumps(plan)))
    except SystemExit:
        pytest.fail("check_plan.py refused the plan (its message is printed above)")
    return objective
