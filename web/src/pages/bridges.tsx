// 转贷/过桥 (SPEC §3.14): a government fund lends briefly so that an enterprise can repay a
// maturing loan its bank has committed to renew. The enterprise asks (against an approved
// renewal); the finance office approves (the amount is reserved from the fund), rejects with a
// reason, records the disbursement and the repayment (the fee is the API's); a bank sees the
// bridges of its loans. The office publishes funds and follows their balances.
import { useState } from "preact/hooks";
import { api, call, type Schemas } from "../api";
import { day, label, today, options, percent, ratio, stepLabel, wan, yuan } from "../format";
import { Empty, ErrorNote, Field, FormEnd, Loading, Pager, ProblemNote, Section, Table, useForm, useLoad } from "../ui";

type Bridge = Schemas["BridgeView"];
type Fund = Schemas["FundView"];
type Renewal = Schemas["RenewalView"];

/// The bridges the caller may see (the enterprise its own, a finance office those of its
/// region, a bank those of its loans, the admin all), with what the caller's role may do on
/// each; the enterprise also gets the form to ask for one, among the funds serving its `region`.
export function Bridges({ role, region }: { role: string; region?: string }) {
  const [tick, setTick] = useState(0);
  const bump = () => setTick((t) => t + 1);
  return (
    <>
      {role === "enterprise" && <RequestBridge region={region} onDone={bump} />}
      <BridgeList role={role} tick={tick} onChange={bump} />
    </>
  );
}

