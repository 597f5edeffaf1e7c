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
