import type { IncomingHttpHeaders } from "node:http";
import { request, type Dispatcher } from "undici";
import { classifyError } from "./failure.js";
import { checkedUrl } from "./http-error.js";
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  headerValue,
  lowerHeaders,
  resolveDispatcher,
  type HttpOptions,
} from "./http-options.js";
import { readLimited } from "./read-body.js";
import { redactUrl, sanitizeExcerpt } from "./redact.js";
import { abortedError, afterFailure, type AttemptFailure } from "./retry-loop.js";
import { isRetryableStatus, resolvePolicy } from "./retry-policy.js";

export type RequestBody = NonNullable<Dispatcher.RequestOptions["body"]>;

export interface RequestWithRetryOptions extends HttpOptions {
  /** Default GET. Every method is retried: use this only for idempotent requests (GET, PUT, DELETE). */
  method?: Dispatcher.HttpMethod;
  /** Called once per attempt, so a stream body is fresh each time. */
  body?: () => RequestBody;
  /** A response body longer than this is cut here (`complete: false`). Default 8 MiB. */
  maxResponseBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** False when the body was longer than maxResponseBytes. */
  complete: boolean;
  attempts: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * One small request (an API call, a PUT of a file) under the project's retry policy. Resolves with a 2xx
 * response; any other final status rejects with HttpError HTTP_STATUS carrying a redacted body excerpt.
 */
export async function requestWithRetry(url: string | URL, options: RequestWithRetryOptions = {}): Promise<HttpResponse> {
  const shown = redactUrl(String(url));
  const method = options.method ?? "GET";
  const target = checkedUrl(url, method, shown);
  const policy = resolvePolicy(options.retry);
  const dispatcher = resolveDispatcher(options);
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw abortedError(method, shown, attempt - 1, options.signal.reason);
    let failure: AttemptFailure;
    try {
      const response = await request(target, {
        dispatcher,
        method,
        headers: lowerHeaders(options.headers),
        body: options.body ? options.body() : null,
        signal: options.signal,
        headersTimeout: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
        bodyTimeout: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
      });
      const { statusCode: status, headers } = response;
      const ok = status >= 200 && status <= 299;
      const { buffer, complete } = await readLimited(response.body, ok ? maxBytes : 4096);
      if (ok) return { status, headers, body: buffer, complete, attempts: attempt };
      failure = {
        code: "HTTP_STATUS",
        reason: String(status),
        retryable: isRetryableStatus(status),
        cause: undefined,
        status,
        retryAfter: headerValue(headers, "retry-after"),
        bodyExcerpt: sanitizeExcerpt(buffer.toString("utf8"), target),
      };
    } catch (err) {
      failure = classifyError(err, false);
    }
    await afterFailure(failure, attempt, policy, method, shown, options);
  }
}