function BridgeList({ role, tick, onChange }: { role: string; tick: number; onChange: () => void }) {
  const [state, setState] = useState("");
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(
    () =>
      call(
        api.GET("/api/v1/bridge-loans", {
          params: { query: { state: (state || undefined) as Schemas["BridgeState"] | undefined, cursor, limit: 20 } },
        }),
      ),
    [state, cursor, tick],
  );
  // Fund names for the list (funds are few; the first page of 200 covers them).
  const funds = useLoad(() => call(api.GET("/api/v1/bridge-funds", { params: { query: { limit: 200 } } })), [tick]);
  const fundName = new Map((funds.data?.items ?? []).map((f) => [f.id, f.name]));
  const office = role === "finance_office" || role === "admin";
  const none =
    state !== ""
      ? `没有“${label("BridgeState", state)}”状态的过桥。可在右上角改选状态或选“全部”。`
      : role === "enterprise"
        ? "还没有过桥申请。银行批准续贷（续贷承诺）后，可用上方表单向转贷资金申请过桥，先行归还到期贷款。"
        : office
          ? "辖区暂无过桥申请。企业获得银行续贷承诺后提出的过桥申请会出现在这里，等待审批。"
          : role === "bank"
            ? "暂无涉及本行贷款的过桥。企业为归还本行到期贷款申请过桥后会出现在这里。"
            : "暂无可查看的过桥记录。";
  return (
    <Section
      title={office ? "过桥审批与放款" : "转贷过桥"}
      actions={
        <label>
          状态{" "}
          <select
            id="bls-state"
            value={state}
            onChange={(e) => {
              setState(e.currentTarget.value);
              setCursor(undefined);
            }}
          >
            <option value="">全部</option>
            {options("BridgeState").map(([v, t]) => (
              <option value={v}>{t}</option>
            ))}
          </select>
        </label>
      }
    >
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>{none}</Empty>
      ) : (
        <>
          <ul class="inbox">
            {list.data.items.map((b) => (
              <BridgeItem key={b.id} bridge={b} fund={fundName.get(b.fund_id)} office={office} onDone={onChange} />
            ))}
          </ul>
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

function BridgeItem(props: { bridge: Bridge; fund?: string; office: boolean; onDone: () => void }) {
  const b = props.bridge;
  const id = b.id;
  const out = b.state === "disbursed" || b.state === "overdue";
  return (
    <li class={b.state === "overdue" ? "overdue" : ""} data-bridge={id} data-state={b.state}>
      <div class="rec-head">
        <strong>过桥 {id}</strong>
        <span class={b.state === "overdue" ? "badge warn" : b.state === "repaid" ? "badge ok" : "badge"}>
          {label("BridgeState", b.state)}
        </span>
        {yuan(b.amount)} · {b.days} 天 · {props.fund ?? `转贷资金 ${b.fund_id}`}
        <span class="muted">
          贷款 {b.loan_id} · 续贷 {b.renewal_id} · 申请于 {day(b.created_at)}
        </span>
      </div>
      <div class="muted">
        {b.disbursed_on ? <>放款日 {day(b.disbursed_on)} · 到期日 {day(b.due_on)}</> : "尚未放款"}
        {b.repaid_on && <> · 归还日 {day(b.repaid_on)}</>}
        {b.fee != null && <> · 费用 {yuan(b.fee)}</>}
        {b.state === "overdue" && <span class="badge warn">已逾期未归还</span>}
      </div>
      {b.reject_reason && <p class="error">拒绝原因：{b.reject_reason}</p>}
      {b.fee_breakdown && b.fee_breakdown.length > 0 && (
        <details>
          <summary>费用计算过程</summary>
          <Table head={["步骤", "值"]} rows={b.fee_breakdown.map((s) => [stepLabel(s.step), s.value])} />
        </details>
      )}
      {props.office && (b.state === "requested" || b.state === "approved" || out) && (
        <BridgeActions bridge={b} onDone={props.onDone} />
      )}
    </li>
  );
}

/// The finance office's (or the admin's) moves: approve or reject a request, record the
/// disbursement of an approved bridge, record the repayment of one that is out.
function BridgeActions({ bridge, onDone }: { bridge: Bridge; onDone: () => void }) {
  const id = bridge.id;
  const f = useForm({ reason: "", out_on: today(), back_on: today() });
  const path = { params: { path: { id } } };
  const approve = () => f.run(async () => (await call(api.POST("/api/v1/bridge-loans/{id}/approve", path)), onDone()));
  const reject = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(api.POST("/api/v1/bridge-loans/{id}/reject", { ...path, body: { reason: f.values.reason } }));
      onDone();
    });
  };
  const disburse = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(api.POST("/api/v1/bridge-loans/{id}/disburse", { ...path, body: { on: f.values.out_on } }));
      onDone();
    });
  };
  const repay = (e: Event) => {
    e.preventDefault();
    return f.run(async () => {
      await call(api.POST("/api/v1/bridge-loans/{id}/repay", { ...path, body: { on: f.values.back_on } }));
      onDone();
    });
  };
  return (
    <div class="actions">
      <ProblemNote problem={f.problem} />
      {bridge.state === "requested" && (
        <>
          <button type="button" onClick={approve} disabled={f.busy}>
            批准
          </button>
          <form class="inline-form" onSubmit={reject} aria-label={`拒绝过桥 ${id}`}>
            <Field id={`br-${id}-reason`} label="拒绝原因（企业可见）" error={f.problem?.field("reason")}>
              <input id={`br-${id}-reason`} value={f.values.reason} onInput={f.set("reason")} />
            </Field>
            <button type="submit" class="danger" disabled={f.busy}>
              拒绝
            </button>
          </form>
        </>
      )}
      {bridge.state === "approved" && (
        <form class="inline-form" onSubmit={disburse} aria-label={`过桥 ${id} 放款`}>
          <Field id={`br-${id}-out-on`} label="放款日期" error={f.problem?.field("on")}>
            <input id={`br-${id}-out-on`} type="date" value={f.values.out_on} onInput={f.set("out_on")} />
          </Field>
          <button type="submit" disabled={f.busy}>
            放款（{yuan(bridge.amount)}）
          </button>
        </form>
      )}
      {(bridge.state === "disbursed" || bridge.state === "overdue") && (
        <form class="inline-form" onSubmit={repay} aria-label={`过桥 ${id} 归还`}>
          <Field id={`br-${id}-back-on`} label="归还日期（资金收回之日）" error={f.problem?.field("on")}>
            <input id={`br-${id}-back-on`} type="date" value={f.values.back_on} onInput={f.set("back_on")} />
          </Field>
          <button type="submit" disabled={f.busy}>
            登记归还
          </button>
        </form>
      )}
    </div>
  );
}

/// The enterprise asks a fund for a bridge: the funds serving its region and its renewals the bank
/// has approved (one fills the loan and renewal numbers), then the form.
function RequestBridge({ region, onDone }: { region?: string; onDone: () => void }) {
  const funds = useLoad(
    () => call(api.GET("/api/v1/bridge-funds", { params: { query: { limit: 200, region_prefix: region } } })),
    [region],
  );
  const renewals = useLoad(
    () => call(api.GET("/api/v1/renewals", { params: { query: { state: "approved", limit: 100 } } })),
    [],
  );
  return (
    <Section title="申请过桥（应急转贷）">
      <ErrorNote message={funds.error ?? renewals.error} />
      {!funds.data || !renewals.data ? (
        <Loading />
      ) : funds.data.items.length === 0 ? (
        <Empty>暂无可申请的转贷资金。转贷资金由当地金融办发布，发布后可在此申请过桥。</Empty>
      ) : (
        <RequestForm funds={funds.data.items} renewals={renewals.data.items} onDone={onDone} />
      )}
    </Section>
  );
}

