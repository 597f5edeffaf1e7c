// The admin's console: organizations, and the users of each (add one, disable or enable).
import { useState } from "preact/hooks";
import { api, call } from "../api";
import { day, label, options } from "../format";
import { Empty, FormEnd, ErrorNote, Field, Loading, Pager, Section, Table, useForm, useLoad } from "../ui";

export function AdminHome(_: { route: string }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const [open, setOpen] = useState<number | null>(null);
  const list = useLoad(() => call(api.GET("/api/v1/organizations", { params: { query: { cursor, limit: 50 } } })), [cursor]);
  return (
    <>
      <NewOrganization onDone={list.reload} />
      {open != null && <Users orgId={open} onClose={() => setOpen(null)} />}
      <Section title="机构">
        <ErrorNote message={list.error} />
        {!list.data ? (
          <Loading />
        ) : list.data.items.length === 0 ? (
          <Empty>还没有机构。</Empty>
        ) : (
          <>
            <Table
              head={["编号", "名称", "类型", "地区", "创建日期", ""]}
              rows={list.data.items.map((o) => [
                o.id,
                o.name,
                label("OrgKind", o.kind),
                o.region_code ?? "—",
                day(o.created_at),
                <button type="button" class="link" onClick={() => setOpen(o.id)}>
                  用户
                </button>,
              ])}
            />
            <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
          </>
        )}
      </Section>
    </>
  );
}

function Users({ orgId, onClose }: { orgId: number; onClose: () => void }) {
  const users = useLoad(
    () => call(api.GET("/api/v1/organizations/{id}/users", { params: { path: { id: orgId }, query: { limit: 100 } } })),
    [orgId],
  );
  const f = useForm({ username: "", password: "" });
  const [error, setError] = useState<string | null>(null);
  async function add(e: Event) {
    e.preventDefault();
    const ok = await f.run(() =>
      call(api.POST("/api/v1/organizations/{id}/users", { params: { path: { id: orgId } }, body: { ...f.values } })),
    );
    if (ok) {
      f.setValues({ username: "", password: "" });
      users.reload();
    }
  }
  async function flip(id: number, disabled: boolean) {
    setError(null);
    try {
      const path = { params: { path: { id } } };
      await call(disabled ? api.POST("/api/v1/users/{id}/enable", path) : api.POST("/api/v1/users/{id}/disable", path));
      users.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <Section title={`机构 ${orgId} 的用户`} actions={<button type="button" class="link" onClick={onClose}>关闭</button>}>
      <ErrorNote message={users.error ?? error} />
      {!users.data ? (
        <Loading />
      ) : (
        <Table
          head={["用户名", "角色", "状态", "创建日期", ""]}
          rows={users.data.items.map((u) => [
            u.username,
            label("Role", u.role),
            u.disabled ? "已停用" : "正常",
            day(u.created_at),
            <button type="button" class="link" onClick={() => flip(u.id, u.disabled)}>
              {u.disabled ? "启用" : "停用"}
            </button>,
          ])}
        />
      )}
      <form class="grid-form" onSubmit={add} aria-label="新增用户">
        <Field id="new-username" label="用户名" error={f.problem?.field("username")}>
          <input id="new-username" autocomplete="off" value={f.values.username} onInput={f.set("username")} />
        </Field>
        <Field id="new-password" label="初始密码" error={f.problem?.field("password")}>
          <input id="new-password" type="password" autocomplete="new-password" value={f.values.password} onInput={f.set("password")} />
        </Field>
        <FormEnd form={f} label="新增用户" />
      </form>
    </Section>
  );
}

/// A bank, guarantor or finance office (enterprises register themselves).
function NewOrganization({ onDone }: { onDone: () => void }) {
  const f = useForm({ kind: "bank", name: "", region_code: "" });
  async function submit(e: Event) {
    e.preventDefault();
    const ok = await f.run(() =>
      call(
        api.POST("/api/v1/organizations", {
          body: {
            kind: f.values.kind as never,
            name: f.values.name,
            region_code: f.values.region_code === "" ? null : f.values.region_code,
          },
        }),
      ),
    );
    if (ok) {
      f.setValues({ ...f.values, name: "", region_code: "" });
      onDone();
    }
  }
  return (
    <Section title="新增机构">
      <form class="grid-form" onSubmit={submit} aria-label="新增机构">
        <Field id="org-kind" label="类型" error={f.problem?.field("kind")}>
          <select id="org-kind" value={f.values.kind} onChange={f.set("kind")}>
            {options("CreatableKind").map(([v, t]) => (
              <option value={v}>{t}</option>
            ))}
          </select>
        </Field>
        <Field id="org-name" label="名称" error={f.problem?.field("name")}>
          <input id="org-name" value={f.values.name} onInput={f.set("name")} />
        </Field>
        <Field id="org-region" label="地区代码（金融办必填）" error={f.problem?.field("region_code")}>
          <input id="org-region" inputMode="numeric" value={f.values.region_code} onInput={f.set("region_code")} />
        </Field>
        <FormEnd form={f} label="新增" />
      </form>
    </Section>
  );
}
