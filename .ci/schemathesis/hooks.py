"""schemathesis hooks: aim generated requests at the real world of one role.

Loaded with SCHEMATHESIS_HOOKS=.ci/schemathesis/hooks.py; FM_FIXTURE names the role's pools
(world.py pools), FM_SINK_URL the local webhook sink.

* before_call (every request of every phase: examples, coverage, fuzzing, stateful):
  - path parameters: an int64 `{id}` (and `{qid}`, `{year}` within 2000..2100) is replaced,
    in most cases, by an id from the pool the operation needs for this role (an open demand it
    owns, a match in the state the action moves from, a submitted claim, ...); the rest keep
    the generated value, so unknown ids (404) are still tried. Values that are not an int64
    (strings, floats, out of range) are never touched, so negative path-parameter cases stay
    negative. In the stateful phase OpenAPI links supply the ids and they are left alone.
  - the Idempotency-Key header of most positive cases gets a valid key (1-255 visible ASCII).
  - bodies of positive cases: most get their money, rate and date fields, the ids they refer
    to and the cross-field rules JSON Schema cannot say (min <= max, from <= to, a valid
    GB 32100 credit code) set to values that the server accepts; the others are sent as
    generated. Negative cases are not repaired. schemathesis revalidates every case a hook
    changed, so a case keeps a "negative" label only if it still violates the schema.
  - webhook URLs (every mode): any string is rewritten to the local sink (or a loopback URL
    the server must refuse) so the server never delivers anywhere but 127.0.0.1.
* after_call: keeps the pools current (an accepted match leaves the "applied" pool and joins
  "accepted", a created demand joins the open ones, an id answering 409 leaves its pool).

Choices are a function of the generated case (crc32 of its content), not of a random
generator, so Hypothesis sees the same case when it replays one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import threading
import traceback
import uuid
import zlib
from typing import Any

import schemathesis

FX: dict[str, Any] = {}
if os.environ.get("FM_FIXTURE"):
    with open(os.environ["FM_FIXTURE"]) as _f:
        FX = json.load(_f)
SINK = os.environ.get("FM_SINK_URL", "http://127.0.0.1:9/hook")
TODAY = dt.date.fromisoformat(FX["today"]) if "today" in FX else dt.date.today()
LOCK = threading.RLock()
API = "/api/v1"

# Path parameter -> pool, per operation. Operations not listed keep generated values.
PATH_POOLS: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/demands/{id}"): {"id": "demands"},
    ("PATCH", "/demands/{id}"): {"id": "demands_open"},
    ("POST", "/demands/{id}/close"): {"id": "demands_closable"},
    ("GET", "/demands/{id}/recommendations"): {"id": "demands"},
    ("GET", "/enterprises/{id}"): {"id": "enterprises"},
    ("PUT", "/enterprises/{id}"): {"id": "enterprises_editable"},
    ("GET", "/enterprises/{id}/qualifications"): {"id": "enterprises"},
    ("GET", "/enterprises/{id}/eligible-policies"): {"id": "enterprises"},
    ("POST", "/enterprises/{id}/qualifications"): {"id": "enterprises_editable"},
    ("GET", "/loans/{id}"): {"id": "loans"},
    ("POST", "/loans/{id}/events"): {"id": "loans"},
    ("POST", "/loans/{id}/renewals"): {"id": "loans_renewable"},
    ("GET", "/renewals/{id}"): {"id": "renewals"},
    ("GET", "/bridge-funds/{id}"): {"id": "bridge_funds"},
    ("GET", "/risk-schemes/{id}"): {"id": "risk_schemes"},
    ("GET", "/risk-schemes/{id}/enrollments"): {"id": "risk_schemes"},
    ("POST", "/risk-schemes/{id}/enrollments"): {"id": "risk_schemes"},
    ("GET", "/compensation-claims/{id}"): {"id": "compensation_claims"},
    ("POST", "/compensation-claims/{id}/approve"): {"id": "compensation_submitted"},
    ("POST", "/compensation-claims/{id}/reject"): {"id": "compensation_submitted"},
    ("POST", "/compensation-claims/{id}/pay"): {"id": "compensation_approved"},
    ("POST", "/compensation-claims/{id}/recoveries"): {"id": "compensation_paid"},
    ("GET", "/bridge-loans/{id}"): {"id": "bridges"},
    ("POST", "/renewals/{id}/approve"): {"id": "renewals_requested"},
    ("POST", "/renewals/{id}/reject"): {"id": "renewals_requested"},
    ("POST", "/renewals/{id}/withdraw"): {"id": "renewals_live"},
    ("POST", "/renewals/{id}/disburse"): {"id": "renewals_approved"},
    ("GET", "/matches/{id}"): {"id": "matches"},
    ("POST", "/matches/{id}/accept"): {"id": "matches_applied"},
    ("POST", "/matches/{id}/approve"): {"id": "matches_accepted"},
    ("POST", "/matches/{id}/reject"): {"id": "matches_rejectable"},
    ("POST", "/matches/{id}/withdraw"): {"id": "matches_withdrawable"},
    ("POST", "/matches/{id}/disbursements"): {"id": "matches_disbursable"},
    ("GET", "/organizations/{id}"): {"id": "organizations"},
    ("GET", "/organizations/{id}/users"): {"id": "organizations"},
    ("POST", "/organizations/{id}/users"): {"id": "organizations_users"},
    ("GET", "/policies/{id}"): {"id": "policies"},
    ("PUT", "/policies/{id}"): {"id": "policies_mutable"},
    ("POST", "/policies/{id}/quote"): {"id": "policies_interest"},
    ("POST", "/policies/{id}/simulate"): {"id": "policies_per_loan"},
    ("POST", "/policies/{id}/batch-claims"): {"id": "policies_batch"},
    ("POST", "/policies/{id}/suspend"): {"id": "policies_suspendable"},
    ("GET", "/products/{id}"): {"id": "products"},
    ("PATCH", "/products/{id}"): {"id": "products_own"},
    ("GET", "/products/{id}/candidates"): {"id": "products_own"},
    ("GET", "/subsidy-claims/{id}"): {"id": "claims"},
    ("POST", "/subsidy-claims/{id}/approve"): {"id": "claims_approvable"},
    ("POST", "/subsidy-claims/{id}/reject"): {"id": "claims_rejectable"},
    ("POST", "/subsidy-claims/{id}/pay"): {"id": "claims_payable"},
    ("GET", "/targets/{id}"): {"id": "targets"},
    ("DELETE", "/webhooks/{id}"): {"id": "webhooks_delete"},
    ("GET", "/webhooks/{id}/deliveries"): {"id": "webhooks_keep"},
    ("GET", "/calendar/{year}"): {"year": "years"},
    ("PUT", "/calendar/{year}"): {"year": "years"},
    # Users to disable and enable are the world's spare
    # users only, never one of the five the runs log in as (see GUARDED below).
    ("POST", "/users/{id}/disable"): {"id": "users_spare"},
    ("POST", "/users/{id}/enable"): {"id": "users_spare"},
}
# Operations whose unaimed ids must not be sent as generated either: disabling the user whose
# token the run presents (or any of the five role users) would turn the rest of the run into 401s.
GUARDED = {("POST", "/users/{id}/disable"), ("POST", "/users/{id}/enable")}
NO_SUCH_ID = 9_000_000_000_000
# Pools made of other pools.
UNION_POOLS = {
    "matches_rejectable": ("matches_applied", "matches_accepted"),
    "matches_withdrawable": ("matches_applied", "matches_accepted", "matches_approved"),
    "renewals_live": ("renewals_requested", "renewals_approved"),
}
FX.setdefault("years", [TODAY.year - 1, TODAY.year, TODAY.year + 1])
MATCH_STATES = ("applied", "accepted", "approved", "disbursed")

# Share (in percent) of cases aimed at the real world; the rest are sent as generated.
AIM_PATH = 85
REPAIR_BODY = 75


def _key(case: Any) -> tuple[str, str]:
    path = case.path[len(API):] if case.path.startswith(API) else case.path
    return case.method.upper(), path


def _seed(case: Any) -> int:
    def plain(value: Any) -> Any:
        return value if isinstance(value, (dict, list, str, int, float, bool, type(None))) else repr(value)

    raw = json.dumps(
        [case.method, case.path, plain(dict(case.path_parameters or {})), plain(dict(case.query or {})),
         plain(case.body)],
        sort_keys=True, default=repr,
    )
    return zlib.crc32(raw.encode())


def _pool(name: str) -> list:
    with LOCK:
        if name in UNION_POOLS:
            out: list = []
            for part in UNION_POOLS[name]:
                out += FX.get(part, [])
            return out
        return list(FX.get(name, []))


def _pick(pool: list, rnd: random.Random) -> Any:
    return pool[rnd.randrange(len(pool))] if pool else None


INT64 = (-(2**63), 2**63 - 1)


def _is_int(value: Any) -> bool:
    """An int64 id, as generated (an int) or as the coverage phase serializes it (a string)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        text = value[1:] if value.startswith("-") else value
        if not (text.isascii() and text.isdigit()):
            return False
        value = int(value)
    return isinstance(value, int) and INT64[0] <= value <= INT64[1]


