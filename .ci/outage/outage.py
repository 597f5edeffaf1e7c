"""Outage test: the database goes away under load and comes back; finmatch answers fast 503s,
says so once in its log, recovers by itself, and loses no acknowledged write or webhook.

    python3 outage.py BINARY DATABASE_URL PORT WORKDIR

run.sh prepares WORKDIR (a fresh data dir) and the database (an emptied PostgreSQL schema, or
a SQLite path on a tmpfs it mounted, named by FM_OUTAGE_TMPFS) and calls this; see run.sh for
the steps. The world, the write load, the journal of acknowledged writes, the verification and
the rollup comparison are the crash test's (.ci/crash/crash.py, imported). This process owns
the finmatch server, the PostgreSQL proxy (a thread), the webhook receiver (a thread) and the
tmpfs filler.

What fails the test, each message prefixed with the clause of the contract it breaks:
  A  during an outage a request that needs the database answers anything but 503
     `application/problem+json` with "code": "service_unavailable" and a whole-second
     Retry-After >= 1, or answers it later than FINMATCH_DB_TIMEOUT_MS + 1000 ms; no request
     answered 503 during an outage at all; any request (load or probe, in any phase) took
     longer than FM_OUTAGE_HANG seconds (5) or got no answer;
  B  GET /readyz took longer than 1 s, or answered other than 200 {"status":"ready"} or 503
     problem+json whose detail names the database (or pending migrations); it answered 200
     while the database was cut off, or 503 while the database was up; GET /healthz answered
     other than 200 within 1 s;
  C  (PostgreSQL) the log lines written from the cut until the next phase hold other than
     exactly one event line containing `database unavailable` and exactly one containing
     `database available again` (in that order), or more than FM_OUTAGE_MAX_WARN (5) lines at
     WARN or ERROR. Span lifecycle lines (the per-request access line, "close time.busy=…")
     are not events and are not counted for the two phrases; they are counted for the levels;
  D  /readyz not 200, or no write acknowledged, within FM_OUTAGE_RECOVERY (10) s of the
     database coming back; any 503 after that;
  E  a webhook delivery the server logged was not received (by its X-Finmatch-Delivery id),
     or is still pending or failed after FM_OUTAGE_HOOK_WAIT seconds; a delivery received
     that the server did not log; one event (match.created of match 12, loan.disbursed of
     loan 40 …) received under two delivery ids; an acknowledged write of the webhook
     enterprise whose event never arrived. The same delivery id received twice is a redelivery
     and counted, not failed;
  F  (SQLite) with the disk full, a write answered other than 2xx or 503 as in A, a read
     (GET list) answered other than 200, no write was refused at all within 30 s, writes did
     not succeed again within FM_OUTAGE_RECOVERY s of freeing the disk, `PRAGMA
     integrity_check` after the server stopped was not `ok`, or an acknowledged write is
     missing after the restart;
  and everything the crash test fails: a lost or doubled write, a torn multi-row write, an
  overview that disagrees with the facts, a report that differs from a `rebuild-stats`.
Writes answered 503 (or 500) are treated as the crash test treats unanswered ones: they may or
may not have committed (a COMMIT can reach PostgreSQL just before its answer is cut off), so
their demand takes no further writes, and an unacknowledged create is retried with its
Idempotency-Key at the end.

Knobs (environment): FM_OUTAGE_CUTS (2), FM_OUTAGE_DOWN (12 s per outage), FM_OUTAGE_THREADS
(8), FM_OUTAGE_SEED (random), FM_OUTAGE_WARM (4 s of load before the first outage),
FM_OUTAGE_BETWEEN (5 s of load after each recovery), FM_OUTAGE_DB_TIMEOUT_MS (unset: the
server's default 2000 is assumed and FINMATCH_DB_TIMEOUT_MS is not set), FM_OUTAGE_HANG (5),
FM_OUTAGE_MAX_WARN (5), FM_OUTAGE_RECOVERY (10), FM_OUTAGE_HOOK_WAIT (150 s: a delivery whose
claim committed just before a cut is leased for 2 minutes), FM_OUTAGE_FULL_HOLD (6 s the disk
stays full after the first refused write), FM_OUTAGE_PROXY_PORT and FM_OUTAGE_HOOK_PORT (0:
the kernel picks), FM_OUTAGE_TMPFS (set by run.sh for SQLite).
Only the standard library; only 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import errno
import http.server
import json
import os
import random
import re
import socket
import sqlite3
import struct
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crash"))
import crash  # noqa: E402  (the crash test's world, load, journal and checks)
from crash import Unreachable, log  # noqa: E402

crash.NAME = "outage"

HOOK_EVENTS = ["match.created", "match.accepted", "match.approved", "match.rejected",
               "match.withdrawn", "loan.disbursed"]
TRANSITION_EVENT = {"accept": "match.accepted", "approve": "match.approved",
                    "reject": "match.rejected", "withdraw": "match.withdrawn"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TEXT_LEVEL = re.compile(r"^\S+\s+(TRACE|DEBUG|INFO|WARN|ERROR)\b")


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


# --------------------------------------------------------------------------- the proxy


class Proxy:
    """A TCP proxy to PostgreSQL on an asyncio loop in a thread. `cut()` stops listening (new
    connections are refused) and resets every proxied connection; `restore()` listens again
    on the same port."""

    def __init__(self, upstream: tuple[str, int], port: int = 0) -> None:
        self.upstream = upstream
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                       name="pg-proxy")
        self.server: asyncio.AbstractServer | None = None
        self.conns: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.down = False
        self.accepted = 0
        self.cut_conns = 0

    def _run(self, coro: object, timeout: float = 10) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore

    def start(self) -> int:
        self.thread.start()
        self._run(self._listen())
        return self.port

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port,
                                                 reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    @staticmethod
    def _reset(w: asyncio.StreamWriter) -> None:
        """Close with RST (SO_LINGER 0), so the peer learns at once."""
        sock = w.get_extra_info("socket")
        try:
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        w.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            self._reset(writer)
            return
        try:
            ureader, uwriter = await asyncio.open_connection(*self.upstream)
        except OSError:
            self._reset(writer)
            return
        if self.down:  # cut while connecting
            self._reset(writer)
            self._reset(uwriter)
            return
        pair = (writer, uwriter)
        self.conns.add(pair)
        self.accepted += 1

        async def pump(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                while True:
                    data = await r.read(65536)
                    if not data:
                        break
                    w.write(data)
                    await w.drain()
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                w.close()

        await asyncio.gather(pump(reader, uwriter), pump(ureader, writer),
                             return_exceptions=True)
        self.conns.discard(pair)

    async def _cut(self) -> int:
        self.down = True
        if self.server is not None:
            self.server.close()  # the listening socket is gone: connects are refused
            self.server = None
        n = 0
        for client, upstream in list(self.conns):
            self._reset(client)
            self._reset(upstream)
            n += 1
        self.conns.clear()
        await asyncio.sleep(0)
        return n

    def cut(self) -> int:
        n = self._run(self._cut())
        self.cut_conns += n  # type: ignore[operator]
        return n  # type: ignore[return-value]

    async def _restore(self) -> None:
        self.down = False
        await self._listen()

    def restore(self) -> None:
        self._run(self._restore())

    def stop(self) -> None:
        try:
            self._run(self._cut())
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)


# --------------------------------------------------------------------------- webhooks


class Receiver:
    """Receives webhook POSTs on 127.0.0.1 and keeps (delivery id, event, body) of each."""

    def __init__(self, port: int = 0) -> None:
        self.lock = threading.Lock()
        self.got: list[tuple[str | None, str | None, dict | None]] = []
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(n)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with rec.lock:
                    rec.got.append((self.headers.get("X-Finmatch-Delivery"),
                                    self.headers.get("X-Finmatch-Event"), body))
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True, name="hooks").start()

    def snapshot(self) -> list[tuple[str | None, str | None, dict | None]]:
        with self.lock:
            return list(self.got)

    def stop(self) -> None:
        self.httpd.shutdown()


# --------------------------------------------------------------------------- the disk


class Filler:
    """Fills the file system holding `directory` to the last byte, and frees it again."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.path = os.path.join(directory, "outage-filler")

    def free(self) -> int:
        st = os.statvfs(self.directory)
        return st.f_bavail * st.f_frsize

    def fill(self) -> int:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        written = 0
        try:
            for size in (1 << 20, 1 << 16, 1 << 12, 512):
                chunk = b"\0" * size
                while True:
                    try:
                        written += os.write(fd, chunk)
                    except OSError as e:
                        if e.errno != errno.ENOSPC:
                            raise
                        break
        finally:
            os.close(fd)
        return written

    def remove(self) -> None:
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass


