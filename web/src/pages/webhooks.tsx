// Webhook subscriptions (消息推送) of the caller's organization (bank, enterprise, guarantor;
// the admin sees every organization's): subscribe to events (the signing secret is shown
// once), delete one (confirmed in the page), and read each one's delivery log.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, call, type Schemas } from "../api";
import { day, label, options } from "../format";
import { Checks, Empty, ErrorNote, Field, FormEnd, listOf, Loading, Pager, Section, Table, useForm, useLoad } from "../ui";

type WebhookEvent = Schemas["WebhookEvent"];
type Hook = Schemas["WebhookView"];

const eventLabel = (e: string) => label("WebhookEvent", e);
const statusLabel = (s: string) => label("DeliveryStatus", s);
const eventChoices = () => options("WebhookEvent");

/// An RFC 3339 time (UTC) in the reader's local time, to the second.
function time(t: string | null | undefined): string {
  if (!t) return "—";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString("zh-CN", { hour12: false });
}

export function Webhooks() {
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(() => call(api.GET("/api/v1/webhooks", { params: { query: { cursor, limit: 20 } } })), [cursor]);
  const [open, setOpen] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [ok, setOk] = useState<string | null>(null);
  async function remove(id: number) {
    setDeleting(true);
    setError(null);
    setOk(null);
    try {
      await call(api.DELETE("/api/v1/webhooks/{id}", { params: { path: { id } } }));
      setConfirming(null);
      if (open === id) setOpen(null);
      setOk(`订阅 ${id} 已删除，不再向其推送；尚未投递的消息已取消。`);
      list.reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setDeleting(false);
    }
  }
  return (
    <>
      <NewWebhook onDone={list.reload} />
      <Section title="消息推送订阅">
        <ErrorNote message={list.error ?? error} />
        {ok && (
          <p class="ok" role="status">
            {ok}
          </p>
        )}
        {!list.data ? (
          <Loading />
        ) : list.data.items.length === 0 ? (
          cursor ? (
            <>
              <Empty>本页没有订阅。</Empty>
              <Pager next={null} onNext={setCursor} onFirst={() => setCursor(undefined)} />
            </>
          ) : (
            <Empty>
              还没有消息推送订阅。在上方填写贵机构系统的接收地址、选择要接收的事件并点击“新增订阅”，事件发生时平台会向该地址推送通知。
            </Empty>
          )
        ) : (
          <>
            <ul class="recs">
              {list.data.items.map((h) => (
                <li class="rec" data-webhook={h.id}>
                  <div class="rec-head">
                    <strong>订阅 {h.id}</strong>
                    <code>{h.url}</code>
                    <span class="muted">创建于 {day(h.created_at)}</span>
                  </div>
                  <div aria-label="推送事件">
                    {h.events.map((e) => (
                      <>
                        <span class="badge" title={e}>
                          {eventLabel(e)}
                        </span>{" "}
                      </>
                    ))}
                  </div>
                  <HookActions
                    hook={h}
                    open={open === h.id}
                    onToggle={() => setOpen(open === h.id ? null : h.id)}
                    confirming={confirming === h.id}
                    onConfirm={(yes) => (setOk(null), setError(null), setConfirming(yes ? h.id : null))}
                    onDelete={() => remove(h.id)}
                    deleting={deleting}
                  />
                </li>
              ))}
            </ul>
            <Pager next={list.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
          </>
        )}
      </Section>
      {open != null && <Deliveries key={open} hookId={open} onClose={() => setOpen(null)} />}
    </>
  );
}

/// A subscription's buttons: its delivery log, and delete with a second button to confirm.
function HookActions(props: {
  hook: Hook;
  open: boolean;
  onToggle: () => void;
  confirming: boolean;
  onConfirm: (yes: boolean) => void;
  onDelete: () => void;
  deleting: boolean;
}) {
  const id = props.hook.id;
  return (
    <div class="row-actions">
      <button type="button" id={`wh-log-${id}`} aria-expanded={props.open} onClick={props.onToggle}>
        {props.open ? "收起投递记录" : "投递记录"}
      </button>
      {props.confirming ? (
        <>
          <span class="notice" role="alert">
            删除后不再向 {props.hook.url} 推送，尚未投递的消息将被取消。确定删除？
          </span>
          <button type="button" class="danger" id={`wh-confirm-${id}`} disabled={props.deleting} onClick={props.onDelete}>
            确认删除
          </button>
          <button type="button" class="link" id={`wh-cancel-${id}`} disabled={props.deleting} onClick={() => props.onConfirm(false)}>
            取消
          </button>
        </>
      ) : (
        <button type="button" class="danger" id={`wh-delete-${id}`} onClick={() => props.onConfirm(true)}>
          删除
        </button>
      )}
    </div>
  );
}

/// A subscription's delivery log, a page at a time (the API lists it oldest first).
function Deliveries({ hookId, onClose }: { hookId: number; onClose: () => void }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const log = useLoad(
    () =>
      call(
        api.GET("/api/v1/webhooks/{id}/deliveries", {
          params: { path: { id: hookId }, query: { cursor, limit: 20 } },
        }),
      ),
    [hookId, cursor],
  );
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.scrollIntoView?.({ block: "nearest" }), []);
  return (
    <div id="wh-deliveries" data-deliveries={hookId} ref={box}>
      <Section
        title={`订阅 ${hookId} 的投递记录`}
        actions={
          <span class="row-actions">
            <button type="button" class="link" onClick={log.reload}>
              刷新
            </button>
            <button type="button" class="link" onClick={onClose}>
              关闭
            </button>
          </span>
        }
      >
        <ErrorNote message={log.error} />
        {!log.data ? (
          <Loading />
        ) : log.data.items.length === 0 ? (
          <Empty>暂无投递记录。订阅的事件发生后，每次推送（含失败重试）都会记录在这里。</Empty>
        ) : (
          <>
            <Table
              caption="按产生时间先后排列；失败的投递会按退避间隔自动重试，用尽次数后标记为已失败。"
              head={["事件", "状态", "尝试次数", "响应码", "产生时间", "送达时间 / 下次尝试", "错误", "投递编号"]}
              rows={log.data.items.map((d) => [
                <span title={d.event}>{eventLabel(d.event)}</span>,
                <span class={d.status === "delivered" ? "badge ok" : d.status === "failed" ? "badge warn" : "badge"}>
                  {d.status === "pending" && d.attempts > 0 ? "待重试" : statusLabel(d.status)}
                </span>,
                String(d.attempts),
                d.last_status_code == null ? "—" : String(d.last_status_code),
                time(d.created_at),
                d.status === "delivered"
                  ? time(d.delivered_at)
                  : d.status === "pending"
                    ? `下次尝试 ${time(d.next_attempt_at)}`
                    : "—",
                d.last_error ?? "—",
                <code>{d.delivery_id}</code>,
              ])}
            />
            <Pager next={log.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(undefined) : undefined} />
          </>
        )}
      </Section>
    </div>
  );
}

