// 风险补偿 (SPEC §3.15): risk-sharing schemes and compensation pools, the loans enrolled in
// them, and compensation claims on NPL loans. A bank enrolls its loans, claims compensation
// and reports recoveries; a finance office publishes schemes and approves, rejects and pays
// claims. Money stays a decimal string (capacity left is BigInt fen arithmetic).
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, call, type Schemas } from "../api";
import { day, fen, fromFen, label, today, options, percent, stepLabel, wan, yuan } from "../format";
import {
  Checks,
  Empty,
  ErrorNote,
  Field,
  FormEnd,
  listOf,
  Loading,
  Pager,
  ProblemNote,
  Section,
  Table,
  useForm,
  useLoad,
} from "../ui";

type Scheme = Schemas["SchemeView"];
type Enrollment = Schemas["EnrollmentView"];
type Claim = Schemas["CompensationClaimView"];


/// What a scheme can still take: capacity − enrolled (never below 0).
function capacityLeft(s: Scheme): string {
  const left = fen(s.capacity) - fen(s.enrolled);
  return fromFen(left > 0n ? left : 0n);
}

/// A field error found before asking the server, shown next to its field like the API's.
function invalid(field: string, message: string): never {
  throw new ApiError({
    type: "about:blank",
    title: "输入有误",
    status: 422,
    code: "validation_failed",
    detail: "请检查标出的字段",
    errors: [{ field, message }],
  } as Schemas["Problem"]);
}

/// An id typed into a form, or a field error.
function idOf(v: string, field: string, what: string): number {
  const t = v.trim();
  if (!/^\d+$/.test(t)) invalid(field, `请填写${what}（数字）`);
  return Number.parseInt(t, 10);
}

function Breakdown({ claim }: { claim: Claim }) {
  return (
    <details>
      <summary>计算过程</summary>
      <Table head={["步骤", "值"]} rows={claim.breakdown.map((s) => [stepLabel(s.step), s.value])} />
    </details>
  );
}

