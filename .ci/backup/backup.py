"""Backup test: a backup taken while finmatch serves and writes restores into a database that has
every write acknowledged before the backup began, is whole, and whose reports equal a rebuild.

    python3 backup.py BINARY DATABASE_URL PORT WORKDIR

run.sh prepares WORKDIR, the database (a fresh SQLite path, or an emptied PostgreSQL schema)
and, for PostgreSQL, an empty scratch database named by FM_BACKUP_PG_SCRATCH; see run.sh for the
steps. The world, the write load, the journal and the checks are the crash test's
(.ci/crash/crash.py, imported).

The snapshot check. The acknowledgements are numbered as they arrive; the backup starts after
number n0. Replaying acknowledgements 1..n0 gives the state every demand, match and loan had
when the backup began; the restored copy must hold each of them in that state or in a state a
later acknowledged write gave it (the backup is a snapshot taken at some moment after n0):
  - every demand acknowledged before the backup, with its amount then or a later patched one;
  - every match acknowledged before it, in its state then or a later acknowledged one, with the
    approved amount then or a later one, on its demand and product;
  - every loan acknowledged before it, with its amount, match and demand.
Then the crash test's consistency check on the restored copy: nothing there that no write
(before or after n0) acknowledged, nothing twice, multi-row writes whole (a match's
disbursed_amount is the sum of its loans, a demand's status follows its matches), the admin's
overview equal to the fact lists; a new write succeeds on the copy (sequences restored); and
every report equals a `rebuild-stats` of the copy.

SQLite: the backup is `BINARY backup FILE` (DATABASE_URL in its environment, like the other
commands); FILE must be a whole database by itself (`PRAGMA integrity_check` ok, opened
immutable, no FILE-wal beside it); `BINARY restore FILE` against the served database must fail
(non-zero exit) saying `in use`, and leave the served database serving and writing; the copy is
made by `BINARY restore FILE` with DATABASE_URL=sqlite://NEW (NEW not existing yet).
PostgreSQL: the backup is `pg_dump -Fc -n SCHEMA`, restored with `pg_restore` into the scratch
database, served with the same search_path.

Knobs (environment): FM_BACKUP_THREADS (6), FM_BACKUP_SEED (random), FM_BACKUP_WARM (4 s of
load before the backup), FM_BACKUP_AFTER (1 s of load after it).
Only the standard library (and pg_dump / pg_restore for PostgreSQL); only 127.0.0.1.
"""

from __future__ import annotations

import concurrent.futures
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crash"))
import crash  # noqa: E402  (the crash test's world, load, journal and checks)
from crash import log  # noqa: E402

crash.NAME = "backup"
TRANSITIONS = {"accept": "accepted", "approve": "approved", "reject": "rejected",
               "withdraw": "withdrawn"}


def one_line(out: str) -> str:
    return " | ".join(line.strip() for line in out.splitlines() if line.strip())[:400]


def run(cmd: list[str], env: dict | None = None, timeout: float = 300) -> tuple[int, str, float]:
    started = time.monotonic()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).strip(), time.monotonic() - started


# --------------------------------------------------------------------------- the snapshot


def snapshot(acks: list[dict], n0: int) -> dict:
    """What acknowledgements 1..n0 made, and what the later ones may have changed."""
    demands: dict[int, set[str]] = {}
    matches: dict[int, dict] = {}
    loans: dict[int, tuple[int, str]] = {}
    for a in acks[:n0]:
        kind, oid = a["kind"], a["id"]
        if kind in ("demand", "demand_amount"):
            demands[oid] = {a["amount"]}
        elif kind == "match":
            matches[oid] = {"states": {"applied"}, "approved": {None},
                            "demand_id": a["demand_id"], "product_id": a.get("product_id")}
        elif kind in TRANSITIONS:
            m = matches[oid]
            m["states"] = {a["state"]}
            if kind == "approve":
                m["approved"] = {a["approved_amount"]}
        elif kind == "disbursement":
            loans[oid] = (a["match_id"], a["amount"])
            matches[a["match_id"]]["states"] = {"disbursed"}
    for a in acks[n0:]:  # what the copy may also show
        kind, oid = a["kind"], a["id"]
        if kind == "demand_amount" and oid in demands:
            demands[oid].add(a["amount"])
        elif kind in TRANSITIONS and oid in matches:
            matches[oid]["states"].add(a["state"])
            if kind == "approve":
                matches[oid]["approved"].add(a["approved_amount"])
        elif kind == "disbursement" and a["match_id"] in matches:
            matches[a["match_id"]]["states"].add("disbursed")
    return {"demands": demands, "matches": matches, "loans": loans}


