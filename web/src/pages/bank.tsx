// The bank's console: an inbox of matches sorted by deadline with overdue marks, accept /
// approve / reject (a reason required) and disburse; its products and loans.
import { useState } from "preact/hooks";
import { api, call, type Schemas } from "../api";
import { day, label, options, percent, wan, yuan } from "../format";
import { Checks, Empty, FormEnd, ErrorNote, Field, listOf, Loading, Pager, ProblemNote, Section, Table, useForm, useLoad } from "../ui";
import { Loans } from "./enterprise";
import { Bridges } from "./bridges";
import { BankRisk } from "./risk";
import { Renewals } from "./shared";

type Me = Schemas["MeResponse"];
type Match = Schemas["MatchView"];

export function BankHome({ me, route }: { me: Me; route: string }) {
  const m = /^\/products\/(\d+)$/.exec(route);
  if (m) return <Candidates productId={Number(m[1])} />;
  switch (route) {
    case "/renewals":
      return <Renewals />;
    case "/risk":
      return <BankRisk />;
    case "/bridges":
      return <Bridges role="bank" />;
    case "/products":
      return <Products bankId={me.organization.id} />;
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
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(
    () => call(api.GET("/api/v1/products", { params: { query: { bank_id: bankId, cursor, limit: 50 } } })),
    [bankId, cursor],
  );
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Schemas["ProductView"] | null>(null);
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
    <>
      {editing ? (
        <ProductForm key={editing.id} product={editing} onDone={list.reload} />
      ) : (
        <ProductForm onDone={list.reload} />
      )}
      <Section title="我的产品">
        <ErrorNote message={list.error ?? error} />
        {!list.data ? (
          <Loading />
        ) : list.data.items.length === 0 ? (
          <Empty>还没有产品。用上方表单发布第一个产品。</Empty>
        ) : (
          <Table
            head={["产品", "类型", "额度", "期限", "年利率", "响应时限", "状态", ""]}
            rows={list.data.items.map((p) => [
              p.name,
              label("ProductType", p.product_type),
              `${wan(p.min_amount)}–${wan(p.max_amount)}`,
              `${p.min_term_months}–${p.max_term_months} 个月`,
              `${percent(p.min_rate)}–${percent(p.max_rate)}`,
              `${p.response_sla_days} 个工作日`,
              label("ProductStatus", p.status),
              <span class="row-actions">
                <a href={`#/products/${p.id}`}>潜在客户</a>
                <button type="button" class="link" onClick={() => setEditing(p)}>
                  修改
                </button>
                {(p.status === "active" || p.status === "paused") && (
                  <button type="button" class="link" onClick={() => toggle(p.id, p.status === "active" ? "paused" : "active")}>
                    {p.status === "active" ? "暂停" : "恢复上架"}
                  </button>
                )}
              </span>,
            ])}
          />
        )}
        {list.data && (
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        )}
      </Section>
    </>
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

/// A product's qualification requirement per kind, as the form holds it: "kind:min_level,…".
function qualificationsText(q: Schemas["QualificationRequirement"][]): string {
  return q.map((r) => `${r.kind}:${r.min_level}`).join(",");
}

/// Creates a product (a draft unless published at once) or edits one of the bank's own,
/// eligibility included (empty = no constraint).
function ProductForm({ product, onDone }: { product?: Schemas["ProductView"]; onDone: () => void }) {
  const el = product?.eligibility;
  const f = useForm({
    name: product?.name ?? "",
    description: product?.description ?? "",
    product_type: product?.product_type ?? "credit",
    min_amount: product?.min_amount ?? "",
    max_amount: product?.max_amount ?? "",
    min_term_months: String(product?.min_term_months ?? 6),
    max_term_months: String(product?.max_term_months ?? 36),
    min_rate: product?.min_rate ?? "",
    max_rate: product?.max_rate ?? "",
    guarantee_methods: (product?.guarantee_methods ?? ["credit"]).join(","),
    response_sla_days: String(product?.response_sla_days ?? 3),
    status: product?.status ?? "active",
    qualifications: qualificationsText(el?.qualifications_any ?? []),
    size_classes: (el?.size_classes ?? []).join(","),
    industries: (el?.industries ?? []).join(","),
    region_prefixes: (el?.region_prefixes ?? []).join(" "),
    min_years_established: el?.min_years_established == null ? "" : String(el.min_years_established),
    min_annual_revenue: el?.min_annual_revenue ?? "",
    first_loan_only: el?.first_loan_only ? "true" : "",
  });
  const [ok, setOk] = useState<string | null>(null);
  const v = f.values;
  const levels = new Map(listOf(v.qualifications).map((q) => q.split(":") as [string, string]));
  function setLevel(kind: string, level: string) {
    if (level) levels.set(kind, level);
    else levels.delete(kind);
    f.setValues({ ...v, qualifications: [...levels].map(([k, l]) => `${k}:${l}`).join(",") });
  }
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const eligibility: Schemas["Eligibility"] = {
      qualifications_any: [...levels].map(([kind, min_level]) => ({
        kind: kind as Schemas["QualificationKind"],
        min_level: min_level as Schemas["QualificationLevel"],
      })),
      size_classes: listOf<Schemas["SizeClass"]>(v.size_classes),
      industries: listOf<Schemas["Industry"]>(v.industries),
      region_prefixes: v.region_prefixes.split(/[\s,，、]+/).filter(Boolean),
      min_years_established: v.min_years_established.trim() ? Number.parseInt(v.min_years_established, 10) : null,
      min_annual_revenue: v.min_annual_revenue.trim() || null,
      first_loan_only: v.first_loan_only === "true",
    };
    const body = {
      name: v.name,
      description: v.description,
      product_type: v.product_type as Schemas["ProductType"],
      min_amount: v.min_amount,
      max_amount: v.max_amount,
      min_term_months: Number.parseInt(v.min_term_months, 10),
      max_term_months: Number.parseInt(v.max_term_months, 10),
      min_rate: v.min_rate,
      max_rate: v.max_rate,
      guarantee_methods: listOf<Schemas["GuaranteeMethod"]>(v.guarantee_methods),
      response_sla_days: Number.parseInt(v.response_sla_days, 10),
      status: v.status as Schemas["ProductStatus"],
      eligibility,
    };
    const done = await f.run(async () => {
      if (product) {
        await call(api.PATCH("/api/v1/products/{id}", { params: { path: { id: product.id } }, body }));
        setOk(`产品 ${product.id} 已保存`);
      } else {
        const p = await call(api.POST("/api/v1/products", { body }));
        setOk(`产品 ${p.id} 已创建`);
      }
    });
    if (done) onDone();
  }
  const pre = product ? `p${product.id}` : "np";
  const text = (k: keyof typeof f.values, lbl: string, mode: "decimal" | "numeric" | "text" = "decimal", field: string = k) => (
    <Field id={`${pre}-${k}`} label={lbl} error={f.problem?.field(field)}>
      <input id={`${pre}-${k}`} inputMode={mode} value={f.values[k]} onInput={f.set(k)} />
    </Field>
  );
  const title = product ? `修改产品：${product.name}` : "发布产品";
  return (
    <Section title={title}>
      <form class="grid-form" onSubmit={submit} aria-label={title}>
        {text("name", "产品名称", "text")}
        <Field id={`${pre}-type`} label="产品类型" error={f.problem?.field("product_type")}>
          <select id={`${pre}-type`} value={v.product_type} onChange={f.set("product_type")}>
            {options("ProductType").map(([k, t]) => (
              <option value={k}>{t}</option>
            ))}
          </select>
        </Field>
        {text("min_amount", "最低额度（元）")}
        {text("max_amount", "最高额度（元）")}
        {text("min_term_months", "最短期限（月）", "numeric")}
        {text("max_term_months", "最长期限（月）", "numeric")}
        {text("min_rate", "最低年利率（%）")}
        {text("max_rate", "最高年利率（%）")}
        {text("response_sla_days", "响应时限（工作日）", "numeric")}
        <Field id={`${pre}-status`} label="状态" error={f.problem?.field("status")}>
          <select id={`${pre}-status`} value={v.status} onChange={f.set("status")}>
            {options("ProductStatus")
              .filter(([k]) => product || k === "active" || k === "draft")
              .map(([k, t]) => (
                <option value={k}>{t}</option>
              ))}
          </select>
        </Field>
        {text("description", "产品介绍", "text")}
        <Checks
          id={`${pre}-guarantee`}
          legend="担保方式"
          choices={options("GuaranteeMethod")}
          value={v.guarantee_methods}
          onChange={(x) => f.setValues({ ...v, guarantee_methods: x })}
          error={f.problem?.field("guarantee_methods")}
        />
        <fieldset class="field checks" id={`${pre}-quals`}>
          <legend>准入资质（任一满足即可；不选为不限）</legend>
          {options("QualificationKind").map(([k, t]) => (
            <label class="check">
              {t}
              <select value={levels.get(k) ?? ""} onChange={(e) => setLevel(k, e.currentTarget.value)}>
                <option value="">不要求</option>
                {options("QualificationLevel").map(([l, lt]) => (
                  <option value={l}>{lt}及以上</option>
                ))}
              </select>
            </label>
          ))}
          {f.problem?.field("eligibility.qualifications_any") && (
            <span class="field-error" role="alert">
              {f.problem.field("eligibility.qualifications_any")}
            </span>
          )}
        </fieldset>
        <Checks
          id={`${pre}-sizes`}
          legend="企业划型（不选为不限）"
          choices={options("SizeClass")}
          value={v.size_classes}
          onChange={(x) => f.setValues({ ...v, size_classes: x })}
          error={f.problem?.field("eligibility.size_classes")}
        />
        <Checks
          id={`${pre}-industries`}
          legend="行业（不选为不限）"
          choices={options("Industry")}
          value={v.industries}
          onChange={(x) => f.setValues({ ...v, industries: x })}
          error={f.problem?.field("eligibility.industries")}
        />
        {text("region_prefixes", "地区代码前缀（空格分隔，如 32 3201）", "numeric", "eligibility.region_prefixes")}
        {text("min_years_established", "最短成立年限（年）", "numeric", "eligibility.min_years_established")}
        {text("min_annual_revenue", "最低年营业收入（元）", "decimal", "eligibility.min_annual_revenue")}
        <div class="field">
          <label class="check" for={`${pre}-first`}>
            <input
              id={`${pre}-first`}
              type="checkbox"
              checked={v.first_loan_only === "true"}
              onChange={(e) => f.setValues({ ...v, first_loan_only: e.currentTarget.checked ? "true" : "" })}
            />
            仅限首贷户
          </label>
        </div>
        <FormEnd form={f} ok={ok} label={product ? "保存修改" : "发布"} />
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