/// Subscribes the caller's organization; the answer's signing secret is shown here once.
function NewWebhook({ onDone }: { onDone: () => void }) {
  const f = useForm({ url: "", events: "" });
  const [created, setCreated] = useState<Hook | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setCreated(null);
    setCopied(null);
    const done = await f.run(async () => {
      const h = await call(
        api.POST("/api/v1/webhooks", {
          body: { url: f.values.url.trim(), events: listOf<WebhookEvent>(f.values.events) },
        }),
      );
      setCreated(h);
    });
    if (done) {
      f.setValues({ url: "", events: "" });
      onDone();
    }
  }
  async function copy(secret: string) {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("已复制到剪贴板。");
    } catch {
      setCopied("无法自动复制，请手动选中密钥复制。");
    }
  }
  return (
    <Section title="新增消息推送">
      <p class="muted">
        平台在所选事件发生时向接收地址 POST 一条 JSON 消息，请求头带 X-Finmatch-Event（事件）、X-Finmatch-Delivery（投递编号，可用于去重）和
        X-Finmatch-Signature（签名）。接收地址须为公网可访问的 http(s) 地址，未返回 2xx 的投递会自动重试。
      </p>
      <form class="grid-form" onSubmit={submit} aria-label="新增消息推送">
        <Field id="wh-url" label="接收地址（URL）" error={f.problem?.field("url")}>
          <input
            id="wh-url"
            inputMode="url"
            autocomplete="off"
            spellcheck={false}
            placeholder="https://bank.example/finmatch/events"
            aria-describedby={f.problem?.field("url") ? "wh-url-error" : undefined}
            value={f.values.url}
            onInput={f.set("url")}
          />
        </Field>
        <Checks
          id="wh-events"
          legend="推送事件（至少选择一项）"
          choices={eventChoices()}
          value={f.values.events}
          onChange={(x) => f.setValues({ ...f.values, events: x })}
          error={f.problem?.field("events")}
        />
        <FormEnd form={f} label="新增订阅" />
      </form>
      {created && (
        <div class="notice" id="wh-created" role="status">
          <p>
            订阅 {created.id} 已创建，推送到 <code>{created.url}</code>。
          </p>
          {created.secret ? (
            <>
              <p>
                <strong>签名密钥只显示这一次，请立即复制并妥善保存</strong>
                （例如存入贵机构系统的密钥管理）。离开或刷新本页后将无法再次查看；如遗失，请删除该订阅后重新添加。
              </p>
              <p>
                <code id="wh-secret">{created.secret}</code>
              </p>
              <p class="muted">
                校验方法：X-Finmatch-Signature 为 t=时间戳,v1=签名，签名 = HMAC-SHA256(密钥, "时间戳.请求体") 的十六进制。
              </p>
              <div class="row-actions">
                <button type="button" id="wh-copy" onClick={() => copy(created.secret!)}>
                  复制密钥
                </button>
                <button type="button" class="link" id="wh-secret-done" onClick={() => (setCreated(null), setCopied(null))}>
                  我已保存，关闭
                </button>
                {copied && <span role="status">{copied}</span>}
              </div>
            </>
          ) : (
            <button type="button" class="link" id="wh-secret-done" onClick={() => setCreated(null)}>
              关闭
            </button>
          )}
        </div>
      )}
    </Section>
  );
}
