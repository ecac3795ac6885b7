import { describe, expect, it } from "vitest";
import { redactUrl, sanitizeExcerpt } from "../../src/http/index.js";

describe("redactUrl", () => {
  it("keeps origin and path and hides the query", () => {
    expect(redactUrl("https://s.example.com/b/model.onnx?X-Amz-Signature=abc&X-Amz-Expires=60")).toBe(
      "https://s.example.com/b/model.onnx?…",
    );
    expect(redactUrl(new URL("http://127.0.0.1:1234/a/b"))).toBe("http://127.0.0.1:1234/a/b");
    expect(redactUrl("not a url?token=x")).toBe("not a url?…");
  });
});

describe("sanitizeExcerpt", () => {
  it("removes a signed URL's query values echoed in an S3 error body", () => {
    const url = "http://127.0.0.1:9/up/model.onnx?expires=1767225600&signature=9f8e7d6c5b4a";
    const body = `<?xml version="1.0"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message>
<CanonicalRequest>PUT /up/model.onnx expires=1767225600&amp;signature=9f8e7d6c5b4a</CanonicalRequest>
<StringToSign>9f8e7d6c5b4a</StringToSign><Resource>${url}</Resource></Error>`;
    const out = sanitizeExcerpt(body, url, 2000);
    expect(out).toContain("SignatureDoesNotMatch");
    expect(out).not.toContain("9f8e7d6c5b4a");
    expect(out).not.toContain("1767225600");
    expect(out).toContain("http://127.0.0.1:9/up/model.onnx?…");
  });

  it("hides secret-looking parameters of other URLs and cuts long text", () => {
    const out = sanitizeExcerpt("see https://x.test/p?X-Amz-Signature=zzz and X-Amz-Credential=AKIA123 " + "y".repeat(500), "http://a/b", 100);
    expect(out).not.toContain("zzz");
    expect(out).not.toContain("AKIA123");
    expect(out.length).toBeLessThanOrEqual(101);
  });
});