function RequestForm(props: { funds: Fund[]; renewals: Renewal[]; onDone: () => void }) {
  const first = props.renewals[0];
  const f = useForm({
    fund_id: String(props.funds[0].id),
    pick: first ? String(first.id) : "",
    loan_id: first ? String(first.loan_id) : "",
    renewal_id: first ? String(first.id) : "",
    amount: "",
    days: "",
  });
  const [ok, setOk] = useState<string | null>(null);
  const v = f.values;
  const fund = props.funds.find((x) => String(x.id) === v.fund_id);
  function pick(value: string) {
    const r = props.renewals.find((x) => String(x.id) === value);
    f.setValues({
      ...v,
      pick: value,
      loan_id: r ? String(r.loan_id) : v.loan_id,
      renewal_id: r ? String(r.id) : v.renewal_id,
    });
  }
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const done = await f.run(async () => {
      const b = await call(
        api.POST("/api/v1/bridge-loans", {
          body: {
            fund_id: Number.parseInt(v.fund_id, 10),
            loan_id: Number.parseInt(v.loan_id, 10),
            renewal_id: Number.parseInt(v.renewal_id, 10),
            amount: v.amount.trim(),
            days: Number.parseInt(v.days, 10),
          },
        }),
      );
      setOk(`过桥申请 ${b.id} 已提交（${yuan(b.amount)}，${b.days} 天），等待金融办审批`);
    });
    if (done) props.onDone();
  }
  return (
    <>
      {fund && (
        <p class="muted">
          {fund.name}：单笔最高 {wan(fund.max_amount)}，且不超过续贷承诺金额的 {percent(fund.max_share_of_renewal)}
          和贷款余额；最长 {fund.max_days} 天；日费率 {percent(fund.daily_fee_rate)}（按实际占用天数计费）；当前可用{" "}
          {wan(fund.available)}。
        </p>
      )}
      {props.renewals.length === 0 && (
        <p class="notice">您还没有已获银行批准的续贷。请先在“续贷”中申请续贷，银行作出续贷承诺后再申请过桥。</p>
      )}
      <form class="grid-form" onSubmit={submit} aria-label="申请过桥">
        <Field id="bl-fund" label="转贷资金" error={f.problem?.field("fund_id")}>
          <select id="bl-fund" value={v.fund_id} onChange={f.set("fund_id")}>
            {props.funds.map((x) => (
              <option value={String(x.id)}>
                {x.name}（可用 {wan(x.available)}）
              </option>
            ))}
          </select>
        </Field>
        <Field id="bl-pick" label="已获续贷承诺的贷款">
          <select id="bl-pick" value={v.pick} onChange={(e) => pick(e.currentTarget.value)}>
            <option value="">手动填写贷款与续贷编号</option>
            {props.renewals.map((r) => (
              <option value={String(r.id)}>
                贷款 {r.loan_id} · 续贷 {r.id} · 承诺 {wan(r.approved_amount ?? r.amount)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="bl-loan" label="到期贷款编号" error={f.problem?.field("loan_id")}>
          <input id="bl-loan" inputMode="numeric" value={v.loan_id} onInput={f.set("loan_id")} />
        </Field>
        <Field id="bl-renewal" label="续贷编号（银行已批准）" error={f.problem?.field("renewal_id")}>
          <input id="bl-renewal" inputMode="numeric" value={v.renewal_id} onInput={f.set("renewal_id")} />
        </Field>
        <Field id="bl-amount" label="过桥金额（元）" error={f.problem?.field("amount")}>
          <input id="bl-amount" inputMode="decimal" value={v.amount} onInput={f.set("amount")} />
        </Field>
        <Field id="bl-days" label={fund ? `使用天数（最长 ${fund.max_days} 天）` : "使用天数"} error={f.problem?.field("days")}>
          <input id="bl-days" inputMode="numeric" value={v.days} onInput={f.set("days")} />
        </Field>
        <FormEnd form={f} ok={ok} label="申请过桥" />
      </form>
    </>
  );
}

/// The finance office's funds: their balances (the report over its region), every fund's
/// terms, and the form to publish one.
export function OfficeBridgeFunds() {
  const [tick, setTick] = useState(0);
  const bump = () => setTick((t) => t + 1);
  return (
    <>
      <NewFund onDone={bump} />
      <FundBalances tick={tick} />
      <FundTerms tick={tick} />
    </>
  );
}

function FundBalances({ tick }: { tick: number }) {
  const stats = useLoad(() => call(api.GET("/api/v1/stats/bridge-funds")), [tick]);
  return (
    <Section title="辖区转贷资金余额">
      <ErrorNote message={stats.error} />
      {!stats.data ? (
        <Loading />
      ) : stats.data.items.length === 0 ? (
        <Empty>辖区还没有转贷资金。用上方表单发布一支，企业即可申请过桥。</Empty>
      ) : (
        <Table
          head={["转贷资金", "资本金", "可用余额", "使用率", "过桥笔数", "各状态", "累计转贷金额", "周转次数", "费用收入", "占用天数中位数"]}
          rows={stats.data.items.map((x) => [
            <span data-fund-stats={x.fund_id}>{x.name}</span>,
            yuan(x.capital),
            <span data-fund-available={x.fund_id}>{yuan(x.available)}</span>,
            ratio(x.utilisation),
            x.bridges,
            Object.entries(x.by_state)
              .filter(([, n]) => n > 0)
              .map(([s, n]) => `${label("BridgeState", s)} ${n}`)
              .join("，") || "—",
            wan(x.turnover),
            x.turnover_times == null ? "—" : `${x.turnover_times} 次`,
            yuan(x.fees),
            x.median_days == null ? "—" : `${x.median_days} 天`,
          ])}
        />
      )}
    </Section>
  );
}

function FundTerms({ tick }: { tick: number }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(
    () => call(api.GET("/api/v1/bridge-funds", { params: { query: { cursor, limit: 20 } } })),
    [cursor, tick],
  );
  return (
    <Section title="转贷资金及申请条件（各地区）">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>还没有转贷资金。用上方表单发布第一支转贷资金。</Empty>
      ) : (
        <>
          <Table
            head={["编号", "名称", "服务地区", "资本金", "可用余额", "日费率", "最长天数", "单笔最高", "不超过续贷金额", "发布日"]}
            rows={list.data.items.map((x) => [
              x.id,
              <span data-fund={x.id}>{x.name}</span>,
              x.region_prefix ?? "全国",
              wan(x.capital),
              wan(x.available),
              `${percent(x.daily_fee_rate)}/天`,
              `${x.max_days} 天`,
              wan(x.max_amount),
              percent(x.max_share_of_renewal),
              day(x.created_at),
            ])}
          />
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

function NewFund({ onDone }: { onDone: () => void }) {
  const f = useForm({
    name: "",
    capital: "",
    region_prefix: "",
    daily_fee_rate: "0.02",
    max_days: "30",
    max_amount: "",
    max_share_of_renewal: "95",
  });
  const [ok, setOk] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const v = f.values;
    const done = await f.run(async () => {
      const x = await call(
        api.POST("/api/v1/bridge-funds", {
          body: {
            name: v.name,
            capital: v.capital.trim(),
            region_prefix: v.region_prefix.trim() || null,
            daily_fee_rate: v.daily_fee_rate.trim(),
            max_days: Number.parseInt(v.max_days, 10),
            max_amount: v.max_amount.trim(),
            max_share_of_renewal: v.max_share_of_renewal.trim(),
          },
        }),
      );
      setOk(`转贷资金 ${x.id}（${x.name}）已发布，服务地区 ${x.region_prefix ?? "全国"}`);
    });
    if (done) onDone();
  }
  return (
    <Section title="发布转贷资金">
      <form class="grid-form" onSubmit={submit} aria-label="发布转贷资金">
        <Field id="bf-name" label="资金名称" error={f.problem?.field("name")}>
          <input id="bf-name" value={f.values.name} onInput={f.set("name")} />
        </Field>
        <Field id="bf-capital" label="资本金（元）" error={f.problem?.field("capital")}>
          <input id="bf-capital" inputMode="decimal" value={f.values.capital} onInput={f.set("capital")} />
        </Field>
        <Field id="bf-region" label="服务地区代码前缀（空为本辖区）" error={f.problem?.field("region_prefix")}>
          <input id="bf-region" inputMode="numeric" value={f.values.region_prefix} onInput={f.set("region_prefix")} />
        </Field>
        <Field id="bf-rate" label="日费率（%/天，如 0.02）" error={f.problem?.field("daily_fee_rate")}>
          <input id="bf-rate" inputMode="decimal" value={f.values.daily_fee_rate} onInput={f.set("daily_fee_rate")} />
        </Field>
        <Field id="bf-days" label="最长使用天数（1–365）" error={f.problem?.field("max_days")}>
          <input id="bf-days" inputMode="numeric" value={f.values.max_days} onInput={f.set("max_days")} />
        </Field>
        <Field id="bf-max" label="单笔最高金额（元）" error={f.problem?.field("max_amount")}>
          <input id="bf-max" inputMode="decimal" value={f.values.max_amount} onInput={f.set("max_amount")} />
        </Field>
        <Field id="bf-share" label="不超过续贷承诺金额的（%）" error={f.problem?.field("max_share_of_renewal")}>
          <input
            id="bf-share"
            inputMode="decimal"
            value={f.values.max_share_of_renewal}
            onInput={f.set("max_share_of_renewal")}
          />
        </Field>
        <FormEnd form={f} ok={ok} label="发布转贷资金" />
      </form>
    </Section>
  );
}