def check_snapshot(api: crash.Api, world: dict, snap: dict, failures: crash.Failures) -> int:
    """Every write acknowledged before the backup is in the copy; returns how many are lost."""
    admin = world["admin"]
    lost = 0

    def missing(msg: str) -> None:
        nonlocal lost
        lost += 1
        failures.add("LOST " + msg)

    def get(path: str) -> tuple[int, object]:
        status, body, _ = api.call("GET", path, admin)
        return status, body

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        d_ids, m_ids, l_ids = list(snap["demands"]), list(snap["matches"]), list(snap["loans"])
        d_got = list(pool.map(lambda i: get(f"/demands/{i}"), d_ids))
        m_got = list(pool.map(lambda i: get(f"/matches/{i}"), m_ids))
        l_got = list(pool.map(lambda i: get(f"/loans/{i}"), l_ids))
    for i, (status, b) in zip(d_ids, d_got):
        if status != 200:
            missing(f"demand {i} (acknowledged before the backup): GET -> {status} {b}")
        elif b["amount"] not in snap["demands"][i]:
            missing(f"demand {i}: amount {b['amount']}, acknowledged {sorted(snap['demands'][i])}")
    for i, (status, b) in zip(m_ids, m_got):
        want = snap["matches"][i]
        if status != 200:
            missing(f"match {i} (acknowledged before the backup): GET -> {status} {b}")
            continue
        if b["state"] not in want["states"]:
            missing(f"match {i}: state {b['state']}, acknowledged {sorted(want['states'])}")
        if b.get("approved_amount") not in want["approved"]:
            missing(f"match {i}: approved_amount {b.get('approved_amount')}, acknowledged "
                    f"{sorted(map(str, want['approved']))}")
        if b["demand_id"] != want["demand_id"] or (want["product_id"] is not None
                                                   and b["product_id"] != want["product_id"]):
            missing(f"match {i}: demand/product {b['demand_id']}/{b['product_id']}, "
                    f"acknowledged {want['demand_id']}/{want['product_id']}")
    for i, (status, b) in zip(l_ids, l_got):
        match_id, amount = snap["loans"][i]
        if status != 200:
            missing(f"loan {i} (acknowledged before the backup): GET -> {status} {b}")
        elif b["amount"] != amount or b["match_id"] != match_id:
            missing(f"loan {i}: amount {b['amount']} match {b['match_id']}, acknowledged "
                    f"{amount} match {match_id}")
    return lost


def check_backup_file(path: str, failures: crash.Failures) -> str:
    """A SQLite backup is one whole file: integrity ok opened immutable, no -wal beside it."""
    for side in ("-wal", "-journal"):
        if os.path.exists(path + side) and os.path.getsize(path + side) > 0:
            failures.add(f"G: the backup {path} has a {side} file beside it: it is not one "
                         f"self-contained database")
    try:
        con = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro&immutable=1", uri=True)
        try:
            result = [r[0] for r in con.execute("PRAGMA integrity_check")]
            tables = con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                 ).fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as e:
        failures.add(f"G: the backup {path} is not a SQLite database: {e}")
        return "unreadable"
    if result != ["ok"]:
        failures.add(f"G: PRAGMA integrity_check of the backup: {'; '.join(map(str, result[:5]))}")
    return f"integrity_check {result[0]}, {tables} tables, {os.path.getsize(path)} bytes"


