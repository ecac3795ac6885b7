// The project's one HTTP layer: undici with an injectable dispatcher, timeouts, one retry policy
// (backoff with jitter, Retry-After, bounded attempts, aborts never retried), and openBody, whose bytes
// reach downstream exactly once however many attempts a body takes (Range resume or restart-and-skip).
export { HttpError, type HttpErrorCode, type HttpErrorDetails } from "./http-error.js";
export type { HttpOptions, RetryInfo } from "./http-options.js";
export { redactUrl, sanitizeExcerpt } from "./redact.js";
export {
  isLoopbackUrl,
  openBody,
  type BodyStats,
  type OpenBodyOptions,
  type ResponseInfo,
  type ResumableBody,
} from "./resumable-body.js";
export {
  requestWithRetry,
  type HttpResponse,
  type RequestBody,
  type RequestWithRetryOptions,
} from "./request-with-retry.js";
export {
  defaultRetryPolicy,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
  type RetryPolicy,
} from "./retry-policy.js";
export type { Encoding } from "./body-pump.js";
