// Lists more than one role reads: renewals (续贷) and subsidy claims, each scoped by the API.
import { useState } from "preact/hooks";
import { api, call } from "../api";
import { day, label, wan, yuan } from "../format";
import { Empty, ErrorNote, Loading, Pager, Section, Table, useLoad } from "../ui";

export function Renewals() {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(() => call(api.GET("/api/v1/renewals", { params: { query: { cursor, limit: 20 } } })), [cursor]);
  return (
    <Section title="续贷">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>暂无续贷申请。贷款临近到期时可在此跟踪续贷进度。</Empty>
      ) : (
        <>
          <Table
            head={["编号", "原贷款", "申请金额", "期限", "状态", "银行答复期限", "逾期"]}
            rows={list.data.items.map((r) => [
              r.id,
              r.loan_id,
              wan(r.amount),
              `${r.term_months} 个月`,
              label("RenewalState", r.state),
              day(r.respond_by),
              r.overdue ? <span class="badge warn">已逾期</span> : "",
            ])}
          />
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}

export function SubsidyClaims() {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(() => call(api.GET("/api/v1/subsidy-claims", { params: { query: { cursor, limit: 20 } } })), [cursor]);
  return (
    <Section title="补贴申报">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>暂无补贴申报。可在“可享政策”中查看可申请的贴息与奖励。</Empty>
      ) : (
        <>
          <Table
            head={["编号", "政策", "贷款", "期间", "金额", "状态", "拨付日"]}
            rows={list.data.items.map((c) => [
              c.id,
              c.policy_id,
              c.loan_id ?? "—",
              c.period_start ? `${day(c.period_start)} 至 ${day(c.period_end)}` : "—",
              yuan(c.amount),
              label("ClaimState", c.state),
              day(c.paid_on),
            ])}
          />
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}
