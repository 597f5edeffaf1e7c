// The bank's console: an inbox of matches sorted by deadline with overdue marks, accept /
// approve / reject (a reason required) and disburse; its products and loans.
import { useState } from "preact/hooks";
import { api, call, type Schemas } from "../api";
import { day, label, options, percent, wan, yuan } from "../format";
import { Empty, FormEnd, ErrorNote, Field, Loading, ProblemNote, Section, Table, useForm, useLoad } from "../ui";
import { Loans } from "./enterprise";
import { Renewals } from "./shared";

type Me = Schemas["MeResponse"];
type Match = Schemas["MatchView"];

export function BankHome({ me, route }: { me: Me; route: string }) {
  const m = /^\/products\/(\d+)$/.exec(route);
  if (m) return <Candidates productId={Number(m[1])} />;
  switch (route) {
    case "/renewals":
      return <Renewals />;
    case "/products":
      return (
        <>
          <NewProduct />
          <Products bankId={me.organization.id} />
        </>
      );
    case "/loans":
      return (
        <>
          <ReportEvent />
          <Loans />
        </>
      );
    default:
      return <Inbox />;
  }
}

/// The deadline a match waits on: the bank's answer (`respond_by`) or its decision
/// (`decide_by`); an approved match waits for 放款 with no deadline, so it sorts last.
function deadline(m: Match): string {
  const d = m.state === "applied" ? m.respond_by : m.state === "accepted" ? m.decide_by : null;
  return d ?? "9999-12-31";
}

/// A match or a renewal waiting for the bank, with the deadline it waits on.
type Task = { kind: "match"; m: Match; due: string } | { kind: "renewal"; r: Renewal; due: string };

/// One inbox of matches and renewals, sorted by deadline (overdue first), then those without one.
function Inbox() {
  const load = async (): Promise<Task[]> => {
    const matchPages = await Promise.all(
      (["applied", "accepted", "approved"] as const).map((state) =>
        call(api.GET("/api/v1/matches", { params: { query: { state, limit: 100 } } })),
      ),
    );
    const renewalPages = await Promise.all(
      (["requested", "approved"] as const).map((state) =>
        call(api.GET("/api/v1/renewals", { params: { query: { state, limit: 100 } } })),
      ),
    );
    const tasks: Task[] = [
      ...matchPages.flatMap((p) => p.items).map((m): Task => ({ kind: "match", m, due: deadline(m) })),
      ...renewalPages
        .flatMap((p) => p.items)
        .map((r): Task => ({ kind: "renewal", r, due: r.state === "requested" ? r.respond_by : "9999-12-31" })),
    ];
    return tasks.sort((a, b) => a.due.localeCompare(b.due));
  };
  const inbox = useLoad(load, []);
  const [open, setOpen] = useState<string | null>(null);
  const done = () => (setOpen(null), inbox.reload());
  const handle = (key: string) =>
    open === key ? null : (
      <button type="button" onClick={() => setOpen(key)}>
        处理
      </button>
    );
  const when = (due: string, none: string) => (
    <span class="muted">{due === "9999-12-31" ? none : `期限 ${day(due)}`}</span>
  );
  return (
    <Section title="待办（对接与续贷，按期限排序）">
      <ErrorNote message={inbox.error} />
      {!inbox.data ? (
        <Loading />
      ) : inbox.data.length === 0 ? (
        <Empty>没有待处理的对接或续贷。企业申请您的产品或续贷后会出现在这里。</Empty>
      ) : (
        <ul class="inbox">
          {inbox.data.map((t) =>
            t.kind === "match" ? (
              <li class={t.m.overdue ? "overdue" : ""} data-match={t.m.id}>
                <div class="rec-head">
                  <strong>对接 {t.m.id}</strong>（需求 {t.m.demand_id}，产品 {t.m.product_id}） ·{" "}
                  {label("MatchState", t.m.state)}
                  {t.m.overdue && <span class="badge warn">已逾期</span>}
                  {when(t.due, "待放款")}
                </div>
                {t.m.approved_amount && (
                  <div class="muted">
                    授信 {wan(t.m.approved_amount)}，年利率 {percent(t.m.approved_rate)}，{t.m.approved_term_months} 个月
                  </div>
                )}
                {open === `m${t.m.id}` ? <Actions match={t.m} onDone={done} /> : handle(`m${t.m.id}`)}
              </li>
            ) : (
              <li class={t.r.overdue ? "overdue" : ""} data-renewal={t.r.id}>
                <div class="rec-head">
                  <strong>续贷 {t.r.id}</strong>（贷款 {t.r.loan_id}）· {label("RenewalState", t.r.state)} · {wan(t.r.amount)}，
                  {t.r.term_months} 个月
                  {t.r.no_principal_repayment && <span class="badge">无还本续贷</span>}
                  {t.r.overdue && <span class="badge warn">已逾期</span>}
                  {when(t.due, "待发放")}
                </div>
                {open === `r${t.r.id}` ? <RenewalActions renewal={t.r} onDone={done} /> : handle(`r${t.r.id}`)}
              </li>
            ),
          )}
        </ul>
      )}
    </Section>
  );
}

