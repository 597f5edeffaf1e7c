"""The whole finmatch flow, driven by a client generated from the served OpenAPI document.

Run by .ci/client/run.sh with the generated package `finmatch_client` on PYTHONPATH and
FINMATCH_BASE_URL, FINMATCH_OPENAPI (the served document) and FINMATCH_ADMIN_PASSWORD set.

Rules this file keeps:
- every request goes through a generated `sync_detailed` function, every body is a generated
  model instance (no raw HTTP calls, no hand-built JSON);
- every response is checked for its status code and for `parsed` being the documented model;
- a field the server sends that the document does not declare fails the step (the document is
  the contract), and so does a response that does not parse.
When the document or the server is wrong the step FAILS with the operation, what the document
says and what the server sent; nothing is worked around. Steps that need an earlier step's
result are skipped when it failed. The last line is `client scenario: N passed, M failed`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time
import traceback
from decimal import Decimal
from typing import Any, Callable

import httpx  # only for httpx.Timeout / event hooks handed to the generated Client

from conformance import Document

from finmatch_client import AuthenticatedClient, Client
from finmatch_client.api.auth import login, me, register
from finmatch_client.api.demands import create_demand, get_demand, list_demands
from finmatch_client.api.enterprises import (
    create_qualification,
    get_enterprise,
    list_enterprises,
    list_qualifications,
    update_enterprise,
)
from finmatch_client.api.loans import get_loan, list_loans
from finmatch_client.api.matches import accept, approve, create_match, disburse, get_match, list_matches
from finmatch_client.api.matching import candidates, recommendations
from finmatch_client.api.operations import readyz
from finmatch_client.api.organizations import (
    create_organization,
    create_user,
    get_organization,
    list_organizations,
    list_users,
)
from finmatch_client.api.products import create_product, get_product, list_products
from finmatch_client.api.reports import (
    banks,
    breakdown,
    breakdown_xlsx,
    create_target,
    get_target,
    list_targets,
    loans_csv,
    loans_xlsx,
    overview,
)
from finmatch_client.api.subsidies import (
    approve_claim,
    create_claim,
    create_policy,
    get_claim,
    get_policy,
    list_claims,
    list_lpr,
    list_policies,
    pay_claim,
    quote,
)
from finmatch_client.api.webhooks import create_webhook, list_deliveries, list_webhooks
from finmatch_client.models import (
    AcceptBody,
    ApproveBody,
    Breakdown,
    BankList,
    By,
    Candidates,
    ClaimState,
    ClaimView,
    CounterGuarantee,
    CreatableKind,
    CreateClaim,
    CreateDemand,
    CreateDisbursement,
    CreateMatch,
    CreateOrganization,
    CreatePolicy,
    CreateProduct,
    CreateQualification,
    CreateTarget,
    CreateUser,
    CreateWebhook,
    DayCount,
    DeliveryStatus,
    DemandStatus,
    DemandView,
    Eligibility,
    EnterpriseInput,
    EnterpriseView,
    GuaranteeInput,
    GuaranteeMethod,
    Industry,
    InterestBase,
    LoanView,
    LoginRequest,
    LprList,
    LprReference,
    LprTerm,
    MatchState,
    MatchView,
    MeResponse,
    Metric,
    OrgKind,
    OrganizationView,
    Overview,
    PageClaimView,
    PageDeliveryView,
    PageDemandView,
    PageEnterpriseView,
    PageLoanView,
    PageMatchView,
    PageOrganizationView,
    PagePolicyView,
    PageProductView,
    PageQualificationView,
    PageTargetView,
    PageUserView,
    PageWebhookView,
    PayClaim,
    PolicyEligibility,
    PolicyKind,
    PolicyView,
    Problem,
    ProductStatus,
    ProductType,
    ProductView,
    Purpose,
    QualificationKind,
    QualificationLevel,
    QualificationRequirement,
    QualificationView,
    Quote,
    QuoteRequest,
    Readiness,
    Recommendations,
    RegisterRequest,
    RegisterResponse,
    Role,
    RuleInput,
    SizeClass,
    TargetView,
    TokenResponse,
    UpdateEnterprise,
    UserView,
    WebhookEvent,
    WebhookView,
)
from finmatch_client.types import UNSET, File, Response, Unset

BASE_URL = os.environ["FINMATCH_BASE_URL"]
ADMIN_PASSWORD = os.environ.get("FINMATCH_ADMIN_PASSWORD", "client-admin-password")
DOCUMENT = json.load(open(os.environ["FINMATCH_OPENAPI"], encoding="utf-8"))
DOC = Document(DOCUMENT)
TODAY = dt.date.today()
PASSWORD = "client-password-0001"

# --------------------------------------------------------------------------------------------
# GB 32100-2015 统一社会信用代码 (domain-notes.md §4)

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an 8-character 组织机构代码 body."""
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, weights))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def credit_code(first17: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS))
    c18 = 31 - total % 31
    return first17 + CHARSET[0 if c18 == 31 else c18]


for sample in ("91350100M000100Y43", "91440101MA5CJQ4N59", "91350200776049653A"):
    assert credit_code(sample[:17]) == sample, sample

# --------------------------------------------------------------------------------------------
# Bookkeeping

PASSED = 0
FAILED = 0
SKIPPED = 0
FAILURES: list[str] = []
LAST: dict[str, httpx.Response] = {}


class StepFailure(Exception):
    pass


def _remember(response: httpx.Response) -> None:
    """httpx response hook: keep the last response so that a failure can show what was sent."""
    response.read()
    LAST["response"] = response


def make_client(token: str | None = None) -> Client:
    args: dict[str, Any] = {
        "base_url": BASE_URL,
        "timeout": httpx.Timeout(30.0),
        "raise_on_unexpected_status": False,
        "httpx_args": {"event_hooks": {"response": [_remember]}},
    }
    if token is None:
        return Client(**args)
    return AuthenticatedClient(token=token, **args)


def last_wire() -> str:
    r = LAST.get("response")
    if r is None:
        return "(no response)"
    body = r.content[:400].decode("utf-8", errors="replace").replace("\r", "").replace("\n", "⏎")
    return f"{r.request.method} {r.request.url.path} -> {r.status_code} {r.headers.get('content-type')}: {body}"


def clip(text: str, limit: int = 900) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def step(name: str, fn: Callable[[], Any], *needs: Any) -> Any:
    """Run one step; print one line; return its result (None when it failed or was skipped)."""
    global PASSED, FAILED, SKIPPED
    if any(n is None for n in needs):
        SKIPPED += 1
        print(f"SKIP {name}: an earlier step it needs failed", flush=True)
        return None
    LAST.pop("response", None)
    try:
        result = fn()
    except StepFailure as e:
        FAILED += 1
        msg = clip(str(e))
        FAILURES.append(f"{name}: {msg}")
        print(f"FAIL {name}: {msg}", flush=True)
        return None
    except Exception as e:  # a response that does not parse, a bug in this script, ...
        FAILED += 1
        where = traceback.extract_tb(e.__traceback__)[-1]
        msg = f"{type(e).__name__}: {e} (at {os.path.basename(where.filename)}:{where.lineno}); wire: {last_wire()}"
        msg = clip(msg)
        FAILURES.append(f"{name}: {msg}")
        print(f"FAIL {name}: {msg}", flush=True)
        return None
    PASSED += 1
    value, info = (
        result if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], str) else (result, "")
    )
    print(f"ok   {name}" + (f" — {info}" if info else ""), flush=True)
    return value if value is not None else True


