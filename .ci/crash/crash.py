"""Crash test: acknowledged writes survive `kill -9`, and the rollups still equal a rebuild.

    python3 crash.py BINARY DATABASE_URL PORT WORKDIR

run.sh prepares WORKDIR (a fresh data dir) and the database (a fresh SQLite file or an emptied
PostgreSQL schema) and calls this; see run.sh for the steps. This process owns the finmatch
server: it starts it, kills it with SIGKILL under write load, restarts it on the same database,
stops it with SIGTERM for `rebuild-stats`, and stops it on exit. The server's pid is kept in
WORKDIR/server.pid so that run.sh's trap can kill it too.

Bookkeeping. Every write is journalled (WORKDIR/journal.jsonl) as an `attempt` before it is sent
and as an `ack` when it answered 2xx; a write that got no answer (the server died) is
`unacked`: it may or may not have committed. Each load thread owns one enterprise and its
demands, so nobody else moves them: after an unacknowledged write the thread abandons that
demand (and its matches and loans), whose final state must then be either the acknowledged one
or the one the unacknowledged write would have made. The checks after the last restart:
  - every acknowledged demand exists with its amount, every acknowledged match exists in its
    acknowledged state (or the unacknowledged next one) with its approved amount, every
    acknowledged loan exists (GET /loans/{id}) with its amount, match and demand;
  - nothing was created twice or out of nowhere: a demand, match or loan the server has that
    no acknowledgement names is allowed only up to the number of unacknowledged creates of it;
  - multi-row writes are whole: a match's disbursed_amount is the sum of its loans and within
    its approval, a demand with a loan is fulfilled, with a live match in_progress, else open;
  - the admin's overview counts equal the fact lists (demands, matches by state, loans);
  - every report (overview, banks, breakdown by each dimension; all time, today, this month; as
    the admin and as the finance office) is identical before and after `rebuild-stats`.
A 5xx answer, or any other unexpected answer, fails the test too.

Knobs (environment): FM_CRASH_CRASHES (3), FM_CRASH_THREADS (8), FM_CRASH_SEED (random),
FM_CRASH_MIN_UP / FM_CRASH_MAX_UP (seconds of load before each kill, 2.5 / 5),
FM_CRASH_TAIL (seconds of load after the last restart, 2). A create left unanswered by a crash
is retried with its Idempotency-Key: it must replay (it committed) or create (it did not), never
answer 409 idempotency_key_in_progress (the key is stored in the create's own transaction).
Only the standard library; only 127.0.0.1.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

ADMIN_PASSWORD = "crash-admin-password"
PASSWORD = "crash-user-password"
# Fixed, so that the tokens issued before a crash are still valid after it.
JWT_SECRET = "ci-crash-jwt-secret-0123456789abcdef0123456789"
TODAY = dt.datetime.now(dt.timezone.utc).date()  # the server's today (UTC)
MONTH_START = TODAY.replace(day=1)
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LIVE = ("applied", "accepted", "approved")
BREAKDOWNS = ("bank", "product_type", "region", "qualification", "size_class", "month", "quarter")
# The prefix of messages; the tests that import this module (.ci/outage, .ci/backup) set theirs.
NAME = "crash"


def log(msg: str) -> None:
    print(f"   {NAME}: {msg}", flush=True)


def credit_code(region: str, rng: random.Random) -> str:
    """A checksum-valid 统一社会信用代码 (GB 32100-2015) of an enterprise in `region`."""
    body = "91" + region + "".join(rng.choice(CHARSET) for _ in range(9))
    total = sum(CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    check = 31 - total % 31
    return body + CHARSET[0 if check == 31 else check]


def money(d: Decimal) -> str:
    return f"{d.quantize(Decimal('0.01'))}"


class Unreachable(Exception):
    """No HTTP answer: refused, reset, or timed out."""


# --------------------------------------------------------------------------- the server


class Server:
    def __init__(self, binary: str, db_url: str, port: int, workdir: str) -> None:
        self.binary = binary
        self.base = f"http://127.0.0.1:{port}"
        self.workdir = workdir
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=db_url,
            FINMATCH_LISTEN=f"127.0.0.1:{port}",
            FINMATCH_DATA_DIR=os.path.join(workdir, "data"),
            FINMATCH_ADMIN_PASSWORD=ADMIN_PASSWORD,
            FINMATCH_JWT_SECRET=JWT_SECRET,
            FINMATCH_HASH_WAIT_MS="60000",
            FINMATCH_LOG="warn",
            # The load is a few tokens at full speed from one address, faster than any real
            # client; the rate limits have their own test (tests/api/operations.rs).
            FINMATCH_RATE_LIMIT="0",
            FINMATCH_RATE_LIMIT_ANON="0",
        )
        self.proc: subprocess.Popen | None = None
        self.log_path = os.path.join(workdir, "server.log")
        self.generation = 0  # one per start
        self.killed: set[int] = set()  # generations killed on purpose
        self.up = threading.Event()

    def start(self) -> float:
        self.generation += 1
        with open(self.log_path, "a") as out:
            out.write(f"\n---- start {self.generation} ----\n")
            out.flush()
            self.proc = subprocess.Popen(
                [self.binary, "serve"], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        with open(os.path.join(self.workdir, "server.pid"), "w") as f:
            f.write(str(self.proc.pid))
        started = time.monotonic()
        while time.monotonic() - started < 60:
            if self.proc.poll() is not None:
                raise SystemExit(f"{NAME}: finmatch exited with {self.proc.returncode} on start "
                                 f"{self.generation}; server log:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        self.up.set()
                        return time.monotonic() - started
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        raise SystemExit(f"{NAME}: finmatch not ready after 60 s; server log:\n{self.tail()}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.up.clear()
        self.killed.add(self.generation)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        """SIGTERM (graceful shutdown), SIGKILL after 15 s."""
        if self.proc is None:
            return
        self.up.clear()
        self.killed.add(self.generation)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log("finmatch did not stop within 15 s of SIGTERM; killing it")
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def command(self, *args: str) -> str:
        r = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0:
            raise SystemExit(f"{NAME}: finmatch {' '.join(args)} failed ({r.returncode}):\n"
                             f"{r.stdout}{r.stderr}")
        return r.stdout.strip()

    def tail(self, n: int = 40) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


# --------------------------------------------------------------------------- HTTP


class Failures:
    """Everything that fails the test, with enough to reproduce it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[str] = []

    def add(self, msg: str) -> None:
        with self.lock:
            self.items.append(msg)
            if len(self.items) <= 20:
                print(f"   {NAME}: FAIL {msg}", flush=True)