function Actions({ match, onDone }: { match: Match; onDone: () => void }) {
  const f = useForm({
    approved_amount: "",
    annual_rate: "",
    term_months: "12",
    reason_code: "",
    reason: "",
    amount: match.approved_amount ?? "",
    disbursed_on: new Date().toISOString().slice(0, 10),
  });
  const id = match.id;
  const path = { params: { path: { id } } };
  const accept = () => f.run(async () => (await call(api.POST("/api/v1/matches/{id}/accept", { ...path, body: {} })), onDone()));
  const approve = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(
        api.POST("/api/v1/matches/{id}/approve", {
          ...path,
          body: {
            approved_amount: f.values.approved_amount,
            annual_rate: f.values.annual_rate,
            term_months: Number.parseInt(f.values.term_months, 10),
          },
        }),
      );
      onDone();
    });
  };
  const reject = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(api.POST("/api/v1/matches/{id}/reject", { ...path, body: { reason_code: f.values.reason_code, reason: f.values.reason } }));
      onDone();
    });
  };
  const disburse = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(
        api.POST("/api/v1/matches/{id}/disbursements", {
          ...path,
          body: {
            amount: f.values.amount,
            annual_rate: match.approved_rate ?? "",
            term_months: match.approved_term_months ?? 12,
            disbursed_on: f.values.disbursed_on,
            first_loan: false,
          },
        }),
      );
      onDone();
    });
  };
  return (
    <div class="actions">
      <ProblemNote problem={f.problem} />
      {match.state === "applied" && (
        <button type="button" onClick={accept} disabled={f.busy}>
          接单
        </button>
      )}
      {match.state === "accepted" && (
        <form class="grid-form" onSubmit={approve} aria-label="授信">
          <Field id={`amt-${id}`} label="授信金额（元）" error={f.problem?.field("approved_amount")}>
            <input id={`amt-${id}`} inputMode="decimal" value={f.values.approved_amount} onInput={f.set("approved_amount")} />
          </Field>
          <Field id={`rate-${id}`} label="年利率（%）" error={f.problem?.field("annual_rate")}>
            <input id={`rate-${id}`} inputMode="decimal" value={f.values.annual_rate} onInput={f.set("annual_rate")} />
          </Field>
          <Field id={`term-${id}`} label="期限（月）" error={f.problem?.field("term_months")}>
            <input id={`term-${id}`} inputMode="numeric" value={f.values.term_months} onInput={f.set("term_months")} />
          </Field>
          <button type="submit" disabled={f.busy}>
            授信
          </button>
        </form>
      )}
      {match.state === "approved" && (
        <form class="grid-form" onSubmit={disburse} aria-label="放款">
          <Field id={`disb-${id}`} label="放款金额（元）" error={f.problem?.field("amount")}>
            <input id={`disb-${id}`} inputMode="decimal" value={f.values.amount} onInput={f.set("amount")} />
          </Field>
          <Field id={`on-${id}`} label="放款日期" error={f.problem?.field("disbursed_on")}>
            <input id={`on-${id}`} type="date" value={f.values.disbursed_on} onInput={f.set("disbursed_on")} />
          </Field>
          <button type="submit" disabled={f.busy}>
            放款
          </button>
        </form>
      )}
      {(match.state === "applied" || match.state === "accepted") && (
        <form class="grid-form" onSubmit={reject} aria-label="拒绝">
          <Field id={`code-${id}`} label="拒绝原因代码" error={f.problem?.field("reason_code")}>
            <input id={`code-${id}`} placeholder="insufficient_cash_flow" value={f.values.reason_code} onInput={f.set("reason_code")} />
          </Field>
          <Field id={`reason-${id}`} label="拒绝原因（企业可见）" error={f.problem?.field("reason")}>
            <input id={`reason-${id}`} value={f.values.reason} onInput={f.set("reason")} />
          </Field>
          <button type="submit" class="danger" disabled={f.busy}>
            拒绝
          </button>
        </form>
      )}
    </div>
  );
}

