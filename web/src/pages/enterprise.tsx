// The enterprise's console: its profile (划型, qualifications), its demands and what fits them
// (every reason and near miss), applying, and following matches, loans and policies.
import { useState } from "preact/hooks";
import { api, call, type Schemas } from "../api";
import { day, label, options, percent, wan, yuan } from "../format";
import { Bridges } from "./bridges";
import { Renewals, SubsidyClaims } from "./shared";
import { Checks, Empty, FormEnd, ErrorNote, Field, listOf, Loading, Pager, Section, Table, useForm, useLoad } from "../ui";

type Me = Schemas["MeResponse"];

export function EnterpriseHome({ me, route }: { me: Me; route: string }) {
  const id = me.organization.id;
  const m = /^\/demands\/(\d+)$/.exec(route);
  if (m) return <Recommendations demandId={Number(m[1])} />;
  switch (route) {
    case "/demands":
      return <Demands />;
    case "/matches":
      return <Matches />;
    case "/loans":
      return <Loans />;
    case "/policies":
      return (
        <>
          <Policies enterpriseId={id} />
          <SubsidyClaims />
        </>
      );
    case "/renewals":
      return (
        <>
          <RequestRenewal />
          <Renewals />
        </>
      );
    case "/bridges":
      return <Bridges role="enterprise" region={me.organization.region_code ?? undefined} />;
    default:
      return (
        <>
          <Profile enterpriseId={id} />
          <Matches />
        </>
      );
  }
}

function Profile({ enterpriseId }: { enterpriseId: number }) {
  const { data, error } = useLoad(
    () => call(api.GET("/api/v1/enterprises/{id}", { params: { path: { id: enterpriseId } } })),
    [enterpriseId],
  );
  const quals = useLoad(
    () => call(api.GET("/api/v1/enterprises/{id}/qualifications", { params: { path: { id: enterpriseId } } })),
    [enterpriseId],
  );
  if (error) return <ErrorNote message={error} />;
  if (!data) return <Loading />;
  return (
    <Section title="企业信息">
      <dl class="facts">
        <dt>企业名称</dt>
        <dd>{data.name}</dd>
        <dt>统一社会信用代码</dt>
        <dd>{data.credit_code}</dd>
        <dt>所在地区</dt>
        <dd>{data.region_code}</dd>
        <dt>企业划型</dt>
        <dd data-testid="size-class">{label("SizeClass", data.size_class)}</dd>
        <dt>从业人员</dt>
        <dd>{data.employees} 人</dd>
        <dt>营业收入</dt>
        <dd>{wan(data.annual_revenue)}</dd>
      </dl>
      <h3>资质认定</h3>
      {!quals.data ? (
        <Loading />
      ) : quals.data.items.length === 0 ? (
        <Empty>暂无资质。专精特新等认定由所在地金融办登记后显示在这里。</Empty>
      ) : (
        <Table
          head={["资质", "级别", "认定日期", "有效期至", "当前有效"]}
          rows={quals.data.items.map((q) => [
            label("QualificationKind", q.kind),
            label("QualificationLevel", q.level),
            day(q.certified_on),
            day(q.expires_on),
            q.valid_today ? "有效" : "已失效",
          ])}
        />
      )}
    </Section>
  );
}

