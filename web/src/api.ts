// The console's only way to the server: the public /api/v1 through a client typed from
// openapi/openapi.json (schema.d.ts, generated), with the bearer token and Accept-Language.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./api/schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

const TOKEN_KEY = "finmatch.token";

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string | null) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/// Called when the server says the session is over (401): the app returns to the login page.
let onExpired: () => void = () => {};
export function whenExpired(f: () => void) {
  onExpired = f;
}

const auth: Middleware = {
  onRequest({ request }) {
    const t = token();
    if (t) request.headers.set("Authorization", `Bearer ${t}`);
    request.headers.set("Accept-Language", "zh-CN");
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && token()) {
      setToken(null);
      onExpired();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);

/// A failed call: the problem+json the API answered (or a network failure as one).
export class ApiError extends Error {
  constructor(public problem: Problem) {
    super(problem.detail ?? problem.title);
  }
  /// The messages for a field (`errors[].field`), if the API named it or one of its parts
  /// (`eligibility.region_prefixes[1]` belongs to `eligibility.region_prefixes`), joined: a
  /// loan that is not eligible comes back with every failing reason on `loan_id`. An item of
  /// a list is named by its position: "第 2 项：…".
  field(name: string): string | undefined {
    const found = (this.problem.errors ?? []).filter(
      (e) => e.field === name || e.field.startsWith(`${name}[`) || e.field.startsWith(`${name}.`),
    );
    if (found.length === 0) return undefined;
    return found
      .map((e) => {
        const item = /^\[(\d+)\]/.exec(e.field.slice(name.length));
        return item ? `第 ${Number(item[1]) + 1} 项：${e.message}` : e.message;
      })
      .join("；");
  }

  /// The messages for exactly this field, not its parts.
  fieldOnly(name: string): string | undefined {
    const m = (this.problem.errors ?? []).filter((e) => e.field === name).map((e) => e.message);
    return m.length ? m.join("；") : undefined;
  }

}

/// Unwraps an openapi-fetch result: the data, or an ApiError carrying the problem.
export async function call<T>(
  p: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let r;
  try {
    r = await p;
  } catch {
    throw new ApiError({
      type: "about:blank",
      title: "网络错误",
      status: 0,
      code: "network_error" as Problem["code"],
      detail: "无法连接服务器，请稍后重试",
    } as Problem);
  }
  if (r.error !== undefined || !r.response.ok) {
    const e = (r.error ?? {}) as Partial<Problem>;
    throw new ApiError({
      type: e.type ?? "about:blank",
      title: e.title ?? r.response.statusText,
      status: r.response.status,
      code: e.code ?? "error",
      detail: e.detail ?? `请求失败（${r.response.status}）`,
      errors: e.errors ?? [],
    } as Problem);
  }
  return r.data as T;
}

/// Downloads an export (a bearer-authenticated GET) as a file.
export async function download(path: string, filename: string) {
  const res = await fetch(path, {
    headers: { Authorization: `Bearer ${token()}`, "Accept-Language": "zh-CN" },
  });
  if (!res.ok) throw new Error(`导出失败（${res.status}）`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}
