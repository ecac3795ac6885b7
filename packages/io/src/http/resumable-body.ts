import type { IncomingHttpHeaders } from "node:http";
import { request, type Dispatcher } from "undici";
import { BodyPump, parseEncoding, type Encoding } from "./body-pump.js";
import { classifyError } from "./failure.js";
import { HttpError } from "./http-error.js";
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

// What the first response said about the representation; later responses must match it.
interface Representation {
  encoding: Encoding;
  etag: string | undefined;
  lastModified: string | undefined;
  length: number | undefined;
  acceptRanges: boolean;
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
    const policy = resolvePolicy(opts.retry);
    const dispatcher = resolveDispatcher(opts);
    let first: Representation | undefined;

    for (let attempt = 1; ; attempt++) {
      this.attempts = attempt;
      if (opts.signal?.aborted) throw abortedError("GET", this.url, attempt - 1, opts.signal.reason);
      const resume = first !== undefined && this.delivered > 0 && canResume(first);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(this.target, {
          dispatcher,
          method: "GET",
          headers: this.requestHeaders(resume ? first : undefined),
          signal: opts.signal,
          headersTimeout: opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
          bodyTimeout: opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
        });
      } catch (err) {
        await afterFailure(classifyError(err, false), attempt, policy, "GET", this.url, opts);
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
        await afterFailure(failure, attempt, policy, "GET", this.url, opts);
        continue;
      }

      // Decide how this response continues the bytes delivered so far.
      let skip: number;
      let setup: AttemptFailure | undefined;
      const described = describe(headers);
      if (described.encoding === undefined) {
        discard(body);
        const reason = `unsupported Content-Encoding "${headerValue(headers, "content-encoding")}"`;
        await afterFailure({ code: "HTTP_PROTOCOL", reason, retryable: false, cause: undefined }, attempt, policy, "GET", this.url, opts);
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
          throw new HttpError("HTTP_BODY_CHANGED", `GET ${this.url} changed between attempts (${changed}); its ${this.delivered} bytes already read cannot be continued`, {
            url: this.url,
            attempts: attempt,
            status,
          });
        }
        skip = this.delivered;
      }
      if (setup !== undefined) {
        discard(body);
        await afterFailure(setup, attempt, policy, "GET", this.url, opts);
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
          if (chunk === null) return;
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
        // Positions are in raw bytes of the whole representation: the user can compare them with the file.
        const offset = status === 206 ? startDelivered : 0;
        const failure: AttemptFailure = { ...classifyError(err, true), bytesReceived: offset + pump.rawBytes };
        const expectedTotal = status === 206 ? first?.length : expectedRaw;
        if (expectedTotal !== undefined) failure.bytesExpected = expectedTotal;
        await afterFailure(failure, attempt, policy, "GET", this.url, opts);
      } finally {
        pump.destroy();
      }
    }
  }

  private requestHeaders(resumeFrom: Representation | undefined): Record<string, string> {
    const headers = lowerHeaders(this.options.headers);
    if (resumeFrom) {
      // Ranges count bytes of the encoded representation: ask for identity so they are decoded bytes too.
      headers["accept-encoding"] = "identity";
      headers.range = `bytes=${this.delivered}-`;
      headers["if-range"] = (resumeFrom.etag ?? resumeFrom.lastModified) as string;
    } else {
      headers["accept-encoding"] = "gzip, deflate, br";
      delete headers.range;
      delete headers["if-range"];
    }
    return headers;
  }
}

function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const v = headerValue(headers, "content-length");
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

function describe(headers: IncomingHttpHeaders): Omit<Representation, "encoding"> & { encoding: Encoding | undefined } {
  return {
    encoding: parseEncoding(headerValue(headers, "content-encoding")),
    etag: headerValue(headers, "etag"),
    lastModified: headerValue(headers, "last-modified"),
    length: contentLength(headers),
    acceptRanges: (headerValue(headers, "accept-ranges") ?? "").toLowerCase().includes("bytes"),
  };
}

// Resuming is only safe with a strong validator to send in If-Range: a weak ETag may not be used there.
function canResume(rep: Representation): boolean {
  if (!rep.acceptRanges || rep.encoding !== "identity" || rep.length === undefined) return false;
  if (rep.etag !== undefined) return !rep.etag.startsWith("W/");
  return rep.lastModified !== undefined;
}

/** Why a 206 cannot continue the body at `offset`, or undefined when it can. */
function checkPartial(headers: IncomingHttpHeaders, first: Representation, offset: number): string | undefined {
  if (parseEncoding(headerValue(headers, "content-encoding")) !== "identity") return "it is encoded";
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((headerValue(headers, "content-range") ?? "").trim());
  if (!range) return "no valid Content-Range";
  const [, start, end, total] = range;
  if (Number(start) !== offset) return `it starts at byte ${start}, not ${offset}`;
  if (total !== String(first.length)) return `its total ${total} differs from ${first.length}`;
  if (Number(end) !== (first.length as number) - 1) return `it ends at byte ${end}, not at the end`;
  const etag = headerValue(headers, "etag");
  if (first.etag !== undefined && etag !== undefined && etag !== first.etag) return "its ETag differs";
  return undefined;
}

/** What differs between two full responses of what must be the same body, or undefined. */
function sameRepresentation(first: Representation, next: Representation): string | undefined {
  if (next.encoding !== first.encoding) return undefined; // different bytes on the wire, same decoded body assumed
  const strip = (e: string): string => e.replace(/^W\//, "");
  if (first.etag !== undefined && next.etag !== undefined && strip(first.etag) !== strip(next.etag)) return "ETag differs";
  if (first.length !== undefined && next.length !== undefined && first.length !== next.length) {
    return `length ${next.length} instead of ${first.length}`;
  }
  if (first.etag === undefined && first.lastModified !== undefined && next.lastModified !== undefined && first.lastModified !== next.lastModified) {
    return "Last-Modified differs";
  }
  return undefined;
}