def check(cond: bool, message: str) -> None:
    if not cond:
        raise StepFailure(message)


def describe(resp: Response[Any]) -> str:
    p = resp.parsed
    if isinstance(p, Problem):
        errs = ""
        if not isinstance(p.errors, Unset) and p.errors:
            errs = " errors=" + "; ".join(f"{e.field}: {e.message}" for e in p.errors)
        return f"problem code={p.code} detail={p.detail!r}{errs}"
    return resp.content[:600].decode("utf-8", errors="replace")


# Classes generated for map-like objects (an explicit `additionalProperties` schema): their
# additional_properties are their content, not undocumented fields.
def _pascal(name: str) -> str:
    parts = []
    for chunk in name.replace("-", "_").split("_"):
        if chunk:
            parts.append(chunk[0].upper() + chunk[1:])
    return "".join(parts)


MAP_CLASSES: set[str] = set()
for _sname, _schema in DOCUMENT.get("components", {}).get("schemas", {}).items():
    if isinstance(_schema.get("additionalProperties"), dict):
        MAP_CLASSES.add(_pascal(_sname))
    for _pname, _prop in (_schema.get("properties") or {}).items():
        if isinstance(_prop, dict) and isinstance(_prop.get("additionalProperties"), dict):
            MAP_CLASSES.add(_pascal(_sname) + _pascal(_pname))


def undocumented(parsed: Any, raw: Any, path: str = "") -> list[str]:
    """Fields the server sent that the generated model does not declare."""
    found: list[str] = []
    if hasattr(parsed, "to_dict") and hasattr(type(parsed), "__attrs_attrs__"):
        extra = getattr(parsed, "additional_properties", None)
        if extra and type(parsed).__name__ not in MAP_CLASSES:
            found += [f"{path}.{k}" if path else k for k in sorted(extra)]
        declared = {a.name for a in type(parsed).__attrs_attrs__ if a.name != "additional_properties"}
        if isinstance(raw, dict):
            dumped = parsed.to_dict()
            for key, value in raw.items():
                sub = f"{path}.{key}" if path else key
                if key not in dumped and value is not None:
                    # additionalProperties: false models drop unknown keys silently
                    if key not in (extra or {}):
                        found.append(sub)
                    continue
                attr = key if key in declared else f"{key}_" if f"{key}_" in declared else None
                if attr is not None:
                    found += undocumented(getattr(parsed, attr), value, sub)
    elif isinstance(parsed, list) and isinstance(raw, list):
        for i, (p, r) in enumerate(zip(parsed, raw)):
            found += undocumented(p, r, f"{path}[{i}]")
    return found


def expect(resp: Response[Any], status: int, model: type, op: str) -> Any:
    """The documented status and model, parsed, valid against the operation's response schema in
    the served document, with no field the document does not declare. `op` is the operationId."""
    check(op in DOC.ops, f"the served document has no operation {op}")
    if int(resp.status_code) != status:
        raise StepFailure(f"{op}: HTTP {int(resp.status_code)}, expected {status}: {clip(describe(resp), 300)}")
    if resp.parsed is None:
        raise StepFailure(
            f"{op}: HTTP {int(resp.status_code)} but the generated client left `parsed` None: {resp.content[:300]!r}"
        )
    if not isinstance(resp.parsed, model):
        raise StepFailure(f"{op}: parsed a {type(resp.parsed).__name__}, expected {model.__name__}: {describe(resp)}")
    wire = DOC.check_response(op, int(resp.status_code), resp.headers.get("content-type"), resp.content)
    if wire:
        raise StepFailure(
            "document vs wire: " + " | ".join(wire[:8]) + (f" (+{len(wire) - 8} more)" if len(wire) > 8 else "")
        )
    if model not in (File, str):
        raw = json.loads(resp.content)
        extra = undocumented(resp.parsed, raw)
        if extra:
            raise StepFailure(
                f"{op}: the server sent fields that the {model.__name__} schema does not declare: {', '.join(extra[:12])}"
                + (f" (+{len(extra) - 12} more)" if len(extra) > 12 else "")
            )
    return resp.parsed


def money(s: str) -> Decimal:
    return Decimal(s)


# --------------------------------------------------------------------------------------------
# A webhook receiver on loopback

RECEIVED: list[dict[str, Any]] = []
RECEIVED_LOCK = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        with RECEIVED_LOCK:
            RECEIVED.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
receiver.daemon_threads = True
threading.Thread(target=receiver.serve_forever, daemon=True).start()
RECEIVER_URL = f"http://127.0.0.1:{receiver.server_address[1]}/finmatch/events"

# --------------------------------------------------------------------------------------------
# The flow

anon = make_client()
S: dict[str, Any] = {}


def s_ready():
    r = expect(readyz.sync_detailed(client=anon), 200, Readiness, "readyz")
    return r, f"status={r.status}"


step("GET /readyz", s_ready)


def do_login(username: str, password: str, op: str) -> tuple[AuthenticatedClient, str]:
    # The document marks login as `security: [{}]` (anonymous allowed); the plain Client is used.
    t = expect(
        login.sync_detailed(client=anon, body=LoginRequest(username=username, password=password)),  # type: ignore[arg-type]
        200,
        TokenResponse,
        op,
    )
    check(t.token_type == "Bearer", f"{op}: token_type={t.token_type!r}, expected 'Bearer'")
    check(t.expires_in > 0 and len(t.access_token) > 20, f"{op}: implausible token {t!r}")
    return make_client(t.access_token), f"expires_in={t.expires_in}"


admin = step("admin logs in (POST /auth/login)", lambda: do_login("admin", ADMIN_PASSWORD, "login"))


def s_admin_me():
    m = expect(me.sync_detailed(client=admin), 200, MeResponse, "me")
    check(m.role == Role.ADMIN, f"me: role {m.role}, expected admin")
    check(m.user.username == "admin", f"me: username {m.user.username}")
    return m, f"role={m.role} org={m.organization.name} ({m.organization.kind})"


step("admin reads GET /me", s_admin_me, admin)


def s_unauthenticated():
    resp = me.sync_detailed(client=anon)
    p = expect(resp, 401, Problem, "me")
    check(p.code == "unauthorized" and p.status == 401, f"me without a token: code {p.code} status {p.status}")
    www = resp.headers.get("www-authenticate", "")
    check(www.lower().startswith("bearer"), f"me without a token: WWW-Authenticate {www!r}")
    return p, f"401 {p.code}, WWW-Authenticate: {www}"


step("GET /me without a token answers 401 problem+json", s_unauthenticated)


def s_org(kind: CreatableKind, name: str, region: str | None):
    body = (
        CreateOrganization(kind=kind, name=name, region_code=region)
        if region
        else CreateOrganization(kind=kind, name=name)
    )
    o = expect(create_organization.sync_detailed(client=admin, body=body), 201, OrganizationView, "create_organization")
    check(o.kind == OrgKind(kind.value), f"create_organization: kind {o.kind}, expected {kind}")
    check(o.name == name, f"create_organization: name {o.name!r}")
    if region:
        check(o.region_code == region, f"create_organization: region_code {o.region_code!r}, expected {region!r}")
    return o, f"id={o.id} kind={o.kind}" + (f" region={o.region_code}" if region else "")


