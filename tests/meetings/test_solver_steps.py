"""The scheduler's steps one by one (forum/meetings/solver.py): the LP bound, the LP-guided rounding with its
repair, CP-SAT on the whole model or on a neighbourhood, and the problem generator of bench/b2b_generate.py.

Every plan is checked by the shared check_plan.py (a copy in samples/); each step alone must keep every rule,
so that breaking a rule in any one of them fails here."""
from __future__ import annotations

import json
import time

import pytest

from bench.b2b_generate import generate
from forum.meetings import solver
from tests.meetings.samples import check_plan
from tests.meetings.test_solver import SAMPLES, load, problem, reasons, valid


def same_plan(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "solve_seconds"} == {k: v for k, v in b.items() if k != "solve_seconds"}


def small_generated(seed: int = 3) -> dict:
    return generate(participants=200, requests=800, slots=12, tables=20, interpreters=10, seed=seed)


# --- the generator ---------------------------------------------------------------------------------------------

def test_the_generator_makes_valid_problems_shaped_like_the_samples_and_they_solve():
    p = small_generated()
    assert len(p["participants"]) == 200 and len(p["requests"]) == 800 and len(p["slots"]) == 12
    assert len(p["tables"]) == 20 and len(p["interpreters"]) == 10
    pairs = [frozenset(r["participants"]) for r in p["requests"]]
    assert len(set(pairs)) == len(pairs) and all(len(pair) == 2 for pair in pairs)
    ja = sum(1 for x in p["participants"] if "ja" in x["languages"])
    assert 0.3 < ja / 200 < 0.5  # about 40% Japanese, as in the samples
    langs = {x["id"]: set(x["languages"]) for x in p["participants"]}
    needing = sum(1 for r in p["requests"] if not langs[r["participants"][0]] & langs[r["participants"][1]])
    assert needing > 0.3 * len(p["requests"])  # many pairs share no language
    assert {r["weight"] for r in p["requests"]} == {1, 2, 3}
    fixed = [r for r in p["requests"] if r["fixed"]]
    assert fixed and any(r["fixed"]["interpreter"] for r in fixed)
    # the fixed meetings alone are a valid plan (the generator keeps every rule when it fixes them)
    only_fixed = {"format": "forum-b2b-plan/1",
                  "meetings": [{"request": r["id"], **r["fixed"]} for r in fixed],
                  "unscheduled": [{"request": r["id"], "reason": "not_selected"} for r in p["requests"] if not r["fixed"]],
                  "objective": sum(r["weight"] for r in fixed), "bound": 10 ** 9}
    assert valid(p, only_fixed) == only_fixed["objective"]
    plan = solver.solve(p)
    assert valid(p, plan) == plan["objective"] > only_fixed["objective"]
    assert plan["objective"] >= 0.98 * plan["bound"]


def test_the_generator_is_deterministic_in_its_seed():
    assert small_generated(5) == small_generated(5)
    assert small_generated(5) != small_generated(6)


def test_the_generator_cli_writes_the_problem(tmp_path):
    from bench import b2b_generate

    out = tmp_path / "p.json"
    assert b2b_generate.main(["--participants", "60", "--requests", "150", "--slots", "8", "--tables", "6",
                              "--interpreters", "3", "--output", str(out)]) == 0
    p = json.loads(out.read_text(encoding="utf-8"))
    assert p["format"] == "forum-b2b-problem/1" and len(p["requests"]) == 150
    valid(p, solver.solve(p))


# --- determinism on every path -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["small.json", "forum-450.json"])
def test_the_same_problem_gives_the_same_plan_on_every_path(name):
    p = load(name)
    assert same_plan(solver.solve(p), solver.solve(p))


def test_the_neighbourhood_path_is_deterministic_valid_and_keeps_a_true_bound(monkeypatch):
    monkeypatch.setattr(solver, "_FULL_MODEL_VARIABLES", 0)  # as if small.json were huge
    p = load("small.json")
    stats: dict = {}
    first = solver.solve(p, stats=stats)
    assert "neighbourhood" in stats and stats["rounded"] < 72  # the rounding alone misses here: CP-SAT ran
    assert valid(p, first) == first["objective"] and 72 <= first["bound"]
    assert same_plan(first, solver.solve(p))


# --- each step alone keeps every rule ------------------------------------------------------------------------------

def plan_of(p: dict, chosen_of) -> dict:
    inst = solver._Instance(p)
    form = solver._Formulation(inst)
    chosen = chosen_of(form)
    plan = solver._plan(inst, chosen, 10 ** 9, time.perf_counter())
    return plan


