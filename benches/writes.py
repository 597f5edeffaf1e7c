#!/usr/bin/env python3
"""Write load against a running finmatch seeded by `seed-demo` (issue 14, point 1).

    benches/writes.py BASE_URL[,BASE_URL...] MODE WORKERS SECONDS [PG_URL]

With several base URLs (instances on one database) the requests go to them in turn, one
request to the next instance, so every step of a lifecycle may land on another instance than
the step before it.

MODE `lifecycle`: each worker, as its own demo enterprise, posts a demand, applies to the best
eligible product its recommendations list, and that product's bank accepts, approves and
disburses: one full lifecycle. MODE `demands`: each worker only posts demands.
Prints one JSON line: completed units per second, per-step p50/p99 in ms, and, with PG_URL,
what the busy PostgreSQL backends waited on (sampled every 0.5 s with pg_stat_activity), the
largest share of them waiting on one lock target.
"""
import concurrent.futures as cf
import datetime
import json
import subprocess
import sys
import threading
import time
import urllib.request

BASES = sys.argv[1].split(",")
MODE, WORKERS, SECONDS = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
PG = sys.argv[5] if len(sys.argv) > 5 else None
PASSWORD = "demo-password"


turn = [0]
turn_lock = threading.Lock()


def next_base():
    with turn_lock:
        turn[0] += 1
        return BASES[turn[0] % len(BASES)]


def call(method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(next_base() + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


def login(user):
    return call("POST", "/api/v1/auth/login", body={"username": user, "password": PASSWORD})["access_token"]


banks = {}
for n in range(1, 9):
    try:
        t = login(f"demo_bank_{n}")
    except Exception:
        break
    banks[call("GET", "/api/v1/me", t)["organization"]["id"]] = t

steps = {}
lock = threading.Lock()
stop = time.monotonic() + SECONDS
today = datetime.date.today().isoformat()


def timed(name, f):
    t0 = time.perf_counter()
    out = f()
    with lock:
        steps.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
    return out


def worker(w):
    ent = login(f"demo_ent_{w + 1}")
    done = 0
    while time.monotonic() < stop:
        demand = {"amount": "1000000.00", "term_months": 12, "purpose": "working_capital",
                  "guarantee_methods": ["credit", "guarantee", "pledge", "mortgage"],
                  "description": "bench"}
        d = timed("post_demand", lambda: call("POST", "/api/v1/demands", ent, demand))
        if MODE == "demands":
            done += 1
            continue
        recs = timed("recommend", lambda: call("GET", f"/api/v1/demands/{d['id']}/recommendations?limit=5", ent))
        fit = [i for i in recs["items"] if i["eligible"] and i["bank_id"] in banks]
        if not fit:
            continue
        p = fit[0]
        bank = banks[p["bank_id"]]
        m = timed("apply", lambda: call("POST", "/api/v1/matches", ent, {"demand_id": d["id"], "product_id": p["product_id"]}))
        timed("accept", lambda: call("POST", f"/api/v1/matches/{m['id']}/accept", bank, {}))
        rate = p["min_rate"]
        timed("approve", lambda: call("POST", f"/api/v1/matches/{m['id']}/approve", bank,
                                      {"approved_amount": "1000000.00", "annual_rate": rate, "term_months": 12}))
        timed("disburse", lambda: call("POST", f"/api/v1/matches/{m['id']}/disbursements", bank,
                                       {"amount": "1000000.00", "annual_rate": rate, "term_months": 12,
                                        "disbursed_on": today, "first_loan": False}))
        done += 1
    return done


waits = []


def sample():
    q = ("select coalesce(wait_event_type,'cpu') || ':' || coalesce(wait_event,'-'), count(*) "
         "from pg_stat_activity where state = 'active' and backend_type = 'client backend' "
         "and pid <> pg_backend_pid() group by 1;"
         "select 'target', count(*) from pg_locks where not granted group by "
         "coalesce(relation::text,'') || ':' || coalesce(page::text,'') || ':' || coalesce(tuple::text,'') || ':' || coalesce(transactionid::text,'') "
         "order by 2 desc limit 1;")
    while time.monotonic() < stop:
        out = subprocess.run(["psql", "-qAtF", "\t", PG, "-c", q], capture_output=True, text=True).stdout
        row = {}
        for line in out.splitlines():
            k, v = line.split("\t")
            row[k] = int(v)
        waits.append(row)
        time.sleep(0.5)


sampler = threading.Thread(target=sample) if PG else None
if sampler:
    sampler.start()
t0 = time.monotonic()
with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
    total = sum(pool.map(worker, range(WORKERS)))
elapsed = time.monotonic() - t0
if sampler:
    sampler.join()


def pct(xs, p):
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * p))], 1) if xs else None


result = {"mode": MODE, "instances": len(BASES), "workers": WORKERS, "per_second": round(total / elapsed, 1),
          "steps": {k: {"p50": pct(v, 0.5), "p99": pct(v, 0.99), "n": len(v)} for k, v in steps.items()}}
if waits:
    busy = [sum(v for k, v in w.items() if k != "target") for w in waits]
    result["pg_active_backends_mean"] = round(sum(busy) / len(busy), 2)
    shares = [w.get("target", 0) / b for w, b in zip(waits, busy) if b]
    result["pg_share_waiting_on_one_target"] = {
        "mean": round(sum(shares) / len(shares), 2) if shares else 0,
        "max": round(max(shares, default=0), 2)}
    merged = {}
    for w in waits:
        for k, v in w.items():
            if k != "target":
                merged[k] = merged.get(k, 0) + v
    result["pg_wait_events_mean"] = {k: round(v / len(waits), 2) for k, v in sorted(merged.items(), key=lambda kv: -kv[1])[:6]}
print(json.dumps(result))
