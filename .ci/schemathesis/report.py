"""Per-operation 2xx counts from schemathesis HAR reports, and the coverage gate.

    python report.py BACKEND OPENAPI_JSON MIN_PERCENT ROLE=HAR [ROLE=HAR ...]

Prints a table (one row per operation of the document, one column per role: 2xx/requests),
writes it also as BACKEND-2xx.json beside the first HAR, and exits 1 when fewer than
MIN_PERCENT % of the document's operations got at least one 2xx response across all roles.
Requests to paths or methods the document does not declare (schemathesis' unsupported-method
probes) are counted apart.
"""

from __future__ import annotations

import collections
import json
import os
import re
import sys
import urllib.parse

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


def operations(doc: dict) -> list[tuple[str, str, re.Pattern, int]]:
    ops = []
    for path, item in doc.get("paths", {}).items():
        for method in item:
            if method in METHODS:
                pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
                ops.append((method.upper(), path, pattern, path.count("{")))
    return ops


def classify(ops: list, method: str, path: str) -> str | None:
    found = [op for op in ops if op[0] == method and op[2].match(path)]
    found.sort(key=lambda op: op[3])  # a literal segment beats a parameter
    return f"{found[0][0]} {found[0][1]}" if found else None


def junit_failures(runs: list[list[str]]) -> list[tuple[str, str, list[str]]]:
    """(role, operation, the check lines and reproduction of each failure) from junit.xml beside each HAR."""
    import xml.etree.ElementTree as ET

    out = []
    for role, har in runs:
        path = os.path.join(os.path.dirname(har), "junit.xml")
        if not os.path.exists(path):
            continue
        for case in ET.parse(path).getroot().iter("testcase"):
            for failure in list(case.findall("failure")) + list(case.findall("error")):
                text = failure.text or failure.get("message") or ""
                keep = [ln.strip() for ln in text.splitlines()
                        if re.match(r"\s*- ST\d+|\s*\[\d{3}\]|\s*curl |\s*Received:|\s*Error in", ln)]
                out.append((role, case.get("name", "?"), keep[:8]))
    return out


def main() -> int:
    backend, doc_path, min_percent = sys.argv[1], sys.argv[2], float(sys.argv[3])
    runs = [arg.split("=", 1) for arg in sys.argv[4:]]
    with open(doc_path) as f:
        doc = json.load(f)
    ops = operations(doc)
    # Operations run.sh excludes from fuzzing (FM_ST_EXCLUDE, a path regex) are not counted.
    exclude = os.environ.get("FM_ST_EXCLUDE")
    excluded = [f"{m} {p}" for m, p, _, _ in ops if exclude and re.search(exclude, p)]
    ops = [op for op in ops if not (exclude and re.search(exclude, op[1]))]
    labels = [f"{m} {p}" for m, p, _, _ in ops]
    roles = [role for role, _ in runs]
    ok: dict[str, collections.Counter] = {label: collections.Counter() for label in labels}
    total: dict[str, collections.Counter] = {label: collections.Counter() for label in labels}
    undeclared: collections.Counter = collections.Counter()
    statuses: dict[str, collections.Counter] = {role: collections.Counter() for role in roles}
    for role, har in runs:
        if not os.path.exists(har):
            print(f"report: no HAR for {role} ({har})", file=sys.stderr)
            continue
        with open(har) as f:
            entries = json.load(f).get("log", {}).get("entries", [])
        for entry in entries:
            method = entry["request"]["method"].upper()
            path = urllib.parse.urlsplit(entry["request"]["url"]).path
            status = entry["response"]["status"]
            statuses[role][status // 100 * 100] += 1
            label = classify(ops, method, path)
            if label is None:
                undeclared[role] += 1
                continue
            total[label][role] += 1
            if 200 <= status < 300:
                ok[label][role] += 1

    width = max(len(label) for label in labels) + 1
    cols = [r if len(r) <= 14 else r[:14] for r in roles]
    print(f"\nschemathesis on {backend}: 2xx responses / requests per operation and role")
    print(f"{'operation':<{width}}" + "".join(f"{c:>15}" for c in cols) + f"{'all roles':>15}")
    covered = 0
    for label in labels:
        cells = "".join(f"{f'{ok[label][r]}/{total[label][r]}':>15}" for r in roles)
        all_ok, all_n = sum(ok[label].values()), sum(total[label].values())
        covered += all_ok > 0
        mark = "" if all_ok else "   <- no 2xx"
        print(f"{label:<{width}}{cells}{f'{all_ok}/{all_n}':>15}{mark}")
    per_role = "".join(
        f"{f'{sum(1 for lb in labels if ok[lb][r])}/{len(labels)}':>15}" for r in roles
    )
    print(f"{'operations with a 2xx':<{width}}{per_role}{f'{covered}/{len(labels)}':>15}")
    print(f"{'requests (all)':<{width}}" + "".join(f"{sum(statuses[r].values()):>15}" for r in roles))
    for cls in (200, 400, 500):
        print(f"{f'  {cls // 100}xx':<{width}}" + "".join(f"{statuses[r][cls]:>15}" for r in roles))
    print(f"{'  to undeclared method/path':<{width}}" + "".join(f"{undeclared[r]:>15}" for r in roles))
    failures = junit_failures(runs)
    if failures:
        print(f"\nschemathesis failures on {backend} (from the JUnit reports):")
        for role, name, lines in failures:
            print(f"  [{role}] {name}")
            for line in lines:
                print(f"      {line}")
    if excluded:
        print(f"\nnot fuzzed (excluded in run.sh): {', '.join(excluded)}")
    percent = 100.0 * covered / max(1, len(labels))
    summary = {
        "backend": backend, "operations": len(labels), "covered": covered, "percent": round(percent, 1),
        "min_percent": min_percent,
        "per_operation": {lb: {r: [ok[lb][r], total[lb][r]] for r in roles} for lb in labels},
    }
    if runs:
        out = os.path.join(os.path.dirname(runs[0][1]) or ".", f"{backend}-2xx.json")
        with open(out, "w") as f:
            json.dump(summary, f, indent=1)
    verdict = "ok" if percent >= min_percent else "FAIL"
    print(f"\n{backend}: {covered}/{len(labels)} operations ({percent:.0f} %) got a 2xx; "
          f"required {min_percent:.0f} % -> {verdict}")
    return 0 if percent >= min_percent else 1


if __name__ == "__main__":
    sys.exit(main())