/// Every scheme (the list is short; followed to its last page), for selects and names.
async function allSchemes(): Promise<Scheme[]> {
  const out: Scheme[] = [];
  let cursor: string | undefined;
  do {
    const p = await call(api.GET("/api/v1/risk-schemes", { params: { query: { cursor, limit: 200 } } }));
    out.push(...p.items);
    cursor = p.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

function shares(s: Scheme): string {
  const sh = s.shares;
  return `政府 ${percent(sh.government)} / 担保 ${percent(sh.guarantor)} / 再担保 ${percent(sh.reguarantor)} / 银行 ${percent(sh.bank)}`;
}

function bonus(s: Scheme): string {
  const first = s.bonus_points.first_loan ?? "0";
  const credit = s.bonus_points.credit ?? "0";
  return `首贷 +${first}，信用 +${credit}`;
}

/// The window of disbursement dates a scheme covers.
function coveredDates(s: Scheme): string {
  return s.effective_to ? `${day(s.effective_from)} 至 ${day(s.effective_to)}` : `${day(s.effective_from)} 起`;
}

/// Who a scheme covers beyond its region and window, briefly.
function coverage(s: Scheme): string {
  const e = s.eligibility;
  const parts: string[] = [];
  if (e.size_classes?.length) parts.push(e.size_classes.map((k) => label("SizeClass", k)).join("、"));
  if (e.product_types?.length) parts.push(e.product_types.map((k) => label("ProductType", k)).join("、"));
  if (e.first_loan_only) parts.push("仅首贷");
  return parts.length ? parts.join("；") : "不限";
}

function schemeName(schemes: Scheme[] | null, id: number): string {
  const s = schemes?.find((x) => x.id === id);
  return s ? s.name : `方案 ${id}`;
}

/// One claim's state and amounts, as both sides see them.
function ClaimHead({ claim, schemes }: { claim: Claim; schemes: Scheme[] | null }) {
  return (
    <>
      <div class="rec-head">
        <strong>代偿申报 {claim.id}</strong> {schemeName(schemes, claim.scheme_id)} · 贷款 {claim.loan_id} · 入池编号{" "}
        {claim.enrollment_id} ·{" "}
        <span class={claim.state === "rejected" ? "badge warn" : claim.state === "paid" ? "badge ok" : "badge"} data-state={claim.state}>
          {label("CompensationState", claim.state)}
        </span>
      </div>
      <div class="muted">
        损失本金 {yuan(claim.loss_principal)}，代偿基数 {yuan(claim.base)}，补偿金额 <strong>{yuan(claim.amount)}</strong>
        ，申报于 {day(claim.created_at)}
      </div>
      {claim.state === "rejected" && claim.reject_reason && <div>驳回原因：{claim.reject_reason}</div>}
      {claim.state === "paid" && (
        <div>
          拨付日 {day(claim.paid_on)}，凭证号 {claim.reference ?? "—"}；已回收 {yuan(claim.recovered)}，返还资金池{" "}
          {yuan(claim.returned_to_pool)}
        </div>
      )}
      <Breakdown claim={claim} />
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Bank

/// A bank's 风险补偿: the schemes, enrolling a loan, its enrollments per scheme, claiming
/// compensation on an enrolled NPL loan, its claims and the recoveries after payment.
export function BankRisk() {
  const [tick, setTick] = useState(0);
  const bump = () => setTick((t) => t + 1);
  const me = useLoad(() => call(api.GET("/api/v1/me")), []);
  const schemes = useLoad(allSchemes, [tick]);
  const [viewing, setViewing] = useState<number | null>(null);
  const [preset, setPreset] = useState<Enrollment | null>(null);
  const shown = viewing ?? schemes.data?.[0]?.id ?? null;
  return (
    <>
      <BankSchemes tick={tick} onView={setViewing} />
      <Enroll
        schemes={schemes.data}
        error={schemes.error}
        chosen={shown}
        onDone={(schemeId) => {
          setViewing(schemeId);
          bump();
        }}
      />
      {/* Keyed by scheme: another scheme starts from its first page. */}
      <Enrollments
        key={shown ?? 0}
        schemes={schemes.data}
        schemeId={shown}
        onScheme={setViewing}
        tick={tick}
        onClaim={setPreset}
      />
      <SubmitClaim key={preset?.id ?? 0} preset={preset} schemes={schemes.data} onDone={bump} />
      <BankClaims tick={tick} schemes={schemes.data} orgId={me.data?.organization.id ?? null} onChange={bump} />
    </>
  );
}

function BankSchemes({ tick, onView }: { tick: number; onView: (id: number) => void }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(
    () => call(api.GET("/api/v1/risk-schemes", { params: { query: { cursor, limit: 20 } } })),
    [cursor, tick],
  );
  return (
    <Section title="风险补偿方案">
      <p class="muted">
        贷款须为正常状态、放款日在方案有效期内且符合适用范围，才能纳入方案；入池本金不超过方案剩余容量。
      </p>
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>暂无风险补偿方案。金融办发布方案后，可在此将贷款纳入风险补偿。</Empty>
      ) : (
        <>
          <Table
            head={["方案", "类型", "地区", "放款日范围", "适用范围", "分担比例", "奖励点数", "补偿上限", "单笔上限", "剩余容量", ""]}
            rows={list.data.items.map((s) => [
              s.name,
              label("SchemeKind", s.kind),
              s.region_prefix ?? "不限",
              coveredDates(s),
              coverage(s),
              shares(s),
              bonus(s),
              percent(s.max_compensation_percent),
              s.per_loan_cap ? yuan(s.per_loan_cap) : "不限",
              wan(capacityLeft(s)),
              <button type="button" class="link" onClick={() => onView(s.id)}>
                查看入池贷款
              </button>,
            ])}
          />
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

function Enroll(props: {
  schemes: Scheme[] | null;
  error: string | null;
  chosen: number | null;
  onDone: (schemeId: number) => void;
}) {
  const f = useForm({ scheme_id: "", loan_id: "" });
  const [ok, setOk] = useState<string | null>(null);
  const schemeId = f.values.scheme_id || (props.chosen != null ? String(props.chosen) : "");
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    let enrolled: Enrollment | null = null;
    await f.run(async () => {
      const sid = idOf(schemeId, "scheme_id", "方案");
      const loanId = idOf(f.values.loan_id, "loan_id", "贷款编号");
      enrolled = await call(
        api.POST("/api/v1/risk-schemes/{id}/enrollments", { params: { path: { id: sid } }, body: { loan_id: loanId } }),
      );
    });
    const en = enrolled as Enrollment | null;
    if (en) {
      setOk(`贷款 ${en.loan_id} 已纳入${schemeName(props.schemes, en.scheme_id)}（入池编号 ${en.id}，入池本金 ${yuan(en.principal)}）`);
      f.setValues({ scheme_id: String(en.scheme_id), loan_id: "" });
      props.onDone(en.scheme_id);
    }
  }
  return (
    <Section title="贷款入池">
      <ErrorNote message={props.error} />
      {props.schemes && props.schemes.length === 0 ? (
        <Empty>暂无可加入的方案。金融办发布风险补偿方案后即可将贷款入池。</Empty>
      ) : (
        <form class="grid-form" onSubmit={submit} aria-label="贷款入池">
          <Field id="enr-scheme" label="风险补偿方案" error={f.problem?.field("scheme_id")}>
            <select
              id="enr-scheme"
              value={schemeId}
              onChange={(e) => f.setValues({ ...f.values, scheme_id: e.currentTarget.value })}
            >
              {!props.schemes && <option value="">加载中…</option>}
              {(props.schemes ?? []).map((s) => (
                <option value={String(s.id)}>
                  {s.name}（{label("SchemeKind", s.kind)}，剩余容量 {wan(capacityLeft(s))}）
                </option>
              ))}
            </select>
          </Field>
          <Field id="enr-loan" label="贷款编号" error={f.problem?.field("loan_id")}>
            <input id="enr-loan" inputMode="numeric" value={f.values.loan_id} onInput={f.set("loan_id")} />
          </Field>
          <FormEnd form={f} ok={ok} label="入池" />
        </form>
      )}
    </Section>
  );
}

function Enrollments(props: {
  schemes: Scheme[] | null;
  schemeId: number | null;
  onScheme: (id: number) => void;
  tick: number;
  onClaim: (e: Enrollment) => void;
}) {
  const [cursor, setCursor] = useState<string | undefined>();
  const id = props.schemeId;
  const list = useLoad(
    () =>
      id == null
        ? Promise.resolve(null)
        : call(api.GET("/api/v1/risk-schemes/{id}/enrollments", { params: { path: { id }, query: { cursor, limit: 50 } } })),
    [id, cursor, props.tick],
  );
  const title = id == null ? "入池贷款" : `入池贷款：${schemeName(props.schemes, id)}`;
  return (
    <Section
      title={title}
      actions={
        props.schemes && props.schemes.length > 0 ? (
          <label for="enr-view">
            方案{" "}
            <select id="enr-view" value={id == null ? "" : String(id)} onChange={(e) => props.onScheme(Number(e.currentTarget.value))}>
              {props.schemes.map((s) => (
                <option value={String(s.id)}>{s.name}</option>
              ))}
            </select>
          </label>
        ) : undefined
      }
    >
      <ErrorNote message={list.error} />
      {id == null ? (
        props.schemes ? <Empty>暂无风险补偿方案，也就没有入池贷款。</Empty> : <Loading />
      ) : !list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>该方案下还没有您的入池贷款。用上方“贷款入池”表单将正常状态的贷款纳入方案。</Empty>
      ) : (
        <>
          <Table
            head={["入池编号", "贷款", "企业", "担保机构", "入池本金", "入池日期", ""]}
            rows={list.data.items.map((e) => [
              e.id,
              e.loan_id,
              e.enterprise_id,
              e.guarantor_id ?? "—",
              yuan(e.principal),
              day(e.created_at),
              <button type="button" class="link" data-enrollment={e.id} onClick={() => props.onClaim(e)}>
                申报代偿
              </button>,
            ])}
          />
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

function SubmitClaim(props: { preset: Enrollment | null; schemes: Scheme[] | null; onDone: () => void }) {
  const f = useForm({ enrollment_id: props.preset ? String(props.preset.id) : "", loss_principal: "" });
  const [ok, setOk] = useState<string | null>(null);
  // Chosen from the enrollments: what is left to type is the loss.
  useEffect(() => {
    if (props.preset) document.getElementById("clm-loss")?.focus();
  }, []);
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const done = await f.run(async () => {
      const enrollmentId = idOf(f.values.enrollment_id, "enrollment_id", "入池编号");
      const c = await call(
        api.POST("/api/v1/compensation-claims", {
          body: { enrollment_id: enrollmentId, loss_principal: f.values.loss_principal.trim() },
        }),
      );
      setOk(`代偿申报 ${c.id} 已提交：代偿基数 ${yuan(c.base)}，补偿金额 ${yuan(c.amount)}，等待金融办审批`);
      f.setValues({ enrollment_id: "", loss_principal: "" });
    });
    if (done) props.onDone();
  }
  const p = props.preset;
  return (
    <Section title="申报代偿">
      <p class="muted">
        入池贷款被认定为不良或已核销后，可按损失本金申报风险补偿；每笔入池贷款只能申报一次。
        {p && (
          <>
            {" "}
            当前：{schemeName(props.schemes, p.scheme_id)}，贷款 {p.loan_id}，入池本金 {yuan(p.principal)}。
          </>
        )}
      </p>
      <form class="grid-form" onSubmit={submit} aria-label="申报代偿">
        <Field id="clm-enrollment" label="入池编号" error={f.problem?.field("enrollment_id")}>
          <input id="clm-enrollment" inputMode="numeric" value={f.values.enrollment_id} onInput={f.set("enrollment_id")} />
        </Field>
        <Field id="clm-loss" label="损失本金（元）" error={f.problem?.field("loss_principal")}>
          <input id="clm-loss" inputMode="decimal" value={f.values.loss_principal} onInput={f.set("loss_principal")} />
        </Field>
        <FormEnd form={f} ok={ok} label="提交代偿申报" />
      </form>
    </Section>
  );
}

function BankClaims(props: { tick: number; schemes: Scheme[] | null; orgId: number | null; onChange: () => void }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(
    () => call(api.GET("/api/v1/compensation-claims", { params: { query: { cursor, limit: 20 } } })),
    [cursor, props.tick],
  );
  return (
    <Section title="代偿申报">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>还没有代偿申报。入池贷款成为不良后，可在“入池贷款”中点“申报代偿”。</Empty>
      ) : (
        <>
          <ul class="inbox">
            {list.data.items.map((c) => (
              <li key={c.id} data-comp-claim={c.id}>
                <ClaimHead claim={c} schemes={props.schemes} />
                {c.state === "paid" &&
                  (props.orgId == null || c.claimant_org_id === props.orgId ? (
                    <Recovery claim={c} onDone={props.onChange} />
                  ) : (
                    <p class="muted">回收由申报方登记。</p>
                  ))}
              </li>
            ))}
          </ul>
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

/// A recovery (回收) after payment: the pool gets back the share it paid.
function Recovery({ claim, onDone }: { claim: Claim; onDone: () => void }) {
  const f = useForm({ amount: "", on: today() });
  const [ok, setOk] = useState<string | null>(null);
  const left = fen(claim.base) - fen(claim.recovered);
  const id = claim.id;
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const done = await f.run(async () => {
      const c = await call(
        api.POST("/api/v1/compensation-claims/{id}/recoveries", {
          params: { path: { id } },
          body: { amount: f.values.amount.trim(), on: f.values.on },
        }),
      );
      setOk(`已登记回收，累计回收 ${yuan(c.recovered)}，返还资金池 ${yuan(c.returned_to_pool)}`);
    });
    if (done) onDone();
  }
  if (left <= 0n) return <p class="muted">代偿基数已全部回收。</p>;
  return (
    <form class="inline-form" onSubmit={submit} aria-label={`登记代偿申报 ${id} 的回收`}>
      <Field id={`cc-${id}-rec-amount`} label={`回收金额（元，至多 ${fromFen(left)}）`} error={f.problem?.field("amount")}>
        <input id={`cc-${id}-rec-amount`} inputMode="decimal" value={f.values.amount} onInput={f.set("amount")} />
      </Field>
      <Field id={`cc-${id}-rec-on`} label="回收日期" error={f.problem?.field("on")}>
        <input id={`cc-${id}-rec-on`} type="date" value={f.values.on} onInput={f.set("on")} />
      </Field>
      <FormEnd form={f} ok={ok} label="登记回收" />
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// Finance office

/// A finance office's 风险补偿: publishing a scheme, the schemes with their balances and
/// capacity, and compensation claims to approve, reject or pay.
export function OfficeRisk() {
  const [tick, setTick] = useState(0);
  const bump = () => setTick((t) => t + 1);
  const schemes = useLoad(allSchemes, [tick]);
  return (
    <>
      <NewScheme onDone={bump} />
      <OfficeSchemes tick={tick} />
      <OfficeClaims tick={tick} schemes={schemes.data} onChange={bump} />
    </>
  );
}

function OfficeSchemes({ tick }: { tick: number }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(
    () => call(api.GET("/api/v1/risk-schemes", { params: { query: { cursor, limit: 20 } } })),
    [cursor, tick],
  );
  return (
    <Section title="风险补偿方案">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>还没有风险补偿方案。用上方“发布风险补偿方案”表单设立资金池或风险分担方案。</Empty>
      ) : (
        <>
          <Table
            head={[
              "方案",
              "类型",
              "地区",
              "放款日范围",
              "资本金",
              "放大倍数",
              "放大容量",
              "在保余额",
              "剩余容量",
              "资金池余额",
              "代偿已拨付",
              "追偿返还",
              "分担比例",
              "补偿上限",
            ]}
            rows={list.data.items.map((s) => [
              s.name,
              label("SchemeKind", s.kind),
              s.region_prefix ?? "不限",
              coveredDates(s),
              wan(s.capital),
              `${s.leverage} 倍`,
              wan(s.capacity),
              wan(s.enrolled),
              wan(capacityLeft(s)),
              wan(s.balance),
              wan(s.paid),
              wan(s.recovered),
              shares(s),
              percent(s.max_compensation_percent),
            ])}
          />
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

const SHARE_DEFAULTS: Record<string, { government: string; guarantor: string; reguarantor: string; bank: string }> = {
  // A pool compensating banks 30 % of a direct loan's loss.
  compensation_pool: { government: "30", guarantor: "0", reguarantor: "0", bank: "70" },
  // 安徽 "4321": guarantor 40, reguarantor 30, bank 20, government 10.
  risk_sharing: { government: "10", guarantor: "40", reguarantor: "30", bank: "20" },
};

const PARTY_FIELDS: ["government" | "guarantor" | "reguarantor" | "bank", string][] = [
  ["government", "政府分担（%）"],
  ["guarantor", "担保机构分担（%）"],
  ["reguarantor", "再担保机构分担（%）"],
  ["bank", "银行分担（%）"],
];

function NewScheme({ onDone }: { onDone: () => void }) {
  const year = new Date().getFullYear();
  const f = useForm({
    name: "",
    kind: "compensation_pool",
    region_prefix: "",
    capital: "",
    leverage: "10",
    ...SHARE_DEFAULTS.compensation_pool,
    first_loan: "0",
    credit: "0",
    max_compensation_percent: "80",
    per_loan_cap: "",
    effective_from: `${year}-01-01`,
    effective_to: "",
    size_classes: "",
    product_types: "",
    first_loan_only: "",
  });
  const [ok, setOk] = useState<string | null>(null);
  const v = f.values;
  function setKind(kind: string) {
    const old = SHARE_DEFAULTS[v.kind];
    const untouched = old && PARTY_FIELDS.every(([k]) => v[k] === old[k]);
    f.setValues({ ...v, kind, ...(untouched ? SHARE_DEFAULTS[kind] : {}) });
  }
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const sizes = listOf<Schemas["SizeClass"]>(v.size_classes);
    const types = listOf<Schemas["ProductType"]>(v.product_types);
    const firstOnly = v.first_loan_only === "true";
    const eligibility =
      sizes.length || types.length || firstOnly
        ? ({
            size_classes: sizes,
            product_types: types,
            first_loan_only: firstOnly,
            exclude_overdue: true,
            loan_purposes: [],
            ownership: [],
            qualifications_any: [],
            region_prefixes: [],
            sector_prefixes: [],
          } as Schemas["PolicyEligibility"])
        : undefined;
    const done = await f.run(async () => {
      const s = await call(
        api.POST("/api/v1/risk-schemes", {
          body: {
            name: v.name,
            kind: v.kind as Schemas["SchemeKind"],
            region_prefix: v.region_prefix.trim() || null,
            capital: v.capital.trim(),
            leverage: v.leverage.trim(),
            shares: {
              government: v.government.trim(),
              guarantor: v.guarantor.trim(),
              reguarantor: v.reguarantor.trim(),
              bank: v.bank.trim(),
            },
            bonus_points: { first_loan: v.first_loan.trim() || "0", credit: v.credit.trim() || "0" },
            max_compensation_percent: v.max_compensation_percent.trim(),
            per_loan_cap: v.per_loan_cap.trim() || null,
            eligibility,
            effective_from: v.effective_from,
            effective_to: v.effective_to || null,
          },
        }),
      );
      setOk(`方案 ${s.id}“${s.name}”已发布：放大容量 ${wan(s.capacity)}，资金池余额 ${wan(s.balance)}`);
    });
    if (done) onDone();
  }
  const text = (k: keyof typeof v, id: string, lbl: string, mode: "decimal" | "numeric" | "text" = "decimal", field: string = k) => (
    <Field id={id} label={lbl} error={f.problem?.field(field)}>
      <input id={id} inputMode={mode} value={v[k]} onInput={f.set(k)} />
    </Field>
  );
  return (
    <Section title="发布风险补偿方案">
      <form class="grid-form" onSubmit={submit} aria-label="发布风险补偿方案">
        {text("name", "rs-name", "方案名称", "text")}
        <Field id="rs-kind" label="类型" error={f.problem?.field("kind")}>
          <select id="rs-kind" value={v.kind} onChange={(e) => setKind(e.currentTarget.value)}>
            {options("SchemeKind").map(([k, t]) => (
              <option value={k}>{t}</option>
            ))}
          </select>
        </Field>
        {text("region_prefix", "rs-region", "地区代码前缀（空为本辖区）", "numeric")}
        {text("capital", "rs-capital", "资本金（元）")}
        {text("leverage", "rs-leverage", "放大倍数（1–100）")}
        <fieldset class={f.problem?.fieldOnly("shares") ? "field checks invalid" : "field checks"} id="rs-shares">
          <legend>损失分担比例（%，合计 100）</legend>
          {PARTY_FIELDS.map(([k, lbl]) => text(k, `rs-${k}`, lbl, "decimal", `shares.${k}`))}
          {f.problem?.fieldOnly("shares") && (
            <span class="field-error" id="rs-shares-error" role="alert">
              {f.problem?.fieldOnly("shares")}
            </span>
          )}
        </fieldset>
        {text("first_loan", "rs-bonus-first", "首贷奖励点数（%）", "decimal", "bonus_points.first_loan")}
        {text("credit", "rs-bonus-credit", "信用贷款奖励点数（%）", "decimal", "bonus_points.credit")}
        {text("max_compensation_percent", "rs-max", "补偿比例上限（%）")}
        {text("per_loan_cap", "rs-cap", "单笔代偿上限（元，可空）")}
        <Field id="rs-from" label="放款日起" error={f.problem?.field("effective_from")}>
          <input id="rs-from" type="date" value={v.effective_from} onInput={f.set("effective_from")} />
        </Field>
        <Field id="rs-to" label="放款日止（可空）" error={f.problem?.field("effective_to")}>
          <input id="rs-to" type="date" value={v.effective_to} onInput={f.set("effective_to")} />
        </Field>
        <Checks
          id="rs-sizes"
          legend="企业划型（不选为不限）"
          choices={options("SizeClass")}
          value={v.size_classes}
          onChange={(x) => f.setValues({ ...v, size_classes: x })}
          error={f.problem?.field("eligibility.size_classes")}
        />
        <Checks
          id="rs-types"
          legend="产品类型（不选为不限）"
          choices={options("ProductType")}
          value={v.product_types}
          onChange={(x) => f.setValues({ ...v, product_types: x })}
          error={f.problem?.field("eligibility.product_types")}
        />
        <div class="field">
          <label class="check" for="rs-first-only">
            <input
              id="rs-first-only"
              type="checkbox"
              checked={v.first_loan_only === "true"}
              onChange={(e) => f.setValues({ ...v, first_loan_only: e.currentTarget.checked ? "true" : "" })}
            />
            仅限首贷
          </label>
        </div>
        <FormEnd form={f} ok={ok} label="发布方案" />
      </form>
    </Section>
  );
}

/// The office's queue of compensation claims, those waiting for its decision first.
function OfficeClaims(props: { tick: number; schemes: Scheme[] | null; onChange: () => void }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const [state, setState] = useState<Claim["state"] | "">("submitted");
  // What the last decision did: the claim may leave the filtered list with it.
  const [notice, setNotice] = useState<string | null>(null);
  const list = useLoad(
    () =>
      call(
        api.GET("/api/v1/compensation-claims", {
          params: { query: { cursor, limit: 50, state: state || undefined } },
        }),
      ),
    [cursor, state, props.tick],
  );
  const items = list.data?.items ?? [];
  return (
    <Section
      title="代偿申报审批"
      actions={
        <label>
          状态{" "}
          <select
            aria-label="按状态筛选代偿申报"
            value={state}
            onChange={(e) => (setCursor(undefined), setNotice(null), setState(e.currentTarget.value as Claim["state"] | ""))}
          >
            <option value="">全部</option>
            {options("CompensationState").map(([v, t]) => (
              <option value={v}>{t}</option>
            ))}
          </select>
        </label>
      }
    >
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty>
          {state ? `没有“${label("CompensationState", state)}”的代偿申报。可在右上角改选状态。` : "暂无代偿申报。"}
          银行或担保机构对入池的不良贷款申报代偿后，会出现在这里等待审批。
        </Empty>
      ) : (
        <>
          <p class="muted">批准时从方案资金池余额中预留补偿金额；批准后登记拨付。</p>
          <ul class="inbox">
            {items.map((c) => (
              <OfficeClaim key={c.id} claim={c} schemes={props.schemes} onDone={(note) => (setNotice(note), props.onChange())} />
            ))}
          </ul>
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

function OfficeClaim(props: { claim: Claim; schemes: Scheme[] | null; onDone: (note: string) => void }) {
  const { claim, schemes } = props;
  const f = useForm({ reason: "", paid_on: today(), reference: "" });
  const id = claim.id;
  const path = { params: { path: { id } } };
  const scheme = schemes?.find((s) => s.id === claim.scheme_id);
  const approve = () =>
    f.run(async () => {
      await call(api.POST("/api/v1/compensation-claims/{id}/approve", path));
      props.onDone(`代偿申报 ${id} 已批准，${yuan(claim.amount)} 已从资金池预留；拨付后在“已批准”中登记`);
    });
  const reject = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      if (!f.values.reason.trim()) invalid("reason", "请填写驳回原因");
      await call(api.POST("/api/v1/compensation-claims/{id}/reject", { ...path, body: { reason: f.values.reason.trim() } }));
      props.onDone(`代偿申报 ${id} 已驳回`);
    });
  };
  const pay = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(
        api.POST("/api/v1/compensation-claims/{id}/pay", {
          ...path,
          body: { paid_on: f.values.paid_on, reference: f.values.reference.trim() },
        }),
      );
      props.onDone(`代偿申报 ${id} 已登记拨付`);
    });
  };
  return (
    <li data-comp-claim={id}>
      <ClaimHead claim={claim} schemes={schemes} />
      {scheme && claim.state === "submitted" && <div class="muted">方案资金池余额 {yuan(scheme.balance)}</div>}
      {(claim.state === "submitted" || claim.state === "approved") && <ProblemNote problem={f.problem} />}
      {claim.state === "submitted" && (
        <>
          <button type="button" onClick={approve} disabled={f.busy}>
            批准
          </button>
          <form class="inline-form" onSubmit={reject} aria-label={`驳回代偿申报 ${id}`}>
            <Field id={`cc-${id}-reason`} label="驳回原因" error={f.problem?.field("reason")}>
              <input id={`cc-${id}-reason`} value={f.values.reason} onInput={f.set("reason")} />
            </Field>
            <button type="submit" class="danger" disabled={f.busy}>
              驳回
            </button>
          </form>
        </>
      )}
      {claim.state === "approved" && (
        <form class="inline-form" onSubmit={pay} aria-label={`拨付代偿申报 ${id}`}>
          <Field id={`cc-${id}-paid-on`} label="拨付日期" error={f.problem?.field("paid_on")}>
            <input id={`cc-${id}-paid-on`} type="date" value={f.values.paid_on} onInput={f.set("paid_on")} />
          </Field>
          <Field id={`cc-${id}-reference`} label="支付凭证号" error={f.problem?.field("reference")}>
            <input id={`cc-${id}-reference`} value={f.values.reference} onInput={f.set("reference")} />
          </Field>
          <button type="submit" disabled={f.busy}>
            拨付
          </button>
        </form>
      )}
    </li>
  );
}
