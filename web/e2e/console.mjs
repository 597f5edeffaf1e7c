// The console in a real browser (Debian's chromium through playwright-core), against a
// finmatch serving a seeded world: each role's main flow, asserting what the page shows, a
// bad input per form shown next to its field, and a screenshot of each home.
//
//   node e2e/console.mjs BASE_URL ADMIN_PASSWORD SCREENSHOT_DIR
//
// The world comes from `finmatch seed-demo` (password demo-password). Exits non-zero on the
// first failed expectation, naming it.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const [base, adminPassword, shots] = process.argv.slice(2);
if (!base || !adminPassword || !shots) {
  console.error("usage: node e2e/console.mjs BASE_URL ADMIN_PASSWORD SCREENSHOT_DIR");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const PASSWORD = "demo-password";
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

let failures = 0;
function expect(ok, what) {
  if (!ok) {
    failures += 1;
    console.error(`FAIL ${what}`);
    throw new Error(what);
  }
  console.log(`ok   ${what}`);
}

/// The API, as a bank's system would call it: used only to find which bank got the match.
async function apiLogin(username, password) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  return r.ok ? (await r.json()).access_token : null;
}
async function apiGet(token, path) {
  const r = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
  return r.json();
}

/// "1,234.56 万元" → hundredths of a 万 as a BigInt (exact).
function wanHundredths(text) {
  const m = /([\d,]+)\.(\d{2}) 万元/.exec(text);
  if (!m) throw new Error(`not an amount in 万元: ${text}`);
  return BigInt(m[1].replaceAll(",", "")) * 100n + BigInt(m[2]);
}

/// An accessibility audit of what the page shows now (axe-core, WCAG 2 A and AA rules):
/// labelled controls, contrast, names of buttons and links, landmarks. Any serious or
/// critical violation fails, named with the elements it was found on.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
async function audit(page, what) {
  // Through the debugger, not a script tag: the console's CSP (script-src 'self') refuses inline scripts.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  expect(result.length === 0, `${what} passes the accessibility audit${result.length ? `: ${result.join("; ")}` : ""}`);
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });

async function session(username, password, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, locale: "zh-CN" });
  const page = await context.newPage();
  // E2E_LATENCY_MS slows every request, to shake out flows that race a reload.
  const latency = Number(process.env.E2E_LATENCY_MS ?? 0);
  if (latency > 0) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency, downloadThroughput: -1, uploadThroughput: -1 });
  }
  page.on("pageerror", (e) => {
    failures += 1;
    console.error(`FAIL page error: ${e.message}`);
  });
  await page.goto(`${base}/`);
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(password);
  await page.getByRole("button", { name: "登录" }).click();
  await page.getByRole("button", { name: "退出" }).waitFor();
  return { context, page };
}