# --------------------------------------------------------------------------- bookkeeping


class Failures(crash.Failures):
    """Keeps every failure (and writes them to WORKDIR/failures.txt); prints the first three
    of each kind (the message with its numbers blotted out) as they happen."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.kinds: dict[str, list[str]] = {}

    @staticmethod
    def kind(msg: str) -> str:
        msg = re.sub(r"body=.*", "", msg)
        msg = re.sub(r"\b(GET|POST|PATCH|PUT|DELETE) /\S+", "<request>", msg)
        return re.sub(r"[0-9]+(\.[0-9]+)?", "#", msg)[:140]

    def add(self, msg: str) -> None:
        with self.lock:
            self.items.append(msg)
            seen = self.kinds.setdefault(self.kind(msg), [])
            seen.append(msg)
            with open(self.path, "a") as f:
                f.write(msg + "\n")
            if len(seen) <= 3:
                print(f"   outage: FAIL {msg}", flush=True)

    def summary(self) -> str:
        out = []
        for kind, msgs in sorted(self.kinds.items(), key=lambda kv: kv[0]):
            out.append(f"  {len(msgs):>4}x {kind}\n          e.g. {msgs[0][:300]}")
        return "\n".join(out)


class Window:
    """One outage: the database cut off (`cut`) or the disk full (`full`)."""

    def __init__(self, n: int, kind: str, start: float, log_from: int) -> None:
        self.n = n
        self.kind = kind
        self.start = start
        self.end: float | None = None  # database back / disk freed
        self.ready_at: float | None = None  # first /readyz 200 sent after `end`
        self.write_at: float | None = None  # first acknowledged write sent after `end`
        self.settled: float | None = None  # 503s allowed until then
        self.log_from = log_from
        self.log_to: int | None = None
        self.n503 = 0
        self.max503 = 0.0
        self.refused_writes = 0  # 5xx answers to writes
        self.first_refused: float | None = None

    def label(self) -> str:
        return f"{'outage' if self.kind == 'cut' else 'disk full'} {self.n}"


class Phases:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: list[Window] = []

    def open(self, kind: str, log_from: int) -> Window:
        with self.lock:
            w = Window(len(self.windows) + 1, kind, time.monotonic(), log_from)
            self.windows.append(w)
            return w

    def at(self, t0: float, t1: float | None = None) -> Window | None:
        """The window a request sent at t0 and answered at t1 overlaps (503s are allowed in
        it): it started before the request ended, and had not settled when it was sent."""
        t1 = t0 if t1 is None else t1
        with self.lock:
            for w in reversed(self.windows):
                if w.start <= t1 and (w.settled is None or t0 <= w.settled):
                    return w
            return None

    def strictly_down(self, t0: float, t1: float, grace: float = 1.0) -> Window | None:
        """The cut window a request lies wholly inside (after a grace for requests in flight)."""
        with self.lock:
            for w in self.windows:
                if w.kind == "cut" and t0 >= w.start + grace and (w.end is None or t1 <= w.end):
                    return w
            return None


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.n503 = 0
        self.max503 = 0.0
        self.readyz_max = 0.0
        self.readyz_n = 0
        self.slowest = 0.0


# --------------------------------------------------------------------------- the API


class OutageApi(crash.Api):
    """crash.Api whose every answer is judged against the outage contract."""

    def __init__(self, server: crash.Server, failures: crash.Failures, phases: Phases,
                 stats: Stats, db_timeout: float, hang: float, timeout: float) -> None:
        super().__init__(server, failures, timeout)
        self.phases = phases
        self.stats = stats
        self.db_timeout = db_timeout
        self.hang = hang

    def call(self, method: str, path: str, token: str | None = None, body: object = None,
             key: str | None = None) -> tuple[int, object, dict]:
        t0 = time.monotonic()
        try:
            status, payload, headers = self.exchange(method, path, token, body, key)
        except Unreachable as e:
            self.no_answer(method, path, t0, time.monotonic(), e)
            raise
        self.judge(method, path, t0, time.monotonic(), status, payload, headers, body)
        return status, payload, headers

    def no_answer(self, method: str, path: str, t0: float, t1: float, e: Exception) -> None:
        w = self.phases.at(t0, t1)
        where = f" during {w.label()}" if w else ""
        self.failures.add(f"A: no answer to {method} {path}{where} after {t1 - t0:.1f}s: {e}")

    def judge(self, method: str, path: str, t0: float, t1: float, status: int, payload: object,
              headers: dict, body: object = None) -> None:
        took = t1 - t0
        w = self.phases.at(t0, t1)
        where = f" during {w.label()}" if w else ""
        write = method != "GET"
        with self.stats.lock:
            self.stats.slowest = max(self.stats.slowest, took)
        if took > self.hang:
            self.failures.add(f"A: {method} {path} took {took:.1f}s{where} (limit {self.hang:g}s: "
                              f"no request may hang) -> {status}")
        if status >= 500 and w is not None and write:
            w.refused_writes += 1
            if w.first_refused is None:
                w.first_refused = t1
        if status == 503:
            with self.stats.lock:
                self.stats.n503 += 1
                self.stats.max503 = max(self.stats.max503, took)
            if w is not None:
                w.n503 += 1
                w.max503 = max(w.max503, took)
            problem = problem_shape(payload, headers)
            if problem:
                self.failures.add(f"A: 503 from {method} {path}{where}: {problem}")
            limit = self.db_timeout + 1.0
            if took > limit:
                self.failures.add(f"A: {method} {path} answered 503 after {took:.1f}s{where} "
                                  f"(limit FINMATCH_DB_TIMEOUT_MS + 1000 ms = {limit:.1f}s)")
            if w is None:
                self.failures.add(f"D: 503 from {method} {path} while the database was up "
                                  f"(no outage, or more than the recovery time after one): "
                                  f"{detail_of(payload)}")
            elif w.kind == "full" and not write:
                self.failures.add(f"F: a read answered 503 while the disk was full "
                                  f"({method} {path}): {detail_of(payload)}")
        elif status >= 500:
            clause = "A" if w is None or w.kind == "cut" else "F"
            state = {None: "", "cut": " instead of 503 while the database was unreachable",
                     "full": " instead of 503 while the disk was full"}[w.kind if w else None]
            self.failures.add(f"{clause}: {method} {path} answered {status}{state}{where}"
                              f" (after {took:.1f}s) body={json.dumps(body)[:200]} -> "
                              f"{json.dumps(payload, ensure_ascii=False)[:300]}")
        elif 200 <= status < 300:
            down = self.phases.strictly_down(t0, t1)
            if down is not None:
                self.failures.add(f"proxy: {method} {path} answered {status} while the "
                                  f"database was cut off ({down.label()}): the cut did not "
                                  f"take")

    def probe(self, path: str) -> tuple[float, float, int, object, dict]:
        """GET a probe outside /api/v1 (readyz, healthz)."""
        t0 = time.monotonic()
        status, payload, headers = self.exchange("GET", path, prefix="")
        return t0, time.monotonic(), status, payload, headers


def detail_of(payload: object) -> str:
    if isinstance(payload, dict):
        return str(payload.get("detail"))
    return str(payload)[:200]


def problem_shape(payload: object, headers: dict) -> str | None:
    """What is wrong with a 503 by the contract, or None."""
    wrong = []
    ctype = headers.get("content-type", "")
    if not ctype.startswith("application/problem+json"):
        wrong.append(f"content-type {ctype!r}, not application/problem+json")
    if not isinstance(payload, dict) or payload.get("code") != "service_unavailable":
        code = payload.get("code") if isinstance(payload, dict) else payload
        wrong.append(f"code {code!r}, not 'service_unavailable'")
    ra = headers.get("retry-after")
    if ra is None:
        wrong.append("no Retry-After header")
    elif not re.fullmatch(r"[0-9]+", ra.strip()) or int(ra) < 1:
        wrong.append(f"Retry-After {ra!r} is not whole seconds >= 1")
    return "; ".join(wrong) or None


class OutageLoad(crash.Load):
    """The crash test's load; a 5xx answer is treated like no answer (it may have committed),
    and the thread backs off briefly. `pause` slows some threads (the webhook enterprise's)."""

    def __init__(self, api: OutageApi, journal: crash.Journal, world: dict, seed: int,
                 failures: crash.Failures, phases: Phases, pause: dict[int, float]) -> None:
        super().__init__(api, journal, world, seed, failures)
        self.phases = phases
        self.pause = pause

    def send(self, thread: int, kind: str, path: str, token: str, body: dict,
             key: str | None = None, **ids: object) -> tuple[str, object]:
        if self.pause.get(thread):
            time.sleep(self.pause[thread])
        api: OutageApi = self.api  # type: ignore[assignment]
        method = "POST" if kind != "patch" else "PATCH"
        self.journal.write("attempt", thread=thread, kind=kind, path=path, body=body, key=key,
                           **ids)
        t0 = time.monotonic()
        try:
            status, payload, headers = api.exchange(method, path, token, body, key)
        except Unreachable as e:
            api.no_answer(method, path, t0, time.monotonic(), e)
            self.journal.write("unacked", thread=thread, kind=kind, path=path, key=key,
                               error=str(e), **ids)
            return "unacked", None
        t1 = time.monotonic()
        api.judge(method, path, t0, t1, status, payload, headers, body)
        if 200 <= status < 300:
            for w in self.phases.windows:
                if w.end is not None and t0 >= w.end and w.write_at is None:
                    w.write_at = t1
            return "ok", payload
        if status >= 500:
            self.journal.write("unacked", thread=thread, kind=kind, path=path, key=key,
                               error=f"{status} {detail_of(payload)}", **ids)
            time.sleep(0.1)
            return "unacked", None
        self.failures.add(f"unexpected {status} from {kind} {path} body={json.dumps(body)} "
                          f"-> {json.dumps(payload, ensure_ascii=False)[:400]}")
        return "refused", payload


# --------------------------------------------------------------------------- probes


class Probes:
    """Two threads for the whole load: /readyz and /healthz every 0.2 s (B), and a read that
    needs the database (the admin's demand list) every 0.2 s (A, F)."""

    def __init__(self, api: OutageApi, world: dict, phases: Phases, stats: Stats,
                 failures: crash.Failures) -> None:
        self.api = api
        self.world = world
        self.phases = phases
        self.stats = stats
        self.failures = failures
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.health, daemon=True, name="probe-health"),
                        threading.Thread(target=self.read, daemon=True, name="probe-read")]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)

    def health(self) -> None:
        while not self.stop.is_set():
            for path in ("/readyz", "/healthz"):
                try:
                    t0, t1, status, payload, headers = self.api.probe(path)
                except Unreachable as e:
                    self.failures.add(f"B: no answer to GET {path}: {e}")
                    continue
                if path == "/readyz":
                    self.readyz(t0, t1, status, payload, headers)
                elif status != 200 or t1 - t0 > 1.0:
                    w = self.phases.at(t0, t1)
                    self.failures.add(f"B: GET /healthz answered {status} in {t1 - t0:.2f}s"
                                      f"{' during ' + w.label() if w else ''} (must be 200 "
                                      f"within 1 s while the process is healthy)")
            self.stop.wait(0.2)

    def readyz(self, t0: float, t1: float, status: int, payload: object, headers: dict) -> None:
        took = t1 - t0
        w = self.phases.at(t0, t1)
        where = f" during {w.label()}" if w else ""
        with self.stats.lock:
            self.stats.readyz_max = max(self.stats.readyz_max, took)
            self.stats.readyz_n += 1
        if took > 1.0:
            self.failures.add(f"B: GET /readyz took {took:.2f}s{where} (limit 1 s) -> {status}")
        if status == 200:
            if not isinstance(payload, dict) or payload.get("status") != "ready":
                self.failures.add(f"B: GET /readyz 200 with body {payload!r}")
            down = self.phases.strictly_down(t0, t1, grace=self.api.db_timeout + 1.0)
            if down is not None:
                self.failures.add(f"B: GET /readyz answered 200 while the database was cut "
                                  f"off ({down.label()}, {t0 - down.start:.1f}s into it)")
            for win in self.phases.windows:
                if win.end is not None and t0 >= win.end and win.ready_at is None:
                    win.ready_at = t1
        elif status == 503:
            wrong = []
            if not headers.get("content-type", "").startswith("application/problem+json"):
                wrong.append(f"content-type {headers.get('content-type')!r}")
            detail = payload.get("detail") if isinstance(payload, dict) else None
            if not isinstance(detail, str) or not re.search(r"database|migration", detail, re.I):
                wrong.append(f"detail {detail!r} does not say why (database unreachable, or "
                             f"migrations pending)")
            if wrong:
                self.failures.add(f"B: GET /readyz 503{where}: " + "; ".join(wrong))
            if w is None:
                self.failures.add(f"B: GET /readyz answered 503 while the database was up: "
                                  f"{detail!r}")
        else:
            self.failures.add(f"B: GET /readyz answered {status}{where}: {payload!r}"[:400])

    def read(self) -> None:
        admin = self.world["admin"]
        paths = ["/demands?limit=5", "/matches?limit=5", "/loans?limit=5"]
        n = 0
        while not self.stop.is_set():
            try:
                self.api.call("GET", paths[n % len(paths)], admin)
            except Unreachable:
                pass  # judged by call()
            n += 1
            self.stop.wait(0.2)