# --------------------------------------------------------------------------- main


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    binary, db_url, port, workdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    threads = int(os.environ.get("FM_BACKUP_THREADS", "6"))
    seed = int(os.environ.get("FM_BACKUP_SEED") or random.randrange(1, 10**6))
    warm = float(os.environ.get("FM_BACKUP_WARM", "4"))
    after = float(os.environ.get("FM_BACKUP_AFTER", "1"))
    sqlite = db_url.startswith("sqlite:")
    scratch = os.environ.get("FM_BACKUP_PG_SCRATCH", "")
    if not sqlite and not scratch:
        print("backup: FM_BACKUP_PG_SCRATCH (an empty database to restore into) is not set",
              file=sys.stderr)
        return 2
    rng = random.Random(seed)
    log(f"seed {seed} (FM_BACKUP_SEED={seed}), {threads} threads")

    failures = crash.Failures()
    server = crash.Server(binary, db_url, port, workdir)
    server.env.update(FINMATCH_RATE_LIMIT="0", FINMATCH_RATE_LIMIT_ANON="0")  # a load test
    api = crash.Api(server, failures)
    journal = crash.Journal(os.path.join(workdir, "journal.jsonl"))
    load: crash.Load | None = None
    started_all = time.monotonic()
    try:
        took = server.start()
        log(f"finmatch ready in {took:.1f}s; building the world")
        world = crash.build_world(api, rng, threads)
        load = crash.Load(api, journal, world, seed, failures)
        workers = [threading.Thread(target=load.run, args=(i,), daemon=True, name=f"load-{i}")
                   for i in range(threads)]
        for t in workers:
            t.start()
        time.sleep(warm)

        # The backup, under load.
        n0 = len(journal.ack_list)
        if sqlite:
            backup_file = os.path.join(workdir, "finmatch-backup.db")
            cmd = [binary, "backup", backup_file]
            env = server.env
        else:
            backup_file = os.path.join(workdir, "finmatch.dump")
            u = urllib.parse.urlsplit(db_url)
            found = re.search(r"csearch_path%3[Dd]([A-Za-z0-9_]+)", u.query)
            assert found, "run.sh always names the schema"
            schema = found.group(1)
            base = urllib.parse.urlunsplit((u.scheme, u.netloc, u.path, "", ""))
            cmd = ["pg_dump", "-Fc", "-n", schema, "-f", backup_file, base]
            env = None
        code, out, backup_secs = run(cmd, env)
        n1 = len(journal.ack_list)
        log(f"`{' '.join(os.path.basename(c) if c == binary else c for c in cmd)}` took "
            f"{backup_secs:.1f}s under load: exit {code}; {n0} writes acknowledged before it, "
            f"{n1 - n0} while it ran" + (f"; it said: {one_line(out)}" if out else ""))
        if code != 0 or not os.path.exists(backup_file) or os.path.getsize(backup_file) == 0:
            failures.add(f"G: {' '.join(cmd)} failed (exit {code}): {one_line(out)}")
            raise SystemExit(1)

        if sqlite:
            log(f"the backup file: {check_backup_file(backup_file, failures)}")
            # A restore over the database being served must refuse.
            code, out, _ = run([binary, "restore", backup_file], server.env)
            if code == 0:
                failures.add("G: `finmatch restore` over the database a finmatch serves "
                             "succeeded (it must refuse while the database is in use)")
            elif not re.search(r"in use", out, re.I):
                failures.add(f"G: `finmatch restore` over the served database failed (exit "
                             f"{code}) without saying 'in use': {one_line(out)}")
            else:
                said = next(line for line in out.splitlines() if re.search(r"in use", line, re.I))
                log(f"`finmatch restore` over the served database refused (exit {code}): "
                    f"{said.strip()[:200]}")
            before = journal.acks
            time.sleep(after)
            status, _, _ = api.call("GET", "/demands?limit=1", world["admin"])
            if journal.acks == before or status != 200:
                failures.add(f"G: the served database stopped working after the refused "
                             f"restore ({journal.acks - before} writes acknowledged in "
                             f"{after:g}s, GET /demands -> {status})")
        else:
            time.sleep(after)

        load.stop.set()
        for t in workers:
            t.join(timeout=60)
            if t.is_alive():
                failures.add(f"{t.name} still running 60 s after the load stopped")
        server.stop()
        log(f"load stopped: {journal.attempts} writes sent, {journal.acks} acknowledged, "
            f"{journal.unacked} without an answer; " +
            ", ".join(f"{k} {v}" for k, v in sorted(journal.by_kind.items())))

        # Restore into a fresh database and serve it.
        if sqlite:
            restored_path = os.path.join(workdir, "restored", "finmatch.db")
            os.makedirs(os.path.dirname(restored_path), exist_ok=True)
            restored_url = f"sqlite://{restored_path}"
            env = dict(server.env, DATABASE_URL=restored_url)
            code, out, secs = run([binary, "restore", backup_file], env)
            what = "finmatch restore"
            if code == 0 and not os.path.exists(restored_path):
                failures.add(f"G: `finmatch restore` exited 0 but {restored_path} does not exist")
                raise SystemExit(1)
        else:
            u = urllib.parse.urlsplit(db_url)
            scratch_base = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + scratch, "", ""))
            restored_url = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + scratch, u.query,
                                                    ""))
            code, out, secs = run(["pg_restore", "--exit-on-error", "--no-owner", "-d",
                                   scratch_base, backup_file])
            what = "pg_restore"
        if code != 0:
            failures.add(f"G: {what} into a fresh database failed (exit {code}): {one_line(out)}")
            raise SystemExit(1)
        log(f"{what} into a fresh database took {secs:.1f}s")
        server = crash.Server(binary, restored_url, port, workdir)
        server.env.update(FINMATCH_RATE_LIMIT="0", FINMATCH_RATE_LIMIT_ANON="0")
        api.server = server
        took = server.start()
        log(f"finmatch serves the restored copy (ready in {took:.1f}s)")

        snap = snapshot(journal.ack_list, n0)
        lost = check_snapshot(api, world, snap, failures)
        log(f"checked the {len(snap['demands'])} demands, {len(snap['matches'])} matches and "
            f"{len(snap['loans'])} loans acknowledged before the backup: {lost} lost")

        # A write on the copy (its sequences came along), then the whole copy's consistency.
        ent = world["enterprises"][0]
        status, body, _ = api.call("POST", "/demands", ent.token, {
            "amount": "1234567.89", "term_months": 12, "purpose": "working_capital",
            "guarantee_methods": ["credit"], "description": "backup test: after the restore"})
        if status != 201:
            failures.add(f"G: a new demand on the restored copy -> {status} {body}")
        else:
            ent.demands.append(crash.Demand(body["id"], body["amount"], ent))
        counts: dict = {"demands": 0, "matches": 0, "loans": 0, "lost": 0}
        crash.check_consistent(api, world, failures, counts)
        acked = sum(len(e.demands) for e in world["enterprises"])
        log(f"the copy holds {counts['server_demands']} demands, {counts['server_matches']} "
            f"matches, {counts['server_loans']} loans (of {acked} demands acknowledged in all)")
        crash.compare_with_rebuild(api, world, server, failures)

        print(f"backup test: {n0} writes acknowledged before the backup ({journal.acks} in all), "
              f"backup took {backup_secs:.1f}s under load, {lost} lost from the restored copy; "
              f"took {time.monotonic() - started_all:.0f}s", flush=True)
        if failures.items:
            print(f"backup test FAILED: {len(failures.items)} problems (first ones above)",
                  file=sys.stderr)
            return 1
        return 0
    except SystemExit as e:
        if e.code == 1 and failures.items:
            print(f"backup test FAILED: {len(failures.items)} problems (first ones above)",
                  file=sys.stderr)
            return 1
        raise
    finally:
        if load is not None:
            load.stop.set()
        if server.proc is not None:
            server.kill9()  # (marked killed: the load threads still waiting do not complain)


if __name__ == "__main__":
    sys.exit(main())
