import type { IncomingHttpHeaders } from "node:http";
import { request, type Dispatcher } from "undici";
import { BodyPump, type Encoding } from "./body-pump.js";
import { classifyError } from "./failure.js";
import { HttpError, checkedUrl } from "./http-error.js";
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  headerValue,
  lowerHeaders,
  resolveDispatcher,
  type HttpOptions,
} from "./http-options.js";
import { discard, errorBodyText } from "./read-body.js";
import { redactUrl, sanitizeExcerpt } from "./redact.js";
import { canResume, checkPartial, contentLength, describe, sameRepresentation, type Representation } from "./representation.js";
import { abortedError, afterFailure, type AttemptFailure } from "./retry-loop.js";
import { isRetryableStatus, resolvePolicy } from "./retry-policy.js";

export interface ResponseInfo {
  status: number;
  headers: IncomingHttpHeaders;
  attempt: number;
  /** True when this response continues the body with a Range request. */
  resumed: boolean;
  encoding: Encoding;
  /** The decoded size of the whole body when the server told it (identity bodies only). */
  totalBytes?: number;
}

export interface OpenBodyOptions extends HttpOptions {
  /** Called for every usable 2xx response before its body is read; a throw ends the read with that error. */
  onResponse?: (info: ResponseInfo) => void;
  /**
   * Whether to ask for a compressed body: "always" (the default) asks for gzip, deflate or br; "never" asks
   * for identity; "auto" asks for compression except from a loopback host, where bytes cost nothing and
   * compressing and decompressing on the same machine only burns the cores a plugin needs (the dataset
   * reader's default; see packages/io/BENCHMARKS.md).
   */
  compression?: "auto" | "always" | "never";
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface BodyStats {
  /** Decoded bytes delivered downstream so far. */
  bytes: number;
  attempts: number;
  /** Failures continued with `Range` from the byte where they stopped. */
  resumes: number;
  /** Failures answered by a full new request whose first `bytes` were skipped. */
  restarts: number;
}

/** The decoded body of one GET: every byte exactly once, in order, however many attempts it takes. */
export interface ResumableBody extends AsyncIterable<Buffer> {
  /** Redacted: no query string. */
  readonly url: string;
  stats(): BodyStats;
}

export function openBody(url: string | URL, options: OpenBodyOptions = {}): ResumableBody {
  return new ResumableGet(String(url), options);
}

class ResumableGet implements ResumableBody {
  readonly url: string;
  private readonly target: string;
  private started = false;
  private delivered = 0;
  private attempts = 0;
  private resumes = 0;
  private restarts = 0;

  constructor(
    target: string,
    private readonly options: OpenBodyOptions,
  ) {
    this.target = target;
    this.url = redactUrl(target);
  }

