import { Agent, type Dispatcher } from "undici";
import type { RetryPolicy } from "./retry-policy.js";

export interface RetryInfo {
  /** The attempt that failed (1-based); the next one is attempt + 1. */
  attempt: number;
  delayMs: number;
  /** "503", "ECONNRESET", "UND_ERR_BODY_TIMEOUT", "HTTP_TRUNCATED", ... */
  reason: string;
  /** Redacted: no query string. */
  url: string;
}

export interface HttpOptions {
  /** Defaults to a shared undici Agent with the connect timeout below. */
  dispatcher?: Dispatcher;
  retry?: Partial<RetryPolicy>;
  /** Only used when no dispatcher is given (undici sets it per connection pool). Default 10 s. */
  connectTimeoutMs?: number;
  /** Time until the response headers arrive. Default 30 s. */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks. Default 30 s. */
  bodyTimeoutMs?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  onRetry?: (info: RetryInfo) => void;
  /** Injectable for tests; must reject when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

// One pool per connect timeout, so keep-alive connections are shared across calls.
const agents = new Map<number, Agent>();

export function resolveDispatcher(options: HttpOptions): Dispatcher {
  if (options.dispatcher) return options.dispatcher;
  const timeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let agent = agents.get(timeout);
  if (!agent) {
    agent = new Agent({ connect: { timeout } });
    agents.set(timeout, agent);
  }
  return agent;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The request headers as a lower-cased record, so our own headers replace the caller's cleanly. */
export function lowerHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers) for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}