# --------------------------------------------------------------------------- the log


def log_lines(path: str, start: int, end: int) -> list[str]:
    with open(path, "rb") as f:
        f.seek(start)
        raw = f.read(max(0, end - start))
    return [ANSI.sub("", line) for line in raw.decode(errors="replace").splitlines()]


def parse_line(line: str) -> tuple[str | None, bool, str]:
    """(level, is a span lifecycle line, the text to search) of a log line, JSON or text."""
    line = line.strip()
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            fields = obj.get("fields") or {}
            message = fields.get("message") if isinstance(fields, dict) else None
            lifecycle = message in ("new", "close", "enter", "exit") and "span" in obj
            return str(obj.get("level", "")).upper() or None, lifecycle, line
    m = TEXT_LEVEL.match(line)
    level = m.group(1) if m else None
    lifecycle = bool(re.search(r"\b(close|new) time\.busy=|: close time\.busy=", line)) or \
        bool(re.search(r"\btime\.busy=\S+ time\.idle=", line))
    return level, lifecycle, line


def check_log(w: Window, path: str, failures: Failures, max_warn: int,
              assert_phrases: bool) -> str:
    lines = log_lines(path, w.log_from, w.log_to or os.path.getsize(path))
    down, back, loud = [], [], []
    for i, line in enumerate(lines):
        level, lifecycle, text = parse_line(line)
        if level in ("WARN", "ERROR"):
            loud.append(line)
        if lifecycle:
            continue
        if "database unavailable" in text:
            down.append(i)
        if "database available again" in text:
            back.append(i)
    summary = (f"{len(lines)} log lines: {len(down)} 'database unavailable', {len(back)} "
               f"'database available again', {len(loud)} at WARN/ERROR")
    if not assert_phrases:
        return summary
    if len(down) != 1:
        failures.add(f"C: {w.label()}: {len(down)} log lines contain 'database unavailable' "
                     f"(exactly one per outage)" + sample(lines, down))
    if len(back) != 1:
        failures.add(f"C: {w.label()}: {len(back)} log lines contain 'database available "
                     f"again' (exactly one after the database comes back)" + sample(lines, back))
    if len(down) == 1 and len(back) == 1 and back[0] < down[0]:
        failures.add(f"C: {w.label()}: 'database available again' is logged before "
                     f"'database unavailable'")
    if len(loud) > max_warn:
        kinds: dict[str, int] = {}
        for line in loud:
            level, _, _ = parse_line(line)
            key = message_of(line)
            kinds[f"{level} {key}"] = kinds.get(f"{level} {key}", 0) + 1
        top = sorted(kinds.items(), key=lambda kv: -kv[1])[:4]
        failures.add(f"C: {w.label()}: {len(loud)} log lines at WARN or ERROR (at most "
                     f"{max_warn} per outage, whatever the load); most frequent: "
                     + "; ".join(f"{n}x {k[:160]}" for k, n in top))
    return summary