  stats(): BodyStats {
    return { bytes: this.delivered, attempts: this.attempts, resumes: this.resumes, restarts: this.restarts };
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    // A second reader would see the bytes a second time, exactly what this type exists to prevent.
    if (this.started) throw new TypeError(`The body of ${this.url} can be read only once`);
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<Buffer, void, undefined> {
    const opts = this.options;
    const target = checkedUrl(this.target, "GET", this.url);
    const policy = resolvePolicy(opts.retry);
    const dispatcher = resolveDispatcher(opts);
    let first: Representation | undefined;

    // The retry budget counts failures in a row without progress: a long body (a 10M-user slice is ~3 GB)
    // may see more transient resets than maxAttempts and still finish, while a body that never advances
    // gives up after maxAttempts. Every attempt that fails with progress delivered new bytes, so the loop ends.
    let streak = 0;
    for (let attempt = 1; ; attempt++) {
      this.attempts = attempt;
      streak++;
      if (opts.signal?.aborted) throw abortedError("GET", this.url, attempt - 1, opts.signal.reason);
      const resume = first !== undefined && this.delivered > 0 && canResume(first);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(target, {
          dispatcher,
          method: "GET",
          headers: this.requestHeaders(resume ? first : undefined),
          signal: opts.signal,
          headersTimeout: opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
          bodyTimeout: opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
        });
      } catch (err) {
        await afterFailure(classifyError(err, false), streak, policy, "GET", this.url, opts);
        continue;
      }

      const { statusCode: status, headers, body } = response;
      if (status < 200 || status > 299) {
        const excerpt = sanitizeExcerpt(await errorBodyText(body), this.target);
        const failure: AttemptFailure = {
          code: "HTTP_STATUS",
          reason: String(status),
          retryable: isRetryableStatus(status),
          cause: undefined,
          status,
          retryAfter: headerValue(headers, "retry-after"),
          bodyExcerpt: excerpt,
        };
        await afterFailure(failure, streak, policy, "GET", this.url, opts);
        continue;
      }

      // Decide how this response continues the bytes delivered so far.
      let skip: number;
      let setup: AttemptFailure | undefined;
      const described = describe(headers);
      if (described.encoding === undefined) {
        discard(body);
        const reason = `unsupported Content-Encoding "${headerValue(headers, "content-encoding")}"`;
        await afterFailure({ code: "HTTP_PROTOCOL", reason, retryable: false, cause: undefined }, streak, policy, "GET", this.url, opts);
        continue;
      }
      const rep: Representation = { ...described, encoding: described.encoding };
      if (status === 206) {
        const check = resume && first ? checkPartial(headers, first, this.delivered) : "a 206 answered a request without Range";
        if (check !== undefined) {
          // Fall back to a full restart: this server's ranges cannot be trusted.
          if (first) first.acceptRanges = false;
          setup = { code: "HTTP_PROTOCOL", reason: `unusable partial response: ${check}`, retryable: resume, cause: undefined };
        }
        skip = 0;
      } else if (first === undefined || this.delivered === 0) {
        // Nothing delivered yet: whatever version this is, it is the one downstream will see.
        first = rep;
        skip = 0;
      } else {
        const changed = sameRepresentation(first, rep);
        if (changed !== undefined) {
          discard(body);
          throw this.changedError(`${changed}; the ${this.delivered} bytes already read cannot be continued`, attempt, status);
        }
        skip = this.delivered;
      }
      if (setup !== undefined) {
        discard(body);
        await afterFailure(setup, streak, policy, "GET", this.url, opts);
        continue;
      }
      const encoding = rep.encoding;
      if (opts.onResponse) {
        const info: ResponseInfo = { status, headers, attempt, resumed: status === 206, encoding };
        const total = status === 206 ? first?.length : rep.length;
        if (encoding === "identity" && total !== undefined) info.totalBytes = total;
        try {
          opts.onResponse(info);
        } catch (err) {
          discard(body);
          throw err;
        }
      }
      if (status === 206) this.resumes++;
      else if (skip > 0) this.restarts++;

      const expectedRaw = contentLength(headers);
      const pump = new BodyPump(body, encoding, expectedRaw, (p) =>
        expectedRaw !== undefined && p.rawBytes < expectedRaw
          ? new HttpError("HTTP_TRUNCATED", "body shorter than Content-Length", { url: this.url, attempts: attempt })
          : undefined,
      );
      const startDelivered = this.delivered;
      try {
        for (;;) {
          let chunk = pump.next();
          if (chunk !== null && !Buffer.isBuffer(chunk)) chunk = await chunk;
          if (chunk === null) {
            if (skip > 0) {
              // The restarted body is shorter than what was already delivered: another version.
              const end = this.delivered - skip;
              throw this.changedError(`it now ends at byte ${end}, before the ${this.delivered} bytes already read`, attempt, status);
            }
            return;
          }
          // Chunks already queued must not trickle out after a user abort.
          if (opts.signal?.aborted) throw opts.signal.reason;
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          this.delivered += chunk.length;
          yield chunk;
        }
      } catch (err) {
        if (err instanceof HttpError && err.code === "HTTP_BODY_CHANGED") throw err;
        // Positions are in raw bytes of the whole representation: the user can compare them with the file.
        const offset = status === 206 ? startDelivered : 0;
        const failure: AttemptFailure = { ...classifyError(err, true), bytesReceived: offset + pump.rawBytes };
        const expectedTotal = status === 206 ? first?.length : expectedRaw;
        if (expectedTotal !== undefined) failure.bytesExpected = expectedTotal;
        if (this.delivered > startDelivered) streak = 1;
        await afterFailure(failure, streak, policy, "GET", this.url, opts);
      } finally {
        pump.destroy();
      }
    }
  }

  private changedError(detail: string, attempts: number, status: number): HttpError {
    return new HttpError("HTTP_BODY_CHANGED", `GET ${this.url} changed between attempts (${detail})`, { url: this.url, attempts, status });
  }

  private requestHeaders(resumeFrom: Representation | undefined): Record<string, string> {
    const headers = lowerHeaders(this.options.headers);
    if (resumeFrom) {
      // Ranges count bytes of the encoded representation: ask for identity so they are decoded bytes too.
      headers["accept-encoding"] = "identity";
      headers.range = `bytes=${this.delivered}-`;
      headers["if-range"] = (resumeFrom.etag ?? resumeFrom.lastModified) as string;
    } else {
      const compression = this.options.compression ?? "always";
      const compress = compression === "always" || (compression === "auto" && !isLoopbackUrl(this.target));
      headers["accept-encoding"] = compress ? "gzip, deflate, br" : "identity";
      delete headers.range;
      delete headers["if-range"];
    }
    return headers;
  }
}