bank_org = step(
    "admin creates a bank (POST /organizations)", lambda: s_org(CreatableKind.BANK, "青岛银行", None), admin
)
guar_org = step(
    "admin creates a guarantor (POST /organizations)",
    lambda: s_org(CreatableKind.GUARANTOR, "青岛市融资担保中心", None),
    admin,
)
office_org = step(
    "admin creates a finance office for region 37 (POST /organizations)",
    lambda: s_org(CreatableKind.FINANCE_OFFICE, "山东省地方金融管理局", "37"),
    admin,
)


def s_user(org: OrganizationView, username: str, role: Role):
    u = expect(
        create_user.sync_detailed(org.id, client=admin, body=CreateUser(username=username, password=PASSWORD)),
        201,
        UserView,
        "create_user",
    )
    check(u.role == role and u.organization_id == org.id, f"create_user: role {u.role} org {u.organization_id}")
    return u, f"id={u.id} role={u.role}"


step(
    "admin creates the bank's user (POST /organizations/{id}/users)",
    lambda: s_user(bank_org, "qdbank_officer", Role.BANK),
    bank_org,
)
step(
    "admin creates the guarantor's user (POST /organizations/{id}/users)",
    lambda: s_user(guar_org, "qd_guarantor", Role.GUARANTOR),
    guar_org,
)
step(
    "admin creates the finance office's user (POST /organizations/{id}/users)",
    lambda: s_user(office_org, "sd_office", Role.FINANCE_OFFICE),
    office_org,
)


def s_list_users():
    page = expect(list_users.sync_detailed(bank_org.id, client=admin), 200, PageUserView, "list_users")
    check(any(u.username == "qdbank_officer" for u in page.items), "list_users: the bank's user is missing")
    return page, f"{len(page.items)} user(s)"


step("admin lists the bank's users (GET /organizations/{id}/users)", s_list_users, bank_org)

bank = step("the bank logs in", lambda: do_login("qdbank_officer", PASSWORD, "login"), bank_org)
guarantor = step("the guarantor logs in", lambda: do_login("qd_guarantor", PASSWORD, "login"), guar_org)
office = step("the finance office logs in", lambda: do_login("sd_office", PASSWORD, "login"), office_org)


def s_list_orgs():
    page = expect(
        list_organizations.sync_detailed(client=admin, limit=200), 200, PageOrganizationView, "list_organizations"
    )
    ids = {o.id for o in page.items}
    for o in (bank_org, guar_org, office_org):
        check(o.id in ids, f"list_organizations: organization {o.id} missing")
    return page, f"{len(page.items)} organization(s)"


step("admin lists organizations (GET /organizations)", s_list_orgs, bank_org, guar_org, office_org)


def s_page_orgs():
    seen: list[int] = []
    cursor: str | Unset = UNSET
    for _ in range(20):
        page = expect(
            list_organizations.sync_detailed(client=admin, limit=1, cursor=cursor),
            200,
            PageOrganizationView,
            "list_organizations",
        )
        check(len(page.items) <= 1, f"list_organizations?limit=1: {len(page.items)} items")
        seen += [o.id for o in page.items]
        if not isinstance(page.next_cursor, str):
            break
        cursor = page.next_cursor
    check(len(seen) == len(set(seen)), f"list_organizations pages repeat an item: {seen}")
    for o in (bank_org, guar_org, office_org):
        check(o.id in seen, f"list_organizations pages miss organization {o.id}: {seen}")
    return seen, f"{len(seen)} pages of 1, ids {seen}"


step("admin pages through organizations (GET /organizations?limit=1&cursor=…)", s_page_orgs, bank_org, guar_org, office_org)


def s_get_org():
    o = expect(get_organization.sync_detailed(guar_org.id, client=admin), 200, OrganizationView, "get_organization")
    check(o.id == guar_org.id and o.kind == OrgKind.GUARANTOR, f"get_organization: {o.id} {o.kind}")
    return o, f"{o.name}"


step("admin reads the guarantor (GET /organizations/{id})", s_get_org, guar_org)

# --- the enterprise ---
_body8 = "MA3C7Q2K"
ENT_CODE = credit_code("91370202" + _body8 + org_code_check(_body8))


def s_register():
    body = RegisterRequest(
        username="haike_finance",
        password=PASSWORD,
        enterprise=EnterpriseInput(
            name="青岛海科精密机械有限公司",
            credit_code=ENT_CODE,
            region_code="370202",
            industry=Industry.INDUSTRY,
            employees=120,
            annual_revenue="25000000.00",
            total_assets="18000000.00",
            established_on=dt.date(2015, 3, 18),
            has_prior_loan=False,
        ),
    )
    r = expect(register.sync_detailed(client=anon, body=body), 201, RegisterResponse, "register")  # type: ignore[arg-type]
    check(r.user.role == Role.ENTERPRISE, f"register: role {r.user.role}")
    check(r.organization.kind == OrgKind.ENTERPRISE, f"register: organization kind {r.organization.kind}")
    check(r.organization.credit_code == ENT_CODE, f"register: credit_code {r.organization.credit_code!r}")
    return r, f"organization id={r.organization.id} credit_code={ENT_CODE}"


reg = step("an enterprise registers (POST /auth/register, 统一社会信用代码 " + ENT_CODE + ")", s_register)


def s_bad_credit_code():
    wrong = ENT_CODE[:17] + CHARSET[(CHARSET.index(ENT_CODE[17]) + 1) % 31]
    body = RegisterRequest(
        username="bad_checksum_co",
        password=PASSWORD,
        enterprise=EnterpriseInput(
            name="校验码错误有限公司",
            credit_code=wrong,
            region_code="370202",
            industry=Industry.INDUSTRY,
            employees=30,
            annual_revenue="5000000.00",
            total_assets="3000000.00",
            established_on=dt.date(2020, 1, 1),
        ),
    )
    p = expect(register.sync_detailed(client=anon, body=body), 422, Problem, "register")  # type: ignore[arg-type]
    check(p.code == "invalid_credit_code", f"register with a bad checksum: code {p.code}")
    return p, f"422 {p.code} for {wrong}"


step("a wrong GB 32100 check character is refused (POST /auth/register → 422)", s_bad_credit_code)
ent = step("the enterprise logs in", lambda: do_login("haike_finance", PASSWORD, "login"), reg)


def s_ent_me():
    m = expect(me.sync_detailed(client=ent), 200, MeResponse, "me")
    check(m.role == Role.ENTERPRISE, f"me: role {m.role}")
    check(m.organization.id == reg.organization.id, "me: another organization")
    prof = m.organization.enterprise
    check(prof is not None and not isinstance(prof, Unset), "me: organization.enterprise is absent")
    check(prof.size_class == SizeClass.SMALL, f"me: size_class {prof.size_class}, expected small (工业 120人 2500万)")
    check(prof.has_prior_loan is False, "me: has_prior_loan should be false before any loan")
    return m, f"role={m.role} size_class={prof.size_class} region={m.organization.region_code}"


