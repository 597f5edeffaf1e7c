// The finance office's console: the dashboard of its region (disbursed by month as a chart,
// the funnel, 首贷 and 信用贷 shares, rate, targets, bank supervision, budgets, NPLs, risk
// schemes), breakdowns by every `by`, subsidy claims to decide, and the exports.
import { useEffect, useRef, useState } from "preact/hooks";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";
import { api, call, download, type Schemas } from "../api";
import { day, label, options, percent, ratio, stepLabel, wan, wanInteger, yuan } from "../format";
import { Bridges, OfficeBridgeFunds } from "./bridges";
import { OfficeRisk } from "./risk";
import { Checks, Empty, FormEnd, ErrorNote, Field, listOf, Loading, ProblemNote, Section, Stat, Table, useForm, useLoad } from "../ui";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

type Me = Schemas["MeResponse"];
type By = Schemas["By"];

export function OfficeHome({ route }: { me: Me; route: string }) {
  switch (route) {
    case "/breakdown":
      return <Breakdowns />;
    case "/claims":
      return <ClaimsPage />;
    case "/exports":
      return <Exports />;
    case "/policies":
      return (
        <>
          <NewPolicy />
          <Policies />
          <Lpr />
        </>
      );
    case "/calendar":
      return <Calendar />;
    case "/targets":
      return <NewTarget />;
    case "/risk":
      return <OfficeRisk />;
    case "/bridges":
      return (
        <>
          <OfficeBridgeFunds />
          <Bridges role="finance_office" />
        </>
      );
    default:
      return <Dashboard />;
  }
}

/// A bar chart of amounts (exact whole 万元 as bar heights; the tooltip shows the exact
/// decimal string) and counts.
function AmountChart(props: { title: string; labels: string[]; amounts: string[]; counts: number[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: props.labels,
        datasets: [
          { label: "放款金额（万元）", data: props.amounts.map(wanInteger), yAxisID: "y", backgroundColor: "#1d5fa8" },
          { label: "笔数", data: props.counts, yAxisID: "n", backgroundColor: "#e08a1e" },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { position: "left" }, n: { position: "right", grid: { drawOnChartArea: false } } },
        plugins: {
          tooltip: {
            callbacks: {
              label: (c) => (c.datasetIndex === 0 ? `放款金额 ${wan(props.amounts[c.dataIndex])}` : `${c.raw} 笔`),
            },
          },
        },
      },
    });
    return () => chart.destroy();
  }, [props.labels.join(), props.amounts.join(), props.counts.join()]);
  return (
    <figure class="chart">
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={props.title} />
      </div>
      <figcaption>{props.title}</figcaption>
    </figure>
  );
}