def _positive(case: Any) -> bool:
    meta = case.meta
    return meta is None or meta.generation.mode.is_positive


# --- bodies -----------------------------------------------------------------------------------

MONEY = ["300000.00", "800000.00", "1000000.00", "2000000.00", "5000000.00", "100000.00"]
RATES = ["3.10", "3.45", "3.85", "4.20"]


def _day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def _set_if(body: dict, key: str, value: Any) -> None:
    """Set key only where the generated body has it (optional fields stay optional)."""
    if key in body:
        body[key] = value


CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(n: int, region: str = "370202") -> str:
    """A GB 32100-2015 code with a valid check character, distinct for each n."""
    body = "91" + region
    digits = []
    for _ in range(9):
        digits.append(CREDIT_CHARS[n % 31])
        n //= 31
    body += "".join(reversed(digits))
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS))
    return body + CREDIT_CHARS[(31 - total % 31) % 31]


def _fix_enterprise(e: dict, rnd: random.Random, region: str | None) -> None:
    e["annual_revenue"] = rnd.choice(["5000000.00", "30000000.00", "120000000.00"])
    e["total_assets"] = rnd.choice(["4000000.00", "20000000.00", "90000000.00"])
    if isinstance(e.get("employees"), int) and not 0 <= e["employees"] <= 100000:
        e["employees"] = rnd.randrange(5, 500)
    e["established_on"] = _day(-rnd.randrange(400, 6000))
    if region:
        e["region_code"] = region
    elif not (isinstance(e.get("region_code"), str) and len(e["region_code"]) == 6):
        e["region_code"] = rnd.choice(["370202", "320505"])
    if isinstance(e.get("sector_code"), str):
        e["sector_code"] = rnd.choice(["C34", "C3411", "I65", "F51"])