function Products({ bankId }: { bankId: number }) {
  const list = useLoad(() => call(api.GET("/api/v1/products", { params: { query: { limit: 200 } } })), []);
  const [error, setError] = useState<string | null>(null);
  async function toggle(id: number, status: "active" | "paused") {
    setError(null);
    try {
      await call(api.PATCH("/api/v1/products/{id}", { params: { path: { id } }, body: { status } }));
      list.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <Section title="我的产品">
      <ErrorNote message={list.error ?? error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>还没有产品。用上方表单发布第一个产品。</Empty>
      ) : (
        <Table
          head={["产品", "类型", "额度", "期限", "年利率", "响应时限", "状态", ""]}
          rows={list.data.items.filter((p) => p.bank_id === bankId).map((p) => [
            p.name,
            label("ProductType", p.product_type),
            `${wan(p.min_amount)}–${wan(p.max_amount)}`,
            `${p.min_term_months}–${p.max_term_months} 个月`,
            `${percent(p.min_rate)}–${percent(p.max_rate)}`,
            `${p.response_sla_days} 个工作日`,
            label("ProductStatus", p.status),
            <span class="row-actions">
              <a href={`#/products/${p.id}`}>潜在客户</a>
              {(p.status === "active" || p.status === "paused") && (
                <button type="button" class="link" onClick={() => toggle(p.id, p.status === "active" ? "paused" : "active")}>
                  {p.status === "active" ? "暂停" : "恢复上架"}
                </button>
              )}
            </span>,
          ])}
        />
      )}
    </Section>
  );
}