CASES = [pytest.param(lambda: load("small.json"), id="small"), pytest.param(small_generated, id="generated")]


@pytest.mark.parametrize("make", CASES)
def test_the_rounding_alone_without_the_lp_keeps_every_rule(make):
    p = make()
    plan = plan_of(p, lambda form: solver._round(form, {}).chosen)
    assert valid(p, plan) > 0


@pytest.mark.parametrize("make", CASES)
def test_cp_sat_alone_from_an_empty_plan_keeps_every_rule_and_matches_the_lp(make):
    p = make()
    lp_value = {}

    def chosen_of(form):
        value, _x = solver._lp(form)
        lp_value["bound"] = int(value + 1e-3)
        chosen, bound = solver._cp_sat(form, solver._Greedy(form.inst), lp_value["bound"], 10)
        lp_value["cp"] = bound
        return chosen

    plan = plan_of(p, chosen_of)
    assert valid(p, plan) > 0
    if p == load("small.json"):
        assert plan["objective"] == 72 and lp_value["cp"] + sum(r["weight"] for r in p["requests"] if r["fixed"]) == 72


@pytest.mark.parametrize("make", CASES)
def test_cp_sat_on_a_neighbourhood_keeps_every_rule_around_what_stays(make):
    p = make()

    def chosen_of(form):
        plan = solver._round(form, {})
        half = {v for (n, s), v in form.x.items() if n % 2} | set(form.flow.values())
        chosen, _bound = solver._cp_sat(form, plan, 10 ** 6, 10, half)
        kept = {n: s for n, s in plan.chosen.items() if n % 2 == 0}
        assert {n: s for n, s in chosen.items() if n % 2 == 0} == kept  # what is not free stays where it was
        return chosen

    assert valid(p, plan_of(p, chosen_of)) > 0


# --- small cases with known optima --------------------------------------------------------------------------------

def test_a_heaviest_first_greedy_loses_where_the_solver_does_not():
    # one slot: the heavy meeting (3) blocks two lighter ones (2 + 2)
    p = problem([("a", None, None, ["en"]), ("b", None, None, ["en"]), ("c", None, None, ["en"]),
                 ("d", None, None, ["en"])],
                [("r-heavy", ("a", "b"), 3, None), ("r-ac", ("a", "c"), 2, None), ("r-bd", ("b", "d"), 2, None)],
                slots=("s1",), tables=(("T1", None), ("T2", None)))
    inst = solver._Instance(p)
    greedy = solver._round(solver._Formulation(inst), {})  # without the LP's guidance
    assert sum(inst.requests[n].weight for n in greedy.chosen) == 3
    plan = solver.solve(p)
    assert valid(p, plan) == plan["objective"] == plan["bound"] == 4
    assert reasons(plan) == {"r-heavy": "participant_full"}


def test_the_bound_is_floored_where_the_lp_is_fractional():
    # a triangle in one slot: the LP takes half of each meeting (1.5); one meeting is the optimum
    p = problem([("a", None, None, ["en"]), ("b", None, None, ["en"]), ("c", None, None, ["en"])],
                [("r-ab", ("a", "b"), 1, None), ("r-bc", ("b", "c"), 1, None), ("r-ca", ("c", "a"), 1, None)],
                slots=("s1",), tables=(("T1", None), ("T2", None)))
    value, _x = solver._lp(solver._Formulation(solver._Instance(p)))
    assert value == pytest.approx(1.5)
    plan = solver.solve(p)
    assert valid(p, plan) == plan["objective"] == plan["bound"] == 1


def test_a_cap_limits_meetings_without_fixed_ones():
    p = problem([("a", None, 2, ["en"]), ("b", None, None, ["en"]), ("c", None, None, ["en"]),
                 ("d", None, None, ["en"])],
                [("r-ab", ("a", "b"), 1, None), ("r-ac", ("a", "c"), 1, None), ("r-ad", ("a", "d"), 1, None)],
                slots=("s1", "s2", "s3"))
    plan = solver.solve(p)
    assert valid(p, plan) == plan["objective"] == plan["bound"] == 2
    assert list(reasons(plan).values()) == ["participant_full"]


def test_tables_are_counted_per_slot():
    p = problem([(x, None, None, ["en"]) for x in "abcdef"],
                [("r-ab", ("a", "b"), 1, None), ("r-cd", ("c", "d"), 1, None), ("r-ef", ("e", "f"), 1, None)],
                slots=("s1",), tables=(("T1", None), ("T2", None), ("T3", ["s2"])))
    plan = solver.solve(p)
    assert valid(p, plan) == plan["objective"] == plan["bound"] == 2


