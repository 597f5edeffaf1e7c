"""Load for benches/rss.sh: prints peak and final RSS of a finmatch process (from /proc).

  rss_load.py PID BASE logins N            N concurrent logins (unknown usernames, so every one
                                           runs argon2 against the dummy hash)
  rss_load.py PID BASE cursors N TOKEN ID  N recommendation reads by one enterprise, each a
                                           different cursor page (limit=200, include_ineligible)
  rss_load.py PID BASE addresses N         N anonymous calls, each from a different client
                                           address (X-Forwarded-For through a trusted proxy):
                                           one new key each for the per-address rate limiter
"""
import base64
import collections
import concurrent.futures as cf
import http.client
import json
import sys
import threading
import time
import urllib.parse


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def request(base, method, path, body=None, token=None):
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, len(data)


def main():
    pid, base, kind, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    before = rss_mb(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    statuses = collections.Counter()
    started = time.time()
    if kind == "logins":
        with cf.ThreadPoolExecutor(max_workers=n) as pool:
            jobs = [pool.submit(request, base, "POST", "/api/v1/auth/login",
                                {"username": f"nobody_{i}", "password": "wrong-password-123"})
                    for i in range(n)]
            for j in jobs:
                statuses[j.result()[0]] += 1
    elif kind == "addresses":
        local = threading.local()

        def call(i):
            # One kept-alive connection per worker: the flood is of addresses, not of sockets.
            if not hasattr(local, "conn"):
                u = urllib.parse.urlparse(base)
                local.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
            addr = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
            local.conn.request("GET", "/api/v1/policies", headers={"x-forwarded-for": addr})
            r = local.conn.getresponse()
            r.read()
            return r.status

        with cf.ThreadPoolExecutor(max_workers=8) as pool:
            for status in pool.map(call, range(n), chunksize=256):
                statuses[status] += 1
    else:
        token, demand = sys.argv[5], sys.argv[6]
        total_bytes = 0

        def read(i):
            cursor = base64.urlsafe_b64encode(f"off:{i}".encode()).decode().rstrip("=")
            return request(base, "GET", f"/api/v1/demands/{demand}/recommendations"
                           f"?limit=200&include_ineligible=true&cursor={cursor}", token=token)

        with cf.ThreadPoolExecutor(max_workers=8) as pool:
            for status, size in pool.map(read, range(n)):
                statuses[status] += 1
                total_bytes += size
        print(f"  bytes served: {total_bytes / 1e6:.0f} MB")
    elapsed = time.time() - started
    time.sleep(1)
    done.set()
    sampler.join()
    after = rss_mb(pid)
    peak[0] = max(peak[0], after)
    print(f"  {kind}: {n} requests in {elapsed:.1f} s, statuses {dict(statuses)}")
    print(f"  RSS before {before:.0f} MB, peak {peak[0]:.0f} MB, after {after:.0f} MB")


main()
