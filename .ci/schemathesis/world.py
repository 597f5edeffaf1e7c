"""The world schemathesis fuzzes in, and the ids each role may use in it.

    python world.py setup BASE_URL ADMIN_PASSWORD WORKDIR
        logs in one user of every role (tokens in WORKDIR/tokens.json) and adds to the
        seed-demo world what the demo seed lacks: guaranteed loans (for the guarantor),
        subsidy claims in every state, qualifications, webhooks, targets, policies of the
        office and the admin, extra demands and applied/accepted matches.
    python world.py pools BASE_URL WORKDIR ROLE
        asks the running server, as ROLE, what it can see right now and writes
        WORKDIR/fixture-ROLE.json: the pools of ids hooks.py draws path parameters and body
        ids from (a demand the role owns and that is still open, a match in the state an
        action needs, a claim still submitted, ...).

Only the standard library; only 127.0.0.1 (the base URL is checked).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

DEMO_PASSWORD = "demo-password"
# The user that plays each role (seed-demo's names, src/seed.rs).
ROLE_USERS = {
    "admin": "admin",
    "finance_office": "demo_office_1",  # 山东省 (37): half of the demo enterprises
    "bank": "demo_bank_1",
    "guarantor": "demo_guarantor_1",
    "enterprise": "demo_ent_1",
}
# Further enterprises that only help to build the world (applied matches for the bank).
HELPER_ENTERPRISES = ["demo_ent_2", "demo_ent_3", "demo_ent_4", "demo_ent_5", "demo_ent_6"]

TODAY = dt.date.today()


class Api:
    def __init__(self, base: str, token: str | None = None) -> None:
        host = urllib.parse.urlsplit(base).hostname
        if host != "127.0.0.1":
            raise SystemExit(f"world.py: refusing to talk to {host!r}: only 127.0.0.1")
        self.base = base.rstrip("/") + "/api/v1"
        self.token = token

    def call(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json", "accept": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                status = response.status
                ctype = response.headers.get("content-type", "")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            status = exc.code
            ctype = exc.headers.get("content-type", "")
        if "json" in ctype and raw:
            try:
                return status, json.loads(raw)
            except ValueError:
                return status, raw
        return status, raw

    def ok(self, method: str, path: str, body: object = None, what: str = "") -> object | None:
        status, payload = self.call(method, path, body)
        if 200 <= status < 300:
            return payload
        detail = payload.get("code") if isinstance(payload, dict) else payload
        print(f"   world: {method} {path} ({what}) -> {status} {str(detail)[:160]}", file=sys.stderr)
        return None

    def items(self, path: str, cap: int = 2000) -> list[dict]:
        """Every item of a paged list (up to cap)."""
        out: list[dict] = []
        sep = "&" if "?" in path else "?"
        cursor = None
        while len(out) < cap:
            url = f"{path}{sep}limit=200" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
            status, page = self.call("GET", url)
            if status != 200 or not isinstance(page, dict):
                break
            out.extend(page.get("items") or [])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return out


def login(base: str, username: str, password: str) -> Api:
    api = Api(base)
    status, body = api.call("POST", "/auth/login", {"username": username, "password": password})
    if status != 200 or not isinstance(body, dict):
        raise SystemExit(f"world.py: login as {username} failed: {status} {body}")
    return Api(base, body["access_token"])


def d(day: dt.date) -> str:
    return day.isoformat()


def parse_day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


# --- setup ------------------------------------------------------------------------------------


def setup(base: str, admin_password: str, workdir: str) -> None:
    apis = {role: login(base, user, admin_password if role == "admin" else DEMO_PASSWORD)
            for role, user in ROLE_USERS.items()}
    me = {role: api.ok("GET", "/me", what="me") for role, api in apis.items()}
    org = {role: (m or {}).get("organization", {}).get("id") for role, m in me.items()}
    tokens = {role: api.token for role, api in apis.items()}
    with open(os.path.join(workdir, "tokens.json"), "w") as f:
        json.dump({"tokens": tokens, "org": org, "users": ROLE_USERS}, f)
    admin, office, bank = apis["admin"], apis["finance_office"], apis["bank"]
    guarantor, ent = apis["guarantor"], apis["enterprise"]
    sink = os.environ.get("FM_SINK_URL", "http://127.0.0.1:9/hook")

    # Extra demands of the enterprise user: PATCH, close and match-making each get their own.
    for i in range(18):
        ent.ok("POST", "/demands", {
            "amount": ["300000.00", "800000.00", "2000000.00", "5000000.00"][i % 4],
            "term_months": [12, 24, 6][i % 3],
            "purpose": ["working_capital", "equipment", "rnd", "expansion"][i % 4],
            "guarantee_methods": [["credit"], ["guarantee"], ["credit", "mortgage"], ["pledge"]][i % 4],
            "description": f"schemathesis world demand {i}",
        }, "extra demand")

    # Applied matches on the bank's products (so the bank has something to accept) and
    # on other products, made by several enterprises from their recommendations.
    bank_products = {p["id"] for p in bank.items(f"/products?bank_id={org['bank']}")}
    applied = 0
    for user in ["demo_ent_1", *HELPER_ENTERPRISES]:
        api = ent if user == "demo_ent_1" else login(base, user, DEMO_PASSWORD)
        demands = [x for x in api.items("/demands") if x.get("status") == "open"]
        # demo_ent_1 keeps most of its open demands for the fuzzing itself.
        for demand in demands[: (2 if user == "demo_ent_1" else 4)]:
            status, rec = api.call("GET", f"/demands/{demand['id']}/recommendations?limit=50")
            if status != 200:
                continue
            eligible = [r["product_id"] for r in rec.get("items", []) if r.get("eligible")]
            ours = [p for p in eligible if p in bank_products][:2]
            for product in ours:
                if api.ok("POST", "/matches", {"demand_id": demand["id"], "product_id": product}, "apply"):
                    applied += 1
    # The bank claims a few candidate demands (accepted matches to approve or reject).
    for product in sorted(bank_products)[:6]:
        status, cand = bank.call("GET", f"/products/{product}/candidates?limit=5")
        if status == 200:
            for c in cand.get("items", [])[:1]:
                bank.ok("POST", "/matches", {"demand_id": c["demand_id"], "product_id": product}, "claim")

    # Guaranteed loans (the guarantor sees loans it guarantees): disburse some approved matches.
    guaranteed = []
    for m in bank.items("/matches?state=approved")[:4]:
        loan = bank.ok("POST", f"/matches/{m['id']}/disbursements", {
            "amount": "100000.00", "annual_rate": "3.50", "term_months": 12,
            "disbursed_on": d(TODAY - dt.timedelta(days=60)), "first_loan": False,
            "guarantee": {"guarantor_id": org["guarantor"], "fee_rate": "1.00", "counter_guarantee": "credit"},
        }, "guaranteed disbursement")
        if isinstance(loan, dict):
            guaranteed.append(loan)

    # Renewals (续贷) of the bank's open loans: some left requested, some approved, so that
    # approve, reject, withdraw and disburse have something to act on.
    renewals = []
    for loan in bank.items("/loans?status=current")[4:12]:
        body = {"amount": "1000.00", "term_months": 12, "no_principal_repayment": True}
        r = bank.ok("POST", f"/loans/{loan['id']}/renewals", body, "renewal")
        if isinstance(r, dict):
            renewals.append(r)
    for r in renewals[::2]:
        bank.ok("POST", f"/renewals/{r['id']}/approve",
                {"approved_amount": "1000.00", "annual_rate": "3.45", "term_months": 12}, "approve renewal")

    # A risk scheme of the office's region (政银担 4321, 风险补偿): the bank enrolls current
    # loans, classifies some NPL and claims on them; claims left submitted, approved and paid so
    # approve, reject, pay and recoveries have something to act on.
    scheme = office.ok("POST", "/risk-schemes", {
        "name": "schemathesis 4321", "kind": "risk_sharing", "capital": "100000000.00", "leverage": "10",
        "shares": {"government": "10", "guarantor": "40", "reguarantor": "30", "bank": "20"},
        "max_compensation_percent": "80", "effective_from": "2020-01-01",
    }, "risk scheme")
    if isinstance(scheme, dict):
        enrolled = []
        current = bank.items("/loans?status=current")
        for loan in current[12:24] or current[:4]:
            e = bank.ok("POST", f"/risk-schemes/{scheme['id']}/enrollments", {"loan_id": loan["id"]}, "enroll")
            if isinstance(e, dict):
                enrolled.append(e)
        claims_made = []
        for e in enrolled[:8]:
            if bank.ok("POST", f"/loans/{e['loan_id']}/events", {"kind": "npl", "on": d(TODAY)}, "npl"):
                c = bank.ok("POST", "/compensation-claims",
                            {"enrollment_id": e["id"], "loss_principal": "1000.00"}, "compensation claim")
                if isinstance(c, dict):
                    claims_made.append(c)
        for c in claims_made[2:6]:
            office.ok("POST", f"/compensation-claims/{c['id']}/approve", None, "approve compensation")
        for c in claims_made[4:6]:
            office.ok("POST", f"/compensation-claims/{c['id']}/pay",
                      {"paid_on": d(TODAY), "reference": "schemathesis"}, "pay compensation")

    # A bridge fund of the office's region (应急转贷).
    office.ok("POST", "/bridge-funds", {
        "name": "schemathesis 转贷基金", "capital": "50000000.00", "daily_fee_rate": "0.02",
        "max_days": 30, "max_amount": "5000000.00", "max_share_of_renewal": "95",
    }, "bridge fund")

    policies = admin.items("/policies")
    interest = [p["id"] for p in policies if p.get("kind") == "interest_subsidy"]
    fee = [p["id"] for p in policies if p.get("kind") == "guarantee_fee_subsidy"]

    def claim(api: Api, policy: int, loan: dict, k: int) -> dict | None:
        start = parse_day(loan["disbursed_on"]) + dt.timedelta(days=30 * k)
        body = {"policy_id": policy, "loan_id": loan["id"], "period_start": d(start),
                "period_end": d(start + dt.timedelta(days=30))}
        out = api.ok("POST", "/subsidy-claims", body, "claim")
        return out if isinstance(out, dict) else None

    # Claims for the office to approve, reject and pay (loans of its region), for the
    # enterprise (its own loans) and for the guarantor (guarantee-fee claims payable to it).
    office_loans = office.items("/loans")
    made = []
    for i, loan in enumerate(office_loans[:12]):
        if interest:
            c = claim(office, interest[0], loan, 0)
            if c:
                made.append(c)
    for c in made[:4]:
        office.ok("POST", f"/subsidy-claims/{c['id']}/approve", None, "approve claim")
    for loan in ent.items("/loans")[:2]:
        if interest:
            claim(ent, interest[0], loan, 1)
    for loan in guaranteed:
        if fee:
            claim(bank, fee[0], loan, 0)

    # A claim still submitted when its policy is suspended (a policy with claims can still be
    # suspended): what approving, rejecting and reading such a claim answer is part of the contract.
    suspended = office.ok("POST", "/policies", {
        "name": "schemathesis suspended policy", "kind": "interest_subsidy",
        "effective_from": d(TODAY.replace(month=1, day=1) - dt.timedelta(days=730)), "budget": "5000000.00",
        "rule": {"base": "fixed_points", "points": "1.00", "day_count": "act_360", "max_months": 24},
    }, "policy to suspend")
    if isinstance(suspended, dict):
        for loan in office_loans[12:14]:
            claim(office, suspended["id"], loan, 0)
        office.ok("POST", f"/policies/{suspended['id']}/suspend", None, "suspend")

    # Policies the office and the admin own: some to PUT, some to suspend.
    rule = {"base": "fixed_points", "points": "1.00", "day_count": "act_360", "max_months": 12}
    for api, who in ((office, "office"), (admin, "admin")):
        for i in range(8):
            api.ok("POST", "/policies", {
                "name": f"schemathesis {who} policy {i}", "kind": "interest_subsidy",
                "effective_from": d(TODAY.replace(month=1, day=1)), "budget": "5000000.00", "rule": rule,
            }, "policy")
        for i in range(3):
            api.ok("POST", "/targets", {
                "name": f"schemathesis {who} target {i}", "metric": "disbursed_amount",
                "value": "100000000.00", "from": d(TODAY.replace(month=1, day=1)),
                "to": d(TODAY.replace(month=12, day=31)),
            }, "target")

    # Qualifications of the enterprise user (to list and to delete).
    kinds = ["innovative_sme", "specialized_sme", "high_tech", "tech_sme", "gazelle", "little_giant"]
    levels = ["municipal", "provincial", "national"]
    for i in range(12):
        ent.ok("POST", f"/enterprises/{org['enterprise']}/qualifications", {
            "kind": kinds[i % len(kinds)], "level": levels[i % 3],
            "certified_on": d(TODAY - dt.timedelta(days=100 + i)),
            "expires_on": d(TODAY + dt.timedelta(days=700 + i)), "certificate_no": f"ST-WORLD-{i}",
        }, "qualification")

    # Webhooks (to the local sink only): a few kept for deliveries, more to delete.
    for role in ("bank", "guarantor", "enterprise"):
        for i in range(14):
            apis[role].ok("POST", "/webhooks", {"url": f"{sink}/{role}/{i}", "events": [
                "match.created", "match.accepted", "match.approved", "loan.disbursed",
                "subsidy_claim.approved", "subsidy_claim.paid"]}, "webhook")

    # Organizations the admin can add users to.
    for kind, region in (("bank", None), ("guarantor", None), ("finance_office", "3702")):
        body = {"kind": kind, "name": f"schemathesis world {kind}"}
        if region:
            body["region_code"] = region
        created = admin.ok("POST", "/organizations", body, "organization")
        if isinstance(created, dict):
            for i in range(3):
                admin.ok("POST", f"/organizations/{created['id']}/users",
                         {"username": f"st_spare_{kind}_{i}", "password": "spare-password-1"}, "spare user")
    print(f"   world: {applied} applied matches, {len(guaranteed)} guaranteed loans, {len(made)} office claims",
          file=sys.stderr)


# --- pools ------------------------------------------------------------------------------------


def split(ids: list, parts: int) -> list[list]:
    """Deal ids round-robin into `parts` disjoint pools (so one action does not eat another's)."""
    return [ids[i::parts] for i in range(parts)]


def pools(base: str, workdir: str, role: str) -> None:
    with open(os.path.join(workdir, "tokens.json")) as f:
        info = json.load(f)
    api = Api(base, info["tokens"][role])
    org = info["org"][role]
    me = api.ok("GET", "/me", what="me") or {}
    region = (me.get("organization") or {}).get("region_code")
    fx: dict[str, object] = {"role": role, "org_id": org, "region": region,
                             "username": info["users"][role], "today": d(TODAY)}
    if role != "admin":
        fx["password"] = DEMO_PASSWORD

    demands = api.items("/demands")
    matches = api.items("/matches")
    loans = api.items("/loans")
    products = api.items("/products")
    claims = api.items("/subsidy-claims")
    policies = api.items("/policies")
    orgs = api.items("/organizations")
    enterprises = api.items("/enterprises") if role in ("admin", "finance_office") else []
    if role == "enterprise":
        enterprises = [{"id": org, **(me.get("organization") or {})}]

    own = (lambda x: x.get("enterprise_id") == org) if role == "enterprise" else (lambda x: role == "admin")
    fx["demands"] = [x["id"] for x in demands]
    open_own = [x["id"] for x in demands if x.get("status") == "open" and own(x)]
    live_own = [x["id"] for x in demands if x.get("status") in ("open", "in_progress") and own(x)]
    # Open demands: a third to PATCH, a third to close, a third for POST /matches (below).
    patch_pool, close_pool, match_pool = split(open_own, 3)
    fx["demands_open"] = patch_pool or open_own
    fx["demands_closable"] = (close_pool + [x for x in live_own if x not in open_own]) or live_own

    by_state: dict[str, list[int]] = {}
    for m in matches:
        by_state.setdefault(m.get("state"), []).append(m["id"])
    fx["matches"] = [m["id"] for m in matches]
    for state in ("applied", "accepted", "approved", "disbursed"):
        fx[f"matches_{state}"] = by_state.get(state, [])
    fx["matches_disbursable"] = by_state.get("approved", []) + by_state.get("disbursed", [])

    fx["loans"] = [x["id"] for x in loans]
    fx["loan_info"] = {str(x["id"]): {"disbursed_on": x.get("disbursed_on"), "amount": x.get("amount"),
                                      "term_months": x.get("term_months"), "enterprise_id": x.get("enterprise_id")}
                       for x in loans}
    renewals = api.items("/renewals")
    fx["renewals"] = [x["id"] for x in renewals]
    for state in ("requested", "approved"):
        fx[f"renewals_{state}"] = [x["id"] for x in renewals if x.get("state") == state]
    fx["loans_renewable"] = [x["id"] for x in loans if x.get("status") in ("current", "overdue")]
    fx["bridge_funds"] = [x["id"] for x in api.items("/bridge-funds")]
    fx["risk_schemes"] = [x["id"] for x in api.items("/risk-schemes")]
    comp = api.items("/compensation-claims")
    fx["compensation_claims"] = [x["id"] for x in comp]
    for state in ("submitted", "approved", "paid"):
        fx[f"compensation_{state}"] = [x["id"] for x in comp if x.get("state") == state]
    enrollments = [e for s in fx["risk_schemes"][:3] for e in api.items(f"/risk-schemes/{s}/enrollments")]
    fx["enrollments"] = [e["id"] for e in enrollments]
    bridges = api.items("/bridge-loans")
    fx["bridges"] = [x["id"] for x in bridges]
    fx["products"] = [x["id"] for x in products]
    fx["products_own"] = [x["id"] for x in products if role == "bank" and x.get("bank_id") == org]
    fx["enterprises"] = [x["id"] for x in enterprises]
    fx["enterprise_region"] = {str(x["id"]): x.get("region_code") for x in enterprises}
    fx["enterprises_editable"] = fx["enterprises"] if role in ("admin", "enterprise") else []
    quals: list[list[int]] = []
    for e in fx["enterprises"][:20]:
        for q in api.items(f"/enterprises/{e}/qualifications"):
            quals.append([e, q["id"]])
    # The enterprise deletes its own qualifications; the admin anyone's. Keep some for GETs.
    fx["qualifications"] = quals[2:] if role in ("enterprise", "admin") else []

    fx["organizations"] = [x["id"] for x in orgs]
    fx["organizations_users"] = [x["id"] for x in orgs if x.get("kind") in ("bank", "guarantor", "finance_office")
                                 and role == "admin"]
    fx["guarantors"] = [x["id"] for x in orgs if x.get("kind") == "guarantor"]
    # Users that may be disabled and enabled: only those of the world's own organizations.
    role_users = set(info["users"].values())
    fx["users_spare"] = [u["id"] for o in orgs if str(o.get("name", "")).startswith("schemathesis world")
                         for u in api.items(f"/organizations/{o['id']}/users")
                         if u.get("username") not in role_users] if role == "admin" else []

    fx["policies"] = [x["id"] for x in policies]
    mine = [x for x in policies if x.get("owner_organization_id") == org and x.get("status") == "active"]
    claimed = {c.get("policy_id") for c in claims}
    unclaimed = [x["id"] for x in mine if x["id"] not in claimed]
    put_pool, suspend_pool = split(unclaimed, 2)
    fx["policies_mutable"] = put_pool
    fx["policies_suspendable"] = suspend_pool
    # Batch claims: a finance office under its own policies, a bank or an admin under any.
    # Awards are claimed one by one, not per loan: no batch, quote or simulation.
    per_loan = [x for x in policies if x.get("kind") in ("interest_subsidy", "guarantee_fee_subsidy")]
    fx["policies_per_loan"] = [x["id"] for x in per_loan]
    fx["policies_batch"] = [x["id"] for x in per_loan if x.get("status") == "active"
                            and (role in ("bank", "admin") or x.get("owner_organization_id") == org)]
    fx["policies_interest"] = [x["id"] for x in policies if x.get("kind") == "interest_subsidy"
                               and x.get("status") == "active" and x["id"] not in suspend_pool]
    fx["policy_kind"] = {str(x["id"]): x.get("kind") for x in policies}

    fx["claims"] = [c["id"] for c in claims]
    suspended = {x["id"] for x in policies if x.get("status") != "active"}
    # Claims under a suspended policy first: both pools get one.
    submitted = sorted((c for c in claims if c.get("state") == "submitted"),
                       key=lambda c: (c.get("policy_id") not in suspended, c["id"]))
    approve_pool, reject_pool = split([c["id"] for c in submitted], 2)
    fx["claims_approvable"] = approve_pool
    fx["claims_rejectable"] = reject_pool
    fx["claims_payable"] = [c["id"] for c in claims if c.get("state") == "approved"]
    # Loans the role may claim on: (policy, loan) pairs; periods are chosen per case.
    # Interest policies that cover the loans: platform-wide ones, and the office's own.
    covering = [x["id"] for x in policies if x.get("kind") == "interest_subsidy" and x.get("status") == "active"
                and x["id"] not in suspend_pool and (x.get("region_prefix") in (None, "") or
                                                     (region and x.get("region_prefix") == region))]
    fx["claim_loans"] = [[p, x["id"]] for x in loans for p in covering[:3]]

    fx["targets"] = [x["id"] for x in api.items("/targets")] if role in ("admin", "finance_office") else []
    hooks_ = [x["id"] for x in api.items("/webhooks")]
    fx["webhooks_keep"] = hooks_[:3]
    fx["webhooks_delete"] = hooks_[3:]

    # Eligible (demand, product) pairs for POST /matches.
    pairs: list[list[int]] = []
    if role == "enterprise":
        for demand in match_pool:
            status, rec = api.call("GET", f"/demands/{demand}/recommendations?limit=50")
            if status == 200:
                pairs += [[demand, r["product_id"]] for r in rec.get("items", []) if r.get("eligible")]
    elif role == "bank":
        for product in fx["products_own"]:
            status, cand = api.call("GET", f"/products/{product}/candidates?limit=20")
            if status == 200:
                pairs += [[c["demand_id"], product] for c in cand.get("items", []) if c.get("eligible", True)]
    fx["match_pairs"] = pairs

    with open(os.path.join(workdir, f"fixture-{role}.json"), "w") as f:
        json.dump(fx, f, indent=1, ensure_ascii=False)
    sizes = {k: len(v) for k, v in fx.items() if isinstance(v, list)}
    print(f"   pools for {role}: " + ", ".join(f"{k}={v}" for k, v in sizes.items()), file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "setup":
        setup(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "pools":
        pools(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)