function Dashboard() {
  const overview = useLoad(() => call(api.GET("/api/v1/stats/overview")), []);
  const months = useLoad(() => call(api.GET("/api/v1/stats/breakdown", { params: { query: { by: "month" } } })), []);
  const banks = useLoad(() => call(api.GET("/api/v1/stats/banks")), []);
  const targets = useLoad(() => call(api.GET("/api/v1/targets", { params: { query: { limit: 50 } } })), []);
  const funds = useLoad(() => call(api.GET("/api/v1/stats/bridge-funds")), []);
  const o = overview.data;
  if (overview.error) return <ErrorNote message={overview.error} />;
  if (!o) return <Loading />;
  const groups = months.data?.groups ?? [];
  return (
    <>
      <Section title="辖区总览">
        <div class="stats">
          <Stat label="放款金额" value={wan(o.loans.amount)} hint={`${o.loans.count} 笔`} />
          <Stat label="服务企业" value={`${o.loans.enterprises_served} 家`} />
          <Stat label="首贷户" value={`${o.loans.first_loan_enterprises} 家`} hint={wan(o.loans.first_loan_amount)} />
          <Stat label="信用贷款占比" value={ratio(o.loans.credit_loan_share)} />
          <Stat label="加权平均利率" value={percent(o.loans.weighted_average_rate)} />
          <Stat label="贷款余额" value={wan(o.loans.outstanding)} />
          <Stat label="不良率" value={ratio(o.loans.npl_ratio)} hint={wan(o.loans.npl_amount)} />
          <Stat label="对接成功率" value={ratio(o.match_success_rate)} />
        </div>
        <h3>对接漏斗</h3>
        <ol class="funnel" aria-label="对接漏斗">
          <li>
            融资需求 <strong>{o.demands.count}</strong> 笔（{wan(o.demands.amount)}）
          </li>
          <li>
            对接 <strong>{o.matches.total}</strong> 笔
          </li>
          <li>
            授信 <strong>{(o.matches.by_state["approved"] ?? 0) + (o.matches.by_state["disbursed"] ?? 0)}</strong> 笔（
            {wan(o.matches.approved_amount)}）
          </li>
          <li>
            放款 <strong>{o.loans.count}</strong> 笔
          </li>
        </ol>
      </Section>
      <Section title="按月放款">
        {groups.length === 0 ? (
          <Empty>暂无放款数据。</Empty>
        ) : (
          <AmountChart
            title="按月放款金额与笔数"
            labels={groups.map((g) => g.key)}
            amounts={groups.map((g) => g.loans.amount)}
            counts={groups.map((g) => g.loans.count)}
          />
        )}
      </Section>
      <Section title="目标进度">
        {!targets.data ? (
          <Loading />
        ) : targets.data.items.length === 0 ? (
          <Empty>还没有目标。可在“目标”页设定本年放款目标。</Empty>
        ) : (
          <ul class="targets">
            {targets.data.items.map((t) => (
              <li>
                {t.name}（{label("Metric", t.metric)}）：{t.actual} / {t.value}
                <progress max={1} value={Number(t.progress ?? "0")} aria-label={`${t.name} 进度`} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="银行督导">
        {!banks.data ? (
          <Loading />
        ) : banks.data.items.length === 0 ? (
          <Empty>暂无银行数据。</Empty>
        ) : (
          <Table
            head={["银行", "收到对接", "接单", "拒绝", "响应中位数（小时）", "逾期", "授信金额", "放款金额", "不良率"]}
            rows={banks.data.items.map((b) => [
              b.bank_name,
              b.matches_received,
              b.accepted,
              b.rejected,
              b.median_hours_to_respond ?? "—",
              b.overdue ? <span class="badge warn">{b.overdue}</span> : 0,
              wan(b.approved_amount),
              wan(b.disbursed_amount),
              ratio(b.npl_ratio),
            ])}
          />
        )}
      </Section>
      <Section title="补贴预算">
        <div class="stats">
          <Stat label="已申报" value={wan(o.subsidies.submitted)} />
          <Stat label="已批准" value={wan(o.subsidies.approved)} />
          <Stat label="已拨付" value={wan(o.subsidies.paid)} />
          <Stat label="剩余预算" value={wan(o.subsidies.remaining_budgets)} />
        </div>
        <Table
          head={["政策", "类型", "预算", "已用", "剩余", "状态"]}
          rows={o.subsidies.budgets.map((b) => [
            b.name,
            label("PolicyKind", b.kind),
            wan(b.budget),
            wan(b.used),
            wan(b.remaining),
            label("PolicyStatus", b.status),
          ])}
        />
      </Section>
      <Section title="风险补偿与转贷资金">
        {o.risk_schemes.length === 0 ? (
          <Empty>辖区暂无风险补偿方案。</Empty>
        ) : (
          <Table
            head={["方案", "类型", "放大容量", "在保余额", "资金池余额", "代偿已拨付", "追偿返还", "损失率"]}
            rows={o.risk_schemes.map((s) => [
              s.name,
              label("SchemeKind", s.kind),
              wan(s.capacity),
              wan(s.enrolled),
              wan(s.balance),
              wan(s.compensation_paid),
              wan(s.recovered),
              ratio(s.loss_rate),
            ])}
          />
        )}
        {funds.data && funds.data.items.length > 0 && (
          <Table
            head={["转贷资金", "资本金", "可用余额", "使用率"]}
            rows={funds.data.items.map((f) => [f.name, wan(f.capital), wan(f.available), ratio(f.utilisation)])}
          />
        )}
      </Section>
    </>
  );
}

function Breakdowns() {
  const [by, setBy] = useState<By>("bank");
  const b = useLoad(() => call(api.GET("/api/v1/stats/breakdown", { params: { query: { by } } })), [by]);
  const groups = b.data?.groups ?? [];
  const keyLabel = (k: string) =>
    by === "product_type" ? label("ProductType", k) : by === "size_class" ? label("SizeClass", k) : by === "qualification" ? label("QualificationKind", k) : k;
  return (
    <Section
      title="分组统计"
      actions={
        <label>
          分组{" "}
          <select value={by} onChange={(e) => setBy(e.currentTarget.value as By)}>
            {options("By").map(([v, t]) => (
              <option value={v}>{t}</option>
            ))}
          </select>
        </label>
      }
    >
      <ErrorNote message={b.error} />
      {!b.data ? (
        <Loading />
      ) : groups.length === 0 ? (
        <Empty>该分组下暂无数据。</Empty>
      ) : (
        <>
          <AmountChart
            title={`按${label("By", by)}放款金额与笔数`}
            labels={groups.map((g) => keyLabel(g.key))}
            amounts={groups.map((g) => g.loans.amount)}
            counts={groups.map((g) => g.loans.count)}
          />
          <Table
            head={[label("By", by), "放款笔数", "放款金额", "首贷户", "信用贷款占比", "加权平均利率", "不良率", "对接"]}
            rows={groups.map((g) => [
              keyLabel(g.key),
              g.loans.count,
              wan(g.loans.amount),
              g.loans.first_loan_enterprises,
              ratio(g.loans.credit_loan_share),
              percent(g.loans.weighted_average_rate),
              ratio(g.loans.npl_ratio),
              g.matches.total,
            ])}
          />
        </>
      )}
    </Section>
  );
}

/// Claims to decide, then approved ones to pay: a decision refreshes both lists.
function ClaimsPage() {
  const [tick, setTick] = useState(0);
  const bump = () => setTick((t) => t + 1);
  return (
    <>
      <Claims tick={tick} onChange={bump} />
      <ToPay tick={tick} onChange={bump} />
    </>
  );
}

function Claims({ tick, onChange }: { tick: number; onChange: () => void }) {
  const list = useLoad(
    () => call(api.GET("/api/v1/subsidy-claims", { params: { query: { state: "submitted", limit: 50 } } })),
    [tick],
  );
  return (
    <Section title="待审批的补贴申报">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>没有待审批的申报。</Empty>
      ) : (
        <ul class="inbox">
          {list.data.items.map((c) => (
            <ClaimItem claim={c} onDone={onChange} />
          ))}
        </ul>
      )}
    </Section>
  );
}

function ClaimItem({ claim, onDone }: { claim: Schemas["ClaimView"]; onDone: () => void }) {
  const f = useForm({ reason: "" });
  const path = { params: { path: { id: claim.id } } };
  const approve = () => f.run(async () => (await call(api.POST("/api/v1/subsidy-claims/{id}/approve", path)), onDone()));
  const reject = (e: Event) => {
    e.preventDefault();
    return f.run(async () => (await call(api.POST("/api/v1/subsidy-claims/{id}/reject", { ...path, body: { reason: f.values.reason } })), onDone()));
  };
  return (
    <li data-claim={claim.id}>
      <div class="rec-head">
        <strong>申报 {claim.id}</strong> 政策 {claim.policy_id}
        {claim.loan_id != null && <> · 贷款 {claim.loan_id}</>} · {yuan(claim.amount)}
        {claim.period_start && (
          <span class="muted">
            {" "}
            {day(claim.period_start)} 至 {day(claim.period_end)}
          </span>
        )}
      </div>
      <details>
        <summary>计算过程</summary>
        <Table head={["步骤", "值"]} rows={claim.breakdown.map((s) => [stepLabel(s.step), s.value])} />
      </details>
      <ProblemNote problem={f.problem} />
      <button type="button" onClick={approve} disabled={f.busy}>
        批准
      </button>
      <form class="inline-form" onSubmit={reject} aria-label={`驳回申报 ${claim.id}`}>
        <Field id={`reason-${claim.id}`} label="驳回原因" error={f.problem?.field("reason")}>
          <input id={`reason-${claim.id}`} value={f.values.reason} onInput={f.set("reason")} />
        </Field>
        <button type="submit" class="danger" disabled={f.busy}>
          驳回
        </button>
      </form>
    </li>
  );
}

function Exports() {
  const [error, setError] = useState<string | null>(null);
  const get = (path: string, name: string) => download(path, name).catch((e: Error) => setError(e.message));
  return (
    <Section title="导出（Excel / WPS 可直接打开）">
      <ErrorNote message={error} />
      <ul class="exports">
        <li>
          <button type="button" onClick={() => get("/api/v1/reports/loans.xlsx", "贷款明细.xlsx")}>
            贷款明细（xlsx）
          </button>
        </li>
        <li>
          <button type="button" onClick={() => get("/api/v1/reports/loans.csv", "贷款明细.csv")}>
            贷款明细（csv）
          </button>
        </li>
        {options("By").map(([v, t]) => (
          <li>
            <button type="button" onClick={() => get(`/api/v1/reports/breakdown.xlsx?by=${v}`, `按${t}统计.xlsx`)}>
              按{t}统计（xlsx）
            </button>
          </li>
        ))}
      </ul>
    </Section>
  );
}

function Policies() {
  const list = useLoad(() => call(api.GET("/api/v1/policies", { params: { query: { limit: 100 } } })), []);
  return (
    <Section title="补贴政策">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>还没有政策。可用上方表单发布贴息、担保费补贴或奖补政策。</Empty>
      ) : (
        <Table
          head={["政策", "类型", "地区", "生效日", "截止日", "预算", "已用", "剩余", "状态"]}
          rows={list.data.items.map((p) => [
            p.name,
            label("PolicyKind", p.kind),
            p.region_prefix ?? "全国",
            day(p.effective_from),
            day(p.effective_to),
            wan(p.budget),
            wan(p.budget_used),
            wan(p.budget_remaining),
            label("PolicyStatus", p.status),
          ])}
        />
      )}
    </Section>
  );
}

function Lpr() {
  const list = useLoad(() => call(api.GET("/api/v1/lpr", { params: { query: { limit: 200 } } })), []);
  const rows = (list.data?.items ?? []).slice().reverse().slice(0, 12);
  const f = useForm({ effective_on: "", one_year: "", five_year: "" });
  async function add(e: Event) {
    e.preventDefault();
    if (await f.run(() => call(api.POST("/api/v1/lpr", { body: { ...f.values } })))) list.reload();
  }
  return (
    <Section title="贷款市场报价利率（LPR）">
      <form class="grid-form" onSubmit={add} aria-label="录入LPR">
        <Field id="lpr-on" label="生效日" error={f.problem?.field("effective_on")}>
          <input id="lpr-on" type="date" value={f.values.effective_on} onInput={f.set("effective_on")} />
        </Field>
        <Field id="lpr-1y" label="1年期（%）" error={f.problem?.field("one_year")}>
          <input id="lpr-1y" inputMode="decimal" value={f.values.one_year} onInput={f.set("one_year")} />
        </Field>
        <Field id="lpr-5y" label="5年期以上（%）" error={f.problem?.field("five_year")}>
          <input id="lpr-5y" inputMode="decimal" value={f.values.five_year} onInput={f.set("five_year")} />
        </Field>
        <FormEnd form={f} label="录入" />
      </form>
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : (
        <Table
          head={["生效日", "1年期", "5年期以上"]}
          rows={rows.map((l) => [day(l.effective_on), percent(l.one_year), percent(l.five_year)])}
        />
      )}
    </Section>
  );
}