step("the enterprise reads GET /me", s_ent_me, ent, reg)


def s_webhook():
    w = expect(
        create_webhook.sync_detailed(
            client=ent,
            body=CreateWebhook(
                url=RECEIVER_URL,
                events=[
                    WebhookEvent.MATCH_CREATED,
                    WebhookEvent.MATCH_ACCEPTED,
                    WebhookEvent.MATCH_APPROVED,
                    WebhookEvent.LOAN_DISBURSED,
                    WebhookEvent.SUBSIDY_CLAIM_APPROVED,
                    WebhookEvent.SUBSIDY_CLAIM_PAID,
                ],
            ),
        ),
        201,
        WebhookView,
        "create_webhook",
    )
    check(isinstance(w.secret, str) and len(w.secret) >= 16, f"create_webhook: secret {w.secret!r} not returned")
    check(w.url == RECEIVER_URL, f"create_webhook: url {w.url!r}")
    return w, f"id={w.id} → {RECEIVER_URL}"


webhook = step("the enterprise registers a webhook to a loopback receiver (POST /webhooks)", s_webhook, ent)


def s_webhook_refused():
    resp = create_webhook.sync_detailed(
        client=ent, body=CreateWebhook(url="ftp://127.0.0.1/finmatch", events=[WebhookEvent.MATCH_CREATED])
    )
    p = expect(resp, 422, Problem, "create_webhook")
    check(p.code == "webhook_url_not_allowed", f"create_webhook with an ftp URL: code {p.code}")
    return p, f"422 {p.code}"


step("a webhook URL with another scheme is refused (POST /webhooks → 422)", s_webhook_refused, ent)


def s_list_webhooks():
    page = expect(list_webhooks.sync_detailed(client=ent), 200, PageWebhookView, "list_webhooks")
    check(any(w.id == webhook.id for w in page.items), "list_webhooks: the webhook is missing")
    for w in page.items:
        check(not isinstance(w.secret, str), "list_webhooks: the secret is shown again")
    return page, f"{len(page.items)} webhook(s)"


step("the enterprise lists its webhooks (GET /webhooks)", s_list_webhooks, webhook)


def s_qualification():
    q = expect(
        create_qualification.sync_detailed(
            reg.organization.id,
            client=ent,
            body=CreateQualification(
                kind=QualificationKind.SPECIALIZED_SME,
                level=QualificationLevel.PROVINCIAL,
                certified_on=TODAY - dt.timedelta(days=400),
                expires_on=TODAY + dt.timedelta(days=700),
                certificate_no="鲁工信专精〔2025〕118号",
            ),
        ),
        201,
        QualificationView,
        "create_qualification",
    )
    check(q.valid_today is True, "create_qualification: valid_today should be true")
    check(
        q.kind == QualificationKind.SPECIALIZED_SME and q.level == QualificationLevel.PROVINCIAL, f"{q.kind} {q.level}"
    )
    return q, f"id={q.id} {q.kind}/{q.level} valid_today={q.valid_today}"


qual = step(
    "the enterprise adds a provincial 专精特新 qualification (POST /enterprises/{id}/qualifications)",
    s_qualification,
    ent,
    reg,
)


def s_list_quals():
    page = expect(
        list_qualifications.sync_detailed(reg.organization.id, client=ent),
        200,
        PageQualificationView,
        "list_qualifications",
    )
    check(any(q.id == qual.id for q in page.items), "list_qualifications: the qualification is missing")
    return page, f"{len(page.items)} qualification(s)"


step("the enterprise lists its qualifications (GET /enterprises/{id}/qualifications)", s_list_quals, qual)


def s_get_ent():
    e = expect(get_enterprise.sync_detailed(reg.organization.id, client=ent), 200, EnterpriseView, "get_enterprise")
    check(e.size_class == SizeClass.SMALL, f"get_enterprise: size_class {e.size_class}")
    check(any(q.id == qual.id for q in e.qualifications), "get_enterprise: qualification missing")
    return e, f"{e.name} size_class={e.size_class}"


step("the enterprise reads its profile (GET /enterprises/{id})", s_get_ent, qual)


def profile_update(region_code: str, employees: int) -> UpdateEnterprise:
    return UpdateEnterprise(
        name="青岛海科精密机械有限公司",
        region_code=region_code,
        industry=Industry.INDUSTRY,
        employees=employees,
        annual_revenue="25000000.00",
        total_assets="18000000.00",
        established_on=dt.date(2015, 3, 18),
    )


def s_update_ent():
    e = expect(
        update_enterprise.sync_detailed(reg.organization.id, client=ent, body=profile_update("370202", 150)),
        200,
        EnterpriseView,
        "update_enterprise",
    )
    check(e.employees == 150 and e.size_class == SizeClass.SMALL, f"update_enterprise: {e.employees} {e.size_class}")
    return e, f"employees={e.employees} size_class={e.size_class}"


step("the enterprise updates its profile (PUT /enterprises/{id})", s_update_ent, reg, ent)


# --- the bank's product ---


def s_product():
    p = expect(
        create_product.sync_detailed(
            client=bank,
            body=CreateProduct(
                name="专精特新贷",
                description="面向省级及以上专精特新中小企业的信用或保证贷款",
                product_type=ProductType.SPECIALIZED_SME,
                min_amount="1000000.00",
                max_amount="30000000.00",
                min_term_months=6,
                max_term_months=36,
                min_rate="3.45",
                max_rate="4.35",
                guarantee_methods=[GuaranteeMethod.CREDIT, GuaranteeMethod.GUARANTEE],
                response_sla_days=3,
                status=ProductStatus.ACTIVE,
                eligibility=Eligibility(
                    qualifications_any=[
                        QualificationRequirement(
                            kind=QualificationKind.SPECIALIZED_SME, min_level=QualificationLevel.PROVINCIAL
                        )
                    ],
                    region_prefixes=["37"],
                ),
            ),
        ),
        201,
        ProductView,
        "create_product",
    )
    check(p.status == ProductStatus.ACTIVE, f"create_product: status {p.status}")
    check(p.bank_id == bank_org.id, f"create_product: bank_id {p.bank_id}, expected {bank_org.id}")
    check(p.product_type == ProductType.SPECIALIZED_SME, f"create_product: product_type {p.product_type}")
    reqs = p.eligibility.qualifications_any
    check(
        not isinstance(reqs, Unset) and len(reqs) == 1 and reqs[0].kind == QualificationKind.SPECIALIZED_SME,
        f"create_product: eligibility.qualifications_any {reqs!r}",
    )
    return p, f"id={p.id} {p.product_type} {p.status}"


product = step("the bank publishes an active 专精特新贷 product (POST /products)", s_product, bank, bank_org)


def s_list_products():
    page = expect(
        list_products.sync_detailed(client=ent, product_type=ProductType.SPECIALIZED_SME, status=ProductStatus.ACTIVE),
        200,
        PageProductView,
        "list_products",
    )
    check(any(p.id == product.id for p in page.items), "list_products: the product is missing")
    return page, f"{len(page.items)} product(s)"


