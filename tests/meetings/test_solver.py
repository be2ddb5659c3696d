"""The pure B2B scheduler (forum/meetings/solver.py, issue 9 section 4) against the shared problem format.

samples/ holds copies of ../shared/b2b/samples and its plan checker check_plan.py (unchanged), so that the
suite runs them wherever the repository is."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from forum.meetings import solver
from tests.meetings.samples import check_plan

SAMPLES = Path(__file__).parent / "samples"


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def valid(problem: dict, plan: dict) -> int:
    """check_plan.py's verdict: the objective, or the broken rule as a test failure."""
    try:
        objective, _n, _total = check_plan.check(problem, json.loads(json.dumps(plan)))
    except SystemExit:
        pytest.fail("check_plan.py refused the plan (its message is printed above)")
    return objective


def test_the_small_sample_reaches_its_proven_optimum_and_proves_it():
    problem = load("small.json")
    plan = solver.solve(problem, time_limit=60)
    assert valid(problem, plan) == plan["objective"] == plan["bound"] == 72  # samples/README.md


def test_the_forum_450_sample_is_valid_within_2_percent_and_its_bound_is_true():
    problem = load("forum-450.json")
    plan = solver.solve(problem, time_limit=90)
    objective = valid(problem, plan)
    assert objective <= 1402 <= plan["bound"]  # 1402 is the proven optimum: no true bound is below it
    assert objective >= 0.98 * plan["bound"]


def test_the_same_problem_gives_the_same_plan():
    problem = load("small.json")
    first, second = solver.solve(problem), solver.solve(problem)
    assert first["meetings"] == second["meetings"] and first["unscheduled"] == second["unscheduled"]


def problem(participants, requests, *, slots=("s1", "s2"), tables=(("T1", None),), interpreters=()):
    return {
        "format": "forum-b2b-problem/1",
        "slots": [{"id": s, "start": "2027-05-20T09:00:00+05:00", "end": "2027-05-20T09:20:00+05:00"} for s in slots],
        "tables": [{"id": t, "slots": ok} for t, ok in tables],
        "participants": [{"id": pid, "available": av, "max_meetings": cap, "languages": langs}
                         for pid, av, cap, langs in participants],
        "interpreters": [{"id": i, "languages": langs, "available": av} for i, langs, av in interpreters],
        "requests": [{"id": rid, "participants": list(pair), "weight": w, "fixed": fx} for rid, pair, w, fx in requests],
    }


def reasons(plan) -> dict:
    return {u["request"]: u["reason"] for u in plan["unscheduled"]}


def test_every_reason_is_given_where_it_is_true():
    p = problem(
        [("ja1", ["s1"], None, ["ja"]), ("kz1", ["s2"], None, ["kk"]),  # never free together
         ("ja2", None, None, ["ja"]), ("kz2", None, None, ["kk"]),  # no interpreter for ja-kk at all
         ("ja3", ["s1"], None, ["ja", "ru"]), ("uz3", ["s1"], None, ["ru"]), ("kz3", ["s1"], None, ["ru"]),
         ("jp4", None, 0, ["ja"]), ("uz4", None, None, ["ja"])],  # a side that may meet nobody
        [("r-never", ("ja1", "kz1"), 1, None), ("r-interp", ("ja2", "kz2"), 1, None),
         ("r-wins", ("ja3", "uz3"), 3, None), ("r-busy", ("ja3", "kz3"), 1, None),
         ("r-full", ("jp4", "uz4"), 1, None)],
        tables=(("T1", None), ("T2", None)), interpreters=(("i1", ["ja", "ru"], None),))
    plan = solver.solve(p)
    valid(p, plan)
    assert [m["request"] for m in plan["meetings"]] == ["r-wins"]
    assert reasons(plan) == {"r-never": "no_common_slot", "r-interp": "no_interpreter",
                             "r-busy": "participant_full", "r-full": "participant_full"}


def test_no_table_and_not_selected():
    p = problem([("a", ["s1"], None, ["en"]), ("b", ["s1"], None, ["en"]),
                 ("c", ["s2"], None, ["en"]), ("d", ["s2"], None, ["en"]),
                 ("e", ["s2"], None, ["en"]), ("f", ["s2"], None, ["en"])],
                [("r-no-table", ("a", "b"), 1, None), ("r-heavy", ("c", "d"), 3, None),
                 ("r-light", ("e", "f"), 1, None)],
                tables=(("T1", ["s2"]),))
    plan = solver.solve(p)
    valid(p, plan)
    assert [m["request"] for m in plan["meetings"]] == ["r-heavy"]
    assert reasons(plan) == {"r-no-table": "no_table", "r-light": "not_selected"}
    assert plan["objective"] == plan["bound"] == 3