class Api:
    def __init__(self, server: Server, failures: Failures, timeout: float = 30) -> None:
        self.server = server
        self.failures = failures
        self.timeout = timeout

    def call(self, method: str, path: str, token: str | None = None, body: object = None,
             key: str | None = None) -> tuple[int, object, dict]:
        """(status, JSON body, headers); raises Unreachable without an answer. A 5xx fails."""
        status, payload, headers = self.exchange(method, path, token, body, key)
        if status >= 500:
            self.failures.add(f"{status} from {method} {path} body={json.dumps(body)} "
                              f"-> {json.dumps(payload, ensure_ascii=False)[:400]}")
        return status, payload, headers

    def exchange(self, method: str, path: str, token: str | None = None, body: object = None,
                 key: str | None = None, prefix: str = "/api/v1") -> tuple[int, object, dict]:
        """(status, JSON body, lower-cased headers) of one request, whatever the status;
        raises Unreachable without an answer."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json", "accept": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        if key:
            headers["idempotency-key"] = key
        req = urllib.request.Request(self.server.base + prefix + path, data=data,
                                     method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                status, raw, hdrs = r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            status, raw, hdrs = e.code, e.read(), dict(e.headers)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            # Refused, reset, timed out, or torn mid-answer (RemoteDisconnected, IncompleteRead).
            raise Unreachable(repr(e)) from None
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return status, payload, {k.lower(): v for k, v in hdrs.items()}

    def ok(self, method: str, path: str, token: str | None, body: object = None,
           want: int = 200) -> dict:
        """For setup and checks: the server is up and must answer `want`."""
        status, payload, _ = self.call(method, path, token, body)
        if status != want:
            raise SystemExit(f"{NAME}: {method} {path} -> {status} (wanted {want}): "
                             f"{json.dumps(payload, ensure_ascii=False)[:600]}")
        return payload  # type: ignore[return-value]

    def items(self, path: str, token: str) -> list[dict]:
        out: list[dict] = []
        cursor = None
        sep = "&" if "?" in path else "?"
        while True:
            q = f"{path}{sep}limit=200" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
            page = self.ok("GET", q, token)
            out.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return out

    def login(self, username: str, password: str) -> str:
        return self.ok("POST", "/auth/login", None,
                       {"username": username, "password": password})["access_token"]


# --------------------------------------------------------------------------- the record


class Journal:
    """The acknowledged writes, in memory and appended to WORKDIR/journal.jsonl."""

    def __init__(self, path: str) -> None:
        self.lock = threading.Lock()
        self.file = open(path, "a", buffering=1)
        self.acks = 0
        self.attempts = 0
        self.unacked = 0
        self.by_kind: dict[str, int] = {}
        # The acknowledgements in order (the outage and backup tests read them back).
        self.ack_list: list[dict] = []

    def write(self, event: str, **fields: object) -> None:
        line = json.dumps({"event": event, "t": round(time.time(), 3), **fields},
                          ensure_ascii=False)
        with self.lock:
            self.file.write(line + "\n")
            if event == "ack":
                self.acks += 1
                self.ack_list.append(fields)
                self.by_kind[str(fields["kind"])] = self.by_kind.get(str(fields["kind"]), 0) + 1
            elif event == "attempt":
                self.attempts += 1
            elif event == "unacked":
                self.unacked += 1


class Demand:
    def __init__(self, id: int, amount: str, ent: "Enterprise") -> None:
        self.id = id
        self.amounts = {amount}  # the acknowledged amount, plus an unacknowledged patch's
        self.amount = amount
        self.ent = ent
        self.matches: list[Match] = []
        self.tainted = False  # an unacknowledged write touched it: no more writes
        self.unacked_matches = 0  # unacknowledged POST /matches on it


class Match:
    def __init__(self, id: int, demand: Demand, product: dict) -> None:
        self.id = id
        self.demand = demand
        self.product = product
        self.state = "applied"
        self.states = {"applied"}  # acknowledged, plus the unacknowledged next one
        self.approved: str | None = None
        self.approved_options: set[str | None] = {None}
        self.loans: dict[int, str] = {}  # loan id -> amount
        self.unacked_loans: list[str] = []  # amounts of unacknowledged disbursements


class Enterprise:
    def __init__(self, id: int, name: str, token: str) -> None:
        self.id = id
        self.name = name
        self.token = token
        self.demands: list[Demand] = []
        self.unacked_demands = 0
        self.has_loan = False


# --------------------------------------------------------------------------- the load


class Load:
    def __init__(self, api: Api, journal: Journal, world: dict, seed: int,
                 failures: Failures) -> None:
        self.api = api
        self.journal = journal
        self.world = world
        self.seed = seed
        self.failures = failures
        self.stop = threading.Event()
        self.retries: list[tuple] = []  # unacknowledged creates: (kind, path, token, body, key, ctx)
        self.lock = threading.Lock()

    def send(self, thread: int, kind: str, path: str, token: str, body: dict,
             key: str | None = None, **ids: object) -> tuple[str, object]:
        """('ok', body) on 2xx, ('unacked', None) without an answer, ('refused', body) else."""
        server = self.api.server
        while True:  # the generation of a server that is up (not one still starting)
            server.up.wait()
            generation = server.generation
            if server.up.is_set():
                break
        self.journal.write("attempt", thread=thread, kind=kind, path=path, body=body, key=key,
                           **ids)
        try:
            status, payload, _ = self.api.call("POST" if kind != "patch" else "PATCH", path,
                                               token, body, key)
        except Unreachable as e:
            self.journal.write("unacked", thread=thread, kind=kind, path=path, key=key,
                               error=str(e), **ids)
            if generation not in server.killed:
                self.failures.add(f"no answer from a live server to {kind} {path}: {e}")
            server.up.wait()
            return "unacked", None
        if 200 <= status < 300:
            return "ok", payload
        if status < 500:
            self.failures.add(f"unexpected {status} from {kind} {path} body={json.dumps(body)} "
                              f"-> {json.dumps(payload, ensure_ascii=False)[:400]}")
        return "refused", payload

    def run(self, thread: int) -> None:
        rng = random.Random(self.seed * 1000 + thread)
        ent: Enterprise = self.world["enterprises"][thread % len(self.world["enterprises"])]
        products = self.world["products"]
        guarantor_id = self.world["guarantor_id"]
        n = 0
        while not self.stop.is_set():
            n += 1
            live = [d for d in ent.demands if not d.tainted]
            choices: list[tuple[float, str, object]] = []
            open_demands = [d for d in live if not any(m.state in LIVE + ("disbursed",)
                                                       for m in d.matches)]
            choices.append((3.0 if len(open_demands) < 3 else 0.5, "demand", None))
            for d in live:
                if d in open_demands:
                    applied_to = {m.product["id"] for m in d.matches}
                    fresh = [p for p in products if p["id"] not in applied_to] or products
                    choices.append((2.0, "apply", (d, rng.choice(fresh))))
                    if not d.matches:
                        choices.append((0.3, "patch", d))
                for m in d.matches:
                    if m.state == "applied":
                        choices.append((2.0, "accept", m))
                        choices.append((0.2, "reject", m))
                        choices.append((0.1, "withdraw", m))
                    elif m.state == "accepted":
                        choices.append((2.0, "approve", m))
                        choices.append((0.2, "reject", m))
                    elif m.state in ("approved", "disbursed"):
                        paid = sum(Decimal(a) for a in m.loans.values())
                        if Decimal(m.approved or "0") - paid >= Decimal("0.01"):
                            choices.append((2.0, "disburse", m))
            total = sum(w for w, _, _ in choices)
            pick = rng.uniform(0, total)
            for w, action, arg in choices:
                pick -= w
                if pick <= 0:
                    break
            key = f"crash-{self.seed}-{thread}-{n}"
            getattr(self, "do_" + action)(thread, rng, ent, arg, key, guarantor_id)

    # Each action: journal the acknowledgement, or taint the demand on no answer.

    def do_demand(self, thread, rng, ent, _arg, key, _g) -> None:
        amount = money(Decimal(rng.randrange(1_000_000_00, 9_000_000_00)) / 100)
        body = {"amount": amount, "term_months": rng.choice([6, 12, 24, 36]),
                "purpose": rng.choice(["working_capital", "equipment", "technology_upgrade",
                                       "rnd", "expansion"]),
                "guarantee_methods": rng.choice([["credit"], ["credit", "guarantee"],
                                                 ["mortgage"], ["pledge", "credit"]]),
                "description": f"crash test demand {key}"}
        outcome, r = self.send(thread, "demand", "/demands", ent.token, body, key,
                               enterprise_id=ent.id)
        if outcome == "ok":
            d = Demand(r["id"], r["amount"], ent)
            if r["amount"] != amount:
                self.failures.add(f"demand {d.id}: answered amount {r['amount']}, sent {amount}")
            ent.demands.append(d)
            self.journal.write("ack", thread=thread, kind="demand", id=d.id,
                               enterprise_id=ent.id, amount=amount)
        elif outcome == "unacked":
            ent.unacked_demands += 1
            with self.lock:
                self.retries.append(("demand", "/demands", ent.token, body, key, ent))

    def do_patch(self, thread, rng, ent, d: Demand, key, _g) -> None:
        amount = money(Decimal(rng.randrange(1_000_000_00, 9_000_000_00)) / 100)
        outcome, r = self.send(thread, "patch", f"/demands/{d.id}", ent.token, {"amount": amount},
                               demand_id=d.id)
        if outcome == "ok":
            d.amount, d.amounts = amount, {amount}
            self.journal.write("ack", thread=thread, kind="demand_amount", id=d.id, amount=amount)
        elif outcome == "unacked":
            d.amounts.add(amount)
            d.tainted = True

    def do_apply(self, thread, rng, ent, arg, key, _g) -> None:
        d, product = arg
        body = {"demand_id": d.id, "product_id": product["id"]}
        outcome, r = self.send(thread, "match", "/matches", ent.token, body, key,
                               demand_id=d.id, product_id=product["id"])
        if outcome == "ok":
            m = Match(r["id"], d, product)
            d.matches.append(m)
            self.journal.write("ack", thread=thread, kind="match", id=m.id, demand_id=d.id,
                               product_id=product["id"], state="applied")
        elif outcome == "unacked":
            d.unacked_matches += 1
            d.tainted = True
            with self.lock:
                self.retries.append(("match", "/matches", ent.token, body, key, d))

    def transition(self, thread, m: Match, action: str, to: str, token: str, body: dict) -> None:
        outcome, r = self.send(thread, action, f"/matches/{m.id}/{action}", token, body,
                               match_id=m.id)
        if outcome == "ok":
            if r.get("state") != to:
                self.failures.add(f"match {m.id}: {action} answered state {r.get('state')}")
            m.state, m.states = to, {to}
            if action == "approve":
                m.approved = body["approved_amount"]
                m.approved_options = {m.approved}
            self.journal.write("ack", thread=thread, kind=action, id=m.id, state=to,
                               approved_amount=m.approved)
        elif outcome == "unacked":
            m.states.add(to)
            if action == "approve":
                m.approved_options.add(body["approved_amount"])
            m.demand.tainted = True

    def do_accept(self, thread, rng, ent, m: Match, key, _g) -> None:
        self.transition(thread, m, "accept", "accepted", m.product["bank_token"],
                        {"note": "客户经理已联系"})

    def do_approve(self, thread, rng, ent, m: Match, key, _g) -> None:
        amount = Decimal(m.demand.amount) * Decimal(rng.choice(["1", "0.8", "0.5"]))
        self.transition(thread, m, "approve", "approved", m.product["bank_token"],
                        {"approved_amount": money(amount),
                         "annual_rate": rng.choice(["3.45", "3.65", "4.10"]),
                         "term_months": 12})

    def do_reject(self, thread, rng, ent, m: Match, key, _g) -> None:
        self.transition(thread, m, "reject", "rejected", m.product["bank_token"],
                        {"reason_code": "insufficient_cash_flow", "reason": "现金流不足"})

    def do_withdraw(self, thread, rng, ent, m: Match, key, _g) -> None:
        self.transition(thread, m, "withdraw", "withdrawn", ent.token, {"reason": "不再需要"})

    def do_disburse(self, thread, rng, ent, m: Match, key, guarantor_id) -> None:
        left = Decimal(m.approved) - sum(Decimal(a) for a in m.loans.values())
        amount = left if m.loans or rng.random() < 0.5 else (left * Decimal("0.6"))
        amount = max(Decimal("0.01"), amount.quantize(Decimal("0.01")))
        body: dict = {"amount": money(amount), "annual_rate": rng.choice(["3.45", "3.65", "4.35"]),
                      "term_months": 12, "disbursed_on": TODAY.isoformat(),
                      "first_loan": not ent.has_loan}
        if rng.random() < 0.3:
            body["guarantee"] = {"guarantor_id": guarantor_id, "fee_rate": "1.00",
                                 "counter_guarantee": "credit"}
        outcome, r = self.send(thread, "disbursement", f"/matches/{m.id}/disbursements",
                               m.product["bank_token"], body, key, match_id=m.id)
        if outcome == "ok":
            m.loans[r["id"]] = body["amount"]
            m.state, m.states = "disbursed", {"disbursed"}
            ent.has_loan = True
            self.journal.write("ack", thread=thread, kind="disbursement", id=r["id"],
                               match_id=m.id, amount=body["amount"])
        elif outcome == "unacked":
            m.unacked_loans.append(body["amount"])
            m.states.add("disbursed")
            m.demand.tainted = True
            with self.lock:
                self.retries.append(("disbursement", f"/matches/{m.id}/disbursements",
                                     m.product["bank_token"], body, key, m))

    def retry_unacked_creates(self) -> dict[str, int]:
        """Each unacknowledged create once more with its Idempotency-Key: the original answer
        (replayed), a create now (it had not committed), or an idempotency problem."""
        outcomes: dict[str, int] = {}
        for kind, path, token, body, key, ctx in self.retries:
            status, r, headers = self.api.call("POST", path, token, body, key)
            if 200 <= status < 300:
                what = "replayed" if headers.get("idempotency-replayed") == "true" else "created"
                if kind == "demand":
                    ctx.unacked_demands -= 1
                    d = Demand(r["id"], r["amount"], ctx)
                    d.tainted = True
                    ctx.demands.append(d)
                    self.journal.write("ack", thread=-1, kind="demand", id=d.id,
                                       enterprise_id=ctx.id, amount=r["amount"], retry=what)
                elif kind == "match":
                    ctx.unacked_matches -= 1
                    m = Match(r["id"], ctx, next(p for p in self.world["products"]
                                                 if p["id"] == body["product_id"]))
                    m.state, m.states = r["state"], {r["state"]}
                    ctx.matches.append(m)
                    self.journal.write("ack", thread=-1, kind="match", id=m.id,
                                       demand_id=ctx.id, state=r["state"], retry=what)
                else:
                    ctx.unacked_loans.remove(body["amount"])
                    ctx.loans[r["id"]] = body["amount"]
                    ctx.state, ctx.states = "disbursed", {"disbursed"}
                    self.journal.write("ack", thread=-1, kind="disbursement", id=r["id"],
                                       match_id=ctx.id, amount=body["amount"], retry=what)
            else:
                code = r.get("code") if isinstance(r, dict) else r
                what = f"{status} {code}"
            outcomes[f"{kind} {what}"] = outcomes.get(f"{kind} {what}", 0) + 1
        return outcomes


# --------------------------------------------------------------------------- the world


def build_world(api: Api, rng: random.Random, threads: int) -> dict:
    admin = api.login("admin", ADMIN_PASSWORD)

    def org_user(kind: str, name: str, username: str, region: str | None = None) -> tuple[int, str]:
        body = {"kind": kind, "name": name}
        if region:
            body["region_code"] = region
        org = api.ok("POST", "/organizations", admin, body, 201)
        if username:
            api.ok("POST", f"/organizations/{org['id']}/users", admin,
                   {"username": username, "password": PASSWORD}, 201)
            return org["id"], api.login(username, PASSWORD)
        return org["id"], ""

    _, office = org_user("finance_office", "山东省地方金融管理局", "crash_office", "37")
    guarantor_id, _ = org_user("guarantor", "山东省融资担保集团", "")
    products = []
    for i, (bank_name, ptype, name) in enumerate([("青岛银行", "credit", "信用贷"),
                                                  ("齐鲁银行", "specialized_sme", "专精特新贷")]):
        bank_id, bank = org_user("bank", bank_name, f"crash_bank_{i + 1}")
        p = api.ok("POST", "/products", bank, {
            "name": name, "product_type": ptype,
            "min_amount": "100000.00", "max_amount": "50000000.00",
            "min_term_months": 1, "max_term_months": 120,
            "min_rate": "3.00", "max_rate": "8.00",
            "guarantee_methods": ["credit", "guarantee", "pledge", "mortgage"],
            "response_sla_days": 5}, 201)
        products.append({"id": p["id"], "bank_id": bank_id, "bank_token": bank})
    # Enterprises across regions (one outside the office's 37), sizes and qualifications.
    profiles = [
        ("370202", "industry", 120, "35000000.00", "28000000.00"),
        ("370211", "software_it", 40, "8000000.00", "6000000.00"),
        ("370102", "retail", 8, "900000.00", "500000.00"),
        ("320505", "wholesale", 30, "60000000.00", "20000000.00"),
        ("370203", "industry", 450, "300000000.00", "200000000.00"),
        ("370785", "construction", 200, "150000000.00", "90000000.00"),
        ("371002", "catering", 60, "12000000.00", "4000000.00"),
        ("440305", "software_it", 150, "50000000.00", "30000000.00"),
    ]
    qualifications = [("specialized_sme", "provincial"), ("high_tech", "national"),
                      ("little_giant", "national"), None]
    enterprises = []
    for i in range(threads):
        region, industry, employees, revenue, assets = profiles[i % len(profiles)]
        username = f"crash_ent_{i + 1}"
        name = f"崩溃测试企业{i + 1}有限公司"
        reg = api.ok("POST", "/auth/register", None, {
            "username": username, "password": PASSWORD,
            "enterprise": {"name": name, "credit_code": credit_code(region, rng),
                           "region_code": region, "industry": industry,
                           "employees": employees, "annual_revenue": revenue,
                           "total_assets": assets, "established_on": "2016-05-18",
                           "has_prior_loan": i % 3 == 2}}, 201)
        ent = Enterprise(reg["organization"]["id"], name, api.login(username, PASSWORD))
        q = qualifications[i % len(qualifications)]
        if q:
            api.ok("POST", f"/enterprises/{ent.id}/qualifications", ent.token,
                   {"kind": q[0], "level": q[1], "certified_on": "2025-01-01",
                    "expires_on": "2099-12-31", "certificate_no": f"CRASH-{i + 1}"}, 201)
        enterprises.append(ent)
    return {"admin": admin, "office": office, "guarantor_id": guarantor_id,
            "products": products, "enterprises": enterprises}


# --------------------------------------------------------------------------- the checks


def verify(api: Api, world: dict, failures: Failures) -> dict[str, int]:
    """Every acknowledged write is there; nothing is there twice; multi-row writes are whole."""
    counts = {"demands": 0, "matches": 0, "loans": 0, "lost": 0}
    check_acknowledged(api, world, failures, counts)
    check_consistent(api, world, failures, counts)
    return counts


def check_acknowledged(api: Api, world: dict, failures: Failures, counts: dict) -> None:
    """Every demand, match and loan of the world's record is on the server, as acknowledged
    (or as an unacknowledged write would have made it). Counts what it checked in `counts`."""
    admin = world["admin"]
    demands = [d for e in world["enterprises"] for d in e.demands]
    matches = [m for d in demands for m in d.matches]

    def lost(msg: str) -> None:
        counts["lost"] += 1
        failures.add("LOST " + msg)

    def get(path: str) -> tuple[int, object]:
        status, body, _ = api.call("GET", path, admin)
        return status, body

    pool = concurrent.futures.ThreadPoolExecutor(8)
    d_answers = dict(zip(demands, pool.map(lambda d: get(f"/demands/{d.id}"), demands)))
    m_answers = dict(zip(matches, pool.map(lambda m: get(f"/matches/{m.id}"), matches)))
    loans = [(m, lid, amount) for m in matches for lid, amount in m.loans.items()]
    l_answers = list(pool.map(lambda x: get(f"/loans/{x[1]}"), loans))
    pool.shutdown()

    for d, (status, b) in d_answers.items():
        counts["demands"] += 1
        if status != 200:
            lost(f"demand {d.id} (enterprise {d.ent.id}, amount {d.amount}): GET -> {status} {b}")
        elif b["amount"] not in d.amounts or b["enterprise_id"] != d.ent.id:
            lost(f"demand {d.id}: amount {b['amount']} enterprise {b['enterprise_id']}, "
                 f"acknowledged {sorted(d.amounts)} enterprise {d.ent.id}")
    for m, (status, b) in m_answers.items():
        counts["matches"] += 1
        if status != 200:
            lost(f"match {m.id} (demand {m.demand.id}, state {m.state}): GET -> {status} {b}")
            continue
        if b["state"] not in m.states:
            lost(f"match {m.id}: state {b['state']}, acknowledged {m.state} "
                 f"(allowed {sorted(m.states)})")
        if b.get("approved_amount") not in m.approved_options:
            lost(f"match {m.id}: approved_amount {b.get('approved_amount')}, acknowledged "
                 f"{m.approved}")
        if b["demand_id"] != m.demand.id or b["product_id"] != m.product["id"]:
            lost(f"match {m.id}: demand/product {b['demand_id']}/{b['product_id']}, "
                 f"acknowledged {m.demand.id}/{m.product['id']}")
    for (m, lid, amount), (status, b) in zip(loans, l_answers):
        counts["loans"] += 1
        if status != 200:
            lost(f"loan {lid} (match {m.id}, amount {amount}): GET /loans/{lid} -> {status} {b}")
        elif b["amount"] != amount or b["match_id"] != m.id or b["demand_id"] != m.demand.id:
            lost(f"loan {lid}: amount {b['amount']} match {b['match_id']}, acknowledged "
                 f"{amount} match {m.id}")


def check_consistent(api: Api, world: dict, failures: Failures, counts: dict) -> None:
    """What the server has: nothing twice, nothing from nowhere (each demand, match and loan
    the record does not name is explained by an unacknowledged create), every multi-row write
    whole, the admin's overview equal to the fact lists. Adds server_* counts to `counts`."""
    admin = world["admin"]
    demands = [d for e in world["enterprises"] for d in e.demands]
    matches = [m for d in demands for m in d.matches]
    loans = [(m, lid, amount) for m in matches for lid, amount in m.loans.items()]
    all_demands = api.items("/demands", admin)
    all_matches = api.items("/matches", admin)
    all_loans = api.items("/loans", admin)
    known_d = {d.id: d for d in demands}
    known_m = {m.id: m for m in matches}
    known_l = {lid for _, lid, _ in loans}
    ents = {e.id: e for e in world["enterprises"]}
    extra: dict[object, int] = {}
    for b in all_demands:
        if b["id"] not in known_d:
            extra[("d", b["enterprise_id"])] = extra.get(("d", b["enterprise_id"]), 0) + 1
    for (_, eid), n in sorted(extra.items()):
        if n > ents[eid].unacked_demands:
            failures.add(f"enterprise {eid}: {n} demands nobody acknowledged, only "
                         f"{ents[eid].unacked_demands} unacknowledged creates")
    by_demand: dict[int, list[dict]] = {}
    for b in all_matches:
        by_demand.setdefault(b["demand_id"], []).append(b)
        if b["id"] not in known_m:
            d = known_d.get(b["demand_id"])
            n = sum(1 for x in all_matches if x["demand_id"] == b["demand_id"]
                    and x["id"] not in known_m)
            if d is None or n > d.unacked_matches:
                failures.add(f"match {b['id']} on demand {b['demand_id']}: nobody acknowledged "
                             f"it and no unacknowledged apply can explain it")
    by_match: dict[int, list[dict]] = {}
    for b in all_loans:
        by_match.setdefault(b["match_id"], []).append(b)
    for mid, ls in by_match.items():
        m = known_m.get(mid)
        unknown = [b for b in ls if b["id"] not in known_l]
        if m is None or len(unknown) > len(m.unacked_loans):
            failures.add(f"match {mid}: loans {[b['id'] for b in unknown]} nobody acknowledged, "
                         f"only {0 if m is None else len(m.unacked_loans)} unacknowledged "
                         f"disbursements")
    for b in all_matches:
        ls = by_match.get(b["id"], [])
        total = sum((Decimal(x["amount"]) for x in ls), Decimal(0))
        if Decimal(b["disbursed_amount"]) != total:
            failures.add(f"match {b['id']}: disbursed_amount {b['disbursed_amount']} but its "
                         f"loans sum to {money(total)}")
        if ls and (b["state"] != "disbursed" or total > Decimal(b["approved_amount"] or 0)):
            failures.add(f"match {b['id']}: state {b['state']} approved {b['approved_amount']} "
                         f"with loans of {money(total)}")
    for b in all_demands:
        ms = by_demand.get(b["id"], [])
        if any(by_match.get(m["id"]) for m in ms):
            want = "fulfilled"
        elif any(m["state"] in LIVE for m in ms):
            want = "in_progress"
        else:
            want = "open"
        if b["status"] != want:
            failures.add(f"demand {b['id']}: status {b['status']}, its matches "
                         f"{[(m['id'], m['state']) for m in ms]} make it {want}")

    # The rollups against the fact tables (the admin sees everything).
    o = api.ok("GET", "/stats/overview", admin)
    facts = {
        "demands.count": len(all_demands),
        "demands.amount": money(sum((Decimal(b["amount"]) for b in all_demands), Decimal(0))),
        "matches.total": len(all_matches),
        "loans.count": len(all_loans),
        "loans.amount": money(sum((Decimal(b["amount"]) for b in all_loans), Decimal(0))),
    }
    for state in ("applied", "accepted", "approved", "disbursed", "rejected", "withdrawn"):
        facts[f"matches.by_state.{state}"] = sum(1 for b in all_matches if b["state"] == state)
    for path, want in facts.items():
        got: object = o
        for part in path.split("."):
            got = got.get(part, 0) if isinstance(got, dict) else None
        if got != want:
            failures.add(f"GET /stats/overview (admin): {path} is {got}, the facts say {want}")
    counts.update(server_demands=len(all_demands), server_matches=len(all_matches),
                  server_loans=len(all_loans))