step("the enterprise lists products (GET /products?product_type&status)", s_list_products, product, ent)


def s_get_product():
    p = expect(get_product.sync_detailed(product.id, client=ent), 200, ProductView, "get_product")
    check(p.id == product.id and p.bank_name == "青岛银行", f"get_product: {p.id} {p.bank_name!r}")
    return p, f"{p.name} by {p.bank_name}"


step("the enterprise reads the product (GET /products/{id})", s_get_product, product, ent)

# --- the demand ---
DEMAND_BODY = CreateDemand(
    amount="5000000.00",
    term_months=12,
    purpose=Purpose.EQUIPMENT,
    guarantee_methods=[GuaranteeMethod.CREDIT, GuaranteeMethod.GUARANTEE],
    max_rate="4.2",
    preferred_product_types=[ProductType.SPECIALIZED_SME],
    needed_by=TODAY + dt.timedelta(days=60),
    description="采购五轴数控机床两台",
)


def s_demand():
    d = expect(
        create_demand.sync_detailed(client=ent, body=DEMAND_BODY, idempotency_key="client-demand-1"),
        201,
        DemandView,
        "create_demand",
    )
    check(d.status == DemandStatus.OPEN, f"create_demand: status {d.status}")
    check(money(d.amount) == Decimal("5000000"), f"create_demand: amount {d.amount}")
    check(d.enterprise_id == reg.organization.id, f"create_demand: enterprise_id {d.enterprise_id}")
    return d, f"id={d.id} amount={d.amount} status={d.status}"


demand = step("the enterprise posts a demand (POST /demands, Idempotency-Key)", s_demand, ent, reg)


def s_demand_replay():
    resp = create_demand.sync_detailed(client=ent, body=DEMAND_BODY, idempotency_key="client-demand-1")
    d = expect(
        resp,
        201,
        DemandView,
        "create_demand",
    )
    check(d.id == demand.id, f"create_demand replay: id {d.id}, expected the original {demand.id}")
    replayed = resp.headers.get("idempotency-replayed")
    check(replayed == "true", f"create_demand replay: Idempotency-Replayed header {replayed!r}, documented 'true'")
    return d, f"same id={d.id}, Idempotency-Replayed: {replayed}"


step("the same Idempotency-Key replays the original (POST /demands)", s_demand_replay, demand)


def s_list_demands():
    page = expect(list_demands.sync_detailed(client=ent), 200, PageDemandView, "list_demands")
    ids = [d.id for d in page.items]
    check(ids.count(demand.id) == 1, f"list_demands: demand {demand.id} listed {ids.count(demand.id)} times")
    return page, f"{len(page.items)} demand(s)"


step("the enterprise lists its demands (GET /demands)", s_list_demands, demand)


def s_recommendations():
    r = expect(
        recommendations.sync_detailed(demand.id, client=ent, include_ineligible=True, limit=20),
        200,
        Recommendations,
        "recommendations",
    )
    check(r.demand_id == demand.id, f"recommendations: demand_id {r.demand_id}")
    mine = [m for m in r.items if m.product_id == product.id]
    check(len(mine) == 1, f"recommendations: product {product.id} listed {len(mine)} times")
    m = mine[0]
    check(
        m.eligible is True,
        "recommendations: the product should be eligible: "
        + "; ".join(f"{x.criterion}={x.passed} {x.detail}" for x in m.reasons),
    )
    check(0 <= m.score <= 100 and len(m.reasons) > 0, f"recommendations: score {m.score}, {len(m.reasons)} reasons")
    check(
        all(x.passed for x in m.reasons if x.criterion in ("qualifications", "qualification")),
        "a qualification reason failed",
    )
    return r, f"{len(r.items)} product(s); ours eligible, score={m.score}, {len(m.reasons)} reasons"


step(
    "the enterprise reads recommendations (GET /demands/{id}/recommendations?include_ineligible=true)",
    s_recommendations,
    demand,
    product,
)


def s_candidates():
    c = expect(candidates.sync_detailed(product.id, client=bank), 200, Candidates, "candidates")
    check(c.product_id == product.id, f"candidates: product_id {c.product_id}")
    mine = [x for x in c.items if x.demand_id == demand.id]
    check(len(mine) == 1 and mine[0].eligible is True, f"candidates: demand {demand.id} not an eligible candidate")
    check(
        mine[0].size_class == SizeClass.SMALL and mine[0].region_code == "370202",
        f"candidates: size_class {mine[0].size_class}, region_code {mine[0].region_code!r}",
    )
    return c, f"{len(c.items)} candidate(s); ours score={mine[0].score}"


step("the bank lists its product's candidates (GET /products/{id}/candidates)", s_candidates, product, demand, bank)


def s_apply():
    m = expect(
        create_match.sync_detailed(client=ent, body=CreateMatch(demand_id=demand.id, product_id=product.id)),
        201,
        MatchView,
        "create_match",
    )
    check(m.state == MatchState.APPLIED, f"create_match: state {m.state}, expected applied")
    check(m.bank_id == bank_org.id and m.enterprise_id == reg.organization.id, "create_match: wrong parties")
    check(
        isinstance(m.respond_by, dt.datetime) or isinstance(m.respond_by, (str, dt.date)),
        f"respond_by {m.respond_by!r}",
    )
    return m, f"id={m.id} state={m.state} respond_by={m.respond_by}"


match = step("the enterprise applies (POST /matches)", s_apply, demand, product)


def s_list_matches():
    page = expect(list_matches.sync_detailed(client=bank, demand_id=demand.id), 200, PageMatchView, "list_matches")
    check([m.id for m in page.items] == [match.id], f"list_matches: {[m.id for m in page.items]}")
    page2 = expect(
        list_matches.sync_detailed(client=bank, state=MatchState.APPLIED), 200, PageMatchView, "list_matches"
    )
    check(any(m.id == match.id for m in page2.items), "list_matches?state=applied: the match is missing")
    return page, f"{len(page.items)} match(es) for the demand"


step("the bank lists matches (GET /matches?demand_id, ?state=applied)", s_list_matches, match, bank)


def s_accept():
    m = expect(
        accept.sync_detailed(match.id, client=bank, body=AcceptBody(note="已联系企业, 安排尽调")),
        200,
        MatchView,
        "accept",
    )
    check(m.state == MatchState.ACCEPTED, f"accept: state {m.state}")
    return m, f"state={m.state} decide_by={m.decide_by}"


accepted = step("the bank accepts (POST /matches/{id}/accept)", s_accept, match)


def s_approve():
    m = expect(
        approve.sync_detailed(
            match.id,
            client=bank,
            body=ApproveBody(approved_amount="5000000.00", annual_rate="3.65", term_months=12),
        ),
        200,
        MatchView,
        "approve",
    )
    check(m.state == MatchState.APPROVED, f"approve: state {m.state}")
    check(money(m.approved_amount) == Decimal("5000000"), f"approve: approved_amount {m.approved_amount}")
    return m, f"state={m.state} approved_amount={m.approved_amount} rate={m.approved_rate}"


approved = step("the bank approves (POST /matches/{id}/approve)", s_approve, accepted)

DISBURSED_ON = TODAY - dt.timedelta(days=90)