def _fix_eligibility(e: Any, rnd: random.Random) -> None:
    if not isinstance(e, dict):
        return
    _set_if(e, "min_annual_revenue", rnd.choice([None, "1000000.00"]))
    if isinstance(e.get("region_prefixes"), list):
        e["region_prefixes"] = rnd.choice([[], ["37"], ["3702"]])
    if isinstance(e.get("min_years_established"), int):
        e["min_years_established"] = rnd.choice([None, 1, 3])


def _rule(kind: Any, rnd: random.Random) -> dict:
    if kind == "guarantee_fee_subsidy":
        return {"subsidy_percent": "1.00", "max_fee_rate": "1.20", "counter_guarantee": ["credit", "third_party"],
                "day_count": "months_30_360", "per_enterprise_annual_cap": "100000.00", "cap_at_fee_paid": True}
    return rnd.choice([
        {"base": "fixed_points", "points": "1.50", "day_count": "act_360", "max_months": 24},
        {"base": "lpr_share", "share_percent": "50", "lpr_term": "1y", "lpr_reference": "disbursement_date",
         "max_points": "2.00", "day_count": "act_365"},
        {"base": "actual_rate_share", "share_percent": "30", "day_count": "months_30_360",
         "principal_cap": "10000000.00"},
    ])


def _fix_policy(b: dict, rnd: random.Random) -> None:
    b["budget"] = rnd.choice(["1000000.00", "50000000.00"])
    b["effective_from"] = _day(-rnd.randrange(30, 700))
    _set_if(b, "effective_to", rnd.choice([None, _day(rnd.randrange(30, 700))]))
    if b.get("kind") not in ("interest_subsidy", "guarantee_fee_subsidy"):
        b["kind"] = "interest_subsidy"
    b["rule"] = _rule(b.get("kind"), rnd)
    el = b.get("eligibility")
    if isinstance(el, dict):
        if isinstance(el.get("region_prefixes"), list):
            el["region_prefixes"] = [FX["region"]] if FX.get("region") and rnd.random() < 0.5 else []
        if isinstance(el.get("min_term_months"), int):
            el["min_term_months"] = rnd.choice([None, 6])
        if isinstance(el.get("sector_prefixes"), list):
            el["sector_prefixes"] = rnd.choice([[], ["C"], ["C34", "I65"]])
        if isinstance(el.get("exclusive_group"), str):
            el["exclusive_group"] = rnd.choice(["central", "贴息"])


def _claim_period(loan_id: Any, rnd: random.Random, first_month: int = 2) -> tuple[str, str]:
    info = FX.get("loan_info", {}).get(str(loan_id)) or {}
    try:
        start = dt.date.fromisoformat(str(info.get("disbursed_on"))[:10])
    except ValueError:
        start = TODAY - dt.timedelta(days=200)
    start += dt.timedelta(days=30 * rnd.randrange(first_month, first_month + 20))
    return start.isoformat(), (start + dt.timedelta(days=30)).isoformat()