def test_tables_and_interpreters_held_by_fixed_meetings_are_not_there_for_the_reasons():
    # A published (fixed) meeting holds the only table, and another the only interpreter, in the only slot the
    # others share: no plan can place them, so "not_selected" ("it fitted") would be untrue.
    p = problem([("a", ["s1"], None, ["en"]), ("b", ["s1"], None, ["en"]),
                 ("c", ["s1"], None, ["en"]), ("d", ["s1"], None, ["en"]),
                 ("j1", ["s2"], None, ["ja"]), ("k1", ["s2"], None, ["kk"]),
                 ("j2", ["s2"], None, ["ja"]), ("k2", ["s2"], None, ["kk"])],
                [("r-fixed", ("a", "b"), 1, {"slot": "s1", "table": "T1", "interpreter": None}),
                 ("r-table", ("c", "d"), 5, None),
                 ("r-fixed-i", ("j1", "k1"), 1, {"slot": "s2", "table": "T1", "interpreter": "i1"}),
                 ("r-interp", ("j2", "k2"), 5, None)],
                tables=(("T1", None), ("T2", ["s2"])), interpreters=(("i1", ["ja", "kk"], None),))
    plan = solver.solve(p)
    valid(p, plan)
    assert reasons(plan) == {"r-table": "no_table", "r-interp": "no_interpreter"}
    assert plan["objective"] == plan["bound"] == 2


def test_one_interpreter_serves_one_meeting_per_slot_and_speaks_both_sides():
    p = problem([("j1", ["s1"], None, ["ja"]), ("k1", ["s1"], None, ["kk"]),
                 ("j2", ["s1"], None, ["ja"]), ("k2", ["s1"], None, ["kk"]),
                 ("j3", ["s1"], None, ["ja"]), ("u3", ["s1"], None, ["uz"])],
                [("r1", ("j1", "k1"), 1, None), ("r2", ("j2", "k2"), 1, None), ("r3", ("j3", "u3"), 1, None)],
                slots=("s1",), tables=(("T1", None), ("T2", None), ("T3", None)),
                interpreters=(("i-jk", ["ja", "kk"], None), ("i-ju", ["ja", "uz", "kk"], None)))
    plan = solver.solve(p)
    valid(p, plan)
    # two interpreters, three meetings needing one: two are scheduled, and i-ju must take the Uzbek one
    assert plan["objective"] == plan["bound"] == 2
    by = {m["request"]: m["interpreter"] for m in plan["meetings"]}
    assert by.get("r3") in (None, "i-ju") and len(set(by.values())) == 2


def test_a_fixed_meeting_stays_and_takes_its_table_and_people():
    p = problem([("a", None, None, ["en"]), ("b", None, None, ["en"]), ("c", ["s1"], None, ["en"])],
                [("r-fixed", ("a", "b"), 1, {"slot": "s1", "table": "T1", "interpreter": None}),
                 ("r-other", ("a", "c"), 5, None)],
                tables=(("T1", None),))
    plan = solver.solve(p)
    valid(p, plan)
    assert plan["meetings"] == [{"request": "r-fixed", "slot": "s1", "table": "T1", "interpreter": None}]
    assert reasons(plan) == {"r-other": "participant_full"}  # a is busy in the only slot c is free


def test_caps_count_fixed_meetings():
    p = problem([("a", None, 1, ["en"]), ("b", None, None, ["en"]), ("c", None, None, ["en"])],
                [("r-fixed", ("a", "b"), 1, {"slot": "s1", "table": "T1", "interpreter": None}),
                 ("r-more", ("a", "c"), 5, None)])
    plan = solver.solve(p)
    valid(p, plan)
    assert reasons(plan) == {"r-more": "participant_full"}


@pytest.mark.parametrize("bad", [{}, {"format": "other"}, {"format": "forum-b2b-problem/1"},
                                 {"format": "forum-b2b-problem/1", "slots": [], "tables": [], "participants": [],
                                  "requests": [{"id": "r", "participants": ["x", "y"], "weight": 1}]}])
def test_a_broken_problem_is_refused_with_its_reason(bad):
    with pytest.raises(solver.ProblemError):
        solver.solve(bad)


def test_the_cli_writes_a_valid_plan_and_prints_the_figures(app, tmp_path):
    out = tmp_path / "plan.json"
    result = app.test_cli_runner().invoke(args=["schedule", "solve", str(SAMPLES / "small.json"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "objective 72  bound 72" in result.output
    assert valid(load("small.json"), json.loads(out.read_text())) == 72
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = app.test_cli_runner().invoke(args=["schedule", "solve", str(bad), "--output", str(tmp_path / "x.json")])
    assert result.exit_code != 0 and "not JSON" in result.output