def s_disburse():
    loan_ = expect(
        disburse.sync_detailed(
            match.id,
            client=bank,
            body=CreateDisbursement(
                amount="5000000.00",
                annual_rate="3.65",
                term_months=12,
                disbursed_on=DISBURSED_ON,
                first_loan=True,
                guarantee=GuaranteeInput(
                    guarantor_id=guar_org.id, fee_rate="1.00", counter_guarantee=CounterGuarantee.CREDIT
                ),
            ),
        ),
        201,
        LoanView,
        "disburse",
    )
    check(loan_.match_id == match.id and money(loan_.amount) == Decimal("5000000"), f"disburse: {loan_!r}")
    check(loan_.disbursed_on == DISBURSED_ON, f"disburse: disbursed_on {loan_.disbursed_on}")
    g = loan_.guarantee
    check(g is not None and not isinstance(g, Unset), "disburse: guarantee missing from the loan")
    check(
        g.guarantor_id == guar_org.id and g.counter_guarantee == CounterGuarantee.CREDIT, f"disburse: guarantee {g!r}"
    )
    return loan_, f"loan id={loan_.id} amount={loan_.amount} on {loan_.disbursed_on}, guaranteed by {g.guarantor_id}"


loan = step("the bank disburses with a guarantee (POST /matches/{id}/disbursements)", s_disburse, approved, guar_org)


def s_get_match():
    m = expect(get_match.sync_detailed(match.id, client=ent), 200, MatchView, "get_match")
    check(m.state == MatchState.DISBURSED, f"get_match: state {m.state}, expected disbursed")
    check(money(m.disbursed_amount) == Decimal("5000000"), f"get_match: disbursed_amount {m.disbursed_amount}")
    events = m.events
    check(isinstance(events, list), f"get_match: events {events!r}")
    tos = [e.to for e in events]
    for s in (MatchState.APPLIED, MatchState.ACCEPTED, MatchState.APPROVED, MatchState.DISBURSED):
        check(s in tos, f"get_match: no event to {s}: {tos}")
    return m, f"state={m.state}, {len(events)} events: " + " → ".join(str(t) for t in tos)


step("the enterprise follows the match (GET /matches/{id} with events)", s_get_match, loan)


def s_invalid_transition():
    p = expect(accept.sync_detailed(match.id, client=bank, body=AcceptBody()), 409, Problem, "accept")
    check(p.code == "invalid_transition", f"accept a disbursed match: code {p.code}")
    return p, f"409 {p.code}"


step("accepting a disbursed match is refused (POST /matches/{id}/accept → 409)", s_invalid_transition, loan)


def s_demand_fulfilled():
    d = expect(get_demand.sync_detailed(demand.id, client=ent), 200, DemandView, "get_demand")
    check(d.status == DemandStatus.FULFILLED, f"get_demand: status {d.status}, expected fulfilled")
    return d, f"status={d.status}"


step("the demand is fulfilled (GET /demands/{id})", s_demand_fulfilled, loan)


def s_list_loans(who: Client, label: str):
    page = expect(list_loans.sync_detailed(client=who), 200, PageLoanView, "list_loans")
    check(any(l.id == loan.id for l in page.items), f"list_loans as {label}: the loan is missing")
    return page, f"{len(page.items)} loan(s)"


step("the enterprise lists its loans (GET /loans)", lambda: s_list_loans(ent, "enterprise"), loan)
step(
    "the guarantor lists the loans it guarantees (GET /loans)",
    lambda: s_list_loans(guarantor, "guarantor"),
    loan,
    guarantor,
)


def s_get_loan():
    l = expect(get_loan.sync_detailed(loan.id, client=office), 200, LoanView, "get_loan")
    check(l.first_loan is True and money(l.annual_rate) == Decimal("3.65"), f"get_loan: {l!r}")
    return l, f"first_loan={l.first_loan} rate={l.annual_rate}"


step("the finance office reads the loan (GET /loans/{id})", s_get_loan, loan, office)


def s_has_prior_loan():
    m = expect(me.sync_detailed(client=ent), 200, MeResponse, "me")
    check(m.organization.enterprise.has_prior_loan is True, "me: has_prior_loan should be true after the disbursement")
    return m, "has_prior_loan=true"


step("the disbursement set has_prior_loan (GET /me)", s_has_prior_loan, loan)


def s_list_enterprises():
    page = expect(list_enterprises.sync_detailed(client=office), 200, PageEnterpriseView, "list_enterprises")
    check(any(e.id == reg.organization.id for e in page.items), "list_enterprises: the enterprise is missing")
    return page, f"{len(page.items)} enterprise(s) in region 37"


step("the finance office lists its region's enterprises (GET /enterprises)", s_list_enterprises, office, reg)


def s_lpr():
    l = expect(list_lpr.sync_detailed(client=office), 200, LprList, "list_lpr")
    check(len(l.items) >= 15, f"list_lpr: {len(l.items)} entries")
    p = [x for x in l.items if x.effective_on == dt.date(2025, 5, 20)]
    check(len(p) == 1 and money(p[0].one_year) == Decimal("3.00"), f"list_lpr: 2025-05-20 entry {p!r}")
    return l, f"{len(l.items)} entries, latest {l.items[-1].effective_on} 1y={l.items[-1].one_year}"


lpr = step("the finance office reads the LPR series (GET /lpr)", s_lpr, office)

# --- policies and subsidies ---
POLICY_ELIGIBILITY = PolicyEligibility(
    qualifications_any=[
        QualificationRequirement(kind=QualificationKind.SPECIALIZED_SME, min_level=QualificationLevel.PROVINCIAL)
    ],
    region_prefixes=["37"],
)


def s_interest_policy():
    p = expect(
        create_policy.sync_detailed(
            client=office,
            body=CreatePolicy(
                name="专精特新企业贷款贴息",
                kind=PolicyKind.INTEREST_SUBSIDY,
                effective_from=dt.date(TODAY.year, 1, 1),
                effective_to=None,
                budget="100000000.00",
                eligibility=POLICY_ELIGIBILITY,
                rule=RuleInput(
                    base=InterestBase.LPR_SHARE,
                    share_percent="50",
                    lpr_term=LprTerm("1y"),
                    lpr_reference=LprReference.DISBURSEMENT_DATE,
                    max_points="1.5",
                    day_count=DayCount.ACT_360,
                    max_months=12,
                ),
            ),
        ),
        201,
        PolicyView,
        "create_policy",
    )
    check(
        p.kind == PolicyKind.INTEREST_SUBSIDY and money(p.budget_remaining) == Decimal("100000000"),
        f"create_policy: {p!r}",
    )
    return p, f"id={p.id} {p.kind} status={p.status} region={p.region_prefix}"


ipol = step("the office creates an interest_subsidy policy (POST /policies)", s_interest_policy, office)


def s_fee_policy():
    p = expect(
        create_policy.sync_detailed(
            client=office,
            body=CreatePolicy(
                name="融资担保费补贴",
                kind=PolicyKind.GUARANTEE_FEE_SUBSIDY,
                effective_from=dt.date(TODAY.year, 1, 1),
                budget="20000000.00",
                eligibility=POLICY_ELIGIBILITY,
                rule=RuleInput(
                    subsidy_percent="0.5",
                    max_fee_rate="1.5",
                    counter_guarantee=[CounterGuarantee.CREDIT],
                    day_count=DayCount.MONTHS_30_360,
                    cap_at_fee_paid=True,
                ),
            ),
        ),
        201,
        PolicyView,
        "create_policy",
    )
    check(p.kind == PolicyKind.GUARANTEE_FEE_SUBSIDY, f"create_policy: kind {p.kind}")
    return p, f"id={p.id} {p.kind} status={p.status}"