def repair_body(key: tuple[str, str], body: dict, rnd: random.Random, case: Any) -> None:
    method, path = key
    if key == ("POST", "/auth/login"):
        if FX.get("password") or FX.get("role") == "admin":
            body["username"] = FX["username"]
            body["password"] = FX.get("password") or os.environ.get("FINMATCH_ADMIN_PASSWORD", "")
    elif key == ("PUT", "/me/password"):
        # The role's own password, "changed" to itself: the run's token survives (only the
        # user's other tokens are revoked) and later logins with it still work.
        password = FX.get("password") or os.environ.get("FINMATCH_ADMIN_PASSWORD", "")
        if password:
            body["current_password"] = password
            body["new_password"] = password
    elif key == ("POST", "/auth/register"):
        n = rnd.randrange(10**9)
        if isinstance(body.get("username"), str):
            body["username"] = f"st_{n}"
        ent = body.get("enterprise")
        if isinstance(ent, dict):
            _fix_enterprise(ent, rnd, None)
            ent["credit_code"] = credit_code(5_000_000 + n, ent["region_code"])
    elif key == ("POST", "/demands") or key == ("PATCH", "/demands/{id}"):
        for k, v in (("amount", rnd.choice(MONEY)), ("max_rate", rnd.choice([None, "4.50", "6.00"])),
                     ("needed_by", rnd.choice([None, _day(rnd.randrange(30, 300))]))):
            if method == "POST" or k in body:
                body[k] = v
        if isinstance(body.get("guarantee_methods"), list) and not body["guarantee_methods"]:
            body["guarantee_methods"] = [rnd.choice(["credit", "guarantee", "mortgage", "pledge"])]
        if method == "POST" and not (isinstance(body.get("description"), str) and body["description"].strip()):
            body["description"] = "schemathesis demand"
        if isinstance(body.get("term_months"), int) and not 1 <= body["term_months"] <= 360:
            body["term_months"] = 12
    elif key == ("PUT", "/enterprises/{id}"):
        region = FX.get("enterprise_region", {}).get(str(case.path_parameters.get("id")))
        _fix_enterprise(body, rnd, region)
        if isinstance(body.get("name"), str) and not body["name"].strip():
            body["name"] = "schemathesis 企业"
    elif key == ("POST", "/enterprises/{id}/qualifications"):
        body["certified_on"] = _day(-rnd.randrange(1, 900))
        body["expires_on"] = _day(rnd.randrange(1, 900))
        body["certificate_no"] = f"ST-{rnd.randrange(10**9)}"
    elif key == ("POST", "/matches"):
        pair = _pick(_pool("match_pairs"), rnd)
        if pair:
            body["demand_id"], body["product_id"] = pair
    elif key == ("POST", "/matches/{id}/approve"):
        body["approved_amount"] = rnd.choice(MONEY)
        body["annual_rate"] = rnd.choice(RATES)
        if not (isinstance(body.get("term_months"), int) and 1 <= body["term_months"] <= 360):
            body["term_months"] = 12
    elif key == ("POST", "/matches/{id}/disbursements"):
        body["amount"] = rnd.choice(["10000.00", "50000.00", "1000.00"])
        body["annual_rate"] = rnd.choice(RATES)
        body["disbursed_on"] = _day(-rnd.randrange(0, 20))
        if not (isinstance(body.get("term_months"), int) and 1 <= body["term_months"] <= 360):
            body["term_months"] = 12
        if isinstance(body.get("guarantee"), dict):
            g = body["guarantee"]
            g["guarantor_id"] = _pick(_pool("guarantors"), rnd) or g.get("guarantor_id")
            g["fee_rate"] = rnd.choice(["0.80", "1.00", "1.50"])
    elif key == ("POST", "/loans/{id}/events"):
        _loan_event(body, rnd)
    elif key == ("POST", "/loan-events/batch"):
        events = body.get("events")
        if isinstance(events, list):
            loans = _pool("loans")
            body["events"] = [dict(e) if isinstance(e, dict) else {} for e in events[:3]] or [{}]
            for e in body["events"]:
                _loan_event(e, rnd)
                e["loan_id"] = _pick(loans, rnd) or e.get("loan_id")
    elif key == ("POST", "/loans/{id}/renewals"):
        body["amount"] = rnd.choice(["100.00", "1000.00"])
        if not (isinstance(body.get("term_months"), int) and 1 <= body["term_months"] <= 360):
            body["term_months"] = 12
    elif key == ("POST", "/risk-schemes"):
        body["capital"] = rnd.choice(MONEY)
        body["leverage"] = rnd.choice(["1", "5", "10"])
        body["shares"] = {"government": "10", "guarantor": "40", "reguarantor": "30", "bank": "20"}
        body["max_compensation_percent"] = rnd.choice(["50", "80", "100"])
        body.pop("per_loan_cap", None)
        body.pop("region_prefix", None)
        body["bonus_points"] = {"first_loan": "5", "credit": "5"}
        if isinstance(body.get("name"), str) and not body["name"].strip():
            body["name"] = "schemathesis scheme"
    elif key == ("POST", "/risk-schemes/{id}/enrollments"):
        body["loan_id"] = _pick(_pool("loans"), rnd) or body.get("loan_id")
    elif key == ("POST", "/compensation-claims"):
        body["enrollment_id"] = _pick(_pool("enrollments"), rnd) or body.get("enrollment_id")
        body["loss_principal"] = rnd.choice(["100.00", "1000.00"])
    elif key == ("POST", "/compensation-claims/{id}/pay"):
        body["paid_on"] = TODAY.isoformat()
        if isinstance(body.get("reference"), str) and not body["reference"].strip():
            body["reference"] = "schemathesis"
    elif key == ("POST", "/compensation-claims/{id}/recoveries"):
        body["amount"] = "10.00"
        body["on"] = TODAY.isoformat()
    elif key == ("POST", "/bridge-funds"):
        body["capital"] = rnd.choice(MONEY)
        body["daily_fee_rate"] = rnd.choice(["0.01", "0.02", "0.05"])
        body["max_days"] = rnd.randrange(1, 60)
        body["max_amount"] = rnd.choice(MONEY)
        body["max_share_of_renewal"] = rnd.choice(["80", "95", "100"])
        if isinstance(body.get("name"), str) and not body["name"].strip():
            body["name"] = "schemathesis fund"
        if "region_prefix" in body:
            body["region_prefix"] = FX.get("region")
        _fix_eligibility(body.get("eligibility"), rnd)
    elif key == ("POST", "/renewals/{id}/approve"):
        body["approved_amount"] = "100.00"
        body["annual_rate"] = rnd.choice(RATES)
        if not (isinstance(body.get("term_months"), int) and 1 <= body["term_months"] <= 360):
            body["term_months"] = 12
    elif key == ("POST", "/renewals/{id}/disburse"):
        body["amount"] = "100.00"
        body["annual_rate"] = rnd.choice(RATES)
        body["disbursed_on"] = TODAY.isoformat()
        if not (isinstance(body.get("term_months"), int) and 1 <= body["term_months"] <= 360):
            body["term_months"] = 12
    elif key in (("POST", "/matches/{id}/reject"), ("POST", "/renewals/{id}/reject")):
        for k in ("reason", "reason_code"):
            if not (isinstance(body.get(k), str) and body[k].strip()):
                body[k] = "insufficient_cash_flow" if k == "reason_code" else "经营性现金流不足"
    elif key == ("POST", "/organizations"):
        _set_if(body, "credit_code", None if rnd.random() < 0.5 else credit_code(7_000_000 + rnd.randrange(10**8)))
        if body.get("kind") == "finance_office":
            body["region_code"] = rnd.choice(["37", "3702", "320505"])
        else:
            _set_if(body, "region_code", None)
    elif key == ("POST", "/organizations/{id}/users"):
        body["username"] = f"st_user_{rnd.randrange(10**9)}"
    elif key in (("POST", "/policies"), ("PUT", "/policies/{id}")):
        _fix_policy(body, rnd)
    elif key == ("POST", "/policies/{id}/quote"):
        loan = _pick(_pool("loans"), rnd)
        if loan is not None and rnd.random() < 0.6:
            body["loan_id"] = loan
            _set_if(body, "loan", None)
            body["period_start"], body["period_end"] = _claim_period(loan, rnd, 0)
        else:
            start = TODAY - dt.timedelta(days=rnd.randrange(30, 300))
            body["period_start"], body["period_end"] = start.isoformat(), (start + dt.timedelta(days=90)).isoformat()
            hyp = body.get("loan")
            if isinstance(hyp, dict):
                body["loan_id"] = None if "loan_id" in body else body.get("loan_id")
                hyp["principal"] = rnd.choice(MONEY)
                hyp["annual_rate"] = rnd.choice(RATES)
                hyp["disbursed_on"] = start.isoformat()
                ent = _pick(_pool("enterprises"), rnd) or FX.get("org_id")
                hyp["enterprise_id"] = ent
                if isinstance(hyp.get("guarantee"), dict):
                    hyp["guarantee"]["fee_rate"] = "1.00"
            elif loan is not None:
                body["loan_id"] = loan
    elif key == ("POST", "/policies/{id}/batch-claims"):
        start = TODAY - dt.timedelta(days=rnd.randrange(0, 400))
        body["period_start"] = start.isoformat()
        body["period_end"] = (start + dt.timedelta(days=rnd.randrange(28, 366))).isoformat()
        # A bank claims for its own loans only; an arbitrary bank id would only be refused.
        body.pop("bank_id", None)
    elif key == ("POST", "/policies/{id}/simulate"):
        start = TODAY - dt.timedelta(days=rnd.randrange(60, 700))
        body["from"], body["to"] = start.isoformat(), (start + dt.timedelta(days=rnd.randrange(1, 400))).isoformat()
        if isinstance(body.get("overrides"), dict):
            body["overrides"] = _rule(FX.get("policy_kind", {}).get(str(case.path_parameters.get("id"))), rnd)
    elif key == ("POST", "/products"):
        lo = rnd.choice([100000, 500000, 1000000])
        body["min_amount"], body["max_amount"] = f"{lo}.00", f"{lo * rnd.choice([5, 20])}.00"
        r = rnd.choice([26000, 31000, 35000])
        body["min_rate"], body["max_rate"] = f"{r / 10000:.2f}", f"{(r + 5000) / 10000:.2f}"
        body["min_term_months"], body["max_term_months"] = rnd.choice([(1, 12), (3, 36), (6, 60)])
        if not body.get("guarantee_methods"):
            body["guarantee_methods"] = ["credit"]
        _fix_eligibility(body.get("eligibility"), rnd)
    elif key == ("PATCH", "/products/{id}"):
        # Fields present are set to values that keep min <= max whatever the stored product has.
        _set_if(body, "min_amount", "100000.00")
        _set_if(body, "max_amount", "100000000.00")
        _set_if(body, "min_rate", "2.50")
        _set_if(body, "max_rate", "8.00")
        _set_if(body, "min_term_months", 1)
        _set_if(body, "max_term_months", 360)
        if isinstance(body.get("response_sla_days"), int):
            body["response_sla_days"] = rnd.randrange(1, 10)
        if body.get("guarantee_methods") == []:
            body["guarantee_methods"] = ["credit"]
        _fix_eligibility(body.get("eligibility"), rnd)
    elif key == ("POST", "/subsidy-claims"):
        pair = _pick(_pool("claim_loans"), rnd)
        if pair:
            body["policy_id"], body["loan_id"] = pair
            body["period_start"], body["period_end"] = _claim_period(pair[1], rnd)
            # A loan claim names only the loan (awards name an enterprise or a guarantor).
            body.pop("enterprise_id", None)
            body.pop("guarantor_id", None)
    elif key == ("POST", "/subsidy-claims/{id}/pay"):
        body["paid_on"] = _day(-rnd.randrange(0, 10))
        body["reference"] = f"ST-PAY-{rnd.randrange(10**6)}"
    elif key == ("POST", "/subsidy-claims/{id}/reject"):
        if not (isinstance(body.get("reason"), str) and body["reason"].strip()):
            body["reason"] = "材料不全"
    elif key == ("POST", "/targets"):
        start = TODAY.replace(month=1, day=1) - dt.timedelta(days=365 * rnd.randrange(0, 2))
        body["from"], body["to"] = start.isoformat(), (start + dt.timedelta(days=rnd.randrange(30, 730))).isoformat()
        body["value"] = "500000000.00" if body.get("metric") == "disbursed_amount" else str(rnd.randrange(1, 500))
        if "region_prefix" in body:
            body["region_prefix"] = FX.get("region") if rnd.random() < 0.5 else None
        if isinstance(body.get("name"), str) and not body["name"].strip():
            body["name"] = "schemathesis target"
    elif key == ("POST", "/lpr"):
        body["effective_on"] = _day(-rnd.randrange(0, 3000))
        body["one_year"] = rnd.choice(["3.00", "3.10", "3.45"])
        body["five_year"] = rnd.choice(["3.50", "3.60", "4.20"])
    elif key == ("PUT", "/calendar/{year}"):
        year = case.path_parameters.get("year")
        if _is_int(year) and 1900 < int(year) < 2200:
            base = dt.date(int(year), 1, 1)
            body["holidays"] = sorted({(base + dt.timedelta(days=rnd.randrange(365))).isoformat()
                                       for _ in range(rnd.randrange(0, 6))})
            body["workdays"] = []
    elif key == ("POST", "/webhooks"):
        if not (isinstance(body.get("events"), list) and body["events"]):
            body["events"] = ["match.created"]


