// Money and rates arrive as decimal strings ("12345678.90") and are formatted as strings:
// never parsed into JS numbers (a float near money is a bug). Integer arithmetic is BigInt.
import { LABELS } from "./api/labels.gen";

/// The fen in a money string, exactly.
export function fen(money: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(money.trim());
  if (!m) return 0n;
  const v = BigInt(m[2]) * 100n + BigInt((m[3] ?? "").padEnd(2, "0") || "0");
  return m[1] ? -v : v;
}

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/// A fen amount as a money string ("1234.50"), exactly.
export function fromFen(f: bigint): string {
  const neg = f < 0n;
  const a = neg ? -f : f;
  return `${neg ? "-" : ""}${(a / 100n).toString()}.${(a % 100n).toString().padStart(2, "0")}`;
}

/// "12,345,678.90 元"
export function yuan(money: string | null | undefined): string {
  if (money == null) return "—";
  const f = fen(money);
  const neg = f < 0n;
  const a = neg ? -f : f;
  const s = `${group((a / 100n).toString())}.${(a % 100n).toString().padStart(2, "0")}`;
  return `${neg ? "-" : ""}${s} 元`;
}

/// "1,234.57 万元" (half up to the hundredth of a 万).
export function wan(money: string | null | undefined): string {
  if (money == null) return "—";
  const f = fen(money);
  const neg = f < 0n;
  const a = neg ? -f : f;
  // 1 万元 = 1,000,000 fen; two decimals of 万 = 10,000 fen, half up.
  const hundredths = (a + 5000n) / 10000n;
  const s = `${group((hundredths / 100n).toString())}.${(hundredths % 100n).toString().padStart(2, "0")}`;
  return `${neg ? "-" : ""}${s} 万元`;
}

/// Whole 万元 as a chart value: an exact integer (the label shows the decimal string).
export function wanInteger(money: string): number {
  return Number(fen(money) / 1000000n);
}

/// "3.65%"
export function percent(rate: string | null | undefined): string {
  return rate == null ? "—" : `${rate}%`;
}

/// A 4-place ratio string ("0.6000") as a percentage with two decimals ("60.00%"), by
/// moving the decimal point.
export function ratio(r: string | null | undefined): string {
  if (r == null) return "—";
  const m = /^(\d+)\.(\d{4})$/.exec(r);
  if (!m) return r;
  const whole = BigInt(m[1]) * 100n + BigInt(m[2].slice(0, 2));
  return `${whole.toString()}.${m[2].slice(2)}%`;
}

/// Today as YYYY-MM-DD in the reader's own time zone (not UTC: before 08:00 in China the
/// UTC date is still yesterday).
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/// YYYY-MM-DD of a date or an RFC 3339 time (the date part, as the API wrote it).
export function day(d: string | null | undefined): string {
  return d ? d.slice(0, 10) : "—";
}

/// The Chinese label of an enum value (the same as the exports'), or the value itself.
export function label(enumName: string, value: string | null | undefined): string {
  if (value == null) return "—";
  return LABELS[enumName]?.[value] ?? value;
}

export function options(enumName: string): [string, string][] {
  return Object.entries(LABELS[enumName] ?? {});
}

/// The steps of a computation's breakdown, as the API names them (in English, the same in
/// every language: they are stored with the claim), in Chinese.
const STEPS: Record<string, string> = {
  principal: "贷款本金",
  "loan annual rate": "贷款年利率",
  "disbursed on": "放款日",
  base: "贴息基准",
  "LPR used": "采用的 LPR",
  "fixed_points": "固定贴息点数",
  "subsidy rate": "贴息率",
  "subsidy percent": "补贴比例",
  "loan rate cap": "不超过贷款利率",
  "max_points cap": "贴息点数上限",
  floor: "下限",
  "requested period": "申报期间",
  "subsidisable until": "贴息截止日",
  "subsidised period": "贴息期间",
  "whole-month period": "整月期间",
  "whole months": "整月数",
  "days (first day counted, last not)": "天数（算头不算尾）",
  "year fraction (act_365)": "年化系数（实际天数/365）",
  "year fraction (act_360)": "年化系数（实际天数/360）",
  "year fraction (months_30_360)": "年化系数（整月/12）",
  "subsidised principal": "贴息本金",
  "principal cap": "本金上限",
  "balance segment": "余额分段",
  "raw amount": "计算金额",
  "rounded (half up to 0.01)": "四舍五入到分",
  "annual cap": "年度上限",
  "lifetime cap": "累计上限",
  "per-guarantor cap": "单家担保机构上限",
  "guarantee fee rate": "担保费率",
  "counter-guarantee": "反担保方式",
  "fee charged for the period": "期间担保费",
  period: "期间",
  "award per enterprise": "每家企业奖励",
  "qualification certified on or after": "资质认定日不早于",
  "guaranteed volume in the period": "期间担保总额",
  "of which 小微": "其中小微企业",
  "小微 share": "小微占比",
  "eligible volume": "符合条件的担保额",
  amount: "金额",
  // Risk compensation (风险补偿).
  "base: the loss, at most the outstanding when the loan became NPL": "代偿基数（损失本金，不超过认定不良时的贷款余额）",
  "per-loan cap": "单笔代偿上限",
  "percent paid": "补偿比例（政府分担 + 奖励点数，不超过上限）",
  "amount (rounded half-up to 0.01 once)": "补偿金额（四舍五入到分）",
  // Bridge loans (转贷/过桥).
  "daily fee rate": "日费率",
  "days used (first day counted, last not)": "占用天数（算头不算尾）",
  "raw fee": "计算费用",
  "fee (half up to 0.01)": "费用（四舍五入到分）",
};

const PARTIES: Record<string, string> = {
  government: "政府",
  guarantor: "担保机构",
  reguarantor: "再担保机构",
  bank: "银行",
};

/// A breakdown step's name in Chinese ("loan 12" → "贷款 12"); unknown steps as written.
export function stepLabel(step: string): string {
  const known = STEPS[step];
  if (known) return known;
  const loan = /^loan (\d+)$/.exec(step);
  if (loan) return `贷款 ${loan[1]}`;
  const share = /^(\w+)'s share of the base$/.exec(step);
  if (share) return `${PARTIES[share[1]] ?? share[1]}分担部分`;
  const yf = /^year fraction \((.+)\)$/.exec(step);
  if (yf) return `年化系数（${yf[1]}）`;
  return step;
}