/// Approved claims waiting for payment (拨付): the date and the payment's reference.
function ToPay({ tick, onChange }: { tick: number; onChange: () => void }) {
  const list = useLoad(
    () => call(api.GET("/api/v1/subsidy-claims", { params: { query: { state: "approved", limit: 50 } } })),
    [tick],
  );
  return (
    <Section title="待拨付">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>没有待拨付的申报。</Empty>
      ) : (
        <ul class="inbox">
          {list.data.items.map((c) => (
            <PayItem claim={c} onDone={onChange} />
          ))}
        </ul>
      )}
    </Section>
  );
}

function PayItem({ claim, onDone }: { claim: Schemas["ClaimView"]; onDone: () => void }) {
  const f = useForm({ paid_on: new Date().toISOString().slice(0, 10), reference: "" });
  const pay = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(api.POST("/api/v1/subsidy-claims/{id}/pay", { params: { path: { id: claim.id } }, body: { ...f.values } }));
      onDone();
    });
  };
  return (
    <li data-pay={claim.id}>
      <div class="rec-head">
        <strong>申报 {claim.id}</strong> 政策 {claim.policy_id} · {yuan(claim.amount)}
      </div>
      <ProblemNote problem={f.problem} />
      <form class="inline-form" onSubmit={pay} aria-label={`拨付申报 ${claim.id}`}>
        <Field id={`paid-on-${claim.id}`} label="拨付日期" error={f.problem?.field("paid_on")}>
          <input id={`paid-on-${claim.id}`} type="date" value={f.values.paid_on} onInput={f.set("paid_on")} />
        </Field>
        <Field id={`ref-${claim.id}`} label="支付凭证号" error={f.problem?.field("reference")}>
          <input id={`ref-${claim.id}`} value={f.values.reference} onInput={f.set("reference")} />
        </Field>
        <button type="submit" disabled={f.busy}>
          拨付
        </button>
      </form>
    </li>
  );
}

