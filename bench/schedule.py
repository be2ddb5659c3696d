"""The B2B scheduler's figures (issue 9, section 4): objective, proven bound, gap, seconds, peak memory, and
whether the shared checker accepts the plan.

Problems: the two shared samples (tests/meetings/samples = ../shared/b2b/samples: small.json, proven optimum 72;
forum-450.json, proven optimum 1402) and a generated one, gen-5k: 5,000 participants, 25,000 requests, 24 slots,
250 tables, 150 interpreters (bench/b2b_generate.py, seed 1). Goals: forum-450 at 1402 in under 10 s; gen-5k
within 2% of its own bound in under 120 s.

Each run is a fresh process (spawned), so its peak resident memory (ru_maxrss) is that solve's: the problem as
Python objects, the model, the LP and CP-SAT. The plan is written to a file and checked by running
tests/meetings/samples/check_plan.py (a copy of ../shared/b2b/check_plan.py) on it as a subprocess. The plan's
fingerprint shows determinism across runs. No timing asserts: figures only (the machine is shared).
Run:
    .venv/bin/python bench/schedule.py [--only forum-450] [--runs 3] [--time-limit 60]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SAMPLES = os.path.join(ROOT, "tests", "meetings", "samples")
CHECKER = os.path.join(SAMPLES, "check_plan.py")
PROBLEMS = {"small": "small.json", "forum-450": "forum-450.json", "gen-5k": None}


def _problem_file(name: str, workdir: str) -> str:
    if PROBLEMS[name]:
        return os.path.join(SAMPLES, PROBLEMS[name])
    path = os.path.join(workdir, "gen-5k.json")
    if not os.path.exists(path):
        from bench.b2b_generate import generate

        with open(path, "w", encoding="utf-8") as f:
            json.dump(generate(participants=5000, requests=25000, slots=24, tables=250, interpreters=150, seed=1), f)
    return path


def _run(problem_path: str, plan_path: str, time_limit: float, queue) -> None:
    from forum.meetings import solver

    with open(problem_path, encoding="utf-8") as f:
        problem = json.load(f)
    stats: dict = {}
    t0 = time.perf_counter()
    plan = solver.solve(problem, time_limit=time_limit, stats=stats)
    wall = time.perf_counter() - t0
    with open(plan_path, "w", encoding="utf-8") as f:
        json.dump(plan, f)
    fingerprint = hashlib.sha256(json.dumps([plan["meetings"], plan["unscheduled"]]).encode()).hexdigest()[:12]
    queue.put({"objective": plan["objective"], "bound": plan["bound"], "seconds": wall,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "stats": stats,
               "fingerprint": fingerprint, "requests": len(problem["requests"]), "meetings": len(plan["meetings"])})


def measure(name: str, workdir: str, time_limit: float) -> dict:
    problem_path = _problem_file(name, workdir)
    plan_path = os.path.join(workdir, f"{name}.plan.json")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(problem_path, plan_path, time_limit, queue))
    proc.start()
    result = queue.get()
    proc.join()
    check = subprocess.run([sys.executable, CHECKER, problem_path, plan_path], capture_output=True, text=True)
    result["check"] = check.stdout.strip() if check.returncode == 0 else f"REFUSED: {check.stdout.strip()}"
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description="B2B scheduler figures")
    ap.add_argument("--only", choices=sorted(PROBLEMS))
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=60.0, help="the solver's time limit (seconds)")
    args = ap.parse_args()
    names = [args.only] if args.only else list(PROBLEMS)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f}; time limit {args.time_limit:g} s; {args.runs} run(s) each")
    print(f"{'problem':<10}{'run':>4}{'objective':>10}{'bound':>8}{'gap %':>7}{'seconds':>9}{'peak MB':>9}"
          f"  {'plan':<13}checker")
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            seconds = []
            for run in range(1, args.runs + 1):
                r = measure(name, workdir, args.time_limit)
                gap = (r["bound"] - r["objective"]) / r["bound"] * 100 if r["bound"] else 0.0
                seconds.append(r["seconds"])
                print(f"{name:<10}{run:>4}{r['objective']:>10}{r['bound']:>8}{gap:>7.2f}{r['seconds']:>9.2f}"
                      f"{r['rss_mb']:>9.0f}  {r['fingerprint']:<13}{r['check']}", flush=True)
                s = r["stats"]
                print(f"{'':<14}steps: model {s.get('variables')} vars/{s.get('rows')} rows {s.get('model_seconds')} s;"
                      f" LP bound {s.get('lp_bound')} at {s.get('lp_seconds')} s; rounded {s.get('rounded')} at"
                      f" {s.get('rounded_seconds')} s" + (f"; CP-SAT {s['cp_sat']} at {s['cp_sat_seconds']} s"
                                                            + (f" (neighbourhood {s['neighbourhood']} vars)"
                                                               if 'neighbourhood' in s else "")
                                                            if 'cp_sat' in s else ""), flush=True)
            if len(seconds) > 1:
                print(f"{name:<14}seconds min {min(seconds):.2f}  max {max(seconds):.2f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