def _loan_event(e: dict, rnd: random.Random) -> None:
    """Mostly a small repayment today (allowed on any open loan), else a status move."""
    e["on"] = TODAY.isoformat()
    e["kind"] = rnd.choice(["repayment", "repayment", "repayment", "overdue", "cured", "npl"])
    if e["kind"] == "repayment":
        e["principal"] = rnd.choice(["1.00", "10.00", "100.00"])
        _set_if(e, "interest", "0.50")
    else:
        e.pop("principal", None)
        e.pop("interest", None)
    if isinstance(e.get("note"), str) and len(e["note"]) > 2000:
        e["note"] = e["note"][:2000]


def _safe_webhook_url(body: Any, rnd: random.Random) -> None:
    """Every webhook URL points at the local sink or is one the server must refuse."""
    if isinstance(body, dict) and isinstance(body.get("url"), str):
        body["url"] = rnd.choice([
            f"{SINK}/fuzz", f"{SINK}/fuzz?x=1", f"{SINK}/fuzz/a", f"{SINK}/fuzz/b", f"{SINK}/fuzz/c",
            f"{SINK}/fuzz/d", f"{SINK}/fuzz/e", f"{SINK}/fuzz/f",
            "ftp://127.0.0.1/refused-scheme", "http://user:pw@127.0.0.1/refused-credentials",
        ])


