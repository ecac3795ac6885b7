/**
 * Number text for data.json: at most 6 decimals (what a property needs; it also keeps the file small),
 * shortest form, never NaN/Infinity (callers check first). -0 is written as 0.
 */
export function formatNumber(v: number): string {
  // Past 1e15 a double has no fractional digits to round, and v * 1e6 would lose integer precision.
  if (v >= 1e15 || v <= -1e15) return String(v);
  const r = Math.round(v * 1e6) / 1e6;
  return r === 0 ? "0" : String(r);
}

/**
 * A JSON-encoded user id: strings escaped as JSON requires (quotes, controls, lone surrogates); numbers
 * exactly as given (ids are never rounded). Callers check that numbers are finite.
 */
export function formatId(id: string | number): string {
  return typeof id === "string" ? JSON.stringify(id) : String(id);
}
