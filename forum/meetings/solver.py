"""The B2B meeting scheduler (issue 9, section 4). Pure: no Flask, no database.

Reads a problem in the format of ../shared/b2b/FORMAT.md ("forum-b2b-problem/1") and returns a plan
("forum-b2b-plan/1") that maximises the total weight of scheduled requests, with a proven bound.

The formulation (one integer program, solved in three steps with OR-Tools):
- x[r, s] = 1 when request r meets in slot s; only for slots both sides are free in, where a table can be used
  and, when the two share no language, some interpreter who speaks a language of each is free.
- Each request at most once; each person at most once per slot and at most max_meetings in all.
- Tables are interchangeable: per slot, the meetings are at most the usable tables (counted, not named).
- Interpreters are interchangeable within a "kind" (the same set of languages): per slot, the meetings that
  need an interpreter are sent along an integer flow from their language pair to the kinds that can serve
  them, at most the kind's free interpreters. An integral flow is a matching, so concrete interpreters (and
  tables) are assigned afterwards, slot by slot, without ever failing.
- Fixed meetings are placed first: their slot, table and interpreter are taken out of what the rest may use.

The steps:
1. The LP relaxation (GLOP, exact simplex): its value, floored, is the proven `bound` (weights are integers).
   On these problems it is nearly integral (forum-450: 1402, the optimum, in 0.3 s).
2. A plan by rounding: requests placed greedily in the order of their LP values (then by weight, fewest
   options), keeping every rule, then one pass of the plain greedy for what is left, then a repair pass that
   moves one meeting of a blocking person to another free slot to make room. Stop if it meets the bound.
3. Otherwise CP-SAT on the same model, warm-started with that plan (a complete hint), told the LP bound
   (objective <= bound) so it stops as soon as it meets it, for a *deterministic* time budget (a third of
   the time left, in CP-SAT's deterministic seconds; the wall-clock limit is only a safety net). Small
   models go to CP-SAT whole (its own bound may then improve the LP's); big ones (over _FULL_MODEL_VARIABLES)
   only free the requests where the rounding may have lost (LP-fractional or LP-used but left out) and
   every request of their people, the rest keeping the rounded plan (a neighbourhood search). The better
   of the two plans is kept; the bound is the lower of the LP's and CP-SAT's.
Deterministic: GLOP and the rounding are; CP-SAT runs one worker with a fixed seed and stops on deterministic
time, and every list is built in the problem's order. (Only a machine so loaded that the wall-clock limit
comes first could cut CP-SAT at a different point.)
Figures: bench/schedule.py (forum-450: 1402 = its proven optimum in about 0.6 s, by steps 1-2 alone).
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

PROBLEM_FORMAT = "forum-b2b-problem/1"
PLAN_FORMAT = "forum-b2b-plan/1"
REASONS = ("no_common_slot", "participant_full", "no_table", "no_interpreter", "not_selected")


class ProblemError(ValueError):
    """The problem breaks the format: the message names what."""


@dataclass(frozen=True)
class _Req:
    id: str
    a: str
    b: str
    weight: int
    pair: tuple[frozenset, frozenset] | None  # the two sides' languages when they share none, else None
    fixed: dict | None


def _available(entity: dict, key: str, slots: list[str]) -> set[str]:
    value = entity.get(key)
    return set(slots) if value is None else set(value) & set(slots)


def _read(problem: dict):
    if not isinstance(problem, dict) or problem.get("format") != PROBLEM_FORMAT:
        raise ProblemError(f"the problem's format is not {PROBLEM_FORMAT}")
    try:
        slots = [s["id"] for s in problem["slots"]]
        people = {p["id"]: p for p in problem["participants"]}
        tables = problem["tables"]
        interpreters = problem.get("interpreters") or []
        raw_requests = problem["requests"]
    except (KeyError, TypeError) as e:
        raise ProblemError(f"the problem lacks {e}") from None
    if len(set(slots)) != len(slots):
        raise ProblemError("slot ids repeat")
    requests = []
    for r in raw_requests:
        a, b = r["participants"]
        if a not in people or b not in people or a == b:
            raise ProblemError(f"request {r['id']} names unknown or equal participants")
        if not isinstance(r.get("weight"), int) or r["weight"] <= 0:
            raise ProblemError(f"request {r['id']}: the weight is a positive integer")
        la, lb = frozenset(people[a]["languages"]), frozenset(people[b]["languages"])
        requests.append(_Req(r["id"], a, b, r["weight"], None if la & lb else (la, lb), r.get("fixed")))
    return slots, people, tables, interpreters, requests


def solve(problem: dict, *, time_limit: float = 60.0, stats: dict | None = None) -> dict:
    """The plan for this problem (see the module's docstring). `stats`, when given, receives the figures of
    each step (seconds, values, model size) for benchmarks."""
    started = time.perf_counter()
    stats = {} if stats is None else stats
    inst = _Instance(problem)
    requests, fixed = inst.requests, inst.fixed
    form = _Formulation(inst)
    fixed_weight = sum(r.weight for r in fixed)
    stats.update(variables=len(form.upper), rows=len(form.rows), model_seconds=round(time.perf_counter() - started, 3))

    # 1. the LP bound, and the LP values that guide the rounding
    lp_value, lp_x = _lp(form, max(1.0, time_limit - (time.perf_counter() - started)))
    bound_open = sum(requests[n].weight for n in inst.options if inst.options[n]) if lp_value is None \
        else int(math.floor(lp_value + 1e-3))
    stats.update(lp_bound=fixed_weight + bound_open, lp_seconds=round(time.perf_counter() - started, 3))

    # 2. a plan by rounding the LP, then repair
    plan = _round(form, lp_x)
    chosen = dict(plan.chosen)
    value = sum(requests[n].weight for n in chosen)
    stats.update(rounded=fixed_weight + value, rounded_seconds=round(time.perf_counter() - started, 3))

    # 3. CP-SAT from there, if the rounding left a gap
    if value < bound_open:
        remaining = time_limit - (time.perf_counter() - started)
        if remaining > 0.5:
            free = None
            if len(form.upper) > _FULL_MODEL_VARIABLES:  # too big for CP-SAT whole: a neighbourhood of the gap
                free = _neighbourhood(form, plan, lp_x)
                stats.update(neighbourhood=len(free))
            better, cp_bound = _cp_sat(form, plan, bound_open, remaining, free)
            bound_open = min(bound_open, cp_bound)
            if better is not None and sum(requests[n].weight for n in better) > value:
                chosen = better
                value = sum(requests[n].weight for n in chosen)
            stats.update(cp_sat=fixed_weight + value, cp_sat_seconds=round(time.perf_counter() - started, 3))
    return _plan(inst, chosen, fixed_weight + bound_open, started)


def _round(form: _Formulation, lp_x: dict) -> _Greedy:
    """A plan from the LP's values: the (request, slot) pairs the LP uses, in the order of their values, then
    the plain greedy (heaviest first, fewest options first) for the rest, then the one-move repair."""
    inst, requests = form.inst, form.inst.requests
    order = sorted(form.x, key=lambda key: (-round(lp_x.get(form.x[key], 0.0), 6), -requests[key[0]].weight,
                                            len(inst.options[key[0]]), key[0], inst.slot_index[key[1]]))
    plan = _Greedy(inst)
    for n, s in order:
        if lp_x.get(form.x[n, s], 0.0) > 1e-6:
            plan.place(n, s)
    for n in sorted(inst.options, key=lambda n: (-requests[n].weight, len(inst.options[n]), n)):
        for s in inst.options[n]:
            if plan.place(n, s):
                break
    plan.repair()
    return plan


def _plan(inst: _Instance, chosen: dict[int, str], bound: int, started: float) -> dict:
    """The plan dict: the fixed meetings and the chosen ones with concrete tables and interpreters, a reason
    for every request left out, the objective and the bound."""
    requests, fixed = inst.requests, inst.fixed
    objective = sum(r.weight for r in fixed) + sum(requests[n].weight for n in chosen)
    by_id = {r.id: r for r in requests}
    meetings = _assign(requests, fixed, chosen, inst.slots, inst.table_slots, inst.taken_tables, inst.interp_slots,
                       inst.interp_langs, inst.taken_interps)
    met: dict[str, int] = defaultdict(int)
    taken: dict[str, set[str]] = defaultdict(set)
    for m in meetings:
        req = by_id[m["request"]]
        for p in (req.a, req.b):
            met[p] += 1
            taken[p].add(m["slot"])
    unscheduled = [{"request": r.id, "reason": _reason(r, inst.people, inst.free, inst.slots, inst.table_slots,
                                                      inst.interp_slots, inst.interp_langs, met, taken,
                                                      inst.taken_tables, inst.taken_interps)}
                   for n, r in enumerate(requests) if not r.fixed and n not in chosen]
    return {"format": PLAN_FORMAT, "meetings": meetings, "unscheduled": unscheduled, "objective": objective,
            "bound": bound, "solve_seconds": round(time.perf_counter() - started, 3)}


class _Instance:
    """The problem read, with the fixed meetings taken out of what the rest may use, and each open request's
    options (the slots it could meet in on its own)."""

    def __init__(self, problem: dict):
        slots, people, tables, interpreters, requests = _read(problem)
        self.slots, self.people, self.requests = slots, people, requests
        self.slot_index = {s: k for k, s in enumerate(slots)}
        self.free = {pid: _available(p, "available", slots) for pid, p in people.items()}
        self.table_slots = {t["id"]: _available(t, "slots", slots) for t in tables}
        self.interp_slots = {i["id"]: _available(i, "available", slots) for i in interpreters}
        self.interp_langs = {i["id"]: frozenset(i["languages"]) for i in interpreters}
        self.fixed = [r for r in requests if r.fixed]
        self.taken_tables: dict[str, set[str]] = defaultdict(set)
        self.taken_interps: dict[str, set[str]] = defaultdict(set)
        self.busy: dict[str, set[str]] = defaultdict(set)
        count: dict[str, int] = defaultdict(int)
        for r in self.fixed:
            s, t, i = r.fixed["slot"], r.fixed["table"], r.fixed.get("interpreter")
            self.taken_tables[s].add(t)
            if i is not None:
                self.taken_interps[s].add(i)
            for p in (r.a, r.b):
                self.busy[p].add(s)
                count[p] += 1
        self.cap = {}
        for pid, p in people.items():
            cap = p.get("max_meetings")
            self.cap[pid] = None if cap is None else cap - count[pid]
        self.tables_at = {s: sum(1 for t, ok in self.table_slots.items() if s in ok and t not in self.taken_tables[s])
                          for s in slots}
        self.kinds = sorted(set(self.interp_langs.values()), key=lambda k: sorted(k))
        self.kind_free = {(k, s): sum(1 for i, langs in self.interp_langs.items()
                                      if langs == k and s in self.interp_slots[i] and i not in self.taken_interps[s])
                          for k in self.kinds for s in slots}
        self._able: dict = {}
        self.options: dict[int, list[str]] = {}
        for n, r in enumerate(requests):
            if r.fixed:
                continue
            if self.cap[r.a] == 0 or self.cap[r.b] == 0:
                self.options[n] = []
                continue
            busy_a, busy_b, free_a, free_b = self.busy[r.a], self.busy[r.b], self.free[r.a], self.free[r.b]
            self.options[n] = [s for s in slots if s in free_a and s in free_b and s not in busy_a
                               and s not in busy_b and self.tables_at[s] > 0
                               and (r.pair is None or self.able(r.pair, s))]

    def able(self, pair, s) -> list:
        """The kinds of interpreter free in slot s that can serve this language pair."""
        key = (pair, s)
        if key not in self._able:
            self._able[key] = [k for k in self.kinds if self.kind_free[(k, s)] and k & pair[0] and k & pair[1]]
        return self._able[key]


class _Formulation:
    """The integer program as rows (variable indices, coefficients, lower or None, upper), shared by the LP
    and CP-SAT so that both solve exactly the same model."""

    def __init__(self, inst: _Instance):
        requests = inst.requests
        self.inst = inst
        self.x: dict[tuple[int, str], int] = {}
        self.upper: list[int] = []
        self.weight: list[int] = []
        for n, options in inst.options.items():
            for s in options:
                self.x[n, s] = self._var(1, requests[n].weight)
        by_request, by_person_slot, by_person = defaultdict(list), defaultdict(list), defaultdict(list)
        by_slot, by_pair_slot = defaultdict(list), defaultdict(list)
        for (n, s), v in self.x.items():
            r = requests[n]
            by_request[n].append(v)
            for p in (r.a, r.b):
                by_person_slot[p, s].append(v)
                by_person[p].append(v)
            by_slot[s].append(v)
            if r.pair is not None:
                by_pair_slot[r.pair, s].append(v)
        self.rows: list[tuple[list[int], list[int], int | None, int]] = []
        for vs in by_request.values():
            if len(vs) > 1:
                self.rows.append((vs, [1] * len(vs), None, 1))
        for vs in by_person_slot.values():
            if len(vs) > 1:
                self.rows.append((vs, [1] * len(vs), None, 1))
        for p, vs in by_person.items():
            cap = inst.cap[p]
            if cap is not None and len(vs) > cap:
                self.rows.append((vs, [1] * len(vs), None, cap))
        for s, vs in by_slot.items():
            if len(vs) > inst.tables_at[s]:
                self.rows.append((vs, [1] * len(vs), None, inst.tables_at[s]))
        # interpreters: a flow from each language pair to the kinds of interpreter that serve it, per slot
        self.flow: dict[tuple, int] = {}
        into = defaultdict(list)
        for (pair, s), vs in by_pair_slot.items():
            edges = []
            for k in inst.able(pair, s):
                f = self._var(min(len(vs), inst.kind_free[(k, s)]), 0)
                self.flow[pair, k, s] = f
                edges.append(f)
                into[k, s].append(f)
            self.rows.append((edges + vs, [1] * len(edges) + [-1] * len(vs), 0, 0))
        for (k, s), fs in into.items():
            if len(fs) > 1:
                self.rows.append((fs, [1] * len(fs), None, inst.kind_free[(k, s)]))

    def _var(self, upper: int, weight: int) -> int:
        self.upper.append(upper)
        self.weight.append(weight)
        return len(self.upper) - 1


def _lp(form: _Formulation, seconds: float = 60.0):
    """The LP relaxation's optimal value and solution (GLOP's simplex, deterministic), or (None, {}) when it is
    not solved within the seconds given (the bound is then the weight of every request that has a slot)."""
    from ortools.linear_solver import pywraplp

    if not form.upper:
        return 0.0, {}
    lp = pywraplp.Solver.CreateSolver("GLOP")
    variables = [lp.NumVar(0, upper, "") for upper in form.upper]
    infinity = lp.infinity()
    for vs, coefs, lower, upper in form.rows:
        row = lp.Constraint(-infinity if lower is None else lower, upper)
        for v, c in zip(vs, coefs):
            row.SetCoefficient(variables[v], c)
    objective = lp.Objective()
    for v, w in zip(variables, form.weight):
        if w:
            objective.SetCoefficient(v, w)
    objective.SetMaximization()
    lp.SetTimeLimit(int(seconds * 1000))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None, {}
    return objective.Value(), {v: var.solution_value() for v, var in enumerate(variables)
                               if var.solution_value() > 1e-9}


class _Greedy:
    """A plan built one meeting at a time, keeping every rule (the interpreters' kinds are counted per slot)."""

    def __init__(self, inst: _Instance):
        self.inst = inst
        self.tables = dict(inst.tables_at)
        self.kinds_left = dict(inst.kind_free)
        self.at: dict[tuple[str, str], int] = {}  # (person, slot) -> request
        self.meets: dict[str, int] = defaultdict(int)
        self.chosen: dict[int, str] = {}
        self.kind_of: dict[int, frozenset] = {}

    def fits(self, n: int, s: str, ignore: int | None = None) -> frozenset | bool:
        """Whether request n can go to slot s (as if `ignore` were not in the plan): the interpreters' kind to
        use, True when it needs none, False when it does not fit."""
        inst, r = self.inst, self.inst.requests[n]
        if n in self.chosen:
            return False
        for p in (r.a, r.b):
            other = self.at.get((p, s))
            if other is not None and other != ignore:
                return False
            cap = inst.cap[p]
            if cap is not None and self.meets[p] - (ignore is not None and p in _sides(inst, ignore)) >= cap:
                return False
        ignoring_here = ignore is not None and self.chosen.get(ignore) == s
        if self.tables[s] <= 0 and not ignoring_here:
            return False
        if r.pair is None:
            return True
        for k in inst.able(r.pair, s):
            if self.kinds_left[(k, s)] > 0 or (ignoring_here and self.kind_of.get(ignore) == k):
                return k
        return False

    def place(self, n: int, s: str) -> bool:
        kind = self.fits(n, s)
        if kind is False:
            return False
        r = self.inst.requests[n]
        self.tables[s] -= 1
        if kind is not True:
            self.kinds_left[(kind, s)] -= 1
            self.kind_of[n] = kind
        for p in (r.a, r.b):
            self.at[p, s] = n
            self.meets[p] += 1
        self.chosen[n] = s
        return True

    def remove(self, n: int) -> None:
        s = self.chosen.pop(n)
        r = self.inst.requests[n]
        self.tables[s] += 1
        kind = self.kind_of.pop(n, None)
        if kind is not None:
            self.kinds_left[(kind, s)] += 1
        for p in (r.a, r.b):
            del self.at[p, s]
            self.meets[p] -= 1

    def repair(self) -> None:
        """For each request left out (heaviest first): if one slot is blocked only by one meeting of one of its
        people, and that meeting can move to another slot, move it and place the request."""
        inst = self.inst
        left_out = sorted((n for n in inst.options if n not in self.chosen and inst.options[n]),
                          key=lambda n: (-inst.requests[n].weight, len(inst.options[n]), n))
        for n in left_out:
            r = inst.requests[n]
            if any(inst.cap[p] is not None and self.meets[p] >= inst.cap[p] for p in (r.a, r.b)):
                continue
            for s in inst.options[n]:
                if self.place(n, s):
                    break
                blockers = {self.at.get((p, s)) for p in (r.a, r.b)} - {None}
                if len(blockers) != 1:
                    continue
                (m,) = blockers
                if self.fits(n, s, ignore=m) is False:
                    continue
                moved = False
                self.remove(m)
                for t in inst.options[m]:
                    if t != s and self.fits(m, t) is not False:
                        self.place(m, t)
                        if self.place(n, s):
                            moved = True
                            break
                        self.remove(m)
                if moved:
                    break
                self.place(m, s)  # put it back where it was


def _sides(inst: _Instance, n: int) -> tuple[str, str]:
    r = inst.requests[n]
    return r.a, r.b


_FULL_MODEL_VARIABLES = 60_000  # above this, CP-SAT improves a neighbourhood of the rounded plan, not the whole


def _neighbourhood(form: _Formulation, plan: _Greedy, lp_x: dict) -> set[int]:
    """The requests where the rounding may have lost: those the LP left fractional or that the plan left out
    though the LP used them, and every request of their people; their x variables, and all the flows."""
    inst = form.inst
    unsure = {n for (n, s), v in form.x.items()
              if 1e-6 < lp_x.get(v, 0.0) < 1 - 1e-6 or (lp_x.get(v, 0.0) > 1e-6 and plan.chosen.get(n) != s)}
    people = {p for n in unsure for p in _sides(inst, n)}
    return {v for (n, s), v in form.x.items() if inst.requests[n].a in people or inst.requests[n].b in people} \
        | set(form.flow.values())


def _cp_sat(form: _Formulation, plan: _Greedy, bound_open: int, seconds: float, free: set[int] | None = None):
    """CP-SAT on the formulation, warm-started with the plan and told the bound: (chosen or None, its bound).
    With `free`, only those variables move and the rest keep the plan's values (a neighbourhood search: the
    bound it returns is then the LP's)."""
    from ortools.sat.python import cp_model

    inst = form.inst
    value = [0] * len(form.upper)  # the plan's values, the hint
    for (n, s), v in form.x.items():
        if plan.chosen.get(n) == s:
            value[v] = 1
    for n, s in plan.chosen.items():
        if n in plan.kind_of:
            value[form.flow[inst.requests[n].pair, plan.kind_of[n], s]] += 1
    model = cp_model.CpModel()
    moving = range(len(form.upper)) if free is None else sorted(free)
    variables = {v: model.NewBoolVar("") if form.upper[v] == 1 and form.weight[v] else
                 model.NewIntVar(0, form.upper[v], "") for v in moving}
    for vs, coefs, lower, upper in form.rows:
        terms = [(variables[v], c) for v, c in zip(vs, coefs) if v in variables]
        if not terms:
            continue
        constant = sum(c * value[v] for v, c in zip(vs, coefs) if v not in variables)
        if lower is None and upper - constant == 1 and len(terms) == len(vs) and all(c == 1 for _, c in terms) \
                and all(form.weight[v] for v in vs):
            model.AddAtMostOne(var for var, _ in terms)
        elif lower is None:
            model.Add(sum(c * var for var, c in terms) <= upper - constant)
        else:
            model.Add(sum(c * var for var, c in terms) == upper - constant)
    kept = sum(form.weight[v] * value[v] for v in range(len(form.upper)) if v not in variables)
    objective = sum(form.weight[v] * var for v, var in variables.items() if form.weight[v])
    model.Add(objective <= bound_open - kept)  # the LP's proven bound: CP-SAT stops as soon as it meets it
    model.Maximize(objective)
    for v, var in variables.items():
        model.AddHint(var, value[v])

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.max_deterministic_time = seconds / 3  # the usual stop: the same work, the same plan
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.linearization_level = 2
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, bound_open
    chosen = {n: s for (n, s), v in form.x.items() if (solver.Value(variables[v]) if v in variables else value[v])}
    if free is not None:
        return chosen, bound_open
    proven = bound_open if status != cp_model.OPTIMAL else int(round(solver.ObjectiveValue()))
    return chosen, min(bound_open, int(math.floor(solver.BestObjectiveBound() + 1e-6)), proven)


def _assign(requests, fixed, chosen, slots, table_slots, taken_tables, interp_slots, interp_langs, taken_interps):
    """Concrete tables and interpreters, slot by slot (the counts in the model guarantee both exist)."""
    meetings = [{"request": r.id, "slot": r.fixed["slot"], "table": r.fixed["table"],
                 "interpreter": r.fixed.get("interpreter")} for r in fixed]
    at = defaultdict(list)
    for n, s in chosen.items():
        at[s].append(n)
    for s in slots:
        if not at[s]:
            continue
        free_tables = [t for t, ok in table_slots.items() if s in ok and t not in taken_tables[s]]
        needing = [n for n in at[s] if requests[n].pair is not None]
        free_interps = [i for i in interp_langs if s in interp_slots[i] and i not in taken_interps[s]]
        match = _match(needing, free_interps,
                       lambda n, i: bool(interp_langs[i] & requests[n].pair[0]) and bool(interp_langs[i] & requests[n].pair[1]))
        for table, n in zip(free_tables, sorted(at[s])):
            meetings.append({"request": requests[n].id, "slot": s, "table": table, "interpreter": match.get(n)})
    order = {r.id: k for k, r in enumerate(requests)}
    meetings.sort(key=lambda m: order[m["request"]])
    return meetings


def _match(left: list, right: list, ok) -> dict:
    """A maximum bipartite matching (augmenting paths), left -> right."""
    owner: dict = {}

    def augment(n, seen) -> bool:
        for i in right:
            if i not in seen and ok(n, i):
                seen.add(i)
                if i not in owner or augment(owner[i], seen):
                    owner[i] = n
                    return True
        return False

    for n in left:
        if not augment(n, set()):
            raise RuntimeError("no interpreter for a chosen meeting")  # the model's flow makes this impossible
    return {n: i for i, n in owner.items()}


def _reason(r, people, free, slots, table_slots, interp_slots, interp_langs, met, taken, fixed_tables=None,
            fixed_interps=None) -> str:
    """Why a request is not in the plan, true for it: the first of the FORMAT.md reasons that holds.
    `met` and `taken`: each person's meetings in the plan, and their slots. `fixed_tables` / `fixed_interps`: per
    slot, the tables and interpreters fixed meetings hold (no plan can free them, so they count as not there)."""
    fixed_tables, fixed_interps = fixed_tables or {}, fixed_interps or {}
    common = [s for s in slots if s in free[r.a] and s in free[r.b]]
    if not common:
        return "no_common_slot"
    if all(s in taken[r.a] or s in taken[r.b] for s in common):
        return "participant_full"  # a side is busy in every slot the two share
    with_table = [s for s in common
                  if any(s in ok and t not in fixed_tables.get(s, ()) for t, ok in table_slots.items())]
    if not with_table:
        return "no_table"
    if r.pair is not None and not any(s in interp_slots[i] and i not in fixed_interps.get(s, ())
                                      and interp_langs[i] & r.pair[0] and interp_langs[i] & r.pair[1]
                                      for s in with_table for i in interp_langs):
        return "no_interpreter"
    for p in (r.a, r.b):
        cap = people[p].get("max_meetings")
        if cap is not None and met[p] >= cap:
            return "participant_full"
    return "not_selected"