def _aim(case: Any) -> None:
    key = _key(case)
    rnd = random.Random(_seed(case))
    positive = _positive(case)
    pp = case.path_parameters
    meta = case.meta
    # In the stateful phase the path ids come from OpenAPI links (the resource a previous step
    # created or listed); re-aiming them would make ensure_resource_availability and
    # use_after_free judge a request about another resource.
    stateful = meta is not None and str(meta.phase.name) == "stateful"
    if pp and not stateful and rnd.randrange(100) < AIM_PATH:
        if key == ("DELETE", "/enterprises/{id}/qualifications/{qid}"):
            pair = _pick(_pool("qualifications"), rnd)
            if pair and _is_int(pp.get("id")) and _is_int(pp.get("qid")):
                pp["id"], pp["qid"] = pair
        for name, pool in (PATH_POOLS.get(key) or {}).items():
            if key in GUARDED:
                continue
            # A year outside the document's 2000..2100 is a negative case: leave it.
            if _is_int(pp.get(name)) and (name != "year" or 2000 <= int(pp[name]) <= 2100):
                value = _pick(_pool(pool), rnd)
                if value is not None:
                    pp[name] = value
    if key in GUARDED and pp:
        for name, pool in PATH_POOLS[key].items():
            if _is_int(pp.get(name)):
                pp[name] = _pick(_pool(pool), rnd) or NO_SUCH_ID
    headers = case.headers
    if stateful and positive and headers is not None and "Idempotency-Key" in headers:
        # A fresh key for every stateful step: a replayed key answers the original response
        # (SPEC §2), whose resource an earlier step may have deleted since, and
        # ensure_resource_availability would then call the correct 404 on it a failure.
        headers["Idempotency-Key"] = f"st-{uuid.uuid4().hex}"
    if positive and rnd.randrange(100) < REPAIR_BODY:
        if not stateful and headers is not None and "Idempotency-Key" in headers:
            # The server wants 1-255 visible ASCII characters; the document says only "string".
            # Derived from the case, so an identical request replays (and is checked as such).
            headers["Idempotency-Key"] = f"st-{rnd.randrange(16**12):012x}"
        if isinstance(case.body, dict):
            repair_body(key, case.body, rnd, case)


