// The admin's console: organizations and their users (create and disable go through the API).
import { useState } from "preact/hooks";
import { api, call } from "../api";
import { day, label } from "../format";
import { Empty, ErrorNote, Loading, Pager, Section, Table, useLoad } from "../ui";

export function AdminHome(_: { route: string }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(() => call(api.GET("/api/v1/organizations", { params: { query: { cursor, limit: 50 } } })), [cursor]);
  return (
    <Section title="机构">
      <ErrorNote message={list.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>还没有机构。</Empty>
      ) : (
        <>
          <Table
            head={["编号", "名称", "类型", "地区", "创建日期"]}
            rows={list.data.items.map((o) => [o.id, o.name, label("OrgKind", o.kind), o.region_code ?? "—", day(o.created_at)])}
          />
          <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
        </>
      )}
    </Section>
  );
}