try {
  // --- the office's dashboard before the new loan -------------------------------------------
  const office = await session("demo_office_1", PASSWORD);
  const total = office.page.locator('[data-stat="放款金额"]');
  await total.waitFor();
  const before = wanHundredths(await total.innerText());
  expect(before > 0n, `the office's dashboard shows the seeded disbursements (${await total.innerText()})`);
  await office.page.locator("canvas").first().waitFor();
  await office.page.screenshot({ path: `${shots}/office-dashboard.png`, fullPage: true });
  await audit(office.page, "the office's dashboard");

  // --- the enterprise posts a demand (a bad amount first) and applies -------------------------
  const ent = await session("demo_ent_1", PASSWORD);
  await ent.page.locator('[data-testid="size-class"]').waitFor();
  const size = await ent.page.locator('[data-testid="size-class"]').innerText();
  expect(/型/.test(size), `the enterprise's home shows its 划型 in Chinese (${size})`);
  await ent.page.screenshot({ path: `${shots}/enterprise-home.png`, fullPage: true });
  await audit(ent.page, "the enterprise's home");
  await ent.page.getByRole("link", { name: "融资需求" }).click();
  await ent.page.getByLabel("金额（元）").fill("abc");
  await ent.page.getByLabel("说明").fill("浏览器测试：采购设备");
  await ent.page.getByRole("button", { name: "发布" }).click();
  const amountError = ent.page.locator("#amount-error");
  await amountError.waitFor();
  expect((await amountError.innerText()).length > 0, `a bad amount shows the API's error next to the field: ${await amountError.innerText()}`);
  await ent.page.getByLabel("金额（元）").fill("5000000.00");
  await ent.page.getByRole("button", { name: "发布" }).click();
  const posted = ent.page.getByRole("status").filter({ hasText: "已发布" });
  await posted.waitFor();
  const demandId = Number(/需求 (\d+)/.exec(await posted.innerText())[1]);
  expect(demandId > 0, `the demand is posted (${demandId})`);
  // … edits it while it is open (a bad term first) …
  await ent.page
    .getByRole("row")
    .filter({ has: ent.page.getByRole("cell", { name: String(demandId), exact: true }) })
    .getByRole("button", { name: "修改" })
    .click();
  await ent.page.locator(`#d${demandId}-term_months`).fill("0");
  await ent.page.getByRole("button", { name: "保存修改" }).click();
  const termError = ent.page.locator(`#d${demandId}-term_months-error`);
  await termError.waitFor();
  expect(true, `editing a demand with a bad term shows the API's error next to the field: ${await termError.innerText()}`);
  await ent.page.locator(`#d${demandId}-term_months`).fill("12");
  await ent.page.locator(`#d${demandId}-description`).fill("浏览器测试：采购设备（已修改）");
  await ent.page.getByRole("button", { name: "保存修改" }).click();
  await ent.page.getByRole("status").filter({ hasText: "已修改" }).waitFor();
  const entToken = await apiLogin("demo_ent_1", PASSWORD);
  const edited = await apiGet(entToken, `/demands/${demandId}`);
  expect(edited.description === "浏览器测试：采购设备（已修改）", `the edit reached the API (${edited.description})`);
  await ent.page.goto(`${base}/#/demands/${demandId}`);
  const apply = ent.page.getByRole("button", { name: "申请" }).first();
  await apply.waitFor();
  const reasons = await ent.page.locator(".reasons li").count();
  expect(reasons > 0, `recommendations show their reasons (${reasons})`);
  const firstReason = await ent.page.locator(".reasons li").first().innerText();
  expect(/[\u4e00-\u9fff]/.test(firstReason), `reasons read in Chinese: ${firstReason}`);
  await apply.click();
  const applied = ent.page.getByRole("status").filter({ hasText: "已申请" });
  await applied.waitFor();
  const matchId = Number(/对接编号 (\d+)/.exec(await applied.innerText())[1]);
  expect(matchId > 0, `the enterprise applied (match ${matchId})`);

  // --- the bank that got it accepts, approves (a bad amount first) and disburses --------------
  let bankUser = null;
  for (let n = 1; n <= 20 && !bankUser; n++) {
    const t = await apiLogin(`demo_bank_${n}`, PASSWORD);
    if (!t) continue;
    const page = await apiGet(t, `/matches?demand_id=${demandId}`);
    if (page.items.some((m) => m.id === matchId)) bankUser = `demo_bank_${n}`;
  }
  expect(bankUser !== null, `the match is in a demo bank's inbox (${bankUser})`);
  const bank = await session(bankUser, PASSWORD);
  const item = bank.page.locator(`[data-match="${matchId}"]`);
  await item.waitFor();
  await bank.page.screenshot({ path: `${shots}/bank-inbox.png`, fullPage: true });
  await audit(bank.page, "the bank's inbox");
  await item.getByRole("button", { name: "处理" }).click();
  await item.getByRole("button", { name: "接单" }).click();
  await bank.page.locator(`[data-match="${matchId}"]`).filter({ hasText: "已接单" }).waitFor();
  await item.getByRole("button", { name: "处理" }).click();
  await item.getByLabel("授信金额（元）").fill("-1");
  await item.getByLabel("年利率（%）").fill("3.65");
  await item.getByRole("button", { name: "授信" }).click();
  const approveError = item.locator(`#amt-${matchId}-error`);
  await approveError.waitFor();
  expect(true, `a bad approved amount shows the API's error next to the field: ${await approveError.innerText()}`);
  await item.getByLabel("授信金额（元）").fill("5000000.00");
  await item.getByRole("button", { name: "授信" }).click();
  await bank.page.locator(`[data-match="${matchId}"]`).filter({ hasText: "已授信" }).waitFor();
  await item.getByRole("button", { name: "处理" }).click();
  await item.getByLabel("放款金额（元）").fill("5000000.00");
  await item.getByRole("button", { name: "放款" }).click();
  await bank.page.locator(`[data-match="${matchId}"]`).waitFor({ state: "detached" });
  expect(true, "the bank disbursed: the match left its inbox");

  // --- the office sees the new loan in its total and decides a claim --------------------------
  await office.page.reload();
  await total.waitFor();
  const after = wanHundredths(await total.innerText());
  expect(after - before === 50000n, `the dashboard total grew by 500.00 万元 (${before} → ${after} hundredths of 万)`);
  await office.page.getByRole("link", { name: "补贴审批" }).click();
  const claim = office.page.locator("[data-claim]").first();
  await claim.waitFor();
  const claimId = await claim.getAttribute("data-claim");
  await claim.getByRole("button", { name: "驳回" }).click();
  const reasonError = office.page.locator(`#reason-${claimId}-error`);
  await reasonError.waitFor();
  expect(true, `rejecting without a reason shows the API's error next to the field: ${await reasonError.innerText()}`);
  await claim.getByRole("button", { name: "批准" }).click();
  await office.page.locator(`[data-claim="${claimId}"]`).waitFor({ state: "detached" });
  expect(true, `the office approved claim ${claimId}`);
  const toPay = office.page.locator(`[data-pay="${claimId}"]`);
  await toPay.waitFor();
  await toPay.getByRole("button", { name: "拨付" }).click();
  const refError = office.page.locator(`#ref-${claimId}-error`);
  await refError.waitFor();
  expect(true, `paying without a reference shows the API's error next to the field: ${await refError.innerText()}`);
  await toPay.getByLabel("支付凭证号").fill("国库支付-E2E-0001");
  await toPay.getByRole("button", { name: "拨付" }).click();
  await toPay.waitFor({ state: "detached" });
  expect(true, `the office paid claim ${claimId}`);

  // --- the other pages of each role open and show their content --------------------------------
  for (const [who, link, text] of [
    [ent, "续贷", "续贷"],
    [ent, "政策与申报", "补贴申报"],
    [bank, "产品与潜在客户", "我的产品"],
    [office, "政策与利率", "贷款市场报价利率"],
    [office, "分组统计", "分组统计"],
  ]) {
    await who.page.getByRole("link", { name: link }).click();
    await who.page.getByRole("heading", { name: text }).first().waitFor();
    expect(true, `the ${link} page opens`);
    await audit(who.page, `the ${link} page`);
  }
  // 政策找企业: a claim filed from the computed amount answers with the claim (or its refusal).
  await ent.page.getByRole("link", { name: "政策与申报", exact: true }).click();
  await ent.page.getByRole("heading", { name: /可享政策/ }).waitFor();
  const fileClaim = ent.page.getByRole("button", { name: "申报", exact: true }).first();
  if (await fileClaim.count()) {
    await fileClaim.click();
    const filed = ent.page.locator('[role="status"].ok, [role="status"].error').first();
    await filed.waitFor();
    expect(true, `a claim filed from 政策找企业 answers: ${await filed.innerText()}`);
  } else {
    expect(true, "no policy amount to claim for this enterprise today");
  }

  // Each remaining form shows the API's field error next to the field.
  for (const [who, link, fill, submit, errorId] of [
    [bank, "产品与潜在客户", [["产品名称", "浏览器测试贷"], ["最低额度（元）", "x"]], "发布", "#np-min_amount-error"],
    [bank, "贷款", [["贷款编号", "1"], ["本金（元，还款/清收/核销时填写）", "-5"]], "报告", "#ev-principal-error"],
    [office, "目标", [["名称", ""]], "设定", "#t-name-error"],
    [office, "政策与利率", [["生效日", "2026-12-01"], ["1年期（%）", "abc"]], "录入", "#lpr-1y-error"],
  ]) {
    await who.page.getByRole("link", { name: link, exact: true }).click();
    for (const [fieldLabel, value] of fill) await who.page.getByLabel(fieldLabel, { exact: true }).fill(value);
    await who.page.getByRole("button", { name: submit, exact: true }).click();
    const err = who.page.locator(errorId);
    await err.waitFor();
    expect(true, `the ${submit} form on ${link} shows a field error: ${await err.innerText()}`);
  }
  // The office publishes a policy: a missing rule parameter first, shown next to its field.
  await office.page.getByRole("link", { name: "政策与利率", exact: true }).click();
  await office.page.getByLabel("政策名称", { exact: true }).fill("浏览器测试贴息");
  await office.page.getByLabel("预算（元）", { exact: true }).fill("1000000.00");
  await office.page.getByRole("button", { name: "发布政策", exact: true }).click();
  const pointsError = office.page.locator("#p-points-error");
  await pointsError.waitFor();
  expect(true, `a policy without its points shows the API's error next to the field: ${await pointsError.innerText()}`);
  await office.page.getByLabel("贴息点数（%）", { exact: true }).fill("1.5");
  await office.page.getByRole("button", { name: "发布政策", exact: true }).click();
  const published = office.page.getByRole("status").filter({ hasText: "已发布" });
  await published.waitFor();
  expect(true, `the office published a policy: ${await published.innerText()}`);

  // The bank edits a product's eligibility (a bad value first); the API has the new rule.
  await bank.page.getByRole("link", { name: "产品与潜在客户", exact: true }).click();
  await bank.page.getByRole("button", { name: "修改", exact: true }).first().click();
  const editForm = bank.page.locator('form[aria-label^="修改产品"]');
  const productId = Number(/^p(\d+)-/.exec(await editForm.locator("input").first().getAttribute("id"))[1]);
  await editForm.getByLabel("最短成立年限（年）").fill("-1");
  await editForm.getByRole("button", { name: "保存修改" }).click();
  const yearsError = bank.page.locator(`#p${productId}-min_years_established-error`);
  await yearsError.waitFor();
  expect(true, `a bad eligibility value shows the API's error next to the field: ${await yearsError.innerText()}`);
  await editForm.getByLabel("最短成立年限（年）").fill("1");
  await editForm.getByRole("button", { name: "保存修改" }).click();
  await bank.page.getByRole("status").filter({ hasText: "已保存" }).waitFor();
  const bankToken = await apiLogin(bankUser, PASSWORD);
  const product = await apiGet(bankToken, `/products/${productId}`);
  expect(product.eligibility.min_years_established === 1, `the product's eligibility changed through the API (product ${productId})`);

  // The office edits next year's working-day calendar (a date of another year first).
  await office.page.getByRole("link", { name: "工作日历", exact: true }).click();
  const calYear = new Date().getFullYear() + 1;
  await office.page.getByLabel("年份").selectOption(String(calYear));
  // The form of that year (not the one shown while it loads).
  await office.page.locator(`form[aria-label="${calYear} 年工作日历"]`).waitFor();
  const holidays = office.page.locator("#cal-holidays");
  await holidays.fill(`${calYear}-01-01\n${calYear - 1}-10-01`);
  await office.page.getByRole("button", { name: "保存日历" }).click();
  const calError = office.page.locator("#cal-holidays-error");
  await calError.waitFor();
  expect(/第 2 项/.test(await calError.innerText()), `a date of another year is named by its line: ${await calError.innerText()}`);
  await holidays.fill(`${calYear}-01-01\n${calYear}-10-01`);
  await office.page.getByRole("button", { name: "保存日历" }).click();
  await office.page.getByRole("status").filter({ hasText: "日历已保存" }).waitFor();
  const officeToken = await apiLogin("demo_office_1", PASSWORD);
  const cal = await apiGet(officeToken, `/calendar/${calYear}`);
  expect(cal.holidays.join() === `${calYear}-01-01,${calYear}-10-01`, `the calendar reached the API (${cal.holidays.join()})`);

  // The office publishes a risk-sharing scheme (a bad capital first); the bank sees it.
  await office.page.getByRole("link", { name: "风险补偿", exact: true }).click();
  await office.page.locator("#rs-name").fill("浏览器测试风险池");
  await office.page.locator("#rs-capital").fill("abc");
  await office.page.getByRole("button", { name: "发布方案", exact: true }).click();
  const capitalError = office.page.locator("#rs-capital-error");
  await capitalError.waitFor();
  expect(true, `a scheme with a bad capital shows the API's error next to the field: ${await capitalError.innerText()}`);
  await office.page.locator("#rs-capital").fill("10000000.00");
  await office.page.getByRole("button", { name: "发布方案", exact: true }).click();
  const scheme = office.page.getByRole("status").filter({ hasText: "浏览器测试风险池" });
  await scheme.waitFor();
  expect(/已发布/.test(await scheme.innerText()), `the office published a scheme: ${await scheme.innerText()}`);
  await audit(office.page, "the office's 风险补偿 page");
  // Its claims queue shows what waits for a decision; "全部" shows every claim in its region.
  const officeApi = await apiLogin("demo_office_1", PASSWORD);
  for (const [choice, query] of [["已申报", "?state=submitted"], ["全部", ""]]) {
    await office.page.getByLabel("按状态筛选代偿申报").selectOption({ label: choice });
    const want = (await apiGet(officeApi, `/compensation-claims${query}`)).items.map((c) => String(c.id));
    if (!want.length) await office.page.getByText("会出现在这里等待审批").waitFor();
    // The list reloads in place: wait (bounded) for it to settle on what the API lists.
    const shownIds = () => [...document.querySelectorAll("[data-comp-claim]")].map((e) => e.getAttribute("data-comp-claim")).join();
    let shown = "";
    for (let tries = 0; tries < 100 && (shown = await office.page.evaluate(shownIds)) !== want.join(); tries++) {
      await office.page.waitForTimeout(100);
    }
    const ids = shown.split(",").filter(Boolean);
    expect(ids.join() === want.join(), `the claims queue filtered by ${choice} shows what the API lists (${ids.length})`);
  }
  // The office approves a waiting claim (it leaves the queue, the notice says so), then books
  // its payment under 已批准 (without a reference first).
  const waiting = (await apiGet(officeApi, "/compensation-claims?state=submitted")).items;
  if (waiting.length) {
    const cid = waiting[0].id;
    const filter = office.page.getByLabel("按状态筛选代偿申报");
    await filter.selectOption({ label: "已申报" });
    await office.page.locator(`[data-comp-claim="${cid}"]`).getByRole("button", { name: "批准", exact: true }).click();
    const approvedNote = office.page.getByRole("status").filter({ hasText: `代偿申报 ${cid} 已批准` });
    await approvedNote.waitFor();
    expect((await apiGet(officeApi, `/compensation-claims/${cid}`)).state === "approved", `the office approved compensation claim ${cid}: ${await approvedNote.innerText()}`);
    await office.page.locator(`[data-comp-claim="${cid}"]`).waitFor({ state: "detached" });
    expect(true, "the approved claim left the 已申报 queue");
    await filter.selectOption({ label: "已批准" });
    const item = office.page.locator(`[data-comp-claim="${cid}"]`);
    await item.getByRole("button", { name: "拨付", exact: true }).click();
    const refError = office.page.locator(`#cc-${cid}-reference-error`);
    await refError.waitFor();
    expect(true, `paying a compensation claim without a reference shows the API's error next to the field: ${await refError.innerText()}`);
    await item.getByLabel("支付凭证号").fill("鲁财金〔2026〕8号");
    await item.getByRole("button", { name: "拨付", exact: true }).click();
    await office.page.getByRole("status").filter({ hasText: `代偿申报 ${cid} 已登记拨付` }).waitFor();
    const paid = await apiGet(officeApi, `/compensation-claims/${cid}`);
    expect(paid.state === "paid" && paid.reference === "鲁财金〔2026〕8号", `the payment reached the API (${paid.state}, ${paid.reference})`);
  } else {
    expect(false, "the seeded world has a compensation claim waiting for the office");
  }
  await bank.page.getByRole("link", { name: "风险补偿", exact: true }).click();
  await bank.page.getByRole("cell", { name: "浏览器测试风险池" }).first().waitFor();
  expect(true, "the bank's 风险补偿 page lists the new scheme");
  await audit(bank.page, "the bank's 风险补偿 page");

  // The office publishes a bridge fund (转贷资金; a bad capital first); the bank and the
  // enterprise open their bridge pages.
  await office.page.getByRole("link", { name: "转贷资金", exact: true }).click();
  await office.page.locator("#bf-name").fill("浏览器测试转贷资金");
  await office.page.locator("#bf-capital").fill("-1");
  await office.page.getByRole("button", { name: "发布转贷资金", exact: true }).click();
  const fundError = office.page.locator("#bf-capital-error");
  await fundError.waitFor();
  expect(true, `a fund with a bad capital shows the API's error next to the field: ${await fundError.innerText()}`);
  await office.page.locator("#bf-capital").fill("20000000.00");
  await office.page.locator("#bf-max").fill("5000000.00");
  await office.page.getByRole("button", { name: "发布转贷资金", exact: true }).click();
  const fund = office.page.getByRole("status").filter({ hasText: "浏览器测试转贷资金" });
  await fund.waitFor();
  expect(/已发布/.test(await fund.innerText()), `the office published a bridge fund: ${await fund.innerText()}`);
  await audit(office.page, "the office's 转贷资金 page");
  for (const [who, name] of [
    [bank, "the bank"],
    [ent, "the enterprise"],
  ]) {
    await who.page.getByRole("link", { name: "过桥转贷", exact: true }).click();
    await who.page.getByRole("heading", { name: /过桥/ }).first().waitFor();
    await audit(who.page, `${name}'s 过桥转贷 page`);
  }
  // The enterprise chooses among the funds serving its region, the new one among them.
  const entMe = await apiGet(entToken, "/me");
  const serving = (await apiGet(entToken, `/bridge-funds?region_prefix=${entMe.organization.region_code}`)).items;
  await ent.page.locator("#bl-fund option").first().waitFor({ state: "attached" });
  const offered = await ent.page.locator("#bl-fund option").evaluateAll((os) => os.map((o) => o.value));
  expect(
    offered.join() === serving.map((f) => String(f.id)).join() && serving.some((f) => f.name === "浏览器测试转贷资金"),
    `the enterprise is offered the ${offered.length} funds serving region ${entMe.organization.region_code}`,
  );

  // The bank subscribes its system to events (a bad URL first); the secret is shown once.
  await bank.page.getByRole("link", { name: "消息推送", exact: true }).click();
  await bank.page.locator("#wh-url").fill("not a url");
  await bank.page.locator('input[name="wh-events"][value="match.created"]').check();
  await bank.page.getByRole("button", { name: "新增订阅", exact: true }).click();
  const urlError = bank.page.locator("#wh-url-error");
  await urlError.waitFor();
  expect(/地址/.test(await urlError.innerText()), `a bad webhook URL shows the API's error in Chinese next to the field: ${await urlError.innerText()}`);
  await bank.page.locator("#wh-url").fill("https://bank.example/finmatch/events");
  await bank.page.getByRole("button", { name: "新增订阅", exact: true }).click();
  const secret = bank.page.locator("#wh-secret");
  await secret.waitFor();
  expect(/^whsec_[0-9a-f]{64}$/.test(await secret.innerText()), "the new subscription's secret is shown once");
  await audit(bank.page, "the bank's 消息推送 page");

  await bank.page.getByRole("link", { name: "产品与潜在客户", exact: true }).click();
  await bank.page.getByRole("link", { name: "潜在客户", exact: true }).first().click();
  await bank.page.getByRole("heading", { name: /潜在客户/ }).waitFor();
  expect(true, "a product's candidates open");

  // --- the admin's home, and a phone-width dashboard -------------------------------------------
  const admin = await session("admin", adminPassword);
  await admin.page.locator("table").first().waitFor();
  await admin.page.getByRole("button", { name: "用户" }).first().click();
  await admin.page.getByRole("button", { name: "新增用户" }).click();
  const userError = admin.page.locator("#new-username-error");
  await userError.waitFor();
  expect(true, `adding a user without a name shows the API's error next to the field: ${await userError.innerText()}`);
  await admin.page.screenshot({ path: `${shots}/admin-home.png`, fullPage: true });
  await audit(admin.page, "the admin's home");
  const guarantor = await session("demo_guarantor_1", PASSWORD);
  await guarantor.page.getByRole("heading", { name: "补贴申报" }).waitFor();
  await guarantor.page.screenshot({ path: `${shots}/guarantor-home.png`, fullPage: true });
  await audit(guarantor.page, "the guarantor's home");
  const phone = await session("demo_office_1", PASSWORD, { width: 390, height: 844 });
  await phone.page.locator('[data-stat="放款金额"]').waitFor();
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  expect(!overflow, "the dashboard fits a phone's width");
  await phone.page.screenshot({ path: `${shots}/office-phone.png`, fullPage: true });
  await audit(phone.page, "the phone-width dashboard");
} catch (e) {
  if (failures === 0) failures = 1;
  console.error(String(e?.stack ?? e));
} finally {
  await browser.close();
}
if (failures > 0) {
  console.error(`console: ${failures} failure(s)`);
  process.exit(1);
}
console.log("console: every flow passed");