def message_of(line: str) -> str:
    try:
        obj = json.loads(line)
        text = str((obj.get("fields") or {}).get("message"))
    except (ValueError, AttributeError):
        text = re.sub(r"^\S+\s+\S+\s+", "", line)
    return " ".join(text.split())[:160]


def sample(lines: list[str], idx: list[int]) -> str:
    if not idx:
        return ""
    return "; e.g. " + " | ".join(lines[i][:200] for i in idx[:2])


# --------------------------------------------------------------------------- webhooks (E)


def subscribe(api: OutageApi, ent: crash.Enterprise, port: int) -> int:
    hook = api.ok("POST", "/webhooks", ent.token,
                  {"url": f"http://127.0.0.1:{port}/finmatch/events", "events": HOOK_EVENTS},
                  201)
    return hook["id"]


def check_webhooks(api: OutageApi, receiver: Receiver, journal: crash.Journal, ent: crash.Enterprise,
                   hook_id: int, failures: crash.Failures, wait: float) -> str:
    matches = {m.id: m for d in ent.demands for m in d.matches}
    loans = {lid for m in matches.values() for lid in m.loans}
    required: set[tuple[str, int]] = set()
    for a in journal.ack_list:
        kind, oid = a.get("kind"), a.get("id")
        if kind == "match" and oid in matches:
            required.add(("match.created", oid))
        elif kind in TRANSITION_EVENT and oid in matches:
            required.add((TRANSITION_EVENT[kind], oid))
        elif kind == "disbursement" and oid in loans:
            required.add(("loan.disbursed", oid))
    began = time.monotonic()
    deadline = began + wait
    outstanding = None
    while True:
        logged = api.items(f"/webhooks/{hook_id}/deliveries", ent.token)
        got = receiver.snapshot()
        received = {d for d, _, _ in got}
        pending = [d for d in logged if d["status"] == "pending"]
        unreceived = [d for d in logged if d["delivery_id"] not in received]
        if outstanding is None:
            outstanding = len({d["delivery_id"] for d in pending + unreceived})
        if (not pending and not unreceived) or time.monotonic() > deadline:
            break
        time.sleep(1)
    for d in logged:
        if d["status"] != "delivered":
            failures.add(f"E: delivery {d['delivery_id']} ({d['event']}) is {d['status']} after "
                         f"{wait:g}s (attempts {d['attempts']}, last error {d['last_error']})")
    lost = [d for d in logged if d["delivery_id"] not in received]
    for d in lost[:5]:
        failures.add(f"E: delivery {d['delivery_id']} ({d['event']}, {d['status']}) never "
                     f"reached the receiver")
    ids = {d["delivery_id"] for d in logged}
    by_key: dict[tuple[str, int], set[str]] = {}
    copies: dict[str, int] = {}
    phantom = 0
    for delivery, event, body in got:
        copies[str(delivery)] = copies.get(str(delivery), 0) + 1
        if delivery not in ids:
            phantom += 1
            if phantom <= 3:
                failures.add(f"E: received delivery {delivery} ({event}) that the server's "
                             f"delivery log does not have")
        if not isinstance(body, dict) or body.get("id") != delivery or body.get("event") != event:
            failures.add(f"E: delivery {delivery}: body id/event {str(body)[:200]} do not match "
                         f"the X-Finmatch-Delivery / X-Finmatch-Event headers")
            continue
        data = body.get("data") or {}
        by_key.setdefault((str(event), data.get("id")), set()).add(str(delivery))
    doubled = {k: v for k, v in by_key.items() if len(v) > 1}
    for (event, oid), uids in sorted(doubled.items())[:5]:
        failures.add(f"E: {event} of {oid} was delivered under {len(uids)} delivery ids "
                     f"({', '.join(sorted(uids))}): the work was done twice")
    missing = sorted(required - set(by_key))
    for event, oid in missing[:5]:
        failures.add(f"E: {event} of {oid} (an acknowledged write) never arrived")
    redelivered = sum(1 for n in copies.values() if n > 1)
    return (f"webhooks: {len(logged)} deliveries logged ({outstanding} still pending or unreceived "
            f"when this check began, waited {time.monotonic() - began:.0f}s for them), "
            f"{len(copies)} distinct received "
            f"({redelivered} more than once, same id), {len(required)} required by acknowledged "
            f"writes, {len(lost)} lost, {len(missing)} missing, {len(doubled)} doubled")