_reported: set[str] = set()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    """Runs right before every request of every phase (examples, coverage, fuzzing, stateful,
    and the re-sends of checks): schemathesis revalidates a case a before_call hook changed."""
    try:
        _aim(case)
    except Exception:  # noqa: BLE001 - a bug here must not hide the API's own failures
        label = " ".join(_key(case))
        if label not in _reported:
            _reported.add(label)
            sys.stderr.write(f"hooks.py: could not aim a case of {label} (sent as generated):\n"
                             + traceback.format_exc())
    # Whatever happened above: no webhook URL other than the local sink leaves this process.
    if _key(case) == ("POST", "/webhooks"):
        _safe_webhook_url(case.body, random.Random(_seed(case)))


# --- keeping the pools current -----------------------------------------------------------------


def _add(name: str, value: Any) -> None:
    pool = FX.setdefault(name, [])
    if value not in pool:
        pool.append(value)


def _drop(name: str, value: Any) -> None:
    pool = FX.get(name)
    if pool and value in pool:
        pool.remove(value)


def _drop_everywhere(prefix: str, value: Any) -> None:
    for name, pool in FX.items():
        if name.startswith(prefix) and isinstance(pool, list) and value in pool:
            pool.remove(value)


# Problem codes that say a pooled id is used up (not that the request was malformed).
STALE_CODES = {"invalid_transition", "policy_immutable", "exceeds_approved_amount", "product_retired"}
_alternate = [0]


