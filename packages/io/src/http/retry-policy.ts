export interface RetryPolicy {
  /** Total tries, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Cap of the exponential backoff. */
  maxDelayMs: number;
  /** "equal" keeps at least half the backoff (kinder to a struggling server); "full" spreads wider. */
  jitter: "full" | "equal";
  /** A server's Retry-After is honoured up to this much. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  jitter: "equal",
  maxRetryAfterMs: 30_000,
});

export function resolvePolicy(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  const p = { ...defaultRetryPolicy, ...partial };
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${p.maxAttempts}`);
  }
  for (const key of ["baseDelayMs", "maxDelayMs", "maxRetryAfterMs"] as const) {
    if (!(p[key] >= 0)) throw new RangeError(`retry.${key} must be >= 0, got ${p[key]}`);
  }
  return p;
}

/** 408, 429 and every 5xx are worth another try; other statuses are answers. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date; undefined when absent or unusable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/^[A-Za-z]{3},/.test(text)) return undefined; // an IMF-fixdate; Date.parse would accept "-1"
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * How long to wait after failed attempt number `attempt` (1-based). Pure: pass `random` for tests.
 * A usable Retry-After wins over the backoff (capped by maxRetryAfterMs).
 */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy = defaultRetryPolicy,
  retryAfter?: string | null,
  now: number = Date.now(),
  random: () => number = Math.random,
): number {
  const fromServer = parseRetryAfter(retryAfter, now);
  if (fromServer !== undefined) return Math.min(fromServer, policy.maxRetryAfterMs);
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const r = random();
  const delay = policy.jitter === "full" ? exp * r : exp / 2 + (exp / 2) * r;
  return Math.round(delay);
}