/// Open demands that fit a product, ranked, with every reason (潜在客户).
function Candidates({ productId }: { productId: number }) {
  const list = useLoad(
    () => call(api.GET("/api/v1/products/{id}/candidates", { params: { path: { id: productId }, query: { limit: 50 } } })),
    [productId],
  );
  return (
    <Section title={`产品 ${productId} 的潜在客户`} actions={<a href="#/products">返回产品列表</a>}>
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>暂无符合该产品条件的融资需求。</Empty>
      ) : (
        <ol class="recs">
          {list.data.items.map((d) => (
            <li class="rec">
              <div class="rec-head">
                <strong>{d.enterprise_name}</strong>（{label("SizeClass", d.size_class)}，{d.region_code}） · 需求 {d.demand_id}：
                {wan(d.amount)}，{d.term_months} 个月，{label("Purpose", d.purpose)}
                <span class="score">匹配度 {d.score}</span>
              </div>
              <ul class="reasons">
                {d.reasons.map((r) => (
                  <li class={r.passed ? "pass" : "fail"}>
                    <span aria-hidden="true">{r.passed ? "✓" : "✗"}</span> {r.detail}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

type Renewal = Schemas["RenewalView"];

function RenewalActions({ renewal, onDone }: { renewal: Renewal; onDone: () => void }) {
  const id = renewal.id;
  const f = useForm({
    approved_amount: renewal.amount,
    annual_rate: "",
    term_months: String(renewal.term_months),
    reason_code: "",
    reason: "",
    disbursed_on: new Date().toISOString().slice(0, 10),
  });
  const path = { params: { path: { id } } };
  const months = () => Number.parseInt(f.values.term_months, 10);
  const approve = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(
        api.POST("/api/v1/renewals/{id}/approve", {
          ...path,
          body: { approved_amount: f.values.approved_amount, annual_rate: f.values.annual_rate, term_months: months() },
        }),
      );
      onDone();
    });
  };
  const reject = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(api.POST("/api/v1/renewals/{id}/reject", { ...path, body: { reason_code: f.values.reason_code, reason: f.values.reason } }));
      onDone();
    });
  };
  const disburse = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(
        api.POST("/api/v1/renewals/{id}/disburse", {
          ...path,
          body: {
            amount: renewal.approved_amount ?? f.values.approved_amount,
            annual_rate: renewal.approved_rate ?? f.values.annual_rate,
            term_months: renewal.approved_term_months ?? months(),
            disbursed_on: f.values.disbursed_on,
          },
        }),
      );
      onDone();
    });
  };
  return (
    <div class="actions">
      <ProblemNote problem={f.problem} />
      {renewal.state === "requested" && (
        <>
          <form class="grid-form" onSubmit={approve} aria-label="续贷承诺">
            <Field id={`ramt-${id}`} label="续贷金额（元）" error={f.problem?.field("approved_amount")}>
              <input id={`ramt-${id}`} inputMode="decimal" value={f.values.approved_amount} onInput={f.set("approved_amount")} />
            </Field>
            <Field id={`rrate-${id}`} label="年利率（%）" error={f.problem?.field("annual_rate")}>
              <input id={`rrate-${id}`} inputMode="decimal" value={f.values.annual_rate} onInput={f.set("annual_rate")} />
            </Field>
            <Field id={`rterm-${id}`} label="期限（月）" error={f.problem?.field("term_months")}>
              <input id={`rterm-${id}`} inputMode="numeric" value={f.values.term_months} onInput={f.set("term_months")} />
            </Field>
            <button type="submit" disabled={f.busy}>
              承诺续贷
            </button>
          </form>
          <form class="grid-form" onSubmit={reject} aria-label="拒绝续贷">
            <Field id={`rcode-${id}`} label="拒绝原因代码" error={f.problem?.field("reason_code")}>
              <input id={`rcode-${id}`} value={f.values.reason_code} onInput={f.set("reason_code")} />
            </Field>
            <Field id={`rreason-${id}`} label="拒绝原因（企业可见）" error={f.problem?.field("reason")}>
              <input id={`rreason-${id}`} value={f.values.reason} onInput={f.set("reason")} />
            </Field>
            <button type="submit" class="danger" disabled={f.busy}>
              拒绝
            </button>
          </form>
        </>
      )}
      {renewal.state === "approved" && (
        <form class="grid-form" onSubmit={disburse} aria-label="发放续贷">
          <Field id={`ron-${id}`} label="放款日期" error={f.problem?.field("disbursed_on")}>
            <input id={`ron-${id}`} type="date" value={f.values.disbursed_on} onInput={f.set("disbursed_on")} />
          </Field>
          <button type="submit" disabled={f.busy}>
            发放续贷（{wan(renewal.approved_amount)}）
          </button>
        </form>
      )}
    </div>
  );
}