# --------------------------------------------------------------------------- main


def connect_refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def wait_recovery(w: Window, server: crash.Server, failures: crash.Failures, limit: float,
                  what: str) -> None:
    """D: /readyz 200 and a write acknowledged within `limit` s of `w.end`; waits up to 60 s
    more before giving up on the run."""
    assert w.end is not None
    while time.monotonic() < w.end + limit + 60:
        if server.proc is None or server.proc.poll() is not None:
            raise SystemExit(f"outage: finmatch exited during {w.label()}; server log:\n"
                             f"{server.tail()}")
        if w.ready_at is not None and w.write_at is not None:
            break
        time.sleep(0.1)
    ready = None if w.ready_at is None else w.ready_at - w.end
    write = None if w.write_at is None else w.write_at - w.end
    if ready is None or ready > limit:
        failures.add(f"D: {w.label()}: /readyz not 200 within {limit:g}s of {what} "
                     f"({'never' if ready is None else f'after {ready:.1f}s'})")
    if write is None or write > limit:
        failures.add(f"D: {w.label()}: no write acknowledged within {limit:g}s of {what} "
                     f"({'never' if write is None else f'after {write:.1f}s'})")
    if ready is None or write is None:
        raise SystemExit(f"outage: finmatch did not recover from {w.label()} in "
                         f"{limit + 60:g}s; giving up")
    w.settled = max(w.end + limit, w.ready_at or 0, w.write_at or 0)
    log(f"{w.label()}: ready again {ready:.1f}s and first write acknowledged {write:.1f}s "
        f"after {what}")


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    binary, db_url, port, workdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    cuts = int(os.environ.get("FM_OUTAGE_CUTS", "2"))
    down_for = env_float("FM_OUTAGE_DOWN", 12)
    threads = int(os.environ.get("FM_OUTAGE_THREADS", "8"))
    seed = int(os.environ.get("FM_OUTAGE_SEED") or random.randrange(1, 10**6))
    warm = env_float("FM_OUTAGE_WARM", 4)
    between = env_float("FM_OUTAGE_BETWEEN", 5)
    db_timeout_ms = os.environ.get("FM_OUTAGE_DB_TIMEOUT_MS")
    db_timeout = int(db_timeout_ms or 2000) / 1000
    hang = env_float("FM_OUTAGE_HANG", 5)
    max_warn = int(os.environ.get("FM_OUTAGE_MAX_WARN", "5"))
    recovery = env_float("FM_OUTAGE_RECOVERY", 10)
    hook_wait = env_float("FM_OUTAGE_HOOK_WAIT", 150)
    hold = env_float("FM_OUTAGE_FULL_HOLD", 6)
    tmpfs = os.environ.get("FM_OUTAGE_TMPFS", "")
    sqlite = db_url.startswith("sqlite:")
    if sqlite and not tmpfs:
        print("outage: FM_OUTAGE_TMPFS (the tmpfs holding the SQLite database) is not set",
              file=sys.stderr)
        return 2
    rng = random.Random(seed)
    log(f"seed {seed} (FM_OUTAGE_SEED={seed}), {threads} threads + 1 webhook enterprise, "
        f"{cuts} {'disk-full periods' if sqlite else 'outages'} of "
        f"{'until refused + ' + format(hold, 'g') if sqlite else format(down_for, 'g')}s")

    failures = Failures(os.path.join(workdir, "failures.txt"))
    phases = Phases()
    stats = Stats()
    proxy: Proxy | None = None
    filler: Filler | None = None
    served_url = db_url
    if not sqlite:
        u = urllib.parse.urlsplit(db_url)
        proxy = Proxy((u.hostname or "127.0.0.1", u.port or 5432),
                      int(os.environ.get("FM_OUTAGE_PROXY_PORT") or 0))
        pport = proxy.start()
        netloc = (u.netloc.rsplit("@", 1)[0] + "@" if "@" in u.netloc else "") + \
            f"127.0.0.1:{pport}"
        served_url = urllib.parse.urlunsplit((u.scheme, netloc, u.path, u.query, u.fragment))
        log(f"PostgreSQL proxy on 127.0.0.1:{pport} -> {u.hostname}:{u.port or 5432}")
    else:
        filler = Filler(tmpfs)
        filler.remove()
    receiver = Receiver(int(os.environ.get("FM_OUTAGE_HOOK_PORT") or 0))
    log(f"webhook receiver on 127.0.0.1:{receiver.port}")

    server = crash.Server(binary, served_url, port, workdir)
    server.env.update(FINMATCH_LOG="info", NO_COLOR="1",
                      FINMATCH_WEBHOOK_ALLOW_NETWORKS="127.0.0.0/8",
                      # the load is many requests a second on a few tokens
                      FINMATCH_RATE_LIMIT="0", FINMATCH_RATE_LIMIT_ANON="0")
    if db_timeout_ms:
        server.env["FINMATCH_DB_TIMEOUT_MS"] = db_timeout_ms
    api = OutageApi(server, failures, phases, stats, db_timeout, hang,
                    env_float("FM_OUTAGE_CLIENT_TIMEOUT", 15))
    journal = crash.Journal(os.path.join(workdir, "journal.jsonl"))
    load: OutageLoad | None = None
    probes: Probes | None = None
    started_all = time.monotonic()
    try:
        took = server.start()
        log(f"finmatch ready in {took:.1f}s; building the world")
        world = crash.build_world(api, rng, threads + 1)
        hook_ent = world["enterprises"][threads]
        hook_id = subscribe(api, hook_ent, receiver.port)

        load = OutageLoad(api, journal, world, seed, failures, phases, {threads: 0.1})
        workers = [threading.Thread(target=load.run, args=(i,), daemon=True, name=f"load-{i}")
                   for i in range(threads + 1)]
        probes = Probes(api, world, phases, stats, failures)
        started = time.monotonic()
        for t in workers:
            t.start()
        probes.start()
        time.sleep(warm)

        for n in range(1, cuts + 1):
            before = journal.acks
            w = phases.open("full" if sqlite else "cut", os.path.getsize(server.log_path))
            if proxy is not None:
                log(f"outage {n}: cutting the database off at {w.start - started:.1f}s of load "
                    f"({before} acknowledged writes so far)")
                closed = proxy.cut()
                refused = connect_refused(proxy.port)
                log(f"outage {n}: {closed} proxied connections reset; a new connection is "
                    f"{'refused' if refused else 'NOT refused'}")
                if not refused:
                    failures.add(f"proxy: outage {n}: a connection to the cut proxy was not "
                                 f"refused")
                time.sleep(down_for)
                proxy.restore()
                w.end = time.monotonic()
                log(f"outage {n}: database back after {w.end - w.start:.1f}s "
                    f"({w.n503} answers 503 so far, max {w.max503:.2f}s)")
                wait_recovery(w, server, failures, recovery, "the database coming back")
            else:
                assert filler is not None
                free = filler.free()
                filled = filler.fill()
                log(f"disk full {n}: at {w.start - started:.1f}s of load ({before} acknowledged "
                    f"writes so far) a {filled / 2**20:.1f} MiB filler took the last "
                    f"{free / 2**20:.1f} MiB of the tmpfs")
                deadline = time.monotonic() + 30
                while w.first_refused is None and time.monotonic() < deadline:
                    if server.proc is None or server.proc.poll() is not None:
                        raise SystemExit(f"outage: finmatch exited with the disk full; "
                                         f"server log:\n{server.tail()}")
                    filler.fill()  # whatever SQLite gave back
                    time.sleep(0.1)
                if w.first_refused is None:
                    failures.add(f"F: {w.label()}: no write was refused within 30 s of "
                                 f"filling the disk (free now: {filler.free()} bytes)")
                else:
                    log(f"disk full {n}: first write refused {w.first_refused - w.start:.1f}s "
                        f"after filling; holding the disk full {hold:g}s")
                time.sleep(hold)
                filler.remove()
                w.end = time.monotonic()
                log(f"disk full {n}: disk freed after {w.end - w.start:.1f}s ({w.refused_writes} "
                    f"writes refused, {w.n503} answers 503, max {w.max503:.2f}s)")
                wait_recovery(w, server, failures, recovery, "freeing the disk")
            time.sleep(between)
            w.log_to = os.path.getsize(server.log_path)
            summary = check_log(w, server.log_path, failures, max_warn, assert_phrases=not sqlite)
            log(f"{w.label()}: {summary}")
            if proxy is not None and w.n503 == 0:
                failures.add(f"A: {w.label()}: no request answered 503 while the database was "
                             f"cut off")

        load.stop.set()
        for t in workers:
            t.join(timeout=60)
            if t.is_alive():
                failures.add(f"{t.name} still running 60 s after the load stopped")
        probes.join()
        log(f"load stopped after {time.monotonic() - started:.1f}s: {journal.attempts} writes "
            f"sent, {journal.acks} acknowledged, {journal.unacked} refused or unanswered; "
            + ", ".join(f"{k} {v}" for k, v in sorted(journal.by_kind.items())))

        retried = load.retry_unacked_creates()
        if retried:
            log("refused creates retried with their Idempotency-Key: "
                + ", ".join(f"{k}: {v}" for k, v in sorted(retried.items())))
            stuck = sum(v for k, v in retried.items() if "idempotency_key_in_progress" in k)
            if stuck:
                failures.add(f"{stuck} Idempotency-Keys of creates refused during an outage "
                             f"stay 'in progress' (409 idempotency_key_in_progress)")

        counts = crash.verify(api, world, failures)
        log(f"checked {counts['demands']} demands, {counts['matches']} matches, "
            f"{counts['loans']} loans (the server holds {counts['server_demands']} / "
            f"{counts['server_matches']} / {counts['server_loans']}); {counts['lost']} lost")

        log(check_webhooks(api, receiver, journal, hook_ent, hook_id, failures, hook_wait))

        if sqlite:
            server.stop()
            db_path = db_url.split("://", 1)[1].split("?", 1)[0]
            con = sqlite3.connect(db_path)
            try:
                result = [r[0] for r in con.execute("PRAGMA integrity_check")]
            finally:
                con.close()
            if result != ["ok"]:
                failures.add(f"F: PRAGMA integrity_check after the server stopped: "
                             f"{'; '.join(map(str, result[:5]))}")
            log(f"PRAGMA integrity_check: {', '.join(map(str, result[:3]))}")
            server.start()
            again = crash.verify(api, world, failures)
            log(f"after a restart: {again['lost']} acknowledged writes lost")

        crash.compare_with_rebuild(api, world, server, failures)

        print(f"outage test: {cuts} {'disk-full periods' if sqlite else 'outages'}, "
              f"{journal.acks} writes acknowledged, {stats.n503} answered 503 "
              f"(max {stats.max503:.1f} s), readyz max {stats.readyz_max:.1f} s, "
              f"{counts['lost']} lost; took {time.monotonic() - started_all:.0f}s", flush=True)
        if failures.items:
            print(f"outage test FAILED: {len(failures.items)} problems; by clause: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(by_clause(failures)))
                  + "; each kind once (how many times):\n" + failures.summary(),
                  file=sys.stderr)
            return 1
        return 0
    finally:
        if load is not None:
            load.stop.set()
        if probes is not None:
            probes.stop.set()
        if server.proc is not None:
            server.kill9()
        if proxy is not None:
            proxy.stop()
        if filler is not None:
            filler.remove()
        receiver.stop()


def by_clause(failures: crash.Failures) -> list[tuple[str, int]]:
    out: dict[str, int] = {}
    for f in failures.items:
        m = re.match(r"([A-F]|proxy|LOST):", f) or re.match(r"(LOST) ", f)
        k = m.group(1) if m else "other"
        out[k] = out.get(k, 0) + 1
    return list(out.items())


if __name__ == "__main__":
    sys.exit(main())