def reports(api: Api, world: dict) -> dict[str, object]:
    out: dict[str, object] = {}
    ranges = ["", f"from={TODAY}&to={TODAY}", f"from={MONTH_START}"]
    for who in ("admin", "office"):
        for rng in ranges:
            paths = [f"/stats/overview?{rng}", f"/stats/banks?{rng}"]
            paths += [f"/stats/breakdown?by={by}&{rng}" for by in BREAKDOWNS]
            for p in paths:
                out[f"{who} {p.rstrip('?&')}"] = api.ok("GET", p.rstrip("?&"), world[who])
    return out


def first_difference(a: object, b: object, path: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{path or '/'}: {json.dumps(a, ensure_ascii=False)[:300]} != " \
               f"{json.dumps(b, ensure_ascii=False)[:300]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}/{k}: {'missing' if k not in a else json.dumps(a[k])[:300]} != " \
                       f"{'missing' if k not in b else json.dumps(b[k])[:300]}"
            d = first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        return None
    return None if a == b else f"{path or '/'}: {json.dumps(a, ensure_ascii=False)} != " \
                               f"{json.dumps(b, ensure_ascii=False)}"


def compare_with_rebuild(api: Api, world: dict, server: Server, failures: Failures) -> int:
    """Captures every report, stops the server, runs `rebuild-stats`, starts the server, captures
    them again, stops it, and fails each report that differs. Returns how many differ."""
    before = reports(api, world)
    server.stop()
    log(server.command("rebuild-stats"))
    server.start()
    after = reports(api, world)
    server.stop()
    mismatched = 0
    for name in before:
        diff = first_difference(before[name], after[name])
        if diff:
            mismatched += 1
            if mismatched <= 5:
                failures.add(f"rollups differ from a rebuild: GET {name}: {diff} "
                             f"(live != rebuilt)")
    log(f"{len(before)} reports compared with a rebuild, {mismatched} differ")
    return mismatched


# --------------------------------------------------------------------------- main


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    binary, db_url, port, workdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    crashes = int(os.environ.get("FM_CRASH_CRASHES", "3"))
    threads = int(os.environ.get("FM_CRASH_THREADS", "8"))
    seed = int(os.environ.get("FM_CRASH_SEED") or random.randrange(1, 10**6))
    min_up = float(os.environ.get("FM_CRASH_MIN_UP", "2.5"))
    max_up = float(os.environ.get("FM_CRASH_MAX_UP", "5"))
    tail = float(os.environ.get("FM_CRASH_TAIL", "2"))
    rng = random.Random(seed)
    log(f"seed {seed} (FM_CRASH_SEED={seed} picks the same moments), {threads} threads, "
        f"{crashes} crashes")

    failures = Failures()
    server = Server(binary, db_url, port, workdir)
    api = Api(server, failures)
    journal = Journal(os.path.join(workdir, "journal.jsonl"))
    load: Load | None = None
    try:
        took = server.start()
        log(f"finmatch ready in {took:.1f}s; building the world")
        world = build_world(api, rng, threads)

        load = Load(api, journal, world, seed, failures)
        workers = [threading.Thread(target=load.run, args=(i,), daemon=True, name=f"load-{i}")
                   for i in range(threads)]
        started = time.monotonic()
        for w in workers:
            w.start()
        for c in range(1, crashes + 1):
            time.sleep(rng.uniform(min_up, max_up))
            before = journal.acks
            server.kill9()
            log(f"kill -9 #{c} at {time.monotonic() - started:.1f}s of load "
                f"({before} acknowledged writes so far)")
            time.sleep(rng.uniform(0.1, 0.5))
            took = server.start()
            log(f"restarted in {took:.1f}s")
        time.sleep(tail)
        load.stop.set()
        for w in workers:
            w.join(timeout=60)
            if w.is_alive():
                failures.add(f"{w.name} still running 60 s after the load stopped")
        log(f"load stopped after {time.monotonic() - started:.1f}s: {journal.attempts} writes "
            f"sent, {journal.acks} acknowledged, {journal.unacked} without an answer; "
            + ", ".join(f"{k} {v}" for k, v in sorted(journal.by_kind.items())))

        retried = load.retry_unacked_creates()
        if retried:
            log("unacknowledged creates retried with their Idempotency-Key: "
                + ", ".join(f"{k}: {v}" for k, v in sorted(retried.items())))
            stuck = sum(v for k, v in retried.items() if "idempotency_key_in_progress" in k)
            if stuck:
                msg = (f"{stuck} Idempotency-Keys claimed before a crash stay 'in progress' "
                       f"after the restart (409 idempotency_key_in_progress): the client can "
                       f"neither learn the outcome nor retry with that key")
                failures.add(msg)

        counts = verify(api, world, failures)
        log(f"checked {counts['demands']} demands, {counts['matches']} matches, "
            f"{counts['loans']} loans (the server holds {counts['server_demands']} / "
            f"{counts['server_matches']} / {counts['server_loans']})")

        compare_with_rebuild(api, world, server, failures)

        print(f"crash test: {crashes} crash{'es' if crashes != 1 else ''}, "
              f"{journal.acks} acknowledged writes, "
              f"{counts['lost']} lost", flush=True)
        if failures.items:
            print(f"crash test FAILED: {len(failures.items)} problems (first ones above)",
                  file=sys.stderr)
            if "ERROR" in open(server.log_path, errors="replace").read():
                print("server errors:", file=sys.stderr)
                with open(server.log_path, errors="replace") as f:
                    errs = [l for l in f if '"level":"ERROR"' in l or "panicked" in l]
                print("".join(errs[-20:]), file=sys.stderr)
            return 1
        return 0
    finally:
        if load is not None:
            load.stop.set()  # the threads are daemons: the ones still waiting die with us
        if server.proc is not None:
            server.proc.kill()
            server.proc.wait()


if __name__ == "__main__":
    sys.exit(main())