/// The working-day calendar of a year (法定节假日 and 调休), which every deadline counts on;
/// the office publishes next year's when the State Council announces it.
function Calendar() {
  const thisYear = new Date().getFullYear();
  const [year, setYear] = useState(thisYear);
  // The saved note lives here: the form is remounted with the saved dates, and would lose it.
  const [saved, setSaved] = useState<string | null>(null);
  const cal = useLoad(() => call(api.GET("/api/v1/calendar/{year}", { params: { path: { year } } })), [year]);
  return (
    <Section
      title={`${year} 年工作日历`}
      actions={
        <label>
          年份{" "}
          <select value={String(year)} onChange={(e) => (setSaved(null), setYear(Number(e.currentTarget.value)))}>
            {[thisYear - 1, thisYear, thisYear + 1].map((y) => (
              <option value={String(y)}>{y}</option>
            ))}
          </select>
        </label>
      }
    >
      <ErrorNote message={cal.error} />
      {!cal.data ? <Loading /> : (
        <CalendarForm
          key={`${cal.data.year}-${cal.data.holidays.join()}-${cal.data.workdays.join()}`}
          view={cal.data}
          saved={saved}
          onDone={(note) => (setSaved(note), note && cal.reload())}
        />
      )}
    </Section>
  );
}

function CalendarForm(props: { view: Schemas["CalendarView"]; saved: string | null; onDone: (note: string | null) => void }) {
  const { view, onDone } = props;
  const f = useForm({ holidays: view.holidays.join("\n"), workdays: view.workdays.join("\n") });
  const dates = (t: string) => t.split(/[\s,，、]+/).filter(Boolean);
  async function submit(e: Event) {
    e.preventDefault();
    onDone(null);
    const done = await f.run(() =>
      call(
        api.PUT("/api/v1/calendar/{year}", {
          params: { path: { year: view.year } },
          body: { holidays: dates(f.values.holidays), workdays: dates(f.values.workdays) },
        }),
      ),
    );
    if (done) onDone(`${view.year} 年日历已保存`);
  }
  return (
    <form class="grid-form" onSubmit={submit} aria-label={`${view.year} 年工作日历`}>
      <Field id="cal-holidays" label={`法定节假日（工作日放假，每行一个日期，${dates(f.values.holidays).length} 天）`} error={f.problem?.field("holidays")}>
        <textarea id="cal-holidays" rows={8} value={f.values.holidays} onInput={f.set("holidays")} />
      </Field>
      <Field id="cal-workdays" label={`调休上班（周末上班，每行一个日期，${dates(f.values.workdays).length} 天）`} error={f.problem?.field("workdays")}>
        <textarea id="cal-workdays" rows={8} value={f.values.workdays} onInput={f.set("workdays")} />
      </Field>
      <FormEnd form={f} ok={props.saved} label="保存日历" />
    </form>
  );
}

