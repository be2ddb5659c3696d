"""The B2B meeting scheduler (issue 9, section 4). Pure: no Flask, no database.

Reads a problem in the format of ../shared/b2b/FORMAT.md ("forum-b2b-problem/1") and returns a plan
("forum-b2b-plan/1") that maximises the total weight of scheduled requests, with a proven bound.

The formulation (OR-Tools CP-SAT):
- x[r, s] = 1 when request r meets in slot s; only for slots both sides are free in, where a table can be used
  and, when the two share no language, some interpreter who speaks a language of each is free.
- Each request at most once; each person at most once per slot and at most max_meetings in all.
- Tables are interchangeable: per slot, the meetings are at most the usable tables (counted, not named).
- Interpreters are interchangeable within a "kind" (the same set of languages): per slot, the meetings that
  need an interpreter are sent along an integer flow from their language pair to the kinds that can serve
  them, at most the kind's free interpreters. An integral flow is a matching, so concrete interpreters (and
  tables) are assigned afterwards, slot by slot, without ever failing.
- Fixed meetings are placed first: their slot, table and interpreter are taken out of what the rest may use.
Deterministic: one search worker and a fixed seed, and every list is built in the problem's order.
"""
from __future__ import annotations

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


def solve(problem: dict, *, time_limit: float = 60.0) -> dict:
    """The plan for this problem (see the module's docstring)."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    slots, people, tables, interpreters, requests = _read(problem)
    free = {pid: _available(p, "available", slots) for pid, p in people.items()}
    table_slots = {t["id"]: _available(t, "slots", slots) for t in tables}
    interp_slots = {i["id"]: _available(i, "available", slots) for i in interpreters}
    interp_langs = {i["id"]: frozenset(i["languages"]) for i in interpreters}

    # --- fixed meetings first: they take their person-slots, tables and interpreters ----------------------------
    fixed = [r for r in requests if r.fixed]
    taken_tables: dict[str, set[str]] = defaultdict(set)
    taken_interps: dict[str, set[str]] = defaultdict(set)
    busy: dict[str, set[str]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    for r in fixed:
        s, t, i = r.fixed["slot"], r.fixed["table"], r.fixed.get("interpreter")
        taken_tables[s].add(t)
        if i is not None:
            taken_interps[s].add(i)
        for p in (r.a, r.b):
            busy[p].add(s)
            count[p] += 1

    def cap_left(p: str) -> int | None:
        cap = people[p].get("max_meetings")
        return None if cap is None else cap - count[p]

    tables_at = {s: sum(1 for t, ok in table_slots.items() if s in ok and t not in taken_tables[s]) for s in slots}
    kinds = sorted({langs for langs in interp_langs.values()}, key=lambda k: sorted(k))
    kind_free = {(k, s): sum(1 for i, langs in interp_langs.items()
                             if langs == k and s in interp_slots[i] and i not in taken_interps[s])
                 for k in kinds for s in slots}

    def serves(kind: frozenset, pair) -> bool:
        return bool(kind & pair[0]) and bool(kind & pair[1])

    # --- the model ----------------------------------------------------------------------------------------------
    model = cp_model.CpModel()
    x: dict[tuple[int, str], object] = {}
    options: dict[int, list[str]] = {}
    open_requests = [(n, r) for n, r in enumerate(requests) if not r.fixed]
    for n, r in open_requests:
        if cap_left(r.a) == 0 or cap_left(r.b) == 0:
            options[n] = []
            continue
        common = [s for s in slots if s in free[r.a] and s in free[r.b] and s not in busy[r.a] and s not in busy[r.b]
                  and tables_at[s] > 0
                  and (r.pair is None or any(kind_free[(k, s)] and serves(k, r.pair) for k in kinds))]
        options[n] = common
        for s in common:
            x[n, s] = model.NewBoolVar(f"x{n}_{s}")
    by_request = defaultdict(list)
    by_person_slot = defaultdict(list)
    by_person = defaultdict(list)
    by_slot = defaultdict(list)
    by_pair_slot = defaultdict(list)
    for (n, s), var in x.items():
        r = requests[n]
        by_request[n].append(var)
        for p in (r.a, r.b):
            by_person_slot[p, s].append(var)
            by_person[p].append(var)
        by_slot[s].append(var)
        if r.pair is not None:
            by_pair_slot[r.pair, s].append(var)
    for vars_ in by_request.values():
        if len(vars_) > 1:
            model.AddAtMostOne(vars_)
    for vars_ in by_person_slot.values():
        if len(vars_) > 1:
            model.AddAtMostOne(vars_)
    for p, vars_ in by_person.items():
        cap = cap_left(p)
        if cap is not None and len(vars_) > cap:
            model.Add(sum(vars_) <= cap)
    for s, vars_ in by_slot.items():
        if len(vars_) > tables_at[s]:
            model.Add(sum(vars_) <= tables_at[s])
    # interpreters: a flow from each language pair to the kinds of interpreter that serve it, per slot
    flow: dict[tuple, object] = {}
    pairs_at = defaultdict(list)
    for (pair, s), vars_ in by_pair_slot.items():
        able = [k for k in kinds if kind_free[(k, s)] and serves(k, pair)]
        edges = []
        for k in able:
            f = model.NewIntVar(0, min(len(vars_), kind_free[(k, s)]), f"f{len(flow)}")
            flow[pair, k, s] = f
            edges.append(f)
        model.Add(sum(edges) == sum(vars_))
        pairs_at[s].append(pair)
    for k in kinds:
        for s in slots:
            into = [flow[pair, k, s] for pair in pairs_at[s] if (pair, k, s) in flow]
            if len(into) > 1:
                model.Add(sum(into) <= kind_free[(k, s)])
    model.Maximize(sum(requests[n].weight * var for (n, s), var in x.items()))

    # a warm start, and the fallback when the time runs out first: a greedy plan that keeps every rule
    greedy, greedy_flow = _greedy(requests, options, tables_at, kind_free, kinds, serves, cap_left)
    for (n, s), value in greedy.items():
        model.AddHint(x[n, s], value)
    for key, var in flow.items():  # a complete hint: the interpreters' flow of the greedy plan too
        model.AddHint(var, greedy_flow.get(key, 0))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.perf_counter() - started))
    solver.parameters.num_workers = 1  # one worker: the same problem gives the same plan
    solver.parameters.linearization_level = 2  # the LP relaxation with cuts: the bound that proves the optimum
    solver.parameters.random_seed = 0
    status = solver.Solve(model)
    fixed_weight = sum(r.weight for r in fixed)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = {n: s for (n, s), var in x.items() if solver.Value(var)}
        proven = solver.BestObjectiveBound()
    else:  # no solution within the time: the greedy plan, and the trivial bound unless the search proved one
        chosen = {n: s for (n, s), value in greedy.items() if value}
        proven = solver.BestObjectiveBound() if status != cp_model.UNKNOWN else sum(r.weight for r in requests)
    objective = fixed_weight + sum(requests[n].weight for n in chosen)
    bound = objective if status == cp_model.OPTIMAL else fixed_weight + int(proven + 1e-6)

    by_id = {r.id: r for r in requests}
    meetings = _assign(requests, fixed, chosen, slots, table_slots, taken_tables, interp_slots, interp_langs,
                       taken_interps)
    met: dict[str, int] = defaultdict(int)
    taken: dict[str, set[str]] = defaultdict(set)
    for m in meetings:
        req = by_id[m["request"]]
        for p in (req.a, req.b):
            met[p] += 1
            taken[p].add(m["slot"])
    unscheduled = [{"request": r.id, "reason": _reason(r, people, free, slots, table_slots, interp_slots,
                                                      interp_langs, met, taken)}
                   for n, r in enumerate(requests) if not r.fixed and n not in chosen]
    return {"format": PLAN_FORMAT, "meetings": meetings, "unscheduled": unscheduled, "objective": objective,
            "bound": max(bound, objective), "solve_seconds": round(time.perf_counter() - started, 3)}


def _greedy(requests, options, tables_at, kind_free, kinds, serves, cap_left) -> dict:
    hint = {}
    used = defaultdict(int)  # (pair, kind, slot) -> meetings the greedy plan sends to that kind
    tables = dict(tables_at)
    kinds_left = dict(kind_free)
    busy = defaultdict(set)
    meets = defaultdict(int)
    for n in sorted(options, key=lambda n: (-requests[n].weight, len(options[n]), n)):
        r = requests[n]
        placed = None
        for s in options[n]:
            if placed is None and tables[s] > 0 and s not in busy[r.a] and s not in busy[r.b] and all(
                    cap_left(p) is None or meets[p] < cap_left(p) for p in (r.a, r.b)):
                kind = None
                if r.pair is not None:
                    kind = next((k for k in kinds if kinds_left[(k, s)] and serves(k, r.pair)), None)
                    if kind is None:
                        continue
                    kinds_left[(kind, s)] -= 1
                    used[r.pair, kind, s] += 1
                tables[s] -= 1
                busy[r.a].add(s)
                busy[r.b].add(s)
                meets[r.a] += 1
                meets[r.b] += 1
                placed = s
        for s in options[n]:
            hint[n, s] = 1 if s == placed else 0
    return hint, used


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


def _reason(r, people, free, slots, table_slots, interp_slots, interp_langs, met, taken) -> str:
    """Why a request is not in the plan, true for it: the first of the FORMAT.md reasons that holds.
    `met` and `taken`: each person's meetings in the plan, and their slots."""
    common = [s for s in slots if s in free[r.a] and s in free[r.b]]
    if not common:
        return "no_common_slot"
    with_table = [s for s in common if any(s in ok for ok in table_slots.values())]
    if not with_table:
        return "no_table"
    if r.pair is not None and not any(s in interp_slots[i] and interp_langs[i] & r.pair[0] and interp_langs[i] & r.pair[1]
                                      for s in with_table for i in interp_langs):
        return "no_interpreter"
    for p in (r.a, r.b):
        cap = people[p].get("max_meetings")
        if cap is not None and met[p] >= cap:
            return "participant_full"
    if all(s in taken[r.a] or s in taken[r.b] for s in common):
        return "participant_full"
    return "not_selected"
