import { HttpError, attemptsText } from "./http-error.js";
import { abortableSleep, type HttpOptions } from "./http-options.js";
import { retryDelay, type RetryPolicy } from "./retry-policy.js";
import type { Failure } from "./failure.js";

export interface AttemptFailure extends Failure {
  status?: number;
  retryAfter?: string | undefined;
  bodyExcerpt?: string;
  bytesReceived?: number;
  bytesExpected?: number;
}

/** The shared tail of every retry loop: give up with a typed error, or wait and go on. */
export async function afterFailure(
  failure: AttemptFailure,
  attempt: number,
  policy: RetryPolicy,
  method: string,
  url: string,
  options: HttpOptions,
): Promise<void> {
  const signal = options.signal;
  if (signal?.aborted) throw abortedError(method, url, attempt, signal.reason);
  if (!failure.retryable || attempt >= policy.maxAttempts) throw finalError(failure, attempt, method, url);
  const delayMs = retryDelay(attempt, policy, failure.retryAfter ?? null);
  options.onRetry?.({ attempt, delayMs, reason: failure.reason, url });
  try {
    await (options.sleep ?? abortableSleep)(delayMs, signal);
  } catch (err) {
    throw abortedError(method, url, attempt, signal?.reason ?? err);
  }
  if (signal?.aborted) throw abortedError(method, url, attempt, signal.reason);
}

export function abortedError(method: string, url: string, attempts: number, cause: unknown): HttpError {
  return new HttpError("HTTP_ABORTED", `${method} ${url} was aborted by the caller`, { url, attempts, cause });
}

export function finalError(f: AttemptFailure, attempts: number, method: string, url: string): HttpError {
  const after = `after ${attemptsText(attempts)}`;
  let message: string;
  switch (f.code) {
    case "HTTP_STATUS":
      message = `${method} ${url} answered ${f.status ?? "?"} ${after}`;
      break;
    case "HTTP_TIMEOUT":
      message = `${method} ${url} timed out (${f.reason}) ${after}`;
      break;
    case "HTTP_TRUNCATED":
      message =
        `${method} ${url} ended early: the body stopped ` +
        (f.bytesExpected !== undefined
          ? `at byte ${f.bytesReceived ?? "?"} of ${f.bytesExpected}`
          : `before the end of its compressed stream at byte ${f.bytesReceived ?? "?"}`) +
        ` (${f.reason}) ${after}`;
      break;
    case "HTTP_BODY_CHANGED":
    case "HTTP_PROTOCOL":
      message = f.detail !== undefined ? `${method} ${url}: ${f.detail} (${f.reason}) ${after}` : `${method} ${url}: ${f.reason} ${after}`;
      break;
    default:
      message = `${method} ${url} failed (${f.reason}) ${after}`;
  }
  const details: ConstructorParameters<typeof HttpError>[2] = { url, attempts, cause: f.cause };
  if (f.status !== undefined) details.status = f.status;
  if (f.bodyExcerpt !== undefined) details.bodyExcerpt = f.bodyExcerpt;
  if (f.bytesReceived !== undefined) details.bytesReceived = f.bytesReceived;
  if (f.bytesExpected !== undefined) details.bytesExpected = f.bytesExpected;
  return new HttpError(f.code, message, details);
}