gpol = step("the office creates a guarantee_fee_subsidy policy (POST /policies)", s_fee_policy, office)


def s_list_policies():
    page = expect(list_policies.sync_detailed(client=office), 200, PagePolicyView, "list_policies")
    ids = {p.id for p in page.items}
    check(ipol.id in ids and gpol.id in ids, f"list_policies: {sorted(ids)}")
    one = expect(get_policy.sync_detailed(gpol.id, client=office), 200, PolicyView, "get_policy")
    check(one.id == gpol.id and one.rule.subsidy_percent in ("0.5", "0.50"), f"get_policy: rule {one.rule!r}")
    return page, f"{len(page.items)} policies; GET /policies/{gpol.id} rule.subsidy_percent={one.rule.subsidy_percent}"


step("the office lists and reads policies (GET /policies, /policies/{id})", s_list_policies, ipol, gpol)

PERIOD_START = DISBURSED_ON
PERIOD_END = DISBURSED_ON + dt.timedelta(days=60)


def s_quote(policy: PolicyView, label: str):
    q = expect(
        quote.sync_detailed(
            policy.id,
            client=office,
            body=QuoteRequest(loan_id=loan.id, period_start=PERIOD_START, period_end=PERIOD_END),
        ),
        200,
        Quote,
        "quote",
    )
    check(
        q.eligible is True,
        f"quote ({label}): not eligible: " + "; ".join(f"{r.criterion}={r.passed} {r.detail}" for r in q.reasons),
    )
    check(money(q.amount) > 0, f"quote ({label}): amount {q.amount}")
    check(len(q.breakdown) > 0, f"quote ({label}): empty breakdown")
    if policy is ipol and lpr is not None:
        # 50 % of the 1-year LPR as of the disbursement date, capped at 1.5 points, act/360,
        # 算头不算尾, rounded half-up to 0.01 once.
        lpr_1y = money([x for x in lpr.items if x.effective_on <= DISBURSED_ON][-1].one_year)
        rate = min(lpr_1y * Decimal("0.5"), Decimal("1.5"), Decimal("3.65"))
        days = (PERIOD_END - PERIOD_START).days
        want = (Decimal("5000000") * rate / 100 * days / 360).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        check(money(q.amount) == want, f"quote ({label}): amount {q.amount}, expected {want} ({rate}% × {days}/360)")
    return q, f"amount={q.amount}, {len(q.breakdown)} breakdown steps"


iquote = step(
    "the office quotes the loan under the interest policy (POST /policies/{id}/quote, loan_id)",
    lambda: s_quote(ipol, "interest"),
    ipol,
    loan,
)
step(
    "the office quotes the loan under the guarantee-fee policy (POST /policies/{id}/quote, loan_id)",
    lambda: s_quote(gpol, "guarantee fee"),
    gpol,
    loan,
)


def s_claim():
    c = expect(
        create_claim.sync_detailed(
            client=ent,
            body=CreateClaim(policy_id=ipol.id, loan_id=loan.id, period_start=PERIOD_START, period_end=PERIOD_END),
        ),
        201,
        ClaimView,
        "create_claim",
    )
    check(c.state == ClaimState.SUBMITTED, f"create_claim: state {c.state}")
    if iquote is not None:
        check(money(c.amount) == money(iquote.amount), f"create_claim: amount {c.amount} ≠ quote {iquote.amount}")
    check(c.payee_id == reg.organization.id, f"create_claim: payee {c.payee_id}, expected the enterprise")
    return c, f"id={c.id} state={c.state} amount={c.amount}"


claim = step("the enterprise submits an interest-subsidy claim (POST /subsidy-claims)", s_claim, ipol, loan)


def s_duplicate_claim():
    p = expect(
        create_claim.sync_detailed(
            client=office,
            body=CreateClaim(
                policy_id=ipol.id,
                loan_id=loan.id,
                period_start=PERIOD_START + dt.timedelta(days=30),
                period_end=PERIOD_END + dt.timedelta(days=30),
            ),
        ),
        409,
        Problem,
        "create_claim",
    )
    check(p.code == "duplicate_claim", f"an overlapping claim: code {p.code}")
    return p, f"409 {p.code}"


step("an overlapping claim is refused (POST /subsidy-claims → 409)", s_duplicate_claim, claim)


def s_approve_claim():
    c = expect(approve_claim.sync_detailed(claim.id, client=office), 200, ClaimView, "approve_claim")
    check(c.state == ClaimState.APPROVED and money(c.amount) > 0, f"approve_claim: {c.state} {c.amount}")
    return c, f"state={c.state} amount={c.amount}"


claim_ok = step("the office approves the claim (POST /subsidy-claims/{id}/approve)", s_approve_claim, claim, office)


def s_pay_claim():
    c = expect(
        pay_claim.sync_detailed(claim.id, client=office, body=PayClaim(paid_on=TODAY, reference="国库支付2026-001")),
        200,
        ClaimView,
        "pay_claim",
    )
    check(c.state == ClaimState.PAID and c.paid_on == TODAY, f"pay_claim: {c.state} {c.paid_on}")
    check(c.payment_reference == "国库支付2026-001", f"pay_claim: reference {c.payment_reference!r}")
    return c, f"state={c.state} paid_on={c.paid_on}"


claim_paid = step("the office pays the claim (POST /subsidy-claims/{id}/pay)", s_pay_claim, claim_ok)


def s_list_claims():
    page = expect(list_claims.sync_detailed(client=office), 200, PageClaimView, "list_claims")
    check(any(c.id == claim.id for c in page.items), "list_claims: the claim is missing")
    one = expect(get_claim.sync_detailed(claim.id, client=ent), 200, ClaimView, "get_claim")
    check(one.state == ClaimState.PAID, f"get_claim: state {one.state}")
    return page, f"{len(page.items)} claim(s); GET /subsidy-claims/{claim.id} state={one.state}"


step("claims are listed and read (GET /subsidy-claims, /subsidy-claims/{id})", s_list_claims, claim_paid)

# --- reporting ---


def s_overview():
    o = expect(overview.sync_detailed(client=office), 200, Overview, "overview")
    check(o.loans.count == 1 and money(o.loans.amount) == Decimal("5000000"), f"overview: loans {o.loans!r}")
    check(o.demands.count == 1, f"overview: demands {o.demands!r}")
    check(o.loans.first_loan_enterprises == 1, f"overview: first_loan_enterprises {o.loans.first_loan_enterprises}")
    check(o.matches.total == 1, f"overview: matches.total {o.matches.total}")
    if claim_paid is not None:
        check(money(o.subsidies.paid) == money(claim_paid.amount), f"overview: subsidies.paid {o.subsidies.paid}")
    return o, f"loans={o.loans.count}/{o.loans.amount} match_success_rate={o.match_success_rate}"