/// A target for the region (e.g. the year's disbursements); its progress shows on the dashboard.
function NewTarget() {
  const year = new Date().getFullYear();
  const f = useForm({ name: "", metric: "disbursed_amount", value: "", from: `${year}-01-01`, to: `${year}-12-31` });
  const [ok, setOk] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    await f.run(async () => {
      const t = await call(
        api.POST("/api/v1/targets", { body: { ...f.values, metric: f.values.metric as Schemas["Metric"] } }),
      );
      setOk(`目标 ${t.id} 已设定，进度见看板`);
    });
  }
  return (
    <Section title="设定目标">
      <form class="grid-form" onSubmit={submit} aria-label="设定目标">
        <Field id="t-name" label="名称" error={f.problem?.field("name")}>
          <input id="t-name" value={f.values.name} onInput={f.set("name")} />
        </Field>
        <Field id="t-metric" label="指标" error={f.problem?.field("metric")}>
          <select id="t-metric" value={f.values.metric} onChange={f.set("metric")}>
            {options("Metric").map(([v, t]) => (
              <option value={v}>{t}</option>
            ))}
          </select>
        </Field>
        <Field id="t-value" label="目标值（金额填元，其余填个数）" error={f.problem?.field("value")}>
          <input id="t-value" inputMode="decimal" value={f.values.value} onInput={f.set("value")} />
        </Field>
        <Field id="t-from" label="开始" error={f.problem?.field("from")}>
          <input id="t-from" type="date" value={f.values.from} onInput={f.set("from")} />
        </Field>
        <Field id="t-to" label="结束" error={f.problem?.field("to")}>
          <input id="t-to" type="date" value={f.values.to} onInput={f.set("to")} />
        </Field>
        <FormEnd form={f} ok={ok} label="设定" />
      </form>
    </Section>
  );
}