def _either(a: str, b: str, value: Any) -> None:
    _alternate[0] += 1
    _add(a if _alternate[0] % 2 else b, value)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    key = _key(case)
    method, path = key
    status = response.status_code
    pid = (case.path_parameters or {}).get("id")
    body = case.body if isinstance(case.body, dict) else {}
    try:
        data = response.json() if 200 <= status < 300 and status != 204 else None
    except Exception:  # noqa: BLE001 - a body that is not JSON carries no id
        data = None
    item = data if isinstance(data, dict) else {}
    with LOCK:
        code = None
        if 400 <= status < 500:
            try:
                problem = response.json()
                code = problem.get("code") if isinstance(problem, dict) else None
            except Exception:  # noqa: BLE001
                code = None
        if code in STALE_CODES:
            # The resource is no longer in the state its pool promises.
            for name in (PATH_POOLS.get(key) or {}).values():
                for part in UNION_POOLS.get(name, (name,)):
                    _drop(part, pid)
        if key == ("POST", "/matches") and code in ("match_exists", "not_eligible", "invalid_transition"):
            _drop("match_pairs", [body.get("demand_id"), body.get("product_id")])
        if not 200 <= status < 300:
            return
        if key == ("POST", "/demands") and "id" in item:
            _add("demands", item["id"])
            _either("demands_open", "demands_closable", item["id"])
        elif key == ("POST", "/demands/{id}/close"):
            _drop("demands_open", pid)
            _drop("demands_closable", pid)
            FX["match_pairs"] = [p for p in FX.get("match_pairs", []) if p[0] != pid]
        elif path.startswith("/matches") and "state" in item and "id" in item:
            _add("matches", item["id"])
            _drop_everywhere("matches_", item["id"])
            if item["state"] in MATCH_STATES:
                _add(f"matches_{item['state']}", item["id"])
            if item["state"] in ("approved", "disbursed"):
                _add("matches_disbursable", item["id"])
            if key == ("POST", "/matches"):
                _drop("match_pairs", [item.get("demand_id"), item.get("product_id")])
                _drop("demands_open", item.get("demand_id"))
        elif key == ("POST", "/matches/{id}/disbursements") and "id" in item:
            _drop("matches_approved", pid)
            _add("loans", item["id"])
            FX.setdefault("loan_info", {})[str(item["id"])] = {"disbursed_on": item.get("disbursed_on")}
        elif key == ("POST", "/enterprises/{id}/qualifications") and "id" in item:
            _add("qualifications", [pid, item["id"]])
        elif key == ("DELETE", "/enterprises/{id}/qualifications/{qid}"):
            _drop("qualifications", [pid, (case.path_parameters or {}).get("qid")])
        elif key == ("POST", "/policies") and "id" in item:
            _add("policies", item["id"])
            FX.setdefault("policy_kind", {})[str(item["id"])] = item.get("kind")
            _either("policies_mutable", "policies_suspendable", item["id"])
        elif key == ("POST", "/policies/{id}/suspend"):
            _drop("policies_suspendable", pid)
            _drop("policies_interest", pid)
        elif key == ("POST", "/subsidy-claims") and "id" in item:
            _add("claims", item["id"])
            _either("claims_approvable", "claims_rejectable", item["id"])
        elif key == ("POST", "/subsidy-claims/{id}/approve"):
            _drop("claims_approvable", pid)
            _drop("claims_rejectable", pid)
            _add("claims_payable", pid)
        elif key in (("POST", "/subsidy-claims/{id}/reject"), ("POST", "/subsidy-claims/{id}/pay")):
            _drop_everywhere("claims_", pid)
        elif key == ("POST", "/targets") and "id" in item:
            _add("targets", item["id"])
        elif key == ("POST", "/webhooks") and "id" in item:
            _add("webhooks_delete", item["id"])
        elif key == ("DELETE", "/webhooks/{id}"):
            _drop("webhooks_delete", pid)
        elif key == ("POST", "/organizations") and "id" in item:
            _add("organizations", item["id"])
            _add("organizations_users", item["id"])
        elif key == ("POST", "/products") and "id" in item:
            _add("products", item["id"])
            _add("products_own", item["id"])
