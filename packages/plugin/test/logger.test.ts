import { Writable } from "node:stream";
import { expect, test } from "vitest";
import { groupDigits } from "../src/logger.js";
import { createLogger, errorStatus, PluginError, titleFromCode } from "../src/index.js";

function sink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

test("log lines carry the name, the level and fields, with URLs redacted", () => {
  const { lines, stream } = sink();
  const log = createLogger({ name: "cp", stream });
  log.info("uploading", { url: "https://s3.example/b/data.json?X-Amz-Signature=abc", bytes: 1234567 });
  log.warn("slow body");
  log.debug("hidden");
  expect(lines).toEqual(["[cp] uploading url=https://s3.example/b/data.json?… bytes=1,234,567", "[cp] WARN slow body"]);
});

test("progress is throttled and shows percent, rate and eta", () => {
  const { lines, stream } = sink();
  let t = 0;
  const log = createLogger({ name: "cp", stream, now: () => t, progressIntervalMs: 1000 });
  t = 1000;
  log.progress(100_000, 1_000_000);
  t = 1500;
  log.progress(150_000, 1_000_000); // throttled
  t = 2000;
  log.progress(200_000, 1_000_000);
  t = 2100;
  log.progress(1_000_000, 1_000_000); // the end is always shown
  expect(lines).toEqual([
    "[cp] 100,000 / 1,000,000 users (10.0%) eta 9s 100.0k users/s",
    "[cp] 200,000 / 1,000,000 users (20.0%) eta 8s 100.0k users/s",
    "[cp] 1,000,000 / 1,000,000 users (100.0%) 476.2k users/s",
  ]);
});

test("errorStatus maps errors to title, explanation and backtrace", () => {
  expect(titleFromCode("UPLOAD_EXPIRED")).toBe("Upload expired");
  const cause = new Error("socket hang up");
  const err = Object.assign(new Error("PUT http://h/x?sig=1 failed", { cause }), { code: "UPLOAD_REJECTED", hint: "Retry later." });
  const s = errorStatus(err);
  expect(s).toMatchObject({ code: "error", title: "Upload rejected", explanation: "PUT http://h/x?… failed. Retry later." });
  expect(s.backtrace).toContain("Caused by: Error: socket hang up");
  expect(errorStatus("plain string")).toMatchObject({ title: "Plugin failed", explanation: expect.stringContaining("plain string") });
  const pe = errorStatus(new PluginError({ code: "X", title: "T", explanation: "E" }));
  expect(pe).toMatchObject({ title: "T", explanation: "E" });
});

test("groupDigits writes integers as toLocaleString('en-US') does", () => {
  for (const n of [0, 7, -7, 999, 1000, -1000, 12345, 999999, 1000000, -1234567, 10_000_000, 123456789012, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e21]) {
    expect(groupDigits(n)).toBe(n.toLocaleString("en-US"));
  }
  // toLocaleString writes "-0"; a count is never negative zero, and "0" reads better.
  expect(groupDigits(-0)).toBe("0");
});