step("the office reads GET /stats/overview", s_overview, loan, office)


def s_breakdown(by: By):
    b = expect(breakdown.sync_detailed(client=office, by=by), 200, Breakdown, "breakdown")
    check(b.by == by, f"breakdown: by {b.by}")
    check(len(b.groups) >= 1, f"breakdown by {by}: no groups")
    total = sum((money(g.loans.amount) for g in b.groups), Decimal(0))
    check(total == Decimal("5000000"), f"breakdown by {by}: group loan amounts sum to {total}")
    return b, f"{len(b.groups)} group(s): " + ", ".join(f"{g.key}={g.loans.amount}" for g in b.groups)


step("the office reads GET /stats/breakdown?by=bank", lambda: s_breakdown(By.BANK), loan, office)
step("the office reads GET /stats/breakdown?by=quarter", lambda: s_breakdown(By.QUARTER), loan, office)


def s_banks():
    b = expect(banks.sync_detailed(client=office), 200, BankList, "banks")
    mine = [x for x in b.items if x.bank_id == bank_org.id]
    check(len(mine) == 1, f"banks: bank {bank_org.id} listed {len(mine)} times")
    x = mine[0]
    check(x.matches_received == 1 and x.accepted == 1, f"banks: {x!r}")
    check(money(x.disbursed_amount) == Decimal("5000000"), f"banks: disbursed_amount {x.disbursed_amount}")
    return b, f"{x.bank_name}: received={x.matches_received} accepted={x.accepted} median_h={x.median_hours_to_respond}"


step("the office reads GET /stats/banks", s_banks, loan, office)


def s_target():
    t = expect(
        create_target.sync_detailed(
            client=office,
            body=CreateTarget(
                name=f"{TODAY.year}年专精特新贷款投放目标",
                metric=Metric.DISBURSED_AMOUNT,
                value="100000000.00",
                from_=dt.date(TODAY.year, 1, 1),
                to=dt.date(TODAY.year, 12, 31),
                region_prefix="37",
            ),
        ),
        201,
        TargetView,
        "create_target",
    )
    check(money(t.actual) == Decimal("5000000"), f"create_target: actual {t.actual}, expected 5000000.00")
    return t, f"id={t.id} actual={t.actual} progress={t.progress}"


target = step("the office sets a target (POST /targets)", s_target, office, loan)


def s_targets():
    page = expect(list_targets.sync_detailed(client=office), 200, PageTargetView, "list_targets")
    check(any(t.id == target.id for t in page.items), "list_targets: the target is missing")
    t = expect(get_target.sync_detailed(target.id, client=office), 200, TargetView, "get_target")
    check(t.id == target.id and money(t.actual) == Decimal("5000000"), f"get_target: {t!r}")
    return t, f"{len(page.items)} target(s); actual={t.actual} progress={t.progress}"


step("the office reads GET /targets and /targets/{id}", s_targets, target)


def s_xlsx(fn: Any, op: str, **kw: Any):
    f = expect(fn.sync_detailed(client=office, **kw), 200, File, op)
    data = f.payload.read()
    check(data[:2] == b"PK", f"{op}: not a zip/xlsx: {data[:16]!r}")
    return f, f"{len(data)} bytes, starts with PK"


step("the office downloads GET /reports/loans.xlsx", lambda: s_xlsx(loans_xlsx, "loans_xlsx"), loan, office)
step(
    "the office downloads GET /reports/breakdown.xlsx?by=bank",
    lambda: s_xlsx(breakdown_xlsx, "breakdown_xlsx", by=By.BANK),
    loan,
    office,
)


def s_csv():
    # CSV is text: the generated function should hand back the decoded text (a str).
    text = expect(loans_csv.sync_detailed(client=office), 200, str, "loans_csv")
    lines = [x for x in text.lstrip("\ufeff").splitlines() if x.strip()]
    check(len(lines) >= 2, f"loans_csv: {len(lines)} line(s)")
    check(ENT_CODE in text, "loans_csv: the enterprise's loan is missing")
    return text, f"{len(lines)} lines, header: {lines[0][:40]}…"


step("the office downloads GET /reports/loans.csv", s_csv, loan, office)

# --- the webhook delivery ---


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    low = {k.lower(): v for k, v in headers.items()}
    sig = low.get("x-finmatch-signature", "")
    parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return False
    mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts["v1"])


def s_delivery():
    deadline = time.monotonic() + 60
    last = "no deliveries listed"
    while True:
        page = expect(
            list_deliveries.sync_detailed(webhook.id, client=ent, limit=50), 200, PageDeliveryView, "list_deliveries"
        )
        delivered = [d for d in page.items if d.status == DeliveryStatus.DELIVERED]
        with RECEIVED_LOCK:
            got = list(RECEIVED)
        if delivered and got:
            break
        last = (
            f"{len(page.items)} deliveries listed, statuses "
            + ", ".join(f"{d.event}:{d.status}({d.last_error or d.last_status_code or ''})" for d in page.items)
            + f"; receiver got {len(got)}"
        )
        if time.monotonic() > deadline:
            raise StepFailure(f"no delivery recorded as delivered and received within 60 s: {last}")
        time.sleep(1)
    d = delivered[0]
    by_id = {{k.lower(): v for k, v in g["headers"].items()}.get("x-finmatch-delivery"): g for g in got}
    check(
        d.delivery_id in by_id,
        f"the receiver never got delivery {d.delivery_id} (got {sorted(k or '' for k in by_id)})",
    )
    g = by_id[d.delivery_id]
    low = {k.lower(): v for k, v in g["headers"].items()}
    check(low.get("x-finmatch-event") == str(d.event), f"X-Finmatch-Event {low.get('x-finmatch-event')!r} ≠ {d.event}")
    check(
        verify_signature(webhook.secret, g["headers"], g["body"]),
        "X-Finmatch-Signature does not verify with the secret",
    )
    check(d.attempts >= 1 and d.delivered_at is not None, f"delivery {d!r}")
    return (
        page,
        f"{len(delivered)} delivered of {len(page.items)}; receiver got {len(got)}; {d.event} signature verified",
    )


step(
    "a webhook delivery is recorded as delivered and received (GET /webhooks/{id}/deliveries)",
    s_delivery,
    webhook,
    loan,
)

receiver.shutdown()

# Last, because a server that wrongly accepts the change would move the enterprise out of the
# region the earlier steps rely on.


def s_region_change():
    p = expect(
        update_enterprise.sync_detailed(reg.organization.id, client=ent, body=profile_update("370203", 150)),
        403,
        Problem,
        "update_enterprise",
    )
    check(p.code == "region_change_forbidden", f"update_enterprise with another region: code {p.code}")
    return p, f"403 {p.code}"


step("the enterprise may not change its own region_code (PUT /enterprises/{id} → 403)", s_region_change, reg, ent)

# --------------------------------------------------------------------------------------------
if FAILURES:
    print("\nfailures:")
    for f in FAILURES:
        print(f"  - {f}")
tail = f", {SKIPPED} skipped" if SKIPPED else ""
print(f"client scenario: {PASSED} passed, {FAILED} failed{tail}")
sys.exit(1 if FAILED or SKIPPED else 0)