/// The parameters each kind's rule takes in this form (the API takes more; see /docs).
/// A rule parameter in the form: its key in `rule`, its label, how it is entered, and the
/// kinds (and, for interest subsidies, the bases) it belongs to — the same table the API
/// checks (`app::subsidies::rule_input`), so the form offers only what the API accepts.
type RuleField = {
  key: string;
  label: string;
  input: "decimal" | "int" | "date" | "bool" | `select:${string}` | `checks:${string}` | "tiers";
  kinds: string[];
  bases?: string[];
};

const INTEREST_BASES = ["fixed_points", "lpr_share", "actual_rate_share", "lpr_spread"];
const RULE_FIELDS: RuleField[] = [
  { key: "points", label: "贴息点数（%）", input: "decimal", kinds: ["interest_subsidy"], bases: ["fixed_points"] },
  { key: "first_loan_points", label: "首贷贴息点数（%，可空）", input: "decimal", kinds: ["interest_subsidy"], bases: ["fixed_points"] },
  { key: "share_percent", label: "贴息比例（%）", input: "decimal", kinds: ["interest_subsidy"], bases: ["lpr_share", "actual_rate_share"] },
  { key: "spread_bp", label: "LPR 减点（基点）", input: "int", kinds: ["interest_subsidy"], bases: ["lpr_spread"] },
  { key: "lpr_term", label: "LPR 期限", input: "select:LprTerm", kinds: ["interest_subsidy"], bases: ["lpr_share", "lpr_spread"] },
  { key: "lpr_reference", label: "LPR 取值日", input: "select:LprReference", kinds: ["interest_subsidy"], bases: ["lpr_share", "lpr_spread"] },
  { key: "max_points", label: "贴息点数上限（%，可空）", input: "decimal", kinds: ["interest_subsidy"], bases: INTEREST_BASES },
  { key: "max_months", label: "最长贴息月数（可空）", input: "int", kinds: ["interest_subsidy"], bases: INTEREST_BASES },
  { key: "principal_cap", label: "贴息本金上限（元，可空）", input: "decimal", kinds: ["interest_subsidy"], bases: INTEREST_BASES },
  { key: "include_overdue_days", label: "逾期期间也贴息", input: "bool", kinds: ["interest_subsidy"], bases: INTEREST_BASES },
  { key: "subsidy_percent", label: "补贴比例（%）", input: "decimal", kinds: ["guarantee_fee_subsidy", "guarantor_award"] },
  { key: "max_fee_rate", label: "担保费率上限（%，可空）", input: "decimal", kinds: ["guarantee_fee_subsidy", "guarantor_award"] },
  { key: "cap_at_fee_paid", label: "不超过实缴担保费", input: "bool", kinds: ["guarantee_fee_subsidy"] },
  { key: "counter_guarantee", label: "接受的反担保方式（不选为不限）", input: "checks:CounterGuarantee", kinds: ["guarantee_fee_subsidy", "guarantor_award"] },
  { key: "tiers", label: "小微占比阶梯（每行“占比%:比例%”，如 80:1.2）", input: "tiers", kinds: ["guarantor_award"] },
  { key: "per_guarantor_cap", label: "每家担保机构上限（元，可空）", input: "decimal", kinds: ["guarantor_award"] },
  { key: "day_count", label: "计息天数", input: "select:DayCount", kinds: ["interest_subsidy", "guarantee_fee_subsidy"], bases: INTEREST_BASES },
  { key: "per_enterprise_annual_cap", label: "每家企业年度上限（元，可空）", input: "decimal", kinds: ["interest_subsidy", "guarantee_fee_subsidy"], bases: INTEREST_BASES },
  { key: "per_enterprise_total_cap", label: "每家企业累计上限（元，可空）", input: "decimal", kinds: ["interest_subsidy"], bases: INTEREST_BASES },
  { key: "amount", label: "奖励金额（元）", input: "decimal", kinds: ["lump_sum_award"] },
  { key: "certified_from", label: "资质认定日不早于（可空）", input: "date", kinds: ["lump_sum_award"] },
];

function ruleFields(kind: string, base: string): RuleField[] {
  return RULE_FIELDS.filter((r) => r.kinds.includes(kind) && (kind !== "interest_subsidy" || !r.bases || r.bases.includes(base)));
}