function Demands() {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(() => call(api.GET("/api/v1/demands", { params: { query: { cursor, limit: 20 } } })), [cursor]);
  const [closeError, setCloseError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Schemas["DemandView"] | null>(null);
  async function close(id: number) {
    setCloseError(null);
    try {
      await call(api.POST("/api/v1/demands/{id}/close", { params: { path: { id } } }));
      list.reload();
    } catch (e) {
      setCloseError((e as Error).message);
    }
  }
  return (
    <>
      {editing ? (
        <DemandForm key={editing.id} demand={editing} onDone={list.reload} />
      ) : (
        <DemandForm onDone={list.reload} />
      )}
      <Section title="我的融资需求">
        <ErrorNote message={list.error ?? closeError} />
        {!list.data ? (
          <Loading />
        ) : list.data.items.length === 0 ? (
          <Empty>还没有融资需求。填写上方表单发布第一条需求，平台会为您匹配银行产品。</Empty>
        ) : (
          <>
            <Table
              head={["编号", "金额", "期限", "用途", "状态", "发布日期", "", ""]}
              rows={list.data.items.map((d) => [
                d.id,
                wan(d.amount),
                `${d.term_months} 个月`,
                label("Purpose", d.purpose),
                label("DemandStatus", d.status),
                day(d.created_at),
                <a href={`#/demands/${d.id}`}>查看匹配产品</a>,
                d.status === "open" ? (
                  <span class="row-actions">
                    <button type="button" class="link" onClick={() => setEditing(d)}>
                      修改
                    </button>
                    <button type="button" class="link" onClick={() => close(d.id)}>
                      关闭需求
                    </button>
                  </span>
                ) : (
                  ""
                ),
              ])}
            />
            <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
          </>
        )}
      </Section>
    </>
  );
}

/// Posts a new demand, or edits an open one (`PATCH`, only while `open`).
function DemandForm({ demand, onDone }: { demand?: Schemas["DemandView"]; onDone: () => void }) {
  const f = useForm({
    amount: demand?.amount ?? "",
    term_months: String(demand?.term_months ?? 12),
    purpose: demand?.purpose ?? "working_capital",
    guarantee_methods: (demand?.guarantee_methods ?? ["credit"]).join(","),
    max_rate: demand?.max_rate ?? "",
    needed_by: demand?.needed_by ?? "",
    preferred_product_types: (demand?.preferred_product_types ?? []).join(","),
    description: demand?.description ?? "",
  });
  const [ok, setOk] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const v = f.values;
    const body = {
      amount: v.amount,
      term_months: Number.parseInt(v.term_months, 10),
      purpose: v.purpose as Schemas["Purpose"],
      guarantee_methods: listOf<Schemas["GuaranteeMethod"]>(v.guarantee_methods),
      max_rate: v.max_rate.trim() || null,
      needed_by: v.needed_by || null,
      preferred_product_types: listOf<Schemas["ProductType"]>(v.preferred_product_types),
      description: v.description,
    };
    const done = await f.run(async () => {
      if (demand) {
        await call(api.PATCH("/api/v1/demands/{id}", { params: { path: { id: demand.id } }, body }));
        setOk(`需求 ${demand.id} 已修改`);
      } else {
        const d = await call(api.POST("/api/v1/demands", { body }));
        setOk(`需求 ${d.id} 已发布`);
      }
    });
    if (done) {
      if (!demand) f.setValues({ ...f.values, amount: "", description: "" });
      onDone();
    }
  }
  const title = demand ? `修改需求 ${demand.id}` : "发布融资需求";
  const id = (k: string) => (demand ? `d${demand.id}-${k}` : k);
  return (
    <Section title={title}>
      <form class="grid-form" onSubmit={submit} aria-label={title}>
        <Field id={id("amount")} label="金额（元）" error={f.problem?.field("amount")}>
          <input id={id("amount")} inputMode="decimal" placeholder="5000000.00" value={f.values.amount} onInput={f.set("amount")} />
        </Field>
        <Field id={id("term_months")} label="期限（月）" error={f.problem?.field("term_months")}>
          <input id={id("term_months")} inputMode="numeric" value={f.values.term_months} onInput={f.set("term_months")} />
        </Field>
        <Field id={id("purpose")} label="用途" error={f.problem?.field("purpose")}>
          <select id={id("purpose")} value={f.values.purpose} onChange={f.set("purpose")}>
            {options("Purpose").map(([v, t]) => (
              <option value={v}>{t}</option>
            ))}
          </select>
        </Field>
        <Field id={id("max_rate")} label="可接受最高年利率（%，选填）" error={f.problem?.field("max_rate")}>
          <input id={id("max_rate")} inputMode="decimal" placeholder="4.50" value={f.values.max_rate} onInput={f.set("max_rate")} />
        </Field>
        <Field id={id("needed_by")} label="用款日期（选填）" error={f.problem?.field("needed_by")}>
          <input id={id("needed_by")} type="date" value={f.values.needed_by} onInput={f.set("needed_by")} />
        </Field>
        <Field id={id("description")} label="说明" error={f.problem?.field("description")}>
          <input id={id("description")} value={f.values.description} onInput={f.set("description")} />
        </Field>
        <Checks
          id={id("guarantee")}
          legend="可提供的担保方式"
          choices={options("GuaranteeMethod")}
          value={f.values.guarantee_methods}
          onChange={(v) => f.setValues({ ...f.values, guarantee_methods: v })}
          error={f.problem?.field("guarantee_methods")}
        />
        <Checks
          id={id("preferred")}
          legend="偏好的产品类型（选填）"
          choices={options("ProductType")}
          value={f.values.preferred_product_types}
          onChange={(v) => f.setValues({ ...f.values, preferred_product_types: v })}
          error={f.problem?.field("preferred_product_types")}
        />
        <FormEnd form={f} ok={ok} label={demand ? "保存修改" : "发布"} />
      </form>
    </Section>
  );
}