def test_interpreters_are_counted_per_kind_and_slot_and_fixed_ones_are_taken():
    # ja-kk needs i-jk or i-jku; ja-uz needs i-jku; in s1 the fixed meeting holds i-jk, so only one more fits
    p = problem([("j1", ["s1"], None, ["ja"]), ("k1", ["s1"], None, ["kk"]),
                 ("j2", ["s1"], None, ["ja"]), ("u2", ["s1"], None, ["uz"]),
                 ("j0", ["s1"], None, ["ja"]), ("k0", ["s1"], None, ["kk"])],
                [("r-fixed", ("j0", "k0"), 1, {"slot": "s1", "table": "T1", "interpreter": "i-jk"}),
                 ("r-jk", ("j1", "k1"), 1, None), ("r-ju", ("j2", "u2"), 2, None)],
                slots=("s1",), tables=(("T1", None), ("T2", None), ("T3", None)),
                interpreters=(("i-jk", ["ja", "kk"], None), ("i-jku", ["ja", "kk", "uz"], None)))
    plan = solver.solve(p)
    assert valid(p, plan) == plan["objective"] == plan["bound"] == 3
    assert {m["request"]: m["interpreter"] for m in plan["meetings"]} == {"r-fixed": "i-jk", "r-ju": "i-jku"}


def test_the_repair_moves_a_blocking_meeting_to_make_room():
    # a and b can meet in s1 or s2; c only in s1 with a. Placed naively, (a, b) takes s1 and c is left out
    p = problem([("a", None, None, ["en"]), ("b", None, None, ["en"]), ("c", ["s1"], None, ["en"])],
                [("r-ab", ("a", "b"), 1, None), ("r-ac", ("a", "c"), 1, None)], tables=(("T1", None),))
    inst = solver._Instance(p)
    greedy = solver._Greedy(inst)
    assert greedy.place(0, "s1") and not greedy.place(1, "s1")
    greedy.repair()
    assert greedy.chosen == {0: "s2", 1: "s1"}


def test_a_tiny_time_limit_still_gives_a_valid_plan_with_a_true_bound():
    p = load("small.json")
    stats: dict = {}
    plan = solver.solve(p, time_limit=0.01, stats=stats)  # no time for CP-SAT: the rounded plan and the LP bound
    assert "cp_sat" not in stats
    assert valid(p, plan) == plan["objective"] == stats["rounded"] <= 72
    assert plan["bound"] == stats["lp_bound"] == 72  # the LP's value, floored: small.json's proven optimum


def test_forum_450_is_solved_by_the_lp_and_the_rounding_and_stops_at_the_bound():
    p = load("forum-450.json")
    stats: dict = {}
    plan = solver.solve(p, stats=stats)
    assert stats["lp_bound"] == stats["rounded"] == 1402 and "cp_sat" not in stats  # no CP-SAT needed
    assert valid(p, plan) == plan["objective"] == plan["bound"] == 1402


def test_the_bench_checker_is_the_shared_one():
    shared = SAMPLES.parent.parent.parent.parent / "shared" / "b2b" / "check_plan.py"
    if shared.exists():  # beside the checkout on the project machine; the copy must not drift
        assert shared.read_text() == (SAMPLES / "check_plan.py").read_text()
    assert check_plan.check  # the suite imports the copy


def test_without_the_lp_the_bound_is_every_request_that_has_a_slot_and_the_plan_stays_valid(monkeypatch):
    monkeypatch.setattr(solver, "_lp", lambda form, seconds=60.0: (None, {}))  # as if GLOP ran out of time
    p = problem([("a", ["s1"], None, ["en"]), ("b", ["s2"], None, ["en"]), ("c", None, None, ["en"]),
                 ("d", None, None, ["en"])],
                [("r-never", ("a", "b"), 5, None), ("r-cd", ("c", "d"), 2, None), ("r-ac", ("a", "c"), 1, None),
                 ("r-fixed", ("b", "d"), 3, {"slot": "s2", "table": "T1", "interpreter": None})])
    plan = solver.solve(p, time_limit=0.01)
    assert valid(p, plan) == plan["objective"] == 5  # one table: s2 holds the fixed meeting, s1 the heavier one
    assert plan["bound"] == 3 + 2 + 1  # r-never has no common slot: it cannot count
