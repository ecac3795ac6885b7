import { describe, expect, it } from "vitest";
import { s3ErrorXml, UrlSigner } from "../src/signing.js";

function parts(url: string): { path: string; query: URLSearchParams } {
  const u = new URL(url);
  return { path: u.pathname, query: u.searchParams };
}

describe("UrlSigner", () => {
  const signer = new UrlSigner(Buffer.alloc(32, 7));
  const base = "http://127.0.0.1:1";

  it("accepts its own signature before expiry", () => {
    const { path, query } = parts(signer.sign(base, "PUT", "/storage/p/initial/model.onnx", { expiresSeconds: 60 }));
    expect(path).toBe("/storage/p/initial/model.onnx");
    expect(query.get("X-Amz-Expires")).toBe("60");
    expect(signer.verify("PUT", path, query)).toEqual({ ok: true });
  });

  it("refuses a changed signature, path, method or expiry with SignatureDoesNotMatch", () => {
    const { path, query } = parts(signer.sign(base, "PUT", "/storage/p/a.json"));
    const sig = query.get("X-Amz-Signature") as string;
    const flipped = new URLSearchParams(query);
    flipped.set("X-Amz-Signature", (sig[0] === "a" ? "b" : "a") + sig.slice(1));
    expect(signer.verify("PUT", path, flipped)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(signer.verify("PUT", "/storage/p/b.json", query)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(signer.verify("GET", path, query)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    const longer = new URLSearchParams(query);
    longer.set("X-Amz-Expires", "999999");
    expect(signer.verify("PUT", path, longer)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  it("refuses a URL signed by another secret", () => {
    const other = new UrlSigner(Buffer.alloc(32, 8));
    const { path, query } = parts(other.sign(base, "PUT", "/storage/p/a.json"));
    expect(signer.verify("PUT", path, query)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  it("answers AccessDenied / Request has expired after the lifetime", () => {
    const now = Date.UTC(2026, 5, 1, 12, 0, 0);
    const { path, query } = parts(signer.sign(base, "PUT", "/storage/p/a.json", { expiresSeconds: 60, nowMs: now }));
    expect(signer.verify("PUT", path, query, now + 59_000)).toEqual({ ok: true });
    expect(signer.verify("PUT", path, query, now + 61_000)).toEqual({ ok: false, code: "AccessDenied", message: "Request has expired" });
  });

  it("refuses a URL without its query", () => {
    expect(signer.verify("PUT", "/storage/p/a.json", new URLSearchParams())).toMatchObject({ ok: false, code: "AccessDenied" });
  });

  it("writes S3-style XML errors", () => {
    expect(s3ErrorXml("AccessDenied", "Request has expired")).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
    );
  });
});
