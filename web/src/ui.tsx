// Shared pieces: loading and empty states, tables, forms whose fields show the API's
// `errors[].field` messages next to them, and a hook that loads a page of data.
import type { ComponentChildren, JSX } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError } from "./api";

/// Data loaded for `deps`. A reload keeps showing the current data until the new answer
/// comes; data loaded for other `deps` (another year, filter or page) is never offered as
/// this one's, so no form or action acts on it while the right one loads.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const key = JSON.stringify(deps);
  const [loaded, setLoaded] = useState<{ key: string; data: T } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    load()
      .then((d) => live && setLoaded({ key, data: d }))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: loaded?.key === key ? loaded.data : null, error, reload };
}

export function Loading() {
  return (
    <p class="muted" role="status">
      加载中…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function ErrorNote({ message }: { message: string | null }) {
  return message ? (
    <p class="error" role="alert">
      {message}
    </p>
  ) : null;
}

export function Section(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card" aria-label={props.title}>
      <header class="card-head">
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

/// A table in a wrapper that scrolls sideways on a narrow screen; the wrapper takes keyboard
/// focus so the hidden columns can be reached without a mouse.
export function Table(props: { head: string[]; rows: ComponentChildren[][]; caption?: string }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={props.caption ?? `表格：${props.head.filter(Boolean).join("、")}`}>
      <table>
        {props.caption && <caption>{props.caption}</caption>}
        <thead>
          <tr>
            {props.head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr>
              {r.map((c) => (
                <td>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Stat(props: { label: string; value: string; hint?: string }) {
  return (
    <div class="stat">
      <div class="stat-label">{props.label}</div>
      <div class="stat-value" data-stat={props.label}>
        {props.value}
      </div>
      {props.hint && <div class="muted">{props.hint}</div>}
    </div>
  );
}

/// A form that submits through `submit`, and shows the API's problem: the detail on top,
/// each `errors[].field` next to its field.
export function useForm<T extends Record<string, string>>(initial: T) {
  const [values, setValues] = useState<T>(initial);
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof T) => (e: JSX.TargetedEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) =>
    setValues({ ...values, [k]: e.currentTarget.value });
  async function run(f: () => Promise<unknown>) {
    setBusy(true);
    setProblem(null);
    try {
      await f();
      return true;
    } catch (e) {
      setProblem(
        e instanceof ApiError
          ? e
          : new ApiError({ type: "about:blank", title: "错误", status: 0, code: "error", detail: String(e) } as never),
      );
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { values, setValues, set, problem, busy, run };
}

export function Field(props: {
  id: string;
  label: string;
  error?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={props.error ? "field invalid" : "field"}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.error && (
        <span class="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </span>
      )}
    </div>
  );
}

/// A choice of several enum values as labelled checkboxes; the value is the chosen keys joined
/// by commas (so it fits a `useForm` string field).
export function Checks(props: {
  id: string;
  legend: string;
  choices: [string, string][];
  value: string;
  onChange: (v: string) => void;
  error?: string;
}) {
  const chosen = new Set(props.value ? props.value.split(",") : []);
  function flip(key: string) {
    if (chosen.has(key)) chosen.delete(key);
    else chosen.add(key);
    props.onChange(props.choices.map(([k]) => k).filter((k) => chosen.has(k)).join(","));
  }
  return (
    <fieldset
      class={props.error ? "field checks invalid" : "field checks"}
      id={props.id}
      aria-describedby={props.error ? `${props.id}-error` : undefined}
    >
      <legend>{props.legend}</legend>
      {props.choices.map(([k, t]) => (
        <label class="check">
          <input type="checkbox" name={props.id} value={k} checked={chosen.has(k)} onChange={() => flip(k)} />
          {t}
        </label>
      ))}
      {props.error && (
        <span class="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </span>
      )}
    </fieldset>
  );
}

/// The comma-joined keys of a `Checks` value as a typed list.
export function listOf<T extends string>(v: string): T[] {
  return (v ? v.split(",") : []) as T[];
}

export function ProblemNote({ problem }: { problem: ApiError | null }) {
  if (!problem) return null;
  return (
    <p class="error" role="alert">
      {problem.problem.detail ?? problem.problem.title}
    </p>
  );
}

/// Cursor pagination as the API pages: `next_cursor` until it is null.
export function Pager(props: { next: string | null | undefined; onNext: (c: string) => void; onFirst?: () => void }) {
  return (
    <div class="pager">
      {props.onFirst && (
        <button type="button" class="link" onClick={props.onFirst}>
          第一页
        </button>
      )}
      {props.next ? (
        <button type="button" onClick={() => props.onNext(props.next!)}>
          下一页
        </button>
      ) : (
        <span class="muted">已是最后一页</span>
      )}
    </div>
  );
}

/// The end of a form: the API's problem (if any), what succeeded (if anything), the button.
export function FormEnd(props: {
  form: { problem: ApiError | null; busy: boolean };
  ok?: string | null;
  label: string;
}) {
  return (
    <>
      <ProblemNote problem={props.form.problem} />
      {props.ok && (
        <p class="ok" role="status">
          {props.ok}
        </p>
      )}
      <button type="submit" disabled={props.form.busy}>
        {props.label}
      </button>
    </>
  );
}
