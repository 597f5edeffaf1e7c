// The console (SPEC §4): log in with /api/v1/auth/login, read /me, and show the role's home.
// Hash routes (#/…), so the server serves one page at / and nothing else.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, call, setToken, token, whenExpired, type Schemas } from "./api";
import { label } from "./format";
import { ErrorNote, Field, Loading, ProblemNote, useForm } from "./ui";
import { EnterpriseHome } from "./pages/enterprise";
import { BankHome } from "./pages/bank";
import { OfficeHome } from "./pages/office";
import { AdminHome } from "./pages/admin";
import { SubsidyClaims } from "./pages/shared";
import { Webhooks } from "./pages/webhooks";
import "./style.css";

type Me = Schemas["MeResponse"];

function useHash() {
  const [hash, setHash] = useState(location.hash.slice(1) || "/");
  useEffect(() => {
    const f = () => setHash(location.hash.slice(1) || "/");
    addEventListener("hashchange", f);
    return () => removeEventListener("hashchange", f);
  }, []);
  return hash;
}

function Login({ onIn, expired }: { onIn: () => void; expired: boolean }) {
  const f = useForm({ username: "", password: "" });
  async function submit(e: Event) {
    e.preventDefault();
    await f.run(async () => {
      const t = await call(
        api.POST("/api/v1/auth/login", { body: { username: f.values.username, password: f.values.password } }),
      );
      setToken(t.access_token);
      onIn();
    });
  }
  return (
    <main class="login">
      <h1>finmatch 融资对接平台</h1>
      {expired && <p class="notice">登录已过期，请重新登录。</p>}
      <form onSubmit={submit} aria-label="登录">
        <Field id="username" label="用户名" error={f.problem?.field("username")}>
          <input id="username" autocomplete="username" value={f.values.username} onInput={f.set("username")} required />
        </Field>
        <Field id="password" label="密码" error={f.problem?.field("password")}>
          <input
            id="password"
            type="password"
            autocomplete="current-password"
            value={f.values.password}
            onInput={f.set("password")}
            required
          />
        </Field>
        <ProblemNote problem={f.problem} />
        <button type="submit" disabled={f.busy}>
          {f.busy ? "登录中…" : "登录"}
        </button>
      </form>
    </main>
  );
}

const NAV: Record<string, [string, string][]> = {
  enterprise: [
    ["/", "首页"],
    ["/demands", "融资需求"],
    ["/matches", "对接进度"],
    ["/loans", "贷款"],
    ["/renewals", "续贷"],
    ["/bridges", "过桥转贷"],
    ["/policies", "政策与申报"],
    ["/webhooks", "消息推送"],
  ],
  bank: [
    ["/", "待办"],
    ["/products", "产品与潜在客户"],
    ["/loans", "贷款"],
    ["/renewals", "续贷"],
    ["/bridges", "过桥转贷"],
    ["/risk", "风险补偿"],
    ["/webhooks", "消息推送"],
  ],
  finance_office: [
    ["/", "看板"],
    ["/breakdown", "分组统计"],
    ["/claims", "补贴审批"],
    ["/risk", "风险补偿"],
    ["/bridges", "转贷资金"],
    ["/policies", "政策与利率"],
    ["/targets", "目标"],
    ["/calendar", "工作日历"],
    ["/exports", "导出"],
  ],
  admin: [
    ["/", "机构与用户"],
  ],
  guarantor: [
    ["/", "补贴申报"],
    ["/webhooks", "消息推送"],
  ],
};

function Shell({ me, route, onOut }: { me: Me; route: string; onOut: () => void }) {
  const nav = NAV[me.role] ?? [["/", "首页"]];
  let page;
  // Webhooks serve every organization whose systems listen (banks, enterprises, guarantors).
  const listens = me.role === "bank" || me.role === "enterprise" || me.role === "guarantor";
  switch (listens && route === "/webhooks" ? "webhooks" : me.role) {
    case "webhooks":
      page = <Webhooks />;
      break;
    case "guarantor":
      page = <SubsidyClaims />;
      break;
    case "enterprise":
      page = <EnterpriseHome me={me} route={route} />;
      break;
    case "bank":
      page = <BankHome me={me} route={route} />;
      break;
    case "finance_office":
      page = <OfficeHome me={me} route={route} />;
      break;
    case "admin":
      page = <AdminHome route={route} />;
      break;
    default:
      page = <p>该角色的页面尚未开放，请使用 API。</p>;
  }
  return (
    <div class="shell">
      <header class="top">
        <strong class="brand">finmatch</strong>
        <nav aria-label="主导航">
          {nav.map(([href, text]) => (
            <a href={`#${href}`} aria-current={route === href ? "page" : undefined}>
              {text}
            </a>
          ))}
        </nav>
        <span class="who">
          {me.organization.name}（{label("Role", me.role)}）
        </span>
        <button type="button" class="link" onClick={onOut}>
          退出
        </button>
      </header>
      <main>{page}</main>
    </div>
  );
}

function App() {
  const route = useHash();
  const [me, setMe] = useState<Me | null>(null);
  const [state, setState] = useState<"loading" | "out" | "in">(token() ? "loading" : "out");
  const [expired, setExpired] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    whenExpired(() => {
      setMe(null);
      setExpired(true);
      setState("out");
    });
  }, []);
  useEffect(() => {
    if (state !== "loading") return;
    call(api.GET("/api/v1/me"))
      .then((m) => {
        setMe(m);
        setState("in");
      })
      .catch((e: Error) => {
        setError(e.message);
        setState("out");
      });
  }, [state]);
  async function logout() {
    await api.POST("/api/v1/auth/logout").catch(() => undefined);
    setToken(null);
    setMe(null);
    setExpired(false);
    setState("out");
    location.hash = "#/";
  }
  if (state === "loading") return <Loading />;
  if (state === "out" || !me)
    return (
      <>
        <ErrorNote message={error} />
        <Login
          expired={expired}
          onIn={() => {
            setExpired(false);
            setError(null);
            setState("loading");
          }}
        />
      </>
    );
  return <Shell me={me} route={route} onOut={logout} />;
}

render(<App />, document.getElementById("app")!);