/// The rule the form describes; empty fields are left out (the API's defaults apply).
function ruleOf(kind: string, v: Record<string, string>): Record<string, unknown> {
  const rule: Record<string, unknown> = kind === "interest_subsidy" ? { base: v.base } : {};
  for (const r of ruleFields(kind, v.base)) {
    const x = v[`r_${r.key}`] ?? "";
    if (r.input === "bool") {
      if (x === "true") rule[r.key] = true;
    } else if (r.input.startsWith("checks:")) {
      if (x) rule[r.key] = listOf(x);
    } else if (r.input === "tiers") {
      const rows = x.split(/\n+/).map((l) => l.trim()).filter(Boolean);
      if (rows.length)
        rule[r.key] = rows.map((l) => {
          const [share, pct] = l.split(/[:：]/).map((t) => t.trim());
          return { min_small_micro_share: share ?? "", subsidy_percent: pct ?? "" };
        });
    } else if (x.trim() !== "") {
      rule[r.key] = r.input === "int" ? Number.parseInt(x, 10) : x.trim();
    }
  }
  return rule;
}

/// A policy of any kind: its window, budget, who it is for, and every parameter of its rule
/// that the kind (and base) takes.
function NewPolicy() {
  const year = new Date().getFullYear();
  const f = useForm({
    name: "",
    kind: "interest_subsidy",
    base: "fixed_points",
    effective_from: `${year}-01-01`,
    effective_to: "",
    budget: "",
    qualification: "",
    first_loan_only: "",
    size_classes: "",
    product_types: "",
    region_prefixes: "",
    exclusive_group: "",
    include_overdue_loans: "",
    loan_purposes: "",
  } as Record<string, string>);
  const [ok, setOk] = useState<string | null>(null);
  const v = f.values;
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const [qkind, level] = v.qualification.split(":");
    const eligibility: Schemas["PolicyEligibility"] = {
      qualifications_any: qkind
        ? [{ kind: qkind as Schemas["QualificationKind"], min_level: level as Schemas["QualificationLevel"] }]
        : [],
      first_loan_only: v.first_loan_only === "true",
      size_classes: listOf<Schemas["SizeClass"]>(v.size_classes),
      product_types: listOf<Schemas["ProductType"]>(v.product_types),
      region_prefixes: v.region_prefixes.split(/[\s,，、]+/).filter(Boolean),
      exclusive_group: v.exclusive_group.trim() || null,
      exclude_overdue: v.include_overdue_loans !== "true",
      loan_purposes: listOf<Schemas["Purpose"]>(v.loan_purposes),
      ownership: [],
      sector_prefixes: [],
    };
    await f.run(async () => {
      const p = await call(
        api.POST("/api/v1/policies", {
          body: {
            name: v.name,
            kind: v.kind as Schemas["PolicyKind"],
            effective_from: v.effective_from,
            effective_to: v.effective_to || null,
            budget: v.budget,
            eligibility,
            rule: ruleOf(v.kind, v) as Schemas["RuleInput"],
          },
        }),
      );
      setOk(`政策 ${p.id} 已发布`);
    });
  }
  const put = (k: string, x: string) => f.setValues({ ...v, [k]: x });
  return (
    <Section title="发布政策">
      <form class="grid-form" onSubmit={submit} aria-label="发布政策">
        <Field id="p-name" label="政策名称" error={f.problem?.field("name")}>
          <input id="p-name" value={v.name} onInput={f.set("name")} />
        </Field>
        <Field id="p-kind" label="类型" error={f.problem?.field("kind")}>
          <select id="p-kind" value={v.kind} onChange={f.set("kind")}>
            {options("PolicyKind").map(([k, t]) => (
              <option value={k}>{t}</option>
            ))}
          </select>
        </Field>
        {v.kind === "interest_subsidy" && (
          <Field id="p-base" label="贴息方式" error={f.problem?.field("rule.base")}>
            <select id="p-base" value={v.base} onChange={f.set("base")}>
              {options("InterestBase").map(([k, t]) => (
                <option value={k}>{t}</option>
              ))}
            </select>
          </Field>
        )}
        <Field id="p-from" label="政策生效日" error={f.problem?.field("effective_from")}>
          <input id="p-from" type="date" value={v.effective_from} onInput={f.set("effective_from")} />
        </Field>
        <Field id="p-to" label="政策截止日（可空）" error={f.problem?.field("effective_to")}>
          <input id="p-to" type="date" value={v.effective_to} onInput={f.set("effective_to")} />
        </Field>
        <Field id="p-budget" label="预算（元）" error={f.problem?.field("budget")}>
          <input id="p-budget" inputMode="decimal" value={v.budget} onInput={f.set("budget")} />
        </Field>
        {ruleFields(v.kind, v.base).map((r) => {
          const id = `p-${r.key}`;
          const k = `r_${r.key}`;
          const error = f.problem?.field(`rule.${r.key}`);
          if (r.input.startsWith("checks:"))
            return (
              <Checks id={id} legend={r.label} choices={options(r.input.slice(7))} value={v[k] ?? ""} onChange={(x) => put(k, x)} error={error} />
            );
          if (r.input === "bool")
            return (
              <div class="field">
                <label class="check" for={id}>
                  <input id={id} type="checkbox" checked={v[k] === "true"} onChange={(e) => put(k, e.currentTarget.checked ? "true" : "")} />
                  {r.label}
                </label>
                {error && <span class="field-error" id={`${id}-error`} role="alert">{error}</span>}
              </div>
            );
          return (
            <Field id={id} label={r.label} error={error}>
              {r.input.startsWith("select:") ? (
                <select id={id} value={v[k] ?? ""} onChange={(e) => put(k, e.currentTarget.value)}>
                  <option value="">默认</option>
                  {options(r.input.slice(7)).map(([o, t]) => (
                    <option value={o}>{t}</option>
                  ))}
                </select>
              ) : r.input === "tiers" ? (
                <textarea id={id} rows={3} value={v[k] ?? ""} onInput={(e) => put(k, e.currentTarget.value)} />
              ) : (
                <input
                  id={id}
                  type={r.input === "date" ? "date" : "text"}
                  inputMode={r.input === "int" ? "numeric" : r.input === "decimal" ? "decimal" : undefined}
                  value={v[k] ?? ""}
                  onInput={(e) => put(k, e.currentTarget.value)}
                />
              )}
            </Field>
          );
        })}
        <Field id="p-qual" label="资质要求" error={f.problem?.field("eligibility.qualifications_any")}>
          <select id="p-qual" value={v.qualification} onChange={f.set("qualification")}>
            <option value="">不限</option>
            {options("QualificationKind").flatMap(([k, kt]) =>
              options("QualificationLevel").map(([l, lt]) => (
                <option value={`${k}:${l}`}>
                  {lt}及以上{kt}
                </option>
              )),
            )}
          </select>
        </Field>
        <Field id="p-regions" label="地区代码前缀（空格分隔，可空）" error={f.problem?.field("eligibility.region_prefixes")}>
          <input id="p-regions" inputMode="numeric" value={v.region_prefixes} onInput={f.set("region_prefixes")} />
        </Field>
        <Field id="p-group" label="互斥组（同组政策不叠加，可空）" error={f.problem?.field("eligibility.exclusive_group")}>
          <input id="p-group" value={v.exclusive_group} onInput={f.set("exclusive_group")} />
        </Field>
        <div class="field">
          <label class="check" for="p-first">
            <input id="p-first" type="checkbox" checked={v.first_loan_only === "true"} onChange={(e) => put("first_loan_only", e.currentTarget.checked ? "true" : "")} />
            仅限首贷
          </label>
        </div>
        <Checks id="p-sizes" legend="企业划型（不选为不限）" choices={options("SizeClass")} value={v.size_classes} onChange={(x) => put("size_classes", x)} error={f.problem?.field("eligibility.size_classes")} />
        <div class="field">
          <label class="check" for="p-overdue-loans">
            <input id="p-overdue-loans" type="checkbox" checked={v.include_overdue_loans === "true"} onChange={(e) => put("include_overdue_loans", e.currentTarget.checked ? "true" : "")} />
            期末逾期、不良的贷款也可申报
          </label>
        </div>
        <Checks id="p-purposes" legend="贷款用途（不选为不限）" choices={options("Purpose")} value={v.loan_purposes} onChange={(x) => put("loan_purposes", x)} error={f.problem?.field("eligibility.loan_purposes")} />
        <Checks id="p-types" legend="产品类型（不选为不限）" choices={options("ProductType")} value={v.product_types} onChange={(x) => put("product_types", x)} error={f.problem?.field("eligibility.product_types")} />
        <FormEnd form={f} ok={ok} label="发布政策" />
      </form>
    </Section>
  );
}
