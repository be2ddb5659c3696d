"""Big B2B scheduling problems shaped like ../shared/b2b/samples/forum-450.json (issue 9, section 4).

`generate(participants=5000, requests=25000, slots=24, tables=250, interpreters=150, seed=1)` returns a problem
dict in the format of FORMAT.md ("forum-b2b-problem/1"), the same for the same arguments. The shape follows the
sample: about 40% of the people are Japanese (ja, some also en), the rest Central Asian (ru with kk, uz, ky, tk
or tg, some en); most requests pair a Japanese with a Central Asian delegate, so many need an interpreter; a few
people are very popular (a heavy tail of requests per person); about a quarter of the people are free all day
and the rest in 50-95% of the slots; caps of about 10 meetings per 16 slots; weights 1 (62%), 2 (23%), 3 (15%);
interpreters mostly ja-ru or en-ja-ru, a few ja-kk / ja-uz, a third of them for half the day; a few tables only
in some slots; about 4.5% of the requests are fixed meetings that keep every rule.

    python bench/b2b_generate.py [--participants 5000] [--requests 25000] [--slots 24] [--tables 250]
                                 [--interpreters 150] [--seed 1] --output problem.json
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys

JAPANESE = [(("ja",), 68), (("en", "ja"), 32)]
CENTRAL_ASIAN = [(("ru",), 22), (("kk", "ru"), 18), (("ru", "uz"), 17), (("ky", "ru"), 7), (("en", "kk", "ru"), 7),
                 (("ru", "tk"), 7), (("en", "ru"), 6), (("ru", "tg"), 5), (("en", "ru", "uz"), 5),
                 (("en", "ru", "tg"), 2), (("en", "ky", "ru"), 2), (("en", "ru", "tk"), 1)]
INTERPRETERS = [(("ja", "ru"), 20), (("en", "ja", "ru"), 14), (("ja", "kk"), 2), (("en", "ja", "uz"), 2),
                (("en", "ja", "kk"), 1), (("ja", "uz"), 1)]
WEIGHTS = [(1, 62), (2, 23), (3, 15)]


def _pick(rng: random.Random, table):
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def generate(participants: int = 5000, requests: int = 25000, slots: int = 24, tables: int = 250,
             interpreters: int = 150, seed: int = 1) -> dict:
    """A problem dict (FORMAT.md) shaped like forum-450.json; deterministic in its arguments."""
    rng = random.Random(seed)
    start = dt.datetime(2027, 5, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    slot_ids = [f"s{k:02d}" for k in range(slots)]
    slot_list = []
    for k, sid in enumerate(slot_ids):
        begin = start + dt.timedelta(minutes=25 * k + (60 if k >= slots // 2 else 0))  # a lunch break
        slot_list.append({"id": sid, "start": begin.isoformat(), "end": (begin + dt.timedelta(minutes=20)).isoformat()})
    half = slots // 2
    cap = max(1, round(slots * 10 / 16))

    people = []
    japanese = []
    others = []
    for k in range(participants):
        pid = f"p{k:05d}"
        is_jp = rng.random() < 0.4
        langs = list(_pick(rng, JAPANESE if is_jp else CENTRAL_ASIAN))
        if rng.random() < 0.27:
            available = None
        else:
            n = max(1, round(slots * rng.uniform(0.5, 0.95)))
            if rng.random() < 0.3:  # half a day only
                available = slot_ids[:half] if rng.random() < 0.5 else slot_ids[half:]
            else:
                available = sorted(rng.sample(slot_ids, n))
        people.append({"id": pid, "available": available, "max_meetings": cap, "languages": langs})
        (japanese if is_jp else others).append(k)

    # popularity: a heavy tail (a few people receive a large share of the requests)
    popularity = [rng.paretovariate(1.6) for _ in range(participants)]
    jp_weights = [popularity[k] for k in japanese]
    other_weights = [popularity[k] for k in others]
    everyone_weights = popularity
    pairs = set()
    request_list = []
    attempts = 0
    while len(request_list) < requests and attempts < requests * 20:
        attempts += 1
        if rng.random() < 0.85 and japanese and others:
            a = rng.choices(japanese, weights=jp_weights)[0]
            b = rng.choices(others, weights=other_weights)[0]
            if rng.random() < 0.5:
                a, b = b, a
        else:
            a, b = rng.choices(range(participants), weights=everyone_weights, k=2)
        key = (min(a, b), max(a, b))
        if a == b or key in pairs:
            continue
        pairs.add(key)
        request_list.append({"id": f"r{len(request_list):06d}", "participants": [people[a]["id"], people[b]["id"]],
                             "weight": _pick(rng, WEIGHTS), "fixed": None})

    table_list = []
    for k in range(tables):
        restricted = rng.random() < 0.05
        table_list.append({"id": f"T{k:03d}", "slots": sorted(rng.sample(slot_ids, max(1, half))) if restricted else None})
    interp_list = []
    for k in range(interpreters):
        r = rng.random()
        available = None if r < 0.65 else (slot_ids[:half] if r < 0.825 else slot_ids[half:])
        interp_list.append({"id": f"i{k:03d}", "languages": list(_pick(rng, INTERPRETERS)), "available": available})

    # fixed meetings (already confirmed): about 4.5% of the requests, placed so that every rule holds
    by_id = {p["id"]: p for p in people}
    free = {p["id"]: set(slot_ids if p["available"] is None else p["available"]) for p in people}
    busy = {p["id"]: set() for p in people}
    met = {p["id"]: 0 for p in people}
    table_busy = {t["id"]: set() for t in table_list}
    interp_busy = {i["id"]: set() for i in interp_list}
    for req in request_list:
        if rng.random() >= 0.045:
            continue
        a, b = req["participants"]
        if met[a] >= by_id[a]["max_meetings"] or met[b] >= by_id[b]["max_meetings"]:
            continue
        common = [s for s in slot_ids if s in free[a] and s in free[b] and s not in busy[a] and s not in busy[b]]
        rng.shuffle(common)
        la, lb = set(by_id[a]["languages"]), set(by_id[b]["languages"])
        for s in common:
            table = next((t["id"] for t in table_list if (t["slots"] is None or s in t["slots"])
                          and s not in table_busy[t["id"]]), None)
            if table is None:
                continue
            interp = None
            if not la & lb:
                interp = next((i["id"] for i in interp_list if set(i["languages"]) & la and set(i["languages"]) & lb
                               and (i["available"] is None or s in i["available"]) and s not in interp_busy[i["id"]]),
                              None)
                if interp is None:
                    continue
                interp_busy[interp].add(s)
            table_busy[table].add(s)
            for p in (a, b):
                busy[p].add(s)
                met[p] += 1
            req["fixed"] = {"slot": s, "table": table, "interpreter": interp}
            break
    return {"format": "forum-b2b-problem/1", "slots": slot_list, "tables": table_list, "participants": people,
            "interpreters": interp_list, "requests": request_list}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=25000)
    parser.add_argument("--slots", type=int, default=24)
    parser.add_argument("--tables", type=int, default=250)
    parser.add_argument("--interpreters", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", "-o", required=True)
    args = parser.parse_args(argv)
    problem = generate(args.participants, args.requests, args.slots, args.tables, args.interpreters, args.seed)
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(problem, f, ensure_ascii=False)
    print(f"{args.output}: {len(problem['participants'])} participants, {len(problem['requests'])} requests, "
          f"{sum(1 for r in problem['requests'] if r['fixed'])} fixed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
