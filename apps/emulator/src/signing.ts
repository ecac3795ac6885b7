/**
 * Signed storage URLs in the shape of S3 presigned URLs: the query carries the signing time, the lifetime
 * and an HMAC-SHA256 over method, path, time and lifetime with a secret that lives only in this process.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export type SignatureCheck = { ok: true } | { ok: false; code: "AccessDenied" | "SignatureDoesNotMatch"; message: string };

export interface SignOptions {
  /** Lifetime in seconds (default 3600, like development storage). */
  expiresSeconds?: number;
  /** Signing time in ms since epoch (default now); a past time makes an already expired URL. */
  nowMs?: number;
}

/** `20260101T000000Z`, the X-Amz-Date format. */
function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export class UrlSigner {
  private readonly secret: Buffer;

  constructor(secret: Buffer = randomBytes(32)) {
    this.secret = secret;
  }

  private mac(method: string, path: string, date: string, expires: string): Buffer {
    return createHmac("sha256", this.secret).update(`${method}\n${path}\n${date}\n${expires}`).digest();
  }

  /** A signed URL for `method` on `path` (a URL path starting with /) under `base` (origin). */
  sign(base: string, method: string, path: string, options: SignOptions = {}): string {
    const date = amzDate(options.nowMs ?? Date.now());
    const expires = String(options.expiresSeconds ?? 3600);
    const signature = this.mac(method, path, date, expires).toString("hex");
    return `${base}${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${date}&X-Amz-Expires=${expires}&X-Amz-Signature=${signature}`;
  }

  /** Checks the query of a request on `path`; the signature first, so a forged URL never learns about expiry. */
  verify(method: string, path: string, query: URLSearchParams, nowMs: number = Date.now()): SignatureCheck {
    const date = query.get("X-Amz-Date");
    const expires = query.get("X-Amz-Expires");
    const signature = query.get("X-Amz-Signature");
    if (date === null || expires === null || signature === null) {
      return { ok: false, code: "AccessDenied", message: "Query-string authentication requires the Signature, Expires and Date parameters" };
    }
    const expected = this.mac(method, path, date, expires);
    const given = /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, "hex") : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return {
        ok: false,
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided.",
      };
    }
    const signedAt = parseAmzDate(date);
    const lifetime = Number(expires);
    if (!Number.isFinite(signedAt) || !Number.isFinite(lifetime) || nowMs > signedAt + lifetime * 1000) {
      return { ok: false, code: "AccessDenied", message: "Request has expired" };
    }
    return { ok: true };
  }
}

/** The S3-style XML error body. */
export function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}