/// A new product; it starts as a draft unless published at once.
function NewProduct() {
  const f = useForm({
    name: "",
    product_type: "credit",
    min_amount: "",
    max_amount: "",
    min_term_months: "6",
    max_term_months: "36",
    min_rate: "",
    max_rate: "",
    guarantee: "credit",
    response_sla_days: "3",
    status: "active",
  });
  const [ok, setOk] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const v = f.values;
    await f.run(async () => {
      const p = await call(
        api.POST("/api/v1/products", {
          body: {
            name: v.name,
            product_type: v.product_type as Schemas["ProductType"],
            min_amount: v.min_amount,
            max_amount: v.max_amount,
            min_term_months: Number.parseInt(v.min_term_months, 10),
            max_term_months: Number.parseInt(v.max_term_months, 10),
            min_rate: v.min_rate,
            max_rate: v.max_rate,
            guarantee_methods: [v.guarantee as Schemas["GuaranteeMethod"]],
            response_sla_days: Number.parseInt(v.response_sla_days, 10),
            status: v.status as Schemas["ProductStatus"],
          },
        }),
      );
      setOk(`产品 ${p.id} 已创建`);
    });
  }
  const text = (k: keyof typeof f.values, lbl: string, mode: "decimal" | "numeric" | "text" = "decimal") => (
    <Field id={`np-${k}`} label={lbl} error={f.problem?.field(k)}>
      <input id={`np-${k}`} inputMode={mode} value={f.values[k]} onInput={f.set(k)} />
    </Field>
  );
  return (
    <Section title="发布产品">
      <form class="grid-form" onSubmit={submit} aria-label="发布产品">
        {text("name", "产品名称", "text")}
        <Field id="np-type" label="产品类型" error={f.problem?.field("product_type")}>
          <select id="np-type" value={f.values.product_type} onChange={f.set("product_type")}>
            {options("ProductType").map(([v, t]) => (
              <option value={v}>{t}</option>
            ))}
          </select>
        </Field>
        {text("min_amount", "最低额度（元）")}
        {text("max_amount", "最高额度（元）")}
        {text("min_term_months", "最短期限（月）", "numeric")}
        {text("max_term_months", "最长期限（月）", "numeric")}
        {text("min_rate", "最低年利率（%）")}
        {text("max_rate", "最高年利率（%）")}
        <Field id="np-guarantee" label="担保方式" error={f.problem?.field("guarantee_methods")}>
          <select id="np-guarantee" value={f.values.guarantee} onChange={f.set("guarantee")}>
            {options("GuaranteeMethod").map(([v, t]) => (
              <option value={v}>{t}</option>
            ))}
          </select>
        </Field>
        {text("response_sla_days", "响应时限（工作日）", "numeric")}
        <Field id="np-status" label="状态" error={f.problem?.field("status")}>
          <select id="np-status" value={f.values.status} onChange={f.set("status")}>
            <option value="active">{label("ProductStatus", "active")}</option>
            <option value="draft">{label("ProductStatus", "draft")}</option>
          </select>
        </Field>
        <FormEnd form={f} ok={ok} label="发布" />
      </form>
    </Section>
  );
}

/// What happened to a loan after 放款 (贷后): a repayment, an overdue spell and its cure, an NPL …
function ReportEvent() {
  const f = useForm({ loan_id: "", kind: "repayment", on: new Date().toISOString().slice(0, 10), principal: "" });
  const [ok, setOk] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const v = f.values;
    await f.run(async () => {
      const l = await call(
        api.POST("/api/v1/loans/{id}/events", {
          params: { path: { id: Number.parseInt(v.loan_id, 10) || 0 } },
          body: {
            kind: v.kind as Schemas["LoanEventKind"],
            on: v.on,
            principal: v.principal === "" ? null : v.principal,
          },
        }),
      );
      setOk(`贷款 ${l.id}：${label("LoanStatus", l.status)}，余额 ${yuan(l.outstanding)}`);
    });
  }
  return (
    <Section title="报告贷后事件">
      <form class="grid-form" onSubmit={submit} aria-label="报告贷后事件">
        <Field id="ev-loan" label="贷款编号" error={f.problem?.field("loan_id")}>
          <input id="ev-loan" inputMode="numeric" value={f.values.loan_id} onInput={f.set("loan_id")} />
        </Field>
        <Field id="ev-kind" label="事件" error={f.problem?.field("kind")}>
          <select id="ev-kind" value={f.values.kind} onChange={f.set("kind")}>
            {options("LoanEventKind")
              .filter(([v]) => v !== "renewed")
              .map(([v, t]) => (
                <option value={v}>{t}</option>
              ))}
          </select>
        </Field>
        <Field id="ev-on" label="日期" error={f.problem?.field("on")}>
          <input id="ev-on" type="date" value={f.values.on} onInput={f.set("on")} />
        </Field>
        <Field id="ev-principal" label="本金（元，还款/清收/核销时填写）" error={f.problem?.field("principal")}>
          <input id="ev-principal" inputMode="decimal" value={f.values.principal} onInput={f.set("principal")} />
        </Field>
        <FormEnd form={f} ok={ok} label="报告" />
      </form>
    </Section>
  );
}