function Recommendations({ demandId }: { demandId: number }) {
  const rec = useLoad(
    () =>
      call(
        api.GET("/api/v1/demands/{id}/recommendations", {
          params: { path: { id: demandId }, query: { include_ineligible: true, limit: 20 } },
        }),
      ),
    [demandId],
  );
  const [applied, setApplied] = useState<Record<number, string>>({});
  async function apply(productId: number) {
    try {
      const m = await call(api.POST("/api/v1/matches", { body: { demand_id: demandId, product_id: productId } }));
      setApplied({ ...applied, [productId]: `已申请（对接编号 ${m.id}）` });
    } catch (e) {
      setApplied({ ...applied, [productId]: (e as Error).message });
    }
  }
  return (
    <Section title={`需求 ${demandId} 的匹配产品`} actions={<a href="#/demands">返回需求列表</a>}>
      <ErrorNote message={rec.error} />
      {!rec.data ? (
        <Loading />
      ) : rec.data.items.length === 0 ? (
        <Empty>暂无匹配的产品。可调整金额、期限或担保方式后再看。</Empty>
      ) : (
        <ol class="recs">
          {rec.data.items.map((p) => (
            <li class={p.eligible ? "rec" : "rec near-miss"}>
              <div class="rec-head">
                <strong>{p.product_name}</strong> · {p.bank_name} · {label("ProductType", p.product_type)}
                <span class="score">匹配度 {p.score}</span>
              </div>
              <div class="muted">
                {wan(p.min_amount)}–{wan(p.max_amount)}，{p.min_term_months}–{p.max_term_months} 个月，年利率{" "}
                {percent(p.min_rate)}–{percent(p.max_rate)}
              </div>
              <ul class="reasons">
                {p.reasons.map((r) => (
                  <li class={r.passed ? "pass" : "fail"}>
                    <span aria-hidden="true">{r.passed ? "✓" : "✗"}</span> {r.detail}
                    {r.points != null && <span class="muted">（{r.points} 分）</span>}
                  </li>
                ))}
              </ul>
              {p.eligible ? (
                applied[p.product_id] ? (
                  <p role="status">{applied[p.product_id]}</p>
                ) : (
                  <button type="button" onClick={() => apply(p.product_id)}>
                    申请
                  </button>
                )
              ) : (
                <p class="muted">暂不符合条件（见上方 ✗ 项）</p>
              )}
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

export function Matches() {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(() => call(api.GET("/api/v1/matches", { params: { query: { cursor, limit: 20 } } })), [cursor]);
  return (
    <Section title="对接进度">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>还没有对接记录。在“融资需求”中查看匹配产品并申请。</Empty>
      ) : (
        <>
          <Table
            head={["编号", "需求", "状态", "银行响应期限", "审批期限", "授信金额", "逾期"]}
            rows={list.data.items.map((m) => [
              m.id,
              m.demand_id,
              label("MatchState", m.state),
              day(m.respond_by),
              day(m.decide_by),
              m.approved_amount ? wan(m.approved_amount) : "—",
              m.overdue ? <span class="badge warn">已逾期</span> : "",
            ])}
          />
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

export function Loans() {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(() => call(api.GET("/api/v1/loans", { params: { query: { cursor, limit: 20 } } })), [cursor]);
  return (
    <Section title="贷款">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>暂无贷款。银行放款后会显示在这里。</Empty>
      ) : (
        <>
          <Table
            head={["编号", "金额", "年利率", "放款日", "到期日", "余额", "状态", "首贷"]}
            rows={list.data.items.map((l) => [
              l.id,
              yuan(l.amount),
              percent(l.annual_rate),
              day(l.disbursed_on),
              day(l.maturity_on),
              yuan(l.outstanding),
              label("LoanStatus", l.status),
              l.first_loan ? "是" : "否",
            ])}
          />
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

function Policies({ enterpriseId }: { enterpriseId: number }) {
  const list = useLoad(
    () => call(api.GET("/api/v1/enterprises/{id}/eligible-policies", { params: { path: { id: enterpriseId } } })),
    [enterpriseId],
  );
  return (
    <Section title="可享政策（政策找企业）">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>当前没有覆盖本地区的有效政策。</Empty>
      ) : (
        <ul class="policies">
          {list.data.items.map((p) => (
            <li>
              <strong>{p.policy.name}</strong>（{label("PolicyKind", p.policy.kind)}）
              <span class={p.eligible ? "badge ok" : "badge"}>{p.eligible ? "符合条件" : "暂不符合"}</span>
              <ul class="reasons">
                {p.reasons.map((r) => (
                  <li class={r.passed ? "pass" : "fail"}>
                    <span aria-hidden="true">{r.passed ? "✓" : "✗"}</span> {r.detail}
                  </li>
                ))}
              </ul>
              {p.award != null && (
                <p>
                  可获奖励：{yuan(p.award)}{" "}
                  {p.eligible && p.award !== "0.00" && (
                    <ClaimButton body={{ policy_id: p.policy.id, enterprise_id: enterpriseId }} />
                  )}
                </p>
              )}
              {p.loans.length > 0 && (
                <Table
                  head={["贷款", "期间", "本年可申请金额", "说明"]}
                  rows={p.loans.map((l) => [
                    l.loan_id,
                    `${day(l.period_start)} 至 ${day(l.period_end)}`,
                    yuan(l.amount),
                    l.eligible && l.amount !== "0.00" ? (
                      <ClaimButton
                        body={{ policy_id: p.policy.id, loan_id: l.loan_id, period_start: l.period_start, period_end: l.period_end }}
                      />
                    ) : (
                      l.reasons.join("；") || "—"
                    ),
                  ])}
                />
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

/// Asks the bank to renew a maturing loan (续贷), with or without repaying principal first.
function RequestRenewal() {
  const f = useForm({ loan_id: "", amount: "", term_months: "12", no_principal: "yes", note: "" });
  const [ok, setOk] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setOk(null);
    const v = f.values;
    await f.run(async () => {
      const r = await call(
        api.POST("/api/v1/loans/{id}/renewals", {
          params: { path: { id: Number.parseInt(v.loan_id, 10) || 0 } },
          body: {
            amount: v.amount,
            term_months: Number.parseInt(v.term_months, 10),
            no_principal_repayment: v.no_principal === "yes",
            note: v.note === "" ? null : v.note,
          },
        }),
      );
      setOk(`续贷申请 ${r.id} 已提交，银行须在 ${day(r.respond_by)} 前答复`);
    });
  }
  return (
    <Section title="申请续贷">
      <form class="grid-form" onSubmit={submit} aria-label="申请续贷">
        <Field id="rn-loan" label="贷款编号" error={f.problem?.field("loan_id")}>
          <input id="rn-loan" inputMode="numeric" value={f.values.loan_id} onInput={f.set("loan_id")} />
        </Field>
        <Field id="rn-amount" label="续贷金额（元）" error={f.problem?.field("amount")}>
          <input id="rn-amount" inputMode="decimal" value={f.values.amount} onInput={f.set("amount")} />
        </Field>
        <Field id="rn-term" label="期限（月）" error={f.problem?.field("term_months")}>
          <input id="rn-term" inputMode="numeric" value={f.values.term_months} onInput={f.set("term_months")} />
        </Field>
        <Field id="rn-mode" label="方式" error={f.problem?.field("no_principal_repayment")}>
          <select id="rn-mode" value={f.values.no_principal} onChange={f.set("no_principal")}>
            <option value="yes">无还本续贷</option>
            <option value="no">先还后贷</option>
          </select>
        </Field>
        <Field id="rn-note" label="说明" error={f.problem?.field("note")}>
          <input id="rn-note" value={f.values.note} onInput={f.set("note")} />
        </Field>
        <FormEnd form={f} ok={ok} label="提交" />
      </form>
    </Section>
  );
}

/// Files a claim (申报) as 政策找企业 computed it; shows the claim or the API's refusal.
function ClaimButton({ body }: { body: Schemas["CreateClaim"] }) {
  const [state, setState] = useState<{ busy: boolean; text: string | null; error: boolean }>({
    busy: false,
    text: null,
    error: false,
  });
  async function file() {
    setState({ busy: true, text: null, error: false });
    try {
      const c = await call(api.POST("/api/v1/subsidy-claims", { body }));
      setState({ busy: false, text: `已申报（编号 ${c.id}，${yuan(c.amount)}）`, error: false });
    } catch (e) {
      setState({ busy: false, text: (e as Error).message, error: true });
    }
  }
  if (state.text)
    return (
      <span class={state.error ? "error" : "ok"} role="status">
        {state.text}
      </span>
    );
  return (
    <button type="button" onClick={file} disabled={state.busy}>
      申报
    </button>
  );
}
