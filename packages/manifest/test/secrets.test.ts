import { expect, test } from "vitest";
import { redactText, redactUrl } from "../src/index.js";

test("redactUrl keeps origin and path and hides the query", () => {
  expect(redactUrl("https://s3.example/bucket/data.json?X-Amz-Signature=abc&X-Amz-Expires=60")).toBe("https://s3.example/bucket/data.json?…");
  expect(redactUrl(new URL("http://127.0.0.1:8080/a/b"))).toBe("http://127.0.0.1:8080/a/b");
  expect(redactUrl("http://user:secret@host/p?q=1#frag")).toBe("http://host/p?…");
  expect(redactUrl("relative/path?token=1")).toBe("relative/path?…");
});

test("redactText redacts every URL inside text", () => {
  const text = 'PUT http://127.0.0.1:9/storage/x?sig=SECRET failed; then "https://a.b/c?d=SECRET2".';
  const out = redactText(text);
  expect(out).toBe('PUT http://127.0.0.1:9/storage/x?… failed; then "https://a.b/c?…".');
  expect(out).not.toContain("SECRET");
});
